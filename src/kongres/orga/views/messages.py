"""Messages to a segment of the participants (campaigns): compose, preview, test, send, follow
the delivery. The segment is the participant list's filters."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.campaigns import selectors as campaign_selectors
from kongres.campaigns.models import Campaign
from kongres.campaigns.services import (
    PLACEHOLDERS,
    CampaignError,
    campaign_create,
    campaign_preview,
    campaign_queue,
    campaign_test_send,
)
from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.orga.access import orga_access_campaign, orga_view
from kongres.orga.forms import CampaignForm, segment_from, segment_query

PAGE_SIZE = 50
# -- export ------------------------------------------------------------------------------------


@require_safe
@orga_view("message")
def campaign_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    return render(
        request,
        "orga/data/campaign_list.html",
        {"edition": edition, "campaigns": campaign_selectors.campaign_list(edition=edition)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("message")
def campaign_compose(request: HttpRequest, edition: Edition) -> HttpResponse:
    """A new message to the people the list's filters (in the query string) find."""
    segment = segment_from(request.GET)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                edition=edition, segment=segment, actor=request.user, **form.cleaned_data
            )
        except CampaignError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The message was saved. Check the preview before sending."))
            return redirect("orga:campaign-detail", edition=edition.slug, pk=campaign.pk)
    return render(
        request,
        "orga/data/campaign_compose.html",
        {
            "edition": edition,
            "form": form,
            "segment": segment,
            "query": segment_query(segment),
            # everyone who may be written to; the send page counts the message's own recipients
            "count": campaign_selectors.campaign_recipients(
                campaign=Campaign(edition=edition, segment=segment, transactional=True)
            ).count(),
            "placeholders": PLACEHOLDERS,
        },
    )


def _previews(campaign: Campaign) -> tuple[list[tuple[str, object]], object]:
    first = campaign_selectors.campaign_recipients(campaign=campaign).first()
    name = first.first_name if first is not None else None
    return [
        (_("Polish"), campaign_preview(campaign=campaign, language="pl", first_name=name)),
        (_("English"), campaign_preview(campaign=campaign, language="en", first_name=name)),
    ], first


@require_safe
@orga_view("message")
def campaign_detail(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """A draft: the preview in both languages, a test to oneself, sending. A queued message:
    its delivery per recipient."""
    campaign = orga_access_campaign(
        user=request.user, edition=edition, campaign_id=pk, need="message"
    )
    context = {"edition": edition, "campaign": campaign, "query": segment_query(campaign.segment)}
    if campaign.status == Campaign.Status.DRAFT:
        context["previews"], context["first"] = _previews(campaign)
        context["count"] = campaign_selectors.campaign_recipients(campaign=campaign).count()
    else:
        counts = campaign_selectors.campaign_delivery_counts(campaign=campaign)
        context["counts"] = [
            (label, counts.get(value, 0)) for value, label in OutboxMessage.Status.choices
        ]
        context["total"] = counts["total"]
        context["page"] = Paginator(
            campaign_selectors.campaign_deliveries(campaign=campaign), PAGE_SIZE
        ).get_page(request.GET.get("page"))
    return render(request, "orga/data/campaign_detail.html", context)


@require_POST
@orga_view("message")
def campaign_test(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """The message to the organiser's own address, in each language it is written in."""
    campaign = orga_access_campaign(
        user=request.user, edition=edition, campaign_id=pk, need="message"
    )
    if not request.user.email:
        messages.error(request, _("Your account has no e-mail address to send a test to."))
    else:
        languages = ["pl", "en"] if campaign.subject_en and campaign.body_en else ["pl"]
        for language in languages:
            campaign_test_send(
                campaign=campaign, to=request.user.email, language=language, actor=request.user
            )
        messages.success(
            request,
            _("A test was sent to %(address)s (%(count)s).")
            % {"address": request.user.email, "count": len(languages)},
        )
    return redirect("orga:campaign-detail", edition=edition.slug, pk=campaign.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("message")
def campaign_send(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """GET: how many people the message goes to, with a confirm button; POST: queue it."""
    campaign = orga_access_campaign(
        user=request.user, edition=edition, campaign_id=pk, need="message"
    )
    error = None
    if campaign.status != Campaign.Status.DRAFT:
        error = _("This message has already been sent.")
    elif request.method == "POST":
        try:
            count = campaign_queue(campaign=campaign, actor=request.user)
        except CampaignError as failure:
            error = failure.message
        else:
            messages.success(
                request,
                _("The message is queued to %(count)s people.") % {"count": count},
            )
            return redirect("orga:campaign-detail", edition=edition.slug, pk=campaign.pk)
    return render(
        request,
        "orga/data/campaign_send.html",
        {
            "edition": edition,
            "campaign": campaign,
            "error": error,
            "count": campaign_selectors.campaign_recipients(campaign=campaign).count(),
        },
        status=409 if error and request.method == "POST" else 200,
    )
