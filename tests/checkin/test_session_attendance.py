"""Attendance per session: the check-in page's "session / room" mode, its service (once per
person and session, idempotent by nonce, the day's refusals), its counts, its offline list,
and the refusals of input that does not fit (a session of another day or edition)."""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from kongres.checkin.models import CheckIn, SessionAttendance
from kongres.checkin.offline import code_hash, offline_list_verify
from kongres.checkin.selectors import (
    checkin_sessions,
    session_attendance_counts,
    session_counts,
)
from kongres.checkin.services import CheckinError, checkin_perform, session_attendance_perform
from kongres.registration.tickets import ticket_for_registration
from tests.factories import DayFactory, EditionFactory, RoomFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop(edition):
    room = RoomFactory(venue=edition.venue, name_pl="Sala 3", capacity=30)
    return SessionFactory(edition=edition, title_pl="Warsztat budżetowy", room=room)


@pytest.fixture
def panel_day2(edition, day2):
    return SessionFactory(
        edition=edition,
        title_pl="Panel drugiego dnia",
        starts_at=timezone.make_aware(dt.datetime.combine(day2.date, dt.time(9, 30))),
        capacity=12,
    )


def code_of(registration):
    return ticket_for_registration(registration=registration).code


def test_a_person_is_let_in_once_per_session_and_day_refusals_hold(
    register, day1, day2, workshop, staff
):
    zofia = register(first_name="Zofia", last_name="Żółć")
    only_day2 = register(first_name="Jan", days=[day2])
    first = session_attendance_perform(
        code=code_of(zofia), session=workshop, day=day1, staff=staff, nonce="s1"
    )
    assert (first.ok, first.reason, first.registration) == (True, "ok", zofia)
    again = session_attendance_perform(
        code=code_of(zofia), session=workshop, day=day1, staff=staff, nonce="s2"
    )
    assert again.reason == "already_checked_in"
    assert again.previous == first.checkin
    assert "przez Piotr Bramkarz" in again.detail
    replay = session_attendance_perform(
        code="", session=workshop, day=day1, staff=staff, nonce="s1"
    )
    assert (replay.repeated, replay.reason) == (True, "ok")
    not_today = session_attendance_perform(
        code=code_of(only_day2), session=workshop, day=day1, staff=staff, nonce="s3"
    )
    assert not_today.reason == "not_today"
    forged = session_attendance_perform(
        code="A" * 32, session=workshop, day=day1, staff=staff, nonce="s4"
    )
    assert forged.reason == "unknown"
    assert list(SessionAttendance.objects.order_by("pk").values_list("nonce", "result")) == [
        ("s1", "ok"),
        ("s2", "already_checked_in"),
        ("s3", "not_today"),
        ("s4", "unknown"),
    ]
    # attendance at a session is not an entrance check-in
    assert not CheckIn.objects.exists()
    assert session_attendance_counts(edition=workshop.edition) == {workshop.pk: 1}


def test_the_database_refuses_a_second_accepted_scan(register, day1, workshop):
    zofia = register()
    session_attendance_perform(
        code=code_of(zofia), session=workshop, day=day1, staff=None, nonce="a"
    )
    with pytest.raises(IntegrityError):
        SessionAttendance.objects.create(
            nonce="b",
            edition=workshop.edition,
            session=workshop,
            registration=zofia,
            result="ok",
            scanned_at=workshop.starts_at,
        )


def test_a_session_of_another_day_or_edition_is_refused(register, day1, day2, workshop, edition):
    zofia = register()
    with pytest.raises(CheckinError) as error:
        session_attendance_perform(
            code=code_of(zofia), session=workshop, day=day2, staff=None, nonce="x"
        )
    assert error.value.code == "invalid"
    past = day1.date.replace(year=day1.date.year - 1)
    other = EditionFactory(start_date=past, end_date=past)
    DayFactory(edition=other, date=past)
    foreign = SessionFactory(edition=other)
    with pytest.raises(CheckinError):
        session_attendance_perform(
            code=code_of(zofia), session=foreign, day=day1, staff=None, nonce="y"
        )
    assert not SessionAttendance.objects.exists()


def test_counts_per_session(register, day1, workshop, panel_day2, day2, edition, staff):
    people = [register() for _ in range(3)]
    for n, person in enumerate(people):
        session_attendance_perform(
            code=code_of(person), session=workshop, day=day1, staff=staff, nonce=f"w{n}"
        )
    session_attendance_perform(
        code=code_of(people[0]), session=panel_day2, day=day2, staff=staff, nonce="p0"
    )
    session_attendance_perform(
        code=code_of(people[0]), session=workshop, day=day1, staff=staff, nonce="w-again"
    )
    assert session_attendance_counts(edition=edition) == {workshop.pk: 3, panel_day2.pk: 1}
    counts = session_counts(session=workshop)
    assert (counts.checked_in, counts.capacity) == (3, 30)  # the room's places
    assert session_counts(session=panel_day2).capacity == 12  # the session's own
    assert checkin_sessions(edition=edition, day=day1) == [workshop]
    assert checkin_sessions(edition=edition, day=day2) == [panel_day2]


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def scan_api(client, **data):
    return client.post(
        reverse("checkin:api-scan"), data, HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN="x"
    )


