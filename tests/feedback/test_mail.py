"""The invitation goes through the outbox and the worker to a real SMTP server: the link in
the mail opens the survey; the stored copy keeps no token once sent."""

import pytest
from django.core.management import call_command

from kongres.mail.models import OutboxMessage
from kongres.mail.redaction import PLACEHOLDER
from tests.feedback.conftest import LINK, invite_tokens, participant


@pytest.fixture
def edition(transactional_db, edition):
    return edition


def test_the_invitation_reaches_the_mail_server(smtp_server, client, edition, survey):
    participant(edition, email="uczestniczka@example.org")
    [token] = invite_tokens(survey).values()
    call_command("worker", "--batch", verbosity=0)
    [received] = [m for m in smtp_server.messages if m["Subject"].startswith("Jak było?")]
    assert received["To"] == "uczestniczka@example.org"
    assert received["Subject"] == "Jak było? Jak oceniasz kongres?"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert LINK.search(text).group(1) == token
    assert f"/ankieta/{token}/" in html
    stored = OutboxMessage.objects.get(kind="feedback.invitation")
    assert stored.status == "sent"
    assert token not in stored.body_text + stored.body_html and PLACEHOLDER in stored.body_text
    page = client.get(f"/ankieta/{token}/").content.decode()
    assert "<h1>Jak oceniasz kongres?</h1>" in page
