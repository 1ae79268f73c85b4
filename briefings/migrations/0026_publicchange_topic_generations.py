from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("briefings", "0025_passage_search_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="publicchange",
            name="sources_generation",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="publicchange",
            name="tags_generation",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="publicchange",
            name="bylines_generation",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="publicchange",
            name="corrections_generation",
            field=models.BigIntegerField(default=0),
        ),
    ]
