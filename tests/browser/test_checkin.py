"""The check-in page on a phone (390 by 844): staff logs in, scans by typing (green), scans
again (already checked in), searches a name without diacritics, goes offline, scans three
codes (pending), comes back online and sees them synced — one of them refused because another
gate let that person in meanwhile. axe-core finds nothing on the check-in pages."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from kongres.accounts.models import EditionRole
from kongres.checkin.models import CheckIn, Gate
from kongres.checkin.services import checkin_perform
from kongres.registration.services import RegistrationData, registration_create
from kongres.registration.tickets import ticket_for_registration
from tests.browser.conftest import PageWatch, axe_report
from tests.factories import DayFactory, EditionFactory

PASSWORD = "bramka-wejściowa-2026"
PEOPLE = [
    ("Zofia", "Żółć", "Urząd Miasta Łodzi"),
    ("Jan", "Kowalski", "Politechnika Krakowska"),
    ("Ewa", "Nowak", "Fundacja Miasto"),
    ("Piotr", "Wiśniewski", "Urząd Marszałkowski"),
]


@pytest.fixture
def door(transactional_db):
    today = timezone.localdate()
    edition = EditionFactory(start_date=today, end_date=today + dt.timedelta(days=1))
    DayFactory(edition=edition, date=today, name_pl="Dzień pierwszy", name_en="Day one")
    DayFactory(edition=edition, date=today + dt.timedelta(days=1), name_pl="Dzień drugi")
    gate = Gate.objects.create(edition=edition, name="Brama 2")
    users = get_user_model().objects
    organiser = users.create_superuser(username="org", password=PASSWORD, first_name="Olga")
    staff = users.create_user(
        username="bramkarz", password=PASSWORD, first_name="Piotr", last_name="Bramkarz"
    )
    EditionRole.objects.create(edition=edition, user=staff, role=EditionRole.Role.CHECKIN_STAFF)
    codes = []
    for n, (first, last, institution) in enumerate(PEOPLE):
        registration, _token = registration_create(
            edition=edition,
            data=RegistrationData(
                first_name=first,
                last_name=last,
                email=f"osoba{n}@example.org",
                institution=institution,
                day_ids=list(edition.days.values_list("pk", flat=True)),
                privacy_consent=True,
            ),
            actor=organiser,
        )
        codes.append(ticket_for_registration(registration=registration).code)
    return {"edition": edition, "gate": gate, "organiser": organiser, "codes": codes}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="pl-PL", has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.watch = PageWatch(page, live_server.url)
    yield context, page
    context.close()


def scan(page, code: str) -> None:
    field = page.locator("#ci-code")
    field.fill(code)
    field.press("Enter")


def assert_axe_clean(page, axe, where: str) -> None:
    violations = axe(page)
    assert violations == [], f"{where}:\n{axe_report(violations)}"


def test_checkin_on_a_phone_online_and_offline(phone, live_server, door, axe, screenshot):
    context, page = phone
    zofia, jan, ewa, piotr = door["codes"]

    # Log in (a staff member who is not an admin user).
    page.goto(live_server.url + "/checkin/")
    page.wait_for_url("**/checkin/login/?next=/checkin/")
    assert_axe_clean(page, axe, "login")
    page.fill("#id_username", "bramkarz")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/checkin/")
    assert page.evaluate("() => document.activeElement.id") == "ci-code"
    assert page.text_content("#ci-count-expected") == "4"
    assert_axe_clean(page, axe, "check-in page")

    # Typed code: green, with name, institution and days.
    scan(page, zofia)
    result = page.locator("#ci-result")
    result.wait_for(state="visible")
    assert "Wejście zarejestrowane" in result.text_content()
    assert "Zofia Żółć" in result.text_content()
    assert "Urząd Miasta Łodzi" in result.text_content()
    assert page.evaluate("() => document.activeElement.id") == "ci-code"
    screenshot(page, "checkin-green-390x844")
    assert_axe_clean(page, axe, "green answer")

    # The same ticket again: red, already checked in, when and by whom.
    scan(page, zofia)
    page.wait_for_function(
        "() => document.querySelector('#ci-result').textContent.includes('Już zarejestrowano')"
    )
    assert "przez Piotr Bramkarz" in result.text_content()
    assert "ci-result--no" in result.get_attribute("class")
    screenshot(page, "checkin-already-390x844")
    assert_axe_clean(page, axe, "red answer")
    page.keyboard.press("Escape")
    result.wait_for(state="hidden")
    page.wait_for_function("() => document.querySelector('#ci-count-in').textContent === '1'")

    # Search without diacritics.
    page.fill("#ci-q", "zolc")
    page.press("#ci-q", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#ci-results') &&"
        " document.querySelector('#ci-results').textContent.includes('Zofia Żółć')"
    )
    assert "Znalezione osoby: 1" in page.text_content("#ci-results-count")
    assert_axe_clean(page, axe, "search results")

    # The service worker keeps the page for offline use.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")

    # Offline: three scans wait on the phone.
    context.set_offline(True)
    page.locator("#ci-network").wait_for(state="visible")
    for code in (jan, ewa, piotr):
        scan(page, code)
        page.wait_for_function(
            "() => document.querySelector('#ci-result').textContent"
            ".includes('Zapisano w telefonie')"
        )
    pending = page.locator("#ci-pending li")
    assert pending.count() == 3
    assert all("czeka na wysłanie" in text for text in pending.all_text_contents())
    screenshot(page, "checkin-offline-390x844")
    assert_axe_clean(page, axe, "offline with pending scans")

    # The page opens again without a network, with its queue.
    page.reload()
    page.locator("#ci-code").wait_for()
    assert page.locator("#ci-pending li").count() == 3

    # Meanwhile gate 2 lets Ewa in: the server settles the conflict.
    checkin_perform(
        code=ewa,
        day=door["edition"].days.order_by("date").first(),
        gate=door["gate"],
        staff=door["organiser"],
        nonce="gate-2-ewa",
    )

    # Back online: the queue is sent and the answers are shown.
    context.set_offline(False)
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    recent = page.locator("#ci-recent").text_content()
    assert "Jan Kowalski" in recent
    assert "Piotr Wiśniewski" in recent
    assert "Ewa Nowak" in recent
    assert "Już zarejestrowano wejście" in recent and "Brama 2" in recent
    assert "Wysłano: 3, odmów: 1." in page.text_content("#ci-announce")
    page.wait_for_function("() => document.querySelector('#ci-count-in').textContent === '4'")
    assert CheckIn.objects.filter(result="ok").count() == 4
    assert CheckIn.objects.filter(result="already_checked_in").count() == 2
    screenshot(page, "checkin-synced-390x844")

    # The session ends: the scan waits, the page says to log in again, and after logging in
    # the waiting scan is sent.
    context.clear_cookies()
    scan(page, zofia)
    page.locator("#ci-login-needed").wait_for(state="visible")
    assert page.locator("#ci-pending li").count() == 1
    assert "Sesja wygasła" in page.text_content("#ci-result")
    page.keyboard.press("Escape")
    page.click("#ci-login-needed a")
    page.fill("#id_username", "bramkarz")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/checkin/")
    page.locator("#ci-pending-section").wait_for(state="hidden")
    assert CheckIn.objects.filter(result="already_checked_in").count() == 3

    # English page, no horizontal scrolling, nothing from other hosts, no script errors.
    page.goto(live_server.url + "/en/checkin/")
    assert "Ticket code" in page.text_content("label[for=ci-code]")
    assert_axe_clean(page, axe, "check-in page in English")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert page.watch.foreign_requests == []
    # Chromium logs every 4xx answer and every request made offline; a refused scan is a 409
    # by design (the house API style) and a scan after the session ended a 403, so only other
    # errors count.
    errors = [
        error
        for error in page.watch.console_errors
        if "ERR_INTERNET_DISCONNECTED" not in error
        and "409 (Conflict)" not in error
        and "403 (Forbidden)" not in error
    ]
    assert errors == []


def test_admin_counts_refresh_without_a_reload(page, live_server, door):
    page.goto(live_server.url + "/admin/login/?next=/admin/checkin/checkin/")
    page.fill("#id_username", "org")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/checkin/checkin/")
    day = door["edition"].days.order_by("date").first()
    cell = page.locator(f"tr[data-day='{day.pk}'] .checkin-in")
    assert cell.text_content() == "0"
    checkin_perform(
        code=door["codes"][0], day=day, gate=door["gate"], staff=door["organiser"], nonce="adm"
    )
    page.wait_for_function(
        f"() => document.querySelector(\"tr[data-day='{day.pk}'] .checkin-in\").textContent"
        " === '1'",
        timeout=15_000,
    )
    assert page.watch.console_errors == []


def test_badges_page_passes_axe(phone, live_server, door, axe):
    _context, page = phone
    page.goto(live_server.url + "/checkin/login/?next=/checkin/badges/")
    page.fill("#id_username", "org")  # badges: a role that may see the participants
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/checkin/badges/")
    assert_axe_clean(page, axe, "badges")


def test_participant_ticket_on_a_phone(phone, live_server, door, axe, screenshot):
    """The personal page of the secret link shows the ticket: the QR fits the phone's width,
    axe finds nothing, and both PDF links give a PDF."""
    context, page = phone
    registration, token = registration_create(
        edition=door["edition"],
        data=RegistrationData(
            first_name="Łucja",
            last_name="Źdźbło",
            email="lucja@example.org",
            day_ids=list(door["edition"].days.values_list("pk", flat=True)),
            privacy_consent=True,
        ),
        actor=door["organiser"],
    )
    code = ticket_for_registration(registration=registration).code_grouped

    page.goto(f"{live_server.url}/rejestracja/moja/{token}/")

    ticket = page.locator(".ci-ticket")
    assert "Twój bilet" in ticket.text_content()
    assert code in ticket.text_content()
    qr = ticket.locator("svg").bounding_box()
    assert 150 <= qr["width"] <= 390 and qr["width"] == qr["height"]
    assert_axe_clean(page, axe, "personal page with the ticket")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "ticket-personal-page-390x844")
    for link in ticket.locator("a").all():
        answer = context.request.get(live_server.url + link.get_attribute("href"))
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.body()[:4] == b"%PDF"
    assert page.watch.foreign_requests == []
    assert page.watch.console_errors == []


# --- the offline queue (security review 2026-12, L7) -----------------------------------------


def log_in(page, live_server, username: str, path: str = "/checkin/") -> None:
    page.goto(f"{live_server.url}/checkin/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + path)


def queue_offline(page, codes) -> None:
    for code in codes:
        before = page.locator("#ci-pending li").count()
        scan(page, code)
        page.wait_for_function(
            f"() => document.querySelectorAll('#ci-pending li').length === {before + 1}"
        )
        page.keyboard.press("Escape")


def staff_member(edition, username: str):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name="Anna", last_name=username.title()
    )
    EditionRole.objects.create(edition=edition, user=user, role=EditionRole.Role.CHECKIN_STAFF)
    return user


def test_scans_refused_once_sent_are_kept_and_shown(phone, live_server, door, axe):
    """Offline, three scans at gate 3 wait; the gate is deleted meanwhile; back online the
    server refuses all three (422): they are listed as refused with the server's words, none
    is lost, none is checked in, and they stay until staff dismiss them."""
    context, page = phone
    gate = Gate.objects.create(edition=door["edition"], name="Brama 3")
    log_in(page, live_server, "bramkarz", f"/checkin/?gate={gate.pk}")
    context.set_offline(True)
    page.locator("#ci-network").wait_for(state="visible")
    queue_offline(page, door["codes"][1:])

    Gate.objects.filter(pk=gate.pk).delete()
    context.set_offline(False)
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    refused = page.locator("#ci-refused li")
    assert refused.count() == 3
    texts = refused.all_text_contents()
    assert all("Wybierz poprawną wartość" in text for text in texts), texts
    assert CheckIn.objects.count() == 0
    assert "Wysłano: 3, odmów: 3." in page.text_content("#ci-announce")
    assert_axe_clean(page, axe, "refused scans")

    # kept on the phone: still there after a reload; staff dismiss them one by one
    page.reload()
    assert page.locator("#ci-refused li").count() == 3
    page.locator("#ci-refused li button").first.click()
    page.wait_for_function("() => document.querySelectorAll('#ci-refused li').length === 2")
    page.reload()
    assert page.locator("#ci-refused li").count() == 2
    assert CheckIn.objects.count() == 0


def test_scans_saved_under_one_account_are_never_sent_under_another(phone, live_server, door):
    context, page = phone
    first = get_user_model().objects.get(username="bramkarz")
    second = staff_member(door["edition"], "zmiennik")
    jan, ewa, piotr = door["codes"][1:]
    log_in(page, live_server, "bramkarz")
    context.set_offline(True)
    page.locator("#ci-network").wait_for(state="visible")
    queue_offline(page, [jan, ewa])

    # the session ends with the scans waiting; someone else logs in on this phone
    context.clear_cookies()
    context.set_offline(False)
    page.locator("#ci-login-needed").wait_for(state="visible")
    log_in(page, live_server, "zmiennik")
    scan(page, piotr)  # their own scans go as usual, the others' do not
    page.wait_for_function(
        "() => document.querySelector('#ci-result').textContent.includes('Wejście zarejestrowane')"
    )
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#ci-count-in').textContent !== '0'")
    assert list(CheckIn.objects.values_list("registration__first_name", "staff")) == [
        ("Piotr", second.pk)
    ]
    others = page.locator("#ci-others")
    others.wait_for(state="visible")
    assert "Skany zapisane w tym telefonie przez inne konto" in others.text_content()
    assert ": 2. Nie zostały wysłane." in others.text_content()
    assert page.locator("#ci-pending-section").is_hidden()
    assert CheckIn.objects.count() == 1

    # the first account logs in again: its scans are sent under its own name
    page.click(".ci-logout button")
    log_in(page, live_server, "bramkarz")
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    assert page.locator("#ci-others").is_hidden()
    assert sorted(
        CheckIn.objects.filter(result="ok").values_list("registration__first_name", "staff")
    ) == [("Ewa", first.pk), ("Jan", first.pk), ("Piotr", second.pk)]

    # scans of an older version of the page (one list, owner unknown) are not sent: discarded
    page.evaluate(
        """() => localStorage.setItem("kongres-checkin-queue", JSON.stringify([{nonce: "old",
            code: "X", at: new Date().toISOString(), day: "1"}]))"""
    )
    page.reload()
    page.locator("#ci-others").wait_for(state="visible")
    page.click("#ci-others-discard")
    page.locator("#ci-others").wait_for(state="hidden")
    assert page.evaluate("() => localStorage.getItem('kongres-checkin-queue')") is None
    assert CheckIn.objects.count() == 3


def test_two_tabs_queue_at_once_and_every_scan_is_sent_once(browser, live_server, door):
    """Two tabs of one phone, offline, save scans at the same moments; back online, every
    scan is checked in exactly once."""
    edition = door["edition"]
    day_ids = list(edition.days.values_list("pk", flat=True))
    codes = []
    for n in range(24):
        registration, _token = registration_create(
            edition=edition,
            data=RegistrationData(
                first_name=f"Osoba{n}",
                last_name="Karta",
                email=f"karta{n}@example.org",
                day_ids=day_ids,
                privacy_consent=True,
            ),
            actor=door["organiser"],
        )
        codes.append(ticket_for_registration(registration=registration).code)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="pl-PL")
    try:
        tabs = [context.new_page(), context.new_page()]
        log_in(tabs[0], live_server, "bramkarz")
        tabs[1].goto(live_server.url + "/checkin/")
        tabs[1].locator("#ci-code").wait_for()
        context.set_offline(True)
        for tab in tabs:
            tab.locator("#ci-network").wait_for(state="visible")
        start = tabs[0].evaluate("() => Date.now() + 1000")
        shares = [codes[0::2], codes[1::2]]
        for tab, share in zip(tabs, shares, strict=True):
            tab.evaluate(
                """([start, share]) => {
                    const form = document.getElementById("ci-scan");
                    const field = document.getElementById("ci-code");
                    share.forEach((code, n) => setTimeout(() => {
                        field.value = code;
                        form.requestSubmit();
                    }, start - Date.now() + n * 5));
                }""",
                [start, share],
            )
        for tab in tabs:
            tab.wait_for_function(
                "() => document.querySelectorAll('#ci-pending li').length === 24",
                timeout=20_000,
            )
        context.set_offline(False)
        for tab in tabs:
            tab.locator("#ci-pending-section").wait_for(state="hidden", timeout=30_000)
        checked_in = list(CheckIn.objects.values_list("registration__first_name", "result"))
        assert sorted(checked_in) == sorted((f"Osoba{n}", "ok") for n in range(24))
    finally:
        context.close()
