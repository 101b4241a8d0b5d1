"""The allocation draw as a pure function: applications, places, quotas and a seed in; the drawn
order, the winners and the waiting list out. No database, no clock, no ``random``: the same
input gives the same result on any machine and any Python version, so that anybody can re-run a
published draw (``kongres draw verify``). docs: README, "Allocation by draw".

Algorithm ``kongres-draw-2``
============================

1. **Drawn order.** Every applicant gets a ticket,
   ``HMAC-SHA256(key=seed, message=b"kongres-draw-1:" + decimal applicant number)``, 32 bytes
   (the message keeps the prefix of version 1 in version 2: the drawn order did not change).
   The applicants are sorted by priority (higher first: the organisers' tiers), then by ticket
   (bytes, ascending), then by number (never needed: two equal tickets would be a SHA-256
   collision). This order does not depend on the order the applications are given in.
2. **Minimums.** Each quota with a minimum share needs ``ceil(places * min% / 100)`` winners of
   its group, unless the minimums of its dimension (sector, or voivodeship) rounded up would
   add up to more than the places: then each gets ``floor(places * min% / 100)`` and the places
   left go, one each, to the quotas with the largest fractional part (ties: the fixed order
   below) - the largest remainder method (``minimums``). The quotas are taken in a fixed
   order: sector quotas, then voivodeship quotas, each by value (the stored slug, ascending).
   For each one, the drawn order is walked and every applicant of the group not yet chosen who
   *fits* is chosen, until the group has its minimum or the applicants run out.
3. **General draw.** The drawn order is walked once more and every applicant not yet chosen who
   fits is chosen, until the places are given.
4. The waiting list is everybody not chosen, in drawn order.

An applicant *fits* while places remain, while no group of theirs with a maximum share would go
beyond ``floor(places * max% / 100)`` (caps hold in every step, minimums included), and while
at least one of the days they applied for has a place left (a day without its own number of
places always has); an applicant who applied for no day needs only the edition's place. A
chosen applicant gets the edition's place and a place on each day they applied for that still
has one at that moment (**days given**); the days already full are not theirs. So every pool
(the edition's places, each day's) is given in drawn order and never beyond its number.
A maximum can leave places empty: they go to the waiting list afterwards like any freed seat.
A minimum is reached whenever its group has enough applicants that fit; minimums of different
dimensions can compete (the earlier one in the fixed order wins).

``kongres-draw-1`` (the first version, still run to verify the draws made with it) differs in
one rule only: an applicant fits only while *every* day they applied for has a place left, and
gets all of them. Where no day has its own number of places both versions give the same result.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ALGORITHM = "kongres-draw-2"  # the version new draws use
ALL_DAYS = "kongres-draw-1"  # the first version: all the days applied for, or none
ALGORITHMS = (ALL_DAYS, ALGORITHM)  # the versions this program runs (and verifies)
TICKET_PREFIX = "kongres-draw-1"  # the tickets' message, the same in every version
DIMENSIONS = ("sector", "voivodeship")


@dataclass(frozen=True)
class Applicant:
    number: int  # pseudonymous: says nothing about the person
    sector: str = ""
    voivodeship: str = ""
    priority: int = 0  # higher is drawn first
    days: tuple[int, ...] = ()  # the days applied for, where days have their own places


@dataclass(frozen=True)
class Quota:
    dimension: str  # "sector" or "voivodeship"
    value: str
    min_percent: int | None = None
    max_percent: int | None = None

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise ValueError(f"unknown quota dimension {self.dimension!r}")
        for share in (self.min_percent, self.max_percent):
            if share is not None and not 0 <= share <= 100:
                raise ValueError(f"a share is a percentage from 0 to 100, not {share}")
        if (
            self.min_percent is not None
            and self.max_percent is not None
            and self.min_percent > self.max_percent
        ):
            raise ValueError("a minimum share above the maximum share")

    @property
    def key(self) -> tuple[str, str]:
        return (self.dimension, self.value)

    def minimum(self, places: int) -> int:
        return 0 if self.min_percent is None else math.ceil(places * self.min_percent / 100)

    def maximum(self, places: int) -> int | None:
        return None if self.max_percent is None else places * self.max_percent // 100


@dataclass(frozen=True)
class Result:
    order: tuple[int, ...]  # every applicant number, in drawn order
    winners: tuple[int, ...]  # the chosen, in drawn order
    waiting: tuple[int, ...]  # the others, in drawn order
    # each winner's days given (those applied for that still had a place), in their order
    days: Mapping[int, tuple[int, ...]] = field(default_factory=dict, hash=False)


def ticket(seed: bytes, number: int) -> bytes:
    """The applicant's ticket: step 1 of the algorithm."""
    return hmac.new(seed, f"{TICKET_PREFIX}:{number}".encode(), hashlib.sha256).digest()


