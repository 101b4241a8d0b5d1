"""Messages from the organisers to a segment of participants (the participant list's filters),
in Polish and English. Each recipient's mail is an outbox row (``mail.OutboxMessage``) with
``related = "campaign:<id>"``: its delivery status is the recipient's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
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