def test_the_page_in_session_mode(staff_client, register, day1, workshop):
    zofia = register(first_name="Zofia", last_name="Żółć")
    page = staff_client.get(f"/checkin/?day={day1.pk}&session={workshop.pk}").content.decode()
    assert f'data-session="{workshop.pk}"' in page
    assert "Przy drzwiach: <strong>Warsztat budżetowy</strong> (Sala 3)" in page
    assert '<span id="ci-count-expected">30</span>' in page
    assert f'<option value="{workshop.pk}" selected>10:00 Warsztat budżetowy (Sala 3)' in page

    response = scan_api(
        staff_client, code=code_of(zofia), day=day1.pk, session=workshop.pk, nonce="p1"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Zofia Żółć"
    twice = scan_api(
        staff_client, code=code_of(zofia), day=day1.pk, session=workshop.pk, nonce="p2"
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "already_checked_in")
    counts = staff_client.get(
        reverse("checkin:api-counts"), {"day": day1.pk, "session": workshop.pk}
    ).json()
    assert counts == {"session": workshop.pk, "checked_in": 1, "expected": 30}
    # the entrance's counts are the day's, untouched
    assert (
        staff_client.get(reverse("checkin:api-counts"), {"day": day1.pk}).json()["checked_in"] == 0
    )
    # without JavaScript: the form posts to the page
    other = register(first_name="Ewa", last_name="Nowak")
    answer = staff_client.post(
        "/checkin/",
        {"code": code_of(other), "day": day1.pk, "session": workshop.pk, "nonce": "p3"},
    )
    assert "Ewa Nowak" in answer.content.decode()
    assert session_attendance_counts(edition=workshop.edition) == {workshop.pk: 2}


def test_bad_session_input_is_refused(staff_client, register, day1, day2, workshop):
    zofia = register()
    wrong_day = scan_api(
        staff_client, code=code_of(zofia), day=day2.pk, session=workshop.pk, nonce="b1"
    )
    assert (wrong_day.status_code, wrong_day.json()["code"]) == (422, "invalid")
    assert "nie odbywa się w wybranym dniu" in wrong_day.json()["message"]
    unknown = scan_api(staff_client, code=code_of(zofia), day=day1.pk, session=999_999, nonce="b2")
    assert unknown.status_code == 422
    assert not SessionAttendance.objects.exists() and not CheckIn.objects.exists()
    listed = staff_client.get(
        reverse("checkin:api-offline-list"), {"day": day2.pk, "session": workshop.pk}
    )
    assert (listed.status_code, listed.json()["code"]) == (422, "invalid")
    listed = staff_client.get(reverse("checkin:api-offline-list"), {"day": day1.pk, "session": "x"})
    assert listed.status_code == 422


def test_the_offline_list_of_a_session(staff_client, register, day1, workshop, gates):
    zofia = register(first_name="Zofia", last_name="Żółć")
    jan = register(first_name="Jan", last_name="Kowalski")
    checkin_perform(code=code_of(jan), day=day1, gate=gates[0], staff=None, nonce="gate")
    session_attendance_perform(
        code=code_of(zofia), session=workshop, day=day1, staff=None, nonce="room"
    )
    signed = staff_client.get(
        reverse("checkin:api-offline-list"), {"day": day1.pk, "session": workshop.pk}
    ).json()
    payload = offline_list_verify(signed=signed)
    assert payload["session"] == workshop.pk
    salt = payload["salt"]
    # in the room: Zofia; Jan came through the gate, not to this session
    assert sorted(payload["entries"]) == sorted(
        [
            [code_hash(salt=salt, code=code_of(zofia)), "Zofia Żółć", 1],
            [code_hash(salt=salt, code=code_of(jan)), "Jan Kowalski", 0],
        ]
    )


def test_an_offline_conflict_at_a_session_door_is_recorded(staff_client, register, day1, workshop):
    from kongres.audit.models import AuditLogEntry

    zofia = register()
    code = code_of(zofia)
    scan_api(staff_client, code=code, day=day1.pk, session=workshop.pk, nonce="c1")
    late = scan_api(
        staff_client, code=code, day=day1.pk, session=workshop.pk, nonce="c2", offline="ok"
    )
    assert late.json()["conflict"] is True
    entry = AuditLogEntry.objects.get(action="checkin.offline_conflict")
    assert entry.object_type == "checkin.sessionattendance"
    assert entry.after["session"] == workshop.pk


def test_the_person_s_data_export_lists_their_attendance(register, day1, workshop):
    from kongres.privacy.services import registration_export

    zofia = register()
    session_attendance_perform(
        code=code_of(zofia), session=workshop, day=day1, staff=None, nonce="e"
    )
    data = registration_export(zofia)
    assert [(a["session"], a["result"]) for a in data["session_attendance"]] == [
        ("Warsztat budżetowy", "ok")
    ]
