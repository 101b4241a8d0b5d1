"""The draw as a pure function (``registration.lottery``): property tests over random
populations and quotas, and the algorithm pinned by a known answer."""

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kongres.registration.lottery import (
    ALGORITHM,
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


@settings(max_examples=100, deadline=None)
@given(
    applicants_st,
    st.integers(0, 80),
    st.dictionaries(st.sampled_from([1, 2]), st.integers(0, 30)),
    seed_st,
)
def test_day_places_never_exceeded(applicants, places, day_places, seed):
    result = draw(applicants, places, seed, day_places=day_places)
    people = by_number(applicants)
    for day, limit in day_places.items():
        assert sum(day in people[n].days for n in result.winners) <= limit


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
    """A change here changes every published draw: give the algorithm a new version instead."""
    seed = bytes.fromhex("00" * 32)
    assert ALGORITHM == "kongres-draw-1"
    assert ticket(seed, 1).hex() == (
        __import__("hmac").new(seed, b"kongres-draw-1:1", "sha256").hexdigest()
    )
    assert commitment(seed) == "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    applicants = [Applicant(n, sector="ngo" if n % 3 == 0 else "business") for n in range(1, 11)]
    result = draw(applicants, 4, seed, [Quota("sector", "ngo", min_percent=50)])
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
