"""The public reads: the same data as the public pages, cached, constant queries."""

import copy
import time

import jsonschema_rs
import pytest
import schemathesis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kongres.events.models import Edition, Session
from kongres.registration.services.sessions import session_signup
from kongres.registration.sessions import places_seconds
from tests.factories import (
    EditionFactory,
    NewsPostFactory,
    RoomFactory,
    SessionFactory,
    SpeakerFactory,
    TrackFactory,
)
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db


def test_editions_leave_out_drafts_and_speak_the_asked_language(client):
    EditionFactory(slug="iv", title_pl="IV Kongres", title_en="4th Congress")
    EditionFactory(slug="szkic", status=Edition.Status.DRAFT)
    pl = client.get("/api/v1/editions")
    en = client.get("/api/v1/editions", headers={"Accept-Language": "en"})
    assert pl.status_code == 200
    assert [(e["slug"], e["title"]) for e in pl.json()] == [("iv", "IV Kongres")]
    assert [(e["slug"], e["title"]) for e in en.json()] == [("iv", "4th Congress")]


def test_unknown_edition_is_404_with_code_and_translated_message(client):
    pl = client.get("/api/v1/editions/nie-ma", headers={"Accept-Language": "pl"})
    en = client.get("/api/v1/editions/nie-ma", headers={"Accept-Language": "en"})
    assert pl.status_code == en.status_code == 404
    assert pl.json() == {"code": "not_found", "message": "Nie znaleziono."}
    assert en.json() == {"code": "not_found", "message": "Not found."}


def test_sessions_with_speakers_rooms_and_tracks(client):
    edition = EditionFactory(slug="iv")
    track = TrackFactory(edition=edition, slug="miasto")
    room = RoomFactory(venue=edition.venue, slug="sala-a")
    session = SessionFactory(edition=edition, slug="otwarcie", track=track, room=room)
    speaker = SpeakerFactory(slug="anna", name="Anna Kowalska")
    session.speakers.add(speaker)
    [out] = client.get("/api/v1/editions/iv/sessions").json()
    assert (out["slug"], out["track"], out["room"]) == ("otwarcie", "miasto", "sala-a")
    assert [s["slug"] for s in out["speakers"]] == ["anna"]
    assert client.get("/api/v1/editions/iv/sessions/otwarcie").json() == out
    [person] = client.get("/api/v1/editions/iv/speakers").json()
    assert (person["slug"], person["sessions"]) == ("anna", ["otwarcie"])
    assert [r["slug"] for r in client.get("/api/v1/editions/iv/rooms").json()] == ["sala-a"]
    assert [t["slug"] for t in client.get("/api/v1/editions/iv/tracks").json()] == ["miasto"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url", ["/api/v1/editions/iv/sessions", "/api/v1/editions/iv/speakers", "/api/v1/news"]
)
def test_reads_take_the_same_number_of_queries_for_1_and_20_rows(client, settings, url):
    settings.PUBLIC_CACHE_SECONDS = 0  # measure the reads, not the cache
    edition = EditionFactory(slug="iv")
    track = TrackFactory(edition=edition)
    room = RoomFactory(venue=edition.venue)

    def add(n):
        session = SessionFactory(edition=edition, track=track, room=room)
        session.speakers.add(SpeakerFactory(), SpeakerFactory())
        session.moderators.add(SpeakerFactory())
        NewsPostFactory(edition=edition)

    add(1)
    one = _queries(client, url)
    for _ in range(19):
        add(1)
    assert _queries(client, url) == one


def test_a_read_is_cached_until_an_edit(client):
    edition = EditionFactory(slug="iv", title_pl="Stary tytuł")
    url = "/api/v1/editions/iv"
    assert client.get(url).json()["title"] == "Stary tytuł"
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).json()["title"] == "Stary tytuł"
    assert [q["sql"] for q in context.captured_queries if "events_" in q["sql"]] == []
    edition.title_pl = "Nowy tytuł"
    edition.save()
    assert client.get(url).json()["title"] == "Nowy tytuł"


def test_openapi_document_is_3_1_and_docs_are_served_from_our_host(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert document.json()["openapi"] == "3.1.0"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # no inline script: the CSP allows none
    assert "script-src 'self'" in docs["Content-Security-Policy"]


def test_the_programme_is_cached_whole_per_language_like_the_pages(client):
    """The JSON comes from the page cache (``PublicPageCacheMiddleware``: no query, no view),
    one entry per language asked for; an edit shows at once."""
    edition = EditionFactory(slug="iv")
    SessionFactory(edition=edition, title_pl="Otwarcie", title_en="Opening")
    url = "/api/v1/editions/iv/sessions"
    polish = client.get(url)
    english = client.get(url, headers={"Accept-Language": "en"})
    assert [s["title"] for s in polish.json()] == ["Otwarcie"]
    assert [s["title"] for s in english.json()] == ["Opening"]
    with CaptureQueriesContext(connection) as context:
        again_pl = client.get(url)
        again_en = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert context.captured_queries == []
    assert (again_pl.content, again_en.content) == (polish.content, english.content)
    assert again_en["Content-Language"] == "en"
    assert "Accept-Language" in again_en["Vary"]
    edition.sessions.update(title_pl="Otwarcie kongresu")  # no signal: the generation stays
    SessionFactory(edition=edition, title_pl="Panel")  # a save bumps it
    assert [s["title"] for s in client.get(url).json()] == ["Otwarcie kongresu", "Panel"]


def test_an_error_is_not_cached(client):
    EditionFactory(slug="x")
    url = "/api/v1/editions/v/sessions"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?day=nie-data").status_code == 422
    Edition.objects.filter(slug="x").update(slug="v")  # no signal: the generation stays
    assert client.get(url).status_code == 200


def test_sessions_give_their_places_left_at_most_places_seconds_old(client, settings):
    """Sessions that take sign-ups give the places left, read when the cached programme is
    answered; the whole answer is then cached only ``places_seconds`` (as the programme page)."""
    settings.KONGRES_PLACES_SECONDS = 1
    edition = EditionFactory(slug="iv", capacity=50)
    workshop = SessionFactory(
        edition=edition, slug="warsztat", signup_mode=Session.SignupMode.SIGNUP, capacity=2
    )
    SessionFactory(edition=edition, slug="otwarcie")
    url = "/api/v1/editions/iv/sessions"

    def places() -> dict:
        return {s["slug"]: (s["signup"], s["places"]) for s in client.get(url).json()}

    assert places() == {"warsztat": ("signup", 2), "otwarcie": ("open", None)}
    session_signup(
        registration=RegistrationFactory(edition=edition, verified=True), session=workshop
    )
    time.sleep(places_seconds() + 0.2)
    assert places() == {"warsztat": ("signup", 1), "otwarcie": ("open", None)}
    detail = client.get(f"{url}/warsztat").json()
    assert (detail["signup"], detail["places"], detail["capacity"]) == ("signup", 1, 2)


def test_the_openapi_document_validates_against_the_openapi_3_1_schema(client):
    """The served document against the OpenAPI 3.1 specification's own JSON Schema (as
    schemathesis ships it); a broken copy is refused, so the check checks."""
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(copy.deepcopy(document)).validate()
    broken = {**copy.deepcopy(document), "paths": {"/x": {"get": {"responses": "none"}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()
