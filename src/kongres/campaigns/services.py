"""Messages to participants: write (a draft), preview, send a test, queue to every recipient.

The body is Markdown (plain text is Markdown too). Placeholders ``{first_name}``,
``{personal_link}`` (a new secret link to the registration) and ``{ticket}`` (the link to the
PDF ticket, empty without one) are filled per recipient. Each language's version is rendered
once with markers in the placeholders' places; each recipient's copy is a string replacement,
and every copy goes to the outbox in a few bulk inserts (``mail_queue_bulk``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from kongres.audit.services import audit_log
from kongres.campaigns.models import Campaign, ScheduledMail
from kongres.campaigns.selectors import campaign_recipients, scheduled_mail_recipients
from kongres.core.exceptions import KongresError
from kongres.core.locks import atomic_bounded
from kongres.core.markdown import render_markdown
from kongres.events.models import Edition
from kongres.mail.services import BulkMail, mail_queue_bulk
from kongres.registration.links import link_tokens
from kongres.registration.models import Ticket

PLACEHOLDERS = ("first_name", "personal_link", "ticket")
LANGUAGES = ("pl", "en")
# Stand-ins that survive Markdown and HTML escaping unchanged.
_MARK = "\x00{}\x00"


class CampaignError(KongresError):
    """Codes: invalid, already_queued, empty, busy."""

    code = "campaign"


def _busy() -> CampaignError:
    return CampaignError(
        _("This message is being changed or sent right now. Please try again in a moment."),
        "busy",
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def campaign_create(
    *,
    edition: Edition,
    segment: dict,
    subject_pl: str,
    body_pl: str,
    subject_en: str = "",
    body_en: str = "",
    transactional: bool = False,
    actor: AbstractBaseUser | None,
) -> Campaign:
    if not subject_pl.strip() or not body_pl.strip():
        raise CampaignError(_("Write the Polish subject and message."), code="invalid")
    if bool(subject_en.strip()) != bool(body_en.strip()):
        raise CampaignError(
            _("Write both the English subject and message, or neither."), code="invalid"
        )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            edition=edition,
            segment=segment,
            subject_pl=subject_pl.strip(),
            body_pl=body_pl.strip(),
            subject_en=subject_en.strip(),
            body_en=body_en.strip(),
            transactional=transactional,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_log(actor=actor, action="campaign.create", obj=campaign, after=_summary(campaign))
    return campaign


def _summary(campaign: Campaign) -> dict:
    return {"subject_pl": campaign.subject_pl, "segment": campaign.segment}


def _version(campaign: Campaign, language: str) -> tuple[str, str, str]:
    """(language actually used, subject, body): English falls back to Polish when empty."""
    if language == "en" and campaign.subject_en and campaign.body_en:
        return "en", campaign.subject_en, campaign.body_en
    return "pl", campaign.subject_pl, campaign.body_pl


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def _render_marked(campaign: Campaign, language: str) -> tuple[str, Rendered]:
    """One language's message with markers where the placeholders go."""
    language, subject, body = _version(campaign, language)
    marks = {name: _MARK.format(name) for name in PLACEHOLDERS}
    subject = " ".join(_fill(subject, marks).split())
    body = _fill(body, marks)
    with translation.override(language):
        html = render_to_string(
            "campaigns/mail/message.html",
            {
                "subject": subject,
                "body_html": render_markdown(body),
                "site_url": settings.SITE_URL,
            },
        )
    text = f"{body}\n\n-- \n{settings.SITE_URL}/\n"
    return language, Rendered(subject=subject, body_text=text, body_html=html)


def _personalise(rendered: Rendered, values: dict[str, str]) -> Rendered:
    plain = {_MARK.format(name): value for name, value in values.items()}
    html = {_MARK.format(name): escape(value) for name, value in values.items()}

    def put(text: str, table: dict[str, str]) -> str:
        for mark, value in table.items():
            text = text.replace(mark, value)
        return text

    return Rendered(
        subject=put(rendered.subject, plain),
        body_text=put(rendered.body_text, plain),
        body_html=put(rendered.body_html, html),
    )


