"""Duplicates are found on the normalised address (``email_key``): the field, filled for the
existing rows, and the constraint of one active registration per address and edition on it.

Existing active rows whose normalised addresses collide in an edition (``jan+1@gmail.com`` and
``jan+2@gmail.com``, both registered before) keep an empty key, so that they are compared by
``lower(email)`` as before and the migration never fails; new registrations are checked on the
normalised address."""

import django.db.models.functions.comparison
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from kongres.registration.validators import email_key

ACTIVE = ("held", "offered", "pending_approval", "confirmed", "waiting_unverified", "waiting")


def fill_email_key(apps, schema_editor):
    Registration = apps.get_model("registration", "Registration")
    taken: set[tuple[int, str]] = set()
    changed = []
    rows = Registration.objects.order_by("pk").values_list("pk", "edition_id", "email", "status")
    for pk, edition_id, email, status in rows.iterator(chunk_size=2000):
        key = email_key(email)
        if status in ACTIVE:
            if (edition_id, key) in taken:
                continue  # an older active registration has it: compared by lower(email)
            taken.add((edition_id, key))
        changed.append(Registration(pk=pk, email_key=key))
    Registration.objects.bulk_update(changed, ["email_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_edition_registration_settings"),
        ("registration", "0004_ticket_moved_here"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="email_key",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=254,
                null=True,
                verbose_name="e-mail address, normalised",
            ),
        ),
        migrations.RunPython(fill_email_key, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="registration",
            name="registration_active_email_unique",
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(
                django.db.models.functions.comparison.Coalesce(
                    "email_key", django.db.models.functions.text.Lower("email")
                ),
                models.F("edition"),
                condition=models.Q(("status__in", ACTIVE)),
                name="registration_active_email_unique",
            ),
        ),
    ]
