import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import EditionFactory, NewsPostFactory

pytestmark = pytest.mark.django_db


def test_news_list_shows_published_posts_newest_first(client):
    now = timezone.now()
    NewsPostFactory(title_pl="Starszy wpis", published_at=now - dt.timedelta(days=2))
    NewsPostFactory(title_pl="Nowszy wpis", published_at=now - dt.timedelta(days=1))
    NewsPostFactory(title_pl="Wpis przyszły", published_at=now + dt.timedelta(days=1))
    NewsPostFactory(title_pl="Szkic", published_at=None)

    response = client.get("/aktualnosci/")

    assert response.status_code == 200
    text = response.text
    assert "<h1>Aktualności</h1>" in text
    assert text.index("Nowszy wpis") < text.index("Starszy wpis")
    assert "Wpis przyszły" not in text
    assert "Szkic" not in text


def test_news_list_item_has_link_date_and_lead(client):
    NewsPostFactory(
        title_pl="Kongres już za miesiąc",
        slug="kongres-za-miesiac",
        lead_pl="W dniach 7-8 października…",
        published_at=dt.datetime(2024, 8, 28, 10, 0, tzinfo=dt.UTC),
    )

    text = client.get("/aktualnosci/").text

    assert '<a href="/aktualnosci/kongres-za-miesiac/">Kongres już za miesiąc</a>' in text
    assert '<time datetime="2024-08-28T12:00:00+0200">28 sierpnia 2024</time>' in text
    assert "W dniach 7-8 października…" in text


def test_news_list_in_english(client):
    NewsPostFactory(
        title_pl="Tytuł",
        title_en="Title",
        lead_pl="Wstęp",
        lead_en="Lead",
        published_at=dt.datetime(2024, 8, 28, 10, 0, tzinfo=dt.UTC),
    )

    text = client.get("/en/news/").text

    assert "<h1>News</h1>" in text
    assert "Title" in text and "Lead" in text
    assert ">28 August 2024</time>" in text


def test_news_list_marks_polish_fallback(client):
    NewsPostFactory(title_pl="Tylko po polsku", title_en="", lead_pl="Wstęp po polsku")

    text = client.get("/en/news/").text

    assert '<span lang="pl">Tylko po polsku</span>' in text
    assert '<span lang="pl">Wstęp po polsku</span>' in text


def test_news_list_empty(client):
    assert "Nie ma jeszcze aktualności." in client.get("/aktualnosci/").text
    assert "There is no news yet." in client.get("/en/news/").text


def test_news_list_paginates_ten_a_page(client):
    now = timezone.now()
    for number in range(12):
        NewsPostFactory(
            title_pl=f"Wpis numer {number:02d}", published_at=now - dt.timedelta(hours=number + 1)
        )

    first = client.get("/aktualnosci/").text
    second = client.get("/aktualnosci/?page=2").text

    assert first.count('class="news-item"') == 10
    assert "Wpis numer 00" in first and "Wpis numer 09" in first
    assert "Wpis numer 10" not in first
    assert second.count('class="news-item"') == 2
    assert "Wpis numer 10" in second and "Wpis numer 11" in second
    assert '<nav class="pagination" aria-label="Strony aktualności">' in first
    assert 'href="?page=2" rel="next">Następna strona</a>' in first
    assert 'aria-current="page"><span class="visually-hidden">Strona </span>1</a>' in first
    assert 'href="/aktualnosci/" rel="prev">Poprzednia strona</a>' in second
    assert "<title>Aktualności (strona 2 z 2)" in second


def test_news_list_without_second_page_has_no_pagination(client):
    NewsPostFactory()
    assert 'class="pagination"' not in client.get("/aktualnosci/").text


