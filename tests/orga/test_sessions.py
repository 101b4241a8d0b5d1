"""Places in sessions in the back office (issue 18): the list, one session's page, its
settings (a smaller room warns, the form keeps what was typed), the chart, the moderator's
list, the messages' "session" filter."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.checkin.services import session_attendance_perform
from kongres.events.models import Day, Session
from kongres.registration.models import SessionPlaces
from kongres.registration.segments import registration_filter
from kongres.registration.services.sessions import session_signup
from kongres.registration.tickets import ticket_for_registration
from tests.factories import RoomFactory, SessionFactory
from tests.orga.conftest import register


@pytest.fixture
def workshop(edition):
    room = RoomFactory(venue=edition.venue, capacity=30, name_pl="Sala duża")
    return SessionFactory(
        edition=edition,
        signup_mode=Session.SignupMode.SIGNUP,
        capacity=None,
        room=room,
        title_pl="Warsztat rewitalizacji",
    )


@pytest.fixture
def admin_client(client, role_user):
    client.force_login(role_user("admin"))
    return client


def signed_up(edition, workshop, count):
    people = [register(edition, first_name=f"Osoba{n}") for n in range(count)]
    for person in people:
        session_signup(registration=person, session=workshop)
    return people


def test_session_list_and_detail_show_the_counts(manager_client, edition, workshop):
    signed_up(edition, workshop, 2)
    page = manager_client.get(reverse("orga:session-list", kwargs={"edition": edition.slug}))
    body = page.content.decode()
    assert "Warsztat rewitalizacji" in body
    detail = manager_client.get(
        reverse("orga:session-detail", kwargs={"edition": edition.slug, "pk": workshop.pk})
    )
    text = " ".join(detail.content.decode().split())
    assert "<dt>Zapisani</dt><dd>2</dd>" in text.replace("> <", "><")
    assert "<dt>Miejsca</dt><dd>30</dd>" in text.replace("> <", "><")
    assert "<dt>Weszło</dt><dd>0</dd>" in text.replace("> <", "><")


def test_session_detail_counts_the_people_scanned_in_at_its_door(manager_client, edition, workshop):
    first, _second = signed_up(edition, workshop, 2)
    day = Day.objects.get(edition=edition, date=timezone.localdate(workshop.starts_at))
    answer = session_attendance_perform(
        code=ticket_for_registration(registration=first).code,
        session=workshop,
        day=day,
        staff=None,
        nonce="door-1",
    )
    assert answer.ok, answer.reason
    detail = manager_client.get(
        reverse("orga:session-detail", kwargs={"edition": edition.slug, "pk": workshop.pk})
    )
    text = " ".join(detail.content.decode().split()).replace("> <", "><")
    assert "<dt>Weszło</dt><dd>1</dd>" in text


def test_smaller_room_warns_and_keeps_what_was_typed(admin_client, edition, workshop):
    signed_up(edition, workshop, 2)  # (the edition has 2 seats)
    small = RoomFactory(venue=edition.venue, capacity=1, name_pl="Sala mała")
    url = reverse("orga:session-edit", kwargs={"edition": edition.slug, "pk": workshop.pk})
    response = admin_client.post(url, {"signup_mode": "required", "capacity": "", "room": small.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Miejsce w tej sesji ma 2 osób, a miejsc byłoby tylko 1." in body
    assert 'value="required" selected' in body
    assert f'<option value="{small.pk}" selected>' in body
    workshop.refresh_from_db()
    assert workshop.room_id != small.pk  # nothing saved
    confirmed = admin_client.post(
        url,
        {"signup_mode": "required", "capacity": "", "room": small.pk, "smaller_confirmed": "on"},
    )
    assert confirmed.status_code == 302
    workshop.refresh_from_db()
    assert (workshop.room_id, workshop.signup_mode) == (small.pk, "required")
    places = SessionPlaces.objects.get(session=workshop)
    assert (places.capacity, places.taken, places.overbooked) == (1, 2, 1)


def test_bad_capacity_keeps_what_was_typed(admin_client, edition, workshop):
    url = reverse("orga:session-edit", kwargs={"edition": edition.slug, "pk": workshop.pk})
    response = admin_client.post(url, {"signup_mode": "signup", "capacity": "-4", "room": ""})
    assert response.status_code == 200
    assert 'value="-4"' in response.content.decode()


def test_manager_cannot_change_places(manager_client, edition, workshop):
    url = reverse("orga:session-edit", kwargs={"edition": edition.slug, "pk": workshop.pk})
    assert manager_client.get(url).status_code == 403


def test_moderator_list_csv_and_xlsx(manager_client, edition, workshop):
    signed_up(edition, workshop, 2)
    base = {"edition": edition.slug, "pk": workshop.pk}
    response = manager_client.get(reverse("orga:session-export", kwargs={**base, "kind": "csv"}))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Status", "Imię", "Nazwisko"]
    assert sorted(row[1] for row in rows[1:]) == ["Osoba0", "Osoba1"]
    xlsx = manager_client.get(reverse("orga:session-export", kwargs={**base, "kind": "xlsx"}))
    content = b"".join(xlsx.streaming_content)
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "Osoba0" in sheet and "Osoba1" in sheet


def test_chart_is_svg_with_the_session(manager_client, edition, workshop):
    signed_up(edition, workshop, 1)
    response = manager_client.get(reverse("orga:session-chart", kwargs={"edition": edition.slug}))
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "Warsztat rewitalizacji" in response.content.decode()


def test_segment_session_filter(edition, workshop):
    people = signed_up(edition, workshop, 2)
    register(edition)  # not signed up
    found = registration_filter(edition=edition, params={"session": [str(workshop.pk)]})
    assert sorted(r.pk for r in found) == sorted(p.pk for p in people)
