"""Certificates of attendance (zaświadczenie o udziale): issue, revoke, re-issue, the PDF.

A certificate goes to a confirmed registration with at least one accepted check-in; it lists
the days attended, each with the programme's hours that day (from its first session's start
to its last session's end), as they were at issue. Its PDF (tagged, in the participant's
language) carries the serial number, and a QR code and short address of the public
verification page (``checkin:certificate-verify``), which says valid, revoked or superseded.

``certificates_issue_edition`` (the worker after the event, ``tasks.certificates_due``, or an
organiser's button) issues what is missing: a certificate for everyone who came and has none,
and a new one for a holder whose name was corrected since (the old one is then superseded).
Each certificate is mailed through the outbox in the transaction that issues it (a batch's
messages in one bulk insert, one sending task for every hundred, so that two workers share
them); the PDF is made by the mail worker when the message is sent
(``CERTIFICATE_PDF_RENDERER``).

Numbers are per edition, taken under a lock of the edition's template row, so that two
workers never give one number twice (and a unique constraint as the second guard)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.checkin.models import Certificate, CertificateTemplate, CheckIn, SessionAttendance
from kongres.core.exceptions import KongresError
from kongres.core.pdf import pdf_render, pdf_render_cached
from kongres.core.qr import qr_data_uri
from kongres.events.ics import edition_zone
from kongres.events.models import Edition, EditionOrganisation, Session
from kongres.mail.services import (
    Attachment,
    AttachmentUnavailable,
    BulkMail,
    mail_queue_bulk,
    mail_render,
)
from kongres.registration.links import link_tokens
from kongres.registration.models import ERASED_DOMAIN, Registration
from kongres.registration.selectors import registration_mail_key

Status = Certificate.Status
CODE_BYTES = 16  # 128 random bits → 26 base32 characters
BATCH = 200  # certificates issued per transaction by ``certificates_issue_edition``
CERTIFICATE_PDF_RENDERER = "checkin.certificate_pdf"


class CertificateError(KongresError):
    code = "certificate"


def certificate_code_new() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").rstrip("=")


def certificate_code_normalise(raw: str) -> str:
    """What a person typed (with spaces, dashes, small letters) → a code as stored."""
    return "".join(raw.split()).replace("-", "").upper()[:40]


def certificate_template_get(*, edition: Edition) -> CertificateTemplate:
    template, _created = CertificateTemplate.objects.get_or_create(edition=edition)
    return template


# --- who came, and for how long -------------------------------------------------------------


def programme_minutes(*, edition: Edition) -> dict[int, int]:
    """Per day (its primary key): the minutes from the first session's start to the last
    session's end that day, in the edition's time zone; days without sessions are left out."""
    zone = edition_zone(edition=edition)
    spans: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}
    for starts, ends in Session.objects.filter(edition=edition).values_list("starts_at", "ends_at"):
        date = starts.astimezone(zone).date()
        first, last = spans.get(date, (starts, ends))
        spans[date] = (min(first, starts), max(last, ends))
    return {
        day.pk: int((spans[day.date][1] - spans[day.date][0]).total_seconds() // 60)
        for day in edition.days.all()
        if day.date in spans
    }


def sessions_attended(
    *, registration_ids: Iterable[int], zone: dt.tzinfo
) -> dict[int, dict[str, list[dict]]]:
    """Per registration, per date (ISO, in ``zone``): the sessions it was let in at the door
    of (accepted scans, ``SessionAttendance``), in time order, each with its titles and its
    hours (``"09:00"``)."""
    found: dict[int, dict[str, list[dict]]] = {}
    rows = (
        SessionAttendance.objects.filter(
            registration_id__in=list(registration_ids), result=CheckIn.Result.OK
        )
        .order_by("session__starts_at", "session__pk")
        .values_list(
            "registration_id",
            "session_id",
            "session__title_pl",
            "session__title_en",
            "session__starts_at",
            "session__ends_at",
        )
    )
    for registration_id, session_id, title_pl, title_en, starts, ends in rows:
        starts, ends = starts.astimezone(zone), ends.astimezone(zone)
        found.setdefault(registration_id, {}).setdefault(starts.date().isoformat(), []).append(
            {
                "session": session_id,
                "title": {"pl": title_pl, "en": title_en or title_pl},
                "starts": f"{starts:%H:%M}",
                "ends": f"{ends:%H:%M}",
            }
        )
    return found


def attendance_of(
    *, registration_ids: Iterable[int], minutes: dict[int, int], zone: dt.tzinfo
) -> dict[int, list[dict]]:
    """The days each registration was let in (accepted check-ins), in date order, each with
    the sessions it was scanned into that day (``sessions_attended``)."""
    registration_ids = list(registration_ids)
    sessions = sessions_attended(registration_ids=registration_ids, zone=zone)
    found: dict[int, list[dict]] = {}
    rows = (
        CheckIn.objects.filter(registration_id__in=registration_ids, result=CheckIn.Result.OK)
        .order_by("registration_id", "day__date")
        .values_list("registration_id", "day_id", "day__date")
    )
    for registration_id, day_id, date in rows:
        found.setdefault(registration_id, []).append(
            {
                "day": day_id,
                "date": date.isoformat(),
                "minutes": minutes.get(day_id),
                "sessions": sessions.get(registration_id, {}).get(date.isoformat(), []),
            }
        )
    return found


def certificate_candidates(*, edition: Edition):
    """Registrations of ``edition`` that came (an accepted check-in) and whose data are not
    erased."""
    came = CheckIn.objects.filter(registration=OuterRef("pk"), result=CheckIn.Result.OK)
    return (
        Registration.objects.filter(edition=edition, status=Registration.Status.CONFIRMED)
        .filter(Exists(came))
        .exclude(email__iendswith=f"@{ERASED_DOMAIN}")
        .order_by("pk")
    )


# --- issue ------------------------------------------------------------------------------------


def _lock_numbers(edition: Edition) -> int:
    """Lock the edition's certificate numbering (its template row) for this transaction and
    return the last number given."""
    certificate_template_get(edition=edition)
    CertificateTemplate.objects.select_for_update().get(edition=edition)
    return Certificate.objects.filter(edition=edition).aggregate(last=Max("number"))["last"] or 0


def _certificate_mail(certificate: Certificate, registration: Registration, token: str) -> BulkMail:
    """The certificate's mail, rendered, with its PDF to be made when it is sent."""
    language = certificate.language
    with translation.override(language):
        verify_url = settings.SITE_URL + certificate.get_absolute_url()
        manage_url = settings.SITE_URL + reverse("registration:manage", kwargs={"token": token})
    subject, body_text, body_html = mail_render(
        template="checkin/mail/certificate",
        context={
            "certificate": certificate,
            "edition": certificate.edition,
            "name": certificate.holder_name,
            "serial": certificate.serial,
            "verify_url": verify_url,
            "manage_url": manage_url,
        },
        language=language,
    )
    return BulkMail(
        to=registration.email,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind="certificate",
        related=registration_mail_key(registration),
        secrets=[token],
        attachments=[
            Attachment(
                certificate_filename(certificate),
                "application/pdf",
                renderer=CERTIFICATE_PDF_RENDERER,
                params={"certificate": certificate.pk},
            )
        ],
    )


