import sys

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_safe
from django.views.static import serve


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /orga/",
        "Disallow: /checkin/",
        f"Sitemap: {sitemap_url}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponsePermanentRedirect(staticfiles_storage.url("kongres/favicon.svg"))


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files, from the application itself only where nothing else serves them
    (``serve_media``: DEBUG, ``make demo``, a small site without a web server in front). In
    production nginx serves ``/media/`` (deploy/nginx/kongres.conf) and this answers 404
    (review 2026-12, L11). Like nginx, it says that nothing in a file may run."""
    if not settings.KONGRES_SERVE_MEDIA:
        raise Http404("uploaded files are served by the web server")
    if path.split("/", 1)[0] in settings.KONGRES_PRIVATE_MEDIA_DIRS:
        raise Http404("not a public file")  # e.g. materials waiting for approval
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "public/404.html", status=404)


# The database cannot be reached (PostgreSQL restarting, a failover, the network): a page that
# says to try again in a moment, with 503 and Retry-After instead of 500.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the database may be what failed. Django
    # calls this inside its ``except`` block, so the exception is ``sys.exception()``.
    if isinstance(sys.exception(), DATABASE_UNREACHABLE):
        template = loader.get_template("public/503.html")
        response = HttpResponse(template.render({"request": request}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    template = loader.get_template("public/500.html")
    return HttpResponse(template.render({"request": request}), status=500)
