"""Sign-ups from the programme, the session page and the personal page (issue 18): places
shown live on cached pages, the participant cookie, no-JS posts and the in-place fragment."""

import time

import pytest
from django.urls import reverse

from kongres.core.cache import PARTICIPANT_COOKIE
from kongres.events.models import Session
from kongres.registration.models import SessionSignup
from kongres.registration.services.sessions import session_signup
from kongres.registration.sessions import places_seconds
from tests.factories import EditionFactory, SessionFactory, SpeakerFactory
from tests.factories.registration import RegistrationFactory

Signup = SessionSignup.Status


@pytest.fixture
def edition(db, settings):
    edition = EditionFactory(capacity=50)
    settings.KONGRES_CURRENT_EDITION = edition.slug
    return edition


@pytest.fixture
def workshop(edition):
    return SessionFactory(
        edition=edition,
        kind=Session.Kind.WORKSHOP,
        signup_mode=Session.SignupMode.SIGNUP,
        capacity=2,
        title_pl="Warsztat miejski",
    )


def participant(edition):
    return RegistrationFactory(edition=edition, verified=True)


def open_personal_page(client, person):
    response = client.get(reverse("registration:manage", args=[person.token]))
    assert response.status_code == 200
    assert PARTICIPANT_COOKIE in response.cookies
    return response


def text(response) -> str:
    return " ".join(response.content.decode().split())


def test_programme_shows_places_left_to_visitors(client, workshop):
    response = client.get("/program/")
    assert "2 wolne miejsca" in text(response)
    assert "otwórz swoją stronę uczestnika" in text(response)
    assert reverse("registration:session-signup", args=[workshop.pk]) not in text(response)


def test_filled_session_shows_full_within_places_seconds(client, edition, workshop):
    first = client.get("/program/")
    assert "Pełne" not in text(first)
    for _ in range(2):
        session_signup(registration=participant(edition), session=workshop)
    assert text(client.get("/program/")) == text(first)  # the page is cached…
    time.sleep(places_seconds() + 0.2)
    again = text(client.get("/program/"))  # …for at most places_seconds()
    assert "Pełne — zapisz się na listę oczekujących." in again


def test_programme_without_signup_sessions_keeps_its_minute(client, edition):
    SessionFactory(edition=edition)
    client.get("/program/")
    # (no shorter life asked: checked through the page cache's key lifetime indirectly)
    assert client.get("/program/").status_code == 200


def test_participant_signs_up_from_the_programme_without_js(client, edition, workshop):
    person = participant(edition)
    open_personal_page(client, person)
    page = client.get("/program/")
    signup_url = reverse("registration:session-signup", args=[workshop.pk])
    assert signup_url in page.content.decode()
    response = client.post(signup_url, {"next": "/program/"})
    assert response.status_code == 302
    assert response["Location"] == "/program/"
    assert SessionSignup.objects.get(registration=person).status == Signup.SIGNED_UP
    after = text(client.get("/program/"))
    assert "Masz zapis na tę sesję." in after
    assert reverse("registration:session-leave", args=[workshop.pk]) in after


