"""The registration's mails: which template, with which context and attachments, rendered and
queued in the transaction of the change (``mail``). Each mail carries a secret link."""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from kongres.core.cache import memoized
from kongres.events.ics import edition_calendar, edition_zone
from kongres.events.models import Edition
from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_prepared, mail_queue, mail_render
from kongres.registration import selectors
from kongres.registration.links import link_token
from kongres.registration.models import Registration
from kongres.registration.tickets import ticket_mail

Status = Registration.Status

# Mails that carry the ticket (the QR inline, the PDFs attached) when the registration is
# confirmed: the confirmation, the approval, and a new link (which is how a participant who
# lost the ticket gets it again).
TICKET_MAILS = frozenset({"confirmed", "approved", "link"})


def mail_seat(registration: Registration, *, token: str | None = None) -> None:
    """The mail for a seat just confirmed (with the calendar file) or awaiting approval."""
    if registration.status == Status.CONFIRMED:
        mail(registration, "confirmed", token=token, attach_calendar=True)
    else:
        mail(registration, "pending_approval", token=token)


def _link(name: str, token: str, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse(name, kwargs={"token": token})


def mail(
    registration: Registration,
    name: str,
    *,
    token: str | None = None,
    attach_calendar: bool = False,
    **context,
) -> None:
    """Queue the mail ``registration/mail/<name>`` in the registration's language, in the
    caller's transaction. Without ``token`` it carries the registration's live link
    (``links.link_token``). The mails of a
    confirmed registration in ``TICKET_MAILS`` carry its ticket, issued here (in the
    transaction that confirms it) when it has none."""
    if token is None:
        token = link_token(registration=registration)
    kwargs = mail_kwargs(
        registration, name, token=token, attach_calendar=attach_calendar, **context
    )
    with timezone.override(edition_zone(edition=registration.edition)):
        mail_queue(**kwargs)


# The verification mail, which every new registration gets, is the same for all of them but for
# the first name, the secret link and the end of the hold. So ``prepared`` renders it once with a
# marker in place of each of the three (``_stencil``), keeps it in Django's cache (``memoized``:
# an edit of the content makes it stale) under a key of everything else it shows
# (``stencil_memo_key``), and fills in each person's values, escaped in the HTML as the template
# escapes them. Rendering it cost more CPU than the rest of the
# registration's write (issue 15). The stencil is made from a registration that has nothing
# but what the key holds, so a template that came to show anything else would show it empty
# (tests/registration/test_mail_stencil.py compares both ways, and would fail), never another
# person's.
STENCIL_MAILS = frozenset({"verify"})
_HOLE = "kongres-mail-hole-{}-3f9a1c07"  # letters, digits and hyphens: escaping leaves them
_HOLES = re.compile(_HOLE.format("(name|token|until)"))
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")  # a token the links carry as it is
type Stencil = tuple[str, str, str]  # subject, text, HTML


def prepared(
    registration: Registration,
    name: str,
    *,
    token: str,
    stencils: Mapping[tuple[str, str], Stencil] | None = None,
) -> OutboxMessage:
    """The mail ``registration/mail/<name>`` (one without attachments) rendered as ``mail``
    would queue it, not saved: for the registration function on PostgreSQL, which writes it
    with the registration and fills in its ``related`` key (the registration's id).
    ``stencils``: the verification mail's stencils of the registration's edition by language
    and status, read by the caller (``stencil_loads``); one that is not there is read here."""
    message, _other = prepared_with_other(registration, name, token=token, stencils=stencils)
    return message


def prepared_with_other(
    registration: Registration,
    name: str,
    *,
    token: str,
    other_status: str | None = None,
    stencils: Mapping[tuple[str, str], Stencil] | None = None,
) -> tuple[OutboxMessage, Stencil | None]:
    """``prepared``, and with ``other_status`` the subject, text and HTML of the same mail as
    if the registration had that status (else None): the verification mail of a registration
    without a seat, which the registration function writes instead of the held one's when it
    finds no seat. The person's values (the end of the hold in their language above all) are
    made once for both."""
    other = None
    if other_status is not None:
        other = copy.copy(registration)
        other.status = other_status
    with timezone.override(edition_zone(edition=registration.edition)):
        if name in STENCIL_MAILS and _URL_SAFE.fullmatch(token):
            values = _values(registration, token)
            rendered = _filled(_stencil_of(registration, name, stencils), values)
            message = mail_prepared(
                to=registration.email,
                template=f"registration/mail/{name}",
                context={},
                language=registration.language,
                kind=f"registration.{name}",
                related=selectors.registration_mail_key(registration),
                secrets=[token],
                rendered=rendered,
            )
            if other is None:
                return message, None
            return message, _filled(_stencil_of(other, name, stencils), values)
        kwargs = mail_kwargs(registration, name, token=token)
        if kwargs.pop("attachments"):
            raise ValueError(f"the mail {name!r} has attachments: queue it with mail()")
        message = mail_prepared(**kwargs)
        if other is None:
            return message, None
        kwargs = mail_kwargs(other, name, token=token)
        return message, mail_render(
            template=kwargs["template"], context=kwargs["context"], language=kwargs["language"]
        )


def _stencil_of(
    registration: Registration,
    name: str,
    stencils: Mapping[tuple[str, str], Stencil] | None,
) -> Stencil:
    key = (registration.language, registration.status)
    stencil = (stencils or {}).get(key) if name == "verify" else None
    return stencil or _stencil(registration, name)


def hold_until(registration: Registration) -> str:
    """The end of the registration's hold as its mails show it ("" without one): in its
    language, in the edition's time zone, to the minute, with the zone's name as the pages
    give it ("7 grudnia 2026 15:48 (CET)"), for people who read it elsewhere."""
    if registration.hold_expires_at is None:
        return ""
    local = timezone.localtime(
        registration.hold_expires_at, edition_zone(edition=registration.edition)
    )
    with translation.override(registration.language):
        return f"{date_format(local, 'DATETIME_FORMAT')} ({date_format(local, 'T')})"


def _stencil(registration: Registration, name: str) -> Stencil:
    """The mail ``name`` of ``registration`` with markers for its first name, token and end of
    the hold: the subject, text and HTML, from the cache when another registration made them."""
    edition, language, status = registration.edition, registration.language, registration.status
    _edition_id, stencil = memoized(
        stencil_memo_key(edition.pk, language, status, name),
        lambda: (edition.pk, stencil_render(edition, language, status, name)),
    )
    return stencil


def stencil_memo_key(edition: int | str, language: str, status: str, name: str = "verify") -> str:
    """The ``memoized`` key of the stencil of the mail ``name`` for a registration of this
    edition (its id, or "current": the edition the public site shows), language and status.
    Everything else the stencil shows is the edition's, which an edit changes only with the
    content generation. The value is ``(the edition's id, the stencil)``."""
    parts = (name, language, status, edition, settings.SITE_URL)
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]
    return f"registration:mail-stencil:{digest}"


