"""Check-in staff become the back office's role "check-in staff" (``orga.EditionRole``), which
check-in already accepted: each StaffAssignment is copied into a role, then the model goes
(and with it the "perform_checkin" permission the assignment needed). Reversible."""

from django.db import migrations

ROLE = "checkin_staff"


def assignments_to_roles(apps, schema_editor):
    StaffAssignment = apps.get_model("checkin", "StaffAssignment")
    EditionRole = apps.get_model("orga", "EditionRole")
    existing = set(EditionRole.objects.filter(role=ROLE).values_list("edition_id", "user_id"))
    EditionRole.objects.bulk_create(
        EditionRole(edition_id=edition_id, user_id=user_id, role=ROLE, created_at=created_at)
        for edition_id, user_id, created_at in StaffAssignment.objects.values_list(
            "edition_id", "user_id", "created_at"
        )
        if (edition_id, user_id) not in existing
    )


def roles_to_assignments(apps, schema_editor):
    StaffAssignment = apps.get_model("checkin", "StaffAssignment")
    EditionRole = apps.get_model("orga", "EditionRole")
    StaffAssignment.objects.bulk_create(
        StaffAssignment(edition_id=edition_id, user_id=user_id)
        for edition_id, user_id in EditionRole.objects.filter(role=ROLE).values_list(
            "edition_id", "user_id"
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("checkin", "0001_initial"),
        ("orga", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(assignments_to_roles, roles_to_assignments),
        migrations.RemoveConstraint(
            model_name="staffassignment",
            name="checkin_staff_unique",
        ),
        migrations.AlterModelOptions(
            name="checkin",
            options={
                "ordering": ["-scanned_at", "-pk"],
                "verbose_name": "check-in",
                "verbose_name_plural": "check-ins",
            },
        ),
        migrations.DeleteModel(
            name="StaffAssignment",
        ),
    ]
