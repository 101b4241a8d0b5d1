"""The XLSX writer of the exports (kongres.orga.xlsx), read back with openpyxl."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from kongres.orga.xlsx import column_letters, xlsx_write


def written(**kwargs) -> bytes:
    file = io.BytesIO()
    xlsx_write(file, **kwargs)
    return file.getvalue()


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters(index, letters):
    assert column_letters(index) == letters


def test_a_sheet_of_many_rows_and_columns_reads_back_as_written():
    header = [f"kolumna {n}" for n in range(30)]
    rows = [[f"{row}/{column} zażółć" for column in range(30)] for row in range(1234)]
    data = written(title="Uczestnicy", header=header, rows=iter(rows))

    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.title == "Uczestnicy"
    assert sheet.freeze_panes == "A2"  # the header stays in view
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values == [header, *rows]
    assert sheet["AD1235"].value == "1233/29 zażółć"


def test_values_are_text_whatever_they_look_like():
    awkward = [
        '=HYPERLINK("http://example.org","klik")',  # a formula in a spreadsheet: not here
        "+48 600 000 000",
        "<b>&amp; \"cudzysłów\" 'apostrof'</b>",
        "  spacje na brzegach  ",
        "dwie\nlinie",
        "0042",
    ]
    data = written(title="T", header=["a"], rows=[[value] for value in awkward])

    sheet = load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == awkward
    assert {cell.data_type for cell in cells} == {"s"}


def test_characters_xml_cannot_hold_are_dropped_not_fatal():
    data = written(title="T", header=["a", "b"], rows=[["zero\x00bell\x07end\x1b", "tab\tok"]])

    sheet = load_workbook(io.BytesIO(data)).active
    assert [cell.value for cell in sheet[2]] == ["zerobellend", "tab\tok"]


def test_empty_values_are_no_cells_and_the_title_is_made_valid():
    data = written(
        title="Uczestnicy: [lista] / 2026 i jeszcze dłuższy tytuł",
        header=["a", "b", "c"],
        rows=[["", None, "x"], [None, None, None]],
    )

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet_xml.count("<c ") == 3 + 1
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Uczestnicy lista  2026 i jeszcze"[:31]
    assert len(sheet.title) <= 31
    assert sheet["C2"].value == "x" and sheet["A2"].value is None


def test_numbers_are_numbers_and_zero_is_a_value():
    data = written(title="T", header=["id", "n", "flag"], rows=[[42, 0, True], [7, 2.5, False]])

    sheet = load_workbook(io.BytesIO(data)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [42, 0, "True"],
        [7, 2.5, "False"],
    ]
    assert sheet["A2"].data_type == "n"
