"""The redesign moved four models without touching their tables: the audit log to ``audit``,
roles and access settings to ``accounts``, tickets to ``registration``. Rows written before the
move are read after it, the content types follow the models, the audit log's object types and
the queued mails' PDF renderer are renamed; and all of it goes back when migrating backwards."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kongres.accounts.models import EditionRole, EditionSettings
from kongres.audit.models import AuditLogEntry
from kongres.mail.models import OutboxAttachment
from kongres.registration.models import Ticket
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory

BEFORE = [
    ("orga", "0002_fewer_indexes"),
    ("checkin", "0002_staff_into_edition_roles"),
    ("registration", "0003_fewer_indexes"),
]
MOVES = {
    ("audit", "0001_model_from_orga"),
    ("accounts", "0001_models_from_orga"),
    ("registration", "0004_ticket_moved_here"),
    ("checkin", "0003_ticket_moved"),
    ("orga", "0003_models_moved"),
    ("audit", "0002_object_types_moved"),
}


def migrate_back():
    """Unapply the moves; the models of then (of every migration applied)."""
    executor = MigrationExecutor(connection)
    executor.migrate([*BEFORE, ("audit", None), ("accounts", None)])
    executor.loader.build_graph()
    graph = executor.loader.graph
    applied = [node for node in executor.loader.applied_migrations if node in graph.nodes]
    assert not MOVES & set(applied)
    return executor.loader.project_state(applied).apps


def migrate_forward():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def app_labels(*models: str) -> dict[str, str]:
    return dict(ContentType.objects.filter(model__in=models).values_list("model", "app_label"))


@pytest.mark.django_db(transaction=True)
def test_moved_models_keep_their_rows_and_content_types():
    edition = EditionFactory()
    registration = RegistrationFactory(edition=edition, data__day_ids=[], verified=True)
    user = get_user_model().objects.create_user(username="organizatorka")
    ContentType.objects.get_for_models(AuditLogEntry, EditionRole, EditionSettings, Ticket)
    try:
        old = migrate_back()
        assert app_labels("auditlogentry", "editionrole", "editionsettings", "ticket") == {
            "auditlogentry": "orga",
            "editionrole": "orga",
            "editionsettings": "orga",
            "ticket": "checkin",
        }
        role = old.get_model("orga", "EditionRole").objects.create(
            edition_id=edition.pk, user_id=user.pk, role="admin"
        )
        old.get_model("orga", "EditionSettings").objects.create(
            edition_id=edition.pk, requires_two_factor=True
        )
        ticket = old.get_model("checkin", "Ticket").objects.create(
            registration_id=registration.pk,
            code="OLDCODE",
            created_at=timezone.now(),
            is_active=False,  # the registration has its active one
            revoked_at=timezone.now(),
        )
        old.get_model("orga", "AuditLogEntry").objects.create(
            action="role.grant", object_type="orga.editionrole", object_id=str(role.pk)
        )
        old.get_model("orga", "AuditLogEntry").objects.create(
            action="registration.ticket_reissue",
            object_type="checkin.ticket",
            object_id=str(ticket.pk),
        )
        message = old.get_model("mail", "OutboxMessage").objects.create(
            to="a@example.org",
            subject="s",
            body_text="b",
            message_id="<m@x>",
            next_attempt_at=timezone.now(),
        )
        old.get_model("mail", "OutboxAttachment").objects.create(
            message=message,
            filename="t.pdf",
            mimetype="application/pdf",
            renderer="checkin.ticket_pdf",
            params={"ticket": ticket.pk},
        )

        migrate_forward()

        assert EditionRole.objects.get(pk=role.pk).user == user
        assert EditionSettings.objects.get(edition=edition).requires_two_factor
        assert Ticket.objects.filter(code="OLDCODE", registration=registration).exists()
        moved = AuditLogEntry.objects.filter(
            action__in=["role.grant", "registration.ticket_reissue"]
        )
        assert dict(moved.values_list("action", "object_type")) == {
            "role.grant": "accounts.editionrole",
            "registration.ticket_reissue": "registration.ticket",
        }
        assert OutboxAttachment.objects.get(filename="t.pdf").renderer == (
            "registration.ticket_pdf"
        )
        assert app_labels("auditlogentry", "editionrole", "editionsettings", "ticket") == {
            "auditlogentry": "audit",
            "editionrole": "accounts",
            "editionsettings": "accounts",
            "ticket": "registration",
        }
    finally:
        migrate_forward()
