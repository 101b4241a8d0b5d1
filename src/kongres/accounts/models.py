"""Who may do what in an edition: per-edition roles of staff accounts (``EditionRole``) and
the edition's access settings (``EditionSettings``: two-factor authentication). The permission
table and its checks are ``roles.py``; changes go through ``services.py``. The tables keep their
first names (``orga_*``): the models moved here from the back office, which builds on them.
"""

from __future__ import annotations

from django.conf import settings
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
        db_table = "orga_editionrole"
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "user", "role"], name="orga_editionrole_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.edition}"


class EditionSettings(models.Model):
    """Access settings of an edition (kept beside the roles, so the events app stays untouched)."""

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
        db_table = "orga_editionsettings"

    def __str__(self) -> str:
        return str(self.edition)


class Invitation(models.Model):
    """An invitation to a role in an edition, sent by e-mail by one of its administrators. The
    link carries a one-time token; only its SHA-256 is kept. It is used once (accepted), or
    revoked, or it expires (``invitations.INVITATION_VALID_DAYS``)."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("edition")
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=30, choices=EditionRole.Role.choices)
    language = models.CharField(_("language"), max_length=10, default="pl")
    token_hash = models.CharField(_("token (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(_("valid until"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="accounts_invitation_accepted_or_revoked",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} @ {self.edition}"


class ApiToken(models.Model):
    """A key of the JSON API (``kongres.api``) for one edition, with its scopes. Only the
    SHA-256 of the secret is kept; the secret (``kgr_`` + 43 characters) is shown once, when
    the token is created (``accounts.services.api_token_create``)."""

    class Scope(models.TextChoices):
        READ_REGISTRATIONS = "read_registrations", _("read registrations")
        WRITE_REGISTRATIONS = "write_registrations", _("write registrations")
        CHECKIN = "checkin", _("check-in")
        MESSAGES = "messages", _("messages")

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("edition")
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(_("beginning of the key"), max_length=12)
    secret_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
