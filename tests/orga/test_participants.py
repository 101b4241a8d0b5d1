import pytest
from django.urls import reverse

from kongres.audit.models import AuditLogEntry
from kongres.registration.choices import Sector, Voivodeship
from kongres.registration.models import Registration
from kongres.registration.segments import registration_filter
from tests.factories.registration import QuestionFactory
from tests.orga.conftest import register

pytestmark = pytest.mark.django_db
Status = Registration.Status


def test_filter_search_ignores_accents_and_case(edition):
    zolc = register(edition, last_name="Żółć", institution="Urząd Gminy Łódź")
    register(edition, last_name="Kowalski")
    found = registration_filter(edition=edition, params={"q": "zolc"})
    assert list(found) == [zolc]
    assert list(registration_filter(edition=edition, params={"q": "LODZ urzad"})) == [zolc]


def test_filter_by_fields_needs_and_answers(edition):
    question = QuestionFactory(edition=edition, slug="nocleg", kind="yesno")
    ngo = register(
        edition,
        sector=Sector.NGO,
        voivodeship=Voivodeship.POMORSKIE,
        accessibility_needs=["sign_language"],
        answers={"nocleg": True},
    )
    other = register(edition, answers={"nocleg": False})
    assert list(registration_filter(edition=edition, params={"sector": ["ngo"]})) == [ngo]
    assert list(registration_filter(edition=edition, params={"voivodeship": "pomorskie"})) == [ngo]
    assert list(registration_filter(edition=edition, params={"need": "sign_language"})) == [ngo]
    assert list(registration_filter(edition=edition, params={"answer_nocleg": "no"})) == [other]
    assert question.slug == "nocleg"
    # the waiting list: capacity 2, a third person waits
    third = register(edition)
    assert third.status == Status.WAITING
    assert list(registration_filter(edition=edition, params={"status": "waiting"})) == [third]
    assert list(registration_filter(edition=edition, params={"checked_in": "yes"})) == []
    assert registration_filter(edition=edition, params={"sort": "name", "bogus": "x"}).count() == 3


def test_list_shows_people_in_polish(manager_client, edition):
    register(edition, first_name="Zofia", last_name="Żółć")
    response = manager_client.get(
        reverse("orga:registration-list", kwargs={"edition": edition.slug})
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Żółć Zofia" in text
    assert "potwierdzona" in text or "confirmed" in text


def test_list_in_english(manager_client, edition):
    register(edition, last_name="Żółć")
    response = manager_client.get(
        reverse("orga:registration-list", kwargs={"edition": edition.slug})
        .replace("/orga/", "/en/orga/")
        .replace("/uczestnicy/", "/participants/")
    )
    assert response.status_code == 200
    assert "Participants" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 3])
def test_list_query_count_does_not_grow(manager_client, edition, django_assert_num_queries, rows):
    edition.capacity = 200
    edition.save()
    for _ in range(rows):
        register(edition)
    url = reverse("orga:registration-list", kwargs={"edition": edition.slug})
    manager_client.get(url)  # warm caches (content types; the session, read from the cache then)
    # 10 (the user read with whether it must give a second factor and its roles:
    # accounts.backends), and the sessions with sign-ups of the filter "signed up for the
    # session" (issue 18)
    with django_assert_num_queries(11):
        response = manager_client.get(url, {"sort": "name"})
    assert response.content.decode().count("/uczestnicy/") >= rows


def test_cancel_offers_the_seat_to_the_waiting_list(manager_client, manager, edition):
    first = register(edition, last_name="Pierwsza")
    register(edition)
    waiting = register(edition, last_name="Czekająca")
    assert waiting.status == Status.WAITING
    url = reverse(
        "orga:registration-action",
        kwargs={"edition": edition.slug, "pk": first.pk, "action": "cancel"},
    )
    page = manager_client.get(url)
    assert "Anuluj zgłoszenie" in page.content.decode()
    response = manager_client.post(url, {"note": "prośba telefoniczna"})
    assert response.status_code == 302
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert first.cancelled_by == manager
    assert waiting.status == Status.OFFERED
    detail = manager_client.get(response.url).content.decode()
    assert "registration.cancel" in detail
    assert "prośba telefoniczna" in detail
    entry = AuditLogEntry.objects.get(action="registration.cancel")
    assert (entry.actor, entry.before, entry.after) == (
        manager,
        {"status": "confirmed"},
        {"status": "cancelled"},
    )


def test_restore_and_over_capacity(manager_client, edition):
    first = register(edition)
    register(edition)
    manager_client.post(
        reverse(
            "orga:registration-action",
            kwargs={"edition": edition.slug, "pk": first.pk, "action": "cancel"},
        )
    )
    register(edition)  # takes the freed seat
    url = reverse(
        "orga:registration-action",
        kwargs={"edition": edition.slug, "pk": first.pk, "action": "restore"},
    )
    manager_client.post(url)
    first.refresh_from_db()
    assert first.status == Status.WAITING
    offer = reverse(
        "orga:registration-action",
        kwargs={"edition": edition.slug, "pk": first.pk, "action": "offer"},
    )
    response = manager_client.post(offer)
    assert response.status_code == 409
    assert "zaznacz poniżej „ponad limit”" in response.content.decode()
    manager_client.post(offer, {"over_capacity": "on"})
    first.refresh_from_db()
    assert first.status == Status.OFFERED


def test_add_by_hand_over_capacity(manager_client, edition):
    register(edition)
    register(edition)
    url = reverse("orga:registration-add", kwargs={"edition": edition.slug})
    data = {
        "first_name": "Jan",
        "last_name": "Ręczny",
        "email": "jan@example.org",
        "sector": "ngo",
        "town": "Gdańsk",
        "voivodeship": "pomorskie",
        "institution": "Fundacja",
        "days": [edition.days.get().pk],
        "over_capacity": "on",
    }
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Registration.objects.get(email="jan@example.org")
    assert added.status == Status.CONFIRMED
    assert AuditLogEntry.objects.filter(
        action="registration.create", object_id=str(added.pk)
    ).exists()


def test_audit_log_is_searchable(manager_client, edition):
    register(edition, last_name="Szukana")
    url = reverse("orga:audit-log", kwargs={"edition": edition.slug})
    text = manager_client.get(url, {"q": "Szukana"}).content.decode()
    assert "registration.create" in text
    assert "registration.verify" in text
    assert "Szukana" in text
