"""The speaker's upload page, opened by the secret link an organiser sent: send slides, a
video or a recording's address for one session; see what was sent and whether it is
published. No account; rate-limited per network; never cached, never indexed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kongres.core.proxy import client_ip
from kongres.core.ratelimit import RateLimited, network_key, ratelimit_hit
from kongres.materials import selectors
from kongres.materials.forms import MaterialForm
from kongres.materials.services import MaterialsError, material_submit, upload_link_get


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ratelimit_hit(scope="token-ip", value=network_key(client_ip(request)))
    except RateLimited as error:
        minutes = max(1, -(-error.retry_after // 60))
        response = render(request, "materials/ratelimited.html", {"minutes": minutes}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    try:
        link = upload_link_get(token=token)
    except MaterialsError as error:
        status = 410 if error.code in {"expired", "revoked"} else 404
        return render(request, "materials/link_invalid.html", {"error": error}, status=status)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            material_submit(
                session=link.session,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                url=form.cleaned_data["url"],
                link=link,
            )
        except MaterialsError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(
                request,
                _("Thank you. The organisers will publish it after checking it."),
            )
            return redirect(request.path)
    response = render(
        request,
        "materials/upload.html",
        {
            "link": link,
            "session": link.session,
            "edition": link.session.edition,
            "form": form,
            "sent": selectors.material_submitted_through(link=link),
            "max_document_mb": settings.KONGRES_MATERIAL_MAX_BYTES // (1024 * 1024),
            "max_video_mb": settings.KONGRES_RECORDING_MAX_BYTES // (1024 * 1024),
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response
