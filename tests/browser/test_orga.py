"""The organisers' back office in a real Chromium against the live server, as an organiser
uses it: log in (and set up the second step an edition requires: the app, its recovery codes,
one of them used at the check-in's login), the dashboard, filter the
participant list, open a participant, cancel them (the seat goes to the first on the waiting
list), export XLSX (the download opened with openpyxl), write to the waiting list (the real
worker delivers to a real SMTP server, aiosmtpd). axe-core (WCAG 2.1 A/AA) checks every page
on the way; the dashboard and the list are photographed at 1280x800 and 390x844."""

from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from kongres.accounts.models import EditionRole, EditionSettings
from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import Campaign
from kongres.registration.choices import Voivodeship
from kongres.registration.models import Registration
from tests.browser.conftest import axe_report
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import RegistrationDataFactory, RegistrationFactory

Status = Registration.Status
PASSWORD = "biuro-organizatora-2026"
SIZES = {"1280x800": (1280, 800), "390x844": (390, 844)}


@pytest.fixture
def office(transactional_db):
    """Two seats: Łucja Żółć from Łódź and Adam Nowak confirmed; Ewa then Jan wait. The
    organiser is the edition's administrator, and the edition requires two factors."""
    edition = EditionFactory(capacity=2, title_pl="Kongres Miast Testowych")
    day = DayFactory(edition=edition, name_pl="Dzień pierwszy")
    track = TrackFactory(edition=edition, name_pl="Mobilność", name_en="Mobility")
    people = {}
    for key, first, last, town, voivodeship in (
        ("lucja", "Łucja", "Żółć", "Łódź", Voivodeship.LODZKIE),
        ("adam", "Adam", "Nowak", "Kraków", Voivodeship.MALOPOLSKIE),
        ("ewa", "Ewa", "Czekająca", "Gdańsk", Voivodeship.POMORSKIE),
        ("jan", "Jan", "Rezerwowy", "Poznań", Voivodeship.WIELKOPOLSKIE),
    ):
        people[key] = RegistrationFactory(
            edition=edition,
            verified=True,
            data=RegistrationDataFactory(
                first_name=first,
                last_name=last,
                email=f"{key}@example.org",
                town=town,
                institution=f"Urząd Miasta {town}",
                voivodeship=voivodeship,
                day_ids=[day.pk],
                track_ids=[track.pk],
            ),
        )
    assert [people[k].status for k in ("lucja", "adam", "ewa", "jan")] == [
        Status.CONFIRMED,
        Status.CONFIRMED,
        Status.WAITING,
        Status.WAITING,
    ]
    organiser = get_user_model().objects.create_user(
        "olga", "olga@example.org", PASSWORD, first_name="Olga"
    )
    EditionRole.objects.create(edition=edition, user=organiser, role=EditionRole.Role.ADMIN)
    EditionSettings.objects.create(edition=edition, requires_two_factor=True)
    return {"edition": edition, "people": people, "organiser": organiser}


class Audit:
    """axe on every page; the failures of all of them reported at the end."""

    def __init__(self, axe) -> None:
        self.axe = axe
        self.pages: list[str] = []
        self.failures: list[str] = []

    def check(self, page, name: str) -> None:
        violations = self.axe(page)
        self.pages.append(name)
        if violations:
            self.failures.append(f"{name} {page.url}:\n{axe_report(violations)}")


def code(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=device.drift + offset)  # fmt: skip
    return str(value).zfill(device.digits)


def deliver(smtp_server) -> list[EmailMessage]:
    before = len(smtp_server.messages)
    call_command("worker", "--batch", verbosity=0)
    return smtp_server.messages[before:]


