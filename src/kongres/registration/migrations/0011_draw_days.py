# The days a draw gave each winner (kongres-draw-2: those applied for that still had a place).
# The draws made before (kongres-draw-1) gave a winner every day applied for: their winners'
# days given are their days, so that every draw publishes and verifies them alike.

from django.db import migrations, models


def days_given_of_draw_1(apps, schema_editor):
    DrawEntry = apps.get_model("registration", "DrawEntry")
    placed = DrawEntry.objects.filter(outcome="place", draw__algorithm="kongres-draw-1")
    changed = []
    for entry in placed.only("pk", "days").iterator(chunk_size=500):
        if not entry.days:
            continue
        entry.days_given = entry.days
        changed.append(entry)
        if len(changed) == 500:
            DrawEntry.objects.bulk_update(changed, ["days_given"])
            changed = []
    DrawEntry.objects.bulk_update(changed, ["days_given"])


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0010_reconfirmation"),
    ]

    operations = [
        migrations.AddField(
            model_name="drawentry",
            name="days_given",
            field=models.JSONField(blank=True, default=list, verbose_name="days given"),
        ),
        migrations.RunPython(days_given_of_draw_1, migrations.RunPython.noop),
    ]
