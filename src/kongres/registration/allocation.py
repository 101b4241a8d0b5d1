"""How an edition gives its places: first come, first served (the default), or an application
window then a draw (``lottery.py`` is the draw, ``services/draw.py`` applies it). The models are
imported by ``models.py`` (they belong to the registration app)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kongres.core.models import TimeStampedModel
from kongres.events.models import Edition
from kongres.registration.choices import Sector, Voivodeship


class Allocation(TimeStampedModel):
    """An edition's allocation mode. Without a row (or in ``first_come``) nothing changes.

    In ``draw`` mode, until the edition's draw is done a participant's registration holds no
    seat: it stays on the waiting list (``waiting_unverified``, then ``waiting`` once the
    address is confirmed), and the waiting list offers nothing (``selectors.seats_closed``).
    The draw then gives the free seats in drawn order and ranks the rest of the list. The seed
    is made when the mode is set (``services.draw.allocation_configure``), its SHA-256
    (``commitment``) published at once, the seed itself only after the draw."""

    class Mode(models.TextChoices):
        FIRST_COME = "first_come", _("first come, first served")
        DRAW = "draw", _("application window, then a draw")

    edition = models.OneToOneField(
        Edition, on_delete=models.CASCADE, related_name="allocation", verbose_name=_("edition")
    )
    mode = models.CharField(
        _("allocation of places"), max_length=20, choices=Mode.choices, default=Mode.FIRST_COME
    )
    window_opens_at = models.DateTimeField(_("applications open"), null=True, blank=True)
    window_closes_at = models.DateTimeField(_("applications close"), null=True, blank=True)
    draw_at = models.DateTimeField(_("draw time"), null=True, blank=True)
    waiting_list_size = models.PositiveIntegerField(
        _("length of the waiting list"),
        null=True,
        blank=True,
        help_text=_("Empty: everybody not drawn stays on the waiting list."),
    )
    seed = models.CharField(_("seed"), max_length=64, blank=True, editable=False)  # hex, secret
    commitment = models.CharField(_("commitment (SHA-256 of the seed)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("allocation of places")
        verbose_name_plural = _("allocations of places")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_opens_at__isnull=True)
                | models.Q(window_closes_at__isnull=True)
                | models.Q(window_closes_at__gt=models.F("window_opens_at")),
                name="allocation_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(draw_at__isnull=True)
                | models.Q(window_closes_at__isnull=True)
                | models.Q(draw_at__gte=models.F("window_closes_at")),
                name="allocation_draw_after_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.get_mode_display()}"


class AllocationQuota(models.Model):
    """A minimum and/or maximum share of the places for one sector or one voivodeship."""

    class Dimension(models.TextChoices):
        SECTOR = "sector", _("sector")
        VOIVODESHIP = "voivodeship", _("voivodeship")

    VALUES = {"sector": Sector, "voivodeship": Voivodeship}

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("allocation")
    )
    dimension = models.CharField(_("by"), max_length=20, choices=Dimension.choices)
    value = models.CharField(_("group"), max_length=30)
    min_percent = models.PositiveSmallIntegerField(_("at least (%)"), null=True, blank=True)
    max_percent = models.PositiveSmallIntegerField(_("at most (%)"), null=True, blank=True)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["dimension", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "dimension", "value"], name="allocation_quota_unique"
            ),
            models.CheckConstraint(
                condition=(models.Q(min_percent__isnull=True) | models.Q(min_percent__lte=100))
                & (models.Q(max_percent__isnull=True) | models.Q(max_percent__lte=100))
                & (
                    models.Q(min_percent__isnull=True)
                    | models.Q(max_percent__isnull=True)
                    | models.Q(min_percent__lte=models.F("max_percent"))
                ),
                name="allocation_quota_shares_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}={self.value}: {self.min_percent}-{self.max_percent}%"

    @property
    def label(self) -> str:
        choices = self.VALUES.get(self.dimension)
        return str(dict(choices.choices).get(self.value, self.value)) if choices else self.value


class PriorityGroup(models.Model):
    """People the organisers put before (tier > 0) or after (tier < 0) the others in the draw,
    named by their e-mail addresses (one a line; compared normalised, as duplicates are)."""

    allocation = models.ForeignKey(
        Allocation,
        on_delete=models.CASCADE,
        related_name="priority_groups",
        verbose_name=_("allocation"),
    )
    name = models.CharField(_("name"), max_length=200)
    tier = models.SmallIntegerField(
        _("priority"), default=1, help_text=_("Higher is drawn first; 0 is everybody else.")
    )
    emails = models.TextField(_("e-mail addresses"), blank=True, help_text=_("One a line."))

    class Meta:
        verbose_name = _("priority group")
        verbose_name_plural = _("priority groups")
        ordering = ["-tier", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tier:+d})"


class Draw(models.Model):
    """An edition's draw, done once, in one transaction with everything it changes (the row
    exists only once the draw is complete: a draw killed halfway leaves nothing). It keeps what
    is published: the seed, the algorithm, the places and quotas, the entries in drawn order.
    The result mails follow in batches (``DrawEntry.mailed``, set in the transaction that
    queues the mail: each is queued once, even after a kill)."""

    class State(models.TextChoices):
        DONE = "done", _("done")

    edition = models.OneToOneField(
        Edition, on_delete=models.CASCADE, related_name="draw", verbose_name=_("edition")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DONE)
    algorithm = models.CharField(_("algorithm"), max_length=40)
    seed = models.CharField(_("seed"), max_length=64)
    commitment = models.CharField(_("commitment"), max_length=64)
    places = models.PositiveIntegerField(_("places drawn"))
    day_places = models.JSONField(_("places per day"), default=dict, blank=True)
    quotas = models.JSONField(_("quotas"), default=list, blank=True)
    done_at = models.DateTimeField(_("drawn at"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run by"),
    )

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")

    def __str__(self) -> str:
        return f"{self.edition}: {self.algorithm} ({self.done_at:%Y-%m-%d %H:%M})"


class DrawEntry(models.Model):
    """One application as the draw saw it: the pseudonymous number and what the draw used, and
    what it gave (the outcome; a winner's days)."""

    class Outcome(models.TextChoices):
        PLACE = "place", _("place")
        WAITING = "waiting", _("waiting list")
        NOT_DRAWN = "not_drawn", _("not drawn")

    draw = models.ForeignKey(
        Draw, on_delete=models.CASCADE, related_name="entries", verbose_name=_("draw")
    )
    registration = models.OneToOneField(
        "registration.Registration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="draw_entry",
        verbose_name=_("registration"),
    )
    number = models.PositiveIntegerField(_("applicant number"))
    sector = models.CharField(_("sector"), max_length=30, blank=True)
    voivodeship = models.CharField(_("voivodeship"), max_length=20, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0)
    days = models.JSONField(_("days"), default=list, blank=True)  # day ids applied for
    # the winner's days: those applied for that still had a place (``kongres-draw-2``)
    days_given = models.JSONField(_("days given"), default=list, blank=True)
    rank = models.PositiveIntegerField(_("place in drawn order"))
    outcome = models.CharField(_("result"), max_length=10, choices=Outcome.choices)
    position = models.PositiveIntegerField(_("waiting-list position"), null=True, blank=True)
    mailed = models.BooleanField(_("result mailed"), default=False)

    class Meta:
        verbose_name = _("draw entry")
        verbose_name_plural = _("draw entries")
        ordering = ["draw", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "number"], name="draw_entry_number_unique"),
            models.UniqueConstraint(fields=["draw", "rank"], name="draw_entry_rank_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.rank} ({self.outcome})"
