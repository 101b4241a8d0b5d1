"""The ticket where the participant gets it: the confirmation mail as a mail client receives it
(the real worker, a real SMTP server: the QR inline by Content-ID, the PDFs attached), the
personal page of the secret link, a new link when the link is lost, and a re-issued ticket.
Every QR is read back with zxing-cpp and must give the ticket's code."""

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from PIL import Image

from kongres.audit.models import AuditLogEntry
from kongres.checkin.services import checkin_perform
from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration, Ticket
from kongres.registration.services import (
    RegistrationData,
    registration_cancel,
    registration_create,
    registration_link_resend,
    registration_verify,
    ticket_reissue,
)
from tests.checkin.test_qr_pdf import decode, pdf_pages, svg_to_image

pytestmark = pytest.mark.django_db


def run_worker() -> None:
    call_command("worker", "--batch", verbosity=0)


def sign_up(edition, *, email="zofia@example.org", language="pl") -> tuple[Registration, str]:
    """A participant registers on the site and confirms the address: the seat is confirmed."""
    data = RegistrationData(
        first_name="Zofia",
        last_name="Żółć",
        email=email,
        institution="Urząd Miasta Łodzi",
        sector="local_government",
        day_ids=[day.pk for day in edition.days.all()],
        privacy_consent=True,
        language=language,
    )
    registration, token = registration_create(edition=edition, data=data)
    registration = registration_verify(token=token)
    return registration, token


def the_ticket(registration) -> Ticket:
    return Ticket.objects.get(registration=registration, is_active=True)


def link_in(text: str, language: str = "pl") -> str:
    """The secret token in a mail's manage link."""
    with translation.override(language):
        prefix = reverse("registration:manage", kwargs={"token": "TOKEN"}).split("TOKEN")[0]
    return re.search(re.escape(prefix) + r"([A-Za-z0-9_-]+)/", text).group(1)


def test_confirmation_mail_as_received_has_the_qr_inline_and_both_pdfs(
    transactional_db, edition, smtp_server
):
    registration, _token = sign_up(edition)
    ticket = the_ticket(registration)  # issued in the transaction that confirmed the seat

    run_worker()

    [received] = [m for m in smtp_server.messages if "potwierdzone" in m["Subject"]]
    assert received["To"] == "zofia@example.org"
    # multipart/mixed: the alternative (plain text | related: HTML + QR), then the files
    alternative, *files = received.iter_parts()
    plain, related = alternative.iter_parts()
    assert related.get_content_type() == "multipart/related"
    html, image = related.iter_parts()
    html = html.get_content()
    content_id = image["Content-ID"].strip("<>")
    assert f'<img src="cid:{content_id}"' in html
    assert 'alt="Kod QR Twojego biletu"' in html
    assert image.get_content_disposition() == "inline"
    assert decode(Image.open(io.BytesIO(image.get_content()))) == [ticket.code]
    assert ticket.code_grouped in html
    assert ticket.code_grouped in plain.get_content()

    slug = edition.slug
    assert [(f.get_filename(), f.get_content_type()) for f in files] == [
        (f"{slug}.ics", "text/calendar"),
        (f"ticket-{slug}.pdf", "application/pdf"),
        (f"ticket-{slug}-phone.pdf", "application/pdf"),
    ]
    for pdf in files[1:]:
        [(page, text)] = pdf_pages(pdf.get_content())
        assert decode(page) == [ticket.code]
        assert "Żółć" in text and "Urząd Miasta Łodzi" in text
    a4, phone = (pdf_pages(pdf.get_content())[0][0] for pdf in files[1:])
    assert a4.width > phone.width  # two sizes indeed

    # the queued row stays small: the PDFs were made by the worker, not stored when queued
    message = OutboxMessage.objects.get(kind="registration.confirmed")
    assert [len(a.content) for a in message.attachments.all()][2:] == [0, 0]


def test_confirmation_mail_in_english(transactional_db, edition, smtp_server):
    registration, _token = sign_up(edition, language="en")
    ticket = the_ticket(registration)

    run_worker()

    [received] = [m for m in smtp_server.messages if "confirmed" in m["Subject"]]
    html = received.get_body(preferencelist=("html",)).get_content()
    assert 'alt="QR code of your ticket"' in html
    pdf = next(f for f in received.iter_attachments() if f.get_filename().endswith("-phone.pdf"))
    [(page, text)] = pdf_pages(pdf.get_content())
    assert decode(page) == [ticket.code]
    assert "Days attending" in text


def test_personal_page_shows_the_qr_and_links_to_both_pdfs(client, edition):
    registration, token = sign_up(edition)
    ticket = the_ticket(registration)

    page = client.get(reverse("registration:manage", kwargs={"token": token})).content.decode()

    assert '<h2 id="ci-ticket-heading">Twój bilet</h2>' in page
    svg = re.search(r"<svg .*?</svg>", page, re.DOTALL).group(0)
    assert decode(svg_to_image(svg.encode())) == [ticket.code]
    pdf_url = reverse("checkin:ticket-pdf", kwargs={"token": token})
    assert f'href="{pdf_url}"' in page
    assert f'href="{pdf_url}?size=phone"' in page
    for url in (pdf_url, pdf_url + "?size=phone"):
        [(image, _text)] = pdf_pages(client.get(url).content)
        assert decode(image) == [ticket.code]


