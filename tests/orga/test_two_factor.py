"""Two-factor authentication in the back office: setting up an authenticator app (the code
computed here from the device's key, as the app would), the second step after the password,
and an edition that requires it sending an account without an app to the setup. Everything
around it (the admin, the check-in, recovery codes, the password again before a change):
tests/accounts/test_two_factor.py."""

import base64
import re
import time
from urllib.parse import quote

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kongres.accounts.models import EditionSettings
from kongres.audit.models import AuditLogEntry
from tests.orga.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, offset: int = 0) -> str:
    """The code an authenticator app shows now (``offset`` steps later)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset,
    )
    return str(value).zfill(device.digits)


def wrong_code(device: TOTPDevice) -> str:
    """A code valid in none of the steps the device accepts."""
    valid = {code(device, offset) for offset in range(-3, 4)}
    return next(c for c in (str(n).zfill(6) for n in range(1000000)) if c not in valid)


def login(client, user):
    return client.post(reverse("orga:login"), {"username": user.username, "password": PASSWORD})


def test_setup_shows_the_key_and_a_qr_code_then_accepts_the_current_code(client, manager):
    login(client, manager)  # the password entered just now: the setup needs no second one
    page = client.get(reverse("orga:two-factor-setup"))
    text = page.content.decode()
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    secret = re.search(r'<code class="orga-secret">([A-Z2-7 ]+)</code>', text).group(1)

    key = secret.replace(" ", "")
    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key
    qr = client.get(reverse("orga:two-factor-qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")

    wrong = client.post(reverse("orga:two-factor-setup"), {"token": wrong_code(device)})
    assert wrong.status_code == 200
    assert "Ten kod jest nieprawidłowy. Wpisz aktualny." in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    time.sleep(1.1)  # django-otp throttles: one second after a wrong code

    done = client.post(reverse("orga:two-factor-setup"), {"token": code(device)})
    assert done.status_code == 200  # the recovery codes, shown once
    assert done.content.decode().count('class="orga-recovery-code"') == 10
    device.refresh_from_db()
    assert device.confirmed
    assert AuditLogEntry.objects.filter(action="account.two_factor.enrol", actor=manager).exists()
    again = client.get(reverse("orga:two-factor-setup")).content.decode()
    assert "Twoje konto chroni aplikacja uwierzytelniająca." in again


def test_login_with_an_app_asks_for_the_code(client, manager, edition):
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    dashboard = reverse("orga:dashboard", kwargs={"edition": edition.slug})
    EditionSettings.objects.create(edition=edition, requires_two_factor=True)

    response = client.post(
        reverse("orga:login") + f"?next={dashboard}",
        {"username": manager.username, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('orga:two-factor')}?next={quote(dashboard, safe='')}"
    # the password alone does not open a page of an edition requiring two factors
    blocked = client.get(dashboard)
    assert blocked.status_code == 302
    assert blocked.url.startswith(reverse("orga:two-factor"))

    form = client.get(response.url).content.decode()
    assert 'autocomplete="one-time-code"' in form
    wrong = client.post(response.url, {"token": wrong_code(device), "next": dashboard})
    assert "Ten kod jest nieprawidłowy. Wpisz aktualny." in wrong.content.decode()
    assert client.get(dashboard).status_code == 302
    throttled = client.post(response.url, {"token": code(device), "next": dashboard})
    assert throttled.status_code == 200  # right code, but too soon after a wrong one
    time.sleep(1.1)

    right = client.post(response.url, {"token": code(device), "next": dashboard})
    assert right.status_code == 302
    assert right.url == dashboard
    assert client.get(dashboard).status_code == 200


def test_a_used_code_is_not_accepted_twice(client, manager):
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    login(client, manager)
    token = code(device)
    assert client.post(reverse("orga:two-factor"), {"token": token}).status_code == 302
    client.logout()
    login(client, manager)
    response = client.post(reverse("orga:two-factor"), {"token": token})
    assert response.status_code == 200  # replay refused (django-otp remembers the last step)


def test_edition_requiring_two_factor_sends_a_user_without_an_app_to_setup(
    client, manager, edition
):
    EditionSettings.objects.create(edition=edition, requires_two_factor=True)
    login(client, manager)
    participants = reverse("orga:registration-list", kwargs={"edition": edition.slug})

    response = client.get(participants)
    assert response.status_code == 302
    setup_link = f"{reverse('orga:two-factor-setup')}?next={quote(participants, safe='')}"
    assert response.url == setup_link
    page = client.get(reverse("orga:two-factor"), {"next": participants}).content.decode()
    assert "Twoje konto musi używać uwierzytelniania dwuskładnikowego, a nie ma" in page
    assert f'href="{setup_link}"' in page

    client.get(setup_link)
    device = TOTPDevice.objects.get(user=manager)
    done = client.post(setup_link, {"token": code(device), "next": participants})
    assert done.status_code == 200  # the recovery codes, then on
    assert f'href="{participants}"' in done.content.decode()
    assert client.get(participants).status_code == 200


def test_edition_without_the_requirement_opens_with_the_password(client, manager, edition):
    login(client, manager)
    dashboard = reverse("orga:dashboard", kwargs={"edition": edition.slug})
    assert client.get(dashboard).status_code == 200
