import datetime as dt

import pytest

from kongres.events.models import Edition, EditionOrganisation
from tests.events.conftest import page_text
from tests.factories import EditionFactory, EditionOrganisationFactory, OrganisationFactory


@pytest.fixture
def past(edition):
    return EditionFactory(
        title_pl="III Kongres Polityki Miejskiej",
        title_en="3rd Urban Policy Congress",
        motto_pl="Miasta dla ludzi",
        status=Edition.Status.ARCHIVED,
        start_date=dt.date(2025, 10, 6),
        end_date=dt.date(2025, 10, 7),
        venue=edition.venue,
    )


def test_archive_lists_public_editions_newest_first(client, edition, past):
    EditionFactory(title_pl="Szkic", status=Edition.Status.DRAFT)
    response = client.get("/archiwum/")
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>Archiwum edycji</h1>" in response.text
    assert text.index("IV Kongres Polityki Miejskiej Edycja") < text.index("III Kongres")
    assert "7\N{EN DASH}8 października 2027 · Kraków · bieżąca edycja" in text
    assert "6\N{EN DASH}7 października 2025 · Kraków Miasta dla ludzi" in text
    assert "Szkic" not in text
    # a past edition links to its pages in the archive; the current one to the home page
    assert f'<a href="/archiwum/{past.slug}/">III Kongres Polityki Miejskiej</a>' in response.text
    assert '<a href="/">IV Kongres Polityki Miejskiej' in response.text
    response = client.get("/en/archive/")
    assert f'<a href="/en/archive/{past.slug}/">3rd Urban Policy Congress</a>' in response.text
    assert "6\N{EN DASH}7 October 2025 · Krakow" in page_text(response)


def test_archive_without_editions(client, db):
    response = client.get("/en/archive/")
    assert response.status_code == 200
    assert "No editions have been published yet." in page_text(response)


def test_edition_page_of_a_past_edition(client, edition, past):
    EditionOrganisationFactory(
        edition=past,
        organisation=OrganisationFactory(name_pl="Obserwatorium", name_en="Observatory"),
        role=EditionOrganisation.Role.ORGANISER,
    )
    response = client.get(f"/edycje/{past.slug}/")
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>III Kongres Polityki Miejskiej</h1>" in response.text
    assert "Miasta dla ludzi" in text
    assert "Kiedy 6\N{EN DASH}7 października 2025" in text
    assert "Gdzie Centrum Konferencyjne Fabryczna 13, Kraków" in text
    assert "Ta edycja już się odbyła." in text
    assert "Organizatorzy Obserwatorium" in text
    assert 'class="button"' not in response.text
    text = page_text(client.get(f"/en/editions/{past.slug}/"))
    assert "When 6\N{EN DASH}7 October 2025" in text
    assert "This edition has ended." in text
    assert "Organisers Observatory" in text


def test_edition_page_of_the_current_edition_links_home(client, edition):
    response = client.get(f"/en/editions/{edition.slug}/")
    assert "This edition has ended." not in page_text(response)
    assert '<a href="/en/">The current edition\'s home page</a>' in response.text


def test_edition_page_of_a_draft_or_unknown_edition_is_404(client, edition):
    draft = EditionFactory(status=Edition.Status.DRAFT)
    assert client.get(f"/edycje/{draft.slug}/").status_code == 404
    assert client.get("/edycje/nie-ma/").status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_archive_queries_do_not_grow(client, db, django_assert_num_queries, count):
    for n in range(count):
        EditionFactory(title_pl=f"Kongres numer {n}", start_date=dt.date(2020 + n, 10, 1))
    with django_assert_num_queries(2):  # current edition, editions with venues
        response = client.get("/archiwum/")
    text = page_text(response)
    assert all(f"Kongres numer {n}" in text for n in range(count))
