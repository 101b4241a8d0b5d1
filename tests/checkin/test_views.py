"""The check-in pages by content: access, scanning by form and by the JSON endpoint, search,
live counts, the service worker, badges and the participant's ticket."""

import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from kongres.checkin.models import CheckIn
from kongres.registration.services import ticket_reissue
from kongres.registration.tickets import ticket_for_registration
from tests.checkin.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def url(name, language="pl", **kwargs):
    with translation.override(language):
        return reverse(f"checkin:{name}", kwargs=kwargs or None)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def scan_api(client, language="pl", **data):
    return client.post(
        url("api-scan", language), data, HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN="x"
    )


def test_addresses_in_both_languages():
    assert url("page") == "/checkin/"
    assert url("page", "en") == "/en/checkin/"
    assert url("login") == "/checkin/login/"
    assert url("ticket-pdf", token="ABC") == "/rejestracja/moja/ABC/bilet.pdf"
    assert url("ticket-pdf", "en", token="ABC") == "/en/registration/manage/ABC/ticket.pdf"


def test_anonymous_is_sent_to_the_checkin_login(client, edition):
    response = client.get("/checkin/")
    assert response.status_code == 302
    assert response["Location"] == "/checkin/login/?next=/checkin/"


def test_staff_who_is_not_an_admin_user_logs_in_on_the_checkin_login(client, staff):
    assert not staff.is_staff
    page = client.get("/checkin/login/?next=/checkin/")
    assert "Zaloguj się, aby rejestrować wejścia" in page.content.decode()
    response = client.post(
        "/checkin/login/", {"username": "bramkarz", "password": PASSWORD, "next": "/checkin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/checkin/"
    assert "Wejścia" in client.get("/checkin/").content.decode()


def test_wrong_password_is_said_in_polish(client, staff):
    response = client.post("/checkin/login/", {"username": "bramkarz", "password": "zle"})
    assert "Wprowadź poprawne wartości pól" in response.content.decode()


def test_user_not_assigned_to_the_edition_gets_403_with_the_reason(client, edition):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user(username="obcy", password="x"))
    response = client.get("/en/checkin/")
    assert response.status_code == 403
    assert "Your account may not check people in at this edition." in response.content.decode()
    api = client.get(url("api-counts"), HTTP_ACCEPT="application/json")
    assert api.status_code == 403
    assert api.json()["code"] == "forbidden"


def test_api_after_the_session_ended_says_login(client, edition):
    response = client.get(url("api-counts"))
    assert response.status_code == 403
    assert response.json()["code"] == "login"


def test_page_shows_counts_day_gates_and_the_scan_field(staff_client, register, gates, day1):
    register()
    register()
    content = staff_client.get("/checkin/").content.decode()
    assert '<strong id="ci-count-in">0</strong> / <span id="ci-count-expected">2</span>' in content
    assert 'id="ci-code" name="code"' in content
    assert "autofocus" in content
    assert "Brama 2" in content
    assert "Dzień pierwszy" in content
    assert "Kod biletu" in content
    english = staff_client.get("/en/checkin/").content.decode()
    assert "Ticket code" in english
    assert "Day one" in english


def test_scan_without_javascript_green_then_already_checked_in(staff_client, register, day1, gates):
    registration = register(first_name="Zofia", last_name="Żółć")
    code = ticket_for_registration(registration=registration).code
    data = {"code": code, "day": day1.pk, "gate": gates[0].pk, "nonce": "form-1"}
    first = staff_client.post("/checkin/", data).content.decode()
    assert "Wejście zarejestrowane" in first
    assert "Zofia Żółć" in first
    assert "Urząd Miasta Krakowa" in first
    second = staff_client.post("/en/checkin/", data | {"nonce": "form-2"}).content.decode()
    assert "Already checked in" in second
    assert "Brama 1, by Piotr Bramkarz" in second


def test_scan_api_answers_ok_then_409_with_when_where_who(staff_client, register, day1, gates):
    code = ticket_for_registration(registration=register(first_name="Jan")).code
    data = {"code": code, "day": day1.pk, "gate": gates[1].pk, "nonce": "api-1"}
    first = scan_api(staff_client, **data)
    assert first.status_code == 200
    assert first.json()["ok"] is True
    assert first.json()["headline"] == "Wejście zarejestrowane"
    assert first.json()["name"].startswith("Jan ")
    again = scan_api(staff_client, **data)
    assert again.status_code == 200
    assert again.json()["repeated"] is True
    other = scan_api(staff_client, "en", **(data | {"nonce": "api-2"}))
    assert other.status_code == 409
    body = other.json()
    assert body["code"] == "already_checked_in"
    assert body["headline"] == "Already checked in"
    assert body["previous"]["gate"] == "Brama 2"
    assert body["previous"]["staff"] == "Piotr Bramkarz"
    assert CheckIn.objects.count() == 2


def test_scan_api_refusals_and_invalid_input(staff_client, register, day1):
    registration = register()
    old = ticket_for_registration(registration=registration).code
    ticket_reissue(registration=registration)
    revoked = scan_api(staff_client, code=old, day=day1.pk, nonce="r")
    assert revoked.status_code == 409
    assert revoked.json()["headline"] == "Stary bilet"
    unknown = scan_api(staff_client, code="ZZZZ", day=day1.pk, nonce="u")
    assert (unknown.status_code, unknown.json()["code"]) == (409, "unknown")
    empty = scan_api(staff_client, code="", day=day1.pk, nonce="e")
    assert empty.status_code == 422
    assert empty.json()["message"] == "Zeskanuj lub wpisz kod biletu."


def test_scan_api_refuses_a_scan_saved_under_another_account(staff_client, staff, register, day1):
    """Review 2026-12, L7: the page's script says whose queue a scan comes from; the server
    never records it under another account (403: the script keeps it for its owner)."""
    code = ticket_for_registration(registration=register()).code
    other = scan_api(staff_client, code=code, day=day1.pk, nonce="o", by=staff.pk + 1000)
    assert (other.status_code, other.json()["code"]) == (403, "other_account")
    assert other.json()["message"] == (
        "Ten skan zapisało w telefonie inne konto: nie został wysłany."
    )
    assert CheckIn.objects.count() == 0
    own = scan_api(staff_client, code=code, day=day1.pk, nonce="s", by=staff.pk)
    assert own.status_code == 200
    assert CheckIn.objects.get().staff == staff


def test_scan_api_needs_the_csrf_token(client, staff, register, day1):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    code = ticket_for_registration(registration=register()).code
    response = strict.post(url("api-scan"), {"code": code, "day": day1.pk, "nonce": "c"})
    assert response.status_code == 403
    assert CheckIn.objects.count() == 0


def test_search_without_diacritics_finds_the_name_and_by_institution(staff_client, register, day1):
    register(first_name="Zofia", last_name="Żółć", institution="Urząd Miasta Łodzi")
    register(first_name="Jan", last_name="Kowalski", institution="Politechnika Śląska")
    page = staff_client.get("/checkin/?q=zolc").content.decode()
    assert "Zofia Żółć" in page
    assert "Jan Kowalski" not in page
    assert "Znaleziono 1 osobę" in page
    found = staff_client.get(url("api-search"), {"q": "slaska"}).json()["results"]
    assert [r["name"] for r in found] == ["Jan Kowalski"]
    assert found[0]["status_label"] == "potwierdzona"
    by_city = staff_client.get(url("api-search"), {"q": "LODZ zofia"}).json()["results"]
    assert [r["institution"] for r in by_city] == ["Urząd Miasta Łodzi"]


def test_check_in_from_a_search_result(staff_client, register, day1):
    registration = register(first_name="Ewa", last_name="Źdźbło")
    response = staff_client.post(
        "/checkin/", {"registration": registration.pk, "day": day1.pk, "nonce": "s-1"}
    )
    assert "Wejście zarejestrowane" in response.content.decode()
    assert "Ewa Źdźbło" in response.content.decode()


def test_search_query_count_does_not_grow_with_results(
    staff_client, register, day1, django_assert_num_queries
):
    register(last_name="Żak 1")
    staff_client.get(url("api-search"), {"q": "zak"})  # warm the session and permissions
    # the session is read from the cache (cached_db); the user is read with whether the
    # account must give a second factor and its roles (accounts.backends)
    with django_assert_num_queries(4) as one:
        assert len(staff_client.get(url("api-search"), {"q": "zak"}).json()["results"]) == 1
    register(last_name="Żak 2")
    register(last_name="Żak 3")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(staff_client.get(url("api-search"), {"q": "zak"}).json()["results"]) == 3


def test_scan_query_count(staff_client, register, day1, gates, django_assert_num_queries):
    """A scan through the JSON endpoint, pinned: user, with whether the account must give a
    second factor (it has no app: no) and its roles (the session comes from the cache),
    the savepoint of the scan's transaction; in it (on PostgreSQL first SET LOCAL
    lock_timeout) the ticket with its registration (locked) and whether it was let in today,
    and whether the edition has webhook subscribers (none here: no read of them later), the
    registration's days (read once for the decision and the answer), the insert. The edition's
    days and gates are memoized (no query for the form); a nonce is looked up only when the
    insert finds it taken."""
    codes = [
        ticket_for_registration(registration=register(email=f"p{n}@example.org")).code
        for n in range(2)
    ]
    gate = gates[0].pk
    # the session warmed, the days and gates memoized
    scan_api(staff_client, code=codes[0], day=day1.pk, gate=gate, nonce="first")
    with django_assert_num_queries(6 + (connection.vendor == "postgresql")):
        response = scan_api(staff_client, code=codes[1], day=day1.pk, gate=gate, nonce="second")
    assert response.status_code == 200
    assert response.json()["ok"] is True


# A scan's round trips to the shared cache, the session warm: the session, the user's roles and
# second-factor requirement (accounts.roles.access_of: a cache read instead of two subqueries
# that cost more to build than the round trip), the current edition, the edition's days and
# gates (one read).
SCAN_CACHE_READS = 4


def test_scan_round_trips_to_the_shared_cache(staff_client, register, day1, gates, settings):
    """The database cache as the default cache (a site without Redis): every round trip to the
    shared cache is a statement that CaptureQueriesContext sees."""
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    settings.CACHES = {**settings.CACHES, "default": settings.CACHES["database"]}
    cache.clear()
    codes = [
        ticket_for_registration(registration=register(email=f"c{n}@example.org")).code
        for n in range(2)
    ]
    scan_api(staff_client, code=codes[0], day=day1.pk, gate=gates[0].pk, nonce="warm")
    with CaptureQueriesContext(connection) as queries:
        response = scan_api(staff_client, code=codes[1], day=day1.pk, gate=gates[0].pk, nonce="n")
    assert response.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if "kongres_cache" in q["sql"]]
    assert len(reads) == SCAN_CACHE_READS, reads
    assert "kongres:access" in reads[1]
    assert "checkin:days" in reads[-1]
    assert "checkin:gates" in reads[-1]
    cache.clear()