def test_fragment_answers_in_place(client, edition, workshop):
    person = participant(edition)
    open_personal_page(client, person)
    url = reverse("registration:session-signup", args=[workshop.pk])
    response = client.post(url, {"next": "/program/"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="session-places"')
    assert "<html" not in body
    leave = client.post(
        reverse("registration:session-leave", args=[workshop.pk]),
        {"next": "/program/"},
        headers={"HX-Request": "true"},
    )
    assert leave.status_code == 200
    assert SessionSignup.objects.get(registration=person).status == Signup.LEFT


def test_overlap_offers_switching(client, edition, workshop):
    other = SessionFactory(
        edition=edition,
        signup_mode="signup",
        capacity=5,
        starts_at=workshop.starts_at,
        ends_at=workshop.ends_at,
        title_pl="Równoległy",
    )
    person = participant(edition)
    open_personal_page(client, person)
    client.post(reverse("registration:session-signup", args=[workshop.pk]))
    url = reverse("registration:session-signup", args=[other.pk])
    response = client.post(url, {"next": "/program/"})
    assert response.status_code == 409
    assert "Warsztat miejski" in text(response)
    assert 'name="switch" value="1"' in response.content.decode()
    switched = client.post(url, {"next": "/program/", "switch": "1"})
    assert switched.status_code == 302
    statuses = dict(SessionSignup.objects.values_list("session_id", "status"))
    assert statuses == {workshop.pk: Signup.LEFT, other.pk: Signup.SIGNED_UP}


def test_signup_without_cookie_is_refused_with_a_way_forward(client, workshop):
    response = client.post(reverse("registration:session-signup", args=[workshop.pk]))
    assert response.status_code == 403
    assert reverse("registration:link") in response.content.decode()
    assert SessionSignup.objects.count() == 0


def test_next_to_another_site_is_ignored(client, edition, workshop):
    open_personal_page(client, participant(edition))
    response = client.post(
        reverse("registration:session-signup", args=[workshop.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == workshop.get_absolute_url()


def test_personal_page_lists_the_agenda_and_the_feed(client, edition, workshop):
    person = participant(edition)
    session_signup(registration=person, session=workshop)
    page = text(open_personal_page(client, person))
    assert "Twoje sesje" in page
    assert "Warsztat miejski" in page
    assert "webcal://" in page


def test_claim_page_takes_the_offered_place(client, edition, workshop):
    people = [participant(edition) for _ in range(3)]
    for person in people:
        session_signup(registration=person, session=workshop)
    from kongres.registration.services.sessions import session_leave

    session_leave(registration=people[0], session=workshop)
    url = reverse("registration:session-claim", args=[people[2].token, workshop.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert SessionSignup.objects.get(registration=people[2]).status == Signup.OFFERED  # no GET
    response = client.post(url)
    assert response.status_code == 302
    assert SessionSignup.objects.get(registration=people[2]).status == Signup.SIGNED_UP


def test_whole_programme_ics(client, edition, workshop):
    import icalendar

    SessionFactory(edition=edition, title_pl="Druga")
    response = client.get(reverse("events:programme-ics"))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert sorted(str(e["summary"]) for e in calendar.walk("VEVENT")) == [
        "Druga",
        "Warsztat miejski",
    ]
    assert calendar.walk("VTIMEZONE")


@pytest.mark.parametrize("count", [1, 4])
def test_programme_queries_constant_with_signup_sessions(
    client, edition, django_assert_num_queries, count
):
    person = participant(edition)
    for n in range(count):
        session = SessionFactory(
            edition=edition, signup_mode="signup", capacity=5, title_pl=f"Sesja numer {n}"
        )
        session.speakers.add(SpeakerFactory())
    session_signup(registration=person, session=session)
    open_personal_page(client, person)
    # edition, days, tracks, rooms, sessions, speakers, moderators, places; the participant
    # (their link with its registration), their sign-ups
    with django_assert_num_queries(9):
        response = client.get("/program/", {"day": edition.start_date.isoformat()})
    assert all(f"Sesja numer {n}" in text(response) for n in range(count))


def test_session_page_shows_places(client, workshop):
    response = client.get(workshop.get_absolute_url())
    assert "Miejsca" in text(response)


def _statements(queries) -> list[str]:
    """The statements of a request, without the transaction's own (BEGIN, SET LOCAL, COMMIT)."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET ")
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(control)]


def test_signup_post_costs_five_statements_and_six_when_full(client, edition, workshop):
    """The rush's path (issue 18): the participant found, locked and checked in one read, their
    sign-ups, the take, the sign-up, its audit entry; a full session adds the counter's read
    under its lock. The session comes from the cache."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kongres.audit.models import AuditLogEntry

    url = reverse("registration:session-signup", args=[workshop.pk])
    found = []
    for _n in range(3):  # the first makes the counter and caches the session; a place; waiting
        client.cookies.clear()
        person = participant(edition)
        open_personal_page(client, person)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, {"next": "/program/"})
        assert response.status_code == 302
        found.append((len(_statements(queries.captured_queries)), person))
    found = found[1:]
    assert [n for n, _person in found] == [5, 6]
    statuses = [SessionSignup.objects.get(registration=p).status for _n, p in found]
    assert statuses == [Signup.SIGNED_UP, Signup.WAITING]
    entry = AuditLogEntry.objects.filter(object_id=str(found[1][1].pk)).latest("pk")
    assert (entry.action, entry.after) == (
        "session_signup.create",
        {"session": workshop.pk, "status": "waiting"},
    )
    assert entry.object_label == str(found[1][1])


def test_signup_for_a_session_of_another_edition_is_not_found(client, edition):
    other = SessionFactory(edition=EditionFactory(), signup_mode="signup", capacity=5)
    open_personal_page(client, participant(edition))
    response = client.post(reverse("registration:session-signup", args=[other.pk]))
    assert response.status_code == 404
    missing = client.post(reverse("registration:session-signup", args=[other.pk + 1000]))
    assert missing.status_code == 404
    assert SessionSignup.objects.count() == 0


def test_signup_with_a_replaced_link_is_refused(client, edition, workshop):
    from kongres.registration.services import registration_links_replace

    person = participant(edition)
    open_personal_page(client, person)
    registration_links_replace(token=person.token)
    response = client.post(reverse("registration:session-signup", args=[workshop.pk]))
    assert response.status_code == 403
    assert "Najpierw otwórz swoją stronę uczestnika" in text(response)
    assert SessionSignup.objects.count() == 0


def test_signup_after_the_links_expired_is_refused(client, settings, edition, workshop):
    person = participant(edition)
    open_personal_page(client, person)
    settings.KONGRES_LINK_VALID_DAYS = -1000  # the edition's links ended long ago
    response = client.post(reverse("registration:session-signup", args=[workshop.pk]))
    assert response.status_code == 403
    assert SessionSignup.objects.count() == 0
