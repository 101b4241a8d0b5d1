"""The audit log: who did what, when, to which object, with the values before and after.
Written by ``services.audit_log`` inside the transaction of the change it records; read through
``selectors.py``. The table keeps its first name (``orga_auditlogentry``): the model moved here
from the back office so that every domain app can write to it without importing the back office.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Edition


class AuditLogEntry(models.Model):
    """Who did what, when, to which object, with the values before and after."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60)
    edition = models.ForeignKey(
        Edition,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_log",
        verbose_name=_("edition"),
        db_index=False,  # orga_audit_edition_idx starts with it
    )
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        db_table = "orga_auditlogentry"
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="orga_audit_object_idx"),
            models.Index(fields=["edition", "-at"], name="orga_audit_edition_idx"),
            models.Index(fields=["action"], name="orga_audit_action_idx"),  # no LIKE index
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or '—'}: {self.action}"

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that differs."""
        keys = list(dict.fromkeys([*self.before, *self.after]))
        return [
            (key, self.before.get(key), self.after.get(key))
            for key in keys
            if self.before.get(key) != self.after.get(key)
        ]
