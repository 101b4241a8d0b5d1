"""Gates and check-ins (every scan, accepted or refused). Tickets belong to registrations
(``registration.Ticket``). Who may check people in is a role (``accounts.EditionRole``,
"check-in staff"). Every change goes through ``services.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.events.models import Day, Edition, Session
from kongres.registration.models import Registration, Ticket


class Gate(models.Model):
    """An entrance (or a desk) where staff scan tickets."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="gates", verbose_name=_("edition")
    )
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "name"], name="checkin_gate_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """One scan at the door and its answer. ``nonce`` comes from the scanning device, so that a
    resent scan is answered like the first. At most one accepted scan per registration and day
    (a re-issued ticket cannot let a person in twice)."""

    class Result(models.TextChoices):
        OK = "ok", _("checked in")
        UNKNOWN = "unknown", _("unknown code")
        REVOKED = "revoked", _("replaced by a new ticket")
        OTHER_EDITION = "other_edition", _("ticket for another edition")
        CANCELLED = "cancelled", _("registration cancelled")
        WAITING_LIST = "waiting_list", _("on the waiting list")
        NOT_CONFIRMED = "not_confirmed", _("registration not confirmed")
        NOT_TODAY = "not_today", _("not registered for this day")
        ALREADY_CHECKED_IN = "already_checked_in", _("already checked in")

    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("edition")
    )
    day = models.ForeignKey(
        Day, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("day")
    )
    code = models.CharField(_("code scanned"), max_length=64, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkins",
        verbose_name=_("ticket"),
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="checkins",
        verbose_name=_("registration"),
    )
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    gate = models.ForeignKey(
        Gate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkins",
        verbose_name=_("gate"),
    )
    device = models.CharField(_("device"), max_length=64, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    scanned_at = models.DateTimeField(_("scanned"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-scanned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "day"],
                condition=models.Q(result="ok"),
                name="checkin_once_per_day",
            ),
        ]
        indexes = [models.Index(fields=["day", "result"], name="checkin_day_result_idx")]

    def __str__(self) -> str:
        return f"{self.day}: {self.get_result_display()}"

    @property
    def is_ok(self) -> bool:
        return self.result == self.Result.OK


class SessionAttendance(models.Model):
    """One scan at the door of a session's room and its answer (the check-in page's "session
    / room" mode). As ``CheckIn``: idempotent by the device's ``nonce``, at most one accepted
    scan per registration and session. Kept and erased with the registration (an erased
    registration is anonymised, its attendance stays as a count)."""

    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    edition = models.ForeignKey(
        Edition,
        on_delete=models.CASCADE,
        related_name="session_attendance",
        verbose_name=_("edition"),
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("session")
    )
    code = models.CharField(_("code scanned"), max_length=64, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="session_attendance",
        verbose_name=_("ticket"),
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="session_attendance",
        verbose_name=_("registration"),
    )
    result = models.CharField(_("result"), max_length=20, choices=CheckIn.Result.choices)
    device = models.CharField(_("device"), max_length=64, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    scanned_at = models.DateTimeField(_("scanned"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    # a session's door has no gate: the answers of CheckIn's service read this
    gate = None

    class Meta:
        verbose_name = _("attendance at a session")
        verbose_name_plural = _("attendance at sessions")
        ordering = ["-scanned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"],
                condition=models.Q(result="ok"),
                name="checkin_session_attendance_once",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "result"], name="checkin_session_result_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session}: {self.get_result_display()}"

    @property
    def is_ok(self) -> bool:
        return self.result == CheckIn.Result.OK