def test_a_gate_added_is_known_to_the_next_scan(staff_client, register, day1, gates):
    """The scan form's days and gates are memoized; adding a gate shows at once."""
    from kongres.checkin.models import Gate

    codes = [
        ticket_for_registration(registration=register(email=f"p{n}@example.org")).code
        for n in range(2)
    ]
    scan_api(staff_client, code=codes[0], day=day1.pk, gate=gates[0].pk, nonce="first")
    added = Gate.objects.create(edition=day1.edition, name="Brama 3", order=3)
    response = scan_api(staff_client, code=codes[1], day=day1.pk, gate=added.pk, nonce="second")
    assert response.status_code == 200, response.json()
    assert CheckIn.objects.get(nonce="second").gate == added
    # a gate of no edition's scan: refused as a choice that is not there
    response = scan_api(staff_client, code=codes[1], day=day1.pk, gate=added.pk + 100, nonce="x")
    assert response.status_code == 422


def test_live_counts(staff_client, register, day1, day2):
    code = ticket_for_registration(registration=register()).code
    register(days=[day2])
    before = staff_client.get(url("api-counts"), {"day": day1.pk}).json()
    assert before == {"day": day1.pk, "checked_in": 0, "expected": 1}
    scan_api(staff_client, code=code, day=day1.pk, nonce="n")
    after = staff_client.get(url("api-counts"), {"day": day1.pk}).json()
    assert after["checked_in"] == 1
    every = staff_client.get(url("api-counts-all")).json()["days"]
    assert [(d["checked_in"], d["expected"]) for d in every] == [(1, 1), (0, 2)]


