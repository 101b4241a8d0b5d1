"""No-shows after the event: of the confirmed participants expected on a day that has begun
(registered for that day, or for the whole congress when they chose no day), how many were not
checked in, by sector, by day and by their answer to the reconfirmation. One row per
(participant, day); read in two queries and counted here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from kongres.checkin.models import CheckIn
from kongres.events.ics import edition_zone
from kongres.events.models import Edition
from kongres.registration.choices import Sector
from kongres.registration.models import Reconfirmation, Registration


@dataclass(frozen=True)
class Rate:
    label: str
    expected: int
    absent: int

    @property
    def percent(self) -> float:
        return round(100 * self.absent / self.expected, 1) if self.expected else 0.0


@dataclass(frozen=True)
class NoShows:
    by_day: list[Rate]
    by_sector: list[Rate]
    by_reconfirmation: list[Rate]

    @property
    def total(self) -> Rate:
        return Rate(
            _("All"),
            sum(rate.expected for rate in self.by_day),
            sum(rate.absent for rate in self.by_day),
        )


def _reconfirmation_group(answer: str | None, asked: bool) -> str:
    if answer == Reconfirmation.Answer.COMING:
        return "coming"
    return "no_answer" if asked else "not_asked"


def no_show_rates(*, edition: Edition, today=None) -> NoShows | None:
    """The rates over the days that have begun (None before the first day)."""
    today = today or timezone.localdate(timezone=edition_zone(edition=edition))
    days = [day for day in edition.days.order_by("date") if day.date <= today]
    if not days:
        return None
    day_ids = {day.pk for day in days}
    people = Registration.objects.filter(
        edition=edition, status=Registration.Status.CONFIRMED
    ).values_list("pk", "sector", "reconfirmation__answer", "reconfirmation__asked_at")
    chosen: dict[int, set[int]] = defaultdict(set)
    for registration_id, day_id in Registration.days.through.objects.filter(
        registration__edition=edition, day_id__in=day_ids
    ).values_list("registration_id", "day_id"):
        chosen[registration_id].add(day_id)
    came = set(
        CheckIn.objects.filter(
            edition=edition, day_id__in=day_ids, result=CheckIn.Result.OK
        ).values_list("registration_id", "day_id")
    )
    any_days = set(
        Registration.days.through.objects.filter(registration__edition=edition).values_list(
            "registration_id", flat=True
        )
    )
    counts = {kind: defaultdict(lambda: [0, 0]) for kind in ("day", "sector", "reconfirmation")}
    for pk, sector, answer, asked_at in people:
        expected_days = chosen[pk] if pk in any_days else day_ids
        group = _reconfirmation_group(answer, asked_at is not None)
        for day_id in expected_days:
            absent = (pk, day_id) not in came
            for kind, key in (("day", day_id), ("sector", sector), ("reconfirmation", group)):
                counts[kind][key][0] += 1
                counts[kind][key][1] += absent
    sectors = dict(Sector.choices)
    groups = {
        "coming": _("reconfirmed"),
        "no_answer": _("asked, did not answer"),
        "not_asked": _("not asked"),
    }
    return NoShows(
        by_day=[
            Rate(day.name or day.date.isoformat(), *counts["day"].get(day.pk, (0, 0)))
            for day in days
        ],
        by_sector=sorted(
            (
                Rate(str(sectors.get(key, _("not given"))), *values)
                for key, values in counts["sector"].items()
            ),
            key=lambda rate: (-rate.expected, rate.label),
        ),
        by_reconfirmation=[
            Rate(str(label), *counts["reconfirmation"][key])
            for key, label in groups.items()
            if key in counts["reconfirmation"]
        ],
    )
