"""Roles and access settings moved here from the back office (``orga``): the tables stay
``orga_editionrole`` and ``orga_editionsettings``; only Django's state and the content types move."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_types_to_accounts(apps, schema_editor):
    """The content types follow the models (permissions and admin history refer to them)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("editionrole", "editionsettings"):
        if not ContentType.objects.filter(app_label="accounts", model=model).exists():
            ContentType.objects.filter(app_label="orga", model=model).update(app_label="accounts")


def content_types_to_accounts_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("editionrole", "editionsettings"):
        if not ContentType.objects.filter(app_label="orga", model=model).exists():
            ContentType.objects.filter(app_label="accounts", model=model).update(app_label="orga")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('orga', '0002_fewer_indexes'),
        ('events', '0002_edition_registration_settings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EditionSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('requires_two_factor', models.BooleanField(default=False, help_text='Organisers must confirm a code from an authenticator app to open its pages.', verbose_name='requires two-factor authentication')),
                        ('edition', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='orga_settings', to='events.edition', verbose_name='edition')),
                    ],
                    options={
                        'verbose_name': 'back-office settings',
                        'verbose_name_plural': 'back-office settings',
                        'db_table': 'orga_editionsettings',
                    },
                ),
                migrations.CreateModel(
                    name='EditionRole',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('admin', 'administrator'), ('registration_manager', 'registration manager'), ('editor', 'editor (content only)'), ('checkin_staff', 'check-in staff')], max_length=30, verbose_name='role')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='granted')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='granted by')),
                        ('edition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='orga_roles', to='events.edition', verbose_name='edition')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='edition_roles', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'role in an edition',
                        'verbose_name_plural': 'roles in editions',
                        'db_table': 'orga_editionrole',
                        'ordering': ['edition', 'role', 'user__email'],
                        'constraints': [models.UniqueConstraint(fields=('edition', 'user', 'role'), name='orga_editionrole_unique')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_to_accounts, content_types_to_accounts_back),
    ]
