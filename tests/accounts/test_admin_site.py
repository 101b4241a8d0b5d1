"""The Django admin is for superusers only (security review 2026-12, H1): participants' data is
handled in the back office (/orga/), under the per-edition roles. The review's dynamic test:
a check-in volunteer of edition A, with an account made the way accounts were made, may not
list, change or act on the registrations and tickets of edition B in the admin."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from kongres.accounts.models import EditionRole
from kongres.accounts.organisers import organiser_create
from kongres.registration.models import Registration
from kongres.registration.tickets import ticket_issue
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory

PASSWORD = "wolontariusz-bramka-2026"


@pytest.fixture
def two_editions(db):
    edition_a = EditionFactory(capacity=10)
    edition_b = EditionFactory(capacity=10)
    registration_b = RegistrationFactory(
        edition=edition_b, verified=True, data__last_name="Brzęczyszczykiewicz"
    )
    ticket_b = ticket_issue(registration=registration_b)
    return {"a": edition_a, "b": edition_b, "registration_b": registration_b, "ticket_b": ticket_b}


def test_a_checkin_volunteer_of_one_edition_gets_nothing_of_another_in_the_admin(
    client, two_editions
):
    volunteer = organiser_create(email="wolontariusz@example.org", password=PASSWORD)
    EditionRole.objects.create(
        edition=two_editions["a"], user=volunteer, role=EditionRole.Role.CHECKIN_STAFF
    )
    registration_b = two_editions["registration_b"]
    ticket_b = two_editions["ticket_b"]
    login = client.post(
        reverse("admin:login"), {"username": "wolontariusz@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200  # the admin's login form refuses the account
    client.force_login(volunteer)  # ... and a session from the back office opens nothing

    changelist = reverse("admin:registration_registration_changelist")
    listing = client.get(changelist, {"edition__id__exact": two_editions["b"].pk})
    action = client.post(
        changelist,
        {"action": "cancel", "_selected_action": [registration_b.pk], "index": 0},
    )
    ticket = client.get(reverse("admin:registration_ticket_change", args=[ticket_b.pk]))

    for response in (listing, action, ticket):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        assert "Brzęczyszczykiewicz" not in response.text
        assert ticket_b.code not in response.text
    registration_b.refresh_from_db()
    assert registration_b.status == Registration.Status.CONFIRMED


def test_the_admin_is_open_to_an_active_superuser(client, two_editions):
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    assert client.login(username="root", password=PASSWORD)
    changelist = reverse("admin:registration_registration_changelist")
    assert "Brzęczyszczykiewicz" in client.get(changelist).text
    root.is_active = False
    root.save(update_fields=["is_active"])
    assert client.get(changelist).status_code == 302


def test_staff_who_are_not_superusers_cannot_log_in_to_the_admin(client, db):
    get_user_model().objects.create_user("dawny", "dawny@example.org", PASSWORD, is_staff=True)
    response = client.post(reverse("admin:login"), {"username": "dawny", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert reverse("orga:login") in response.text  # where their work is


def test_no_two_factor_devices_in_the_admin():
    labels = {model._meta.app_label for model in admin.site._registry}
    assert not labels & {"otp_totp", "otp_static", "otp_email", "otp_hotp", "django_otp"}
