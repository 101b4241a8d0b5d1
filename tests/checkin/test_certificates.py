"""Certificates of attendance through the real services, pages and tools: pdfium extracts the
PDF's text and renders it, zxing-cpp decodes its QR code (the verification address), the
verification page says valid / revoked / superseded / unknown, the personal page offers the
download, the worker issues after the event and mails through a real SMTP server."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from PIL import Image

from kongres.accounts.models import EditionRole
from kongres.audit.models import AuditLogEntry
from kongres.checkin.certificates import (
    CertificateError,
    certificate_issue,
    certificate_pdf,
    certificate_reissue,
    certificate_revoke,
    certificates_due,
    certificates_issue_edition,
)
from kongres.checkin.models import Certificate
from kongres.checkin.services import checkin_perform, session_attendance_perform
from kongres.events.models import EditionOrganisation, Session
from kongres.mail.models import OutboxMessage
from kongres.registration.models import Registration
from kongres.registration.tickets import ticket_for_registration
from tests.checkin.test_qr_pdf import decode, pdf_pages
from tests.factories import OrganisationFactory, SessionFactory
from tests.pdfcheck import pdf_accessibility

pytestmark = pytest.mark.django_db
Status = Certificate.Status


@pytest.fixture
def programme(edition, day1, day2):
    """Day one: 9:00 to 17:00 (two sessions); day two: 10:00 to 13:30."""
    zone = timezone.get_current_timezone()

    def at(day, hour, minute=0):
        return timezone.make_aware(dt.datetime.combine(day.date, dt.time(hour, minute)), zone)

    SessionFactory(edition=edition, starts_at=at(day1, 9), ends_at=at(day1, 12))
    SessionFactory(edition=edition, starts_at=at(day1, 14), ends_at=at(day1, 17))
    SessionFactory(edition=edition, starts_at=at(day2, 10), ends_at=at(day2, 13, 30))
    organiser = OrganisationFactory(name_pl="Instytut Rozwoju Miast", name_en="Urban Institute")
    EditionOrganisation.objects.create(
        edition=edition, organisation=organiser, role=EditionOrganisation.Role.ORGANISER
    )


@pytest.fixture
def came(register, gates, programme, organiser):
    """``came(days=[day, ...], **fields)``: a registration checked in on those days."""

    def make(*, days, **fields):
        registration = register(**fields)
        ticket = ticket_for_registration(registration=registration)
        for day in days:
            result = checkin_perform(
                code=ticket.code,
                day=day,
                gate=gates[0],
                staff=organiser,
                nonce=f"n-{ticket.pk}-{day.pk}",
            )
            assert result.ok
        return registration

    return make


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_issue_gives_a_numbered_certificate_with_days_and_hours(came, day1, day2, organiser):
    registration = came(days=[day1, day2], first_name="Zofia", last_name="Żółć")
    certificate = certificate_issue(registration=registration, actor=organiser)
    assert certificate.status == Status.VALID
    assert certificate.serial == f"{registration.edition.slug.upper()}/00001"
    assert certificate.holder_name == "Zofia Żółć"
    assert certificate.attendance == [
        {"day": day1.pk, "date": day1.date.isoformat(), "minutes": 480, "sessions": []},
        {"day": day2.pk, "date": day2.date.isoformat(), "minutes": 210, "sessions": []},
    ]
    assert len(certificate.code) == 26
    mail = OutboxMessage.objects.get(kind="certificate")
    assert mail.to == registration.email
    assert [(a.filename, a.renderer, a.params) for a in mail.attachments.all()] == [
        (
            f"certificate-{registration.edition.slug}-00001.pdf",
            "checkin.certificate_pdf",
            {"certificate": certificate.pk},
        )
    ]
    assert certificate.serial in mail.body_text
    assert AuditLogEntry.objects.filter(action="certificate.issue").count() == 1


def test_only_people_checked_in_get_one(register, programme, organiser):
    registration = register()
    with pytest.raises(CertificateError) as error:
        certificate_issue(registration=registration, actor=organiser)
    assert error.value.code == "no_checkin"
    assert not Certificate.objects.exists()


def test_pdf_says_everything_and_its_qr_decodes_to_the_verification_address(came, day1, organiser):
    registration = came(days=[day1], first_name="Zofia", last_name="Żółć")
    certificate = certificate_issue(registration=registration, actor=organiser)
    pdf = certificate_pdf(certificate=certificate)
    [(image, text)] = pdf_pages(pdf)
    text = " ".join(text.split())
    for expected in (
        "Zaświadczenie o udziale",
        "Zofia Żółć",
        "Kongres",
        "Centrum Testowe",
        "Instytut Rozwoju Miast",
        certificate.serial,
        "Łącznie godzin: 8.",
    ):
        assert expected in text, expected
    [url] = decode(image)
    assert url.endswith(f"/c/{certificate.code}/")
    assert _path(url) in text.replace(" ", "")
    accessible = pdf_accessibility(pdf)
    assert (accessible.marked, accessible.struct_tree_root, accessible.language) == (
        True,
        True,
        "pl",
    )
    assert accessible.title == f"Zaświadczenie o udziale · Kongres · {certificate.serial}"
    assert accessible.alt_texts == ["Kod QR adresu weryfikacji"]


def test_pdf_lists_the_sessions_the_person_was_scanned_into_and_no_others(
    came, day1, day2, edition, organiser
):
    morning, afternoon, second = Session.objects.filter(edition=edition).order_by("starts_at")
    for session, pl, en in (
        (morning, "Sesja poranna", "Morning session"),
        (afternoon, "Sesja popołudniowa", "Afternoon session"),
        (second, "Panel drugiego dnia", "Second day's panel"),
    ):
        Session.objects.filter(pk=session.pk).update(title_pl=pl, title_en=en)
        session.refresh_from_db()
    zofia = came(days=[day1, day2], first_name="Zofia", last_name="Żółć")
    jan = came(days=[day1], first_name="Jan", last_name="Kowalski")
    nobody = came(days=[day1], first_name="Ewa", last_name="Nowak")

    def scan(registration, session, day, nonce):
        code = ticket_for_registration(registration=registration).code
        return session_attendance_perform(
            code=code, session=session, day=day, staff=organiser, nonce=nonce
        )

    assert scan(zofia, morning, day1, "z1").ok and scan(zofia, second, day2, "z2").ok
    assert scan(zofia, morning, day1, "z3").reason == "already_checked_in"  # listed once
    assert scan(jan, afternoon, day1, "j1").ok

    certificate = certificate_issue(registration=zofia, actor=organiser)
    assert [
        [(s["session"], s["starts"], s["ends"]) for s in day["sessions"]]
        for day in certificate.attendance
    ] == [[(morning.pk, "09:00", "12:00")], [(second.pk, "10:00", "13:30")]]
    [(_image, text)] = pdf_pages(certificate_pdf(certificate=certificate))
    text = " ".join(text.split())
    assert "Udział w sesjach" in text
    assert "09:00\u201312:00 Sesja poranna" in text
    assert "10:00\u201313:30 Panel drugiego dnia" in text
    assert "popołudniowa" not in text
    [(_image, text)] = pdf_pages(certificate_pdf(certificate=certificate, language="en"))
    text = " ".join(text.split())
    assert "Sessions attended" in text and "Morning session" in text
    assert "Second day's panel" in text and "Afternoon" not in text

    [(_image, text)] = pdf_pages(
        certificate_pdf(certificate=certificate_issue(registration=jan, actor=organiser))
    )
    text = " ".join(text.split())
    assert "14:00\u201317:00 Sesja popołudniowa" in text
    assert "poranna" not in text and "drugiego dnia" not in text

    [(_image, text)] = pdf_pages(
        certificate_pdf(certificate=certificate_issue(registration=nobody, actor=organiser))
    )
    assert "Udział w sesjach" not in text and "Sesja" not in text


def test_pdf_in_english_for_an_english_participant(came, day1, organiser):
    registration = came(days=[day1], language="en")
    certificate = certificate_issue(registration=registration, actor=organiser)
    assert certificate.language == "en"
    [(image, text)] = pdf_pages(certificate_pdf(certificate=certificate))
    assert "Certificate of attendance" in text
    assert "Urban Institute" in text
    [url] = decode(image)
    assert f"/en/c/{certificate.code}/" in url
    assert pdf_accessibility(certificate_pdf(certificate=certificate)).language == "en"


def test_verification_page_valid_revoked_superseded_unknown(client, came, day1, organiser):
    registration = came(days=[day1], first_name="Zofia", last_name="Żółć")
    certificate = certificate_issue(registration=registration, actor=organiser)
    url = reverse("checkin:certificate-verify", kwargs={"code": certificate.code})
    assert url == f"/c/{certificate.code}/"

    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "To zaświadczenie o udziale jest ważne." in page
    assert "Zofia Żółć" in page and certificate.serial in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    # typed from paper: small letters, dashes
    assert client.get(f"/c/{certificate.code_grouped.lower()}/").status_code == 200

    new = certificate_reissue(certificate=certificate, actor=organiser)
    page = client.get(url).content.decode()
    assert "zastąpione nowym" in page
    assert new.serial in page and new.code not in page
    assert (
        "To zaświadczenie o udziale jest ważne."
        in client.get(new.get_absolute_url()).content.decode()
    )

    certificate_revoke(certificate=new, actor=organiser, reason="pomyłka")
    page = client.get(new.get_absolute_url()).content.decode()
    assert "zostało unieważnione" in page and "Nie jest ważne." in page

    unknown = client.get("/c/AAAABBBBCCCCDDDDEEEEFFFFGG/")
    assert unknown.status_code == 404
    assert "Nieznane zaświadczenie" in unknown.content.decode()
    assert "Zofia" not in unknown.content.decode()


def test_verification_in_english(client, came, day1, organiser):
    certificate = certificate_issue(registration=came(days=[day1]), actor=organiser)
    with translation.override("en"):
        url = reverse("checkin:certificate-verify", kwargs={"code": certificate.code})
    assert "This certificate of attendance is valid." in client.get(url).content.decode()


def test_verification_form_keeps_what_was_typed_and_redirects(client, came, day1, organiser):
    certificate = certificate_issue(registration=came(days=[day1]), actor=organiser)
    start = reverse("checkin:certificate-verify-start")
    response = client.get(start, {"code": " - - "})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Wpisz kod wydrukowany na zaświadczeniu." in page
    assert 'value=" - - "' in page and 'aria-invalid="true"' in page
    response = client.get(start, {"code": certificate.code_grouped})
    assert response.status_code == 302
    assert response["Location"] == certificate.get_absolute_url()


def test_verification_is_rate_limited(client, settings, came, day1, organiser):
    settings.KONGRES_RATELIMIT_TOKEN_IP = "3/h"
    certificate = certificate_issue(registration=came(days=[day1]), actor=organiser)
    codes = [client.get(certificate.get_absolute_url()).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_personal_page_offers_the_certificate(client, came, day1, organiser):
    registration = came(days=[day1], first_name="Zofia")
    manage = reverse("registration:manage", kwargs={"token": registration.token})
    assert "Twoje zaświadczenie o udziale" not in client.get(manage).content.decode()
    certificate = certificate_issue(registration=registration, actor=organiser)
    page = client.get(manage).content.decode()
    pdf_url = reverse("checkin:certificate-pdf", kwargs={"token": registration.token})
    assert "Twoje zaświadczenie o udziale" in page
    assert f'href="{pdf_url}"' in page and f'href="{certificate.get_absolute_url()}"' in page
    response = client.get(pdf_url)
    assert response["Content-Type"] == "application/pdf"
    [(image, _text)] = pdf_pages(response.content)
    assert decode(image)[0].endswith(certificate.get_absolute_url())
    certificate_revoke(certificate=certificate, actor=organiser)
    assert client.get(pdf_url).status_code == 404
    assert "Twoje zaświadczenie o udziale" not in client.get(manage).content.decode()


def test_issue_edition_is_idempotent_and_reissues_after_a_name_correction(
    came, register, day1, day2, organiser
):
    first = came(days=[day1], first_name="Jan", last_name="Kowalsky")
    came(days=[day1, day2])
    register()  # registered, never came
    report = certificates_issue_edition(edition=first.edition, actor=None)
    assert (report.issued, report.reissued) == (2, 0)
    assert certificates_issue_edition(edition=first.edition, actor=None).total == 0
    old = Certificate.objects.get(registration=first)

    Registration.objects.filter(pk=first.pk).update(last_name="Kowalski")
    report = certificates_issue_edition(edition=first.edition, actor=None)
    assert (report.issued, report.reissued) == (0, 1)
    old.refresh_from_db()
    new = Certificate.objects.get(registration=first, status=Status.VALID)
    assert (old.status, old.replaced_by, new.holder_name) == (
        Status.SUPERSEDED,
        new,
        "Jan Kowalski",
    )
    assert new.number == 3 and old.number == 1
    assert OutboxMessage.objects.filter(kind="certificate").count() == 3


def test_issue_edition_queues_the_mails_in_one_task_for_the_workers(came, day1, edition):
    """A batch's mails are one sending task (``mail_send_many``, a hundred a task): with two
    workers, two tasks' PDFs are made at once."""
    people = [came(days=[day1]) for _ in range(3)]
    assert certificates_issue_edition(edition=edition, actor=None).issued == 3
    mails = list(OutboxMessage.objects.filter(kind="certificate").order_by("pk"))
    assert sorted(m.to for m in mails) == sorted(p.email for p in people)
    assert {m.priority for m in mails} == {OutboxMessage.Priority.BULK}
    [task] = DBTaskResult.objects.filter(id__in={m.task_id for m in mails})
    assert task.task_path == "kongres.mail.tasks.mail_send_many"
    assert task.args_kwargs == {"args": [[m.pk for m in mails]], "kwargs": {}}
    assert [a.params for m in mails for a in m.attachments.all()] == [
        {"certificate": c.pk}
        for c in Certificate.objects.filter(edition=edition).order_by("registration__pk")
    ]


