"""The draw as a pure function (``registration.lottery``): property tests over random
populations and quotas, and the algorithm pinned by a known answer."""

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kongres.registration.lottery import (
    ALGORITHM,
    ALGORITHMS,
    ALL_DAYS,
    Applicant,
    Quota,
    commitment,
    draw,
    minimums,
    ticket,
)

SECTORS = ["ngo", "business", "science", "local_government"]
VOIVODESHIPS = ["mazowieckie", "malopolskie", "slaskie", "pomorskie"]

applicants_st = st.lists(
    st.builds(
        lambda sector, voivodeship, priority, days: (sector, voivodeship, priority, days),
        st.sampled_from(SECTORS),
        st.sampled_from(VOIVODESHIPS),
        st.integers(-1, 2),
        st.sets(st.sampled_from([1, 2]), max_size=2),
    ),
    max_size=120,
).map(
    lambda rows: [
        Applicant(number=n, sector=s, voivodeship=v, priority=p, days=tuple(sorted(d)))
        for n, (s, v, p, d) in enumerate(rows, start=1)
    ]
)
seed_st = st.binary(min_size=16, max_size=32)


@st.composite
def sector_minimums(draw_):
    """Minimum shares for some sectors, summing to at most 100%."""
    chosen = draw_(st.lists(st.sampled_from(SECTORS), unique=True, max_size=4))
    shares, left = [], 100
    for sector in chosen:
        share = draw_(st.integers(0, left))
        left -= share
        shares.append(Quota("sector", sector, min_percent=share))
    return shares


@st.composite
def voivodeship_caps(draw_):
    chosen = draw_(st.lists(st.sampled_from(VOIVODESHIPS), unique=True, max_size=4))
    return [Quota("voivodeship", v, max_percent=draw_(st.integers(0, 100))) for v in chosen]


def by_number(applicants):
    return {a.number: a for a in applicants}


@settings(max_examples=200, deadline=None)
@given(applicants_st, st.integers(0, 80), seed_st, sector_minimums(), voivodeship_caps())
def test_places_never_exceeded_nobody_twice_caps_hold(applicants, places, seed, mins, caps):
    result = draw(applicants, places, seed, [*mins, *caps])
    assert len(result.winners) <= places
    assert len(set(result.winners)) == len(result.winners)
    assert sorted(result.winners + result.waiting) == sorted(a.number for a in applicants)
    assert not set(result.winners) & set(result.waiting)
    people = by_number(applicants)
    counted = Counter(people[n].voivodeship for n in result.winners)
    for cap in caps:
        assert counted[cap.value] <= cap.maximum(places)


@settings(max_examples=200, deadline=None)
@given(applicants_st, st.integers(0, 80), seed_st, sector_minimums())
def test_every_minimum_reached_when_enough_applicants(applicants, places, seed, mins):
    result = draw(applicants, places, seed, mins)
    people = by_number(applicants)
    counted = Counter(people[n].sector for n in result.winners)
    applied = Counter(a.sector for a in applicants)
    needs = minimums(mins, places)
    for quota in mins:
        # the share rounded up, or down at worst when rounding up would need too many places
        assert needs[quota.key] >= places * quota.min_percent // 100
        if sum(q.minimum(places) for q in mins) <= places:
            assert needs[quota.key] == quota.minimum(places)
        assert counted[quota.value] >= min(needs[quota.key], applied[quota.value])
    assert sum(needs.values()) <= places
    # nobody is left waiting while a place is free
    assert len(result.winners) == min(places, len(applicants))


