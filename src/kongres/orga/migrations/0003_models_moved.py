"""The audit log (``audit``), the roles and the access settings (``accounts``) left the back office:
only Django's state changes here; the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('checkin', '0002_staff_into_edition_roles'),
        ('accounts', '0001_models_from_orga'),
        ('audit', '0001_model_from_orga'),
        ('orga', '0002_fewer_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='EditionSettings',
                ),
                migrations.DeleteModel(
                    name='AuditLogEntry',
                ),
                migrations.DeleteModel(
                    name='EditionRole',
                ),
            ],
        ),
    ]
