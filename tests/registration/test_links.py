"""Secret links (review 2026-12, L1, L3, L6, M3): the form is no oracle of who is registered,
nobody but the owner can revoke a link, links do not multiply and expire after the edition,
and the outbox and the exports keep no live link once a mail has gone."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from kongres.mail.delivery import mail_deliver
from kongres.mail.models import OutboxMessage
from kongres.privacy.services import registration_export
from kongres.registration.models import Registration, RegistrationToken
from kongres.registration.selectors import registration_get_by_token
from kongres.registration.services import (
    registration_link_resend,
    registration_mail_resend,
)
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.registration.test_views import REGISTER_EN, REGISTER_PL, form_data
from tests.registration.test_views import edition as edition

TOKEN = re.compile(r"/([A-Za-z0-9_-]{43})/")


@pytest.fixture(autouse=True)
def _language_back():
    """Each test starts in Polish (a request to /en/ leaves English active in the thread)."""
    with translation.override("pl"):
        yield


def registered(edition, **data):
    data.setdefault("day_ids", [day.pk for day in edition.days.all()])
    data.setdefault("email", "lukasz@example.org")
    return RegistrationFactory(
        edition=edition, verified=True, **{f"data__{k}": v for k, v in data.items()}
    )


def mails_to(address: str, kind: str = "registration.link") -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(to=address, kind=kind).order_by("pk"))


def manage_url(token: str) -> str:
    with translation.override("pl"):
        return reverse("registration:manage", kwargs={"token": token or "x"}).replace("/x/", "/")


def token_in(text: str) -> str:
    return TOKEN.search(text).group(1)


# -- L1: the form is no oracle ---------------------------------------------------------------


def _answer(client, edition, email):
    response = client.post(REGISTER_PL, form_data(edition, email=email))
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return response, page


def test_a_registered_address_gets_the_answer_of_a_new_one(client, edition):
    owner = registered(edition, first_name="Ewelina", institution="Urząd Tajny")
    assert owner.status == Registration.Status.CONFIRMED
    before = set(OutboxMessage.objects.values_list("pk", flat=True))

    new, new_page = _answer(client, edition, "nowa@example.org")
    client.cookies.clear()
    again, again_page = _answer(client, edition, "Lukasz@Example.org")

    assert (again.status_code, again["Location"]) == (new.status_code, new["Location"])
    assert new.status_code == 302
    assert again_page.status_code == new_page.status_code == 200
    # the same page, but for the address typed in; nothing of the registration already there
    expected = new_page.text.replace("nowa@example.org", "Lukasz@example.org")
    assert again_page.text == expected.replace("nowa%40example.org", "Lukasz%40example.org")
    for secret in ("Ewelina", "Urząd Tajny", "już zarejestrowany", "potwierdzon"):
        assert secret not in again_page.text
    assert Registration.objects.filter(email__iexact="lukasz@example.org").count() == 1
    # the owner of the address is told, with the link to their registration
    [mail] = [m for m in mails_to(owner.email) if m.pk not in before]
    assert "ponownie" in mail.body_text
    assert registration_get_by_token(token=token_in(mail.body_text)).pk == owner.pk
    # and the earlier link still works
    assert registration_get_by_token(token=owner.token).pk == owner.pk

    text = client.post(REGISTER_EN, form_data(edition, email="lukasz@example.org"), follow=True)
    assert "Check your e-mail" in text.text
    assert "already registered" not in text.text


# -- L3, L6: links are not revoked by strangers and do not multiply -------------------------


def test_asking_for_a_link_keeps_the_earlier_links_working(client, edition):
    owner = registered(edition)
    for _ in range(3):
        response = client.post("/rejestracja/link/", {"email": "lukasz@example.org"})
        assert response["Location"] == "/rejestracja/link/wyslano/"
    assert registration_get_by_token(token=owner.token).pk == owner.pk
    sent = mails_to(owner.email)
    assert len(sent) == 3
    assert {token_in(mail.body_text) for mail in sent} == {owner.token}
    assert "no longer work" not in sent[0].body_text
    assert "przestały działać" not in sent[0].body_text
    assert RegistrationToken.objects.filter(registration=owner).count() == 1
    assert client.get(manage_url(owner.token)).status_code == 200


def test_mails_reuse_the_live_link_instead_of_minting_new_ones(edition, django_user_model):
    organiser = django_user_model.objects.create_user("organiser")
    owner = registered(edition)
    for _ in range(3):
        registration_mail_resend(registration=owner, actor=organiser)
        registration_link_resend(edition=edition, email=owner.email, language="pl")
    assert RegistrationToken.objects.filter(registration=owner).count() == 1
    assert registration_get_by_token(token=owner.token).pk == owner.pk


def test_the_owner_replaces_their_links_and_only_then_the_old_ones_stop(client, edition):
    owner = registered(edition)
    assert "Unieważnij moje linki" in client.get(manage_url(owner.token)).text
    response = client.post(reverse("registration:links-replace", kwargs={"token": owner.token}))
    assert response.status_code == 200
    assert "wysłaliśmy nowy link" in response.text
    assert registration_get_by_token(token=owner.token) is None
    [mail] = mails_to(owner.email)
    assert registration_get_by_token(token=token_in(mail.body_text)).pk == owner.pk
    assert RegistrationToken.objects.filter(registration=owner).count() == 1


# -- L6: links expire after the edition ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [("pl", ["Ten link wygasł", "/rejestracja/link/"]), ("en", ["This link has expired"])],
)
def test_links_expire_a_set_time_after_the_edition(
    client, settings, language, words, django_user_model
):
    settings.KONGRES_LINK_VALID_DAYS = 90
    today = timezone.localdate()
    edition = EditionFactory(
        start_date=today - dt.timedelta(days=95), end_date=today - dt.timedelta(days=91)
    )
    owner = RegistrationFactory(
        edition=edition, actor=django_user_model.objects.create_user("organiser")
    )
    with translation.override(language):
        url = reverse("registration:manage", kwargs={"token": owner.token})
    response = client.get(url)
    assert response.status_code == 410
    for word in words:
        assert word in response.text
    assert registration_get_by_token(token=owner.token) is None

    settings.KONGRES_LINK_VALID_DAYS = 120
    assert client.get(url).status_code == 200


# -- M3: no live link at rest ----------------------------------------------------------------


def test_the_outbox_forgets_the_link_once_the_mail_is_sent(edition, smtp_server):
    owner = registered(edition)
    registration_link_resend(edition=edition, email=owner.email, language="pl")
    [mail] = mails_to(owner.email)
    assert owner.token in mail.body_text  # until it is sent

    assert mail_deliver(message_id=mail.pk) == "sent"

    assert owner.token in smtp_server.inbox.raw[0].decode()
    mail.refresh_from_db()
    for text in (mail.subject, mail.body_text, mail.body_html):
        assert owner.token not in text
    assert manage_url("") in mail.body_text  # the rest of the mail stays
    assert registration_get_by_token(token=owner.token).pk == owner.pk


def test_the_data_export_hands_out_no_live_link(edition):
    owner = registered(edition)
    registration_link_resend(edition=edition, email=owner.email, language="pl")
    exported = str(registration_export(owner))
    assert owner.token not in exported
    assert "lukasz@example.org" in exported


def test_mails_sent_before_the_upgrade_lose_their_links(edition):
    """The data migration: stored copies of mails sent before the outbox redacted links."""
    migration = importlib.import_module("kongres.registration.migrations.0007_redact_sent_links")
    owner = registered(edition)
    registration_link_resend(edition=edition, email=owner.email, language="pl")
    OutboxMessage.objects.update(redact=[], status="sent", sent_at=timezone.now())
    [mail] = mails_to(owner.email)
    assert owner.token in mail.body_text

    migration.redact(apps, None)

    mail.refresh_from_db()
    assert owner.token not in mail.body_text + mail.body_html + mail.subject
    assert "[…]" in mail.body_text
    assert registration_get_by_token(token=owner.token).pk == owner.pk
