import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kongres.events.models import Edition, EditionOrganisation
from tests.events.conftest import page_text
from tests.factories import (
    EditionFactory,
    EditionOrganisationFactory,
    NewsPostFactory,
    OrganisationFactory,
    TrackFactory,
)


def test_home_without_any_edition_is_a_friendly_page(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Strona kongresu jest w przygotowaniu" in page_text(response)
    response = client.get("/en/")
    assert response.status_code == 200
    assert "The congress website is being prepared" in page_text(response)


def test_home_shows_the_edition_in_polish(client, edition):
    edition.lead_pl = "Największe forum polityki miejskiej."
    edition.description_pl = "Dwa dni **debat**."
    edition.save()
    response = client.get("/")
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>IV Kongres Polityki Miejskiej</h1>" in response.text
    assert f"Edycja {edition.roman_ordinal}" in text
    assert "Polska wielu prędkości?" in text
    assert "7\N{EN DASH}8 października 2027" in text
    assert "Centrum Konferencyjne Fabryczna 13, Kraków" in text
    assert "Miasto gospodarz Kraków" in text
    assert "Największe forum polityki miejskiej." in text
    assert "Dwa dni <strong>debat</strong>." in response.text


def test_home_shows_the_edition_in_english(client, edition):
    response = client.get("/en/")
    text = page_text(response)
    assert "<h1>4th Urban Policy Congress</h1>" in response.text
    assert "A multi-speed Poland?" in text
    assert "7\N{EN DASH}8 October 2027" in text
    assert "Host city Krakow" in text
    assert "października" not in text


def test_home_dates_across_two_months(client, edition):
    edition.start_date = dt.date(2027, 9, 30)
    edition.end_date = dt.date(2027, 10, 1)
    edition.save()
    assert "30 września \N{EN DASH} 1 października 2027" in page_text(client.get("/"))
    assert "30 September \N{EN DASH} 1 October 2027" in page_text(client.get("/en/"))


def test_home_calls_to_register_free_with_limited_places(client, edition):
    response = client.get("/")
    text = page_text(response)
    register_url = reverse("registration:register")
    assert f'<a class="button" href="{register_url}">Zarejestruj się</a>' in response.text
    assert "Udział bezpłatny, liczba miejsc ograniczona." in text
    ics_url = reverse("events:edition-ics", kwargs={"slug": edition.slug})
    assert f'href="{ics_url}"' in response.text
    assert "Dodaj do kalendarza" in text

    response = client.get("/en/")
    with translation.override("en"):
        register_url = reverse("registration:register")
    assert f'<a class="button" href="{register_url}">Register</a>' in response.text
    assert "Free of charge, limited number of places." in page_text(response)
    assert "Add to calendar" in page_text(response)


def test_home_without_capacity_says_only_free(client, edition):
    edition.capacity = None
    edition.save()
    text = page_text(client.get("/en/"))
    assert "Free of charge." in text
    assert "limited number of places" not in text


def test_home_registration_not_yet_open_says_when(client, edition):
    opens = timezone.make_aware(dt.datetime(2027, 6, 1, 9, 0))
    edition.registration_opens_at = opens
    edition.save()
    response = client.get("/en/")
    assert "Registration opens on 1 June 2027, 09:00." in page_text(response)
    assert 'class="button"' in response.text


def test_home_registration_closed_has_no_call_to_register(client, edition):
    edition.registration_closes_at = timezone.now() - dt.timedelta(days=1)
    edition.save()
    response = client.get("/en/")
    assert "Registration is closed." in page_text(response)
    assert 'class="button"' not in response.text


@pytest.mark.parametrize("past", [True, False])
def test_home_of_a_past_or_archived_edition_says_so(client, edition, past):
    if past:
        edition.start_date = timezone.localdate() - dt.timedelta(days=30)
        edition.end_date = edition.start_date + dt.timedelta(days=1)
    else:
        edition.status = Edition.Status.ARCHIVED
    edition.save()
    response = client.get("/")
    assert "Ta edycja już się odbyła." in page_text(response)
    assert 'id="cta-heading"' not in response.text
    assert 'class="button"' not in response.text
    assert "This edition has ended." in page_text(client.get("/en/"))


def test_home_groups_organisations_by_role_with_logos(client, edition):
    ministry = OrganisationFactory(
        name_pl="Ministerstwo Funduszy", name_en="Ministry of Funds", url="https://example.gov.pl"
    )
    city = OrganisationFactory(
        name_pl="Miasto Kraków",
        name_en="City of Krakow",
        logo="logos/krakow.png",
        logo_alt_pl="Herb Krakowa",
        logo_alt_en="Krakow coat of arms",
    )
    partner = OrganisationFactory(name_pl="Instytut Rozwoju", name_en="Development Institute")
    EditionOrganisationFactory(edition=edition, organisation=partner, role="partner")
    EditionOrganisationFactory(edition=edition, organisation=city, role="host_city")
    EditionOrganisationFactory(edition=edition, organisation=ministry, role="organiser")

    response = client.get("/")
    text = page_text(response)
    assert (
        "Organizatorzy i partnerzy Organizatorzy Ministerstwo Funduszy "
        "Miasto gospodarz Partnerzy Instytut Rozwoju"
    ) in text
    assert '<img src="/media/logos/krakow.png" alt="Herb Krakowa">' in response.text
    assert '<a href="https://example.gov.pl">Ministerstwo Funduszy</a>' in response.text

    response = client.get("/en/")
    assert (
        "Organisers and partners Organisers Ministry of Funds Host city Partners "
        "Development Institute"
    ) in page_text(response)
    assert 'alt="Krakow coat of arms"' in response.text


def test_home_shows_the_latest_three_news_posts(client, edition):
    now = timezone.now()
    for days, title in [(4, "Najstarsza"), (3, "Trzecia"), (2, "Druga"), (1, "Najnowsza")]:
        NewsPostFactory(title_pl=title, published_at=now - dt.timedelta(days=days))
    NewsPostFactory(title_pl="Jutrzejsza", published_at=now + dt.timedelta(days=1))
    response = client.get("/")
    text = page_text(response)
    assert "Aktualności Najnowsza" in text
    assert text.index("Najnowsza") < text.index("Druga") < text.index("Trzecia")
    assert "Najstarsza" not in text
    assert "Jutrzejsza" not in text
    post = NewsPostFactory._meta.model.objects.get(title_pl="Najnowsza")
    assert f'href="{post.get_absolute_url()}"' in response.text


def test_home_links_tracks_to_the_filtered_programme(client, edition):
    TrackFactory(edition=edition, name_pl="Rewitalizacja", name_en="Regeneration", slug="rewi")
    response = client.get("/")
    assert f'<a href="{reverse("events:programme")}?track=rewi">Rewitalizacja</a>' in response.text
    assert "Panele tematyczne Rewitalizacja" in page_text(response)
    response = client.get("/en/")
    assert '<a href="/en/programme/?track=rewi">Regeneration</a>' in response.text


def test_home_shows_the_latest_public_edition_not_a_draft(client, edition):
    EditionFactory(
        title_pl="Szkic przyszłej edycji",
        status=Edition.Status.DRAFT,
        start_date=edition.start_date + dt.timedelta(days=365),
        end_date=edition.end_date + dt.timedelta(days=365),
    )
    text = page_text(client.get("/"))
    assert "IV Kongres Polityki Miejskiej" in text
    assert "Szkic przyszłej edycji" not in text


@pytest.mark.parametrize("count", [1, 3])
def test_home_queries_do_not_grow_with_items(client, edition, django_assert_num_queries, count):
    for n in range(count):
        TrackFactory(edition=edition, name_pl=f"Ścieżka {n}")
        NewsPostFactory(title_pl=f"Wpis {n}")
        EditionOrganisationFactory(
            edition=edition, role=EditionOrganisation.Role.PARTNER, organisation__logo="l.png"
        )
    # edition, organisations, news, tracks, the allocation (the draw's commitment)
    with django_assert_num_queries(5):
        response = client.get("/")
    text = page_text(response)
    assert all(f"Ścieżka {n}" in text and f"Wpis {n}" in text for n in range(count))
