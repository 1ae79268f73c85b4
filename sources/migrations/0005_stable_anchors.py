"""Existing passages get anchor numbers equal to their current ``p-<n>``, and each source a first version.

Links already out there (``/sources/<slug>/#p-15``) keep opening the same paragraph. A retired passage
whose ``p-<n>`` a current one now carries gets a fresh number past every anchor the source has used, so no
anchor is shared. Each source's current text becomes its version 1, with its current passages in order.
"""
import re

from django.db import migrations

ANCHOR = re.compile(r"^p-(\d+)$")
BATCH = 2000


def kind_positions(passages):
    seen = {}
    positions = []
    for passage in passages:
        seen[passage.kind] = seen.get(passage.kind, 0) + 1
        positions.append(seen[passage.kind])
    return positions


def forwards(apps, schema_editor):
    Source = apps.get_model("sources", "Source")
    Passage = apps.get_model("sources", "Passage")
    SourceVersion = apps.get_model("sources", "SourceVersion")
    VersionPassage = apps.get_model("sources", "VersionPassage")
    for source in Source.objects.order_by("pk").iterator(chunk_size=200):
        passages = list(Passage.objects.filter(source=source).order_by("retired", "ordinal", "pk"))
        taken = set()
        later = []
        for passage in passages:
            match = ANCHOR.match(passage.anchor)
            number = int(match.group(1)) if match else None
            if number and number not in taken:
                passage.anchor_number = number
                taken.add(number)
            else:
                later.append(passage)
        next_number = max(taken, default=0) + 1
        for passage in later:
            passage.anchor_number = next_number
            next_number += 1
        current = [p for p in passages if not p.retired]
        for passage, position in zip(current, kind_positions(current), strict=True):
            passage.kind_position = position
        for passage in passages:
            passage.anchor = f"p-{passage.anchor_number}"
        Passage.objects.bulk_update(passages, ["anchor_number", "anchor", "kind_position"], batch_size=BATCH)
        source.next_anchor = next_number
        source.save(update_fields=["next_anchor"])
        version = SourceVersion.objects.create(
            source=source,
            number=1,
            text=source.text,
            content_hash=source.content_hash,
            imported_at=source.updated_at,
            origin=source.origin,
            passages_added=len(current),
        )
        VersionPassage.objects.bulk_create(
            (
                VersionPassage(
                    version=version,
                    passage=passage,
                    ordinal=passage.ordinal,
                    start=passage.start,
                    end=passage.end,
                    kind=passage.kind,
                    kind_position=passage.kind_position,
                )
                for passage in current
            ),
            batch_size=BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [("sources", "0004_source_versions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
