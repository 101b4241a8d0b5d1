import datetime as dt

import pytest

from kongres.events.models import Edition
from tests.events.conftest import page_text
from tests.factories import EditionFactory, SessionFactory, SpeakerFactory


@pytest.fixture
def anna(edition):
    anna = SpeakerFactory(
        name="Anna Nowak",
        slug="anna-nowak",
        affiliation_pl="Instytut Rozwoju Miast i Regionów",
        affiliation_en="Institute for Urban and Regional Development",
        bio_pl="Badaczka **polityki miejskiej**.",
        bio_en="Researcher of **urban policy**.",
        photo="speakers/anna.jpg",
        photo_alt_pl="Anna Nowak przy mównicy",
        photo_alt_en="Anna Nowak at the lectern",
    )
    SessionFactory(
        edition=edition, title_pl="Rewitalizacja", title_en="Regeneration", slug="rewi"
    ).speakers.add(anna)
    SessionFactory(
        edition=edition, title_pl="Smart City", title_en="Smart City", slug="smart"
    ).moderators.add(anna)
    return anna


def test_speaker_list_in_polish(client, anna):
    response = client.get("/prelegenci/")
    text = page_text(response)
    assert response.status_code == 200
    assert "<h1>Prelegenci</h1>" in response.text
    assert "Anna Nowak Instytut Rozwoju Miast i Regionów Rewitalizacja" in text
    assert "Smart City (moderacja)" in text
    assert '<a href="/prelegenci/anna-nowak/">Anna Nowak</a>' in response.text
    assert 'src="/media/speakers/anna.jpg" alt="Anna Nowak przy mównicy"' in response.text


def test_speaker_list_in_english(client, anna):
    response = client.get("/en/speakers/")
    text = page_text(response)
    assert "Anna Nowak Institute for Urban and Regional Development Regeneration" in text
    assert "Smart City (moderator)" in text
    assert '<a href="/en/speakers/anna-nowak/">Anna Nowak</a>' in response.text
    assert 'alt="Anna Nowak at the lectern"' in response.text


def test_speaker_list_leaves_out_other_editions_and_people_without_sessions(client, anna):
    SpeakerFactory(name="Bez Sesji")
    old = EditionFactory(
        status=Edition.Status.ARCHIVED,
        start_date=dt.date(2024, 10, 7),
        end_date=dt.date(2024, 10, 8),
    )
    SessionFactory(edition=old).speakers.add(SpeakerFactory(name="Dawny Prelegent"))
    text = page_text(client.get("/prelegenci/"))
    assert "Anna Nowak" in text
    assert "Bez Sesji" not in text
    assert "Dawny Prelegent" not in text


def test_speaker_list_without_speakers(client, edition):
    assert "Prelegenci zostaną ogłoszeni na tej stronie." in page_text(client.get("/prelegenci/"))


def test_speaker_list_without_edition(client, db):
    response = client.get("/en/speakers/")
    assert response.status_code == 200
    assert "The speakers will be announced here." in page_text(response)


def test_speaker_page_in_polish(client, anna):
    response = client.get("/prelegenci/anna-nowak/")
    text = page_text(response)
    assert "<h1>Anna Nowak</h1>" in response.text
    assert "Instytut Rozwoju Miast i Regionów" in text
    assert "Badaczka <strong>polityki miejskiej</strong>." in response.text
    assert 'alt="Anna Nowak przy mównicy"' in response.text
    assert "Sesje Rewitalizacja Czwartek, 7 października 2027, 10:00" in text
    assert '<a href="/program/rewi/">Rewitalizacja</a>' in response.text
    assert "Smart City (moderacja)" in text


def test_speaker_page_in_english_falls_back_to_polish_bio_marked(client, anna):
    anna.bio_en = ""
    anna.save()
    response = client.get("/en/speakers/anna-nowak/")
    assert (
        '<div lang="pl"><p>Badaczka <strong>polityki miejskiej</strong>.</p></div>' in response.text
    )
    assert "Sessions Regeneration Thursday, 7 October 2027, 10:00" in page_text(response)


def test_speaker_photo_alt_defaults_to_the_name(client, anna):
    anna.photo_alt_pl = anna.photo_alt_en = ""
    anna.save()
    assert 'alt="Anna Nowak"' in client.get("/prelegenci/anna-nowak/").text


def test_speaker_unknown_is_404(client, edition):
    assert client.get("/prelegenci/nie-ma/").status_code == 404
    assert client.get("/en/speakers/nie-ma/").status_code == 404


def test_speaker_without_sessions_in_the_current_edition_is_404(client, edition):
    SpeakerFactory(slug="bez-sesji")
    assert client.get("/prelegenci/bez-sesji/").status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_speaker_list_queries_do_not_grow(client, edition, django_assert_num_queries, count):
    for n in range(count):
        session = SessionFactory(edition=edition)
        session.speakers.add(SpeakerFactory(name=f"Osoba {n}"))
        session.moderators.add(SpeakerFactory(name=f"Moderatorka {n}"))
    # edition, speakers, their sessions, their moderated sessions
    with django_assert_num_queries(4):
        response = client.get("/prelegenci/")
    text = page_text(response)
    assert all(f"Osoba {n}" in text and f"Moderatorka {n}" in text for n in range(count))
