"""Exports of the participant list (the same segment as the list page): CSV and XLSX, with the
columns the organiser chooses.

Rows are read in chunks of plain values (no model instances); the days, panels and check-ins of
each chunk come in one query each. CSV is produced as a generator of bytes (for a
StreamingHttpResponse); XLSX is written row by row (``kongres.orga.xlsx``) to a temporary file,
which the view streams with a FileResponse. Memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kongres.checkin.models import CheckIn
from kongres.events.models import Day, Edition, Track
from kongres.orga.xlsx import xlsx_write
from kongres.registration.choices import AccessibilityNeed, MunicipalitySize, Sector, Voivodeship
from kongres.registration.models import Question, Registration
from kongres.registration.segments import registration_filter  # the one definition of a segment
from kongres.registration.selectors import question_list

CHUNK = 2000
BOM = "\ufeff"
ANSWER_PREFIX = "answer_"


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy translation or a str
    fields: tuple[str, ...] = ()  # the values() fields the column reads
    default: bool = True


# The fixed columns, in their order in the file. The organisers' questions follow as
# ``answer_<slug>``.
COLUMNS: tuple[Column, ...] = (
    Column("id", _("number"), ("pk",)),
    Column("status", _("status"), ("status",)),
    Column("first_name", _("first name"), ("first_name",)),
    Column("last_name", _("last name"), ("last_name",)),
    Column("email", _("e-mail address"), ("email",)),
    Column("institution", _("institution"), ("institution",)),
    Column("position", _("position"), ("position",)),
    Column("sector", _("sector"), ("sector",)),
    Column("town", _("town"), ("town",)),
    Column("voivodeship", _("voivodeship"), ("voivodeship",)),
    Column("municipality_size", _("size of the municipality"), ("municipality_size",)),
    Column("days", _("days")),
    Column("tracks", _("panels of interest")),
    Column("accessibility_needs", _("accessibility needs"), ("accessibility_needs",)),
    Column("accessibility_other", _("other accessibility needs"), ("accessibility_other",)),
    Column("dietary_needs", _("dietary needs"), ("dietary_needs",)),
    Column("language", _("language"), ("language",), default=False),
    Column("photo_consent", _("agrees to be photographed"), ("photo_consent",), default=False),
    Column("newsletter_consent", _("wants the newsletter"), ("newsletter_consent",), False),
    Column(
        "privacy_notice_version",
        _("privacy notice version"),
        ("privacy_notice_version",),
        default=False,
    ),
    Column("checked_in", _("checked in (days)"), default=False),
    Column("created_at", _("registered"), ("created_at",)),
    Column("confirmed_at", _("confirmed"), ("confirmed_at",), default=False),
)
COLUMN_KEYS = {column.key for column in COLUMNS}


def export_columns(*, edition: Edition) -> list[Column]:
    """Every column an export of ``edition`` can have: the fixed ones, then one per question."""
    questions = [
        Column(f"{ANSWER_PREFIX}{question.slug}", question.label, ("answers",), default=False)
        for question in question_list(edition=edition)
    ]
    return [*COLUMNS, *questions]


def export_columns_chosen(*, edition: Edition, keys: Sequence[str]) -> list[Column]:
    """The columns named in ``keys`` (unknown ones ignored), in the file's order; the default
    columns when none is named."""
    available = export_columns(edition=edition)
    wanted = set(keys)
    chosen = [column for column in available if column.key in wanted]
    return chosen or [column for column in available if column.default]


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _stamper(zone) -> Callable[[dt.datetime | None], str]:
    def stamp(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(zone)
        return f"{local.year:04}-{local.month:02}-{local.day:02} {local.hour:02}:{local.minute:02}"

    return stamp


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def _answer_text(question: Question, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, list):
        return "; ".join(question.choice_label(str(item)) for item in value)
    if question.choice_values:
        return question.choice_label(str(value))
    return str(value)


def _formatters(edition: Edition, columns: list[Column]) -> list[Callable[[dict, dict], str]]:
    """One function per column: (row values, extras of the row) -> cell text. Labels are
    looked up once here, in the active language."""
    statuses = _labels(Registration.Status)
    sectors = _labels(Sector)
    voivodeships = _labels(Voivodeship)
    sizes = _labels(MunicipalitySize)
    needs = _labels(AccessibilityNeed)
    languages = {"pl": gettext("Polish"), "en": gettext("English")}
    questions = {question.slug: question for question in question_list(edition=edition)}
    _stamp = _stamper(timezone.get_current_timezone())

    def field(name: str, labels: dict | None = None) -> Callable[[dict, dict], str]:
        if labels is None:
            return lambda row, extra: row[name]
        return lambda row, extra: labels.get(row[name], row[name])

    fixed: dict[str, Callable[[dict, dict], Any]] = {
        "id": lambda row, extra: row["pk"],
        "status": field("status", statuses),
        "sector": field("sector", sectors),
        "voivodeship": field("voivodeship", voivodeships),
        "municipality_size": field("municipality_size", sizes),
        "language": field("language", languages),
        "days": lambda row, extra: "; ".join(extra["days"]),
        "tracks": lambda row, extra: "; ".join(extra["tracks"]),
        "checked_in": lambda row, extra: "; ".join(extra["checked_in"]),
        "accessibility_needs": lambda row, extra: "; ".join(
            needs.get(value, value) for value in row["accessibility_needs"] or []
        ),
        "photo_consent": lambda row, extra: _yes_no(row["photo_consent"]),
        "newsletter_consent": lambda row, extra: _yes_no(row["newsletter_consent"]),
        "created_at": lambda row, extra: _stamp(row["created_at"]),
        "confirmed_at": lambda row, extra: _stamp(row["confirmed_at"]),
    }
    formatters = []
    for column in columns:
        if column.key in fixed:
            formatters.append(fixed[column.key])
        elif column.key.startswith(ANSWER_PREFIX):
            slug = column.key[len(ANSWER_PREFIX) :]
            question = questions[slug]
            formatters.append(
                lambda row, extra, slug=slug, question=question: _answer_text(
                    question, (row["answers"] or {}).get(slug)
                )
            )
        else:
            formatters.append(field(column.fields[0]))
    return formatters


def export_rows(
    *, edition: Edition, params: Mapping[str, Any], columns: list[Column]
) -> Iterator[list[Any]]:
    """The header row, then one row of cell texts per registration of the segment."""
    yield [str(column.label) for column in columns]
    keys = {column.key for column in columns}
    fields = sorted({"pk", *(name for column in columns for name in column.fields)})
    formatters = _formatters(edition, columns)
    day_names = {
        day.pk: day.name or day.date.isoformat() for day in Day.objects.filter(edition=edition)
    }
    track_names = {track.pk: str(track.name) for track in Track.objects.filter(edition=edition)}
    segment = registration_filter(edition=edition, params=params)
    # The days, panels and check-ins of the whole segment, one query each (a few integers a
    # row); then the rows themselves, read in chunks through a server-side cursor.
    pks = segment.order_by().values("pk")
    days = _many(Registration.days.through, pks, "day_id", day_names) if "days" in keys else {}
    tracks = (
        _many(Registration.tracks.through, pks, "track_id", track_names) if "tracks" in keys else {}
    )
    checked: dict[int, list[str]] = {}
    if "checked_in" in keys:
        for registration_id, day_id in (
            CheckIn.objects.filter(registration_id__in=pks, result=CheckIn.Result.OK)
            .order_by("day_id")
            .values_list("registration_id", "day_id")
            .distinct()
        ):
            checked.setdefault(registration_id, []).append(day_names.get(day_id, ""))
    empty = ()
    for row in segment.values(*fields).iterator(chunk_size=CHUNK):
        pk = row["pk"]
        extra = {
            "days": days.get(pk, empty),
            "tracks": tracks.get(pk, empty),
            "checked_in": checked.get(pk, empty),
        }
        yield [format_cell(row, extra) for format_cell in formatters]


def _many(through, pks: QuerySet, other: str, names: dict[int, str]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for registration_id, other_id in (
        through.objects.filter(registration_id__in=pks)
        .order_by(other)
        .values_list("registration_id", other)
        .iterator(chunk_size=CHUNK)
    ):
        found.setdefault(registration_id, []).append(names.get(other_id, ""))
    return found


# A text that starts like this is read as a formula by Excel and LibreOffice when they open a
# CSV file; in the file it gets a leading apostrophe, which makes it text (OWASP, "CSV
# Injection"). XLSX needs nothing: its cells are text cells (kongres.orga.xlsx).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as written to a CSV file: a text that starts like a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def export_csv(
    *, edition: Edition, params: Mapping[str, Any], columns: list[Column]
) -> Iterator[bytes]:
    """The CSV file in pieces of bytes: UTF-8 with a byte order mark (Excel then reads Polish
    letters right), comma separated, CRLF line ends, no cell a spreadsheet would read as a
    formula (``csv_cell``). Pieces of about 500 rows."""
    writer = csv.writer(_Echo())
    buffer: list[str] = [BOM]
    for number, row in enumerate(export_rows(edition=edition, params=params, columns=columns)):
        buffer.append(writer.writerow([csv_cell(value) for value in row]))
        if number % 500 == 0:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def export_xlsx(*, edition: Edition, params: Mapping[str, Any], columns: list[Column]) -> IO[bytes]:
    """The XLSX workbook in a temporary file (deleted when closed), positioned at its start."""
    rows = export_rows(edition=edition, params=params, columns=columns)
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the caller closes it)
    xlsx_write(file, title=gettext("Participants"), header=next(rows), rows=rows)
    file.seek(0)
    return file


def export_filename(*, edition: Edition, extension: str, now: dt.datetime | None = None) -> str:
    day = timezone.localtime(now or timezone.now()).strftime("%Y-%m-%d")
    name = gettext("participants")
    return f"{edition.slug}-{name}-{day}.{extension}"
