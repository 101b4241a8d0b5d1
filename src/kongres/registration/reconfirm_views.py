"""The reconfirmation's one-click links from its mail ("I'm coming", "I can't come after all",
``services.reconfirm``): a page that asks to confirm the answer (GET changes nothing), and the
button that gives it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kongres.registration.models import Reconfirmation, Registration
from kongres.registration.services import RegistrationError
from kongres.registration.services.reconfirm import reconfirmation_answer
from kongres.registration.views import action_failed, token_page


def _reconfirm(
    request: HttpRequest, registration: Registration, token: str, answer: str
) -> HttpResponse:
    """The reconfirmation's one-click links ("I'm coming", "I can't come after all"): a page
    that asks to confirm the answer; the button gives it."""
    asked = Reconfirmation.objects.filter(registration=registration).first()
    if asked is None or not registration.has_seat:
        return redirect("registration:manage", token=token)
    if request.method == "POST":
        try:
            reconfirmation_answer(token=token, answer=answer)
        except RegistrationError as error:
            return action_failed(request, error, token)
        messages.success(
            request,
            _("Thank you: we are expecting you.")
            if answer == Reconfirmation.Answer.COMING
            else _("Thank you for letting us know: your place is free for someone else."),
        )
        return redirect("registration:manage", token=token)
    return render(
        request,
        "registration/reconfirm.html",
        {
            "registration": registration,
            "edition": registration.edition,
            "token": token,
            "answer": answer,
            "asked": asked,
            "round": getattr(registration.edition, "reconfirmation", None),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def reconfirm_coming(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    return _reconfirm(request, registration, token, Reconfirmation.Answer.COMING)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def reconfirm_not_coming(
    request: HttpRequest, registration: Registration, token: str
) -> HttpResponse:
    return _reconfirm(request, registration, token, Reconfirmation.Answer.NOT_COMING)
