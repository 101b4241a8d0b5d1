"""Mails planned by time relative to the edition: the list with their state, a new one (from
one of the usual three), change one with its preview until it is sent, then its delivery."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kongres.campaigns import selectors
from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.services import (
    PLACEHOLDERS,
    CampaignError,
    scheduled_mail_create,
    scheduled_mail_preview,
    scheduled_mail_update,
)
from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.orga import scheduled as data
from kongres.orga.access import orga_view


@require_safe
@orga_view("message")
def scheduled_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    return render(
        request,
        "orga/scheduled_list.html",
        {
            "edition": edition,
            "mails": selectors.scheduled_mail_list(edition=edition),
            "presets": [(key, values["name"]) for key, values in data.PRESETS.items()],
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("message")
def scheduled_create(request: HttpRequest, edition: Edition) -> HttpResponse:
    form = data.ScheduledMailForm(
        request.POST or None,
        initial=data.scheduled_initial(None, request.GET.get("preset", "")),
    )
    if request.method == "POST" and form.is_valid():
        try:
            scheduled = scheduled_mail_create(
                edition=edition, values=form.cleaned_data, actor=request.user
            )
        except CampaignError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The mail is planned. Check the preview."))
            return redirect("orga:scheduled-detail", edition=edition.slug, pk=scheduled.pk)
    return render(
        request,
        "orga/scheduled_form.html",
        {"edition": edition, "form": form, "placeholders": PLACEHOLDERS, "scheduled": None},
    )


def _scheduled(edition: Edition, pk: int) -> ScheduledMail:
    found = selectors.scheduled_mail_list(edition=edition).filter(pk=pk).first()
    if found is None:
        raise Http404("no such mail")
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("message")
def scheduled_detail(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """Until it is sent: the form and the preview in both languages; then its delivery."""
    scheduled = _scheduled(edition, pk)
    context = {"edition": edition, "scheduled": scheduled, "placeholders": PLACEHOLDERS}
    if scheduled.status == ScheduledMail.Status.SENT:
        if request.method == "POST":
            messages.error(request, _("This mail has already been sent."))
        counts = selectors.scheduled_mail_delivery_counts(scheduled=scheduled)
        context["counts"] = [
            (label, counts.get(value, 0)) for value, label in OutboxMessage.Status.choices
        ]
        context["total"] = counts["total"]
        return render(request, "orga/scheduled_sent.html", context)
    form = data.ScheduledMailForm(request.POST or None, initial=data.scheduled_initial(scheduled))
    if request.method == "POST" and form.is_valid():
        try:
            scheduled_mail_update(scheduled=scheduled, values=form.cleaned_data, actor=request.user)
        except CampaignError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The mail is saved."))
            return redirect("orga:scheduled-detail", edition=edition.slug, pk=scheduled.pk)
    recipients = selectors.scheduled_mail_recipients(edition=edition, audience=scheduled.audience)
    first = recipients.first()
    name = first.first_name if first is not None else None
    context.update(
        form=form,
        count=recipients.count(),
        previews=[
            (
                _("Polish"),
                scheduled_mail_preview(scheduled=scheduled, language="pl", first_name=name),
            ),
            (
                _("English"),
                scheduled_mail_preview(scheduled=scheduled, language="en", first_name=name),
            ),
        ],
    )
    return render(request, "orga/scheduled_form.html", context)
