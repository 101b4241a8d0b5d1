import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kongres.mail.models import OutboxMessage
from kongres.mail.services import mail_queue

CHANGELIST = "/admin/mail/outboxmessage/"


def queue(to: str = "anna@example.org", kind: str = "greeting") -> OutboxMessage:
    with transaction.atomic():
        return mail_queue(
            to=to,
            template="mailtest/greeting",
            context={"name": "Anna Świątek"},
            language="pl",
            kind=kind,
            related="registration:7",
        )


def fail(message: OutboxMessage, error: str = "ConnectionRefusedError: [Errno 111]") -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed", attempts=10, last_error=error
    )


def test_outbox_list_shows_status_recipient_subject_attempts_and_error_in_polish(admin_client):
    fail(queue(to="ewa@example.org"), "SMTPRecipientsRefused: 550 No such user here")
    queue(to="jan@example.org", kind="reminder")

    response = admin_client.get(CHANGELIST)

    text = response.text
    assert response.status_code == 200
    assert "Wybierz wiadomość e-mail do obejrzenia" in text
    assert "ewa@example.org" in text
    assert "jan@example.org" in text
    assert "Zażółć gęślą jaźń, Anna Świątek" in text
    assert "nieudana" in text
    assert "w kolejce" in text
    assert "SMTPRecipientsRefused: 550 No such user here" in text
    assert "Ponów teraz" in text
    assert "?status__exact=failed" in text
    assert "?kind=reminder" in text


def test_outbox_list_filters_by_status(admin_client):
    fail(queue(to="ewa@example.org"))
    queue(to="jan@example.org")

    response = admin_client.get(CHANGELIST, {"status__exact": "failed"})

    assert "ewa@example.org" in response.text
    assert "jan@example.org" not in response.text


def test_outbox_list_query_count_does_not_grow_with_messages(admin_client):
    queue()
    admin_client.get(CHANGELIST)  # the first request after signing in records the session times
    with CaptureQueriesContext(connection) as one:
        admin_client.get(CHANGELIST)
    queue(to="b@example.org")
    queue(to="c@example.org")
    with CaptureQueriesContext(connection) as three:
        response = admin_client.get(CHANGELIST)

    assert "c@example.org" in response.text
    assert len(three) == len(one)


def test_outbox_detail_shows_content_and_delivery_read_only(admin_client):
    message = queue()

    response = admin_client.get(f"{CHANGELIST}{message.pk}/change/")

    assert response.status_code == 200
    assert "Dzień dobry, Anna Świątek!" in response.text
    assert "registration:7" in response.text
    assert 'name="_save"' not in response.text
    assert admin_client.post(f"{CHANGELIST}{message.pk}/change/", {}).status_code == 403
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{message.pk}/delete/").status_code == 403


def test_retry_now_requeues_a_failed_message_and_the_worker_delivers_it(
    transactional_db, admin_user, client, smtp_server
):
    client.force_login(admin_user)
    failed = queue(to="ewa@example.org")
    fail(failed)
    sent = queue(to="jan@example.org")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", sent_at=sent.created_at)

    response = client.post(
        CHANGELIST,
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )

    assert "1 wiadomość ponownie w kolejce." in response.text
    assert "Pominięto 1 wiadomość: jest już wysłana lub właśnie wysyłana." in response.text
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("queued", 0)

    call_command("worker", "--batch", verbosity=0)

    assert [message["To"] for message in smtp_server.messages] == ["ewa@example.org"]
    failed.refresh_from_db()
    assert failed.status == "sent"


@pytest.mark.django_db
def test_staff_who_may_view_the_outbox_are_still_not_let_in(client):
    """The admin is for superusers only (security review 2026-12, H1): a model permission
    given to a staff account opens nothing."""
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    queue()

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "anna@example.org" not in response.text
