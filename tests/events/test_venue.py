from decimal import Decimal

import pytest

from kongres.content.models import Page
from tests.events.conftest import page_text
from tests.factories import EditionFactory, PageFactory, RoomFactory


@pytest.fixture
def venue_page_data(edition):
    venue = edition.venue
    venue.address = "ul. Fabryczna 13"
    venue.postal_code = "31-553"
    venue.latitude = Decimal("50.067123")
    venue.longitude = Decimal("19.960456")
    venue.directions_pl = "Tramwajem **nr 1** do przystanku Fabryczna."
    venue.directions_en = "Tram **no. 1** to the Fabryczna stop."
    venue.step_free_access = True
    venue.accessible_toilets = True
    venue.induction_loop = False
    venue.parking = True
    venue.quiet_room = False
    venue.accessibility_pl = "Windy na wszystkie piętra."
    venue.accessibility_en = "Lifts to every floor."
    venue.save()
    RoomFactory(
        venue=venue,
        name_pl="Sala Główna",
        name_en="Main Hall",
        capacity=350,
        accessibility_pl="Miejsca dla wózków w pierwszym rzędzie",
        accessibility_en="Wheelchair spaces in the front row",
        order=1,
    )
    RoomFactory(venue=venue, name_pl="Sala B", name_en="Room B", capacity=22, order=2)
    return venue


def test_venue_page_in_polish(client, venue_page_data):
    response = client.get("/miejsce/")
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>Centrum Konferencyjne Fabryczna 13</h1>" in response.text
    assert "ul. Fabryczna 13 31-553 Kraków" in text
    assert "Szerokość geograficzna 50,067123 Długość geograficzna 19,960456" in text
    assert '<a href="geo:50.067123,19.960456">' in response.text
    assert "Jak dojechać Tramwajem nr 1 do przystanku Fabryczna." in text
    assert (
        "Dostępność Dostęp bez schodów tak "
        "Toalety dostępne dla osób z niepełnosprawnościami tak "
        "Pętla indukcyjna nie Parking tak Pokój wyciszenia nie "
        "Windy na wszystkie piętra."
    ) in text
    assert (
        "Sale Sala Główna Liczba miejsc 350 miejsc "
        "Dostępność Miejsca dla wózków w pierwszym rzędzie Sala B Liczba miejsc 22 miejsca"
    ) in text


def test_venue_page_in_english(client, venue_page_data):
    response = client.get("/en/venue/")
    text = page_text(response)
    assert "Latitude 50.067123 Longitude 19.960456" in text
    assert "How to get there Tram no. 1 to the Fabryczna stop." in text
    assert (
        "Accessibility Step-free access yes Accessible toilets yes Induction loop no "
        "Parking yes Quiet room no Lifts to every floor."
    ) in text
    assert "Rooms Main Hall Capacity 350 places" in text
    assert "Room B Capacity 22 places" in text


def test_venue_page_has_no_map_embed_or_other_hosts(client, venue_page_data):
    html = client.get("/miejsce/").text
    assert "<iframe" not in html
    assert "openstreetmap" not in html and "google" not in html


def test_venue_page_shows_practical_information(client, venue_page_data):
    PageFactory(
        kind=Page.Kind.PRACTICAL,
        title_pl="Informacje praktyczne",
        title_en="Practical information",
        body_pl="Szatnia na parterze.",
        body_en="Cloakroom on the ground floor.",
    )
    assert "Informacje praktyczne Szatnia na parterze." in page_text(client.get("/miejsce/"))
    text = page_text(client.get("/en/venue/"))
    assert "Practical information Cloakroom on the ground floor." in text


def test_venue_page_leaves_out_an_unpublished_practical_page(client, venue_page_data):
    PageFactory(kind=Page.Kind.PRACTICAL, title_pl="Ukryta", is_published=False)
    assert "Ukryta" not in page_text(client.get("/miejsce/"))


def test_venue_page_without_coordinates_has_no_geo_link(client, edition):
    html = client.get("/miejsce/").text
    assert "geo:" not in html


def test_venue_page_without_venue_or_edition(client, db):
    response = client.get("/en/venue/")
    assert response.status_code == 200
    assert "The venue will be announced here." in page_text(response)
    EditionFactory(venue=None)
    assert "Miejsce zostanie ogłoszone na tej stronie." in page_text(client.get("/miejsce/"))
