"""The back office's reconfirmation page: settings saved (bad input kept as typed), where the
round stands, who did not answer."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kongres.registration.models import ReconfirmationRound
from kongres.registration.services.reconfirm import reconfirmation_due
from tests.factories.registration import RegistrationFactory


@pytest.fixture
def admin_client(client, role_user):
    client.force_login(role_user("admin"))
    return client


def url(edition):
    return reverse("orga:reconfirmation", kwargs={"edition": edition.slug})


def data(**changes):
    values = {
        "enabled": "on",
        "days_before": "7",
        "reminder_after_days": "2",
        "deadline_days_before": "2",
        "warning_hours": "24",
        "on_no_answer": "release",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_the_settings_are_saved(admin_client, edition):
    response = admin_client.post(url(edition), data())
    assert response.status_code == 302
    round_ = ReconfirmationRound.objects.get(edition=edition)
    assert (round_.enabled, round_.days_before, round_.deadline_days_before) == (True, 7, 2)
    assert round_.on_no_answer == "release"
    page = admin_client.get(url(edition)).content.decode()
    assert 'value="7"' in page and "Zapytani" in page


def test_bad_input_is_shown_with_what_was_typed(admin_client, edition):
    response = admin_client.post(
        url(edition), data(days_before="3", deadline_days_before="5", warning_hours="abc")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Termin musi przypadać po pytaniu" in page
    assert 'name="days_before" value="3"' in page
    assert 'name="deadline_days_before" value="5"' in page
    assert 'name="warning_hours" value="abc"' in page
    assert 'value="release" required id="id_on_no_answer_0" checked' in page
    assert not ReconfirmationRound.objects.exists()


def test_the_counts_and_who_did_not_answer(admin_client, edition):
    now = timezone.now()
    edition.start_date = (now + dt.timedelta(days=20)).date()
    edition.save()
    person = RegistrationFactory(
        edition=edition, now=now, verified=True, data__day_ids=[edition.days.get().pk]
    )
    admin_client.post(url(edition), data(on_no_answer="flag"))
    round_ = ReconfirmationRound.objects.get(edition=edition)
    reconfirmation_due(now=round_.asks_at)
    reconfirmation_due(now=round_.deadline)
    page = admin_client.get(url(edition)).content.decode()
    assert person.full_name in page
    assert "oznaczono" in page


def test_a_manager_without_the_settings_right_gets_403(client, role_user, edition):
    client.force_login(role_user("registration_manager"))
    assert client.post(url(edition), data()).status_code == 403
    assert not ReconfirmationRound.objects.exists()
