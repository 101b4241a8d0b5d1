import datetime as dt

import pytest
from django.utils import timezone

from kongres.content.models import Page
from tests.factories import PageFactory

pytestmark = pytest.mark.django_db


def _set_updated(page: Page, when: dt.datetime) -> None:
    Page.objects.filter(pk=page.pk).update(updated_at=when)


def test_privacy_notice_in_both_languages(client):
    page = PageFactory(
        kind=Page.Kind.PRIVACY,
        slug="polityka",
        title_pl="Polityka prywatności",
        title_en="Privacy notice",
        body_pl="## Administrator\n\nAdministratorem danych jest **Instytut**.",
        body_en="## Controller\n\nThe controller is the **Institute**.",
    )
    _set_updated(page, dt.datetime(2024, 9, 2, 12, 0, tzinfo=dt.UTC))

    text = client.get("/polityka-prywatnosci/").text
    assert "<h1>Polityka prywatności</h1>" in text
    assert "<h2>Administrator</h2>" in text
    assert "Administratorem danych jest <strong>Instytut</strong>." in text
    assert 'Ostatnia aktualizacja: <time datetime="2024-09-02">2 września 2024</time>' in text

    text = client.get("/en/privacy/").text
    assert "<h1>Privacy notice</h1>" in text
    assert "The controller is the <strong>Institute</strong>." in text
    assert 'Last updated: <time datetime="2024-09-02">2 September 2024</time>' in text


def test_accessibility_declaration(client):
    PageFactory(
        kind=Page.Kind.ACCESSIBILITY,
        title_pl="Deklaracja dostępności",
        title_en="Accessibility declaration",
        body_pl="Strona jest **częściowo zgodna** z WCAG 2.1.",
    )

    text = client.get("/deklaracja-dostepnosci/").text
    assert "<h1>Deklaracja dostępności</h1>" in text
    assert "Strona jest <strong>częściowo zgodna</strong> z WCAG 2.1." in text

    text = client.get("/en/accessibility/").text
    assert "<h1>Accessibility declaration</h1>" in text
    assert '<div lang="pl"><p>Strona jest <strong>częściowo zgodna</strong>' in text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/polityka-prywatnosci/", "Strona nie została znaleziona"),
        ("/deklaracja-dostepnosci/", "Strona nie została znaleziona"),
        ("/en/privacy/", "Page not found"),
        ("/en/accessibility/", "Page not found"),
    ],
)
def test_missing_special_page_is_404(client, url, message):
    PageFactory(kind=Page.Kind.OTHER)
    response = client.get(url)
    assert response.status_code == 404
    assert f"<h1>{message}</h1>" in response.text


def test_unpublished_special_page_is_404(client):
    PageFactory(kind=Page.Kind.PRIVACY, is_published=False, title_pl="Ukryta")
    response = client.get("/polityka-prywatnosci/")
    assert response.status_code == 404
    assert "Ukryta" not in response.text


def test_free_page_by_slug(client):
    PageFactory(
        slug="dojazd", title_pl="Jak dojechać", title_en="Getting there", body_pl="Tramwajem."
    )

    text = client.get("/strony/dojazd/").text
    assert "<h1>Jak dojechać</h1>" in text
    assert "<p>Tramwajem.</p>" in text
    assert "<title>Jak dojechać · kongres</title>" in text

    text = client.get("/en/pages/dojazd/").text
    assert "<h1>Getting there</h1>" in text
    assert '<div lang="pl"><p>Tramwajem.</p></div>' in text


def test_free_page_unpublished_or_unknown_is_404(client):
    PageFactory(slug="szkic", is_published=False)
    assert client.get("/strony/szkic/").status_code == 404
    assert client.get("/strony/nie-ma/").status_code == 404


def test_special_page_by_slug_redirects_to_its_address(client):
    PageFactory(kind=Page.Kind.PRIVACY, slug="prywatnosc")
    response = client.get("/en/pages/prywatnosc/")
    assert response.status_code == 301
    assert response["Location"] == "/en/privacy/"


def test_page_body_is_sanitised(client):
    PageFactory(slug="zla", body_pl='[kliknij](javascript:alert(1)) <b onclick="x()">tekst</b>')
    text = client.get("/strony/zla/").text
    assert "javascript:" not in text
    assert "onclick" not in text
    assert "tekst" in text


def test_page_updated_date_is_local(client, settings):
    page = PageFactory(kind=Page.Kind.PRIVACY)
    _set_updated(page, dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC))  # 1 Jan in Warsaw
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
    assert (
        '<time datetime="2025-01-01">1 stycznia 2025</time>'
        in client.get("/polityka-prywatnosci/").text
    )
