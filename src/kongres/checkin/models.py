"""Gates and check-ins (every scan, accepted or refused). Tickets belong to registrations
(``registration.Ticket``). Who may check people in is a role (``accounts.EditionRole``,
"check-in staff"). Every change goes through ``services.py``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kongres.core.validators import UploadedImageField, validate_uploaded_image
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


class CertificateTemplate(models.Model):
    """What an edition's certificates of attendance say besides the facts (text blocks in
    Polish and English) and who signs them (up to two signatures as images, each with its
    alternative text). Edited by organisers in the back office; one per edition, made on
    first use with empty blocks (the PDF then says only the facts)."""

    edition = models.OneToOneField(
        Edition,
        on_delete=models.CASCADE,
        related_name="certificate_template",
        verbose_name=_("edition"),
    )
    intro_pl = models.TextField(_("opening text (Polish)"), blank=True)
    intro_en = models.TextField(_("opening text (English)"), blank=True)
    closing_pl = models.TextField(_("closing text (Polish)"), blank=True)
    closing_en = models.TextField(_("closing text (English)"), blank=True)
    signature_1_name = models.CharField(_("first signatory"), max_length=150, blank=True)
    signature_1_role_pl = models.CharField(
        _("first signatory's position (Polish)"), max_length=200, blank=True
    )
    signature_1_role_en = models.CharField(
        _("first signatory's position (English)"), max_length=200, blank=True
    )
    signature_1_image = UploadedImageField(
        _("first signature (image)"),
        upload_to="certificates/signatures/",
        blank=True,
        validators=[validate_uploaded_image],
    )
    signature_1_alt_pl = models.CharField(
        _("first signature's alternative text (Polish)"), max_length=200, blank=True
    )
    signature_1_alt_en = models.CharField(
        _("first signature's alternative text (English)"), max_length=200, blank=True
    )
    signature_2_name = models.CharField(_("second signatory"), max_length=150, blank=True)
    signature_2_role_pl = models.CharField(
        _("second signatory's position (Polish)"), max_length=200, blank=True
    )
    signature_2_role_en = models.CharField(
        _("second signatory's position (English)"), max_length=200, blank=True
    )
    signature_2_image = UploadedImageField(
        _("second signature (image)"),
        upload_to="certificates/signatures/",
        blank=True,
        validators=[validate_uploaded_image],
    )
    signature_2_alt_pl = models.CharField(
        _("second signature's alternative text (Polish)"), max_length=200, blank=True
    )
    signature_2_alt_en = models.CharField(
        _("second signature's alternative text (English)"), max_length=200, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")

    def __str__(self) -> str:
        return str(self.edition)


class Certificate(models.Model):
    """A certificate of attendance: issued to a registration with accepted check-ins, with
    the days attended (and the programme's hours on each) as they were at issue. ``code``
    (128 random bits) is the key of the public verification page; ``serial`` is the number
    printed on it, ``<edition>/<number>``. At most one valid certificate per registration: a
    re-issued one (say after a name correction) supersedes the old, which then says so."""

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        REVOKED = "revoked", _("revoked")
        SUPERSEDED = "superseded", _("superseded by a new certificate")

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("edition")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=_("registration"),
    )
    number = models.PositiveIntegerField(_("number"))
    code = models.CharField(_("verification code"), max_length=40, unique=True)
    holder_name = models.CharField(_("name on the certificate"), max_length=201)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    # [{"day": <pk>, "date": "YYYY-MM-DD", "minutes": <programme minutes that day or null>,
    #   "sessions": [{"session": <pk>, "title": {"pl": …, "en": …}, "starts": "HH:MM",
    #                 "ends": "HH:MM"}, …]}]  (sessions scanned into that day; certificates
    #   issued before sessions were listed have no "sessions")
    attendance = models.JSONField(_("days attended"), default=list)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VALID
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=300, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
    )

    class Meta:
        verbose_name = _("certificate of attendance")
        verbose_name_plural = _("certificates of attendance")
        ordering = ["edition", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "number"], name="checkin_certificate_number_unique"
            ),
            models.UniqueConstraint(
                fields=["registration"],
                condition=models.Q(status="valid"),
                name="checkin_certificate_one_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    def get_absolute_url(self) -> str:
        return reverse("checkin:certificate-verify", kwargs={"code": self.code})

    @property
    def serial(self) -> str:
        return f"{self.edition.slug.upper()}/{self.number:05d}"

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID

    @property
    def code_grouped(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def dates(self) -> list[dt.date]:
        return [dt.date.fromisoformat(day["date"]) for day in self.attendance]

    @property
    def minutes_total(self) -> int:
        return sum(day.get("minutes") or 0 for day in self.attendance)
