"""The registration form page: content in both languages, the registration window, checks
against bots, rate limits, errors tied to their fields, escaping."""

import datetime as dt
import time

import pytest
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone, translation

from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.registration.forms import RegistrationForm
from kongres.registration.models import Registration
from tests.factories import DayFactory, EditionFactory, PageFactory, TrackFactory
from tests.factories.registration import QuestionFactory, RegistrationFactory

REGISTER_PL = "/rejestracja/"
REGISTER_EN = "/en/registration/"


@pytest.fixture
def edition(db):
    edition = EditionFactory(
        title_pl="IV Kongres Polityki Miejskiej",
        title_en="4th Urban Policy Congress",
        capacity=50,
    )
    DayFactory(edition=edition, date=edition.start_date, name_pl="Dzień 1", name_en="Day 1")
    DayFactory(edition=edition, date=edition.end_date, name_pl="Dzień 2", name_en="Day 2")
    TrackFactory(edition=edition, name_pl="Rewitalizacja", name_en="Revitalisation")
    PageFactory(kind="privacy", title_pl="Polityka prywatności", slug="polityka-prywatnosci")
    return edition


def other_registration(edition, **data):
    data.setdefault("day_ids", [day.pk for day in edition.days.all()])
    return RegistrationFactory(edition=edition, **{f"data__{k}": v for k, v in data.items()})


