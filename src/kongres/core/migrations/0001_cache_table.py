"""The database cache's table (``settings.CACHE_TABLE``): the shared cache when no Redis is
configured, and the fallback while Redis is unreachable (``kongres.core.cachebackend``)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Django's own command: creates the table of every DatabaseCache in CACHES, if missing.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
