"""Registrations for an edition, their secret links, the seat pools that make seats scarce, and
the organiser's own questions. Every state change goes through ``services.py``; the state
machine and the lock order are described there."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.models import Day, Edition, Session, Track
from kongres.registration.choices import MunicipalitySize, QuestionKind, Sector, Voivodeship

# Status values, spelled out once for the constraints (the sets of ``Status`` members follow the
# model below).
_SEAT_VALUES = ("held", "offered", "pending_approval", "confirmed")
_ACTIVE_VALUES = (*_SEAT_VALUES, "waiting_unverified", "waiting")
_FINAL_VALUES = ("expired", "cancelled", "rejected")
# The domain of the address an erased registration gets (GDPR, ``kongres.privacy``): reserved,
# never delivered to; messages to participants leave it out.
ERASED_DOMAIN = "erased.invalid"


class Registration(TimeStampedModel):
    class Status(models.TextChoices):
        HELD = "held", _("seat held, address not confirmed")
        WAITING_UNVERIFIED = "waiting_unverified", _("no seat, address not confirmed")
        WAITING = "waiting", _("on the waiting list")
        OFFERED = "offered", _("seat offered")
        PENDING_APPROVAL = "pending_approval", _("awaiting approval")
        CONFIRMED = "confirmed", _("confirmed")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")
        REJECTED = "rejected", _("rejected")

    edition = models.ForeignKey(
        Edition,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("edition"),
        db_index=False,  # registration_queue_idx starts with it
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.HELD
    )
    email = models.EmailField(_("e-mail address"))
    # The address as duplicates are found (``validators.email_key``: lower case, no ``+tag`` at
    # the domains that ignore it), set by the services; empty (NULL) on rows made without them,
    # which are then compared by ``lower(email)`` (the constraint below).
    email_key = models.CharField(  # noqa: DJ001 (NULL: the constraint falls back to lower(email))
        _("e-mail address, normalised"), max_length=254, null=True, blank=True, editable=False
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices, blank=True)
    town = models.CharField(_("town"), max_length=100, blank=True)
    voivodeship = models.CharField(
        _("voivodeship"), max_length=20, choices=Voivodeship.choices, blank=True
    )
    municipality_size = models.CharField(
        _("size of the municipality"), max_length=20, choices=MunicipalitySize.choices, blank=True
    )
    days = models.ManyToManyField(
        Day, blank=True, related_name="registrations", verbose_name=_("days attended")
    )
    tracks = models.ManyToManyField(
        Track, blank=True, related_name="registrations", verbose_name=_("panels of interest")
    )
    accessibility_needs = models.JSONField(
        _("accessibility needs"), default=list, blank=True, help_text=_("AccessibilityNeed values.")
    )
    accessibility_other = models.TextField(_("other accessibility needs"), blank=True)
    dietary_needs = models.TextField(_("dietary needs"), blank=True)
    privacy_consent_at = models.DateTimeField(_("privacy notice accepted"), null=True, blank=True)
    privacy_notice_version = models.CharField(
        _("version of the privacy notice accepted"), max_length=64, blank=True
    )
    photo_consent = models.BooleanField(_("agrees to be photographed"), default=False)
    newsletter_consent = models.BooleanField(_("wants the newsletter"), default=False)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    answers = models.JSONField(_("answers to the organisers' questions"), default=dict, blank=True)

    verified_at = models.DateTimeField(_("address confirmed"), null=True, blank=True)
    hold_expires_at = models.DateTimeField(_("confirm the address by"), null=True, blank=True)
    offered_at = models.DateTimeField(_("seat offered"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    ended_at = models.DateTimeField(_("cancelled or expired"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One active registration per address and edition (the second guard of "duplicate"),
            # the address normalised (``email_key``; ``Jan+x@gmail.com`` is ``jan@gmail.com``).
            models.UniqueConstraint(
                Coalesce("email_key", Lower("email")),
                "edition",
                condition=models.Q(status__in=_ACTIVE_VALUES),
                name="registration_active_email_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=_ACTIVE_VALUES + _FINAL_VALUES),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False),
                name="registration_held_has_deadline",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="offered") | models.Q(offer_expires_at__isnull=False),
                name="registration_offered_has_deadline",
            ),
        ]
        indexes = [
            models.Index(
                fields=["edition", "status", "verified_at"], name="registration_queue_idx"
            ),
            models.Index(fields=["status", "hold_expires_at"], name="registration_hold_due_idx"),
            models.Index(fields=["status", "offer_expires_at"], name="registration_offer_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def erased_email(self) -> str:
        """The address this registration gets when the person's data is erased."""
        return f"erased-{self.pk}@{ERASED_DOMAIN}"

    @property
    def is_erased(self) -> bool:
        return self.email.lower().endswith(f"@{ERASED_DOMAIN}")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_seat(self) -> bool:
        return self.status in SEAT_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_waiting(self) -> bool:
        return self.status in {self.Status.WAITING, self.Status.WAITING_UNVERIFIED}