def form_data(edition, *, started_ago=60.0, **overrides):
    data = {
        "started": RegistrationForm.sign_started(time.time() - started_ago),
        "homepage": "",
        "first_name": "Łukasz",
        "last_name": "Żółć-Ęą",
        "email": "lukasz@example.org",
        "institution": "Urząd Miasta Krakowa",
        "position": "inspektor",
        "sector": "local_government",
        "town": "Kraków",
        "voivodeship": "malopolskie",
        "municipality_size": "over_500k",
        "days": [day.pk for day in edition.days.all()],
        "tracks": [track.pk for track in edition.tracks.all()],
        "dietary_needs": "wegetariańska",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# -- the form page ---------------------------------------------------------------------------


def test_register_page_in_polish(client, edition):
    response = client.get(REGISTER_PL)
    assert response.status_code == 200
    text = response.text
    assert "<h1>Zarejestruj się" in text
    assert "IV Kongres Polityki Miejskiej" in text
    for label in [
        "Imię",
        "Nazwisko",
        "Adres e-mail",
        "Instytucja lub organizacja",
        "Stanowisko",
        "Sektor",
        "Miejscowość",
        "Województwo",
        "Wielkość twojej gminy",
        "Dni, w których weźmiesz udział",
        "Panele, które cię interesują",
        "Potrzeby dotyczące dostępności",
        "Wymagania żywieniowe",
        "Znam politykę prywatności",
        "Zgadzam się na fotografowanie",
        "Chcę otrzymywać e-mailem",
        "Wyślij zgłoszenie",
    ]:
        assert label in text, label
    assert "samorząd terytorialny" in text
    assert "małopolskie" in text and "zachodniopomorskie" in text
    assert "tłumacz polskiego języka migowego (PJM)" in text
    assert "pętla indukcyjna" in text
    assert "inne (napisz poniżej)" in text
    assert "Rewitalizacja" in text
    assert "Dzień 1" in text and "Dzień 2" in text
    assert '<a href="/polityka-prywatnosci/" target="_blank" rel="noopener">' in text
    assert "(wymagane)" in text


def test_register_page_in_english(client, edition):
    response = client.get(REGISTER_EN)
    assert response.status_code == 200
    text = response.text
    assert "<h1>Register" in text
    assert "4th Urban Policy Congress" in text
    for label in [
        "First name",
        "Last name",
        "E-mail address",
        "Days you will attend",
        "Panels you are interested in",
        "Polish Sign Language interpreter",
        "I have read the privacy notice",
        "Send my registration",
        "Revitalisation",
        "Day 1",
    ]:
        assert label in text, label
    assert '<a href="/en/privacy/" target="_blank" rel="noopener">' in text


def test_register_url_is_translated():
    with translation.override("pl"):
        assert reverse("registration:register") == "/rejestracja/"
        assert reverse("registration:link") == "/rejestracja/link/"
    with translation.override("en"):
        assert reverse("registration:register") == "/en/registration/"
        assert reverse("registration:manage", kwargs={"token": "abc"}) == (
            "/en/registration/manage/abc/"
        )


def test_register_page_has_honeypot_hidden_from_people_and_no_inline_script(client, edition):
    text = client.get(REGISTER_PL).text
    assert '<div class="hp-field" aria-hidden="true">' in text
    assert (
        '<input type="text" name="homepage" id="id_homepage" value="" tabindex="-1" '
        'autocomplete="off">'
    ) in text
    assert '<label for="id_homepage">Zostaw to pole puste</label>' in text
    assert '<script src="/static/registration/registration.js" defer></script>' in text
    assert "<script>" not in text
    assert " style=" not in text
    assert " onclick=" not in text


def test_register_page_says_when_all_seats_are_taken(client, edition):
    edition.capacity = 1
    edition.save()
    other_registration(edition)
    text = client.get(REGISTER_PL).text
    assert "W tej chwili wszystkie miejsca są zajęte" in text
    text = client.get(REGISTER_EN).text
    assert "All seats are taken at the moment" in text


def test_full_days_are_marked(client, edition):
    _first, second = edition.days.all()
    second.capacity = 1
    second.save()
    other_registration(edition)
    text = client.get(REGISTER_PL).text
    assert "Dzień 2 (" in text
    assert "brak wolnych miejsc: lista rezerwowa" in text
    assert text.count("brak wolnych miejsc") == 1
    assert "no seats left: waiting list" in client.get(REGISTER_EN).text


def test_conditional_questions_are_all_shown_with_hints(client, edition):
    hotel = QuestionFactory(
        edition=edition,
        slug="hotel",
        label_pl="Czy potrzebujesz hotelu?",
        label_en="Do you need a hotel?",
        kind="yesno",
        required=True,
        order=1,
    )
    QuestionFactory(
        edition=edition,
        slug="noce",
        label_pl="Ile nocy?",
        label_en="How many nights?",
        kind="text",
        required=True,
        order=2,
        depends_on=hotel,
        depends_value="yes",
    )
    text = client.get(REGISTER_PL).text
    assert "Pytania od organizatorów" in text
    assert "Czy potrzebujesz hotelu?" in text
    assert (
        '<div class="field field--textarea" id="field-q_noce" data-depends-on="q_hotel" '
        'data-depends-value="yes">'
    ) in text
    assert (
        "Odpowiedz tylko wtedy, gdy na pytanie „Czy potrzebujesz hotelu?” odpowiedziano „Tak”."
        in text
    )
    text = client.get(REGISTER_EN).text
    assert "Answer only if your answer to “Do you need a hotel?” was “Yes”." in text


def fragment_key(edition, language: str, full_days: str = "") -> str:
    """Where ``{% cache %}`` keeps the blank form's fields (register.html)."""
    from django.core.cache.utils import make_template_fragment_key

    from kongres.core.cache import generation

    return make_template_fragment_key(
        "registration-form", [edition.pk, language, generation(), full_days]
    )


def test_blank_form_is_rendered_once_and_again_after_an_edit_or_a_full_day(client, edition):
    """The fields of the blank form are kept in Django's cache per edition, language, content
    generation and days then full: what an organiser edits (a question, a day's capacity) and
    a day that fills up show at the next GET."""
    from django.core.cache import cache

    from kongres.registration.services import day_capacity_change

    rendered: list[str] = []

    def collect(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(collect)
    try:
        assert cache.get(fragment_key(edition, "pl")) is None
        assert "Imię" in client.get(REGISTER_PL).text
        assert "registration/_field.html" in rendered
        assert "Imię" in cache.get(fragment_key(edition, "pl"))
        rendered.clear()
        text = client.get(REGISTER_PL).text
        assert "registration/_field.html" not in rendered
        assert "Imię" in text and "Dzień 2" in text
        assert 'name="csrfmiddlewaretoken"' in text and 'name="started"' in text
        text = client.get(REGISTER_EN).text
        assert "First name" in text
        assert "First name" in cache.get(fragment_key(edition, "en"))
        assert '<a href="/en/privacy/" target="_blank" rel="noopener">Read the privacy' in text
        text = client.get(REGISTER_PL).text
        assert '<a href="/polityka-prywatnosci/" target="_blank" rel="noopener">Przeczytaj' in text

        QuestionFactory(edition=edition, slug="hotel", label_pl="Czy potrzebujesz hotelu?")
        rendered.clear()
        assert "Czy potrzebujesz hotelu?" in client.get(REGISTER_PL).text
        assert "registration/_field.html" in rendered

        _first, second = edition.days.all()
        second.capacity = 1
        second.save()
        assert "brak wolnych miejsc" not in client.get(REGISTER_PL).text
        other_registration(edition)  # not an edit: the content generation stays
        assert "brak wolnych miejsc" in client.get(REGISTER_PL).text
        assert "brak wolnych miejsc" in cache.get(fragment_key(edition, "pl", str(second.pk)))

        day_capacity_change(day=second, capacity=5)  # an update that sends no signal
        rendered.clear()
        assert "brak wolnych miejsc" not in client.get(REGISTER_PL).text
        assert "registration/_field.html" in rendered
    finally:
        template_rendered.disconnect(collect)


def test_a_sent_form_is_neither_read_from_nor_kept_in_the_cache(client, edition):
    """A form sent back with an error shows what was typed: its fields are rendered for it."""
    from django.core.cache import cache

    client.get(REGISTER_PL)  # the blank form is cached
    response = client.post(REGISTER_PL, form_data(edition, first_name="", town="Zakopane"))
    assert response.status_code == 200
    assert 'value="Zakopane"' in response.text
    assert "Zakopane" not in cache.get(fragment_key(edition, "pl"))
    assert 'value="Zakopane"' not in client.get(REGISTER_PL).text


# -- the registration window -----------------------------------------------------------------


def test_window_not_open_yet_says_when_in_the_editions_time_zone(client, edition):
    edition.registration_opens_at = dt.datetime(2030, 9, 1, 8, 0, tzinfo=dt.UTC)
    edition.registration_closes_at = dt.datetime(2030, 10, 1, 21, 59, tzinfo=dt.UTC)
    edition.time_zone = "Europe/Warsaw"
    edition.save()
    text = client.get(REGISTER_PL).text
    assert "Rejestracja rozpocznie się 1 września 2030 o godz. 10:00 (CEST)." in text
    assert "Potrwa do 1 października 2030, godz. 23:59 (CEST)." in text
    assert 'name="first_name"' not in text
    text = client.get(REGISTER_EN).text
    assert "Registration opens on 1 September 2030 at 10:00 (CEST)." in text
    # a form sent anyway is not accepted
    response = client.post(REGISTER_EN, form_data(edition))
    assert "Registration opens on 1 September 2030" in response.text
    assert not Registration.objects.exists()


def test_window_closed(client, edition):
    edition.registration_closes_at = timezone.now() - dt.timedelta(hours=1)
    edition.save()
    text = client.get(REGISTER_PL).text
    assert "Rejestracja jest zamknięta." in text
    assert "Zakończyła się" in text
    assert 'name="first_name"' not in text
    assert "Registration is closed." in client.get(REGISTER_EN).text
    client.post(REGISTER_PL, form_data(edition))
    assert not Registration.objects.exists()


def test_past_edition(client, edition):
    edition.start_date = timezone.localdate() - dt.timedelta(days=10)
    edition.end_date = edition.start_date + dt.timedelta(days=1)
    edition.save()
    assert "Ten kongres już się odbył" in client.get(REGISTER_PL).text
    assert "This congress has already taken place" in client.get(REGISTER_EN).text


def test_archived_edition_counts_as_past(client, edition):
    edition.status = Edition.Status.ARCHIVED
    edition.save()
    assert "Ten kongres już się odbył" in client.get(REGISTER_PL).text


def test_no_edition(client, db):
    assert "Obecnie nie ma kongresu" in client.get(REGISTER_PL).text
    assert "There is no congress to register for" in client.get(REGISTER_EN).text


# -- sending the form ------------------------------------------------------------------------


def test_register_holds_a_seat_and_says_to_click_the_link(client, edition):
    response = client.post(REGISTER_PL, form_data(edition))
    assert response.status_code == 302
    assert response["Location"] == "/rejestracja/wyslano/"
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.HELD
    assert registration.first_name == "Łukasz"
    assert registration.last_name == "Żółć-Ęą"
    assert registration.language == "pl"
    assert [day.pk for day in registration.days.all()] == [d.pk for d in edition.days.all()]
    text = client.get(response["Location"]).text
    assert "Sprawdź skrzynkę e-mail, aby zachować miejsce" in text
    assert (
        "w ciągu 120 minut kliknij link w e-mailu wysłanym na adres "
        "<strong>lukasz@example.org</strong>" in text
    )
    assert OutboxMessage.objects.get().to == "lukasz@example.org"


def test_register_in_english_when_full_goes_to_the_waiting_list(client, edition):
    edition.capacity = 1
    edition.save()
    other_registration(edition)
    response = client.post(REGISTER_EN, form_data(edition), follow=True)
    registration = Registration.objects.get(email="lukasz@example.org")
    assert registration.status == Registration.Status.WAITING_UNVERIFIED
    assert registration.language == "en"
    assert "Check your e-mail to join the waiting list" in response.text
    assert "within 120 minutes" in response.text


def test_submitted_page_without_a_registration_goes_to_the_form(client, edition):
    response = client.get("/rejestracja/wyslano/")
    assert response.status_code == 302
    assert response["Location"] == "/rejestracja/"


# A registered address sent again: tests/registration/test_links.py (no address oracle, L1).


def test_honeypot_filled_in_registers_nobody(client, edition):
    response = client.post(REGISTER_PL, form_data(edition, homepage="https://spam.example"))
    assert response.status_code == 200
    assert "Nie udało się wysłać formularza. Sprawdź odpowiedzi i wyślij go ponownie." in (
        response.text
    )
    assert 'id="id_homepage" value=""' in response.text  # never sent back filled in
    assert not Registration.objects.exists()


def test_too_fast_shows_a_message_and_keeps_the_data(client, edition):
    response = client.post(REGISTER_PL, form_data(edition, started_ago=0.5))
    assert response.status_code == 200
    text = response.text
    assert "Formularz został wysłany szybciej, niż da się go wypełnić." in text
    assert 'value="Łukasz"' in text
    assert 'value="Żółć-Ęą"' in text
    assert 'value="lukasz@example.org"' in text
    assert not Registration.objects.exists()
    text = client.post(REGISTER_EN, form_data(edition, started_ago=0.5)).text
    assert "The form was sent faster than a person can fill it in." in text


def test_errors_are_tied_to_their_fields_and_summarised_at_the_top(client, edition):
    response = client.post(
        REGISTER_PL,
        form_data(edition, email="nie-adres", sector=None, privacy_consent=None, town="Nowy Sącz"),
    )
    assert response.status_code == 200
    text = response.text
    assert "<title>Błąd: Zarejestruj się" in text
    assert (
        '<div class="error-summary" id="error-summary" role="alert" tabindex="-1" '
        'aria-labelledby="error-summary-title" autofocus>'
    ) in text
    assert "W odpowiedziach są 3 błędy" in text
    assert '<a href="#id_email">Adres e-mail: ' in text
    assert '<a href="#id_sector_0">Sektor: To pole jest wymagane.</a>' in text
    assert (
        '<a href="#id_privacy_consent">Polityka prywatności: Do rejestracji potrzebna jest '
        "twoja zgoda na zasady polityki prywatności.</a>"
    ) in text
    assert 'aria-invalid="true" aria-describedby="id_email_helptext id_email_error"' in text
    assert (
        '<ul class="field__errors" id="id_email_error"><li>'
        '<span class="visually-hidden">Błąd: </span>' in text
    )
    assert '<fieldset aria-describedby="id_sector_error">' in text
    # what was typed is kept
    assert 'value="Nowy Sącz"' in text
    assert 'value="nie-adres"' in text
    assert "wegetariańska</textarea>" in text
    assert '<option value="malopolskie" selected>' in text


def test_names_with_diacritics_hyphens_and_apostrophes_register(client, edition):
    client.post(REGISTER_PL, form_data(edition, first_name="Zoë-Ąnna", last_name="O'Brien"))
    registration = Registration.objects.get()
    assert (registration.first_name, registration.last_name) == ("Zoë-Ąnna", "O'Brien")


def test_html_typed_in_is_shown_as_text(client, edition):
    payload = '<script>alert("x")</script>'
    response = client.post(
        REGISTER_PL, form_data(edition, institution=payload, first_name="<b>Jan</b>")
    )
    text = response.text
    assert payload not in text
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in text
    assert 'value="&lt;b&gt;Jan&lt;/b&gt;"' in text


def test_maximum_lengths_are_enforced(client, edition):
    text = client.post(REGISTER_EN, form_data(edition, last_name="A" * 101)).text
    assert "Ensure this value has at most 100 characters (it has 101)." in text
    assert 'maxlength="100"' in text
    assert not Registration.objects.exists()


# -- rate limits -----------------------------------------------------------------------------


def test_rate_limit_per_network_answers_429(client, edition, settings):
    settings.KONGRES_RATELIMIT_REGISTER_IP = "2/h"
    for number in range(2):
        client.post(REGISTER_PL, form_data(edition, email=f"osoba{number}@example.org"))
    response = client.post(REGISTER_PL, form_data(edition, email="trzecia@example.org"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Zbyt wiele prób" in response.text
    assert "Otrzymaliśmy zbyt wiele prób z twojej sieci lub dla tego adresu e-mail." in (
        response.text
    )
    assert Registration.objects.count() == 2
    response = client.post(REGISTER_EN, form_data(edition, email="fourth@example.org"))
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    # another network is not affected
    response = client.post(
        REGISTER_PL, form_data(edition, email="inna@example.org"), REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 302


def test_rate_limit_per_email_address(client, edition, settings):
    settings.KONGRES_RATELIMIT_REGISTER_EMAIL = "2/h"
    for _ in range(2):
        client.post(REGISTER_PL, form_data(edition, started_ago=0.1))  # too fast: refused
    response = client.post(REGISTER_PL, form_data(edition, email="LUKASZ@example.org"))
    assert response.status_code == 429
    response = client.post(REGISTER_PL, form_data(edition, email="inny@example.org"))
    assert response.status_code == 302


def test_rate_limits_can_be_switched_off(client, edition, settings):
    settings.KONGRES_RATELIMIT_ENABLED = False
    settings.KONGRES_RATELIMIT_REGISTER_IP = "1/h"
    for _ in range(3):
        response = client.post(REGISTER_PL, form_data(edition, started_ago=0.1))
        assert response.status_code == 200


def test_default_limits_let_a_real_person_through(client, edition):
    for _ in range(8):  # someone who gets the form wrong many times
        assert client.post(REGISTER_PL, form_data(edition, email="zly")).status_code == 200
    assert client.post(REGISTER_PL, form_data(edition)).status_code == 302
