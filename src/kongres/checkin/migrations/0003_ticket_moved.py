"""Tickets moved to the registration app (its 0004): check-ins refer to ``registration.Ticket``;
the table and the foreign key in the database are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('checkin', '0002_staff_into_edition_roles'),
        ('registration', '0004_ticket_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='checkin',
                    name='ticket',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='checkins', to='registration.ticket', verbose_name='ticket'),
                ),
                migrations.DeleteModel(
                    name='Ticket',
                ),
            ],
        ),
    ]
