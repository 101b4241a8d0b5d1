"""Read a PDF's accessibility back with pdfium (pypdfium2): whether it is tagged (the
catalogue's /MarkInfo /Marked true, and a /StructTreeRoot, which pdfium finds from the pages),
its /Lang, its title (and whether viewers are told to show it), and the structure tree's
element types and alternative texts."""

from __future__ import annotations

import ctypes
import re
import zlib
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium


@dataclass
class Accessibility:
    marked: bool
    struct_tree_root: bool
    language: str
    title: str
    display_title: bool
    structure: list[str] = field(default_factory=list)  # element types, depth first
    alt_texts: list[str] = field(default_factory=list)  # of /Figure elements


def _utf16(getter, *args) -> str:
    size = getter(*args, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    kind = getter.argtypes[len(args)] if getter.argtypes else ctypes.c_void_p
    getter(*args, ctypes.cast(buffer, kind), size)
    return buffer.raw[: size - 2].decode("utf-16-le")


def _walk(element, found: Accessibility) -> None:
    kind = _utf16(pdfium.FPDF_StructElement_GetType, element)
    found.structure.append(kind)
    if kind == "Figure":
        found.alt_texts.append(_utf16(pdfium.FPDF_StructElement_GetAltText, element))
    for index in range(pdfium.FPDF_StructElement_CountChildren(element)):
        child = pdfium.FPDF_StructElement_GetChildAtIndex(element, index)
        if child:
            _walk(child, found)


def _objects(pdf: bytes) -> bytes:
    """The file's bytes with its compressed streams (object streams hold the catalogue)
    inflated after them."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def pdf_accessibility(pdf: bytes) -> Accessibility:
    document = pypdfium2.PdfDocument(pdf)
    raw = document.raw
    objects = _objects(pdf)
    found = Accessibility(
        marked=bool(pdfium.FPDFCatalog_IsTagged(raw)),
        struct_tree_root=b"/StructTreeRoot" in objects,
        language=_utf16(pdfium.FPDFCatalog_GetLanguage, raw),
        title=_utf16(pdfium.FPDF_GetMetaText, raw, b"Title"),
        # /ViewerPreferences /DisplayDocTitle: pdfium has no getter, the objects say it
        display_title=re.search(rb"/DisplayDocTitle\s+true", objects) is not None,
    )
    for page in document:
        tree = pdfium.FPDF_StructTree_GetForPage(page.raw)
        if not tree:
            continue
        for index in range(pdfium.FPDF_StructTree_CountChildren(tree)):
            _walk(pdfium.FPDF_StructTree_GetChildAtIndex(tree, index), found)
        pdfium.FPDF_StructTree_Close(tree)
    return found
