"""The shared cache's table (settings.CACHES), made by `migrate` like every other table, so that an
installation needs no extra `createcachetable` step and log-in throttling holds from the first start."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Creates the table of every database cache in settings.CACHES, unless it exists already.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    schema_editor.execute(f"DROP TABLE IF EXISTS {quote(settings.CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
