"""Staff sessions end by themselves (security review 2026-12, L5): after a time without
activity (shorter on a check-in phone) and a fixed time after signing in; passwords of at
least 12 characters. The stored times are moved back, nothing sleeps."""

import datetime as dt
import io
import time

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from kongres.accounts.middleware import CHECKIN, SEEN_AT, SIGNED_IN_AT
from kongres.accounts.models import EditionRole
from kongres.accounts.organisers import demo_organiser_ensure
from tests.factories import DayFactory, EditionFactory

pytestmark = pytest.mark.django_db
PASSWORD = "hasło-testowe-123"
MINUTE = 60


@pytest.fixture(autouse=True)
def _polish():
    with translation.override("pl"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def edition():
    today = timezone.localdate()
    edition = EditionFactory(start_date=today, end_date=today + dt.timedelta(days=1))
    DayFactory(edition=edition, date=today)
    return edition


def user_with(edition, role, username):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD)
    EditionRole.objects.create(edition=edition, user=user, role=role)
    return user


@pytest.fixture
def manager_client(client, edition):
    client.force_login(user_with(edition, EditionRole.Role.REGISTRATION_MANAGER, "kierownik"))
    return client


@pytest.fixture
def door_client(client, edition):
    client.force_login(user_with(edition, EditionRole.Role.CHECKIN_STAFF, "bramkarz"))
    assert client.get("/checkin/").status_code == 200  # the phone opens the check-in page
    return client


def set_times(client, **ago_seconds):
    """Move the session's stored times back by the given seconds."""
    session = client.session
    now = int(time.time())
    for key, ago in ago_seconds.items():
        session[{"seen": SEEN_AT, "signed_in": SIGNED_IN_AT}[key]] = now - ago
    session.save()


def orga_page(client):
    return client.get(reverse("orga:index"))


def test_settings_default_to_30_minutes_15_at_the_door_and_12_hours(settings):
    assert settings.KONGRES_SESSION_IDLE == 30 * MINUTE
    assert settings.KONGRES_SESSION_IDLE_CHECKIN == 15 * MINUTE
    assert settings.KONGRES_SESSION_MAX_AGE == settings.SESSION_COOKIE_AGE == 12 * 3600


def test_an_active_staff_session_stays_and_its_activity_is_recorded(manager_client):
    assert orga_page(manager_client).status_code == 200
    set_times(manager_client, seen=29 * MINUTE, signed_in=11 * 3600)

    assert orga_page(manager_client).status_code == 200

    session = manager_client.session
    assert SESSION_KEY in session
    assert int(time.time()) - session[SEEN_AT] < 5
    assert not session.get(CHECKIN)


def test_an_idle_staff_session_is_signed_out(manager_client):
    assert orga_page(manager_client).status_code == 200
    set_times(manager_client, seen=31 * MINUTE)

    response = orga_page(manager_client)

    assert response.status_code == 302
    assert SESSION_KEY not in manager_client.session
    assert orga_page(manager_client).status_code == 302  # and stays signed out
    login = manager_client.get(response.url, follow=True)
    assert "Wylogowano po 30 min bez aktywności" in login.content.decode()


def test_a_session_ends_12_hours_after_signing_in_however_active(manager_client):
    assert orga_page(manager_client).status_code == 200
    set_times(manager_client, seen=1 * MINUTE, signed_in=12 * 3600 + MINUTE)

    response = orga_page(manager_client)

    assert response.status_code == 302
    assert SESSION_KEY not in manager_client.session
    login = manager_client.get(response.url).content.decode()
    assert "Sesja wygasła: od zalogowania minęło 12 h. Zaloguj się ponownie." in login


def test_the_idle_time_is_configurable(manager_client, settings):
    settings.KONGRES_SESSION_IDLE = 5 * MINUTE
    assert orga_page(manager_client).status_code == 200
    set_times(manager_client, seen=6 * MINUTE)

    assert orga_page(manager_client).status_code == 302


def test_a_checkin_phone_is_signed_out_sooner(door_client):
    assert door_client.session[CHECKIN] is True
    set_times(door_client, seen=14 * MINUTE)
    search = reverse("checkin:api-search")
    assert door_client.get(search, {"q": "Nowak"}).status_code == 200

    set_times(door_client, seen=16 * MINUTE)
    response = door_client.get(search, {"q": "Nowak"})

    assert response.status_code == 403
    assert response.json()["code"] == "login"
    assert SESSION_KEY not in door_client.session
    login = door_client.get("/checkin/", follow=True)
    assert login.redirect_chain[-1][0].startswith(reverse("checkin:login"))
    assert "Wylogowano po 15 min bez aktywności. Zaloguj się ponownie." in login.text


def test_the_checkin_counts_refreshing_by_themselves_are_no_activity(door_client):
    set_times(door_client, seen=10 * MINUTE)
    stored = door_client.session[SEEN_AT]

    assert door_client.get(reverse("checkin:api-counts")).status_code == 200

    assert door_client.session[SEEN_AT] == stored
    set_times(door_client, seen=16 * MINUTE)
    assert door_client.get(reverse("checkin:api-counts")).status_code == 403


# -- passwords ------------------------------------------------------------------------------------


def test_an_11_character_password_is_refused_by_createorganiser(db):
    with pytest.raises(CommandError, match="co najmniej 12 znaków"):
        call_command("createorganiser", "anna@example.org", password="Kr0tkie-h4s", superuser=True)
    assert not get_user_model().objects.exists()

    call_command(
        "createorganiser",
        "anna@example.org",
        password="Dluzsze-h4slo",
        superuser=True,
        stdout=io.StringIO(),
    )
    assert get_user_model().objects.get().check_password("Dluzsze-h4slo")


def test_an_11_character_password_is_refused_by_the_password_change_form(client, edition):
    user = get_user_model().objects.create_superuser("szef", "szef@example.org", PASSWORD)
    client.force_login(user)

    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": "Kr0tkie-h4s", "new_password2": "Kr0tkie-h4s"},
    )

    assert response.status_code == 200
    assert "co najmniej 12 znaków" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_demo_organiser_password_satisfies_the_validators(tmp_path):
    demo = demo_organiser_ensure(data_dir=tmp_path)

    assert len(demo.password) >= 12
    validate_password(demo.password, user=demo.user)  # raises if not
