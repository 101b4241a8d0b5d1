"""The building blocks of the registration forms: fields that normalise what is typed, the
labels of days and choices, and the mixin that gives a form an accessible error summary and
field rows (``aria-describedby``, conditions between questions)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Day
from kongres.registration.choices import (
    AccessibilityNeed,
)
from kongres.registration.models import Registration
from kongres.registration.validators import normalise_line, normalise_text, validate_person_name


def _max_length(name: str, default: int = 200) -> int:
    return Registration._meta.get_field(name).max_length or default


class LineField(forms.CharField):
    """One line of text, normalised (NFC, single spaces, no control characters)."""

    def to_python(self, value):
        return normalise_line(super().to_python(value))


class TextField(forms.CharField):
    """Several lines of text, normalised."""

    def to_python(self, value):
        return normalise_text(super().to_python(value))


class NameField(LineField):
    default_validators = [validate_person_name]


class EmailField(forms.EmailField):
    """An e-mail address, trimmed; the domain part is lower-cased (it is case-insensitive)."""

    default_error_messages = {"invalid": _("Enter a valid e-mail address.")}

    def to_python(self, value):
        value = super().to_python(value)
        if "@" in value:
            local, _at, domain = value.rpartition("@")
            value = f"{local}@{domain.lower()}"
        return value


def day_label(day: Day) -> str:
    """ "Monday, 5 January 2027", or "Day one (Monday, 5 January 2027)"; Polish writes the
    weekday in small letters inside a sentence ("Dzień pierwszy (poniedziałek, …)")."""
    language = get_language() or ""
    when = date_format(day.date, "l, j E Y")
    if not day.name:
        return when
    if language.startswith("pl"):
        when = when[:1].lower() + when[1:]
    return f"{day.name} ({when})"


# "Other" in the accessibility needs: a box that asks for the text field; not a stored value
# unless the domain's choices have it.
OTHER_NEED = "other"
OTHER_NEED_STORED = OTHER_NEED in AccessibilityNeed.values


def accessibility_choices() -> list[tuple[str, str]]:
    choices = list(AccessibilityNeed.choices)
    if not OTHER_NEED_STORED:
        choices.append((OTHER_NEED, _("other (tell us below)")))
    return choices


def _choice_label(choice: dict, language: str) -> str:
    return str(choice.get(f"label_{language}") or choice.get("label_pl") or choice.get("value"))


@dataclass(frozen=True)
class Condition:
    """Ask ``field`` only when ``parent`` was answered with ``value``."""

    parent: str
    value: str
    hint: str


@dataclass(frozen=True)
class FieldRow:
    """A field as the page shows it: with the condition under which it is asked, and whether
    it is marked required."""

    field: forms.BoundField
    condition: Condition | None
    required: bool


@dataclass(frozen=True)
class SummaryError:
    anchor: str
    label: str
    message: str

    @property
    def text(self) -> str:
        """ "Label: message", without a colon after a label that is a question."""
        if not self.label:
            return self.message
        label = self.label.rstrip()
        separator = " " if label.endswith(("?", "!", ":", ".")) else ": "
        return f"{label}{separator}{self.message}"


class AccessibleFormMixin:
    """What the pages need to show a form accessibly: its fields as rows (with conditions and
    the "required" mark) and an error summary whose links lead to the fields."""

    conditions: dict[str, Condition] = {}

    def _row(self, name: str) -> FieldRow:
        field = self.fields[name]
        condition = self.conditions.get(name)
        required = field.required or (
            getattr(field, "is_required_answer", False) and condition is None
        )
        return FieldRow(field=self[name], condition=condition, required=required)

    def rows(self) -> list[FieldRow]:
        return [self._row(name) for name in self.fields]

    def display_order(self) -> list[str]:
        return list(self.fields)

    def error_summary(self) -> list[SummaryError]:
        """Every error, in the order of the page, each with the id of the field to jump to."""
        if not self.is_bound or not self.errors:
            return []
        out = [
            SummaryError(anchor="", label="", message=str(message))
            for message in self.non_field_errors()
        ]
        for name in self.display_order():
            if name not in self.errors:
                continue
            field = self.fields[name]
            bound = self[name]
            anchor = bound.auto_id
            if field.widget.use_fieldset:
                anchor = f"{bound.auto_id}_0"
            for message in self.errors[name]:
                label = str(getattr(field, "summary_label", field.label))
                out.append(SummaryError(anchor=anchor, label=label, message=str(message)))
        return out
