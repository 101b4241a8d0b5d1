import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from kongres.accounts.models import EditionRole
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import RegistrationFactory

PASSWORD = "hasło-testowe-123"


@pytest.fixture(autouse=True)
def _polish():
    """Each test starts in Polish (a request to /en/ leaves English active in the thread)."""
    with translation.override("pl"):
        yield


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=2)
    DayFactory(edition=edition)
    TrackFactory(edition=edition, name_pl="Rewitalizacja", name_en="Revitalisation")
    return edition


def make_user(username: str, *, superuser: bool = False):
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username, f"{username}@example.org", PASSWORD)
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD)


@pytest.fixture
def role_user(edition):
    """``role_user("registration_manager")``: a user with that role in ``edition``."""

    def make(role: str | None, name: str | None = None):
        user = make_user(name or f"user-{role or 'none'}")
        if role:
            EditionRole.objects.create(edition=edition, user=user, role=role)
        return user

    return make


@pytest.fixture
def manager(role_user):
    return role_user("registration_manager")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def register(edition, verified=True, **data):
    """A registration through the services for the edition's only day; ``data`` are answers."""
    return RegistrationFactory(
        edition=edition,
        verified=verified,
        **{f"data__{key}": value for key, value in data.items()},
        data__day_ids=[edition.days.get().pk],
    )
