"""Whole-page caching of the public pages (kongres.core.cache): hits make no query, edits and
publications show at once in both languages, nothing personal is cached."""

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kongres.core import cache as page_cache
from kongres.events.models import EditionOrganisation
from tests.factories import (
    DayFactory,
    EditionFactory,
    EditionOrganisationFactory,
    NewsPostFactory,
    OrganisationFactory,
    PageFactory,
    SessionFactory,
    SpeakerFactory,
    TrackFactory,
)


@pytest.fixture
def site(db):
    edition = EditionFactory(title_pl="Kongres Testowy", title_en="Test Congress")
    DayFactory(edition=edition, name_pl="Dzień pierwszy")
    speaker = SpeakerFactory(name="Anna Kowalska", slug="anna-kowalska")
    session = SessionFactory(
        edition=edition, slug="otwarcie", title_pl="Otwarcie", title_en="Opening"
    )
    session.speakers.add(speaker)
    organisation = OrganisationFactory(name_pl="Ministerstwo", name_en="Ministry")
    EditionOrganisationFactory(
        edition=edition, organisation=organisation, role=EditionOrganisation.Role.ORGANISER
    )
    news = NewsPostFactory(edition=edition, slug="start", title_pl="Ruszamy", title_en="We start")
    page = PageFactory(slug="regulamin", title_pl="Regulamin", title_en="Rules")
    return {
        "edition": edition,
        "session": session,
        "speaker": speaker,
        "organisation": organisation,
        "news": news,
        "page": page,
    }


def url(name: str, language: str = "pl", query: str = "", **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None) + query


def public_urls(site) -> list[str]:
    track = site["session"].track
    day = site["edition"].start_date.isoformat()
    urls = []
    for language in ("pl", "en"):
        urls += [
            url("events:home", language),
            url("events:programme", language),
            url("events:programme", language, f"?track={track.slug}"),
            url("events:programme", language, f"?day={day}&room={site['session'].room.slug}"),
            url("events:session", language, slug="otwarcie"),
            url("events:session-ics", language, slug="otwarcie"),
            url("events:speakers", language),
            url("events:speaker", language, slug="anna-kowalska"),
            url("events:venue", language),
            url("events:organisers", language),
            url("events:archive", language),
            url("events:edition", language, slug=site["edition"].slug),
            url("events:edition-ics", language, slug=site["edition"].slug),
            url("content:news-list", language),
            url("content:news-detail", language, slug="start"),
            url("content:news-feed", language),
            url("content:page", language, slug="regulamin"),
        ]
    return [*urls, "/sitemap.xml"]


def test_second_get_of_every_public_page_makes_no_query(client, site, django_assert_num_queries):
    for address in public_urls(site):
        first = client.get(address)
        assert first.status_code == 200, address
        with django_assert_num_queries(0):
            second = client.get(address)
        assert second.status_code == 200, address
        assert second.content == first.content, address
        assert second["Content-Type"] == first["Content-Type"]
        # headers the middleware adds are there on a cached page too
        assert "default-src 'self'" in second["Content-Security-Policy"], address
        assert second["X-Frame-Options"] == "DENY", address
    with django_assert_num_queries(0):
        head = client.head(url("events:home"))
    assert head.status_code == 200


def test_languages_are_cached_apart(client, site):
    assert "Otwarcie" in client.get(url("events:session", "pl", slug="otwarcie")).text
    english = client.get(url("events:session", "en", slug="otwarcie")).text
    assert "Opening" in english and "Otwarcie" not in english
    again = client.get(url("events:session", "pl", slug="otwarcie")).text
    assert "Otwarcie" in again


