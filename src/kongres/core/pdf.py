"""HTML → PDF with WeasyPrint, with no access to anything but ``data:`` URIs (the templates
carry their own CSS and QR images)."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def pdf_render(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1)
    return HTML(string=html, url_fetcher=fetcher, base_url="data:,").write_pdf()