def _issue_locked(
    *,
    edition: Edition,
    registrations: Sequence[Registration],
    attendance: dict[int, list[dict]],
    actor: AbstractBaseUser | None,
    now: dt.datetime,
) -> list[Certificate]:
    """Inside a transaction holding the numbering lock: supersede the registrations' valid
    certificates, make the new ones, queue their mails."""
    last = Certificate.objects.filter(edition=edition).aggregate(last=Max("number"))["last"] or 0
    old = {
        c.registration_id: c
        for c in Certificate.objects.filter(
            registration__in=registrations, status=Status.VALID
        ).select_for_update()
    }
    if old:
        Certificate.objects.filter(pk__in=[c.pk for c in old.values()]).update(
            status=Status.SUPERSEDED, revoked_at=now, revoked_reason="superseded"
        )
    made = Certificate.objects.bulk_create(
        Certificate(
            edition=edition,
            registration=registration,
            number=last + index,
            code=certificate_code_new(),
            holder_name=registration.full_name,
            language=registration.language,
            attendance=attendance[registration.pk],
            issued_at=now,
            issued_by=actor if actor is not None and actor.is_authenticated else None,
        )
        for index, registration in enumerate(registrations, start=1)
    )
    tokens = link_tokens(registration_ids=[r.pk for r in registrations])
    mails = []
    for certificate, registration in zip(made, registrations, strict=True):
        certificate.edition = edition
        previous = old.get(registration.pk)
        if previous is not None:
            Certificate.objects.filter(pk=previous.pk).update(replaced_by=certificate)
        mails.append(_certificate_mail(certificate, registration, tokens[registration.pk]))
        audit_log(
            actor=actor,
            action="certificate.reissue" if previous else "certificate.issue",
            obj=registration,
            after={"serial": certificate.serial},
            before={"serial": previous.serial} if previous else None,
        )
    # the outbox rows in bulk, one sending task per hundred: workers share the PDFs to make
    mail_queue_bulk(mails=mails)
    return made


