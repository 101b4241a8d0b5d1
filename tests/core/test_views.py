import pytest
from django.contrib.staticfiles import finders
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import RequestFactory
from django.utils import translation

from kongres.core import views
from tests.factories import EditionFactory, NewsPostFactory


@pytest.mark.django_db
def test_robots_txt_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


@pytest.mark.django_db
def test_favicon_redirects_to_the_svg(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/kongres/favicon.svg"
    assert finders.find("kongres/favicon.svg")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "lang", "heading", "home"),
    [
        (
            "/nie-ma-takiej-strony/",
            "pl",
            "Strona nie została znaleziona",
            "Przejdź do strony głównej",
        ),
        ("/en/no-such-page/", "en", "Page not found", "Go to the home page"),
    ],
)
def test_unknown_address_gives_404_page_in_its_language(client, settings, url, lang, heading, home):
    settings.DEBUG = False
    EditionFactory(title_pl="IV Kongres", title_en="4th Congress")

    response = client.get(url)

    assert response.status_code == 404
    text = response.text
    assert f'<html lang="{lang}">' in text
    assert f"<h1>{heading}</h1>" in text
    assert f"<title>{heading} · " in text
    assert home in text
    assert ('<a class="skip-link" href="#main">Przejdź do treści</a>' in text) is (lang == "pl")


@pytest.mark.django_db
def test_404_language_switch_leads_to_the_other_home_page(client, settings):
    settings.DEBUG = False

    text = client.get("/en/no-such-page/").text
    assert '<a href="/" hreflang="pl" lang="pl">Polski</a>' in text

    text = client.get("/nie-ma-takiej-strony/").text
    assert '<a href="/en/" hreflang="en" lang="en">English</a>' in text


@pytest.mark.parametrize(
    ("lang", "heading", "home"),
    [("pl", "Coś poszło nie tak", 'href="/"'), ("en", "Something went wrong", 'href="/en/"')],
)
def test_server_error_renders_without_the_database(lang, heading, home):
    # No django_db mark: any database access would fail the test.
    request = RequestFactory().get("/")
    with translation.override(lang):
        response = views.server_error(request)

    assert response.status_code == 500
    text = response.content.decode()
    assert f'<html lang="{lang}">' in text
    assert f"<h1>{heading}</h1>" in text
    assert home in text


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("pl", "Chwilowa przerwa"), ("en", "A short break")],
)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_server_error_is_a_503_when_the_database_is_unreachable(lang, heading, error):
    # a restart of PostgreSQL: the visitor gets a page in their language that says to try again
    # in a moment, and the proxy and the browser the status that says so
    request = RequestFactory().get("/")
    with translation.override(lang):
        try:
            raise error("connection refused")
        except error:
            response = views.server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    text = response.content.decode()
    assert f'<html lang="{lang}">' in text
    assert f"<h1>{heading}</h1>" in text


def test_server_error_stays_a_500_for_other_database_errors():
    request = RequestFactory().get("/")
    try:
        raise IntegrityError("duplicate key")
    except IntegrityError:
        response = views.server_error(request)

    assert response.status_code == 500


@pytest.mark.django_db
def test_language_switch_on_a_news_post_leads_to_the_same_post(client):
    NewsPostFactory(slug="za-miesiac", title_pl="Już za miesiąc", title_en="A month to go")

    text = client.get("/aktualnosci/za-miesiac/").text
    assert '<html lang="pl">' in text
    assert '<a href="/en/news/za-miesiac/" hreflang="en" lang="en">English</a>' in text
    assert (
        '<link rel="alternate" hreflang="pl" href="http://testserver/aktualnosci/za-miesiac/">'
        in text
    )
    assert (
        '<link rel="alternate" hreflang="en" href="http://testserver/en/news/za-miesiac/">' in text
    )
    assert (
        '<link rel="alternate" hreflang="x-default" href="http://testserver/aktualnosci/za-miesiac/">'
        in text
    )

    text = client.get("/en/news/za-miesiac/").text
    assert '<html lang="en">' in text
    assert '<a href="/aktualnosci/za-miesiac/" hreflang="pl" lang="pl">Polski</a>' in text
    assert (
        '<link rel="alternate" hreflang="en" href="http://testserver/en/news/za-miesiac/">' in text
    )


@pytest.mark.django_db
def test_language_switch_keeps_the_query_string(client):
    NewsPostFactory()
    text = client.get("/aktualnosci/?page=1").text
    assert '<a href="/en/news/?page=1" hreflang="en" lang="en">English</a>' in text


@pytest.mark.django_db
def test_navigation_is_translated(client):
    text = client.get("/aktualnosci/").text
    for label in ("Program", "Prelegenci", "Aktualności", "Miejsce", "Organizatorzy"):
        assert f">{label}</a>" in text
    assert 'class="nav-cta"' in text and ">Zarejestruj się</a>" in text
    assert '<a href="/aktualnosci/" aria-current="page">Aktualności</a>' in text
    for label in ("Polityka prywatności", "Deklaracja dostępności", "Poprzednie edycje"):
        assert f">{label}</a>" in text

    text = client.get("/en/news/").text
    for label in ("Programme", "Speakers", "News", "Venue", "Organisers", "Register"):
        assert f">{label}</a>" in text
    assert '<a href="/en/privacy/">Privacy notice</a>' in text


@pytest.mark.django_db
def test_page_frame_is_cached_but_follows_edits_and_the_page(client, settings):
    """The brand, menu and footer are cached fragments: an edit of the edition shows at once on
    a page that is never cached whole (the registration form), and the menu marks the page
    being shown, whichever page filled the cache first."""
    from django.urls import reverse

    settings.PUBLIC_CACHE_SECONDS = 60
    edition = EditionFactory(title_pl="Kongres Pierwszy")
    with translation.override("pl"):
        register, link = reverse("registration:register"), reverse("registration:link")

    first = client.get(register).text
    assert first.count("Kongres Pierwszy") >= 2  # brand and footer
    assert f'<a class="nav-cta" href="{register}" aria-current="page">' in first

    edition.title_pl = "Kongres Drugi"
    edition.save()
    again = client.get(register).text
    assert "Kongres Pierwszy" not in again and again.count("Kongres Drugi") >= 2

    other = client.get(link).text
    assert 'aria-current="page"' not in other and f'href="{register}">' in other
