"""Tickets moved here from check-in: the table stays ``checkin_ticket``; only Django's state and the
content type move (check-in's 0003 deletes its state)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def content_type_to_registration(apps, schema_editor):
    """The content types follow the models (permissions and admin history refer to them)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("ticket",):
        if not ContentType.objects.filter(app_label="registration", model=model).exists():
            ContentType.objects.filter(app_label="checkin", model=model).update(app_label="registration")


def content_type_to_registration_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("ticket",):
        if not ContentType.objects.filter(app_label="checkin", model=model).exists():
            ContentType.objects.filter(app_label="registration", model=model).update(app_label="checkin")


def ticket_renderer_renamed(apps, schema_editor):
    """Mails queued before the move name the PDF renderer by its old name."""
    OutboxAttachment = apps.get_model("mail", "OutboxAttachment")
    OutboxAttachment.objects.filter(renderer="checkin.ticket_pdf").update(
        renderer="registration.ticket_pdf"
    )


def ticket_renderer_renamed_back(apps, schema_editor):
    OutboxAttachment = apps.get_model("mail", "OutboxAttachment")
    OutboxAttachment.objects.filter(renderer="registration.ticket_pdf").update(
        renderer="checkin.ticket_pdf"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0004_fewer_indexes'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('checkin', '0002_staff_into_edition_roles'),
        ('registration', '0003_fewer_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Ticket',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=64, unique=True, verbose_name='code')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                        ('registration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tickets', to='registration.registration', verbose_name='registration')),
                    ],
                    options={
                        'verbose_name': 'ticket',
                        'verbose_name_plural': 'tickets',
                        'db_table': 'checkin_ticket',
                        'ordering': ['-created_at', '-pk'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('registration',), name='checkin_ticket_one_active'), models.CheckConstraint(condition=models.Q(('is_active', True), ('revoked_at__isnull', False), _connector='OR'), name='checkin_ticket_revoked_has_time')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_to_registration, content_type_to_registration_back),
        migrations.RunPython(ticket_renderer_renamed, ticket_renderer_renamed_back),
    ]
