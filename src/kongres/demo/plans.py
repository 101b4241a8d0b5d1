"""What the demo edition has planned before the congress, so that a newcomer sees it in the back
office: a reconfirmation round ("Are you still coming?" a week before, the deadline two days
before; those who do not answer are only flagged) and the three usual scheduled mails of
``campaigns.presets`` (a reminder a week before and the practical information the day before,
to every confirmed participant; a thank-you the day after, to those who came).

Each is made once, when missing (a mail by its Polish name): running the demo again changes
nothing, an organiser's changes to them stay, and moving the demo's dates moves their times
with the edition (they are relative to it). The mails are rows of the model rather than the
service's ``scheduled_mail_create``, which refuses a time already past (the archived
``--as-published`` mode, the congress that ended yesterday of ``--after``).
``scheduled_step`` of ``demo --after`` sends those whose time has come."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation

from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.presets import PRESETS
from kongres.campaigns.selectors import scheduled_mail_recipients
from kongres.campaigns.services import scheduled_mail_send
from kongres.events.models import Edition
from kongres.registration.models import ReconfirmationRound
from kongres.registration.services.reconfirm import reconfirmation_configure

RECONFIRMATION = {
    "enabled": True,
    "days_before": 7,
    "reminder_after_days": 2,
    "deadline_days_before": 2,
    "warning_hours": 24,
    "on_no_answer": ReconfirmationRound.NoAnswer.FLAG,
}


def demo_plans_load(*, edition: Edition) -> int:
    """The round and the three mails of ``edition``, each made when missing; returns how many
    were made."""
    made = 0
    if not ReconfirmationRound.objects.filter(edition=edition).exists():
        reconfirmation_configure(edition=edition, **RECONFIRMATION)
        made += 1
    have = set(ScheduledMail.objects.filter(edition=edition).values_list("name", flat=True))
    for preset in PRESETS.values():
        with translation.override("pl"):  # the organisers' name of the mail, in Polish
            name = str(preset["name"])
        if name not in have:
            ScheduledMail.objects.create(edition=edition, **(preset | {"name": name}))
            made += 1
    return made


def scheduled_step(*, edition: Edition, now: dt.datetime | None = None) -> str:
    """``demo --after``: the planned mails whose time has come go, each as at its own time
    (the reminders to everyone confirmed, the thank-you to those who came); the others say
    when they go and to how many."""
    now = now or timezone.now()
    planned = ScheduledMail.objects.filter(
        edition=edition, status=ScheduledMail.Status.SCHEDULED
    ).select_related("edition")
    sent = copies = 0
    waiting = []
    for mail in planned:
        if mail.send_at <= now:
            copies += scheduled_mail_send(scheduled=mail, now=mail.send_at)
            sent += 1
        else:
            count = scheduled_mail_recipients(edition=edition, audience=mail.audience).count()
            when = mail.send_at  # in the edition's time zone
            waiting.append(f"{mail.name} at {when:%Y-%m-%d %H:%M} to {count} ({mail.audience})")
    line = f"Scheduled mails: {sent} sent ({copies} copies)"
    for each in waiting:
        line += f"\n  planned:       {each}"
    return line
