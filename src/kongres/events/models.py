"""The congress as data: series, editions, venue, organisations, days, rooms, tracks, sessions,
speakers. Translated fields (``title`` → ``title_pl``, ``title_en``) are declared in
``translation.py``."""

from __future__ import annotations

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.core.validators import UploadedImageField, validate_uploaded_image

ROMAN = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]  # fmt: skip


def roman(number: int) -> str:
    out = []
    for value, letters in ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    slug = models.SlugField(_("slug"), unique=True)
    url = models.URLField(_("website"), blank=True)
    logo = UploadedImageField(
        _("logo"), upload_to="logos/", blank=True, validators=[validate_uploaded_image]
    )
    logo_alt = models.CharField(
        _("logo alternative text"),
        max_length=200,
        blank=True,
        help_text=_("What the logo says, for people who cannot see it."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Series(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.name


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    directions = models.TextField(_("how to get there"), blank=True, help_text=_("Markdown."))
    step_free_access = models.BooleanField(_("step-free access"), default=False)
    accessible_toilets = models.BooleanField(_("accessible toilets"), default=False)
    induction_loop = models.BooleanField(_("induction loop"), default=False)
    parking = models.BooleanField(_("parking"), default=False)
    quiet_room = models.BooleanField(_("quiet room"), default=False)
    accessibility = models.TextField(
        _("accessibility details"), blank=True, help_text=_("Markdown.")
    )

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class Edition(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        ARCHIVED = "archived", _("archived")

    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, related_name="editions", verbose_name=_("series")
    )
    ordinal = models.PositiveSmallIntegerField(_("ordinal"), validators=[MinValueValidator(1)])
    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    motto = models.CharField(_("motto"), max_length=300, blank=True)
    lead = models.TextField(_("lead"), blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    time_zone = models.CharField(_("time zone"), max_length=50, default="Europe/Warsaw")
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("venue")
    )
    host_city = models.CharField(_("host city"), max_length=100, blank=True)
    organisations = models.ManyToManyField(
        Organisation, through="EditionOrganisation", verbose_name=_("organisations")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    capacity = models.PositiveIntegerField(
        _("number of places"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    is_free = models.BooleanField(_("free of charge"), default=True)
    hold_minutes = models.PositiveIntegerField(
        _("hold time (minutes)"),
        default=120,
        help_text=_(
            "How long a seat is held for a new registration until its e-mail is confirmed."
        ),
    )
    offer_hours = models.PositiveIntegerField(
        _("offer time (hours)"),
        default=48,
        help_text=_("How long a freed seat offered to the waiting list stays reserved."),
    )
    requires_approval = models.BooleanField(
        _("registrations need approval"),
        default=False,
        help_text=_("Organisers approve each registration before its seat is confirmed."),
    )
    edit_deadline = models.DateTimeField(
        _("participants may edit their answers until"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["series", "ordinal"], name="edition_ordinal_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="edition_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:edition", kwargs={"slug": self.slug})

    @property
    def roman_ordinal(self) -> str:
        return roman(self.ordinal)

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    def is_past(self, today: date) -> bool:
        return self.end_date < today


class EditionOrganisation(models.Model):
    class Role(models.TextChoices):
        ORGANISER = "organiser", _("organiser")
        HOST_CITY = "host_city", _("host city")
        PARTNER = "partner", _("partner")
        MEDIA_PARTNER = "media_partner", _("media partner")

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("organisation's role")
        verbose_name_plural = _("organisations' roles")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "organisation", "role"], name="edition_organisation_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class Day(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(
        _("number of places on this day"),
        null=True,
        blank=True,
        help_text=_("Empty: only the edition's number of places applies."),
    )

    class Meta:
        verbose_name = _("day")
        verbose_name_plural = _("days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["edition", "date"], name="day_date_unique")]

    def __str__(self) -> str:
        return self.name or self.date.isoformat()


class Room(models.Model):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"))
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    accessibility = models.CharField(_("accessibility"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["venue", "slug"], name="room_slug_unique")]

    def __str__(self) -> str:
        return self.name


class Track(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"))
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "slug"], name="track_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Speaker(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), unique=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    bio = models.TextField(_("biography"), blank=True, help_text=_("Markdown."))
    photo = UploadedImageField(
        _("photo"), upload_to="speakers/", blank=True, validators=[validate_uploaded_image]
    )
    photo_alt = models.CharField(_("photo alternative text"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:speaker", kwargs={"slug": self.slug})


class Session(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("plenary")
        PANEL = "panel", _("panel")
        WORKSHOP = "workshop", _("workshop")
        BREAK = "break", _("break")

    class SignupMode(models.TextChoices):
        OPEN = "open", _("open, no sign-up")
        SIGNUP = "signup", _("sign-up for a place")
        REQUIRED = "required", _("sign-up required to enter")

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=250)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PANEL)
    track = models.ForeignKey(
        Track,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("track"),
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("room"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    moderators = models.ManyToManyField(
        Speaker, blank=True, related_name="moderated_sessions", verbose_name=_("moderators")
    )
    speakers = models.ManyToManyField(
        Speaker, blank=True, related_name="sessions", verbose_name=_("speakers")
    )
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("pl", _("Polish")), ("en", _("English"))],
        default="pl",
    )
    capacity = models.PositiveIntegerField(
        _("number of places"),
        null=True,
        blank=True,
        help_text=_("Empty: the room's number of places (if any) limits sign-ups."),
    )
    # Places in the session (issue 18): the sign-ups and their counter live in the registration
    # app (``registration.SessionPlaces``, ``registration.SessionSignup``); changes of the mode,
    # the capacity or the room go through ``session_settings_change``
    # (``registration.services.session_settings``).
    signup_mode = models.CharField(
        _("sign-up"), max_length=10, choices=SignupMode.choices, default=SignupMode.OPEN
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "room__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "slug"], name="session_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:session", kwargs={"slug": self.slug})

    @property
    def takes_signups(self) -> bool:
        return self.signup_mode != self.SignupMode.OPEN

    @property
    def places_capacity(self) -> int | None:
        """The number of places sign-ups may take: the session's, else its room's; None: no
        limit."""
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room_id is not None else None
