"""Bots out, people in: a whole office behind one address registers (past the soft limit with a
proof of work its browsers solve), a flood meets the hard limit, a replayed form is refused."""

import filecmp
import html
import re
from pathlib import Path

import pytest

from kongres.registration import antibot
from kongres.registration.models import Registration
from tests.factories import DayFactory, EditionFactory, PageFactory
from tests.registration.test_views import REGISTER_PL, form_data

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src/kongres/registration/static/registration/vendor/altcha"
TOKEN = re.compile(r'name="started" value="([^"]+)"')
CHALLENGE = re.compile(r'<altcha-widget[^>]* challenge="([^"]+)"')


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=50)
    DayFactory(edition=edition, date=edition.start_date)
    DayFactory(edition=edition, date=edition.end_date)
    PageFactory(kind="privacy", slug="polityka-prywatnosci")
    return edition


@pytest.fixture
def office(settings):
    """The default limits; a cheap puzzle (the test solves hundreds of them)."""
    settings.KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0  # the token from the page is sent at once
    settings.KONGRES_REGISTRATION_POW_COST = 1
    settings.KONGRES_REGISTRATION_POW_MAX_NUMBER = 50


def open_form(client) -> tuple[str, str | None]:
    """The form's one-time token, and its challenge when the page asks for a proof of work."""
    page = client.get(REGISTER_PL).text
    challenge = CHALLENGE.search(page)
    return TOKEN.search(page).group(1), html.unescape(challenge.group(1)) if challenge else None


def test_300_people_behind_one_address_all_register(client, edition, office, settings):
    from kongres.core.ratelimit import ratelimit_rate

    edition.capacity = 400
    edition.save()
    soft = ratelimit_rate("register-ip-soft").count
    asked = 0
    for number in range(300):
        token, challenge = open_form(client)
        data = form_data(edition, started=token, email=f"urzednik{number}@urzad.example.pl")
        if challenge:
            asked += 1
            data["altcha"] = antibot.pow_solve(challenge)
        response = client.post(REGISTER_PL, data)
        assert response.status_code == 302, (number, response.status_code)
    assert Registration.objects.filter(edition=edition).count() == 300
    assert asked == 300 - soft  # the first ones fill in the form as ever


def test_an_office_opening_its_forms_at_once_gets_the_widget_before_sending(
    client, edition, office
):
    """Everyone opens the form when registration opens, then sends it: the forms opened past
    the soft limit carry the widget from the start, so nobody's form comes back to be sent
    again."""
    from kongres.core.ratelimit import ratelimit_rate

    soft = ratelimit_rate("register-ip-soft").count
    opened = [open_form(client) for _number in range(soft + 5)]
    assert [challenge is not None for _token, challenge in opened] == [False] * soft + [True] * 5
    for number, (token, challenge) in enumerate(opened):
        data = form_data(edition, started=token, email=f"biuro{number}@urzad.example.pl")
        if challenge:  # ticked while filling in the form
            data["altcha"] = antibot.pow_solve(challenge)
        response = client.post(REGISTER_PL, data)
        assert response.status_code == 302, (number, response.status_code)
    assert Registration.objects.filter(edition=edition).count() == soft + 5


def test_past_the_soft_limit_a_form_without_the_proof_is_shown_again(client, edition, office):
    from kongres.core.ratelimit import ratelimit_rate

    for number in range(ratelimit_rate("register-ip-soft").count):
        token, challenge = open_form(client)
        assert challenge is None
        client.post(REGISTER_PL, form_data(edition, started=token, email=f"o{number}@example.org"))
    token, challenge = open_form(client)
    assert challenge is not None
    response = client.post(REGISTER_PL, form_data(edition, started=token, email="bot@example.org"))
    assert response.status_code == 200
    assert "Wiele zgłoszeń z twojej sieci" in response.text
    assert 'value="bot@example.org"' in response.text  # what was typed is kept
    assert "<altcha-widget" in response.text
    assert not Registration.objects.filter(email="bot@example.org").exists()


def test_the_hard_limit_stops_a_flood(client, edition, office, settings):
    settings.KONGRES_RATELIMIT_REGISTER_IP = "5/h"
    settings.KONGRES_RATELIMIT_REGISTER_IP_SOFT = "2/h"
    codes = []
    for number in range(7):
        token, challenge = open_form(client)
        data = form_data(edition, started=token, email=f"flood{number}@example.org")
        if challenge:
            data["altcha"] = antibot.pow_solve(challenge)
        codes.append(client.post(REGISTER_PL, data).status_code)
    assert codes == [302] * 5 + [429, 429]


def test_a_replayed_form_is_refused_every_time(client, edition):
    data = form_data(edition)
    assert client.post(REGISTER_PL, data).status_code == 302
    for number in range(5):
        replay = {**data, "email": f"replay{number}@example.org"}
        response = client.post(REGISTER_PL, replay)
        assert response.status_code == 200
        assert "Ten formularz został już wysłany" in response.text
    assert Registration.objects.count() == 1


def test_the_widget_page_keeps_the_strict_csp(client, edition, office, settings):
    settings.KONGRES_RATELIMIT_REGISTER_IP_SOFT = "1/h"
    token, _challenge = open_form(client)
    client.post(REGISTER_PL, form_data(edition, started=token))
    response = client.get(REGISTER_PL)
    csp = response["Content-Security-Policy"]
    assert "unsafe" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    for name in ("altcha.min.js", "altcha.css", "pl.js", "pbkdf2.js"):
        assert f"/static/registration/vendor/altcha/{name}" in response.text
    assert "<style" not in response.text and " style=" not in response.text


@pytest.mark.skipif(
    not (ROOT / "node_modules/altcha").is_dir(),
    reason="node_modules/altcha is missing (npm ci): the vendored copy cannot be compared",
)
def test_the_vendored_widget_is_the_npm_package():
    dist = ROOT / "node_modules/altcha"
    pairs = {
        "altcha.min.js": "dist/external/altcha.min.js",
        "altcha.css": "dist/external/altcha.css",
        "pbkdf2.js": "dist/workers/pbkdf2.js",
        "pl.js": "dist/i18n/pl.js",
        "LICENSE.txt": "LICENSE.txt",
    }
    for vendored, packaged in pairs.items():
        assert filecmp.cmp(VENDOR / vendored, dist / packaged, shallow=False), vendored
    import json

    version = json.loads((dist / "package.json").read_text())["version"]
    assert f"ALTCHA widget {version}" in (VENDOR / "README.txt").read_text()
