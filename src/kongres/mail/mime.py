"""An outbox message as the e-mail the worker sends (``outbox_email``).

Most messages are a plain text and an HTML body, in UTF-8, to one ASCII address: those are
built with the ``email`` package's MIME classes (``email.mime``, policy ``compat32``), which
take their headers as given, five times cheaper than the ``email.message.EmailMessage`` that
Django builds, which parses every header it is given and folds it again when written (about
2.8 ms of a worker's CPU a message out of 7, measured December 2026: issue 16, "Mail keeps
up"). Anything else (attachments, inline images, an address or a sender's name that is not
ASCII, a line longer than SMTP's 998 octets, a line break in a header) goes through Django's
``EmailMultiAlternatives.message()`` as before, which encodes and checks all of that.
"""

from __future__ import annotations

import datetime as dt
import email.charset
import email.policy
import email.utils
from collections.abc import Sequence
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from kongres.mail.models import OutboxMessage
from kongres.mail.services import attachment_content

# UTF-8 bodies as they are (8bit, or 7bit when ASCII), not base64
_UTF8 = email.charset.Charset("utf-8")
_UTF8.body_encoding = None
MAX_LINE_OCTETS = 998  # SMTP's limit for a line (RFC 5321), without its CRLF


def _fits(text: str) -> bool:
    return all(len(line.encode()) <= MAX_LINE_OCTETS for line in text.splitlines())


class OutboxEmail(EmailMultiAlternatives):
    """Text and HTML bodies go out as 8bit when every line fits in SMTP's 998 octets (as in
    Django before 6.0), not quoted-printable: links stay whole and Polish letters readable in
    the demo's mail folder and in a mail client's source view.

    ``related`` are inline parts of the HTML body, ``(content_id, filename, content, mimetype)``:
    the HTML and they go in a multipart/related inside the multipart/alternative, where every
    mail client looks for ``cid:`` images (the plain text stays without them)."""

    def __init__(self, *args, related: Sequence[tuple[str, str, bytes, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.related = list(related)

    def _add_bodies(self, msg):
        msg = super()._add_bodies(msg) or msg
        html = next((part for part in msg.walk() if part.get_content_type() == "text/html"), None)
        if html is not None:
            for content_id, filename, content, mimetype in self.related:
                maintype, subtype = mimetype.split("/", 1)
                html.add_related(
                    content,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{content_id}>",
                    filename=filename,
                    disposition="inline",
                )
        return msg

    def message(self, *, policy=email.policy.default):
        if self._simple():
            return self._simple_message(linesep=policy.linesep)
        msg = super().message(policy=policy)
        for part in msg.walk():
            if (
                part.get_content_maintype() == "text"
                and not part.is_attachment()
                and part["Content-Transfer-Encoding"] in {"quoted-printable", "base64"}
            ):
                text = part.get_content()
                if _fits(text):
                    part.set_content(
                        text, subtype=part.get_content_subtype(), charset="utf-8", cte="8bit"
                    )
        return msg

    def _simple(self) -> bool:
        """Whether this is a message ``_simple_message`` builds as Django would: a plain text,
        perhaps an HTML alternative, nothing else, ASCII addresses, no line break in a header,
        every body line within SMTP's limit."""
        alternatives = [(alt.content, alt.mimetype) for alt in self.alternatives]
        headers = {name.lower() for name in self.extra_headers}
        addresses = [self.from_email, *self.to, *self.reply_to]
        return (
            bool(self.body)
            and not self.attachments
            and not self.related
            and not self.cc
            and headers <= {"message-id"}
            and all(
                isinstance(content, str) and mimetype == "text/html"
                for content, mimetype in alternatives
            )
            and len(alternatives) <= 1
            and all(address.isascii() for address in addresses)
            and not any(
                "\r" in value or "\n" in value
                for value in [self.subject, *addresses, *self.extra_headers.values()]
            )
            and all(
                _fits(text)
                for text in [self.body, *(content for content, _mimetype in alternatives)]
            )
        )

    def _simple_message(self, *, linesep: str):
        """The message with ``email.mime`` (policy compat32, lines ended by ``linesep``): the
        headers written as given (the subject encoded when it is not ASCII)."""
        policy = email.policy.compat32.clone(linesep=linesep)
        text = MIMEText(self.body, "plain", _UTF8, policy=policy)
        if self.alternatives:
            msg = MIMEMultipart("alternative", policy=policy)
            msg.attach(text)
            msg.attach(MIMEText(self.alternatives[0].content, "html", _UTF8, policy=policy))
        else:
            msg = text
        subject = str(self.subject)
        msg["Subject"] = (
            subject if subject.isascii() else Header(subject, "utf-8", header_name="Subject")
        )
        msg["From"] = str(self.from_email)
        msg["To"] = ", ".join(self.to)
        if self.reply_to:
            msg["Reply-To"] = ", ".join(self.reply_to)
        now = timezone.localtime() if settings.EMAIL_USE_LOCALTIME else dt.datetime.now(dt.UTC)
        msg["Date"] = email.utils.format_datetime(now)
        message_id = next(
            (value for name, value in self.extra_headers.items() if name.lower() == "message-id"),
            None,
        )
        msg["Message-ID"] = message_id or email.utils.make_msgid()
        return msg


def outbox_email(message: OutboxMessage) -> OutboxEmail:
    """The e-mail of an outbox message; attachments with a renderer are made now."""
    files, related = [], []
    # ``has_attachments`` is annotated by the queries that claim a message (``_outbox``): most
    # messages have none, and the query for them is then not made
    attachments = message.attachments.all() if getattr(message, "has_attachments", True) else ()
    for attachment in attachments:
        content = attachment_content(attachment)
        if attachment.content_id and message.body_html:
            related.append(
                (attachment.content_id, attachment.filename, content, attachment.mimetype)
            )
        else:
            files.append((attachment.filename, content, attachment.mimetype))
    mail = OutboxEmail(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={"Message-ID": message.message_id},
        related=related,
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    for filename, content, mimetype in files:
        mail.attach(filename, content, mimetype)
    return mail
