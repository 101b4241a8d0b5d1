"""The edition's allocation of places: first come or a draw, its window, quotas, the draw run
from here, its result and charts."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.events.models import Edition
from kongres.orga import draw as draw_data
from kongres.orga.access import orga_view
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import Allocation, Draw
from kongres.registration.services.draw import (
    allocation_configure,
    allocation_quotas_set,
    draw_run,
)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def draw_page(request: HttpRequest, edition: Edition) -> HttpResponse:
    allocation = Allocation.objects.filter(edition=edition).first()
    draw = Draw.objects.filter(edition=edition).first()
    initial = {"mode": Allocation.Mode.FIRST_COME}
    if allocation is not None:
        initial = {
            "mode": allocation.mode,
            "window_opens_at": allocation.window_opens_at,
            "window_closes_at": allocation.window_closes_at,
            "draw_at": allocation.draw_at,
            "waiting_list_size": allocation.waiting_list_size,
        }
    data = request.POST if request.method == "POST" else None
    form = draw_data.AllocationForm(data, initial=initial)
    quotas = draw_data.QuotaFormSet(
        data, initial=draw_data.quota_initial(allocation), prefix="quota"
    )
    if request.method == "POST" and form.is_valid() and quotas.is_valid():
        try:
            allocation = allocation_configure(
                edition=edition, actor=request.user, **form.cleaned_data
            )
            allocation_quotas_set(allocation=allocation, quotas=draw_data.quota_rows(quotas))
        except RegistrationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The allocation of places is saved."))
            return redirect("orga:draw", edition=edition.slug)
    context = {"edition": edition, "allocation": allocation, "draw": draw, "form": form}
    context["quotas"] = quotas
    if draw is not None:
        context.update(
            quotas_reached=draw_data.quotas_reached(draw=draw),
            by_day=draw_data.draw_days(draw=draw),
            by_sector=draw_data.draw_breakdown(draw=draw, dimension="sector"),
            by_voivodeship=draw_data.draw_breakdown(draw=draw, dimension="voivodeship"),
            places=draw.entries.filter(outcome="place").count(),
            applications=draw.entries.count(),
        )
    return render(request, "orga/draw.html", context)


@require_POST
@orga_view("settings")
def draw_run_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    try:
        # the result mails are left to the worker's draw job (every minute, in batches): for
        # thousands of applicants they take longer than a request should
        draw_run(edition=edition, actor=request.user, mail=False)
    except RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The draw is done. Everybody's result mail goes out within a minute.")
        )
    return redirect("orga:draw", edition=edition.slug)


@never_cache
@require_safe
@csp_override(
    {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "frame-ancestors": [CSP.NONE]}
)
@orga_view("settings")
def draw_chart(request: HttpRequest, edition: Edition, name: str) -> HttpResponse:
    svg = draw_data.draw_chart_svg(edition=edition, name=name)
    if svg is None:
        raise Http404("no such chart")
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