def test_worker_issues_after_the_event_and_mails_the_pdf(
    transactional_db, came, day1, edition, smtp_server
):
    registration = came(days=[day1], first_name="Zofia", last_name="Żółć")
    assert certificates_due() == 0  # the edition is not over
    assert certificates_due(today=edition.end_date + dt.timedelta(days=1)) == 1
    assert certificates_due(today=edition.end_date + dt.timedelta(days=1)) == 0
    certificate = Certificate.objects.get(registration=registration)

    call_command("worker", "--batch", verbosity=0)

    [received] = [m for m in smtp_server.messages if "zaświadczenie" in m["Subject"].lower()]
    assert received["To"] == registration.email
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == f"certificate-{edition.slug}-00001.pdf"
    [(image, text)] = pdf_pages(attachment.get_content())
    assert "Zofia Żółć" in text
    assert decode(image)[0].endswith(certificate.get_absolute_url())


def test_revoke_twice_is_refused(came, day1, organiser):
    certificate = certificate_issue(registration=came(days=[day1]), actor=organiser)
    certificate_revoke(certificate=certificate, actor=organiser, reason="błąd")
    with pytest.raises(CertificateError) as error:
        certificate_revoke(certificate=certificate, actor=organiser)
    assert error.value.code == "not_valid"
    with pytest.raises(CertificateError):
        certificate_reissue(certificate=certificate, actor=organiser)
    assert list(
        AuditLogEntry.objects.filter(action="certificate.revoke").values_list("note", flat=True)
    ) == ["błąd"]