day_places_st = st.dictionaries(st.sampled_from([1, 2, 3]), st.integers(0, 30))
days_applicants_st = st.lists(
    st.tuples(
        st.sampled_from(SECTORS),
        st.sampled_from(VOIVODESHIPS),
        st.integers(-1, 1),
        st.sets(st.sampled_from([1, 2, 3]), max_size=3),
    ),
    max_size=120,
).map(
    lambda rows: [
        Applicant(number=n, sector=s, voivodeship=v, priority=p, days=tuple(sorted(d)))
        for n, (s, v, p, d) in enumerate(rows, start=1)
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    days_applicants_st,
    st.integers(0, 80),
    day_places_st,
    seed_st,
    sector_minimums(),
    voivodeship_caps(),
    st.sampled_from(ALGORITHMS),
    st.randoms(),
)
def test_no_pool_over_its_places_and_the_same_result_again(
    applicants, places, day_places, seed, mins, caps, algorithm, rnd
):
    """The edition's pool and every day's pool stay within their places, in both versions,
    with quotas; a winner's days given are days applied for (all of them in version 1, at
    least one in version 2); the same input in any order gives the same result."""
    result = draw(applicants, places, seed, [*mins, *caps], day_places, algorithm)
    people = by_number(applicants)
    assert len(result.winners) <= places
    assert set(result.days) == set(result.winners)
    given = Counter(day for n in result.winners for day in result.days[n])
    for day, limit in day_places.items():
        assert given[day] <= limit
    for n in result.winners:
        days = result.days[n]
        assert set(days) <= set(people[n].days) and len(set(days)) == len(days)
        if algorithm == ALL_DAYS:
            assert days == people[n].days
        elif people[n].days:
            assert days
    counted = Counter(people[n].voivodeship for n in result.winners)
    for cap in caps:
        assert counted[cap.value] <= cap.maximum(places)
    shuffled = list(applicants)
    rnd.shuffle(shuffled)
    again = draw(shuffled, places, seed, [*caps, *mins], dict(day_places), algorithm)
    assert again == result


@settings(max_examples=200, deadline=None)
@given(days_applicants_st, st.integers(0, 80), day_places_st, seed_st)
def test_per_day_nobody_waits_while_one_of_their_days_and_a_place_are_free(
    applicants, places, day_places, seed
):
    """Version 2 gives every day it can, in drawn order: without maximums, an applicant waits
    only when the places are all given or every day they applied for is full; a winner lacks
    a day only when it is full."""
    result = draw(applicants, places, seed, day_places=day_places)
    people = by_number(applicants)
    given = Counter(day for n in result.winners for day in result.days[n])
    full = {day for day, limit in day_places.items() if given[day] >= limit}
    if len(result.winners) < places:
        for n in result.waiting:
            assert people[n].days and set(people[n].days) <= full
    for n in result.winners:
        assert set(people[n].days) - set(result.days[n]) <= full
    # the drawn order does not depend on the days
    assert result.order == draw(applicants, places, seed).order


@settings(max_examples=100, deadline=None)
@given(applicants_st, st.integers(0, 80), seed_st, sector_minimums(), voivodeship_caps())
def test_both_versions_agree_where_no_day_has_its_own_places(applicants, places, seed, m, c):
    assert draw(applicants, places, seed, [*m, *c], {}, ALL_DAYS) == draw(
        applicants, places, seed, [*m, *c], {}
    )


def test_per_day_example():
    """Day 1 has two places, day 2 has plenty; the edition has four. Drawn order (priorities
    make it plain): 1, 2, 3, 4, 5."""
    applicants = [
        Applicant(1, priority=5, days=(1,)),
        Applicant(2, priority=4, days=(1, 2)),
        Applicant(3, priority=3, days=(1, 2)),  # day 1 is full at their turn: day 2 only
        Applicant(4, priority=2, days=(1,)),  # only day 1, full: waits
        Applicant(5, priority=1, days=(2,)),
        Applicant(6, priority=0, days=(2,)),  # the edition's four places are given
    ]
    result = draw(applicants, 4, b"seed", day_places={1: 2, 2: 10})
    assert result.order == (1, 2, 3, 4, 5, 6)
    assert result.winners == (1, 2, 3, 5)
    assert result.days == {1: (1,), 2: (1, 2), 3: (2,), 5: (2,)}
    assert result.waiting == (4, 6)
    # version 1: all the days or none, so 3 waits and 6 gets the place
    first = draw(applicants, 4, b"seed", day_places={1: 2, 2: 10}, algorithm=ALL_DAYS)
    assert first.winners == (1, 2, 5, 6)
    assert first.days == {1: (1,), 2: (1, 2), 5: (2,), 6: (2,)}


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError):
        draw([Applicant(1)], 1, b"seed", algorithm="kongres-draw-9")