def _sample_values(language: str) -> dict[str, str]:
    # "PRZYKLAD" (example) stands for a participant's secret link in the preview: it opens
    # nothing (bandit's B105 takes it for a password)
    with translation.override(language):
        return {
            "first_name": str(_("Anna")),
            "personal_link": settings.SITE_URL
            + reverse("registration:manage", kwargs={"token": "PRZYKLAD"}),  # nosec B105
            "ticket": settings.SITE_URL
            + reverse("checkin:ticket-pdf", kwargs={"token": "PRZYKLAD"}),  # nosec B105
        }


def campaign_preview(
    *, campaign: Campaign, language: str, first_name: str | None = None
) -> Rendered:
    """The message in ``language`` as a recipient would get it, with example values (and
    ``first_name``, such as the first recipient's, when given)."""
    language, rendered = _render_marked(campaign, language)
    values = _sample_values(language)
    if first_name:
        values["first_name"] = first_name
    return _personalise(rendered, values)


def campaign_test_send(
    *, campaign: Campaign, to: str, language: str, actor: AbstractBaseUser | None
) -> None:
    """Queue the message once to ``to`` (the organiser), with example values."""
    preview = campaign_preview(campaign=campaign, language=language)
    with transaction.atomic():
        mail_queue_bulk(
            mails=[
                BulkMail(
                    to=to,
                    language=language,
                    subject=preview.subject,
                    body_text=preview.body_text,
                    body_html=preview.body_html,
                    kind="campaign.test",
                    related=f"{campaign.mail_key}:test",
                )
            ]
        )


def _url_maker(name: str, kwarg: str, language: str):
    with translation.override(language):
        template = settings.SITE_URL + reverse(name, kwargs={kwarg: "MARKER0"})
    return lambda value: template.replace("MARKER0", value)


def _personalised_mails(message, recipients: list[tuple], *, key: str, kind: str) -> list[BulkMail]:
    """Each recipient's copy of ``message`` (a campaign or a scheduled mail: subject and body in
    Polish and English), placeholders filled; ``recipients``: (pk, email, first name,
    language) of registrations."""
    texts = " ".join([message.subject_pl, message.body_pl, message.subject_en, message.body_en])
    wants_link = "{personal_link}" in texts
    wants_ticket = "{ticket}" in texts
    rendered = {language: _render_marked(message, language) for language in LANGUAGES}
    links = {lang: _url_maker("registration:manage", "token", lang) for lang in LANGUAGES}
    # the PDF ticket opens only by a secret link: a ticket needs the link too
    tickets_url = {lang: _url_maker("checkin:ticket-pdf", "token", lang) for lang in LANGUAGES}
    tokens: dict[int, str] = {}
    if wants_link or wants_ticket:  # their live links, made again (no new ones)
        tokens = link_tokens(registration_ids=[pk for pk, *_rest in recipients])
    with_ticket: set[int] = set()
    if wants_ticket:
        with_ticket = set(
            Ticket.objects.filter(
                registration_id__in=[pk for pk, *_rest in recipients], is_active=True
            ).values_list("registration_id", flat=True)
        )
    mails = []
    for pk, email, first_name, language in recipients:
        language = language if language in LANGUAGES else "pl"
        used, marked = rendered[language]
        values = {"first_name": first_name}
        if wants_link:
            values["personal_link"] = links[used](tokens[pk])
        if wants_ticket:
            values["ticket"] = tickets_url[used](tokens[pk]) if pk in with_ticket else ""
        copy = _personalise(marked, values)
        mails.append(
            BulkMail(
                to=email,
                language=used,
                subject=copy.subject,
                body_text=copy.body_text,
                body_html=copy.body_html,
                kind=kind,
                related=key,
                secrets=[tokens[pk]] if pk in tokens else [],
            )
        )
    return mails