def certificate_issue(
    *,
    registration: Registration,
    actor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
    replacing: Certificate | None = None,
) -> Certificate:
    """Issue a certificate to one registration (an organiser's button), superseding the one
    it has: codes ``not_confirmed``, ``no_checkin`` (nobody let them in yet), ``erased``;
    ``not_valid`` when ``replacing`` is given and no longer the valid one."""
    now = now or timezone.now()
    edition = registration.edition
    with transaction.atomic():
        _lock_numbers(edition)
        if (
            replacing is not None
            and not Certificate.objects.filter(pk=replacing.pk, status=Status.VALID).exists()
        ):
            raise CertificateError(_("Only a valid certificate can be re-issued."), "not_valid")
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.is_erased:
            raise CertificateError(_("The person's data were erased."), "erased")
        if registration.status != Registration.Status.CONFIRMED:
            raise CertificateError(
                _("Only a confirmed registration gets a certificate."), "not_confirmed"
            )
        attendance = attendance_of(
            registration_ids=[registration.pk],
            minutes=programme_minutes(edition=edition),
            zone=edition_zone(edition=edition),
        )
        if not attendance.get(registration.pk):
            raise CertificateError(
                _("This person has not been checked in on any day."), "no_checkin"
            )
        [certificate] = _issue_locked(
            edition=edition,
            registrations=[registration],
            attendance=attendance,
            actor=actor,
            now=now,
        )
    return certificate


def certificate_reissue(
    *, certificate: Certificate, actor: AbstractBaseUser | None, now: dt.datetime | None = None
) -> Certificate:
    """A new certificate (new serial and code, the name as it is now) in place of a valid one;
    the old one is superseded (the verification page says so and names the new serial)."""
    return certificate_issue(
        registration=certificate.registration, actor=actor, now=now, replacing=certificate
    )


