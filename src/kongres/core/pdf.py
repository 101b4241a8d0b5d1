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
``<title>`` makes an inaccessible PDF, which ``tests/checkin/test_pdf_tagged.py`` catches.

``pdf_fonts_shared`` lets the PDFs made inside it share WeasyPrint's font configuration
(fontconfig's set-up and the fonts it has opened and measured): 48 → 28 ms of CPU for a
certificate, measured in December 2026. ``kongres worker`` makes every PDF of its tasks inside
one (the mails' attachments: tickets, certificates); a web request makes its PDF with a
configuration of its own, as before."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

CACHE_SECONDS = 24 * 3600
PDF_VARIANT = "pdf/ua-1"

# The font configuration of ``pdf_fonts_shared``; none outside it (WeasyPrint then makes one
# for each document). A ContextVar, not a global: a thread started inside does not see it.
_shared_fonts: ContextVar[FontConfiguration | None] = ContextVar("pdf_fonts", default=None)


@contextmanager
def pdf_fonts_shared() -> Iterator[None]:
    """The PDFs made inside, in this thread, share one font configuration. For a process that
    makes many PDFs one after the other (the worker, a bench). Our templates load no web
    fonts (``@font-face``), so a document cannot change what the next one gets: only the
    system's fonts, opened once. Fonts installed meanwhile are seen at the next start."""
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 -- as in pdf_from_html

    token = _shared_fonts.set(FontConfiguration())
    try:
        yield
    finally:
        _shared_fonts.reset(token)


def pdf_from_html(html: str) -> bytes:
    # WeasyPrint is imported when a process first makes a PDF, not with the site: it weighs
    # about 40 MB, which an app server that never makes one (most of them, in a rush) is spared.
    from weasyprint import HTML  # noqa: PLC0415
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    # A bare TLS context: WeasyPrint's fetcher otherwise builds a default one, loading the
    # system's certificates (about 0.1 s, half the time of a one-page PDF), for HTTPS that
    # ``allowed_protocols`` never lets it use.
    fetcher = URLFetcher(
        allowed_protocols={"data"}, timeout=1, ssl_context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    )
    return HTML(string=html, url_fetcher=fetcher, base_url="data:,").write_pdf(
        pdf_variant=PDF_VARIANT, font_config=_shared_fonts.get()
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
