"""Messages rendered when they are sent (``mail_message_later``): the outbox keeps the template
and the parameters, a registered context maker makes the context from them in the worker, which
renders, keeps the text and sends it to a real local SMTP server."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from kongres.mail.models import OutboxMessage
from kongres.mail.services import (
    AttachmentUnavailable,
    mail_context_register,
    mail_message_later,
    mail_rendered,
    mail_rows,
)
from tests.mail.test_delivery import run_worker

# What the context maker reads: changed by a test after the message is queued.
PEOPLE: dict[int, str] = {}


def person_context(*, person: int) -> dict:
    """A context maker for these tests: the person's name as it is when the mail is sent."""
    if person not in PEOPLE:
        raise AttachmentUnavailable(f"person {person} is gone")
    return {"name": PEOPLE[person], "link": f"/ludzie/{person}/"}


mail_context_register("mailtest.person", "tests.mail.test_render_later.person_context")


@pytest.fixture(autouse=True)
def _people():
    PEOPLE.clear()
    yield
    PEOPLE.clear()


def queue_later(person: int, **overrides) -> OutboxMessage:
    """The message and its sending task written as a caller of ``mail_rows`` writes them."""
    arguments = {
        "to": "lucja@example.org",
        "template": "mailtest/greeting",
        "context": "mailtest.person",
        "params": {"person": person},
        "language": "pl",
        "kind": "greeting",
    } | overrides
    message = mail_message_later(**arguments)
    with transaction.atomic():
        message.save()
        [task] = mail_rows(message)
        message.save(update_fields=["task_id"])
        task.save()
    return message


def test_the_worker_renders_the_message_when_it_sends_it_and_keeps_the_text(
    transactional_db, smtp_server
):
    PEOPLE[7] = "Łucja"
    message = queue_later(7)
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert (stored.subject, stored.body_text, stored.body_html) == ("", "", "")
    assert stored.template == "mailtest/greeting"
    assert stored.template_params["params"] == {"person": 7}

    PEOPLE[7] = "Łucja Żółć"  # changed after queuing: the mail says what is true when sent
    run_worker()

    [received] = smtp_server.messages
    assert received["Subject"] == "Zażółć gęślą jaźń, Łucja Żółć"
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Dzień dobry, Łucja Żółć! Potwierdź zgłoszenie:")
    assert "/ludzie/7/" in text
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "<p>Dzień dobry, Łucja Żółć!</p>" in html
    stored.refresh_from_db()
    assert stored.status == "sent"
    assert stored.subject == "Zażółć gęślą jaźń, Łucja Żółć"
    assert stored.body_text == text.replace("\r\n", "\n")
    assert (stored.template, stored.template_params) == ("", {})  # the parameters are gone
    assert DBTaskResult.objects.get().return_value == "sent"


def test_a_message_whose_context_cannot_be_made_fails_at_once(transactional_db, smtp_server):
    message = queue_later(8)  # nobody 8

    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "person 8 is gone" in message.last_error
    assert smtp_server.messages == []


def test_mail_rendered_shows_the_text_without_changing_the_row(db):
    PEOPLE[9] = "Anna"
    message = queue_later(9, language="en")

    shown = mail_rendered(OutboxMessage.objects.get(pk=message.pk))

    assert shown.subject == "Welcome, Anna"  # in the language of the message
    assert "Anna" in shown.body_text and "Anna" in shown.body_html
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert (stored.subject, stored.template) == ("", "mailtest/greeting")
    already = OutboxMessage.objects.get(pk=message.pk)
    already.subject, already.template = "As sent", ""
    assert mail_rendered(already).subject == "As sent"  # a rendered message stays as it is


def test_an_unknown_context_maker_is_refused_when_queuing(db):
    with pytest.raises(ValueError, match="no mail context maker"):
        mail_message_later(
            to="a@example.org",
            template="mailtest/greeting",
            context="nope",
            params={},
            language="pl",
        )
