"""Check-in through the API: the phone page's service and answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kongres.checkin.models import Gate
from kongres.registration.services import registration_verify
from kongres.registration.tickets import ticket_issue
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(make_token, api_client):
    edition = EditionFactory(slug="iv", capacity=50)
    day = DayFactory(edition=edition, date=timezone.localdate())
    gate = Gate.objects.create(edition=edition, name="Wejście A")

    def person():
        made = RegistrationFactory(edition=edition, data__day_ids=[day.pk])
        return ticket_issue(registration=registration_verify(token=made.token))

    api = api_client(make_token(edition, ["checkin"])[1])
    return {"edition": edition, "day": day, "gate": gate, "person": person, "api": api}


def _scan(door, code, nonce, **extra):
    return door["api"].post(
        "/api/v1/editions/iv/checkin/scans", {"code": code, "nonce": nonce, **extra}
    )


def test_scan_then_repeat_then_second_scan(door):
    ticket = door["person"]()
    first = _scan(door, ticket.code, "n1", gate=door["gate"].pk)
    assert first.status_code == 200
    assert (first.json()["ok"], first.json()["code"]) == (True, "ok")
    again = _scan(door, ticket.code, "n1", gate=door["gate"].pk)
    assert again.status_code == 200
    assert again.json()["repeated"] is True
    second = _scan(door, ticket.code, "n2")
    assert second.status_code == 409
    assert second.json()["code"] == "already_checked_in"
    assert second.json()["previous"]["gate"] == "Wejście A"


def test_unknown_code_is_409_and_bad_gate_is_422(door):
    unknown = _scan(door, "NIEMA-NIEMA", "n3")
    assert (unknown.status_code, unknown.json()["code"]) == (409, "unknown")
    other_gate = Gate.objects.create(edition=EditionFactory(), name="obca")
    bad = _scan(door, "X", "n4", gate=other_gate.pk)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    assert _scan(door, "X", "").status_code == 422


def test_counts_per_day_and_gate_and_the_ticket_list(door):
    tickets = [door["person"]() for _ in range(3)]
    _scan(door, tickets[0].code, "a", gate=door["gate"].pk)
    _scan(door, tickets[1].code, "b")
    [day] = door["api"].get("/api/v1/editions/iv/checkin/counts").json()
    assert (day["checked_in"], day["expected"]) == (2, 3)
    assert sorted((g["name"], g["checked_in"]) for g in day["gates"]) == [
        ("", 1),
        ("Wejście A", 1),
    ]
    listed = door["api"].get("/api/v1/editions/iv/checkin/tickets").json()
    assert sorted(t["code"] for t in listed) == sorted(t.code for t in tickets)


def test_ticket_list_queries_are_constant(door):
    door["person"]()
    door["api"].get("/api/v1/editions/iv/checkin/tickets")
    with CaptureQueriesContext(connection) as one:
        door["api"].get("/api/v1/editions/iv/checkin/tickets")
    for _ in range(19):
        door["person"]()
    with CaptureQueriesContext(connection) as twenty:
        assert len(door["api"].get("/api/v1/editions/iv/checkin/tickets").json()) == 20
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_a_null_character_in_a_scan_is_422(door):
    ticket = door["person"]()
    assert _scan(door, ticket.code, "n\x005").status_code == 422
    assert _scan(door, ticket.code + "\x00", "n6").status_code == 422
    assert _scan(door, ticket.code, "n7").status_code == 200  # the same code, well formed
