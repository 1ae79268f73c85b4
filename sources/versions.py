"""Reading source versions: a version's passages, the places of pinned citations, and version differences.

Versions are written by ``importer``; this module only reads them, for the reader site, the footnotes and
the admin.
"""
import difflib
from dataclasses import dataclass, field

from django.db.models import Max

from .diff import diff_words
from .models import SourceVersion, VersionPassage, place_label

# How many passages one page of a source or version shows: a 20 MB source has tens of thousands.
PASSAGES_PER_PAGE = 200


def placements(version):
    """The version's passages in order, each a VersionPassage with its Passage (words and stable anchor)."""
    return version.placements.select_related("passage").order_by("ordinal")


def page_of(ordinal, per_page=PASSAGES_PER_PAGE):
    """The 1-based page that shows the passage at ``ordinal``."""
    return (ordinal - 1) // per_page + 1


@dataclass(frozen=True)
class PinnedPlace:
    """Where a pinned citation's passage sits in the version it quoted, and the source's latest version."""

    version_number: int
    label: str  # "paragraph 4", "the heading"…
    latest_number: int


def pinned_places(citations):
    """{citation's (source_version_id, passage_id): PinnedPlace} for citations pinned to a version.

    Two queries whatever the number of citations: one for the places, one for the latest version numbers.
    """
    keys = {(c.source_version_id, c.passage_id) for c in citations if getattr(c, "source_version_id", None)}
    if not keys:
        return {}
    rows = (
        VersionPassage.objects.filter(
            version_id__in={v for v, _ in keys}, passage_id__in={p for _, p in keys}
        )
        .values_list("version_id", "passage_id", "version__number", "version__source_id", "kind", "kind_position")
    )
    found = [row for row in rows if (row[0], row[1]) in keys]
    latest = dict(
        SourceVersion.objects.filter(source_id__in={row[3] for row in found})
        .values("source_id")
        .annotate(latest=Max("number"))
        .values_list("source_id", "latest")
    )
    return {
        (version_id, passage_id): PinnedPlace(number, place_label(kind, position), latest[source_id])
        for version_id, passage_id, number, source_id, kind, position in found
    }


@dataclass
class PassageChange:
    """One entry of a version difference: ``kind`` is "equal", "insert", "delete" or "replace".

    ``old`` and ``new`` are VersionPassage rows; a replaced passage carries word ``segments``.
    """

    kind: str
    old: object = None
    new: object = None
    segments: list = field(default_factory=list)


def diff_versions(old, new):
    """What changed from version ``old`` to version ``new``, passage by passage, changed words marked."""
    before, after = list(placements(old)), list(placements(new))
    matcher = difflib.SequenceMatcher(
        None, [p.passage_id for p in before], [p.passage_id for p in after], autojunk=False
    )
    changes = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs = zip(before[i1:i2], after[j1:j2], strict=True)
            changes.extend(PassageChange("equal", old=o, new=n) for o, n in pairs)
        elif op == "delete":
            changes.extend(PassageChange("delete", old=o) for o in before[i1:i2])
        elif op == "insert":
            changes.extend(PassageChange("insert", new=n) for n in after[j1:j2])
        else:
            olds, news = before[i1:i2], after[j1:j2]
            for o, n in zip(olds, news, strict=False):
                changes.append(
                    PassageChange("replace", old=o, new=n, segments=diff_words(o.passage.text, n.passage.text))
                )
            changes.extend(PassageChange("delete", old=o) for o in olds[len(news):])
            changes.extend(PassageChange("insert", new=n) for n in news[len(olds):])
    return changes
