"""The back office's export and message pages: what they show, who may use them, the files
they give (CSV with a BOM, XLSX read back with openpyxl), the list's filters respected, and a
message from compose to delivery by the real outbox worker (locmem mail)."""

import csv
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import Campaign
from kongres.mail.models import OutboxMessage
from kongres.registration.choices import Voivodeship
from kongres.registration.models import Registration
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db
Status = Registration.Status


def _register(edition, **data):
    return RegistrationFactory(
        edition=edition,
        verified=True,
        data__day_ids=[edition.days.get().pk],
        **{f"data__{key}": value for key, value in data.items()},
    )


@pytest.fixture
def people(edition):
    """Capacity 2: Żaneta and Łukasz confirmed, Ćwik waits."""
    return [
        _register(
            edition,
            first_name="Żaneta",
            last_name="Gęślą",
            email="zaneta@example.org",
            town="Łódź",
            voivodeship=Voivodeship.LODZKIE,
        ),
        _register(
            edition,
            first_name="Łukasz",
            last_name="Żółć",
            email="lukasz@example.org",
            town="Kraków",
            language="en",
        ),
        _register(edition, first_name="Ćwik", last_name="Czekający", email="cwik@example.org"),
    ]


def url(name, edition, **kwargs):
    return reverse(name, kwargs={"edition": edition.slug, **kwargs})


# -- export ------------------------------------------------------------------------------------


