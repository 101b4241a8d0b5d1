"""The edition's audit log, searchable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kongres.audit import selectors as audit_selectors
from kongres.events.models import Edition
from kongres.orga.access import (
    orga_access_audit_entries,
    orga_view,
)
from kongres.orga.forms import (
    AuditSearchForm,
)

PAGE_SIZE = 50


@require_safe
@orga_view("audit")
def audit_log_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    entries = orga_access_audit_entries(user=request.user, edition=edition)
    form = AuditSearchForm(
        request.GET or None, actions=audit_selectors.audit_log_actions(entries=entries)
    )
    query = action = ""
    if form.is_valid():
        query, action = form.cleaned_data["q"], form.cleaned_data["action"]
    found = audit_selectors.audit_log_search(entries=entries, query=query, action=action)
    page = Paginator(found.select_related("actor"), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "orga/audit_log.html",
        {"edition": edition, "form": form, "page": page, "query": params.urlencode()},
    )


# -- roles and settings ------------------------------------------------------------------------
