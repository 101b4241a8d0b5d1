"""The edition's reconfirmation round: its settings, where it stands, who did not answer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kongres.events.models import Edition
from kongres.orga import reconfirmation as data
from kongres.orga.access import orga_view
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import ReconfirmationRound
from kongres.registration.services.reconfirm import reconfirmation_configure


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def reconfirmation_page(request: HttpRequest, edition: Edition) -> HttpResponse:
    round_ = ReconfirmationRound.objects.filter(edition=edition).first()
    form = data.ReconfirmationForm(
        request.POST if request.method == "POST" else None,
        initial=data.reconfirmation_initial(round_),
    )
    if request.method == "POST" and form.is_valid():
        try:
            reconfirmation_configure(edition=edition, actor=request.user, **form.cleaned_data)
        except RegistrationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The reconfirmation round is saved."))
            return redirect("orga:reconfirmation", edition=edition.slug)
    return render(
        request,
        "orga/reconfirmation.html",
        {
            "edition": edition,
            "round": round_,
            "form": form,
            "counts": data.reconfirmation_counts(edition=edition),
            "flagged": data.reconfirmation_flagged(edition=edition),
        },
    )
