"""The public page of an edition's allocation draw: before it, the commitment (the SHA-256 of
the secret seed) and the window; after it, the seed, the algorithm and the pseudonymous
applicant numbers in drawn order (as a page and as JSON, for ``kongres draw verify`` or anyone's
own check). It names nobody: applicant numbers, sectors and voivodeships only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kongres.registration.lottery import ALGORITHM
from kongres.registration.models import Allocation, Draw


def _allocation(request: HttpRequest) -> Allocation:
    edition = request.edition or None
    allocation = (
        Allocation.objects.filter(edition=edition, mode=Allocation.Mode.DRAW).first()
        if edition
        else None
    )
    if allocation is None:
        raise Http404("no draw")
    return allocation


@require_http_methods(["GET", "HEAD"])
def draw_page(request: HttpRequest) -> HttpResponse:
    allocation = _allocation(request)
    draw = Draw.objects.filter(edition=allocation.edition).first()
    entries = list(draw.entries.order_by("rank")) if draw else []
    return render(
        request,
        "registration/draw.html",
        {
            "edition": allocation.edition,
            "allocation": allocation,
            "draw": draw,
            "entries": entries,
            "places": sum(entry.outcome == "place" for entry in entries),
            "algorithm": ALGORITHM,
        },
    )


@require_http_methods(["GET", "HEAD"])
def draw_json(request: HttpRequest) -> HttpResponse:
    allocation = _allocation(request)
    draw = Draw.objects.filter(edition=allocation.edition).first()
    data = {"edition": allocation.edition.slug, "commitment": allocation.commitment}
    if draw is not None:
        data.update(
            algorithm=draw.algorithm,
            seed=draw.seed,
            places=draw.places,
            day_places=draw.day_places,
            quotas=draw.quotas,
            drawn_at=draw.done_at.isoformat(),
            entries=[
                {
                    "number": e.number,
                    "sector": e.sector,
                    "voivodeship": e.voivodeship,
                    "priority": e.priority,
                    "days": e.days,
                    "days_given": e.days_given,
                    "outcome": e.outcome,
                }
                for e in draw.entries.order_by("rank")
            ],
        )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