def test_editing_a_session_title_shows_at_once_in_both_languages(client, site):
    addresses = [
        url(name, language, **kwargs)
        for language in ("pl", "en")
        for name, kwargs in [("events:session", {"slug": "otwarcie"}), ("events:programme", {})]
    ]
    for address in addresses:
        client.get(address)
    session = site["session"]
    session.title_pl, session.title_en = "Otwarcie kongresu", "Opening of the congress"
    session.save()
    for address in addresses:
        text = client.get(address).text
        assert "Otwarcie kongresu" in text or "Opening of the congress" in text, address


def test_publishing_a_news_post_shows_at_once(client, site):
    home_pl, home_en = url("events:home"), url("events:home", "en")
    news_pl, feed = url("content:news-list"), url("content:news-feed", "en")
    for address in (home_pl, home_en, news_pl, feed):
        assert "Nowy termin" not in client.get(address).text
    NewsPostFactory(edition=site["edition"], title_pl="Nowy termin", title_en="Nowy termin (en)")
    assert "Nowy termin" in client.get(home_pl).text
    assert "Nowy termin (en)" in client.get(home_en).text
    assert "Nowy termin" in client.get(news_pl).text
    assert "Nowy termin (en)" in client.get(feed).text


def test_a_news_post_due_later_shows_once_the_cached_page_expires(client, site, monkeypatch):
    """Time alone changes nothing in the database: the short lifetime bounds the delay."""
    NewsPostFactory(
        edition=site["edition"],
        title_pl="Zapowiedź",
        published_at=timezone.now() + dt.timedelta(seconds=30),
    )
    address = url("content:news-list")
    assert "Zapowiedź" not in client.get(address).text
    real_time, real_now = time.time, timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(seconds=31))
    assert "Zapowiedź" not in client.get(address).text  # still the cached page
    monkeypatch.setattr(time, "time", lambda: real_time() + page_cache.DEFAULT_SECONDS + 1)
    assert "Zapowiedź" in client.get(address).text  # the cached page expired
    assert page_cache.DEFAULT_SECONDS <= 60


def test_changing_an_organisation_shows_at_once(client, site):
    addresses = [url("events:organisers"), url("events:organisers", "en"), url("events:home")]
    for address in addresses:
        assert "Ministerstw" in client.get(address).text or "Ministry" in client.get(address).text
    organisation = site["organisation"]
    organisation.name_pl, organisation.name_en = "Urząd Marszałkowski", "Marshal's Office"
    organisation.save()
    assert "Urząd Marszałkowski" in client.get(addresses[0]).text
    assert "Marshal&#x27;s Office" in client.get(addresses[1]).text
    assert "Urząd Marszałkowski" in client.get(addresses[2]).text


def test_adding_a_speaker_to_a_session_shows_at_once(client, site):
    address = url("events:session", slug="otwarcie")
    assert "Jan Nowak" not in client.get(address).text
    site["session"].speakers.add(SpeakerFactory(name="Jan Nowak"))  # m2m_changed
    assert "Jan Nowak" in client.get(address).text


def test_deleting_a_page_shows_at_once(client, site):
    address = url("content:page", slug="regulamin")
    assert client.get(address).status_code == 200
    site["page"].delete()
    assert client.get(address).status_code == 404


def test_registration_closing_shows_on_home_once_edited(client, site):
    edition = site["edition"]
    assert "Registration is closed." not in client.get(url("events:home", "en")).text
    edition.registration_closes_at = timezone.now() - dt.timedelta(minutes=1)
    edition.save()
    assert "Registration is closed." in client.get(url("events:home", "en")).text


def test_logged_in_user_is_not_served_the_cached_page(client, site):
    address = url("events:session", slug="otwarcie")
    assert "Otwarcie" in client.get(address).text  # cached for anonymous visitors
    user = get_user_model().objects.create_user("orga", password="x", is_staff=True)
    client.force_login(user)
    # Not served from the cache: the page is rendered again (queries), and a change made
    # without any signal (as a stale cache would hide) is visible.
    type(site["session"]).objects.filter(pk=site["session"].pk).update(title_pl="Po cichu")
    response = client.get(address)
    assert "Po cichu" in response.text
    client.logout()
    client.cookies.clear()
    assert "Otwarcie" in client.get(address).text  # the anonymous copy is still the cached one


