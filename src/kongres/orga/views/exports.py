"""Exports of a segment of the participants (CSV, XLSX); the segment is the participant list's
filters (the same query string, read by ``registration.segments.registration_filter``)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kongres.audit.services import audit_log
from kongres.events.models import Edition
from kongres.orga import exports
from kongres.orga.access import orga_view
from kongres.orga.forms import ExportForm, segment_from, segment_query
from kongres.registration.segments import registration_filter


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("export")
def registration_export(request: HttpRequest, edition: Edition) -> HttpResponse:
    """GET: the choice of columns and format for the list's filters (the query string). POST:
    the file, streamed; each download is in the audit log with the filters and the number of
    rows (a POST, so that no link preview or prefetch writes to the log)."""
    columns = exports.export_columns(edition=edition)
    params = request.POST if request.method == "POST" else request.GET
    segment = segment_from(params)
    form = ExportForm(request.POST if request.method == "POST" else None, columns=columns)
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
            "query": segment_query(segment),
            "count": registration_filter(edition=edition, params=segment).count(),
        },
    )


# -- messages ----------------------------------------------------------------------------------
