"""Places in sessions (issue 18), in a real Chromium, keyboard only, at 390 px and 1280 px, in
Polish and English: Anna signs up for a 2-place workshop from the programme and sees it in her
agenda; Bartek takes the second place; Celina, third, joins the waiting list; Anna leaves, and
Celina's offer mail arrives through the real worker and a real SMTP server (aiosmtpd); she
takes the place from the mail's link. Her personal calendar feed parses with ``icalendar`` and
holds exactly her sessions. axe-core (WCAG 2.1 A/AA) checks every new page state."""

import datetime as dt

import icalendar
import pytest
from django.utils import timezone

from kongres.events.models import Session
from kongres.registration.models import SessionSignup
from tests.browser.test_registration_flow import Audit, deliver, link_in, new_page, url
from tests.factories import DayFactory, EditionFactory, SessionFactory
from tests.factories.registration import RegistrationFactory
from tests.mail.outbox import outbox_delivered

TEXTS = {
    "pl": {
        "sign_up": "Zapisz się",
        "join": "Zapisuję się na listę rezerwową",
        "leave": "Zrezygnuj",
        "signed": "Masz zapis na tę sesję.",
        "waiting": "Jesteś na liście oczekujących.",
        "take": "Przyjmuję miejsce",
        "agenda": "Twoje sesje",
    },
    "en": {
        "sign_up": "Sign up",
        "join": "Join the waiting list",
        "leave": "Leave",
        "signed": "You are signed up.",
        "waiting": "You are on the waiting list.",
        "take": "Take the place",
        "agenda": "Your sessions",
    },
}


@pytest.fixture
def world(transactional_db):
    edition = EditionFactory(
        capacity=20, title_pl="Kongres Warsztatowy", title_en="Workshop Congress"
    )
    day = DayFactory(edition=edition, date=edition.start_date)
    starts = timezone.make_aware(dt.datetime.combine(edition.start_date, dt.time(11, 0)))
    workshop = SessionFactory(
        edition=edition,
        kind=Session.Kind.WORKSHOP,
        signup_mode=Session.SignupMode.SIGNUP,
        capacity=2,
        title_pl="Warsztat partycypacji",
        title_en="Participation workshop",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
    )
    SessionFactory(  # another session with sign-ups, later: nobody here signs up for it
        edition=edition,
        signup_mode=Session.SignupMode.SIGNUP,
        capacity=50,
        title_pl="Panel popołudniowy",
        title_en="Afternoon panel",
        starts_at=starts + dt.timedelta(hours=4),
        ends_at=starts + dt.timedelta(hours=5),
    )
    return edition, day, workshop


def person(edition, day, name: str, language: str):
    return RegistrationFactory(
        edition=edition,
        verified=True,
        data__first_name=name,
        data__language=language,
        data__day_ids=[day.pk],
    )


def press_button(page, label: str, limit: int = 80) -> None:
    """Tab to the button whose text starts with ``label`` and press Enter (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "() => document.activeElement && document.activeElement.tagName === 'BUTTON'"
            " ? document.activeElement.innerText.trim() : ''"
        )
        if text.split(":")[0].strip() == label:
            page.keyboard.press("Enter")
            return
    cards = page.locator("[data-session-places]").all_inner_texts()
    raise AssertionError(f"Tab never reached the button {label!r} on {page.url}: {cards}")


def open_page(page, path: str, audit: Audit, name: str) -> None:
    response = page.goto(page.base_url + path)
    assert response.status == 200, path
    audit.check(page, name)


@pytest.mark.parametrize(("width", "language"), [(390, "pl"), (1280, "en")])
def test_workshop_signup_waiting_list_offer_and_feed(
    browser, live_server, axe, smtp_server, world, width, language
):
    edition, day, workshop = world
    texts = TEXTS[language]
    anna, bartek, celina = (
        person(edition, day, name, language) for name in ("Anna", "Bartek", "Celina")
    )
    outbox_delivered()  # their confirmations are not what this test reads
    audit = Audit(axe)
    programme = url("events:programme", language)
    pages = []
    try:
        for who in (anna, bartek, celina):
            context, page = new_page(browser, live_server, "pl-PL" if language == "pl" else "en")
            page.set_viewport_size({"width": width, "height": 800})
            pages.append((context, page))
            open_page(page, url("registration:manage", language, token=who.token), audit, "me")
        (_ca, a_page), (_cb, b_page), (_cc, c_page) = pages

        # Anna: sign up from the programme; the card answers in place; her agenda shows it
        open_page(a_page, programme, audit, "programme (2 places left)")
        press_button(a_page, texts["sign_up"])
        a_page.get_by_text(texts["signed"]).first.wait_for()
        audit.check(a_page, "programme (signed up)")
        open_page(a_page, url("registration:manage", language, token=anna.token), audit, "agenda")
        agenda = a_page.locator("section.agenda").inner_text()
        assert texts["agenda"] in agenda
        assert (workshop.title_pl if language == "pl" else workshop.title_en) in agenda

        # Bartek takes the last place, Celina joins the waiting list
        open_page(b_page, programme, audit, "programme (1 place left)")
        press_button(b_page, texts["sign_up"])
        b_page.get_by_text(texts["signed"]).first.wait_for()
        open_page(c_page, programme, audit, "programme (full)")
        press_button(c_page, texts["join"])
        c_page.get_by_text(texts["waiting"]).first.wait_for()
        audit.check(c_page, "programme (waiting)")

        # Anna leaves; Celina's offer arrives by mail; she takes the place from its link
        open_page(a_page, programme, audit, "programme (signed up, again)")
        press_button(a_page, texts["leave"])
        # the place is held by Celina's offer: the card says full again
        a_page.get_by_role("button", name=texts["join"]).first.wait_for()
        (offer,) = deliver(smtp_server, 1)
        assert offer["To"] == celina.email
        claim = link_in(offer, live_server.url, "/claim/" if language == "en" else "/odbierz/")
        response = c_page.goto(claim)
        assert response.status == 200
        audit.check(c_page, "session claim")
        press_button(c_page, texts["take"])
        c_page.wait_for_url(
            url("registration:manage", language, token=celina.token).join(["**", ""])
        )
        c_page.wait_for_load_state()
        audit.check(c_page, "agenda after claim")
        statuses = dict(
            SessionSignup.objects.filter(session=workshop).values_list(
                "registration__first_name", "status"
            )
        )
        assert statuses == {"Anna": "left", "Bartek": "signed_up", "Celina": "signed_up"}

        # Celina's own calendar: exactly the workshop, in Warsaw time with its VTIMEZONE
        feed = c_page.locator("a[type='text/calendar']").last.get_attribute("href")
        calendar = icalendar.Calendar.from_ical(c_page.request.get(feed).body())
        summaries = [str(event["summary"]) for event in calendar.walk("VEVENT")]
        assert summaries == [workshop.title_pl if language == "pl" else workshop.title_en]
        assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Warsaw"]

        # the other language of the pages seen (GET changes nothing)
        other = "en" if language == "pl" else "pl"
        open_page(c_page, url("events:programme", other), audit, "programme (other language)")
        open_page(
            c_page, url("registration:manage", other, token=celina.token), audit, "agenda (other)"
        )
        for _context, page in pages:
            assert page.watch.console_errors == []
            assert page.watch.foreign_requests == []
    finally:
        for context, _page in pages:
            context.close()
    assert audit.failures == [], "\n\n".join(audit.failures)
