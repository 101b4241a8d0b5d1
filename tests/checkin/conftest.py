"""Check-in fixtures: an edition of two days starting today, its gates, staff, and
registrations made through the registration services (an organiser adds them, so they are
confirmed at once)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from kongres.accounts.models import EditionRole
from kongres.checkin.models import Gate
from kongres.registration.services import RegistrationData, registration_create
from tests.factories import DayFactory, EditionFactory

PASSWORD = "bramka-wejściowa-2026"


@pytest.fixture(autouse=True)
def _polish():
    """Each test starts in Polish (a request to /en/ leaves English active in the thread)."""
    with translation.override("pl"):
        yield


@pytest.fixture
def edition(db):
    today = timezone.localdate()
    edition = EditionFactory(
        start_date=today, end_date=today + dt.timedelta(days=1), capacity=50, title_pl="Kongres"
    )
    DayFactory(edition=edition, date=today, name_pl="Dzień pierwszy", name_en="Day one")
    DayFactory(
        edition=edition,
        date=today + dt.timedelta(days=1),
        name_pl="Dzień drugi",
        name_en="Day two",
    )
    return edition


@pytest.fixture
def day1(edition):
    return edition.days.order_by("date")[0]


@pytest.fixture
def day2(edition):
    return edition.days.order_by("date")[1]


@pytest.fixture
def gates(edition):
    return [
        Gate.objects.create(edition=edition, name="Brama 1", order=1),
        Gate.objects.create(edition=edition, name="Brama 2", order=2),
    ]


@pytest.fixture
def organiser(db):
    return get_user_model().objects.create_superuser(
        username="organizator", password=PASSWORD, first_name="Olga", last_name="Organizatorka"
    )


@pytest.fixture
def staff(edition):
    user = get_user_model().objects.create_user(
        username="bramkarz", password=PASSWORD, first_name="Piotr", last_name="Bramkarz"
    )
    EditionRole.objects.create(edition=edition, user=user, role=EditionRole.Role.CHECKIN_STAFF)
    return user


@pytest.fixture
def register(edition, organiser):
    """``register(first_name=..., days=[day], ...)`` → a confirmed registration (for every
    day unless ``days`` says otherwise), its secret link's token on ``registration.token``."""
    counter = iter(range(1, 10_000))

    def make(*, days=None, on=None, over_capacity=True, **fields):
        n = next(counter)
        target = on or edition
        if days is None:
            days = list(target.days.all())
        data = RegistrationData(
            first_name=fields.pop("first_name", "Anna"),
            last_name=fields.pop("last_name", f"Nowak {n}"),
            email=fields.pop("email", f"osoba{n}@example.org"),
            institution=fields.pop("institution", "Urząd Miasta Krakowa"),
            sector=fields.pop("sector", "local_government"),
            day_ids=[day.pk for day in days],
            privacy_consent=True,
            **fields,
        )
        registration, token = registration_create(
            edition=target, data=data, actor=organiser, over_capacity=over_capacity
        )
        registration.token = token  # the secret link (as tests.factories does)
        return registration

    return make
