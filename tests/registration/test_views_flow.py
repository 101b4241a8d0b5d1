"""The pages a secret link opens, and the whole flow through the test client with the real
services and the real mail outbox: register → mail → confirm → manage → cancel → the seat is
offered to the next person on the waiting list → they take it."""

import datetime as dt
import json
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from kongres.mail.delivery import mail_deliver
from kongres.mail.models import OutboxMessage
from kongres.registration.forms import RegistrationForm
from kongres.registration.models import Registration
from kongres.registration.services import registration_expire_due
from tests.factories import DayFactory, EditionFactory, TrackFactory
from tests.factories.registration import QuestionFactory, RegistrationFactory
from tests.mail.outbox import outbox_delivered


@pytest.fixture
def edition(db):
    edition = EditionFactory(
        title_pl="IV Kongres Polityki Miejskiej",
        title_en="4th Urban Policy Congress",
        capacity=1,
        offer_hours=48,
    )
    DayFactory(edition=edition, date=edition.start_date, name_pl="Dzień 1", name_en="Day 1")
    DayFactory(edition=edition, date=edition.end_date, name_pl="Dzień 2", name_en="Day 2")
    TrackFactory(edition=edition, name_pl="Rewitalizacja", name_en="Revitalisation")
    return edition


def form_data(edition, **overrides):
    data = {
        "started": RegistrationForm.sign_started(time.time() - 60),
        "first_name": "Anna",
        "last_name": "Kowalska",
        "email": "anna@example.org",
        "institution": "Urząd Miasta",
        "sector": "local_government",
        "days": [day.pk for day in edition.days.all()],
        "privacy_consent": "on",
    }
    data.update(overrides)
    return data


def deliver_all() -> None:
    """What the worker does: send every queued message (to Django's test outbox)."""
    queued = OutboxMessage.objects.filter(status="queued").order_by("pk")
    for pk in queued.values_list("pk", flat=True):
        mail_deliver(message_id=pk)


def link_in_last_mail(to: str, kind: str) -> str:
    """The path of the link named ``kind`` (verify, claim, manage) in the last mail to ``to``."""
    deliver_all()
    message = [m for m in mail.outbox if m.to == [to]][-1]
    words = {"verify": ("potwierdz", "verify"), "claim": ("przyjmij", "claim")}.get(
        kind, ("moja", "manage")
    )
    for url in re.findall(r"https?://\S+", message.body):
        path = urlsplit(url).path
        if any(f"/{word}/" in path for word in words):
            return path
    raise AssertionError(f"no {kind} link in: {message.body}")


def register(client, edition, **overrides) -> Registration:
    response = client.post("/rejestracja/", form_data(edition, **overrides))
    assert response.status_code == 302, response.text
    return Registration.objects.get(email=overrides.get("email", "anna@example.org"))


def other_registration(edition, *, verified=False, **data):
    data.setdefault("day_ids", [day.pk for day in edition.days.all()])
    return RegistrationFactory(
        edition=edition, verified=verified, **{f"data__{k}": v for k, v in data.items()}
    )


# -- the whole flow --------------------------------------------------------------------------


def test_whole_flow_register_confirm_cancel_and_the_next_person_gets_the_seat(client, edition):
    # Anna registers and gets the only seat, held until she confirms her address
    anna = register(client, edition)
    assert anna.status == Registration.Status.HELD
    verify_path = link_in_last_mail("anna@example.org", "verify")
    assert verify_path.startswith("/rejestracja/potwierdz/")

    # opening the link shows a button and changes nothing
    response = client.get(verify_path)
    assert response.status_code == 200
    assert "Potwierdź adres e-mail" in response.text
    assert "Potwierdzam adres e-mail" in response.text
    anna.refresh_from_db()
    assert anna.status == Registration.Status.HELD

    # the button confirms; the manage page says so
    response = client.post(verify_path)
    manage_path = response["Location"]
    assert manage_path.startswith("/rejestracja/moja/")
    text = client.get(manage_path).text
    assert "Dziękujemy: twój adres e-mail jest potwierdzony." in text
    assert "Status: potwierdzona" in text
    assert "Twoje miejsce jest potwierdzone. Do zobaczenia na kongresie!" in text
    anna.refresh_from_db()
    assert anna.status == Registration.Status.CONFIRMED

    # Bartek comes too late: waiting list, once his address is confirmed
    other = client.__class__()
    response = other.post(
        "/en/registration/",
        form_data(edition, email="bartek@example.org", first_name="Bartek"),
        follow=True,
    )
    assert "Check your e-mail to join the waiting list" in response.text
    bartek_verify = link_in_last_mail("bartek@example.org", "verify")
    assert bartek_verify.startswith("/en/registration/verify/")
    response = other.post(bartek_verify, follow=True)
    assert "Status: on the waiting list" in response.text
    assert "You are number 1 on the waiting list." in response.text
    assert "it will be valid for 48 hours" in response.text

    # Anna cancels: a confirmation page first, then the seat goes back at once
    cancel_path = manage_path + "anuluj/"
    response = client.get(cancel_path)
    assert "Anulować rejestrację?" in response.text
    assert "Tak, anuluj moją rejestrację" in response.text
    anna.refresh_from_db()
    assert anna.status == Registration.Status.CONFIRMED
    response = client.post(cancel_path, follow=True)
    assert "Twoja rejestracja została anulowana." in response.text
    assert "Status: anulowana" in response.text
    assert "Zarejestruj się ponownie" in response.text

    # ... and is offered to Bartek, by e-mail, with a one-click link
    bartek = Registration.objects.get(email="bartek@example.org")
    assert bartek.status == Registration.Status.OFFERED
    claim_path = link_in_last_mail("bartek@example.org", "claim")
    response = other.get(claim_path)
    assert "A seat is waiting for you" in response.text
    assert "Take the seat" in response.text
    bartek.refresh_from_db()
    assert bartek.status == Registration.Status.OFFERED  # GET changes nothing
    response = other.post(claim_path, follow=True)
    assert "The seat is yours." in response.text
    assert "Status: confirmed" in response.text
    bartek.refresh_from_db()
    assert bartek.status == Registration.Status.CONFIRMED


