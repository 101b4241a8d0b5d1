"""The door without network, in a real browser (issue 18): with the network cut, the check-in
page decides at once from the signed list it downloaded — a valid ticket, a forged code, a
ticket scanned twice, one let in before the download — and after the sync the counts agree
with the server's, and the person let in at two doors is shown as a conflict and recorded. A
list changed on the phone is not believed. Keyboard only; axe finds nothing, in PL and EN."""

import datetime as dt
import json

from kongres.audit.models import AuditLogEntry
from kongres.checkin.models import CheckIn
from kongres.checkin.offline import code_hash
from kongres.checkin.services import checkin_perform
from tests.browser import test_checkin
from tests.browser.test_checkin import assert_axe_clean, log_in

door = test_checkin.door  # the same edition, staff and tickets, on the same phone
phone = test_checkin.phone

FORGED = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # looks like a ticket code, is none


def type_code(page, code: str) -> None:
    """A hand scanner: it types into the focused field and presses Enter."""
    assert page.evaluate("() => document.activeElement.id") == "ci-code"
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def answer(page, headline: str) -> str:
    page.wait_for_function(
        "(text) => !document.querySelector('#ci-result').hidden &&"
        " document.querySelector('#ci-result').textContent.includes(text)",
        arg=headline,
    )
    return page.locator("#ci-result").get_attribute("class")


def go_offline(context, page) -> None:
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.locator("#ci-network").wait_for(state="visible")


def test_offline_answers_at_once_and_agree_after_the_sync(phone, live_server, door, axe):
    context, page = phone
    zofia, jan, ewa, piotr = door["codes"]
    day = door["edition"].days.order_by("date").first()
    checkin_perform(code=zofia, day=day, gate=door["gate"], staff=None, nonce="before")

    log_in(page, live_server, "bramkarz")
    status = page.locator("#ci-list-status")
    status.wait_for(state="visible")
    assert "biletów 4" in status.text_content()
    go_offline(context, page)

    type_code(page, jan)
    assert "ci-result--ok" in answer(page, "Bilet ważny (sprawdzono bez sieci)")
    assert "Jan Kowalski" in page.text_content("#ci-result")
    assert "Zapisano w telefonie" in page.text_content("#ci-result")
    assert_axe_clean(page, axe, "valid offline")
    page.keyboard.press("Escape")

    type_code(page, jan)  # the same ticket again: seen on this phone
    assert "ci-result--no" in answer(page, "Już wpuszczono (sprawdzono bez sieci)")
    assert "Jan Kowalski" in page.text_content("#ci-result")
    assert_axe_clean(page, axe, "twice offline")
    page.keyboard.press("Escape")

    type_code(page, zofia)  # let in before the list was downloaded
    assert "ci-result--no" in answer(page, "Już wpuszczono (sprawdzono bez sieci)")
    page.keyboard.press("Escape")

    type_code(page, FORGED)
    assert "ci-result--no" in answer(page, "Nieznany bilet (sprawdzono bez sieci)")
    assert_axe_clean(page, axe, "forged offline")
    page.keyboard.press("Escape")

    type_code(page, jan[:-1] + ("A" if jan[-1] != "A" else "B"))  # one character changed
    answer(page, "Nieznany bilet (sprawdzono bez sieci)")
    page.keyboard.press("Escape")

    type_code(page, ewa.lower())  # typed by hand, in lower case: the same ticket
    assert "ci-result--ok" in answer(page, "Bilet ważny (sprawdzono bez sieci)")
    page.keyboard.press("Escape")
    assert page.locator("#ci-pending li").count() == 6
    assert_axe_clean(page, axe, "offline with decided scans waiting")

    # Meanwhile gate 2, online, lets Ewa in: two doors let her in.
    checkin_perform(code=ewa, day=day, gate=door["gate"], staff=door["organiser"], nonce="g2")

    context.set_offline(False)
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    conflicts = page.locator("#ci-conflicts li")
    conflicts.wait_for()
    assert conflicts.count() == 1
    text = conflicts.first.text_content()
    assert "Ewa Nowak" in text and "Wpuszczono tu bez sieci" in text and "Brama 2" in text
    assert "Niezgodności z serwerem: 1." in page.text_content("#ci-announce")
    assert page.locator("#ci-refused li").count() == 0  # the refusals agreed with the list
    assert_axe_clean(page, axe, "conflict shown")

    # The counts agree: the page's, the server's, and who was let in.
    in_db = CheckIn.objects.filter(day=day, result="ok").count()
    assert in_db == 3  # Zofia (before), Jan (offline), Ewa (gate 2); not Piotr, not forged
    page.wait_for_function(
        "(n) => document.querySelector('#ci-count-in').textContent === String(n)", arg=in_db
    )
    sent = CheckIn.objects.exclude(nonce__in=["before", "g2"]).values_list("result", flat=True)
    assert sorted(sent) == sorted(
        [
            "ok",
            "already_checked_in",
            "already_checked_in",
            "unknown",
            "unknown",
            "already_checked_in",
        ]
    )
    entry = AuditLogEntry.objects.get(action="checkin.offline_conflict")
    assert (entry.after["offline"], entry.after["server"]) == ("ok", "already_checked_in")

    # The conflict stays until staff dismiss it, with the keyboard.
    page.reload()
    assert page.locator("#ci-conflicts li").count() == 1
    page.locator("#ci-conflicts button").focus()
    page.keyboard.press("Enter")
    page.locator("#ci-conflicts-section").wait_for(state="hidden")

    # In English, after a fresh list: the people let in are on it as already in.
    page.goto(live_server.url + "/en/checkin/")
    page.locator("#ci-list-status").wait_for(state="visible")
    assert "4 tickets" in page.text_content("#ci-list-status")
    go_offline(context, page)
    type_code(page, ewa)
    assert "ci-result--no" in answer(page, "Already in (checked offline)")
    assert_axe_clean(page, axe, "offline answer in English")
    page.keyboard.press("Escape")
    type_code(page, piotr)
    assert "ci-result--ok" in answer(page, "Valid ticket (checked offline)")
    assert_axe_clean(page, axe, "valid offline in English")
    context.set_offline(False)
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    page.wait_for_function("() => document.querySelector('#ci-count-in').textContent === '4'")
    assert CheckIn.objects.filter(day=day, result="ok").count() == 4
    assert page.watch.foreign_requests == []
    errors = [
        error
        for error in page.watch.console_errors
        if "ERR_INTERNET_DISCONNECTED" not in error and "409 (Conflict)" not in error
    ]
    assert errors == []