def campaign_queue(
    *, campaign: Campaign, actor: AbstractBaseUser | None, now: dt.datetime | None = None
) -> int:
    """Queue the message to every recipient of its segment (once); returns how many."""

    now = now or timezone.now()
    with atomic_bounded(_busy):
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.DRAFT:
            raise CampaignError(_("This message has already been sent."), code="already_queued")
        recipients = list(
            campaign_recipients(campaign=locked).values_list(
                "pk", "email", "first_name", "language"
            )
        )
        if not recipients:
            raise CampaignError(_("No one matches these filters."), code="empty")
        mails = _personalised_mails(locked, recipients, key=locked.mail_key, kind="campaign")
        mail_queue_bulk(mails=mails)
        before = {"status": locked.status}
        locked.status = Campaign.Status.QUEUED
        locked.queued_at = now
        locked.queued_by = actor if actor is not None and actor.is_authenticated else None
        locked.recipient_count = len(mails)
        locked.save(
            update_fields=["status", "queued_at", "queued_by", "recipient_count", "updated_at"]
        )
        audit_log(
            actor=actor,
            action="campaign.queue",
            obj=locked,
            before=before,
            after={"status": locked.status, "recipients": len(mails)},
        )
    campaign.refresh_from_db()
    return len(mails)


def campaign_send(
    *,
    edition: Edition,
    segment: dict,
    subject_pl: str,
    body_pl: str,
    subject_en: str = "",
    body_en: str = "",
    transactional: bool = False,
    actor: AbstractBaseUser | None,
    note: str = "",
) -> Campaign:
    """Write a message and queue it to its segment at once (the JSON API's messages): one
    transaction, so that a message nobody matches (``empty``) or a refused one leaves no
    draft behind. ``note`` says where it came from (an API token) in the audit log."""
    with transaction.atomic():
        campaign = campaign_create(
            edition=edition,
            segment=segment,
            subject_pl=subject_pl,
            body_pl=body_pl,
            subject_en=subject_en,
            body_en=body_en,
            transactional=transactional,
            actor=actor,
        )
        campaign_queue(campaign=campaign, actor=actor)
        audit_log(
            actor=actor,
            action="campaign.send",
            obj=campaign,
            after={"recipients": campaign.recipient_count},
            note=note[:500],
        )
    return campaign


# -- scheduled mails -----------------------------------------------------------------------------

SCHEDULED_FIELDS = (
    "name",
    "anchor",
    "offset_days",
    "send_time",
    "audience",
    "subject_pl",
    "body_pl",
    "subject_en",
    "body_en",
)


def _scheduled_check(values: dict, edition: Edition, now: dt.datetime) -> dict:
    values = {
        key: value.strip() if isinstance(value, str) else value for key, value in values.items()
    }
    if not values["name"]:
        raise CampaignError(_("Give the mail a name."), code="invalid")
    if values["audience"] not in ScheduledMail.Audience.values:
        raise CampaignError(_("Choose who the mail goes to."), code="invalid")
    if not values["subject_pl"] or not values["body_pl"]:
        raise CampaignError(_("Write the Polish subject and message."), code="invalid")
    if bool(values["subject_en"]) != bool(values["body_en"]):
        raise CampaignError(
            _("Write both the English subject and message, or neither."), code="invalid"
        )
    if ScheduledMail(edition=edition, **values).send_at <= now:
        raise CampaignError(_("This time has already passed."), code="past")
    return values


def scheduled_mail_create(
    *,
    edition: Edition,
    values: dict,
    actor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
) -> ScheduledMail:
    """Plan a mail (``values``: the ``SCHEDULED_FIELDS``; without ``audience``, to every
    confirmed participant)."""
    now = now or timezone.now()
    values = {key: values.get(key, "") for key in SCHEDULED_FIELDS} | {
        "audience": values.get("audience") or ScheduledMail.Audience.CONFIRMED
    }
    values = _scheduled_check(values, edition, now)
    with transaction.atomic():
        scheduled = ScheduledMail.objects.create(
            edition=edition,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            **values,
        )
        audit_log(actor=actor, action="scheduled_mail.create", obj=scheduled, after=_plain(values))
    return scheduled


