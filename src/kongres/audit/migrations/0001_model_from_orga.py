"""The audit log moved here from the back office (``orga``): the table stays ``orga_auditlogentry``;
only Django's state and the content type move."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_type_to_audit(apps, schema_editor):
    """The content types follow the models (permissions and admin history refer to them)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("auditlogentry",):
        if not ContentType.objects.filter(app_label="audit", model=model).exists():
            ContentType.objects.filter(app_label="orga", model=model).update(app_label="audit")


def content_type_to_audit_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("auditlogentry",):
        if not ContentType.objects.filter(app_label="orga", model=model).exists():
            ContentType.objects.filter(app_label="audit", model=model).update(app_label="orga")


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
                    name='AuditLogEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when')),
                        ('actor_label', models.CharField(blank=True, max_length=254, verbose_name='who (as recorded)')),
                        ('action', models.CharField(max_length=60, verbose_name='action')),
                        ('object_type', models.CharField(max_length=60, verbose_name='object type')),
                        ('object_id', models.CharField(blank=True, max_length=64, verbose_name='object id')),
                        ('object_label', models.CharField(blank=True, max_length=300, verbose_name='object')),
                        ('before', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='before')),
                        ('after', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='after')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who')),
                        ('edition', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='audit_log', to='events.edition', verbose_name='edition')),
                    ],
                    options={
                        'verbose_name': 'audit log entry',
                        'verbose_name_plural': 'audit log',
                        'db_table': 'orga_auditlogentry',
                        'ordering': ['-at', '-pk'],
                        'indexes': [models.Index(fields=['object_type', 'object_id'], name='orga_audit_object_idx'), models.Index(fields=['edition', '-at'], name='orga_audit_edition_idx'), models.Index(fields=['action'], name='orga_audit_action_idx')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_to_audit, content_type_to_audit_back),
    ]
