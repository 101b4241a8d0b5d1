"""A one-sheet XLSX workbook of text, written as it streams in: a bold header row kept in view
(frozen), then the rows, each value an inline string.

Why not openpyxl, which the project used first: its write-only mode spends about 11 µs a cell
in its cell writer, and the 50,000-row export of the bench (about 1.2 million cells) took 22 s
on the bench machine, against 4 s for the same rows as CSV. The spreadsheet format needs little
for a table of text (five small XML parts in a ZIP file), and writing the rows as strings here
takes well under a microsecond a cell. It is also safer: every value is a string, never a
formula (openpyxl makes a formula of any text that starts with "="), and characters that XML
cannot hold are dropped instead of failing the export.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO

# for writing XML (it escapes text); nothing here parses XML, the risk B406 is about
from xml.sax.saxutils import escape  # nosec B406

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0: the default; style 1: bold (the header).
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    _HEAD + f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews><sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"

# Characters XML 1.0 cannot hold (controls other than tab, line feed and carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SHEET_TITLE_MAX = 31  # Excel's limit
_TITLE_FORBIDDEN = dict.fromkeys(map(ord, "[]:*?/\\"))


def column_letters(index: int) -> str:
    """The letters of the 0-based column ``index``: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cell(reference: str, value: object, style: str = "") -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{reference}"{style}><v>{value!r}</v></c>'  # a number (the id)
    value = str(value)
    if _NOT_XML.search(value):  # rare: a regular expression's search is cheaper than a sub
        value = _NOT_XML.sub("", value)
    text = escape(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{reference}" t="inlineStr"{style}><is><t{space}>{text}</t></is></c>'


def _row(number: int, letters: Sequence[str], values: Sequence[object], style: str = "") -> str:
    cells = "".join(
        _cell(f"{column}{number}", value, style)
        for column, value in zip(letters, values, strict=False)
        if value is not None and value != ""  # an empty text is no cell at all
    )
    return f'<row r="{number}">{cells}</row>'


def xlsx_write(
    file: IO[bytes], *, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Write the workbook to ``file`` (open for writing, binary): one sheet named ``title``, the
    ``header`` in bold and frozen, then ``rows``: numbers (int, float) are numbers, anything
    else is text (None or "": an empty cell). The rows are written as they come: memory does
    not grow with their number."""
    title = title.translate(_TITLE_FORBIDDEN)[:SHEET_TITLE_MAX] or "Sheet1"
    letters = [column_letters(index) for index in range(len(header))]
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            buffer = [_SHEET_START, _row(1, letters, header, ' s="1"')]
            for number, row in enumerate(rows, start=2):
                buffer.append(_row(number, letters, row))
                if len(buffer) >= 500:
                    sheet.write("".join(buffer).encode())
                    buffer = []
            buffer.append(_SHEET_END)
            sheet.write("".join(buffer).encode())
