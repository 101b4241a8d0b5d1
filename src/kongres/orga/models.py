"""Who may do what in an edition's back office (roles), the edition's back-office settings, and
the audit log of every organiser action and status change. Changes go through ``services.py``."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Edition


class EditionRole(models.Model):
    """One role of one user in one edition. Superusers are administrators of every edition
    without a row here."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator")
        REGISTRATION_MANAGER = "registration_manager", _("registration manager")
        EDITOR = "editor", _("editor (content only)")
        CHECKIN_STAFF = "checkin_staff", _("check-in staff")

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="orga_roles", verbose_name=_("edition")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="edition_roles",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("granted"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )

    class Meta:
        verbose_name = _("role in an edition")
        verbose_name_plural = _("roles in editions")
        ordering = ["edition", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "user", "role"], name="orga_editionrole_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.edition}"


class EditionSettings(models.Model):
    """Back-office settings of an edition (kept here so the events app stays untouched)."""

    edition = models.OneToOneField(
        Edition, on_delete=models.CASCADE, related_name="orga_settings", verbose_name=_("edition")
    )
    requires_two_factor = models.BooleanField(
        _("requires two-factor authentication"),
        default=False,
        help_text=_("Organisers must confirm a code from an authenticator app to open its pages."),
    )

    class Meta:
        verbose_name = _("back-office settings")
        verbose_name_plural = _("back-office settings")

    def __str__(self) -> str:
        return str(self.edition)


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
