"""Messages to a segment: placeholders, languages, preview, test send, queue through the outbox,
delivery to a real local SMTP server by the real worker."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from kongres.campaigns.selectors import campaign_deliveries, campaign_delivery_counts
from kongres.campaigns.services import (
    CampaignError,
    campaign_create,
    campaign_preview,
    campaign_queue,
    campaign_test_send,
)
from kongres.mail.models import OutboxMessage
from kongres.mail.services import BulkMail, mail_queue_bulk
from kongres.registration.selectors import registration_get_by_token
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationDataFactory, RegistrationFactory

BODY_PL = (
    "Dzień dobry, {first_name}!\n\nTwoje zgłoszenie: {personal_link}\n\n**Zażółć** gęślą jaźń."
)
BODY_EN = "Hello {first_name}!\n\nYour registration: {personal_link}"


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=2)
    RegistrationFactory(
        edition=edition,
        verified=True,
        data=RegistrationDataFactory(first_name="Łucja", email="lucja@example.org"),
    )
    RegistrationFactory(
        edition=edition,
        verified=True,
        data=RegistrationDataFactory(first_name="John", email="john@example.org", language="en"),
    )
    return edition


def create(edition, segment=None):
    return campaign_create(
        edition=edition,
        segment=segment or {},
        subject_pl="Ważne: {first_name}, program",
        body_pl=BODY_PL,
        subject_en="Important: {first_name}, programme",
        body_en=BODY_EN,
        transactional=True,  # practical: to everyone who may be written to (M7)
        actor=None,
    )


def test_queue_sends_each_recipient_their_language_name_and_a_working_link(edition):
    campaign = create(edition)

    assert campaign_queue(campaign=campaign, actor=None) == 2

    by_address = {m.to: m for m in OutboxMessage.objects.filter(related=campaign.mail_key)}
    lucja, john = by_address["lucja@example.org"], by_address["john@example.org"]
    assert lucja.subject == "Ważne: Łucja, program"
    assert lucja.body_text.startswith("Dzień dobry, Łucja!")
    assert "<strong>Zażółć</strong> gęślą jaźń." in lucja.body_html
    assert john.subject == "Important: John, programme"
    assert john.language == "en"
    token = re.search(r"/([A-Za-z0-9_-]{43})/", john.body_text).group(1)
    assert registration_get_by_token(token=token).email == "john@example.org"
    assert "/en/" in john.body_text
    # one task sends the batch (kongres.mail.tasks.mail_send_many)
    assert lucja.task_id == john.task_id
    task = DBTaskResult.objects.get(id=lucja.task_id)
    assert sorted(task.args_kwargs["args"][0]) == sorted([lucja.pk, john.pk])
    campaign.refresh_from_db()
    assert (campaign.status, campaign.recipient_count) == ("queued", 2)


def test_segment_filters_the_recipients_and_waiting_list_only(edition):
    waiting = RegistrationFactory(
        edition=edition, verified=True, data=RegistrationDataFactory(email="czeka@example.org")
    )
    assert waiting.status == "waiting"
    campaign = create(edition, segment={"status": ["waiting"]})

    campaign_queue(campaign=campaign, actor=None)

    assert [m.to for m in campaign_deliveries(campaign=campaign)] == ["czeka@example.org"]


def test_queue_twice_is_refused_and_an_empty_segment_too(edition):
    campaign = create(edition)
    campaign_queue(campaign=campaign, actor=None)
    with pytest.raises(CampaignError) as error:
        campaign_queue(campaign=campaign, actor=None)
    assert error.value.code == "already_queued"
    assert OutboxMessage.objects.filter(related=campaign.mail_key).count() == 2

    nobody = create(edition, segment={"q": "nikt-taki"})
    with pytest.raises(CampaignError) as error:
        campaign_queue(campaign=nobody, actor=None)
    assert str(error.value.message) == "Nikt nie spełnia tych warunków."


def test_english_falls_back_to_polish_when_not_written(edition):
    campaign = campaign_create(
        edition=edition, segment={}, subject_pl="Tylko po polsku", body_pl="Treść", actor=None
    )

    assert campaign_preview(campaign=campaign, language="en").subject == "Tylko po polsku"


def test_preview_fills_example_values(edition):
    preview = campaign_preview(campaign=create(edition), language="pl")

    assert preview.subject == "Ważne: Anna, program"
    assert "/rejestracja/moja/PRZYKLAD/" in preview.body_text
    assert "<h1>Ważne: Anna, program</h1>" in preview.body_html


def test_invalid_campaign_says_what_is_missing(edition):
    with pytest.raises(CampaignError) as error:
        campaign_create(edition=edition, segment={}, subject_pl="", body_pl="x", actor=None)
    assert str(error.value.message) == "Wpisz temat i treść po polsku."


def test_mail_queue_bulk_writes_rows_and_tasks(db):
    with transaction.atomic():
        messages = mail_queue_bulk(
            mails=[
                BulkMail(to=f"a{n}@example.org", language="pl", subject="Ż", body_text="ó")
                for n in range(3)
            ]
        )
    assert [m.status for m in messages] == ["queued"] * 3
    tasks = DBTaskResult.objects.filter(id__in=[m.task_id for m in messages])
    assert sorted(pk for t in tasks for pk in t.args_kwargs["args"][0]) == sorted(
        m.pk for m in messages
    )


def test_messages_and_test_send_arrive_at_a_real_smtp_server(
    transactional_db,
    smtp_server,
):
    edition = EditionFactory(capacity=5)
    RegistrationFactory(
        edition=edition,
        verified=True,
        data=RegistrationDataFactory(first_name="Łucja", email="lucja@example.org"),
    )
    campaign = create(edition)
    campaign_test_send(campaign=campaign, to="organizator@example.org", language="pl", actor=None)
    campaign_queue(campaign=campaign, actor=None)
    call_command("worker", "--batch", verbosity=0)

    received = {m["To"]: m for m in smtp_server.messages}
    assert received["lucja@example.org"]["Subject"] == "Ważne: Łucja, program"
    assert received["organizator@example.org"]["Subject"] == "Ważne: Anna, program"
    text = received["lucja@example.org"].get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Dzień dobry, Łucja!")
    counts = campaign_delivery_counts(campaign=campaign)
    assert (counts["total"], counts["sent"]) == (1, 1)
