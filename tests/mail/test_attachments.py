"""Attachments made when the message is sent (by a registered renderer) and inline parts of the
HTML body (Content-ID), delivered by the real worker to a real local SMTP server."""

from django.db import transaction

from kongres.mail.models import OutboxMessage
from kongres.mail.services import (
    Attachment,
    AttachmentUnavailable,
    attachment_content_id,
    attachment_renderer_register,
    mail_queue,
)
from tests.mail.test_delivery import ICS, run_worker

CALLS: list[dict] = []


def render_report(*, title: str, pages: int) -> bytes:
    """A renderer for these tests: records its call, returns bytes made from its params."""
    CALLS.append({"title": title, "pages": pages})
    return f"%PDF-{title}-{pages}".encode()


def render_gone(**params) -> bytes:
    raise AttachmentUnavailable("the ticket is gone")


attachment_renderer_register("mailtest.report", "tests.mail.test_attachments.render_report")
attachment_renderer_register("mailtest.gone", "tests.mail.test_attachments.render_gone")

PNG = b"\x89PNG\r\n\x1a\nnot really a picture"


def queue(attachments) -> OutboxMessage:
    with transaction.atomic():
        return mail_queue(
            to="lucja@example.org",
            template="mailtest/greeting",
            context={"name": "Łucja", "link": "/x/"},
            language="pl",
            attachments=attachments,
        )


def test_rendered_attachment_is_made_when_sent_and_inline_part_is_related_to_the_html(
    transactional_db, smtp_server
):
    CALLS.clear()
    cid = attachment_content_id()
    message = queue(
        [
            Attachment("qr.png", "image/png", content=PNG, content_id=cid),
            Attachment(
                "report.pdf",
                "application/pdf",
                renderer="mailtest.report",
                params={"title": "Żółć", "pages": 2},
            ),
            ("kongres.ics", ICS, "text/calendar"),
        ]
    )
    stored = list(message.attachments.values_list("filename", "content", "renderer"))
    assert [(name, bytes(content), renderer) for name, content, renderer in stored] == [
        ("qr.png", PNG, ""),
        ("report.pdf", b"", "mailtest.report"),
        ("kongres.ics", ICS, ""),
    ]
    assert CALLS == []  # nothing rendered while queueing

    run_worker()

    assert CALLS == [{"title": "Żółć", "pages": 2}]
    [received] = smtp_server.messages
    assert received.get_content_type() == "multipart/mixed"
    alternative, *files = received.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert "Dzień dobry, Łucja!" in html.get_content()
    assert image["Content-ID"] == f"<{cid}>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PNG
    assert [(f.get_filename(), f.get_content_type()) for f in files] == [
        ("report.pdf", "application/pdf"),
        ("kongres.ics", "text/calendar"),
    ]
    assert files[0].get_content() == "%PDF-Żółć-2".encode()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def test_attachment_that_cannot_be_made_fails_the_message_at_once(transactional_db, smtp_server):
    message = queue([Attachment("ticket.pdf", "application/pdf", renderer="mailtest.gone")])

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "the ticket is gone" in message.last_error
    assert smtp_server.messages == []


def test_unknown_renderer_fails_the_message_at_once(transactional_db, smtp_server):
    message = queue([Attachment("x.pdf", "application/pdf", renderer="nobody.knows")])

    run_worker()

    message.refresh_from_db()
    assert message.status == "failed"
    assert "no renderer 'nobody.knows'" in message.last_error
