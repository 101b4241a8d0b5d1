"""The back office's pages for the participant list's data: exports (CSV, XLSX) and messages to
a segment of participants. Both take the segment from the participant list's filters (the
same query string, read by ``selectors.registration_filter``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
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
from kongres.orga import exports
from kongres.orga.access import orga_access_campaign, orga_view
from kongres.orga.forms import CampaignForm, ExportForm
from kongres.orga.selectors import registration_filter
from kongres.orga.services import audit_log

PAGE_SIZE = 50
# Parameters of these pages that are not filters of the list.
NOT_FILTERS = frozenset({"page", "columns", "format", "csrfmiddlewaretoken"})


def _segment(params: QueryDict) -> dict[str, list[str]]:
    """The list's filters in ``params`` as a plain dict (each value a list; empty ones left out)."""
    segment = {}
    for key in params:
        if key in NOT_FILTERS:
            continue
        values = [value for value in params.getlist(key) if value.strip()]
        if values:
            segment[key] = values
    return segment


def _query(segment: dict[str, list[str]]) -> str:
    query = QueryDict(mutable=True)
    for key, values in segment.items():
        query.setlist(key, values)
    return query.urlencode()


# -- export ------------------------------------------------------------------------------------


@require_safe
@orga_view("export")
def registration_export(request: HttpRequest, edition: Edition) -> HttpResponse:
    """Without ``format``: the choice of columns and format. With it: the file, streamed; each
    download is in the audit log with the filters and the number of rows."""
    columns = exports.export_columns(edition=edition)
    segment = _segment(request.GET)
    form = ExportForm(request.GET if "format" in request.GET else None, columns=columns)
    if form.is_bound and form.is_valid():
        chosen = exports.export_columns_chosen(edition=edition, keys=form.cleaned_data["columns"])
        kind = form.cleaned_data["format"]
        rows = registration_filter(edition=edition, params=segment).count()
        audit_log(
            actor=request.user,
            action="export",
            obj=edition,
            after={
                "format": kind,
                "filters": segment,
                "columns": [column.key for column in chosen],
                "rows": rows,
            },
        )
        filename = exports.export_filename(edition=edition, extension=kind)
        if kind == "csv":
            response = StreamingHttpResponse(
                exports.export_csv(edition=edition, params=segment, columns=chosen),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return FileResponse(
            exports.export_xlsx(edition=edition, params=segment, columns=chosen),
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return render(
        request,
        "orga/data/export.html",
        {
            "edition": edition,
            "form": form,
            "segment": segment,
            "query": _query(segment),
            "count": registration_filter(edition=edition, params=segment).count(),
        },
    )


# -- messages ----------------------------------------------------------------------------------


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
    segment = _segment(request.GET)
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
            "query": _query(segment),
            "count": campaign_selectors.campaign_recipients(
                campaign=Campaign(edition=edition, segment=segment)
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
    context = {"edition": edition, "campaign": campaign, "query": _query(campaign.segment)}
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
