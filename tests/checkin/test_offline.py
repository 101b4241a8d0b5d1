"""The door without network: the Ed25519 signer against RFC 8032's own vectors, the signed
list of hashed ticket codes (what it holds, what it does not), its endpoint's refusals, and a
scan decided offline that the server decides otherwise (a conflict, recorded)."""

import base64
import json

import pytest
from django.urls import reverse

from kongres.audit.models import AuditLogEntry
from kongres.checkin import ed25519
from kongres.checkin.models import CheckIn
from kongres.checkin.offline import code_hash, offline_list_public_key, offline_list_verify
from kongres.checkin.services import CheckinError, checkin_perform
from kongres.registration.services import registration_cancel
from kongres.registration.tickets import ticket_for_registration
from tests.factories import DayFactory, EditionFactory

pytestmark = pytest.mark.django_db

# RFC 8032, section 7.1: TEST 1, TEST 2 and TEST 3 (secret key, public key, message, signature)
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
        "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e"
        "458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290"
        "ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_ed25519_gives_the_rfc_8032_vectors(secret, public, message, signature):
    seed, message = bytes.fromhex(secret), bytes.fromhex(message)
    assert ed25519.public_key(seed).hex() == public
    assert ed25519.sign(seed, message).hex() == signature
    assert ed25519.verify(bytes.fromhex(public), message, bytes.fromhex(signature))


def test_ed25519_refuses_a_changed_message_signature_or_key():
    _seed, public, _message, signature = (bytes.fromhex(v) for v in RFC8032[1])
    assert not ed25519.verify(public, b"s", signature)
    tampered = bytearray(signature)
    tampered[5] ^= 1
    assert not ed25519.verify(public, bytes.fromhex("72"), bytes(tampered))
    other = ed25519.public_key(bytes(32))
    assert not ed25519.verify(other, bytes.fromhex("72"), signature)
    assert not ed25519.verify(public, bytes.fromhex("72"), signature[:63])


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
    other_key = base64.urlsafe_b64encode(ed25519.public_key(bytes(32))).decode().rstrip("=")
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