def test_export_page_keeps_the_filters_and_counts_the_rows(manager_client, edition, people):
    response = manager_client.get(url("orga:registration-export", edition), {"status": "waiting"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Plik będzie zawierał 1 osobę" in text
    assert '<input type="hidden" name="status" value="waiting">' in text
    assert 'value="xlsx"' in text and "Kolumny" in text


def test_export_on_get_is_the_form_and_writes_nothing(manager_client, edition, people):
    """A download is recorded, so it is a POST: a GET (a link preview, a prefetch) only shows
    the form, even with the form's fields in the address."""
    response = manager_client.get(
        url("orga:registration-export", edition), {"format": "csv", "columns": ["email"]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert '<form method="post"' in response.content.decode()
    assert not AuditLogEntry.objects.filter(action="export").exists()


def test_list_links_to_export_and_message_with_its_filters(manager_client, edition, people):
    response = manager_client.get(url("orga:registration-list", edition), {"status": "waiting"})
    text = response.content.decode()
    assert url("orga:registration-export", edition) + "?status=waiting" in text
    assert url("orga:campaign-compose", edition) + "?status=waiting" in text
    assert url("orga:campaign-list", edition) in text  # the menu


def test_csv_has_a_bom_polish_letters_and_is_logged(manager_client, manager, edition, people):
    response = manager_client.post(
        url("orga:registration-export", edition),
        {"format": "csv", "columns": ["first_name", "last_name", "town"], "sort": "name"},
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["imię", "nazwisko", "miejscowość"],
        ["Ćwik", "Czekający", people[2].town],
        ["Żaneta", "Gęślą", "Łódź"],
        ["Łukasz", "Żółć", "Kraków"],
    ]
    entry = AuditLogEntry.objects.get(action="export")
    assert entry.actor == manager
    assert entry.after["rows"] == 3
    assert entry.after["format"] == "csv"
    assert entry.after["filters"] == {"sort": ["name"]}


def test_xlsx_opens_and_respects_the_filters(manager_client, edition, people):
    response = manager_client.post(
        url("orga:registration-export", edition),
        {"format": "xlsx", "columns": ["last_name", "status", "email"], "status": "confirmed"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = sorted(workbook.active.iter_rows(values_only=True))
    assert rows == [
        ("potwierdzona", "Gęślą", "zaneta@example.org"),
        ("potwierdzona", "Żółć", "lukasz@example.org"),
        ("status", "nazwisko", "adres e-mail"),
    ]
    entry = AuditLogEntry.objects.get(action="export")
    assert (entry.after["rows"], entry.after["filters"]) == (2, {"status": ["confirmed"]})


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("registration_manager", 200), ("editor", 403), ("checkin_staff", 403)],
)
def test_export_and_messages_by_role(client, role_user, edition, people, role, status):
    client.force_login(role_user(role))
    download = client.post(url("orga:registration-export", edition), {"format": "csv"})
    assert download.status_code == status
    assert client.get(url("orga:campaign-list", edition)).status_code == status
    assert client.get(url("orga:campaign-compose", edition)).status_code == status
    posted = client.post(
        url("orga:campaign-compose", edition), {"subject_pl": "Temat", "body_pl": "Treść"}
    )
    assert posted.status_code == (302 if status == 200 else 403)
    assert AuditLogEntry.objects.filter(action="export").count() == (status == 200)


def test_a_campaign_of_another_edition_is_not_found(manager_client, edition):
    from tests.factories import EditionFactory

    other = Campaign.objects.create(edition=EditionFactory(), subject_pl="Obca", body_pl="x")
    response = manager_client.get(url("orga:campaign-detail", edition, pk=other.pk))
    assert response.status_code == 404


# -- messages ----------------------------------------------------------------------------------


def test_compose_preview_test_send_and_delivery(
    transactional_db, manager_client, manager, edition, people
):
    manager.email = "organizator@example.org"
    manager.save()
    call_command("worker", "--batch", verbosity=0)  # the registrations' own mails first
    mail.outbox.clear()
    # the two confirmed people with a "z" (accents ignored): Żaneta and Łukasz Żółć
    compose = url("orga:campaign-compose", edition) + "?status=confirmed&q=z&sort=-created"
    page = manager_client.get(compose).content.decode()
    assert "Odbiorcy: 2 osoby, wybrane przez obecne filtry" in page
    assert "{first_name}" in page and "{personal_link}" in page and "{ticket}" in page

    response = manager_client.post(
        compose,
        {
            "subject_pl": "Zmiana sali, {first_name}",
            "body_pl": "Dzień dobry, {first_name}!\n\nTwoje zgłoszenie: {personal_link}",
            "subject_en": "Room change, {first_name}",
            "body_en": "Hello {first_name}!\n\nYour registration: {personal_link}",
            "transactional": "on",
        },
    )
    campaign = Campaign.objects.get()
    assert response.url == url("orga:campaign-detail", edition, pk=campaign.pk)
    assert campaign.segment == {"status": ["confirmed"], "q": ["z"], "sort": ["-created"]}

    detail = manager_client.get(response.url).content.decode()
    first = "Łukasz"  # the first recipient: registered last
    assert f"Zmiana sali, {first}" in detail
    assert f"Room change, {first}" in detail
    assert "/rejestracja/moja/PRZYKLAD/" in detail
    assert "Wiadomość trafi do 2 osób." in detail
    assert "Tak, jak dostanie ją pierwszy odbiorca (Łukasz)" in detail

    manager_client.post(url("orga:campaign-test", edition, pk=campaign.pk))
    tests = OutboxMessage.objects.filter(kind="campaign.test")
    assert sorted(tests.values_list("to", "language")) == [
        ("organizator@example.org", "en"),
        ("organizator@example.org", "pl"),
    ]

    confirm = manager_client.get(url("orga:campaign-send", edition, pk=campaign.pk))
    count = 2
    assert "Wiadomość zostanie wysłana do 2 osób." in confirm.content.decode()
    sent = manager_client.post(url("orga:campaign-send", edition, pk=campaign.pk))
    assert sent.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.recipient_count, campaign.queued_by) == (
        "queued",
        count,
        manager,
    )
    again = manager_client.post(url("orga:campaign-send", edition, pk=campaign.pk))
    assert again.status_code == 409

    status = manager_client.get(sent.url).content.decode()
    assert "Status: w kolejce" in status
    assert "<dt>W kolejce</dt><dd>2</dd>" in status

    call_command("worker", "--batch", verbosity=0)
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert subjects == [
        ("lukasz@example.org", "Room change, Łukasz"),
        ("organizator@example.org", "Room change, Anna"),  # a test: example values
        ("organizator@example.org", "Zmiana sali, Anna"),
        ("zaneta@example.org", "Zmiana sali, Żaneta"),
    ]
    status = manager_client.get(sent.url).content.decode()
    assert "lukasz@example.org" in status
    assert "<dt>Wysłana</dt><dd>2</dd>" in status
    assert "<dt>W kolejce</dt><dd>0</dd>" in status
    listing = manager_client.get(url("orga:campaign-list", edition)).content.decode()
    assert "Zmiana sali, {first_name}" in listing


def test_messaging_the_waiting_list_reaches_only_it(
    transactional_db, manager_client, edition, people
):
    call_command("worker", "--batch", verbosity=0)  # the registrations' own mails first
    mail.outbox.clear()
    manager_client.post(
        url("orga:campaign-compose", edition) + "?status=waiting",
        {
            "subject_pl": "Lista rezerwowa",
            "body_pl": "Czekasz, {first_name}.",
            "transactional": "on",
        },
    )
    campaign = Campaign.objects.get()
    page = manager_client.get(url("orga:campaign-send", edition, pk=campaign.pk))
    assert "zostanie wysłana do 1 osoby" in page.content.decode()
    manager_client.post(url("orga:campaign-send", edition, pk=campaign.pk))
    call_command("worker", "--batch", verbosity=0)
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["cwik@example.org"], "Lista rezerwowa", mail.outbox[0].body)
    ]
    assert mail.outbox[0].body.startswith("Czekasz, Ćwik.")


def test_compose_without_polish_text_says_what_is_missing(manager_client, edition, people):
    response = manager_client.post(
        url("orga:campaign-compose", edition), {"subject_pl": "Temat", "body_pl": ""}
    )
    assert response.status_code == 200
    assert "To pole jest wymagane." in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("extra", [0, 4])  # 9 queries either way (session, user, roles, …)
def test_message_pages_make_the_same_queries_however_many_rows(
    manager_client, edition, people, django_assert_max_num_queries, extra
):
    from kongres.campaigns.services import campaign_create, campaign_queue

    for n in range(1 + extra):
        campaign = campaign_create(
            edition=edition,
            segment={},
            subject_pl=f"Temat {n}",
            body_pl="Treść",
            transactional=True,
            actor=None,
        )
    for n in range(extra):
        _register(edition, email=f"dodatkowa{n}@example.org")
    campaign_queue(campaign=campaign, actor=None)
    with django_assert_max_num_queries(9):
        listing = manager_client.get(url("orga:campaign-list", edition))
    assert listing.content.decode().count("/wiadomosci/") >= 1 + extra
    with django_assert_max_num_queries(9):
        detail = manager_client.get(url("orga:campaign-detail", edition, pk=campaign.pk))
    assert detail.content.decode().count("@example.org</th>") == 3 + extra
