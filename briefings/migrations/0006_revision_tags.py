"""Revisions point at their Tag rows, so readers see the published revision's tags and a merge still reaches them."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Max

BATCH = 1000


def tag_revisions(apps, schema_editor):
    """Give every existing revision its tags.

    A briefing's latest revision takes the working copy's tags: every change
    of tags is saved as a revision, so the two differ only where a tag was
    renamed or merged since, and then the working copy's rows are the right
    ones. Earlier revisions (among them the published revision of a briefing
    whose edit is in review) resolve the names they recorded, ignoring case; a
    name no tag carries any more (deleted or merged away) is left out.
    """
    Revision = apps.get_model("briefings", "Revision")
    RevisionTag = apps.get_model("briefings", "RevisionTag")
    Tag = apps.get_model("briefings", "Tag")
    TaggedBriefing = apps.get_model("briefings", "TaggedBriefing")

    tag_by_name = {name.casefold(): pk for pk, name in Tag.objects.values_list("pk", "name")}
    working = {}
    for briefing_id, tag_id in TaggedBriefing.objects.values_list("content_object_id", "tag_id"):
        working.setdefault(briefing_id, set()).add(tag_id)
    latest = dict(
        Revision.objects.order_by().values("briefing_id").annotate(last=Max("number")).values_list("briefing_id", "last")
    )
    rows = []
    revisions = Revision.objects.order_by("pk").values_list("pk", "briefing_id", "number", "tag_names")
    for pk, briefing_id, number, names in revisions.iterator(chunk_size=BATCH):
        if number == latest[briefing_id]:
            tag_ids = working.get(briefing_id, set())
        else:
            keys = {str(name).casefold() for name in names or []}
            tag_ids = {tag_by_name[key] for key in keys if key in tag_by_name}
        rows.extend(RevisionTag(revision_id=pk, tag_id=tag_id) for tag_id in sorted(tag_ids))
        if len(rows) >= BATCH:
            RevisionTag.objects.bulk_create(rows)
            rows = []
    RevisionTag.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('briefings', '0005_citation_reanchoring'),
    ]

    operations = [
        migrations.CreateModel(
            name='RevisionTag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('revision', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tagged_items', to='briefings.revision')),
                ('tag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revision_tags', to='briefings.tag')),
            ],
        ),
        migrations.AddField(
            model_name='revision',
            name='tags',
            field=models.ManyToManyField(blank=True, related_name='revisions', through='briefings.RevisionTag', to='briefings.tag'),
        ),
        migrations.AddConstraint(
            model_name='revisiontag',
            constraint=models.UniqueConstraint(fields=('revision', 'tag'), name='revision_tag_unique'),
        ),
        # Going back drops the table, and the rows with it.
        migrations.RunPython(tag_revisions, migrations.RunPython.noop),
    ]
