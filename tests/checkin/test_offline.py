"""The door without network: the signed
list of hashed ticket codes (what it holds, what it does not), its endpoint's refusals, and a
scan decided offline that the server decides otherwise (a conflict, recorded)."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse

from kongres.audit.models import AuditLogEntry
from kongres.checkin.models import CheckIn
from kongres.checkin.offline import code_hash, offline_list_public_key, offline_list_verify
from kongres.checkin.services import CheckinError, checkin_perform
from kongres.registration.services import registration_cancel
from kongres.registration.tickets import ticket_for_registration
from tests.factories import DayFactory, EditionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def offline_list(client, **params):
    return client.get(reverse("checkin:api-offline-list"), params, HTTP_ACCEPT="application/json")


def test_the_list_holds_hashed_codes_and_names_only(staff_client, register, day1, day2, gates):
    zofia = register(first_name="Zofia", last_name="Żółć", email="zofia@example.org")
    jan = register(first_name="Jan", last_name="Kowalski", days=[day2])  # not on day one
    ewa = register(first_name="Ewa", last_name="Nowak")
    gone = register(first_name="Adam", last_name="Anulowany")
    codes = {r.first_name: ticket_for_registration(registration=r).code for r in (zofia, jan, ewa)}
    gone_code = ticket_for_registration(registration=gone).code
    registration_cancel(registration=gone, actor=None)
    checkin_perform(code=codes["Ewa"], day=day1, gate=gates[0], staff=None, nonce="in-already")

    response = offline_list(staff_client, day=day1.pk)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    signed = response.json()
    assert set(signed) == {"payload", "signature"}
    payload = offline_list_verify(signed=signed)
    assert payload is not None
    assert (payload["edition"], payload["day"], payload["session"]) == (
        day1.edition_id,
        day1.pk,
        None,
    )
    salt = payload["salt"]
    assert sorted(payload["entries"]) == sorted(
        [
            [code_hash(salt=salt, code=codes["Zofia"]), "Zofia Żółć", 0],
            [code_hash(salt=salt, code=codes["Ewa"]), "Ewa Nowak", 1],
        ]
    )
    text = signed["payload"]
    for secret in [*codes.values(), gone_code, "zofia@example.org", "Urząd", "Kowalski"]:
        assert secret not in text
    # a fresh salt for every list: the hashes of one list say nothing of another's
    again = offline_list_verify(signed=offline_list(staff_client, day=day1.pk).json())
    assert again["salt"] != salt
    assert code_hash(salt=again["salt"], code=codes["Zofia"]) != code_hash(
        salt=salt, code=codes["Zofia"]
    )


def test_the_list_s_signature_breaks_when_anything_changes(staff_client, register, day1):
    register(first_name="Zofia")
    signed = offline_list(staff_client, day=day1.pk).json()
    assert offline_list_verify(signed=signed) is not None
    payload = json.loads(signed["payload"])
    payload["entries"].append(["0" * 32, "Fałszywy Gość", 0])
    forged = {"payload": json.dumps(payload), "signature": signed["signature"]}
    assert offline_list_verify(signed=forged) is None
    flipped = bytearray(base64.urlsafe_b64decode(signed["signature"] + "=="))
    flipped[40] ^= 0x10
    bad_signature = base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("=")
    assert offline_list_verify(signed=signed | {"signature": bad_signature}) is None
    assert offline_list_verify(signed=signed | {"signature": "not base64 !"}) is None
    assert offline_list_verify(signed={"payload": signed["payload"]}) is None
    # signed by another key (another SECRET_KEY): refused with ours
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    other_key = base64.urlsafe_b64encode(other).decode().rstrip("=")
    assert offline_list_verify(signed=signed, key=other_key) is None


def test_the_page_carries_the_key_that_verifies_the_list(staff_client, day1):
    page = staff_client.get("/checkin/").content.decode()
    assert f'data-list-key="{offline_list_public_key()}"' in page
    assert 'data-list-url="/checkin/api/offline-list/"' in page
    assert 'data-zone="Europe/Warsaw"' in page


def test_the_list_endpoint_refuses_a_wrong_day(staff_client, edition, day1):
    past = day1.date.replace(year=day1.date.year - 1)
    other = EditionFactory(start_date=past, end_date=past)  # an older edition
    other_day = DayFactory(edition=other, date=past)
    for params in ({"day": "x"}, {"day": "1.5"}, {"day": other_day.pk}, {"day": 999_999}):
        response = offline_list(staff_client, **params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "invalid"


def test_the_list_is_for_check_in_staff_only(client, edition, day1, register):
    register()
    response = offline_list(client, day=day1.pk)
    assert response.status_code == 403
    assert response.json()["code"] == "login"


def scan_api(client, **data):
    return client.post(
        reverse("checkin:api-scan"), data, HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN="x"
    )


def test_let_in_offline_at_two_doors_is_a_conflict_shown_and_recorded(
    staff_client, staff, register, day1, gates
):
    ewa = register(first_name="Ewa", last_name="Nowak")
    code = ticket_for_registration(registration=ewa).code
    # gate 1 was online and let her in
    first = scan_api(staff_client, code=code, day=day1.pk, gate=gates[0].pk, nonce="door-1")
    assert first.status_code == 200 and first.json()["conflict"] is False
    # gate 2 was offline, let her in too, and sends its scan now
    response = scan_api(
        staff_client, code=code, day=day1.pk, gate=gates[1].pk, nonce="door-2", offline="ok"
    )
    assert response.status_code == 409
    data = response.json()
    assert (data["code"], data["conflict"], data["name"]) == (
        "already_checked_in",
        True,
        "Ewa Nowak",
    )
    assert data["previous"]["gate"] == "Brama 1"
    entry = AuditLogEntry.objects.get(action="checkin.offline_conflict")
    row = CheckIn.objects.get(nonce="door-2")
    assert (entry.object_id, entry.edition_id, entry.actor) == (str(row.pk), day1.edition_id, staff)
    assert entry.after | {"scanned_at": "", "previous_at": ""} == {
        "offline": "ok",
        "server": "already_checked_in",
        "registration": ewa.pk,
        "session": None,
        "gate": "Brama 2",
        "device": "",
        "scanned_at": "",
        "previous_gate": "Brama 1",
        "previous_at": "",
    }

    # the same scan sent again (its nonce replayed): the first answer, nothing recorded twice
    again = scan_api(
        staff_client, code=code, day=day1.pk, gate=gates[1].pk, nonce="door-2", offline="ok"
    )
    assert again.status_code == 409
    assert again.json()["repeated"] is True and again.json()["conflict"] is True
    assert AuditLogEntry.objects.filter(action="checkin.offline_conflict").count() == 1
    assert CheckIn.objects.filter(registration=ewa).count() == 2


def test_refused_offline_but_let_in_by_the_server_is_a_conflict_too(staff_client, register, day1):
    late = register(first_name="Późna", last_name="Osoba")  # confirmed after the list
    code = ticket_for_registration(registration=late).code
    response = scan_api(staff_client, code=code, day=day1.pk, nonce="late", offline="unknown")
    assert response.status_code == 200
    assert response.json()["conflict"] is True
    entry = AuditLogEntry.objects.get(action="checkin.offline_conflict")
    assert (entry.after["offline"], entry.after["server"]) == ("unknown", "ok")


def test_agreeing_offline_answers_are_no_conflict(staff_client, register, day1):
    zofia = register(first_name="Zofia")
    code = ticket_for_registration(registration=zofia).code
    assert (
        scan_api(staff_client, code=code, day=day1.pk, nonce="a", offline="ok").json()["conflict"]
        is False
    )
    forged = scan_api(staff_client, code="A" * 32, day=day1.pk, nonce="b", offline="unknown")
    assert forged.status_code == 409
    assert (forged.json()["code"], forged.json()["conflict"]) == ("unknown", False)
    twice = scan_api(staff_client, code=code, day=day1.pk, nonce="c", offline="already")
    assert (twice.json()["code"], twice.json()["conflict"]) == ("already_checked_in", False)
    assert not AuditLogEntry.objects.filter(action="checkin.offline_conflict").exists()


def test_a_replayed_nonce_with_another_code_gets_the_first_answer(staff_client, register, day1):
    zofia = register(first_name="Zofia", last_name="Żółć")
    jan = register(first_name="Jan", last_name="Kowalski")
    first = scan_api(
        staff_client, code=ticket_for_registration(registration=zofia).code, day=day1.pk, nonce="n1"
    )
    replay = scan_api(
        staff_client, code=ticket_for_registration(registration=jan).code, day=day1.pk, nonce="n1"
    )
    assert first.json()["name"] == "Zofia Żółć"
    assert (replay.status_code, replay.json()["name"], replay.json()["repeated"]) == (
        200,
        "Zofia Żółć",
        True,
    )
    assert list(CheckIn.objects.values_list("registration__first_name", flat=True)) == ["Zofia"]


def test_an_offline_answer_that_is_not_one_is_refused(staff_client, register, day1):
    zofia = register(first_name="Zofia")
    code = ticket_for_registration(registration=zofia).code
    response = scan_api(staff_client, code=code, day=day1.pk, nonce="x1", offline="maybe")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not CheckIn.objects.exists()
    with pytest.raises(CheckinError):
        checkin_perform(code=code, day=day1, gate=None, staff=None, nonce="x2", offline="maybe")


def test_the_list_without_a_day_is_today_s(staff_client, day1, register):
    register()
    payload = offline_list_verify(signed=offline_list(staff_client).json())
    assert payload["day"] == day1.pk and len(payload["entries"]) == 1
