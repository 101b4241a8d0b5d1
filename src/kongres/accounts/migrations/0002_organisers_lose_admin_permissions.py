"""Security review 2026-12, H1: the group "Organisers" gave its members the admin on the
content, registrations, tickets and scans of every edition, whatever their role in an edition.
The admin is now for superusers only; the group keeps no permission, and its members who are
not superusers are no longer staff (the flag meant "may log in to the admin"). Their roles in
the editions (the back office) are untouched. Going back gives nothing back."""

from django.conf import settings
from django.db import migrations

ORGANISERS_GROUP = "Organisers"


def organisers_lose_admin_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    group = Group.objects.filter(name=ORGANISERS_GROUP).first()
    if group is None:
        return
    group.permissions.clear()
    User.objects.filter(groups=group, is_staff=True, is_superuser=False).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_models_from_orga"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(organisers_lose_admin_permissions, migrations.RunPython.noop),
    ]