@pytest.mark.parametrize("page", ["3", "0", "abc"])
def test_news_list_invalid_page_is_404(client, page):
    NewsPostFactory()
    assert client.get(f"/aktualnosci/?page={page}").status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_news_list_query_count_is_constant(client, django_assert_num_queries, count):
    edition = EditionFactory()
    NewsPostFactory.create_batch(count, edition=edition)
    # the current edition, the count of posts, the page of posts
    with django_assert_num_queries(3):
        response = client.get("/aktualnosci/")
    assert response.text.count('class="news-item"') == count


def test_news_detail_shows_title_date_lead_body_and_edition(client):
    edition = EditionFactory(title_pl="IV Kongres", title_en="4th Congress", slug="iv")
    NewsPostFactory(
        edition=edition,
        slug="za-miesiac",
        title_pl="Już za miesiąc",
        title_en="A month to go",
        lead_pl="Kraków gospodarzem.",
        lead_en="Kraków hosts.",
        body_pl="Zarejestruj się przez [formularz](/zarejestruj/).\n\n- panel\n- debata",
        body_en="Register with [the form](/en/register/).",
        published_at=dt.datetime(2024, 8, 28, 10, 0, tzinfo=dt.UTC),
    )

    text = client.get("/aktualnosci/za-miesiac/").text

    assert "<h1>Już za miesiąc</h1>" in text
    assert "<title>Już za miesiąc · IV Kongres</title>" in text
    assert ">28 sierpnia 2024</time>" in text
    assert '<p class="news-post__lead">Kraków gospodarzem.</p>' in text
    assert '<a href="/zarejestruj/" rel="noopener noreferrer">formularz</a>' in text
    assert "<li>panel</li>" in text
    assert 'Edycja: <a href="/edycje/iv/">IV Kongres</a>' in text or (
        'Edycja: <a href="/editions/iv/">IV Kongres</a>' in text
    )
    assert '<a href="/aktualnosci/" class="back-link">Wszystkie aktualności</a>' in text

    text = client.get("/en/news/za-miesiac/").text

    assert "<h1>A month to go</h1>" in text
    assert '<a href="/en/register/" rel="noopener noreferrer">the form</a>' in text
    assert ">4th Congress</a>" in text
    assert '<a href="/en/news/" class="back-link">All news</a>' in text


def test_news_detail_english_falls_back_to_polish_marked(client):
    NewsPostFactory(slug="pl-only", title_en="", body_pl="Tylko **polski** tekst.")

    text = client.get("/en/news/pl-only/").text

    assert '<div lang="pl"><p>Tylko <strong>polski</strong> tekst.</p></div>' in text


def test_news_detail_image_has_alt(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("plakat.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    NewsPostFactory(
        slug="z-obrazkiem", image=image, image_alt_pl="Plakat kongresu", image_alt_en="Poster"
    )

    text = client.get("/aktualnosci/z-obrazkiem/").text
    assert '<img src="/media/news/plakat' in text
    assert 'alt="Plakat kongresu"' in text
    assert 'alt="Poster"' in client.get("/en/news/z-obrazkiem/").text


def test_news_detail_sanitises_body(client):
    NewsPostFactory(
        slug="zly", body_pl='<script>alert(1)</script><img src=x onerror="alert(2)"> Tekst'
    )

    text = client.get("/aktualnosci/zly/").text

    assert "alert(1)" not in text
    assert "onerror" not in text
    assert "Tekst" in text


@pytest.mark.parametrize(
    "in_minutes",
    [None, 5],  # not published; to be published in 5 minutes (from when the test runs)
    ids=["unpublished", "future"],
)
def test_news_detail_not_published_is_404(client, in_minutes):
    published_at = None if in_minutes is None else timezone.now() + dt.timedelta(minutes=in_minutes)
    NewsPostFactory(slug="jeszcze-nie", published_at=published_at)

    response = client.get("/aktualnosci/jeszcze-nie/")

    assert response.status_code == 404
    assert "Strona nie została znaleziona" in response.text


def test_news_detail_unknown_slug_is_404(client):
    assert client.get("/en/news/no-such-post/").status_code == 404
