"""Certificates of attendance in a real Chromium: the public verification pages (the form to
type a code, valid, revoked, unknown) and the back office's pages (list, one certificate,
the template), in Polish and English, pass axe-core (WCAG 2.1 A/AA) and are used with the
keyboard only: a code typed on the form leads to "valid"; an organiser revokes a
certificate and its page then says so."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from kongres.accounts.models import EditionRole
from kongres.checkin.certificates import certificate_issue
from kongres.checkin.services import checkin_perform
from kongres.registration.services import RegistrationData, registration_create
from kongres.registration.tickets import ticket_for_registration
from tests.browser.conftest import axe_report
from tests.factories import DayFactory, EditionFactory

PASSWORD = "zaswiadczenia-kongres-2026"


@pytest.fixture
def issued(transactional_db):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    edition = EditionFactory(
        title_pl="Kongres Miast Testowych",
        title_en="Congress of Test Cities",
        start_date=yesterday,
        end_date=yesterday,
        time_zone="Europe/Warsaw",
    )
    day = DayFactory(edition=edition, date=yesterday)
    admin = get_user_model().objects.create_user("adam", "adam@example.org", PASSWORD)
    EditionRole.objects.create(edition=edition, user=admin, role=EditionRole.Role.ADMIN)
    registration, _token = registration_create(
        edition=edition,
        data=RegistrationData(
            first_name="Zofia",
            last_name="Żółć",
            email="zofia@example.org",
            day_ids=[day.pk],
            privacy_consent=True,
        ),
        actor=admin,
        over_capacity=True,
    )
    ticket = ticket_for_registration(registration=registration)
    checkin_perform(code=ticket.code, day=day, gate=None, staff=admin, nonce="browser")
    return edition, certificate_issue(registration=registration, actor=admin)


def _check(page, axe, failures: list[str], name: str) -> None:
    violations = axe(page)
    if violations:
        failures.append(f"{name} {page.url}:\n{axe_report(violations)}")


def _tab_to(page, predicate: str, limit: int = 60) -> None:
    js = f"() => {{ const e = document.activeElement; return !!e && ({predicate}); }}"
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(js):
            return
    raise AssertionError(f"Tab never reached {predicate}")


@pytest.mark.parametrize(
    ("language", "valid", "unknown"),
    [
        ("pl", "To zaświadczenie o udziale jest ważne.", "Nieznane zaświadczenie"),
        ("en", "This certificate of attendance is valid.", "Unknown certificate"),
    ],
)
def test_verification_pages_with_the_keyboard(
    page, live_server, axe, issued, language, valid, unknown
):
    _edition, certificate = issued
    failures: list[str] = []
    with translation.override(language):
        start = reverse("checkin:certificate-verify-start")
        nowhere = reverse("checkin:certificate-verify", kwargs={"code": "NIEMA"})
    page.goto(live_server.url + start)
    _check(page, axe, failures, "form")
    _tab_to(page, "e.name === 'code'")
    page.keyboard.type("")
    page.keyboard.press("Enter")  # empty: refused, with the message tied to the field
    page.wait_for_selector("[aria-invalid=true]")
    _check(page, axe, failures, "form with an error")
    page.focus("input[name=code]")
    page.keyboard.type(certificate.code_grouped.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/c/{certificate.code}/")
    assert valid in page.text_content("main")
    assert "Zofia Żółć" in page.text_content("main")
    _check(page, axe, failures, "valid")
    page.goto(live_server.url + nowhere)
    assert unknown in page.text_content("h1")
    _check(page, axe, failures, "unknown")
    assert failures == [], "\n\n".join(failures)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_organiser_revokes_a_certificate_with_the_keyboard(
    page, live_server, axe, issued, language
):
    edition, certificate = issued
    failures: list[str] = []
    with translation.override(language):
        listing = reverse("orga:certificates", kwargs={"edition": edition.slug})
        template = reverse("orga:certificate-template", kwargs={"edition": edition.slug})
        login = reverse("orga:login")
    page.goto(live_server.url + login + f"?next={listing}")
    page.fill("input[name=username]", "adam")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**{listing}")
    _check(page, axe, failures, "list")

    _tab_to(page, f"e.textContent.trim() === '{certificate.serial}'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_reason")
    _check(page, axe, failures, "detail")
    _tab_to(page, "e.id === 'id_reason'")
    page.keyboard.type("test")
    _tab_to(page, "e.value === 'revoke'")
    page.keyboard.press("Enter")
    page.wait_for_selector(".orga-message")
    _check(page, axe, failures, "detail, revoked")
    assert page.query_selector("#id_reason") is None  # nothing more to revoke

    page.goto(live_server.url + template)
    _check(page, axe, failures, "template")
    _tab_to(page, "e.id === 'id_intro_pl'")
    page.keyboard.type("Zaświadcza się")
    _tab_to(page, "e.id === 'id_signature_1_name'")
    page.keyboard.type("Jan Kowalski")
    page.keyboard.press("Enter")
    page.wait_for_selector(".orga-message")
    assert page.input_value("#id_intro_pl") == "Zaświadcza się"
    _check(page, axe, failures, "template saved")

    with translation.override(language):
        verify = certificate.get_absolute_url()
    page.goto(live_server.url + verify)
    assert ("unieważnione" if language == "pl" else "revoked") in page.text_content("main")
    _check(page, axe, failures, "revoked")
    assert failures == [], "\n\n".join(failures)