def test_unknown_query_parameters_are_not_cached(client, site):
    address = url("events:home", query="?utm_source=mail")
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    assert len(queries) > 0


def _request(path: str = "/"):
    request = RequestFactory().get(path)
    request.session = type("S", (), {"accessed": False})()
    return request


def _serving(view):
    """The view behind the cache middleware alone."""
    return page_cache.PublicPageCacheMiddleware(view)


def test_a_response_setting_a_cookie_is_not_cached(db):
    calls = []

    @page_cache.public_page
    def view(request):
        calls.append(1)
        response = HttpResponse("hello")
        response.set_cookie("theme", "dark")
        return response

    served = _serving(view)
    served(_request())
    served(_request())
    assert len(calls) == 2


@pytest.mark.parametrize(
    "spoil",
    [
        lambda request, response: setattr(response, "status_code", 404),
        lambda request, response: response.headers.__setitem__("Vary", "Cookie"),
        lambda request, response: setattr(request.session, "accessed", True),
        lambda request, response: request.META.__setitem__("CSRF_COOKIE_NEEDS_UPDATE", True),
        lambda request, response: response.headers.__setitem__(
            "Content-Security-Policy", "script-src 'self' 'nonce-abc'"
        ),
    ],
    ids=["not-200", "vary-cookie", "session-read", "csrf-token", "csp-nonce"],
)
def test_personal_or_failed_responses_are_not_cached(db, spoil):
    calls = []

    @page_cache.public_page
    def view(request):
        calls.append(1)
        response = HttpResponse("hello")
        spoil(request, response)
        return response

    served = _serving(view)
    served(_request())
    served(_request())
    assert len(calls) == 2


def test_a_plain_response_is_cached_and_a_session_cookie_bypasses_it(db, settings):
    calls = []

    @page_cache.public_page
    def view(request):
        calls.append(1)
        return HttpResponse("hello")

    served = _serving(view)
    served(_request())
    assert served(_request()).content == b"hello"
    assert len(calls) == 1
    with_session = _request()
    with_session.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    served(with_session)
    assert len(calls) == 2


def test_a_view_not_marked_public_is_not_cached(db):
    calls = []

    def view(request):
        calls.append(1)
        return HttpResponse("form")

    served = _serving(view)
    served(_request())
    served(_request())
    assert len(calls) == 2


@pytest.fixture
def shared_cache(db, settings):
    """The cache every process shares without Redis: the database cache (its table is made by
    the migration core 0001)."""
    from django.core.cache import cache

    before = settings.CACHES
    settings.CACHES = {**before, "default": before["database"]}
    cache.clear()
    yield cache
    cache.clear()
    settings.CACHES = before  # while the database is still there for the tests' clean-up


def test_generation_in_a_shared_cache(shared_cache):
    """The generation is a counter in the shared cache."""
    first = page_cache.generation()
    assert shared_cache.get(page_cache.GENERATION_KEY) == first
    assert page_cache.generation() == first
    page_cache.bump()
    assert page_cache.generation() == first + 1
    shared_cache.delete(page_cache.GENERATION_KEY)  # evicted: a fresh value, not one seen before
    page_cache.bump()
    assert page_cache.generation() > first + 1


def test_models_of_other_apps_do_not_bump(db):
    before = page_cache.generation()
    get_user_model().objects.create_user("someone")
    assert page_cache.generation() == before
    TrackFactory()
    assert page_cache.generation() != before


def test_bumped_again_when_the_transaction_commits(db, django_capture_on_commit_callbacks):
    """A page another process renders between the save and the commit shows the old data:
    the bump after the commit makes it stale too."""
    with django_capture_on_commit_callbacks() as callbacks:
        TrackFactory()
    assert callbacks
    before = page_cache.generation()
    for callback in callbacks:
        callback()
    assert page_cache.generation() > before