# -- token pages -----------------------------------------------------------------------------


def test_unknown_link_shows_a_404_page_that_helps(client, edition):
    for path in [
        "/rejestracja/moja/nieznany-token/",
        "/rejestracja/potwierdz/nieznany-token/",
        "/rejestracja/przyjmij/nieznany-token/",
        "/rejestracja/moja/nieznany-token/dane.json",
    ]:
        response = client.get(path)
        assert response.status_code == 404
        assert "Ten link nie działa" in response.text
        assert "Otrzymaj ponownie link do swojej rejestracji" in response.text
    response = client.get("/en/registration/manage/unknown-token/")
    assert "This link does not work" in response.text


def test_token_pages_are_not_cached_nor_indexed(client, edition):
    registration = other_registration(edition)
    response = client.get(f"/rejestracja/moja/{registration.token}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in response.text


def test_manage_page_shows_answers_escaped_and_in_english(client, edition):
    question = QuestionFactory(
        edition=edition, slug="uwagi", label_pl="Uwagi", label_en="Remarks", kind="text"
    )
    registration = other_registration(
        edition,
        first_name="Żaneta",
        institution='<img src=x onerror="alert(1)">',
        accessibility_needs=["sign_language"],
        accessibility_other="pętla w sali",
        answers={question.slug: "<b>bez orzechów</b>"},
        language="en",
    )
    text = client.get(f"/en/registration/manage/{registration.token}/").text
    assert "<h1>Your registration" in text
    assert "Status: seat held, address not confirmed" in text
    assert "Żaneta Nowak" in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text
    assert "<img src=x" not in text
    assert "<dt>Remarks</dt><dd>&lt;b&gt;bez orzechów&lt;/b&gt;</dd>" in text
    assert "<li>Polish Sign Language interpreter</li>" in text
    assert "<li>pętla w sali</li>" in text
    assert "Confirm my e-mail address" in text
    assert "Cancel my registration" in text
    assert "Download my data (JSON)" in text


def test_waiting_list_position_and_leaving_it(client, edition):
    first = other_registration(edition, verified=True)
    assert first.status == Registration.Status.CONFIRMED
    waiting = [
        other_registration(edition, verified=True, email=f"w{number}@example.org")
        for number in range(2)
    ]
    text = client.get(f"/rejestracja/moja/{waiting[1].token}/").text
    assert "Status: na liście rezerwowej" in text
    assert "Masz numer 2 na liście rezerwowej." in text
    assert "Zrezygnuj z listy rezerwowej" in text

    response = client.get(f"/rejestracja/moja/{waiting[0].token}/anuluj/")
    assert "Zrezygnować z listy rezerwowej?" in response.text
    response = client.post(f"/rejestracja/moja/{waiting[0].token}/anuluj/", follow=True)
    assert "Twoja rezygnacja z listy rezerwowej została przyjęta." in response.text
    text = client.get(f"/rejestracja/moja/{waiting[1].token}/").text
    assert "Masz numer 1 na liście rezerwowej." in text


def test_edit_answers_until_the_deadline(client, edition):
    registration = other_registration(edition, verified=True)
    consent = (registration.privacy_consent_at, registration.privacy_notice_version)
    edit_path = f"/rejestracja/moja/{registration.token}/zmien/"
    response = client.get(edit_path)
    assert response.status_code == 200
    assert "Zmień swoje odpowiedzi" in response.text
    assert 'name="email"' not in response.text
    assert 'value="Anna"' in response.text
    assert "Zarejestrowany adres: osoba" in response.text

    data = form_data(edition, first_name="Anna-Maria", town="Łódź", newsletter_consent="on")
    data["days"] = [edition.days.first().pk]
    response = client.post(edit_path, data, follow=True)
    assert "Zmiany zostały zapisane." in response.text
    assert "Anna-Maria" in response.text
    registration.refresh_from_db()
    assert registration.first_name == "Anna-Maria"
    assert registration.town == "Łódź"
    assert registration.newsletter_consent is True
    assert [day.pk for day in registration.days.all()] == [edition.days.first().pk]
    # the consent given at registration is kept as it was, not given again
    assert (registration.privacy_consent_at, registration.privacy_notice_version) == consent

    # errors keep what was typed
    response = client.post(edit_path, {**data, "first_name": "", "days": []})
    assert "Wybierz co najmniej jeden dzień." in response.text
    assert 'value="Łódź"' in response.text

    edition.edit_deadline = timezone.now() - dt.timedelta(minutes=1)
    edition.save()
    response = client.get(edit_path, follow=True)
    assert "Twoich odpowiedzi nie można już zmienić." in response.text
    assert "Odpowiedzi nie można już zmienić. Jeśli zmieniło się coś ważnego" in response.text
    assert "Zmień odpowiedzi" not in response.text


def test_export_downloads_the_participants_data_as_json(client, edition):
    registration = other_registration(edition, first_name="Łucja")
    response = client.get(f"/rejestracja/moja/{registration.token}/dane.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="registration-{edition.slug}.json"'
    )
    data = json.loads(response.content)
    assert data["first_name"] == "Łucja"
    assert data["email"] == registration.email
    assert data["status"] == "held"
    assert "Łucja" in response.content.decode()  # not escaped to \\u


def test_verify_after_the_hold_time_says_to_register_again(client, edition):
    registration = other_registration(edition)
    Registration.objects.filter(pk=registration.pk).update(
        hold_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = client.post(f"/rejestracja/potwierdz/{registration.token}/", follow=True)
    assert "Minął czas na potwierdzenie tej rejestracji. Zarejestruj się ponownie." in (
        response.text
    )
    assert "Status: wygasła" in response.text
    assert "Zarejestruj się ponownie" in response.text


def test_verify_link_of_a_confirmed_registration_goes_to_the_manage_page(client, edition):
    registration = other_registration(edition, verified=True)
    response = client.get(f"/rejestracja/potwierdz/{registration.token}/")
    assert response["Location"] == f"/rejestracja/moja/{registration.token}/"


def test_claim_after_the_offer_ended(client, edition):
    first = other_registration(edition, verified=True)
    second = other_registration(edition, verified=True, email="druga@example.org")
    client.post(f"/rejestracja/moja/{first.token}/anuluj/")
    second.refresh_from_db()
    assert second.status == Registration.Status.OFFERED
    outbox_delivered()
    registration_expire_due(now=second.offer_expires_at + dt.timedelta(seconds=1))
    response = client.get(f"/rejestracja/przyjmij/{second.token}/", follow=True)
    assert "Status: wygasła" in response.text


def test_lost_link_answer_is_the_same_whether_or_not_the_address_is_registered(client, edition):
    registration = other_registration(edition, email="znana@example.org")
    page = client.get("/rejestracja/link/")
    assert "Otrzymaj ponownie link do rejestracji" in page.text
    known = client.post("/rejestracja/link/", {"email": "znana@example.org"}, follow=True)
    unknown = client.post("/rejestracja/link/", {"email": "obca@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [("/rejestracja/link/wyslano/", 302)]
    assert known.text == unknown.text
    assert "Jeśli ten adres jest zarejestrowany na kongres, wysłaliśmy na niego link" in known.text

    # the known address got its link again; nothing was revoked (L3)
    assert client.get(f"/rejestracja/moja/{registration.token}/").status_code == 200
    new_path = link_in_last_mail("znana@example.org", "verify")
    assert registration.token in new_path
    assert client.get(new_path).status_code == 200

    text = client.post("/en/registration/link/", {"email": "x"}).text
    assert "Enter a valid e-mail address." in text
    assert '<a href="#id_email">E-mail address: Enter a valid e-mail address.</a>' in text


def test_lost_link_is_rate_limited_per_address(client, edition, settings):
    settings.KONGRES_RATELIMIT_LINK_EMAIL = "2/h"
    for _ in range(2):
        client.post("/rejestracja/link/", {"email": "ktos@example.org"})
    response = client.post("/rejestracja/link/", {"email": "KTOS@example.org"})
    assert response.status_code == 429
    assert "Zbyt wiele prób" in response.text


def test_token_pages_are_rate_limited_per_network(client, edition, settings):
    settings.KONGRES_RATELIMIT_TOKEN_IP = "3/h"
    for _ in range(3):
        assert client.get("/rejestracja/moja/zgadywany-token/").status_code == 404
    response = client.get("/rejestracja/moja/zgadywany-token/")
    assert response.status_code == 429
