"""Published revisions' stored HTML gets the pinned footnote links; the words readers see do not change.

Each footnote of a published revision now opens the version of its source it quoted,
``/sources/<slug>/versions/<n>/?cite=<revision citation>#p-<anchor>``. Only the links and the place
wording ("paragraph 4", "the heading") change: the body and quotes are the revision's own.
Historical models carry no methods, so the few the footnotes read are given here.
"""
from types import SimpleNamespace

from django.db import migrations
from django.db.models import Max
from django.urls import reverse

from briefings.markdown import render_body
from sources.models import opening_words, place_label
from sources.versions import PinnedPlace


def _source(source):
    return SimpleNamespace(
        slug=source.slug,
        display_title=source.title or opening_words(source.text),
        get_absolute_url=lambda: reverse("public:source_detail", kwargs={"slug": source.slug}),
    )


def forwards(apps, schema_editor):
    Revision = apps.get_model("briefings", "Revision")
    RevisionCitation = apps.get_model("briefings", "RevisionCitation")
    SourceVersion = apps.get_model("sources", "SourceVersion")
    VersionPassage = apps.get_model("sources", "VersionPassage")
    latest = dict(SourceVersion.objects.values("source_id").annotate(n=Max("number")).values_list("source_id", "n"))
    sources = {}
    for revision in Revision.objects.filter(published_as__isnull=False).order_by("pk").iterator(chunk_size=100):
        citations, places = [], {}
        for row in RevisionCitation.objects.filter(revision=revision).select_related("passage__source"):
            passage = row.passage
            if passage.source_id not in sources:
                sources[passage.source_id] = _source(passage.source)
            shown = SimpleNamespace(
                pk=row.pk, label=row.label, quote=row.quote, prefix=row.prefix, suffix=row.suffix, note=row.note,
                status=row.status, passage_id=row.passage_id, source_version_id=row.source_version_id,
                passage=SimpleNamespace(
                    anchor=passage.anchor, retired=passage.retired, source=sources[passage.source_id],
                    place_label=place_label(passage.kind, passage.kind_position),
                ),
            )
            citations.append(shown)
            if row.source_version_id:
                placement = (
                    VersionPassage.objects.filter(version_id=row.source_version_id, passage_id=row.passage_id)
                    .select_related("version")
                    .first()
                )
                if placement is not None:
                    places[(row.source_version_id, row.passage_id)] = PinnedPlace(
                        placement.version.number,
                        place_label(placement.kind, placement.kind_position),
                        latest[passage.source_id],
                    )
        html = render_body(revision.body, citations, places)
        # A queryset update: revisions are append-only for their content, and only the links change here.
        Revision.objects.filter(pk=revision.pk).update(body_html=html)


class Migration(migrations.Migration):
    dependencies = [("briefings", "0014_pin_citations")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
