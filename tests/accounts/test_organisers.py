"""What the "Organisers" group may do in the admin: the congress content, and the
registrations and check-in of the registration and check-in apps (but no adding or deleting
registrations, no user accounts)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from kongres.accounts.organisers import ORGANISERS_GROUP, organiser_create, organisers_group_ensure
from kongres.checkin.models import Gate
from kongres.registration.models import Registration
from tests.factories import EditionFactory
from tests.factories.registration import QuestionFactory, RegistrationFactory

PASSWORD = "kongres-organizator-2026"


@pytest.fixture
def organiser_client(client, db):
    user = organiser_create(email="olga@example.org", password=PASSWORD)
    client.force_login(user)
    return client


@pytest.fixture
def edition(db):
    return EditionFactory(capacity=1)


def test_organisers_see_and_change_registrations_but_do_not_add_or_delete_them(
    organiser_client, edition
):
    seated = RegistrationFactory(edition=edition, verified=True, data__last_name="Kowalska")
    waiting = RegistrationFactory(edition=edition, verified=True, data__last_name="Nowak")
    assert Registration.objects.get(pk=waiting.pk).status == Registration.Status.WAITING

    changelist = organiser_client.get(reverse("admin:registration_registration_changelist"))
    assert changelist.status_code == 200
    assert "Kowalska" in changelist.content.decode()
    actions = [
        value for value, _label in changelist.context["action_form"].fields["action"].choices
    ]
    assert {"approve", "cancel", "offer", "resend"} <= set(actions)
    change = reverse("admin:registration_registration_change", args=[seated.pk])
    assert organiser_client.get(change).status_code == 200
    add = reverse("admin:registration_registration_add")
    assert organiser_client.get(add).status_code == 403
    delete = reverse("admin:registration_registration_delete", args=[seated.pk])
    assert organiser_client.get(delete).status_code == 403

    organiser_client.post(
        reverse("admin:registration_registration_changelist"),
        {"action": "cancel", "_selected_action": [seated.pk]},
    )

    assert Registration.objects.get(pk=seated.pk).status == Registration.Status.CANCELLED
    assert Registration.objects.get(pk=waiting.pk).status == Registration.Status.OFFERED


def test_organisers_edit_the_questions(organiser_client, edition):
    question = QuestionFactory(edition=edition, label_pl="Czy potrzebujesz noclegu?")
    for name, args in (("changelist", []), ("add", []), ("change", [question.pk])):
        url = reverse(f"admin:registration_question_{name}", args=args)
        assert organiser_client.get(url).status_code == 200, name
    delete = reverse("admin:registration_question_delete", args=[question.pk])
    organiser_client.post(delete, {"post": "yes"})
    assert not edition.questions.exists()


def test_organisers_see_tickets_and_scans_and_set_up_gates(organiser_client, edition):
    for url in (
        reverse("admin:registration_ticket_changelist"),
        reverse("admin:checkin_checkin_changelist"),
        reverse("admin:checkin_gate_changelist"),
        reverse("admin:checkin_gate_add"),
    ):
        assert organiser_client.get(url).status_code == 200, url
    organiser_client.post(
        reverse("admin:checkin_gate_add"), {"edition": edition.pk, "name": "Brama A", "order": 0}
    )
    assert list(Gate.objects.values_list("name", flat=True)) == ["Brama A"]
    assert organiser_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_an_existing_group_gets_the_new_permissions(db):
    group = Group.objects.create(name=ORGANISERS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="events"))

    assert organisers_group_ensure() == group
    organisers_group_ensure()

    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("registration", "change_registration") in codenames
    assert ("registration", "add_registration") not in codenames
    assert ("registration", "delete_registration") not in codenames
    assert ("checkin", "change_gate") in codenames
    assert ("content", "change_newspost") in codenames
    assert group.permissions.count() == len(codenames)
