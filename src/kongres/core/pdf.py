"""HTML → PDF with WeasyPrint, with no access to anything but ``data:`` URIs (the templates
carry their own CSS and QR images).

``pdf_render_cached`` keeps each PDF in the shared cache (Django's cache framework) under the
SHA-256 of the HTML it was made from (security review 2026-12, L11): asking again for the same
document costs a template rendering, not WeasyPrint, and any change of what the document shows
(a re-issued ticket's new code, a corrected name, another language) is another key, so nothing
needs invalidating.

Every PDF is tagged (PDF/UA-1, WeasyPrint's ``pdf_variant="pdf/ua-1"``): a structure tree
that screen readers follow, the document's language from ``<html lang>``, its title from
``<title>`` (shown instead of the file name), and each image's ``alt`` as its alternative
text. Public bodies must publish accessible documents; a template without ``lang`` or
``<title>`` makes an inaccessible PDF, which ``tests/checkin/test_pdf_tagged.py`` catches."""

from __future__ import annotations

import hashlib
import ssl

from django.core.cache import cache
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

CACHE_SECONDS = 24 * 3600
PDF_VARIANT = "pdf/ua-1"


def pdf_from_html(html: str) -> bytes:
    # A bare TLS context: WeasyPrint's fetcher otherwise builds a default one, loading the
    # system's certificates (about 0.1 s, half the time of a one-page PDF), for HTTPS that
    # ``allowed_protocols`` never lets it use.
    fetcher = URLFetcher(
        allowed_protocols={"data"}, timeout=1, ssl_context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    )
    return HTML(string=html, url_fetcher=fetcher, base_url="data:,").write_pdf(
        pdf_variant=PDF_VARIANT
    )


def pdf_render(template: str, context: dict) -> bytes:
    return pdf_from_html(render_to_string(template, context))


def pdf_render_cached(template: str, context: dict, *, timeout: int = CACHE_SECONDS) -> bytes:
    """``pdf_render``, served from the cache when the same HTML was made into a PDF within
    ``timeout`` seconds."""
    html = render_to_string(template, context)
    key = "pdf:" + hashlib.sha256(html.encode()).hexdigest()
    pdf = cache.get(key)
    if pdf is None:
        pdf = pdf_from_html(html)
        cache.set(key, pdf, timeout)
    return pdf
