"""The whole registration, in a real Chromium against the live server, with the mail going
through the real worker to a real SMTP server (aiosmtpd):

Łucja registers with the keyboard only (Tab, typing, arrows, Space, Enter), makes two mistakes,
corrects them from the error summary, takes the last seat, reads the mail, confirms her
address; Ben registers in English, joins the waiting list and confirms; Łucja cancels on her
personal page and Ben's offer mail arrives; he takes the seat. Then the pages around it: a
second registration with the same address, "I lost my link", a link that does not work, and
registration not open yet / closed.

axe-core (WCAG 2.1 A/AA) checks every one of those pages in Polish and in English."""

import datetime as dt
import re
import time
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from kongres.registration.choices import QuestionKind
from kongres.registration.forms import min_fill_seconds
from kongres.registration.models import Registration
from tests.browser.conftest import PageWatch, axe_report
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import QuestionFactory

Status = Registration.Status
LANGUAGES = ("pl", "en")


@pytest.fixture
def edition(transactional_db):
    """Registration open, one seat, two days, one panel, one required question."""
    edition = EditionFactory(
        capacity=1,
        title_pl="Kongres Miast Testowych",
        title_en="Congress of Test Cities",
        registration_closes_at=timezone.now() + dt.timedelta(days=20),
    )
    DayFactory(edition=edition, date=edition.start_date, name_pl="Dzień pierwszy")
    DayFactory(edition=edition, date=edition.end_date, name_pl="Dzień drugi", name_en="Day two")
    TrackFactory(edition=edition, name_pl="Mobilność", name_en="Mobility")
    QuestionFactory(
        edition=edition,
        slug="nocleg",
        label_pl="Czy potrzebujesz noclegu?",
        label_en="Do you need accommodation?",
        kind=QuestionKind.YESNO,
        required=True,
    )
    return edition


class Audit:
    """Runs axe on pages and keeps what it found, so that one run reports every page."""

    def __init__(self, axe) -> None:
        self.axe = axe
        self.pages: list[tuple[str, str, int]] = []
        self.failures: list[str] = []

    def check(self, page, name: str) -> None:
        language = "en" if "/en/" in page.url else "pl"
        lang = page.evaluate("() => document.documentElement.lang")
        if lang != language:
            self.failures.append(f"{name} ({language}): <html lang={lang!r}>")
        violations = self.axe(page)
        self.pages.append((name, language, len(violations)))
        if violations:
            self.failures.append(f"{name} ({language}) {page.url}:\n{axe_report(violations)}")

    def both(self, page, name: str, url_name: str, status: int = 200, **kwargs) -> None:
        """Open the page in both languages (GET changes nothing) and check each."""
        for language in LANGUAGES:
            with translation.override(language):
                url = reverse(url_name, kwargs=kwargs or None)
            response = page.goto(page.base_url + url)
            assert response.status == status, f"{url}: HTTP {response.status}"
            self.check(page, name)