# The statuses a new participant's registration has: the verification mail of each.
STENCIL_STATUSES = (Status.HELD, Status.WAITING_UNVERIFIED)


def stencil_loads(
    edition: int | str, language: str, edition_get: Callable[[], Edition | None]
) -> dict[str, Callable[[], tuple[int | None, Stencil | None]]]:
    """The ``memoized_many`` loads of the verification mail's stencils of both statuses, for a
    caller that reads them with the edition (one round trip to the cache): ``edition`` as in
    ``stencil_memo_key``, ``edition_get()`` the edition when one must be rendered (None: there
    is none, and nothing is rendered)."""

    def load(status: str) -> tuple[int | None, Stencil | None]:
        found = edition_get()
        if found is None:
            return None, None
        return found.pk, stencil_render(found, language, status)

    return {
        stencil_memo_key(edition, language, status): functools.partial(load, status)
        for status in STENCIL_STATUSES
    }


def stencils_of(
    edition: Edition, language: str, values: Sequence[tuple[int | None, Stencil | None]]
) -> dict[tuple[str, str], Stencil]:
    """The stencils read through ``stencil_loads`` (their values in its order), by language and
    status, those of ``edition`` only."""
    return {
        (language, status): stencil
        for status, (edition_id, stencil) in zip(STENCIL_STATUSES, values, strict=True)
        if edition_id == edition.pk and stencil is not None
    }


def stencil_render(edition: Edition, language: str, status: str, name: str = "verify") -> Stencil:
    """The stencil: the mail rendered for a registration that has nothing but the edition,
    language and status, with markers in place of its first name, token and end of hold."""
    blank = Registration(
        edition=edition, language=language, status=status, first_name=_HOLE.format("name")
    )
    kwargs = mail_kwargs(blank, name, token=_HOLE.format("token"))
    kwargs["context"]["hold_until"] = _HOLE.format("until")
    with timezone.override(edition_zone(edition=edition)):
        return mail_render(
            template=kwargs["template"], context=kwargs["context"], language=language
        )


def _values(registration: Registration, token: str) -> dict[str, str]:
    """The person's values a stencil is filled with: the first name's first 40 characters (as
    ``_greeting.txt`` shows it), the token and the end of the hold."""
    return {
        "name": registration.first_name[:40],
        "token": token,
        "until": hold_until(registration),
    }


def _filled(stencil: Stencil, values: Mapping[str, str]) -> Stencil:
    """The stencil with the person's ``values`` (``_values``), HTML-escaped in the HTML part;
    one pass, so that a value that looks like a marker stays as it is."""
    escaped = {key: escape(value) for key, value in values.items()}
    subject, text, html = stencil
    return (
        _HOLES.sub(lambda match: values[match.group(1)], subject),
        _HOLES.sub(lambda match: values[match.group(1)], text),
        _HOLES.sub(lambda match: escaped[match.group(1)], html),
    )


def mail_kwargs(
    registration: Registration, name: str, *, token: str, attach_calendar: bool = False, **context
) -> dict:
    """The arguments of ``mail_queue`` for the mail ``registration/mail/<name>``."""

    language = registration.language
    edition = registration.edition
    attachments = []
    if attach_calendar:
        with translation.override(language):
            attachments.append(
                (f"{edition.slug}.ics", edition_calendar(edition=edition), "text/calendar")
            )
    if name in TICKET_MAILS and registration.status == Status.CONFIRMED:
        ticket = ticket_mail(registration=registration, language=language)
        context.update(ticket.context)
        attachments.extend(ticket.attachments)
    context.update(
        registration=registration,
        edition=edition,
        hold_until=hold_until(registration),
        manage_url=_link("registration:manage", token, language),
        verify_url=_link("registration:verify", token, language),
        claim_url=_link("registration:claim", token, language),
    )
    if name.startswith("reconfirm"):
        context.update(
            coming_url=_link("registration:reconfirm-coming", token, language),
            not_coming_url=_link("registration:reconfirm-not-coming", token, language),
        )
    if context.get("position") is None:  # (the draw gives the position it knows)
        context["position"] = selectors.registration_waiting_position(registration=registration)
    return {
        "to": registration.email,
        "template": f"registration/mail/{name}",
        "context": context,
        "language": language,
        "attachments": attachments,
        "kind": f"registration.{name}",
        "related": selectors.registration_mail_key(registration),
        "secrets": [token],  # not kept in the outbox once the mail is sent
    }