def test_service_worker_lists_the_page_and_its_files(client):
    response = client.get("/en/checkin/sw.js")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/javascript")
    assert 'const PAGE = "/en/checkin/";' in body
    assert "/static/checkin/checkin.js" in body
    assert "/static/checkin/vendor/jsQR.js" in body


def test_page_has_no_inline_script_or_style(staff_client, register, day1):
    register()
    content = staff_client.get("/checkin/?q=anna").content.decode()
    assert "style=" not in content
    assert "<script>" not in content
    assert 'type="application/json"' in content  # the strings for the script, not code
    assert json.loads(content.split('id="ci-strings" type="application/json">')[1].split("<")[0])


def test_badges_pdf_for_a_sector(client, organiser, register, day1):
    staff_client = client
    staff_client.force_login(organiser)  # badges: a role that may see the participants
    register(sector="science", first_name="Zofia")
    register(sector="business", first_name="Jan")
    form = staff_client.get("/checkin/badges/").content.decode()
    assert "Identyfikatory" in form
    response = staff_client.get("/checkin/badges/", {"sector": "science", "download": "1"})
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_ticket_pdf_by_the_secret_link_only(client, register):
    registration = register()
    ticket = ticket_for_registration(registration=registration)
    pdf = client.get(url("ticket-pdf", token=registration.token))
    assert pdf["Content-Type"] == "application/pdf"
    assert {"private", "no-store"} <= set(pdf["Cache-Control"].split(", "))
    assert pdf["X-Robots-Tag"] == "noindex, nofollow"
    assert pdf["Content-Disposition"] == (
        f'inline; filename="ticket-{registration.edition.slug}.pdf"'
    )
    phone = client.get(url("ticket-pdf", token=registration.token) + "?size=phone")
    assert phone.content[:4] == b"%PDF"
    assert client.get(url("ticket-pdf", token="x" * 43)).status_code == 404
    # the code that staff see at the door opens nothing
    assert client.get(f"/bilet/{ticket.code}.pdf").status_code == 404
    assert client.get(url("ticket-pdf", token=ticket.code)).status_code == 404


def test_no_ticket_pdf_once_cancelled(client, register, organiser):
    from kongres.registration.services import registration_cancel

    registration = register()
    assert client.get(url("ticket-pdf", token=registration.token)).status_code == 200
    registration_cancel(registration=registration, actor=organiser)
    assert client.get(url("ticket-pdf", token=registration.token)).status_code == 404


def test_page_query_count_does_not_grow_with_search_results_and_scans(
    staff_client, register, day1, django_assert_num_queries, django_assert_max_num_queries
):
    def add():
        registration = register(last_name="Żak")
        code = ticket_for_registration(registration=registration).code
        scan_api(staff_client, code=code, day=day1.pk, nonce=f"n-{registration.pk}")

    add()
    staff_client.get("/checkin/?q=zak")
    with django_assert_max_num_queries(30) as one:
        assert staff_client.get("/checkin/?q=zak").content.decode().count("ci-person__name") == 1
    queries = len(one.captured_queries)  # read now: each request empties the query log
    add()
    add()
    with django_assert_num_queries(queries):
        assert staff_client.get("/checkin/?q=zak").content.decode().count("ci-person__name") == 3
