"""The reconfirmation round of an edition ("Are you still coming?") and each participant's
answer. The round, its mails and the deadline are run by ``services/reconfirm.py``; the models
are imported by ``models.py`` (they belong to the registration app)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.ics import edition_zone
from kongres.events.models import Edition


class ReconfirmationRound(TimeStampedModel):
    """An edition's reconfirmation round. ``days_before`` days before the first day (at 9:00 in
    the edition's time zone) every confirmed participant is asked whether they still come;
    those who have not answered get a reminder ``reminder_after_days`` later. The deadline is
    ``deadline_days_before`` days before the first day (9:00). At the deadline the seats of
    those who did not answer are released to the waiting list (``release``: only after a
    warning mail sent ``warning_hours`` before, and never sooner than ``warning_hours`` after
    it) or they are only flagged for the organisers (``flag``)."""

    class NoAnswer(models.TextChoices):
        RELEASE = "release", _("release their places to the waiting list (after a warning)")
        FLAG = "flag", _("only flag them for the organisers")

    edition = models.OneToOneField(
        Edition,
        on_delete=models.CASCADE,
        related_name="reconfirmation",
        verbose_name=_("edition"),
    )
    enabled = models.BooleanField(_("ask participants to reconfirm"), default=False)
    days_before = models.PositiveSmallIntegerField(_("ask (days before the first day)"), default=7)
    reminder_after_days = models.PositiveSmallIntegerField(_("remind after (days)"), default=2)
    deadline_days_before = models.PositiveSmallIntegerField(
        _("deadline (days before the first day)"), default=2
    )
    warning_hours = models.PositiveSmallIntegerField(
        _("warning before the deadline (hours)"), default=24
    )
    on_no_answer = models.CharField(
        _("when someone does not answer"),
        max_length=10,
        choices=NoAnswer.choices,
        default=NoAnswer.FLAG,
    )

    class Meta:
        verbose_name = _("reconfirmation round")
        verbose_name_plural = _("reconfirmation rounds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline_days_before__lt=models.F("days_before")),
                name="reconfirmation_deadline_after_asking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.days_before}/{self.deadline_days_before}"

    def _at(self, days_before: int) -> dt.datetime:
        day = self.edition.start_date - dt.timedelta(days=days_before)
        return dt.datetime.combine(day, dt.time(9), tzinfo=edition_zone(edition=self.edition))

    @property
    def asks_at(self) -> dt.datetime:
        return self._at(self.days_before)

    @property
    def reminds_at(self) -> dt.datetime:
        return self.asks_at + dt.timedelta(days=self.reminder_after_days)

    @property
    def deadline(self) -> dt.datetime:
        return self._at(self.deadline_days_before)

    @property
    def warns_at(self) -> dt.datetime:
        return self.deadline - dt.timedelta(hours=self.warning_hours)


class Reconfirmation(models.Model):
    """One participant's part in the round: asked, reminded, warned (each mail once: the time
    is set by a compare-and-set in the transaction that queues it), the answer, and what the
    deadline did (released or flagged)."""

    class Answer(models.TextChoices):
        NONE = "", _("no answer")
        COMING = "coming", _("coming")
        NOT_COMING = "not_coming", _("not coming")

    registration = models.OneToOneField(
        "registration.Registration",
        on_delete=models.CASCADE,
        related_name="reconfirmation",
        verbose_name=_("registration"),
    )
    edition = models.ForeignKey(
        Edition,
        on_delete=models.CASCADE,
        related_name="reconfirmations",
        verbose_name=_("edition"),
    )
    answer = models.CharField(
        _("answer"), max_length=10, choices=Answer.choices, blank=True, default=""
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    asked_at = models.DateTimeField(_("asked"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    released_at = models.DateTimeField(_("place released"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("flagged: no answer"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconfirmation")
        verbose_name_plural = _("reconfirmations")
        indexes = [
            models.Index(fields=["edition", "answer"], name="reconfirmation_edition_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.answer or '-'}"