def certificate_revoke(
    *,
    certificate: Certificate,
    actor: AbstractBaseUser | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Certificate:
    """Withdraw a certificate: its verification page says it is revoked."""
    now = now or timezone.now()
    with transaction.atomic():
        found = (
            Certificate.objects.select_for_update().select_related("edition").get(pk=certificate.pk)
        )
        if not found.is_valid:
            raise CertificateError(_("This certificate is no longer valid."), "not_valid")
        found.status, found.revoked_at, found.revoked_reason = Status.REVOKED, now, reason[:300]
        found.save(update_fields=["status", "revoked_at", "revoked_reason"])
        audit_log(
            actor=actor,
            action="certificate.revoke",
            obj=found.registration,
            before={"serial": found.serial, "status": Status.VALID},
            after={"status": Status.REVOKED},
            note=reason,
        )
    return found


@dataclass(frozen=True)
class IssueReport:
    issued: int
    reissued: int

    @property
    def total(self) -> int:
        return self.issued + self.reissued


def certificates_issue_edition(
    *,
    edition: Edition,
    actor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
    batch: int = BATCH,
) -> IssueReport:
    """Issue what is missing in ``edition``: a certificate for everyone who came and has no
    valid one, a new one where the holder's name changed since. ``batch`` registrations per
    transaction; safe to run twice, also at once (the numbering lock)."""
    now = now or timezone.now()
    minutes = programme_minutes(edition=edition)
    zone = edition_zone(edition=edition)
    valid = Certificate.objects.filter(registration=OuterRef("pk"), status=Status.VALID)
    candidates = certificate_candidates(edition=edition)
    issued = reissued = 0
    last_pk = 0
    while True:
        chunk = list(
            candidates.filter(pk__gt=last_pk)
            .annotate(has_valid=Exists(valid))
            .prefetch_related(None)[:batch]
        )
        if not chunk:
            break
        last_pk = chunk[-1].pk
        names = dict(
            Certificate.objects.filter(
                registration__in=[r.pk for r in chunk if r.has_valid], status=Status.VALID
            ).values_list("registration_id", "holder_name")
        )
        due = [r for r in chunk if not r.has_valid or names.get(r.pk) != r.full_name]
        if not due:
            continue
        with transaction.atomic():
            _lock_numbers(edition)
            # read again under the lock: another worker may have issued meanwhile
            names = dict(
                Certificate.objects.filter(
                    registration__in=[r.pk for r in due], status=Status.VALID
                ).values_list("registration_id", "holder_name")
            )
            due = [r for r in due if names.get(r.pk) != r.full_name]
            attendance = attendance_of(
                registration_ids=[r.pk for r in due], minutes=minutes, zone=zone
            )
            due = [r for r in due if attendance.get(r.pk)]
            _issue_locked(
                edition=edition, registrations=due, attendance=attendance, actor=actor, now=now
            )
        reissued += sum(1 for r in due if r.pk in names)
        issued += sum(1 for r in due if r.pk not in names)
    return IssueReport(issued=issued, reissued=reissued)


def certificates_due(*, today: dt.date | None = None, within_days: int = 60) -> int:
    """The worker's job: issue the certificates of editions that ended (their last day is
    past) at most ``within_days`` days ago; returns how many were issued or re-issued."""
    today = today or timezone.localdate()
    editions = Edition.objects.filter(
        end_date__lt=today, end_date__gte=today - dt.timedelta(days=within_days)
    ).order_by("pk")
    return sum(certificates_issue_edition(edition=e, actor=None).total for e in editions)


# --- the PDF ----------------------------------------------------------------------------------


def certificate_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.edition.slug}-{certificate.number:05d}.pdf"


def _image_data_uri(field) -> str:
    if not field:
        return ""
    try:
        with field.open("rb") as file:
            content = file.read()
    except (OSError, ValueError):  # a file the storage no longer has: no image
        return ""
    kind = "jpeg" if content[:3] == b"\xff\xd8\xff" else "png"
    if content[:4] == b"GIF8":
        kind = "gif"
    elif content[:4] == b"RIFF":
        kind = "webp"
    return f"data:image/{kind};base64," + base64.b64encode(content).decode("ascii")


def _signatures(template: CertificateTemplate, language: str) -> list[dict]:
    signatures = []
    for n in (1, 2):
        name = getattr(template, f"signature_{n}_name")
        image = getattr(template, f"signature_{n}_image")
        if not (name or image):
            continue
        alt = getattr(template, f"signature_{n}_alt_{language}") or getattr(
            template, f"signature_{n}_alt_pl"
        )
        role = getattr(template, f"signature_{n}_role_{language}") or getattr(
            template, f"signature_{n}_role_pl"
        )
        signatures.append({"name": name, "role": role, "image": _image_data_uri(image), "alt": alt})
    return signatures