@settings(max_examples=100, deadline=None)
@given(applicants_st, st.integers(0, 80), seed_st, sector_minimums(), st.randoms())
def test_same_seed_same_result_whatever_the_input_order(applicants, places, seed, mins, rnd):
    shuffled = list(applicants)
    rnd.shuffle(shuffled)
    assert draw(applicants, places, seed, mins) == draw(shuffled, places, seed, mins)


@settings(max_examples=100, deadline=None)
@given(seed_st, seed_st)
def test_different_seed_different_order(seed, other):
    applicants = [Applicant(number=n) for n in range(1, 51)]
    if seed != other:  # 50! orders: equal ones would be a broken HMAC
        assert draw(applicants, 10, seed).order != draw(applicants, 10, other).order


@settings(max_examples=100, deadline=None)
@given(applicants_st, st.integers(0, 80), seed_st)
def test_priority_tiers_come_first(applicants, places, seed):
    result = draw(applicants, places, seed)
    people = by_number(applicants)
    priorities = [people[n].priority for n in result.order]
    assert priorities == sorted(priorities, reverse=True)


def test_known_answer_pins_the_algorithm():
    """A change here changes every published draw: give the algorithm a new version instead
    (version 2 changed the days given only: the tickets and this answer are version 1's)."""
    seed = bytes.fromhex("00" * 32)
    assert ALGORITHM == "kongres-draw-2" and ALGORITHMS == ("kongres-draw-1", "kongres-draw-2")
    assert ticket(seed, 1).hex() == (
        __import__("hmac").new(seed, b"kongres-draw-1:1", "sha256").hexdigest()
    )
    assert commitment(seed) == "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    applicants = [Applicant(n, sector="ngo" if n % 3 == 0 else "business") for n in range(1, 11)]
    for algorithm in ALGORITHMS:
        result = draw(applicants, 4, seed, [Quota("sector", "ngo", min_percent=50)], {}, algorithm)
        assert result.order == KNOWN_ORDER
        assert sum(n % 3 == 0 for n in result.winners) >= 2
        assert result.winners == KNOWN_WINNERS


KNOWN_ORDER = (1, 9, 7, 4, 2, 3, 5, 6, 10, 8)
KNOWN_WINNERS = (1, 9, 7, 3)


@pytest.mark.parametrize(
    "quota",
    [
        dict(dimension="age", value="x"),
        dict(dimension="sector", value="ngo", min_percent=101),
        dict(dimension="sector", value="ngo", min_percent=-1),
        dict(dimension="sector", value="ngo", min_percent=60, max_percent=40),
    ],
)
def test_bad_quota_refused(quota):
    with pytest.raises(ValueError):
        Quota(**quota)


def test_minimum_rounds_up_cap_rounds_down():
    assert Quota("sector", "ngo", min_percent=15).minimum(10) == math.ceil(1.5)
    assert Quota("sector", "ngo", max_percent=15).maximum(10) == 1


def test_minimums_rounded_up_fit_the_places_by_largest_remainder():
    quotas = [
        Quota("sector", "ngo", min_percent=1),
        Quota("sector", "local_government", min_percent=1),
    ]
    assert minimums(quotas, 1) == {("sector", "local_government"): 1, ("sector", "ngo"): 0}
    quotas = [Quota("sector", "ngo", min_percent=15), Quota("sector", "media", min_percent=85)]
    assert minimums(quotas, 10) == {("sector", "media"): 9, ("sector", "ngo"): 1}
    assert minimums([Quota("sector", "ngo", min_percent=15)], 10) == {("sector", "ngo"): 2}
