# A scheduled mail's audience among the confirmed participants: everyone, those who came
# (checked in on at least one day), those who did not. Thank-you mails of the preset still
# planned go to those who came from now on (they went to everyone confirmed).

from django.db import migrations, models

THANKS_SUBJECT_PL = "Dziękujemy za udział w kongresie"  # the preset's (orga/scheduled.py)


def thanks_to_those_who_came(apps, schema_editor):
    ScheduledMail = apps.get_model("campaigns", "ScheduledMail")
    ScheduledMail.objects.filter(
        status="scheduled", anchor="end", offset_days__gt=0, subject_pl=THANKS_SUBJECT_PL
    ).update(audience="came")


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0003_scheduled"),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduledmail",
            name="audience",
            field=models.CharField(
                choices=[
                    ("confirmed", "every confirmed participant"),
                    ("came", "those who came (checked in on at least one day)"),
                    ("absent", "those who did not come (never checked in)"),
                ],
                default="confirmed",
                max_length=10,
                verbose_name="to",
            ),
        ),
        migrations.RunPython(thanks_to_those_who_came, migrations.RunPython.noop),
    ]