def certificate_context(*, certificate: Certificate, language: str) -> dict:
    edition = certificate.edition
    template = certificate_template_get(edition=edition)
    language = "en" if language.startswith("en") else "pl"
    with translation.override(language):
        verify_url = settings.SITE_URL + certificate.get_absolute_url()
    organisers = [
        role.organisation
        for role in EditionOrganisation.objects.filter(
            edition=edition, role=EditionOrganisation.Role.ORGANISER
        ).select_related("organisation")
    ]
    days = [
        {
            "date": dt.date.fromisoformat(day["date"]),
            "hours": (day["minutes"] or 0) / 60 if day.get("minutes") else None,
            "sessions": [
                {
                    "title": session["title"].get(language) or session["title"]["pl"],
                    "starts": session["starts"],
                    "ends": session["ends"],
                }
                for session in day.get("sessions", ())  # none before sessions were listed
            ],
        }
        for day in certificate.attendance
    ]
    return {
        "certificate": certificate,
        "edition": edition,
        "venue": edition.venue,
        "organisers": organisers,
        "days": days,
        "sessions_attended": any(day["sessions"] for day in days),
        "hours_total": certificate.minutes_total / 60 if certificate.minutes_total else None,
        "intro": getattr(template, f"intro_{language}") or template.intro_pl,
        "closing": getattr(template, f"closing_{language}") or template.closing_pl,
        "signatures": _signatures(template, language),
        # a PNG of one pixel per module, scaled up without smoothing: quicker than an SVG
        "qr": qr_data_uri(verify_url, scale=1, border=4),
        "verify_url": verify_url,
    }


def certificate_pdf(
    *, certificate: Certificate, language: str | None = None, cached: bool = True
) -> bytes:
    """The certificate as a tagged PDF in ``language`` (default: the one it was issued in).
    ``cached``: kept in the shared cache (``pdf_render_cached``), for the downloads."""
    language = language or certificate.language
    with translation.override(language):
        context = certificate_context(certificate=certificate, language=language)
        if not cached:
            return pdf_render("checkin/pdf/certificate.html", context)
        return pdf_render_cached("checkin/pdf/certificate.html", context)


def certificate_pdf_attachment(*, certificate: int) -> bytes:
    """The PDF of certificate ``certificate`` (a primary key), made by the mail worker. Not
    kept in the cache: each is mailed once, and a thousand after an event would be a
    thousand cache writes (and on the database cache, two workers waiting for each other's
    writes) for downloads that mostly never come."""
    found = Certificate.objects.select_related("edition__venue").filter(pk=certificate).first()
    if found is None:
        raise AttachmentUnavailable(f"certificate {certificate} no longer exists")
    return certificate_pdf(certificate=found, cached=False)


# --- reads ------------------------------------------------------------------------------------


def certificate_get_by_code(*, code: str) -> Certificate | None:
    code = certificate_code_normalise(code)
    if not code:
        return None
    return (
        Certificate.objects.select_related("edition", "replaced_by__edition")
        .filter(code=code)
        .first()
    )


def certificates_of_registration(*, registration: Registration) -> list[Certificate]:
    """The registration's valid certificates (one at most), for the personal page."""
    return list(
        Certificate.objects.select_related("edition").filter(
            registration=registration, status=Status.VALID
        )
    )


def certificate_list(*, edition: Edition, query: str = ""):
    certificates = Certificate.objects.filter(edition=edition).select_related(
        "edition", "registration", "replaced_by__edition"
    )
    if query:
        certificates = certificates.filter(
            Q(holder_name__icontains=query) | Q(registration__email__icontains=query)
        )
    return certificates.order_by("-number")


def certificate_template_update(
    *, template: CertificateTemplate, changes: dict, actor: AbstractBaseUser | None
) -> CertificateTemplate:
    """Save the organisers' text blocks and signatures (``CertificateTemplateForm``'s cleaned
    data; an image field's ``False`` clears it). Certificates already issued show the new
    text when their PDF is made next (the facts on them do not change)."""
    with transaction.atomic():
        for name, value in changes.items():
            if name.endswith("_image") and value is None:
                continue  # no new file: keep the one there is
            setattr(template, name, value or ("" if name.endswith("_image") else value))
        template.save()
        audit_log(
            actor=actor,
            action="certificate.template_update",
            obj=template.edition,
            after={k: v for k, v in changes.items() if not k.endswith("_image")},
        )
    return template