# -- the back office ---------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_orga_revoke_and_reissue(client, came, day1, organiser):
    certificate = certificate_issue(registration=came(days=[day1]), actor=organiser)
    client.force_login(organiser)
    url = reverse(
        "orga:certificate-detail",
        kwargs={"edition": certificate.edition.slug, "pk": certificate.pk},
    )
    assert certificate.serial in client.get(url).content.decode()
    response = client.post(url, {"action": "reissue"})
    new = Certificate.objects.get(status=Status.VALID)
    assert response["Location"] == reverse(
        "orga:certificate-detail", kwargs={"edition": certificate.edition.slug, "pk": new.pk}
    )
    client.post(response["Location"], {"action": "revoke", "reason": "nie był"})
    new.refresh_from_db()
    assert (new.status, new.revoked_reason) == (Status.REVOKED, "nie był")
    listing = client.get(reverse("orga:certificates", kwargs={"edition": new.edition.slug}))
    assert new.serial in listing.content.decode()


def test_orga_issue_one_and_all(transactional_db, client, came, day1, organiser, edition):
    registration = came(days=[day1])
    came(days=[day1])
    client.force_login(organiser)
    url = reverse("orga:certificates-issue", kwargs={"edition": edition.slug})
    client.post(url, {"registration": registration.pk})
    assert Certificate.objects.filter(registration=registration, status=Status.VALID).count() == 1
    client.post(url)
    call_command("worker", "--batch", verbosity=0)
    assert Certificate.objects.filter(status=Status.VALID).count() == 2


