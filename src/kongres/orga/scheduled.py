"""The back office's scheduled mails: the form and the usual three to start from (a reminder a
week before, the practical information and the ticket the day before, a thank-you after).
The presets are organiser content, written here in Polish and English; the organisers change
them as they like."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kongres.campaigns.models import ScheduledMail

PRESETS = {
    "week": {
        "name": _("Reminder a week before"),
        "anchor": "start",
        "offset_days": -7,
        "send_time": dt.time(9),
        "subject_pl": "Do zobaczenia za tydzień",
        "body_pl": (
            "Dzień dobry {first_name},\n\nprzypominamy, że kongres zaczyna się za tydzień. "
            "Swoją rejestrację zobaczysz i zmienisz tutaj: {personal_link}\n\n"
            "Jeśli nie możesz przyjść, anuluj rejestrację: ktoś z listy rezerwowej "
            "dostanie Twoje miejsce."
        ),
        "subject_en": "See you in a week",
        "body_en": (
            "Hello {first_name},\n\na reminder that the congress starts in a week. "
            "You can see and change your registration here: {personal_link}\n\n"
            "If you cannot come, please cancel: someone on the waiting list will get your "
            "place."
        ),
    },
    "day": {
        "name": _("Practical information the day before"),
        "anchor": "start",
        "offset_days": -1,
        "send_time": dt.time(10),
        "subject_pl": "Jutro kongres: informacje praktyczne i bilet",
        "body_pl": (
            "Dzień dobry {first_name},\n\ndo zobaczenia jutro! Rejestracja uczestników "
            "otwiera się godzinę przed początkiem obrad.\n\nTwój bilet (PDF z kodem QR do "
            "pokazania przy wejściu): {ticket}"
        ),
        "subject_en": "The congress is tomorrow: practical information and your ticket",
        "body_en": (
            "Hello {first_name},\n\nsee you tomorrow! The registration desk opens an hour "
            "before the first session.\n\nYour ticket (a PDF with the QR code to show at the "
            "door): {ticket}"
        ),
    },
    "thanks": {
        "name": _("Thank-you after"),
        "anchor": "end",
        "offset_days": 1,
        "send_time": dt.time(12),
        "subject_pl": "Dziękujemy za udział w kongresie",
        "body_pl": "Dzień dobry {first_name},\n\ndziękujemy, że byliście z nami!",
        "subject_en": "Thank you for coming to the congress",
        "body_en": "Hello {first_name},\n\nthank you for being with us!",
    },
}


class ScheduledMailForm(forms.Form):
    name = forms.CharField(label=_("Name (for the organisers)"), max_length=100)
    offset_days = forms.IntegerField(
        label=_("Days"),
        min_value=-365,
        max_value=365,
        help_text=_("Negative: before; positive: after; 0: on the day."),
    )
    anchor = forms.ChoiceField(label=_("Relative to"), choices=ScheduledMail.Anchor.choices)
    send_time = forms.TimeField(
        label=_("At (the edition's time zone)"), widget=forms.TimeInput(format="%H:%M")
    )
    subject_pl = forms.CharField(label=_("Subject (Polish)"), max_length=200)
    body_pl = forms.CharField(label=_("Message (Polish)"), widget=forms.Textarea(attrs={"rows": 8}))
    subject_en = forms.CharField(
        label=_("Subject (English)"),
        max_length=200,
        required=False,
        help_text=_("Leave both English fields empty to send the Polish text to everyone."),
    )
    body_en = forms.CharField(
        label=_("Message (English)"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )


def scheduled_initial(scheduled: ScheduledMail | None, preset: str = "") -> dict:
    if scheduled is not None:
        return {name: getattr(scheduled, name) for name in ScheduledMailForm.base_fields}
    values = dict(PRESETS.get(preset, {}))
    if "name" in values:
        values["name"] = str(values["name"])
    return values or {"anchor": "start", "offset_days": -7, "send_time": dt.time(9)}
