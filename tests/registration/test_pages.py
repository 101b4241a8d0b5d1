"""The blank form and the page after it, kept whole in the cache with holes
(kongres.registration.pages): rendered once, served with each visitor's own values."""

import re

import pytest
from django.test import Client
from django.test.signals import template_rendered

from kongres.registration.models import Registration
from tests.registration.test_views import (  # noqa: F401 - the fixture
    REGISTER_EN,
    REGISTER_PL,
    edition,
    form_data,
    other_registration,
)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STARTED = re.compile(r'name="started" value="([^"]+)"')


@pytest.fixture
def rendered():
    names: list[str] = []

    def collect(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(collect)
    yield names
    template_rendered.disconnect(collect)


@pytest.fixture
def no_wait(settings):
    settings.KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0


def opened(client) -> tuple[str, str]:
    page = client.get(REGISTER_PL).text
    return CSRF.search(page).group(1), STARTED.search(page).group(1)


def test_visitors_get_the_form_rendered_once_with_tokens_of_their_own(
    edition,  # noqa: F811 - the fixture
    rendered,
    no_wait,
):
    anna, bartek = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    anna_csrf, anna_started = opened(anna)
    bartek_csrf, bartek_started = opened(bartek)
    assert rendered.count("registration/register.html") == 1
    assert anna_csrf != bartek_csrf and anna_started != bartek_started
    assert "kongres-hole" not in anna.get(REGISTER_PL).text
    for client, csrf, started, email in (
        (anna, anna_csrf, anna_started, "anna@example.org"),
        (bartek, bartek_csrf, bartek_started, "bartek@example.org"),
    ):
        data = form_data(edition, email=email, started=started, csrfmiddlewaretoken=csrf)
        assert client.post(REGISTER_PL, data).status_code == 302, email
    assert Registration.objects.count() == 2
    # each token is still good for one form only
    data = form_data(edition, email="carol@example.org", started=anna_started)
    data["csrfmiddlewaretoken"] = anna_csrf
    assert anna.post(REGISTER_PL, data).status_code == 200
    assert Registration.objects.count() == 2


def test_each_language_and_a_query_string_have_their_own_page(
    client,
    edition,  # noqa: F811 - the fixture
    rendered,
):
    client.get(REGISTER_PL)
    assert "First name" in client.get(REGISTER_EN).text
    assert rendered.count("registration/register.html") == 2
    page = client.get(REGISTER_PL + "?utm_source=newsletter").text  # not from the cache
    assert rendered.count("registration/register.html") == 3
    assert 'href="/en/registration/?utm_source=newsletter"' in page
    client.get(REGISTER_PL)
    assert rendered.count("registration/register.html") == 3


def test_the_page_after_the_form_shows_each_persons_own_address(
    edition,  # noqa: F811 - the fixture
    rendered,
    no_wait,
):
    edition.capacity = 1
    edition.save()
    other_registration(edition)  # the others join the waiting list: the same page for all
    pages = {}
    for email in ("anna+kongres@example.org", "bartek@example.org"):
        client = Client()
        client.post(REGISTER_PL, form_data(edition, email=email))
        pages[email] = client.get("/rejestracja/wyslano/").text
    assert rendered.count("registration/submitted.html") == 1
    anna, bartek = pages["anna+kongres@example.org"], pages["bartek@example.org"]
    assert "<strong>anna+kongres@example.org</strong>" in anna
    assert "?email=anna%2Bkongres%40example.org" in anna
    assert "<strong>bartek@example.org</strong>" in bartek
    assert "?email=bartek%40example.org" in bartek
    assert "anna" not in bartek and "kongres-hole" not in bartek


def test_an_organiser_with_a_session_gets_the_form_rendered(
    client,
    edition,  # noqa: F811 - the fixture
    rendered,
    settings,
):
    client.cookies[settings.SESSION_COOKIE_NAME] = "an-organisers-session"
    client.get(REGISTER_PL)
    client.get(REGISTER_PL)
    assert rendered.count("registration/register.html") == 2