def test_template_form_keeps_what_was_typed_and_the_pdf_shows_the_signature(
    client, came, day1, organiser, edition
):
    client.force_login(organiser)
    url = reverse("orga:certificate-template", kwargs={"edition": edition.slug})
    upload = SimpleUploadedFile("podpis.png", _png(), content_type="image/png")
    response = client.post(
        url,
        {
            "intro_pl": "Wstęp wpisany",
            "signature_1_name": "Jan Kowalski",
            "signature_1_image": upload,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Wstęp wpisany" in page and 'value="Jan Kowalski"' in page
    assert "Opisz obraz podpisu" in page

    garbage = SimpleUploadedFile("podpis.png", b"not an image at all", content_type="image/png")
    response = client.post(url, {"signature_1_image": garbage, "signature_1_alt_pl": "Podpis"})
    assert "Prześlij poprawny plik graficzny." in response.content.decode()
    # a PNG under another format's name (core.validators: by content, not by name)
    disguised = SimpleUploadedFile("podpis.gif", _png(), content_type="image/gif")
    response = client.post(url, {"signature_1_image": disguised, "signature_1_alt_pl": "Podpis"})
    assert "Plik nie jest obrazem PNG, JPEG, GIF ani WebP" in response.content.decode()
    assert 'value="Podpis"' in response.content.decode()

    upload = SimpleUploadedFile("podpis.png", _png(), content_type="image/png")
    response = client.post(
        url,
        {
            "intro_pl": "Zaświadcza się, co następuje.",
            "signature_1_name": "Jan Kowalski",
            "signature_1_role_pl": "Dyrektor",
            "signature_1_image": upload,
            "signature_1_alt_pl": "Podpis Jana Kowalskiego",
        },
    )
    assert response.status_code == 302
    certificate = certificate_issue(registration=came(days=[day1]), actor=organiser)
    pdf = certificate_pdf(certificate=certificate)
    [(_image, text)] = pdf_pages(pdf)
    assert "Zaświadcza się, co następuje." in text and "Dyrektor" in text
    assert pdf_accessibility(pdf).alt_texts == [
        "Podpis Jana Kowalskiego",
        "Kod QR adresu weryfikacji",
    ]


def test_registration_manager_may_issue_but_not_edit_the_template(client, came, day1, edition):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("kierownik", "k@example.org")
    EditionRole.objects.create(
        edition=edition, user=user, role=EditionRole.Role.REGISTRATION_MANAGER
    )
    client.force_login(user)
    registration = came(days=[day1])
    client.post(
        reverse("orga:certificates-issue", kwargs={"edition": edition.slug}),
        {"registration": registration.pk},
    )
    assert Certificate.objects.count() == 1
    template = reverse("orga:certificate-template", kwargs={"edition": edition.slug})
    assert client.post(template, {"intro_pl": "x"}).status_code == 403
