"""The back office's scheduled mails: the form, and the usual three to start from
(``campaigns.presets``: a reminder a week before, the practical information and the ticket the
day before, a thank-you after to those who came)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.presets import PRESETS

__all__ = ["PRESETS", "ScheduledMailForm", "scheduled_initial"]


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
    # not required: left out, a new mail goes to every confirmed participant and a planned
    # one keeps its own (the services' defaults); a value not among the choices is refused
    audience = forms.ChoiceField(
        label=_("To"),
        choices=ScheduledMail.Audience.choices,
        widget=forms.RadioSelect,
        required=False,
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
    return values or {
        "anchor": "start",
        "offset_days": -7,
        "send_time": dt.time(9),
        "audience": ScheduledMail.Audience.CONFIRMED,
    }
