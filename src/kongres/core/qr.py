"""QR codes of ticket codes (segno): SVG for pages and PDFs, PNG for mail and downloads."""

from __future__ import annotations

import base64
import io

import segno

# Medium error correction: a creased or partly covered paper ticket still reads.
ERROR = "m"


def _qr(code: str) -> segno.QRCode:
    return segno.make_qr(code, error=ERROR, boost_error=False)


def qr_svg(code: str, *, scale: int = 4, title: str = "", inline: bool = False) -> str:
    """An SVG document without XML declaration. ``inline``: for HTML, with a viewBox instead
    of a fixed width and height, so that CSS sizes it."""
    buffer = io.BytesIO()
    _qr(code).save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr",
        lineclass=None,
        omitsize=inline,
    )
    return buffer.getvalue().decode("utf-8")


def qr_png(code: str, *, scale: int = 8, border: int = 4) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_data_uri(code: str, *, scale: int = 8, border: int = 4) -> str:
    """The PNG as a ``data:`` URI (for WeasyPrint, and for mail clients that show them).
    ``scale=1`` gives one pixel per module, for a PDF that scales it up without smoothing."""
    png = qr_png(code, scale=scale, border=border)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def qr_svg_data_uri(code: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(code).encode()).decode("ascii")