def test_a_list_changed_on_the_phone_is_not_believed(phone, live_server, door):
    """Someone adds a forged code to the list kept on the phone and marks a person as not in:
    the signature no longer holds, the page says so, and offline scans are only kept."""
    context, page = phone
    zofia = door["codes"][0]
    day = door["edition"].days.order_by("date").first()
    checkin_perform(code=zofia, day=day, gate=door["gate"], staff=None, nonce="before")
    log_in(page, live_server, "bramkarz")
    page.locator("#ci-list-status").wait_for(state="visible")
    other_day = door["edition"].days.order_by("date").last()
    other_list = page.evaluate(
        "(url) => fetch(url).then((response) => response.json())",
        f"/checkin/api/offline-list/?day={other_day.pk}",
    )
    key, signed = page.evaluate(
        """() => { const key = Object.keys(localStorage)
                     .find((k) => k.startsWith("kongres-checkin-list:"));
                   return [key, JSON.parse(localStorage.getItem(key))]; }"""
    )
    payload = json.loads(signed["payload"])
    payload["entries"] = [[h, name, 0] for h, name, _inside in payload["entries"]]
    payload["entries"].append([code_hash(salt=payload["salt"], code=FORGED), "Fałszywy Gość", 0])
    tampered = {"payload": json.dumps(payload), "signature": signed["signature"]}
    go_offline(context, page)
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [key, json.dumps(tampered)])
    page.reload()
    status = page.locator("#ci-list-status")
    page.wait_for_function(
        "() => document.querySelector('#ci-list-status').textContent.includes('nieważna')"
    )
    assert "podpis się nie zgadza" in status.text_content()
    type_code(page, FORGED)
    assert "ci-result--pending" in answer(page, "Zapisano w telefonie")
    assert "Fałszywy Gość" not in page.text_content("#ci-result")
    page.keyboard.press("Escape")
    type_code(page, zofia)
    assert "ci-result--pending" in answer(page, "Zapisano w telefonie")

    # A list signed for another day (its signature holds) is not used for this one either.
    page.keyboard.press("Escape")
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)", [key, json.dumps(other_list)]
    )
    page.reload()
    page.wait_for_function(
        "() => document.querySelector('#ci-list-status').textContent.includes('nieważna')"
    )

    # Back online: the server answers, a fresh list replaces the changed one.
    context.set_offline(False)
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    page.wait_for_function(
        "() => document.querySelector('#ci-list-status').textContent.includes('biletów 4')"
    )
    assert sorted(CheckIn.objects.exclude(nonce="before").values_list("result", flat=True)) == [
        "already_checked_in",
        "unknown",
    ]


def test_recent_scans_show_the_congress_time_on_a_phone_set_to_utc(browser, live_server, door):
    """A newcomer's find: the list of recent scans showed the phone's time (UTC) while the
    answer said Warsaw's. Every time on the page is now Warsaw's."""
    from zoneinfo import ZoneInfo

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="pl-PL", timezone_id="UTC"
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
        zofia, jan = door["codes"][:2]
        log_in(page, live_server, "bramkarz")
        type_code(page, zofia)
        answer(page, "Wejście zarejestrowane")
        page.keyboard.press("Escape")
        type_code(page, zofia)
        answer(page, "Już zarejestrowano")
        first = CheckIn.objects.get(result="ok")
        warsaw = first.scanned_at.astimezone(ZoneInfo("Europe/Warsaw")).strftime("%H:%M")
        utc = first.scanned_at.astimezone(ZoneInfo("UTC")).strftime("%H:%M")
        assert warsaw != utc
        assert f"o {warsaw}" in page.text_content("#ci-result")
        page.keyboard.press("Escape")
        times = page.locator("#ci-recent time").all_text_contents()
        assert times[-1] == warsaw and len(times) == 2, times
        # the same after a reload (drawn by the server) and for a scan kept offline
        page.reload()
        assert page.locator("#ci-recent time").all_text_contents()[-1] == warsaw
        go_offline(context, page)
        type_code(page, jan)
        answer(page, "Bilet ważny (sprawdzono bez sieci)")
        pending_time = page.locator("#ci-pending time").first
        iso = pending_time.get_attribute("datetime")
        expected = page.evaluate(
            "(iso) => new Intl.DateTimeFormat('en-GB', {hour: '2-digit', minute: '2-digit',"
            " hourCycle: 'h23', timeZone: 'Europe/Warsaw'}).format(new Date(iso))",
            iso,
        )
        assert pending_time.text_content() == expected
    finally:
        context.close()


