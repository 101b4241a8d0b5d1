"""The data migration that made check-in staff a back-office role: every StaffAssignment becomes
an ``orga.EditionRole`` "check-in staff" (once), and back again when migrating backwards."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import EditionFactory

BEFORE = [("checkin", "0001_initial")]
AFTER = [("checkin", "0002_staff_into_edition_roles")]


def migrate(targets):
    """Migrate check-in to ``targets``; the models of then (of every migration applied)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    applied = [
        node for node in executor.loader.applied_migrations if node in executor.loader.graph.nodes
    ]
    return executor.loader.project_state(applied).apps


def usernames(queryset) -> list[str]:
    return sorted(queryset.values_list("user__username", flat=True))


@pytest.mark.django_db(transaction=True)
def test_staff_assignments_become_checkin_staff_roles_and_back():
    edition = EditionFactory()
    users = get_user_model().objects
    keeper = users.create_user(username="bramkarz")
    both = users.create_user(username="oboje")  # has the role already
    try:
        apps = migrate(BEFORE)
        StaffAssignment = apps.get_model("checkin", "StaffAssignment")
        EditionRole = apps.get_model("orga", "EditionRole")
        for user in (keeper, both):
            StaffAssignment.objects.create(edition_id=edition.pk, user_id=user.pk)
        EditionRole.objects.create(edition_id=edition.pk, user_id=both.pk, role="checkin_staff")

        apps = migrate(AFTER)

        EditionRole = apps.get_model("orga", "EditionRole")
        assert usernames(EditionRole.objects.filter(role="checkin_staff")) == ["bramkarz", "oboje"]
        with pytest.raises(LookupError):
            apps.get_model("checkin", "StaffAssignment")

        apps = migrate(BEFORE)

        StaffAssignment = apps.get_model("checkin", "StaffAssignment")
        assert usernames(StaffAssignment.objects.all()) == ["bramkarz", "oboje"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
