"""The usual three scheduled mails to start from: a reminder a week before, the practical
information and the ticket the day before (both to every confirmed participant), a thank-you
after the last day (to those who came: checked in on at least one day). The back office offers
them as presets (``orga/scheduled.py``) and the demo plans them (``demo/plans.py``). They are
organiser content, written here in Polish and English; the organisers change them as they
like."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from kongres.campaigns.models import ScheduledMail

PRESETS = {
    "week": {
        "name": _("Reminder a week before"),
        "anchor": "start",
        "offset_days": -7,
        "send_time": dt.time(9),
        "audience": ScheduledMail.Audience.CONFIRMED,
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
        "audience": ScheduledMail.Audience.CONFIRMED,
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
        "audience": ScheduledMail.Audience.CAME,
        "subject_pl": "Dziękujemy za udział w kongresie",
        "body_pl": "Dzień dobry {first_name},\n\ndziękujemy, że byliście z nami!",
        "subject_en": "Thank you for coming to the congress",
        "body_en": "Hello {first_name},\n\nthank you for being with us!",
    },
}