def test_personal_page_without_a_ticket_before_confirmation(client, edition):
    data = RegistrationData(
        first_name="Jan",
        last_name="Kowalski",
        email="jan@example.org",
        day_ids=[day.pk for day in edition.days.all()],
        privacy_consent=True,
    )
    registration, token = registration_create(edition=edition, data=data)
    assert registration.status == Registration.Status.HELD

    page = client.get(reverse("registration:manage", kwargs={"token": token})).content.decode()

    assert "ci-ticket" not in page
    assert not Ticket.objects.exists()
    assert client.get(reverse("checkin:ticket-pdf", kwargs={"token": token})).status_code == 404


def test_lost_link_mail_brings_the_same_ticket_and_link(client, edition):
    registration, old_token = sign_up(edition)
    ticket = the_ticket(registration)

    registration_link_resend(edition=edition, email="ZOFIA@example.org", language="pl")

    mail = OutboxMessage.objects.filter(kind="registration.link").latest("pk")
    token = link_in(mail.body_text)
    assert ticket.code_grouped in mail.body_text
    qr = mail.attachments.get(filename="ticket-qr.png")
    assert f'src="cid:{qr.content_id}"' in mail.body_html
    assert decode(Image.open(io.BytesIO(bytes(qr.content)))) == [ticket.code]
    manage = reverse("registration:manage", kwargs={"token": token})
    assert ticket.code_grouped in client.get(manage).content.decode()
    assert token == old_token  # the same link: a lost-link request revokes nothing (L3)


def test_organiser_reissues_the_ticket_old_code_refused_new_one_mailed(
    client, edition, day1, staff, organiser
):
    registration, old_token = sign_up(edition)
    old = the_ticket(registration)
    client.force_login(organiser)
    action = reverse(
        "orga:registration-action",
        kwargs={"edition": edition.slug, "pk": registration.pk, "action": "reissue"},
    )
    detail = reverse(
        "orga:registration-detail", kwargs={"edition": edition.slug, "pk": registration.pk}
    )
    assert action in client.get(detail).content.decode()

    response = client.post(action, {"note": "zgubiony bilet"})

    assert response.status_code == 302
    new = the_ticket(registration)
    assert new.code != old.code
    old.refresh_from_db()
    assert (old.is_active, old.revoked_at is not None) == (False, True)
    refused = checkin_perform(code=old.code, day=day1, gate=None, staff=staff, nonce="old")
    assert (refused.ok, refused.reason) == (False, "revoked")
    with translation.override("pl"):
        assert refused.headline == "Stary bilet"
    assert checkin_perform(code=new.code, day=day1, gate=None, staff=staff, nonce="new").ok

    mail = OutboxMessage.objects.filter(kind="registration.link").latest("pk")
    assert new.code_grouped in mail.body_text and old.code_grouped not in mail.body_text
    qr = mail.attachments.get(filename="ticket-qr.png")
    assert decode(Image.open(io.BytesIO(bytes(qr.content)))) == [new.code]
    token = link_in(mail.body_text)
    client.logout()
    [(image, _text)] = pdf_pages(
        client.get(reverse("checkin:ticket-pdf", kwargs={"token": token})).content
    )
    assert decode(image) == [new.code]
    assert token == old_token  # the link stays; it brings the new ticket
    entry = AuditLogEntry.objects.get(action="registration.ticket_reissue")
    assert (entry.object_id, entry.actor) == (str(registration.pk), organiser)
    assert AuditLogEntry.objects.get(action="registration.reissue.note").note == "zgubiony bilet"


def test_reissue_is_offered_only_for_a_confirmed_registration(client, edition, organiser):
    registration, _token = sign_up(edition)
    registration_cancel(registration=registration, actor=organiser)
    client.force_login(organiser)
    action = reverse(
        "orga:registration-action",
        kwargs={"edition": edition.slug, "pk": registration.pk, "action": "reissue"},
    )
    response = client.post(action, {"note": ""})
    assert response.status_code == 409
    assert "Tego nie można zrobić" in response.content.decode()
    assert Ticket.objects.get(registration=registration).is_active  # unchanged


def test_reissue_without_mail(edition):
    registration, _token = sign_up(edition)
    before = OutboxMessage.objects.count()
    ticket_reissue(registration=registration, notify=False)
    assert OutboxMessage.objects.count() == before


def test_message_with_the_ticket_placeholder_links_to_the_pdf_by_a_secret_link(
    client, edition, organiser
):
    from kongres.campaigns.services import campaign_create, campaign_queue

    registration, _token = sign_up(edition)
    ticket = the_ticket(registration)
    campaign = campaign_create(
        edition=edition,
        segment={},
        subject_pl="Bilet",
        body_pl="Twój bilet: {ticket}",
        subject_en="Ticket",
        body_en="Your ticket: {ticket}",
        transactional=True,
        actor=organiser,
    )

    assert campaign_queue(campaign=campaign, actor=organiser) == 1

    body = OutboxMessage.objects.get(kind="campaign").body_text
    url = re.search(re.escape(settings.SITE_URL) + r"\S+/bilet\.pdf", body).group(0)
    assert ticket.code not in url  # the code seen at the door opens nothing
    [(image, _text)] = pdf_pages(client.get(url.removeprefix(settings.SITE_URL)).content)
    assert decode(image) == [ticket.code]
