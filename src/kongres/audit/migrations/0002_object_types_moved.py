"""Audit entries name their object by ``app_label.model``; the models that moved in the same
step (roles and settings to ``accounts``, tickets to ``registration``) are renamed in the log,
so that a registration's erasure and history still find them."""

from django.db import migrations

MOVED = {
    "orga.editionrole": "accounts.editionrole",
    "orga.editionsettings": "accounts.editionsettings",
    "orga.auditlogentry": "audit.auditlogentry",
    "checkin.ticket": "registration.ticket",
}


def object_types_renamed(apps, schema_editor):
    AuditLogEntry = apps.get_model("audit", "AuditLogEntry")
    for old, new in MOVED.items():
        AuditLogEntry.objects.filter(object_type=old).update(object_type=new)


def object_types_renamed_back(apps, schema_editor):
    AuditLogEntry = apps.get_model("audit", "AuditLogEntry")
    for old, new in MOVED.items():
        AuditLogEntry.objects.filter(object_type=new).update(object_type=old)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_model_from_orga"),
        ("accounts", "0001_models_from_orga"),
        ("registration", "0004_ticket_moved_here"),
    ]

    operations = [migrations.RunPython(object_types_renamed, object_types_renamed_back)]
