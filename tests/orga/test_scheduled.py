"""The back office's scheduled mails: the list with their state, a new one from a preset, bad
input kept as typed, the preview in both languages, editable until sent, then read-only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.campaigns.models import ScheduledMail
from kongres.campaigns.services import scheduled_mail_due
from tests.orga.conftest import register


@pytest.fixture
def edition(edition):
    edition.start_date = timezone.localdate() + dt.timedelta(days=30)
    edition.end_date = edition.start_date + dt.timedelta(days=1)
    edition.save()
    return edition


@pytest.fixture
def writer_client(client, role_user):
    client.force_login(role_user("admin"))
    return client


def url(edition, name="orga:scheduled-list", **kwargs):
    return reverse(name, kwargs={"edition": edition.slug, **kwargs})


def form(**changes):
    data = {
        "name": "Tydzień przed",
        "offset_days": "-7",
        "anchor": "start",
        "send_time": "09:00",
        "audience": "confirmed",
        "subject_pl": "Za tydzień",
        "body_pl": "Dzień dobry {first_name}",
        "subject_en": "In a week",
        "body_en": "Hello {first_name}",
    }
    data.update(changes)
    return data


def test_a_preset_fills_the_form(writer_client, edition):
    page = writer_client.get(url(edition, "orga:scheduled-create") + "?preset=day").content
    page = page.decode()
    assert 'name="offset_days" value="-1"' in page
    assert "Jutro kongres: informacje praktyczne i bilet" in page


def test_create_then_preview_then_edit(writer_client, edition):
    register(edition, first_name="Ola")
    response = writer_client.post(url(edition, "orga:scheduled-create"), form())
    mail = ScheduledMail.objects.get(edition=edition)
    assert response["Location"] == url(edition, "orga:scheduled-detail", pk=mail.pk)
    page = writer_client.get(response["Location"]).content.decode()
    assert "Dzień dobry Ola" in page and "Hello Ola" in page  # both previews
    assert "zaplanowana" in page or "zaplanowany" in page
    writer_client.post(response["Location"], form(subject_pl="Inny temat"))
    mail.refresh_from_db()
    assert mail.subject_pl == "Inny temat"
    listing = writer_client.get(url(edition)).content.decode()
    assert "Tydzień przed" in listing and "Inny temat" in listing


def test_bad_input_is_shown_with_what_was_typed(writer_client, edition):
    response = writer_client.post(
        url(edition, "orga:scheduled-create"),
        form(offset_days="za tydzień", subject_pl="Mój temat", body_en=""),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="za tydzień"' in page
    assert 'value="Mój temat"' in page
    assert not ScheduledMail.objects.exists()


def test_a_past_time_is_refused_with_what_was_typed(writer_client, edition):
    response = writer_client.post(
        url(edition, "orga:scheduled-create"), form(offset_days="-90", name="Za późno")
    )
    page = response.content.decode()
    assert "Ten termin już minął." in page
    assert 'value="Za późno"' in page
    assert not ScheduledMail.objects.exists()


def test_english_without_its_subject_is_refused_with_what_was_typed(writer_client, edition):
    response = writer_client.post(url(edition, "orga:scheduled-create"), form(subject_en=""))
    page = response.content.decode()
    assert "Hello {first_name}" in page
    assert not ScheduledMail.objects.exists()


def test_once_sent_it_shows_its_delivery_and_no_form(writer_client, edition):
    register(edition)
    writer_client.post(url(edition, "orga:scheduled-create"), form())
    mail = ScheduledMail.objects.get(edition=edition)
    scheduled_mail_due(now=mail.send_at)
    detail = url(edition, "orga:scheduled-detail", pk=mail.pk)
    page = writer_client.get(detail).content.decode()
    assert 'id="delivery-counts"' in page
    assert 'name="subject_pl"' not in page
    writer_client.post(detail, form(subject_pl="Zmiana po wysłaniu"))
    mail.refresh_from_db()
    assert mail.subject_pl == "Za tydzień"


def test_another_editions_mail_is_a_404(writer_client, edition, role_user):
    from tests.factories import EditionFactory

    other = EditionFactory(start_date=edition.start_date)
    mail = ScheduledMail.objects.create(edition=other, name="Obca", subject_pl="x", body_pl="y")
    assert writer_client.get(url(edition, "orga:scheduled-detail", pk=mail.pk)).status_code == 404


def test_the_thank_you_preset_goes_to_those_who_came(writer_client, edition):
    page = writer_client.get(url(edition, "orga:scheduled-create") + "?preset=thanks")
    page = page.content.decode()
    assert 'name="audience" value="came"' in page
    checked = [
        line for line in page.splitlines() if 'name="audience"' in line and "checked" in line
    ]
    assert len(checked) == 1 and 'value="came"' in checked[0]
    assert "ci, którzy przyszli (wejście zarejestrowane co najmniej jednego dnia)" in page
    writer_client.post(
        url(edition, "orga:scheduled-create"),
        form(name="Podziękowanie", anchor="end", offset_days="1", audience="came"),
    )
    mail = ScheduledMail.objects.get(edition=edition)
    assert mail.audience == "came"
    register(edition, first_name="Ola")  # confirmed, not checked in
    detail = writer_client.get(url(edition, "orga:scheduled-detail", pk=mail.pk)).content
    assert "adresaci: ci, którzy przyszli" in detail.decode()
    assert "na teraz 0 osób." in detail.decode()
    listing = writer_client.get(url(edition)).content.decode()
    assert "Do kogo" in listing and "ci, którzy przyszli" in listing


def test_the_audience_in_english(writer_client, edition):
    from django.utils import translation

    with translation.override("en"):
        create = url(edition, "orga:scheduled-create")
    page = writer_client.get(create + "?preset=thanks").content.decode()
    assert "those who came (checked in on at least one day)" in page
    assert "every confirmed participant" in page


def test_a_bad_audience_is_shown_with_what_was_typed(writer_client, edition):
    response = writer_client.post(
        url(edition, "orga:scheduled-create"),
        form(audience="wszyscy-naraz", subject_pl="Mój temat", name="Po kongresie"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Mój temat"' in page and 'value="Po kongresie"' in page
    assert "orga-field--invalid" in page
    assert not ScheduledMail.objects.exists()


def test_a_change_of_audience_is_kept(writer_client, edition):
    writer_client.post(url(edition, "orga:scheduled-create"), form())
    mail = ScheduledMail.objects.get(edition=edition)
    writer_client.post(url(edition, "orga:scheduled-detail", pk=mail.pk), form(audience="absent"))
    mail.refresh_from_db()
    assert mail.audience == "absent"