def photograph(page, screenshot, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"orga-{name}-{size}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_organiser_walk(page, live_server, office, smtp_server, axe, screenshot, tmp_path):
    audit = Audit(axe)
    edition, people = office["edition"], office["people"]
    base = live_server.url
    deliver(smtp_server)  # the registrations' own mails, before the organiser's

    def go(name: str, **kwargs) -> None:
        response = page.goto(base + reverse(name, kwargs=kwargs or None))
        assert response.status == 200, f"{name}: HTTP {response.status}"

    # -- log in; the edition requires two factors: set up the app, then the second step ----
    dashboard = reverse("orga:dashboard", kwargs={"edition": edition.slug})
    page.goto(base + dashboard)
    assert page.url.startswith(base + reverse("orga:login"))
    audit.check(page, "login")
    page.fill("input[name=password]", "nie-to-hasło")
    page.fill("input[name=username]", "olga")
    page.click("main button[type=submit]")
    page.wait_for_selector("#login-error", state="visible")  # the answer to the POST, once loaded
    audit.check(page, "login with an error")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    # no app yet: straight to the setup (the password just entered counts as recent)
    page.wait_for_selector("code.orga-secret")
    page.wait_for_function("() => document.querySelector(\"img[src*='qr']\").naturalWidth > 0")
    audit.check(page, "two-factor setup")
    device = TOTPDevice.objects.get(user=office["organiser"], confirmed=False)
    page.fill("input[name=token]", code(device))
    page.click("main button[type=submit]")
    # ten recovery codes, shown once; then on to the page asked for
    page.wait_for_selector("code.orga-recovery-code")
    recovery = page.locator("code.orga-recovery-code").all_inner_texts()
    assert len(set(recovery)) == 10
    audit.check(page, "recovery codes")
    page.click("main a.orga-button")
    page.wait_for_url(base + dashboard)
    page.click("button:has-text('Wyloguj')")
    page.wait_for_url("**/orga/**")
    go("orga:login")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("input[name=token]")
    audit.check(page, "two-factor code")
    device.refresh_from_db()
    page.fill("input[name=token]", code(device, 1))  # the next step: a used code is refused
    page.click("main button[type=submit]")
    page.wait_for_url("**/orga/")
    audit.check(page, "editions")
    # the check-in's login asks for the code too; without the phone, a recovery code does
    page.click("button:has-text('Wyloguj')")
    page.wait_for_url("**/orga/**")
    page.goto(base + "/checkin/login/?next=/checkin/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=token]")
    page.fill("input[name=token]", recovery[0].upper())
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/checkin/")
    assert AuditLogEntry.objects.filter(action="account.recovery_code.use").count() == 1
    go("orga:index")

    # -- the dashboard ------------------------------------------------------------------------
    page.click(f"a[href='{dashboard}']")
    counts = {
        dt: dd
        for dt, dd in zip(
            page.locator(".orga-counts dt").all_inner_texts(),
            page.locator(".orga-counts dd").all_inner_texts(),
            strict=True,
        )
    }
    assert counts["Liczba miejsc"] == "2"
    assert (counts["Potwierdzone"], counts["Lista rezerwowa"]) == ("2", "2")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.orga-chart img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    audit.check(page, "dashboard")
    photograph(page, screenshot, "dashboard")

    # -- the participant list: search without accents, then the waiting list ---------------
    page.click("nav.orga-nav >> text=Uczestnicy")
    audit.check(page, "participants")
    photograph(page, screenshot, "participants")
    page.fill("input[name=q]", "zolc lodz")
    page.click("form.orga-filters button[type=submit]")
    assert (
        page.locator("table.orga-table--list tbody tr")
        .all_inner_texts()[0]
        .startswith("Żółć Łucja")
    )
    assert page.locator("table.orga-table--list tbody tr").count() == 1
    assert page.locator("#result-count").inner_text() == "Znaleziono 1 osobę"
    page.click("text=Wyczyść filtry")
    page.click("form.orga-filters summary")
    page.check("input[name=status][value=waiting]")
    page.click("form.orga-filters button[type=submit]")
    names = page.locator("table.orga-table--list tbody th").all_inner_texts()
    assert sorted(names) == ["Czekająca Ewa", "Rezerwowy Jan"]
    audit.check(page, "participants filtered")

    # -- a participant: detail, edit, add; cancel Adam, Ewa is offered his seat --------------
    page.click("text=Wyczyść filtry")
    page.click("text=Nowak Adam")
    page.wait_for_selector("h1:has-text('Adam Nowak')")
    audit.check(page, "participant")
    page.click("text=Popraw odpowiedzi")
    page.wait_for_selector("form")
    audit.check(page, "participant edit")
    go("orga:registration-add", edition=edition.slug)
    audit.check(page, "participant add")
    page.go_back()
    page.go_back()
    page.click("a.orga-button:has-text('Anuluj zgłoszenie')")
    audit.check(page, "cancel (confirmation)")
    page.fill("textarea[name=note]", "rezygnacja telefoniczna")
    page.click("main button[type=submit]:has-text('Potwierdź')")
    page.wait_for_selector(".orga-message")
    audit.check(page, "participant after cancelling")
    for person in people.values():
        person.refresh_from_db()
    assert people["adam"].status == Status.CANCELLED
    assert people["ewa"].status == Status.OFFERED
    assert people["jan"].status == Status.WAITING
    offers = [m for m in deliver(smtp_server) if m["To"] == "ewa@example.org"]
    assert len(offers) == 1  # Ewa hears of her seat
    go("orga:registration-detail", edition=edition.slug, pk=people["ewa"].pk)
    assert "zaproponowano" in page.locator("p.orga-status").inner_text().lower()

    # -- export XLSX of everyone ----------------------------------------------------------------
    go("orga:registration-list", edition=edition.slug)
    page.click("text=Eksportuj te osoby")
    page.wait_for_selector("#export-count")
    audit.check(page, "export")
    page.check("input[name=format][value=xlsx]")
    page.check("input[name=columns][value=town]")
    with page.expect_download() as download_info:
        page.click("button:has-text('Pobierz')")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_name = {row[header.index("nazwisko")]: row for row in rows[1:]}
    assert sorted(by_name) == ["Czekająca", "Nowak", "Rezerwowy", "Żółć"]
    lucja = by_name["Żółć"]
    assert lucja[header.index("imię")] == "Łucja"
    assert lucja[header.index("miejscowość")] == "Łódź"
    assert by_name["Nowak"][header.index("status")] == "anulowana"
    entry = AuditLogEntry.objects.get(action="export")
    assert (entry.after["rows"], entry.after["format"]) == (4, "xlsx")

    # -- a message to the waiting list ------------------------------------------------------------
    go("orga:campaign-list", edition=edition.slug)
    audit.check(page, "messages (none yet)")
    go("orga:registration-list", edition=edition.slug)
    page.click("form.orga-filters summary")
    page.check("input[name=status][value=waiting]")
    page.click("form.orga-filters button[type=submit]")
    page.click("text=Napisz do tych osób")
    assert "Odbiorcy: 1 osoba" in page.locator("#recipient-count").inner_text()
    audit.check(page, "message compose")
    page.fill("input[name=subject_pl]", "Lista rezerwowa: {first_name}, jesteś następny")
    page.fill(
        "textarea[name=body_pl]",
        "Dzień dobry, {first_name}!\n\nTwoje zgłoszenie: {personal_link}\n\n**Zażółć** gęślą jaźń.",
    )
    page.check("input[name=transactional]")  # about the registration: not only the newsletter
    page.click("button:has-text('Zapisz i pokaż podgląd')")
    page.wait_for_selector("#h-preview")
    previews = page.locator(".orga-preview-subject").all_inner_texts()
    assert previews[0] == "Lista rezerwowa: Jan, jesteś następny"
    audit.check(page, "message preview")
    page.click("button:has-text('Wyślij próbną wiadomość do mnie')")
    page.wait_for_selector(".orga-message")
    page.click("text=Wyślij do odbiorców")
    assert "do 1 osoby" in page.locator("#recipient-count").inner_text()
    audit.check(page, "message send (confirmation)")
    page.click("button:has-text('Wyślij do 1 osoby')")
    page.wait_for_selector("#delivery-counts")
    audit.check(page, "message delivery (queued)")

    received = deliver(smtp_server)
    by_address = {message["To"]: message for message in received}
    assert sorted(by_address) == ["jan@example.org", "olga@example.org"]
    assert by_address["jan@example.org"]["Subject"] == "Lista rezerwowa: Jan, jesteś następny"
    text = by_address["jan@example.org"].get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Dzień dobry, Jan!")
    assert f"{base}/rejestracja/moja/" in text
    page.reload()
    counts = dict(
        zip(
            page.locator("#delivery-counts dt").all_inner_texts(),
            page.locator("#delivery-counts dd").all_inner_texts(),
            strict=True,
        )
    )
    assert (counts["Odbiorcy"], counts["Wysłana"]) == ("1", "1")
    assert Campaign.objects.get().status == Campaign.Status.QUEUED
    audit.check(page, "message delivery (sent)")
    go("orga:campaign-list", edition=edition.slug)
    audit.check(page, "messages")

    # -- the rest of the back office -------------------------------------------------------------
    go("orga:audit-log", edition=edition.slug)
    actions = page.locator("td code").all_inner_texts()
    assert {"export", "campaign.create", "campaign.queue", "registration.cancel"} <= set(actions)
    audit.check(page, "audit log")
    go("orga:roles", edition=edition.slug)
    audit.check(page, "roles")
    go("orga:settings", edition=edition.slug)
    audit.check(page, "settings")
    go("orga:two-factor-setup")
    audit.check(page, "two-factor set up")

    assert page.watch.console_errors == []
    assert page.watch.foreign_requests == []
    assert audit.failures == [], "\n\n".join(audit.failures)
    assert len(audit.pages) >= 25
