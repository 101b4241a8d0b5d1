"""Organiser accounts after security review 2026-12, H1: the command line makes superusers
(and the demo organiser); the group "Organisers" keeps no permission (the migration
``accounts.0002``), and its members who are not superusers are no longer staff."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.urls import reverse

from kongres.accounts.models import EditionRole
from kongres.accounts.organisers import ORGANISERS_GROUP, organiser_create
from tests.factories import EditionFactory

PASSWORD = "kongres-organizator-2026"
BEFORE = [("accounts", "0001_models_from_orga")]
AFTER = [("accounts", "0002_organisers_lose_admin_permissions")]
# What the group held before (kongres.accounts.organisers until 2026-12).
OLD_PERMISSIONS = Q(content_type__app_label__in=["events", "content"]) | Q(
    content_type__app_label="registration",
    codename__in=["view_registration", "change_registration", "view_ticket", "change_ticket"],
)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()


@pytest.mark.django_db(transaction=True)
def test_the_organisers_group_loses_its_permissions_and_its_members_the_admin():
    edition = EditionFactory()
    users = get_user_model().objects
    try:
        migrate(BEFORE)
        group = Group.objects.create(name=ORGANISERS_GROUP)
        group.permissions.add(*Permission.objects.filter(OLD_PERMISSIONS))
        other = Group.objects.create(name="Redakcja")
        other.permissions.add(*Permission.objects.filter(content_type__app_label="content"))
        volunteer = users.create_user("wolontariusz", is_staff=True)
        boss = users.create_superuser("szefowa", "szefowa@example.org", PASSWORD)
        users.create_user("inny", is_staff=True)  # staff, not in the group
        for user in (volunteer, boss):
            user.groups.add(group)
        EditionRole.objects.create(edition=edition, user=volunteer, role="checkin_staff")
        assert group.permissions.count() > 10

        migrate(AFTER)

        group.refresh_from_db()
        assert group.permissions.count() == 0
        assert other.permissions.count() > 0  # other groups are not touched
        staff = dict(users.values_list("username", "is_staff"))
        assert staff == {"wolontariusz": False, "szefowa": True, "inny": True}
        assert users.get(username="szefowa").is_superuser
        assert list(EditionRole.objects.values_list("user__username", "role")) == [
            ("wolontariusz", "checkin_staff")
        ]
        assert not users.get(username="wolontariusz").has_perm("registration.view_registration")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_organiser_create_without_superuser_makes_no_staff(db):
    user = organiser_create(email="Anna@Example.ORG", password=PASSWORD)
    assert (user.username, user.is_staff, user.is_superuser) == ("Anna@example.org", False, False)
    assert not user.groups.exists()
    assert not user.get_all_permissions()


def test_organiser_create_superuser_opens_the_admin(client, db):
    organiser_create(email="boss@example.org", password=PASSWORD, superuser=True)
    assert client.login(username="boss@example.org", password=PASSWORD)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