# Statuses that occupy a seat (counted in the seat pools).
SEAT_STATUSES = frozenset(Registration.Status(value) for value in _SEAT_VALUES)
# Statuses of a live registration: at most one per address and edition.
ACTIVE_STATUSES = frozenset(Registration.Status(value) for value in _ACTIVE_VALUES)
# Statuses that end a registration for good.
FINAL_STATUSES = frozenset(Registration.Status(value) for value in _FINAL_VALUES)


class RegistrationToken(models.Model):
    """A secret link's key, kept only as its SHA-256 hash, with the salt it is derived from
    (``tokens.token_derive``). A registration has one live link, made again for every mail
    (``links.link_token``); only its owner replaces it (``links.link_tokens_replace``). Rows
    without a salt are links from before, kept until replaced or erased."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="tokens",
        verbose_name=_("registration"),
    )
    token_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    salt = models.CharField(_("salt"), max_length=32, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("secret link")
        verbose_name_plural = _("secret links")

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.token_hash[:8]}…"


class SeatPool(models.Model):
    """The seats of one scarce thing: the edition (``day`` empty) or one of its days.

    ``taken`` counts the registrations holding a seat (held, offered, awaiting approval,
    confirmed). A seat is taken with one conditional ``UPDATE … SET taken = taken + 1 WHERE
    taken < capacity``; the check constraint is the second guard. ``overbooked`` counts the seats
    beyond ``capacity`` that organisers gave on purpose (or kept when they lowered the capacity);
    it is always ``max(0, taken - capacity)``, and a freed seat first pays it back.
    ``capacity`` follows ``Edition.capacity``/``Day.capacity`` (empty: no limit) through
    ``services.edition_capacity_change`` and ``services.day_capacity_change``.
    """

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="seat_pools", verbose_name=_("edition")
    )
    day = models.OneToOneField(
        Day,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="seat_pool",
        verbose_name=_("day"),
    )
    capacity = models.PositiveIntegerField(_("number of places"), null=True, blank=True)
    taken = models.PositiveIntegerField(_("taken"), default=0)
    overbooked = models.PositiveIntegerField(_("given over capacity"), default=0)

    class Meta:
        verbose_name = _("seat pool")
        verbose_name_plural = _("seat pools")
        constraints = [
            models.UniqueConstraint(
                fields=["edition"],
                condition=models.Q(day__isnull=True),
                name="seatpool_one_per_edition",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True)
                | models.Q(taken__lte=models.F("capacity") + models.F("overbooked")),
                name="seatpool_taken_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        limit = "∞" if self.capacity is None else self.capacity
        return f"{self.day or self.edition}: {self.taken}/{limit}"

    @property
    def free(self) -> int | None:
        """Seats still free; None when there is no limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.taken, 0)


class Question(models.Model):
    """A question the organisers add to the form. Answers are stored in
    ``Registration.answers[slug]``: text and single → str, multiple → list of str, yesno → bool.
    A question with ``depends_on`` is asked only when that question's answer is
    ``depends_value`` (for yes/no: "yes" or "no"; for multiple: one of the values chosen)."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="questions", verbose_name=_("edition")
    )
    slug = models.SlugField(_("slug"), max_length=50)
    label = models.CharField(_("question"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT
    )
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('A list of {"value": ..., "label_pl": ..., "label_en": ...}.'),
    )
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    depends_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependants",
        verbose_name=_("asked only if the answer to"),
    )
    depends_value = models.CharField(_("is"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "slug"], name="question_slug_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE}:
            values = [c.get("value") for c in self.choices if isinstance(c, dict)]
            if not values or len(values) != len(self.choices) or not all(values):
                raise ValidationError(
                    {"choices": _('Give a list of choices, each with a "value" and labels.')}
                )
            if len(set(values)) != len(values):
                raise ValidationError({"choices": _("Each choice needs its own value.")})
        if self.depends_on_id is not None:
            if self.depends_on_id == self.pk:
                raise ValidationError({"depends_on": _("A question cannot depend on itself.")})
            if self.depends_on.edition_id != self.edition_id:
                raise ValidationError({"depends_on": _("Choose a question of the same edition.")})

    @property
    def choice_values(self) -> list[str]:
        return [str(choice["value"]) for choice in self.choices]

    def choice_label(self, value: str, language: str | None = None) -> str:
        """The label of one choice in ``language`` (default: the active one), Polish fallback."""
        language = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
        for choice in self.choices:
            if str(choice.get("value")) == str(value):
                return choice.get(f"label_{language}") or choice.get("label_pl") or str(value)
        return str(value)

    def is_asked(self, answers: dict) -> bool:
        """Whether the question applies, given the other answers."""
        if self.depends_on_id is None:
            return True
        given = answers.get(self.depends_on.slug)
        if isinstance(given, bool):
            given = "yes" if given else "no"
        if isinstance(given, list):
            return self.depends_value in [str(v) for v in given]
        return given is not None and str(given) == self.depends_value


class Ticket(models.Model):
    """The key a participant shows at the door. ``code`` is random (160 bits, base32, upper
    case: it fits the QR alphanumeric mode and survives a keyboard wedge); it says nothing about
    the person. A registration has at most one active ticket; re-issuing deactivates the old one,
    whose code is then refused."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="tickets",
        verbose_name=_("registration"),
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-pk"]
        db_table = "checkin_ticket"  # its first name (the model moved here from check-in)
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=models.Q(is_active=True),
                name="checkin_ticket_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | models.Q(revoked_at__isnull=False),
                name="checkin_ticket_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code[:4]}… ({self.registration.full_name})"

    @property
    def code_grouped(self) -> str:
        """The code in groups of four, for people to read out or type."""
        return " ".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