def test_memoized_reads_once_per_generation(db):
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    assert page_cache.memoized("test:key", load) == 1
    assert page_cache.memoized("test:key", load) == 1
    assert page_cache.memoized("test:other", load) == 2
    page_cache.bump()
    assert page_cache.memoized("test:key", load) == 3
    TrackFactory()  # an edit bumps the generation
    assert page_cache.memoized("test:key", load) == 4
    assert page_cache.memoized("test:key", load) == 4


def test_memoized_for_at_most_the_cache_lifetime(db, settings):
    """An edit that sends no signal (``QuerySet.update``) shows once the value is too old."""
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    assert page_cache.memoized("test:key", load, seconds=0.3) == 1
    assert page_cache.memoized("test:key", load, seconds=0.3) == 1
    time.sleep(0.4)
    assert page_cache.memoized("test:key", load, seconds=0.3) == 2
    settings.PUBLIC_CACHE_SECONDS = 0  # caching turned off: read every time
    assert page_cache.memoized("test:key", load) == 3
    assert page_cache.memoized("test:key", load) == 4


def test_memoized_gives_each_caller_its_own_copy(db):
    value = page_cache.memoized("test:list", lambda: [1])
    value.append(2)
    assert page_cache.memoized("test:list", lambda: [9]) == [1]


def test_memoized_in_a_shared_cache_is_read_by_every_process(shared_cache):
    """The value is in the shared cache with the generation: another process finds it there,
    and a bump (an edit in any process) makes it stale."""
    assert page_cache.memoized("test:key", lambda: "first") == "first"
    key = f"{page_cache.MEMO_KEY_PREFIX}:test:key"
    assert shared_cache.get(key) == (page_cache.generation(), "first")
    assert page_cache.memoized("test:key", lambda: "second") == "first"
    page_cache.memo_forget("test:key")
    assert page_cache.memoized("test:key", lambda: "third") == "third"
    page_cache.bump()
    assert page_cache.memoized("test:key", lambda: "fourth") == "fourth"
    page_cache.memo_clear()
    assert page_cache.memoized("test:key", lambda: "fifth") == "fifth"


def test_registration_questions_bump_though_registrations_do_not(db):
    from tests.factories.registration import QuestionFactory, RegistrationFactory

    edition = EditionFactory()
    before = page_cache.generation()
    RegistrationFactory(edition=edition)
    assert page_cache.generation() == before
    QuestionFactory(edition=edition)
    assert page_cache.generation() != before


def _cache_reads(queries) -> list[str]:
    """The statements sent to the database cache (one per round trip to the shared cache)."""
    return [query["sql"] for query in queries if "kongres_cache" in query["sql"]]


def test_a_cached_page_is_served_with_one_round_trip_to_the_shared_cache(
    client, site, shared_cache
):
    """The page and the current generation come in one read (``get_many``), not two."""
    home = url("events:home")
    first = client.get(home)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(home)
    assert second.content == first.content
    assert len(_cache_reads(queries.captured_queries)) == 1, queries.captured_queries
    assert len(queries.captured_queries) == 1


def test_a_page_of_an_older_generation_is_not_served(client, site, shared_cache):
    home = url("events:home")
    client.get(home)
    site["edition"].title_pl = "Kongres Zmieniony"
    site["edition"].save()
    assert "Kongres Zmieniony" in client.get(home).text


def test_memoized_reads_the_value_and_the_generation_in_one_round_trip(shared_cache):
    loads = []
    assert page_cache.memoized("test:once", lambda: loads.append(1) or "value") == "value"
    with CaptureQueriesContext(connection) as queries:
        assert page_cache.memoized("test:once", lambda: loads.append(1) or "other") == "value"
    assert len(_cache_reads(queries.captured_queries)) == 1
    assert len(queries.captured_queries) == 1
    assert loads == [1]
