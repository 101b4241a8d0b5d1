"""No-shows after the event in the dashboard: by day, by sector and by the answer to the
reconfirmation, as tables and as the dashboard's SVG charts."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.checkin.models import CheckIn
from kongres.events.models import Day, Edition
from kongres.orga.noshow import no_show_rates
from kongres.registration.choices import Sector
from kongres.registration.models import Reconfirmation
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory


@pytest.fixture
def event(db):
    """Two days; four confirmed: an NGO person on both days (came on day 1 only), a business
    person on day 1 (came), an NGO person on day 2 (did not come), a local government person
    with no day chosen (expected both days, came on day 2). Then the event moves to the past."""
    today = timezone.localdate()
    edition = EditionFactory(capacity=10, start_date=today + dt.timedelta(days=20))
    # (registered before the edition had days: none chosen, expected every day)
    whole = RegistrationFactory(
        edition=edition, verified=True, data__sector=Sector.LOCAL_GOVERNMENT, data__day_ids=[]
    )
    first = DayFactory(edition=edition, date=edition.start_date, name_pl="Dzień 1")
    second = DayFactory(edition=edition, date=edition.end_date, name_pl="Dzień 2")

    def person(sector, days):
        return RegistrationFactory(
            edition=edition,
            verified=True,
            data__sector=sector,
            data__day_ids=[day.pk for day in days],
        )

    both = person(Sector.NGO, [first, second])
    business = person(Sector.BUSINESS, [first])
    ngo_day2 = person(Sector.NGO, [second])
    Reconfirmation.objects.create(registration=both, edition=edition, answer="coming")
    Reconfirmation.objects.create(registration=ngo_day2, edition=edition, asked_at=timezone.now())
    # the event is over: two days ago and yesterday
    shift = edition.start_date - (today - dt.timedelta(days=2))
    Edition.objects.filter(pk=edition.pk).update(
        start_date=edition.start_date - shift, end_date=edition.end_date - shift
    )
    for day in (first, second):
        Day.objects.filter(pk=day.pk).update(date=day.date - shift)
    first.refresh_from_db()
    second.refresh_from_db()
    edition.refresh_from_db()
    for registration, day in ((both, first), (business, first), (whole, second)):
        CheckIn.objects.create(
            nonce=uuid.uuid4().hex,
            edition=edition,
            day=day,
            registration=registration,
            result=CheckIn.Result.OK,
            scanned_at=timezone.now(),
        )
    return edition


def rows(rates):
    return [(rate.label, rate.expected, rate.absent) for rate in rates]


def test_the_rates_by_day_sector_and_reconfirmation(event):
    rates = no_show_rates(edition=event)
    # day 1: both, business, whole (3 expected; whole absent); day 2: both, ngo_day2, whole
    # (both and ngo_day2 absent)
    assert rows(rates.by_day) == [("Dzień 1", 3, 1), ("Dzień 2", 3, 2)]
    # most expected first
    assert rows(rates.by_sector) == [
        ("organizacja pozarządowa", 3, 2),
        ("samorząd terytorialny", 2, 1),
        ("biznes", 1, 0),
    ]
    assert rows(rates.by_reconfirmation) == [
        ("potwierdzili", 2, 1),
        ("zapytani, bez odpowiedzi", 1, 1),
        ("niepytani", 3, 1),
    ]
    assert (rates.total.expected, rates.total.absent, rates.total.percent) == (6, 3, 50.0)


def test_nothing_before_the_first_day(db):
    edition = EditionFactory(start_date=timezone.localdate() + dt.timedelta(days=3))
    DayFactory(edition=edition, date=edition.start_date)
    assert no_show_rates(edition=edition) is None


def test_the_dashboard_shows_them_with_charts(client, role_user, event):
    from kongres.accounts.models import EditionRole

    user = role_user(None, "viewer")
    EditionRole.objects.create(edition=event, user=user, role="admin")
    client.force_login(user)
    page = client.get(reverse("orga:dashboard", kwargs={"edition": event.slug})).content
    page = page.decode()
    assert "Niestawiennictwo" in page
    assert "50,0%" in page
    for name in ("noshow-day", "noshow-sector", "noshow-reconfirmation"):
        chart = reverse("orga:chart", kwargs={"edition": event.slug, "name": name})
        assert chart in page
        svg = client.get(chart)
        assert svg.status_code == 200
        assert svg["Content-Type"].startswith("image/svg+xml")
    day_svg = client.get(
        reverse("orga:chart", kwargs={"edition": event.slug, "name": "noshow-day"})
    ).content.decode()
    assert "Dzień 1" in day_svg and "Dzień 2" in day_svg


def test_no_chart_before_the_event(client, role_user, db):
    from kongres.accounts.models import EditionRole

    edition = EditionFactory()
    DayFactory(edition=edition, date=edition.start_date)
    user = role_user(None, "viewer")
    EditionRole.objects.create(edition=edition, user=user, role="admin")
    client.force_login(user)
    chart = reverse("orga:chart", kwargs={"edition": edition.slug, "name": "noshow-day"})
    assert client.get(chart).status_code == 404