def commitment(seed: bytes) -> str:
    """What is published before the draw: the SHA-256 of the seed, in hex."""
    return hashlib.sha256(seed).hexdigest()


def minimums(quotas: Iterable[Quota], places: int) -> dict[tuple[str, str], int]:
    """The winners each quota with a minimum needs (step 2): rounded up, or by the largest
    remainder where rounding up would need more than the places."""
    quotas = sorted(
        (q for q in quotas if q.min_percent is not None),
        key=lambda q: (DIMENSIONS.index(q.dimension), q.value),
    )
    needed: dict[tuple[str, str], int] = {}
    for dimension in DIMENSIONS:
        mine = [q for q in quotas if q.dimension == dimension]
        if sum(q.minimum(places) for q in mine) <= places:
            needed.update({q.key: q.minimum(places) for q in mine})
            continue
        base = {q.key: places * q.min_percent // 100 for q in mine}
        left = places - sum(base.values())
        by_remainder = sorted(mine, key=lambda q: -((places * q.min_percent) % 100))
        for quota in by_remainder:
            if left <= 0:
                break
            if (places * quota.min_percent) % 100:
                base[quota.key] += 1
                left -= 1
        needed.update(base)
    return needed


def drawn_order(applicants: Iterable[Applicant], seed: bytes) -> list[Applicant]:
    return sorted(applicants, key=lambda a: (-a.priority, ticket(seed, a.number), a.number))


def draw(
    applicants: Iterable[Applicant],
    places: int,
    seed: bytes,
    quotas: Iterable[Quota] = (),
    day_places: Mapping[int, int] | None = None,
    algorithm: str = ALGORITHM,
) -> Result:
    """Run the draw (``algorithm``: ``kongres-draw-2`` by default, or ``kongres-draw-1``;
    described above). ``day_places``: the places left on each day that has its own limit (a
    day not in it has none)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    applicants = list(applicants)
    if len({a.number for a in applicants}) != len(applicants):
        raise ValueError("applicant numbers must be unique")
    if places < 0:
        raise ValueError("places cannot be negative")
    quotas = sorted(quotas, key=lambda q: (DIMENSIONS.index(q.dimension), q.value))
    if len({q.key for q in quotas}) != len(quotas):
        raise ValueError("one quota per group")
    caps = {q.key: q.maximum(places) for q in quotas if q.max_percent is not None}
    order = drawn_order(applicants, seed)
    chosen: dict[int, tuple[int, ...]] = {}  # number: days given
    counts: Counter[tuple[str, str]] = Counter()
    days_left = dict(day_places or {})
    every_day = algorithm == ALL_DAYS

    def fits(applicant: Applicant) -> tuple[int, ...] | None:
        """The days the applicant would be given, or None when they do not fit."""
        if len(chosen) >= places:
            return None
        for dimension in DIMENSIONS:
            cap = caps.get((dimension, getattr(applicant, dimension)))
            if cap is not None and counts[(dimension, getattr(applicant, dimension))] >= cap:
                return None
        open_days = tuple(day for day in applicant.days if days_left.get(day, 1) > 0)
        if every_day:
            return applicant.days if open_days == applicant.days else None
        if applicant.days and not open_days:
            return None
        return open_days

    def choose(applicant: Applicant, days: tuple[int, ...]) -> None:
        chosen[applicant.number] = days
        for dimension in DIMENSIONS:
            counts[(dimension, getattr(applicant, dimension))] += 1
        for day in days:
            if day in days_left:
                days_left[day] -= 1

    needs = minimums(quotas, places)
    for quota in quotas:
        needed = needs.get(quota.key, 0)
        for applicant in order:
            if counts[quota.key] >= needed or len(chosen) >= places:
                break
            if (
                applicant.number not in chosen
                and getattr(applicant, quota.dimension) == quota.value
                and (days := fits(applicant)) is not None
            ):
                choose(applicant, days)
    for applicant in order:
        if len(chosen) >= places:
            break
        if applicant.number not in chosen and (days := fits(applicant)) is not None:
            choose(applicant, days)
    numbers = tuple(a.number for a in order)
    winners = tuple(n for n in numbers if n in chosen)
    return Result(
        order=numbers,
        winners=winners,
        waiting=tuple(n for n in numbers if n not in chosen),
        days={n: chosen[n] for n in winners},
    )