def new_page(browser, live_server, locale: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.watch = PageWatch(page, live_server.url)
    page.base_url = live_server.url
    return context, page


def url(name: str, language: str = "pl", **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def deliver(smtp_server, count: int) -> list[EmailMessage]:
    """Run the real worker once; return the messages that reached the SMTP server."""
    before = len(smtp_server.messages)
    call_command("worker", "--batch", verbosity=0)
    received = smtp_server.messages[before:]
    assert len(received) == count, [message["Subject"] for message in received]
    return received


def link_in(message: EmailMessage, base: str, path_part: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(re.escape(base) + r"/\S+", text)
    wanted = [link for link in links if path_part in link]
    assert wanted, f"no link with {path_part!r} in:\n{text}"
    return wanted[0]


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def active_id(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def tab_to(page, predicate_js: str, limit: int = 40) -> int:
    """Press Tab until the focused element matches; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return presses
    raise AssertionError(f"Tab never reached {predicate_js} (at #{active_id(page)})")


def tab_to_id(page, element_id: str, limit: int = 40) -> int:
    return tab_to(page, f"() => document.activeElement.id === '{element_id}'", limit)


def tab_to_submit(page) -> None:
    tab_to(page, "() => document.activeElement.matches('form.form button[type=submit]')", 60)


def wait_for_min_fill(loaded_at: float) -> None:
    """The form refuses an answer sent faster than a person could fill it in."""
    left = min_fill_seconds() + 0.5 - (time.monotonic() - loaded_at)
    if left > 0:
        time.sleep(left)


def status_of(email: str) -> str:
    return Registration.objects.values_list("status", flat=True).get(email=email)


def test_registration_waiting_list_and_offer_keyboard_only_and_axe_clean(
    browser, live_server, edition, smtp_server, axe
):
    audit = Audit(axe)
    context_a, page = new_page(browser, live_server, "pl-PL")
    context_b, page_b = new_page(browser, live_server, "en-GB")

    # -- Łucja, keyboard only ---------------------------------------------------------------
    page.goto(live_server.url + url("registration:register"))
    loaded_at = time.monotonic()
    assert "Zarejestruj się" in page.text_content("h1")
    assert page.locator(".notice").count() == 0  # a seat is free
    audit.both(page, "form", "registration:register")
    page.goto(live_server.url + url("registration:register"))
    loaded_at = time.monotonic()

    tab_to_id(page, "id_first_name")
    page.keyboard.type("Łucja")
    tab_to_id(page, "id_last_name", limit=1)
    page.keyboard.type("Źdźbło")
    tab_to_id(page, "id_email", limit=1)
    page.keyboard.type("lucja.zdzblo@")  # a mistake
    tab_to_id(page, "id_institution", limit=1)
    page.keyboard.type("Urząd Miasta Łodzi")
    tab_to_id(page, "id_sector_0", limit=2)  # skips "position"
    for _ in range(3):  # arrows move through a radio group and choose
        page.keyboard.press("ArrowDown")
    assert active_id(page) == "id_sector_3"
    tab_to_id(page, "id_town", limit=1)
    page.keyboard.type("Łódź")
    tab_to_id(page, "id_voivodeship", limit=1)
    for _ in range(16):
        if page.evaluate("() => document.activeElement.value") == "lodzkie":
            break
        page.keyboard.press("ArrowDown")
    tab_to_id(page, "id_days_0", limit=2)  # skips the municipality size
    page.keyboard.press("Space")
    tab_to_id(page, "id_tracks_0", limit=2)
    page.keyboard.press("Space")
    tab_to_id(page, "id_accessibility_needs_8", limit=9)  # "other (tell us below)"
    assert page.locator("#field-accessibility_other").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("#field-accessibility_other").is_visible()
    tab_to_id(page, "id_accessibility_other", limit=1)
    page.keyboard.type("pętla indukcyjna przy recepcji")
    tab_to_id(page, "id_dietary_needs", limit=1)
    page.keyboard.type("wegetariańska")
    tab_to_id(page, "id_q_nocleg_0", limit=1)
    page.keyboard.press("Space")  # "yes"
    # The privacy consent is forgotten; the hidden trap field is never reached by Tab.
    tab_to_submit(page)
    assert page.evaluate("() => document.querySelector('#id_homepage').value") == ""
    wait_for_min_fill(loaded_at)
    page.keyboard.press("Enter")

    # -- the form comes back with the two errors, the answers kept -------------------------
    page.locator("#error-summary").wait_for()
    assert page.title().startswith("Błąd:")
    assert active_id(page) == "error-summary"
    summary = page.locator("#error-summary a")
    assert summary.count() == 2
    assert [link.get_attribute("href") for link in summary.all()] == [
        "#id_email",
        "#id_privacy_consent",
    ]
    assert page.input_value("#id_first_name") == "Łucja"
    assert page.input_value("#id_email") == "lucja.zdzblo@"
    assert page.input_value("#id_voivodeship") == "lodzkie"
    assert page.is_checked("#id_sector_3") and page.is_checked("#id_days_0")
    assert page.is_checked("#id_accessibility_needs_8")
    assert page.input_value("#id_accessibility_other") == "pętla indukcyjna przy recepcji"
    assert page.input_value("#id_dietary_needs") == "wegetariańska"
    assert page.is_checked("#id_q_nocleg_0")
    for field in ("email", "privacy_consent"):
        described = page.get_attribute(f"#id_{field}", "aria-describedby").split()
        assert f"id_{field}_error" in described, field
        assert page.get_attribute(f"#id_{field}", "aria-invalid") == "true"
        assert page.text_content(f"#id_{field}_error").strip().startswith("Błąd:")
    assert "id_email_helptext" in page.get_attribute("#id_email", "aria-describedby")
    assert "Wpisz poprawny adres e-mail." in page.text_content("#id_email_error")
    # Polish writes the weekday in small letters inside the sentence.
    assert re.search(
        r"Dzień pierwszy \([a-ząćęłńóśźż]+, ", page.text_content("label[for=id_days_0]")
    )
    assert page.get_attribute("#id_first_name", "aria-invalid") is None
    audit.check(page, "form with errors")

    # From the summary to the field, still by keyboard.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active_id(page) == "id_email"
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("lucja.zdzblo@example.org")
    tab_to_id(page, "id_privacy_consent")
    page.keyboard.press("Space")
    tab_to_submit(page)
    page.keyboard.press("Enter")

    page.wait_for_url(live_server.url + url("registration:submitted"))
    assert "Sprawdź skrzynkę e-mail, aby zachować miejsce" in page.text_content("h1")
    assert "lucja.zdzblo@example.org" in page.text_content("main")
    assert status_of("lucja.zdzblo@example.org") == Status.HELD
    audit.check(page, "check your e-mail (seat held)")
    page.goto(live_server.url + url("registration:submitted", "en"))
    assert "Check your e-mail to keep your seat" in page.text_content("h1")
    audit.check(page, "check your e-mail (seat held)")

    # -- the mail, the link, the confirmation ----------------------------------------------
    [mail] = deliver(smtp_server, 1)
    assert mail["To"] == "lucja.zdzblo@example.org"
    verify_link = link_in(mail, live_server.url, "/rejestracja/potwierdz/")
    lucja = token_of(verify_link)
    page.goto(verify_link)
    assert "Potwierdź" in page.text_content("h1")
    audit.both(page, "confirm your address (seat held)", "registration:verify", token=lucja)
    page.goto(verify_link)
    tab_to(page, "() => document.activeElement.matches('main form button[type=submit]')", 60)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + url("registration:manage", token=lucja))
    assert "Dziękujemy: twój adres e-mail jest potwierdzony." in page.text_content(".messages")
    assert "Status: potwierdzona" in page.text_content("#status-title")
    assert "Twoje miejsce jest potwierdzone." in page.text_content(".status-box")
    assert status_of("lucja.zdzblo@example.org") == Status.CONFIRMED
    audit.check(page, "personal page (confirmed, with a message)")
    audit.both(page, "personal page (confirmed)", "registration:manage", token=lucja)
    audit.both(page, "change my answers", "registration:edit", token=lucja)
    [confirmed_mail] = deliver(smtp_server, 1)
    assert confirmed_mail["To"] == "lucja.zdzblo@example.org"

    # -- Ben, in English: the edition is full, he joins the waiting list --------------------
    page_b.goto(live_server.url + url("registration:register", "en"))
    assert "All seats are taken at the moment" in page_b.text_content(".registration__intro")
    audit.both(page_b, "form (no seat left)", "registration:register")
    page_b.goto(live_server.url + url("registration:register", "en"))
    loaded_b = time.monotonic()
    page_b.click("form.form button[type=submit]")
    page_b.locator("#error-summary").wait_for()
    assert page_b.title().startswith("Error:")
    # Errors of a group of boxes belong to its fieldset; every summary link finds its field.
    for field in ("sector", "days", "privacy_consent", "q_nocleg"):
        described = page_b.get_attribute(
            f"#field-{field} fieldset, #id_{field}", "aria-describedby"
        )
        assert f"id_{field}_error" in described.split(), field
    assert "Do you need accommodation? Answer this question." in page_b.text_content(
        "#error-summary"
    )
    for href in page_b.locator("#error-summary a").evaluate_all("l => l.map(a => a.hash)"):
        assert page_b.locator(href).count() == 1, href
    audit.check(page_b, "form with errors")
    page_b.fill("#id_first_name", "Ben")
    page_b.fill("#id_last_name", "Walker")
    page_b.fill("#id_email", "ben@example.org")
    page_b.check("#id_sector_0")
    page_b.check("#id_days_1")
    page_b.check("#id_q_nocleg_1")
    page_b.check("#id_privacy_consent")
    wait_for_min_fill(loaded_b)
    page_b.click("form.form button[type=submit]")
    page_b.wait_for_url(live_server.url + url("registration:submitted", "en"))
    assert "Check your e-mail to join the waiting list" in page_b.text_content("h1")
    audit.check(page_b, "check your e-mail (waiting list)")
    page_b.goto(live_server.url + url("registration:submitted"))
    audit.check(page_b, "check your e-mail (waiting list)")
    assert status_of("ben@example.org") == Status.WAITING_UNVERIFIED

    [mail] = deliver(smtp_server, 1)
    assert mail["To"] == "ben@example.org"
    verify_b = link_in(mail, live_server.url, "/en/registration/verify/")
    ben = token_of(verify_b)
    audit.both(page_b, "confirm your address (waiting list)", "registration:verify", token=ben)
    page_b.goto(verify_b)
    page_b.click("main form button[type=submit]")
    page_b.wait_for_url(live_server.url + url("registration:manage", "en", token=ben))
    assert "You are number 1 on the waiting list." in page_b.text_content(".status-box")
    assert status_of("ben@example.org") == Status.WAITING
    audit.check(page_b, "personal page (waiting list, with a message)")
    audit.both(page_b, "personal page (waiting list)", "registration:manage", token=ben)
    audit.both(page_b, "leave the waiting list?", "registration:cancel", token=ben)
    deliver(smtp_server, 1)  # "you are on the waiting list"

    # -- Łucja cancels (keyboard) and the seat goes to Ben ---------------------------------
    page.goto(live_server.url + url("registration:manage", token=lucja))
    cancel_path = url("registration:cancel", token=lucja)
    tab_to(page, f"() => document.activeElement.getAttribute('href') === '{cancel_path}'", 80)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + cancel_path)
    assert "Anulować rejestrację?" in page.text_content("h1")
    audit.both(page, "cancel your registration?", "registration:cancel", token=lucja)
    page.goto(live_server.url + cancel_path)
    tab_to(page, "() => document.activeElement.matches('main .button--danger')", 60)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + url("registration:manage", token=lucja))
    assert "Twoja rejestracja została anulowana." in page.text_content(".messages")
    assert status_of("lucja.zdzblo@example.org") == Status.CANCELLED
    assert status_of("ben@example.org") == Status.OFFERED
    audit.check(page, "personal page (cancelled, with a message)")
    audit.both(page, "personal page (cancelled)", "registration:manage", token=lucja)

    mails = deliver(smtp_server, 2)
    offer = next(m for m in mails if m["To"] == "ben@example.org")
    assert {m["To"] for m in mails} == {"ben@example.org", "lucja.zdzblo@example.org"}
    claim_link = link_in(offer, live_server.url, "/en/registration/claim/")
    audit.both(
        page_b, "a seat is waiting for you", "registration:claim", token=token_of(claim_link)
    )
    page_b.goto(claim_link)
    assert "A seat is waiting for you" in page_b.text_content("h1")
    page_b.click("main form button[type=submit]")
    page_b.wait_for_url(
        live_server.url + url("registration:manage", "en", token=token_of(claim_link))
    )
    assert "The seat is yours." in page_b.text_content(".messages")
    assert status_of("ben@example.org") == Status.CONFIRMED
    audit.check(page_b, "personal page (seat taken, with a message)")

    # -- the same address again: the answer of a new registration (no address oracle, L1) ---
    for language, title in (("pl", "Sprawdź skrzynkę"), ("en", "Check your e-mail")):
        page_b.goto(live_server.url + url("registration:register", language))
        loaded = time.monotonic()
        page_b.fill("#id_first_name", "Ben")
        page_b.fill("#id_last_name", "Walker")
        page_b.fill("#id_email", "ben@example.org")
        page_b.check("#id_sector_0")
        page_b.check("#id_days_1")
        page_b.check("#id_q_nocleg_1")
        page_b.check("#id_privacy_consent")
        wait_for_min_fill(loaded)
        page_b.click("form.form button[type=submit]")
        page_b.wait_for_url(live_server.url + url("registration:submitted", language))
        page_b.locator("h1").filter(has_text=title).wait_for()
        audit.check(page_b, "registered address sent again")

    # -- "I lost my link", a link that does not work ---------------------------------------
    for language in LANGUAGES:
        page_b.goto(live_server.url + url("registration:link", language))
        audit.check(page_b, "get your link again")
        page_b.fill("#id_email", "ben@")
        page_b.click("form.form button[type=submit]")
        page_b.locator("#error-summary").wait_for()
        assert page_b.input_value("#id_email") == "ben@"
        assert "id_email_error" in page_b.get_attribute("#id_email", "aria-describedby")
        audit.check(page_b, "get your link again, with an error")
        page_b.fill("#id_email", "ben@example.org")
        page_b.click("form.form button[type=submit]")
        page_b.wait_for_url(live_server.url + url("registration:link-sent", language))
        audit.check(page_b, "link sent")
    audit.both(
        page_b, "a link that does not work", "registration:manage", status=404, token="zly-link"
    )

    # -- registration not open yet, then closed --------------------------------------------
    edition.registration_opens_at = timezone.now() + dt.timedelta(days=2)
    edition.save(update_fields=["registration_opens_at"])
    audit.both(page_b, "registration opens soon", "registration:register")
    assert "Registration opens on" in page_b.text_content(".notice")
    edition.registration_opens_at = None
    edition.registration_closes_at = timezone.now() - dt.timedelta(hours=1)
    edition.save(update_fields=["registration_opens_at", "registration_closes_at"])
    audit.both(page_b, "registration closed", "registration:register")
    assert "Registration is closed." in page_b.text_content(".notice")

    # -- nothing from other hosts, no script errors (but the intended 404) -----------------
    for watched in (page, page_b):
        assert watched.watch.foreign_requests == []
        unexpected = [e for e in watched.watch.console_errors if "status of 404" not in e]
        assert unexpected == []
    context_a.close()
    context_b.close()

    checked = {(name, language) for name, language, _count in audit.pages}
    assert len(checked) >= 40, sorted(checked)
    assert {language for _name, language in checked} == {"pl", "en"}
    assert audit.failures == [], "\n".join(audit.failures)


def register_page_with_errors(page, live_server) -> None:
    page.goto(live_server.url + url("registration:register"))
    page.fill("#id_first_name", "Łucja")
    page.fill("#id_email", "lucja@")
    page.click("form.form button[type=submit]")
    page.locator("#error-summary").wait_for()


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_screenshots_of_the_form(browser, live_server, edition, screenshot, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="pl-PL")
    page = context.new_page()
    page.goto(live_server.url + url("registration:register"))
    for name in ("registration-form", "registration-form-errors"):
        if name.endswith("errors"):
            register_page_with_errors(page, live_server)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
        assert screenshot(page, f"{name}-{width}x{height}").stat().st_size > 10_000
    context.close()