def test_the_door_of_a_session_online_and_offline(phone, live_server, door, axe):
    """Session / room mode: the staff member picks a session with the keyboard, scans people
    in, offline too; the counts are the session's, not the day's."""
    from django.utils import timezone as django_timezone

    from kongres.checkin.models import SessionAttendance
    from tests.factories import RoomFactory, SessionFactory

    context, page = phone
    zofia, jan = door["codes"][:2]
    edition = door["edition"]
    day = edition.days.order_by("date").first()
    room = RoomFactory(venue=edition.venue, name_pl="Sala 3", name_en="Room 3", capacity=30)
    ten = django_timezone.make_aware(dt.datetime.combine(day.date, dt.time(10, 0)))
    workshop = SessionFactory(
        edition=edition, title_pl="Warsztat", title_en="Workshop", room=room, starts_at=ten
    )
    log_in(page, live_server, "bramkarz")
    page.locator("#id_session").focus()
    page.keyboard.press("ArrowDown")  # the first session of the day
    page.locator("#ci-place-form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**session={workshop.pk}**")
    assert "Przy drzwiach: Warsztat (Sala 3)" in page.text_content(".ci-session")
    assert page.text_content("#ci-count-expected") == "30"
    assert_axe_clean(page, axe, "session mode")
    page.locator("#ci-list-status").wait_for(state="visible")
    page.locator("#ci-code").focus()

    type_code(page, zofia)
    answer(page, "Wejście zarejestrowane")
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#ci-count-in').textContent === '1'")
    go_offline(context, page)
    type_code(page, zofia)
    assert "ci-result--no" in answer(page, "Już wpuszczono (sprawdzono bez sieci)")
    page.keyboard.press("Escape")
    type_code(page, jan)
    assert "ci-result--ok" in answer(page, "Bilet ważny (sprawdzono bez sieci)")
    page.keyboard.press("Escape")
    context.set_offline(False)
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    page.wait_for_function("() => document.querySelector('#ci-count-in').textContent === '2'")
    assert sorted(
        SessionAttendance.objects.filter(session=workshop).values_list("result", flat=True)
    ) == ["already_checked_in", "ok", "ok"]
    assert not CheckIn.objects.exists()  # the day's entrance counts are untouched

    page.goto(f"{live_server.url}/en/checkin/?day={day.pk}&session={workshop.pk}")
    assert "At the door of: Workshop (Room 3)" in page.text_content(".ci-session")
    assert_axe_clean(page, axe, "session mode in English")


def test_seen_on_this_phone_outlives_a_fresh_list(phone, live_server, door):
    """The scans cannot reach the server (their requests fail) while the list still can: a
    fresh list (a fresh salt, and the server does not know of the waiting scan) must not make
    a ticket let in here valid again."""
    _context, page = phone
    jan = door["codes"][1]
    log_in(page, live_server, "bramkarz")
    page.locator("#ci-list-status").wait_for(state="visible")
    page.route("**/checkin/api/scan/", lambda route: route.abort())
    type_code(page, jan)
    answer(page, "Bilet ważny (sprawdzono bez sieci)")
    page.keyboard.press("Escape")
    salt = page.evaluate(
        """() => JSON.parse(JSON.parse(localStorage.getItem(Object.keys(localStorage)
             .find((k) => k.startsWith("kongres-checkin-list:")))).payload).salt"""
    )
    page.select_option("#id_gate", str(door["gate"].pk))  # the page fetches a fresh list
    page.wait_for_function(
        """(salt) => JSON.parse(JSON.parse(localStorage.getItem(Object.keys(localStorage)
             .find((k) => k.startsWith("kongres-checkin-list:")))).payload).salt !== salt""",
        arg=salt,
    )
    page.locator("#ci-code").focus()
    type_code(page, jan)
    assert "ci-result--no" in answer(page, "Już wpuszczono (sprawdzono bez sieci)")
    page.keyboard.press("Escape")
    page.unroute("**/checkin/api/scan/")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.locator("#ci-pending-section").wait_for(state="hidden", timeout=20_000)
    assert sorted(CheckIn.objects.values_list("result", flat=True)) == [
        "already_checked_in",
        "ok",
    ]
