"""Messages from the organisers to a segment of participants (the participant list's filters),
in Polish and English. Each recipient's mail is an outbox row (``mail.OutboxMessage``) with
``related = "campaign:<id>"``: its delivery status is the recipient's."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.ics import edition_zone
from kongres.events.models import Edition


class Campaign(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        QUEUED = "queued", _("queued")

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="campaigns", verbose_name=_("edition")
    )
    segment = models.JSONField(
        _("recipients (filters)"), default=dict, blank=True, help_text=_("The list's filters.")
    )
    # Review 2026-12, M7: a message goes to confirmed participants only, and only to those who
    # agreed to the newsletter unless it is about their registration itself.
    transactional = models.BooleanField(
        _("about the registration itself"),
        default=False,
        help_text=_(
            "Practical information about the congress for confirmed participants: it goes also "
            "to those who did not agree to the newsletter."
        ),
    )
    subject_pl = models.CharField(_("subject (Polish)"), max_length=200)
    body_pl = models.TextField(_("message (Polish)"), help_text=_("Markdown or plain text."))
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queued by"),
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("message to participants")
        verbose_name_plural = _("messages to participants")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject_pl

    @property
    def mail_key(self) -> str:
        """The ``related`` value of this message's outbox rows."""
        return f"campaign:{self.pk}"


class ScheduledMail(TimeStampedModel):
    """A mail planned by time relative to the edition (a week before, the day before with the
    practical information and the ticket, a thank-you after), in Polish and English, to the
    edition's confirmed participants: all of them, those who came (checked in at the door on at
    least one day) or those who did not (``audience``, a segment of the participant list:
    ``selectors.AUDIENCE_SEGMENTS``). ``kongres worker`` queues it to the outbox when its time
    comes (``services.scheduled_mail_due``), once: the row is locked and marked sent in the
    transaction that queues its mails. It can be changed until then."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        SENT = "sent", _("sent")

    class Anchor(models.TextChoices):
        START = "start", _("the first day")
        END = "end", _("the last day")

    class Audience(models.TextChoices):
        CONFIRMED = "confirmed", _("every confirmed participant")
        CAME = "came", _("those who came (checked in on at least one day)")
        ABSENT = "absent", _("those who did not come (never checked in)")

    edition = models.ForeignKey(
        Edition,
        on_delete=models.CASCADE,
        related_name="scheduled_mails",
        verbose_name=_("edition"),
    )
    name = models.CharField(_("name"), max_length=100)
    anchor = models.CharField(
        _("relative to"), max_length=10, choices=Anchor.choices, default=Anchor.START
    )
    offset_days = models.SmallIntegerField(
        _("days"), default=-7, help_text=_("Negative: before; positive: after.")
    )
    send_time = models.TimeField(_("at (the edition's time zone)"), default=dt.time(9))
    audience = models.CharField(
        _("to"), max_length=10, choices=Audience.choices, default=Audience.CONFIRMED
    )
    subject_pl = models.CharField(_("subject (Polish)"), max_length=200)
    body_pl = models.TextField(_("message (Polish)"), help_text=_("Markdown or plain text."))
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    sent_at = models.DateTimeField(_("queued"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta:
        verbose_name = _("scheduled mail")
        verbose_name_plural = _("scheduled mails")
        ordering = ["edition", "anchor", "offset_days", "send_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="scheduled") | models.Q(sent_at__isnull=False),
                name="scheduled_mail_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def mail_key(self) -> str:
        """The ``related`` value of this mail's outbox rows."""
        return f"scheduled:{self.pk}"

    @property
    def send_at(self) -> dt.datetime:
        """When it goes: the anchor day plus the offset, at ``send_time``, in the edition's
        time zone."""
        day = self.edition.start_date if self.anchor == self.Anchor.START else self.edition.end_date
        return dt.datetime.combine(
            day + dt.timedelta(days=self.offset_days),
            self.send_time,
            edition_zone(edition=self.edition),
        )