# -- places in sessions (issue 18) -------------------------------------------------------------

_SIGNUP_PLACE_VALUES = ("signed_up", "offered")
_SIGNUP_ACTIVE_VALUES = (*_SIGNUP_PLACE_VALUES, "waiting")
_SIGNUP_FINAL_VALUES = ("left", "expired", "released")


class SessionPlaces(models.Model):
    """The places of one session that takes sign-ups, counted like the edition's seats
    (``SeatPool``): ``taken`` counts the sign-ups holding a place (signed up, offered); a place
    is taken with one conditional ``UPDATE … SET taken = taken + 1 WHERE taken < capacity`` and
    the check constraint is the second guard. ``capacity`` follows ``Session.places_capacity``
    (the session's, else the room's; empty: no limit); ``overbooked`` counts the places kept
    beyond a capacity lowered under the sign-ups (a smaller room), paid back first when a place
    frees. The services are ``registration.services.sessions``."""

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="places", verbose_name=_("session")
    )
    capacity = models.PositiveIntegerField(_("number of places"), null=True, blank=True)
    taken = models.PositiveIntegerField(_("taken"), default=0)
    overbooked = models.PositiveIntegerField(_("kept over capacity"), default=0)

    class Meta:
        verbose_name = _("places in a session")
        verbose_name_plural = _("places in sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True)
                | models.Q(taken__lte=models.F("capacity") + models.F("overbooked")),
                name="sessionplaces_taken_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        limit = "∞" if self.capacity is None else self.capacity
        return f"{self.session}: {self.taken}/{limit}"

    @property
    def free(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.taken, 0)


class SessionSignup(models.Model):
    """A participant's sign-up for a session, or their place on its waiting list.

    ``signed_up`` and ``offered`` hold a place (counted in ``SessionPlaces.taken``);
    ``waiting`` queues by ``created_at``; ``left`` (by the participant), ``expired`` (an offer
    not taken in time) and ``released`` (the registration, or its day, was cancelled) are final.
    """

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        WAITING = "waiting", _("on the waiting list")
        OFFERED = "offered", _("place offered")
        LEFT = "left", _("left")
        EXPIRED = "expired", _("offer expired")
        RELEASED = "released", _("released with the registration")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="signups", verbose_name=_("session")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="session_signups",
        verbose_name=_("registration"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    offered_at = models.DateTimeField(_("place offered"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("session sign-up")
        verbose_name_plural = _("session sign-ups")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "registration"],
                condition=models.Q(status__in=_SIGNUP_ACTIVE_VALUES),
                name="sessionsignup_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=_SIGNUP_ACTIVE_VALUES + _SIGNUP_FINAL_VALUES),
                name="sessionsignup_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="offered") | models.Q(offer_expires_at__isnull=False),
                name="sessionsignup_offered_has_deadline",
            ),
        ]
        indexes = [
            models.Index(
                fields=["session", "status", "created_at"], name="sessionsignup_queue_idx"
            ),
            models.Index(fields=["registration", "status"], name="sessionsignup_person_idx"),
            models.Index(fields=["status", "offer_expires_at"], name="sessionsignup_offer_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.session_id}: {self.status}"

    @property
    def holds_place(self) -> bool:
        return self.status in SIGNUP_PLACE_STATUSES


SIGNUP_PLACE_STATUSES = frozenset(SessionSignup.Status(v) for v in _SIGNUP_PLACE_VALUES)
SIGNUP_ACTIVE_STATUSES = frozenset(SessionSignup.Status(v) for v in _SIGNUP_ACTIVE_VALUES)


# The allocation of places (first come, or a draw) lives in its own module; its models are the
# app's like the ones above.
from kongres.registration.allocation import (  # noqa: E402, F401
    Allocation,
    AllocationQuota,
    Draw,
    DrawEntry,
    PriorityGroup,
)
from kongres.registration.reconfirmation import (  # noqa: E402, F401
    Reconfirmation,
    ReconfirmationRound,
)