def _plain(values: dict) -> dict:
    """What the audit log keeps of a planned mail (not its whole text)."""
    kept = ("name", "anchor", "offset_days", "send_time", "audience", "subject_pl")
    return {key: str(value) for key, value in values.items() if key in kept}


def scheduled_mail_update(
    *,
    scheduled: ScheduledMail,
    values: dict,
    actor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
) -> ScheduledMail:
    """Change a planned mail (without ``audience``, it keeps its own); refused once it is sent
    (or being sent right now)."""
    now = now or timezone.now()
    values = {key: values.get(key, "") for key in SCHEDULED_FIELDS} | {
        "audience": values.get("audience") or scheduled.audience
    }
    values = _scheduled_check(values, scheduled.edition, now)
    with atomic_bounded(_busy):
        locked = ScheduledMail.objects.select_for_update().get(pk=scheduled.pk)
        if locked.status != ScheduledMail.Status.SCHEDULED:
            raise CampaignError(_("This mail has already been sent."), code="already_queued")
        before = _plain({key: getattr(locked, key) for key in SCHEDULED_FIELDS})
        for key, value in values.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*SCHEDULED_FIELDS, "updated_at"])
        audit_log(
            actor=actor,
            action="scheduled_mail.update",
            obj=locked,
            before=before,
            after=_plain(values),
        )
    scheduled.refresh_from_db()
    return scheduled


def scheduled_mail_preview(
    *, scheduled: ScheduledMail, language: str, first_name: str | None = None
) -> Rendered:
    """The mail in ``language`` as a participant would get it, with example values."""
    language, rendered = _render_marked(scheduled, language)
    values = _sample_values(language)
    if first_name:
        values["first_name"] = first_name
    return _personalise(rendered, values)


def scheduled_mail_send(*, scheduled: ScheduledMail, now: dt.datetime | None = None) -> int:
    """Queue the mail to its audience among the edition's confirmed participants (at the
    moment it goes: who came is who has checked in by then), once: the row is locked (a
    second worker skips it) and marked sent in the transaction that queues its copies. Returns
    how many were queued (0: already sent, or being sent by another worker).

    Only the mail's row is locked (``of``): with the joined edition's row locked too, a worker
    skipped a mail whenever someone held its edition (another worker sending another mail of
    it, an organiser changing its capacity), and the skipped row stayed locked until that
    worker's transaction ended, so the one sending the other mail skipped it as well: a mail
    due went to nobody until the next run."""
    now = now or timezone.now()
    with atomic_bounded(_busy):
        locked = (
            ScheduledMail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("edition")
            .filter(pk=scheduled.pk, status=ScheduledMail.Status.SCHEDULED)
            .first()
        )
        if locked is None:
            return 0
        recipients = list(
            scheduled_mail_recipients(edition=locked.edition, audience=locked.audience).values_list(
                "pk", "email", "first_name", "language"
            )
        )
        mails = _personalised_mails(locked, recipients, key=locked.mail_key, kind="scheduled")
        if mails:
            mail_queue_bulk(mails=mails)
        locked.status = ScheduledMail.Status.SENT
        locked.sent_at = now
        locked.recipient_count = len(mails)
        locked.save(update_fields=["status", "sent_at", "recipient_count", "updated_at"])
        audit_log(
            actor=None,
            action="scheduled_mail.send",
            obj=locked,
            before={"status": ScheduledMail.Status.SCHEDULED},
            after={"status": locked.status, "audience": locked.audience, "recipients": len(mails)},
        )
    return len(mails)


def scheduled_mail_due(*, now: dt.datetime | None = None) -> int:
    """The worker's job: send every planned mail whose time has come; returns how many copies
    were queued."""
    now = now or timezone.now()
    planned = ScheduledMail.objects.filter(
        status=ScheduledMail.Status.SCHEDULED,
        edition__end_date__gte=(now - dt.timedelta(days=400)).date(),
    ).select_related("edition")
    return sum(scheduled_mail_send(scheduled=row, now=now) for row in planned if row.send_at <= now)
