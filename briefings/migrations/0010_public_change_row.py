"""The public change counter's one row, so reading the public state never has to create it."""
from django.db import migrations


def create_row(apps, schema_editor):
    apps.get_model("briefings", "PublicChange").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0009_stored_search_vectors"),
    ]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
