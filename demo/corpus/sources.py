"""Sources split into passages exactly as the importer would split them (``sources.text.split``)."""
import datetime
import itertools
import random
from dataclasses import dataclass

from sources import text as passage_text
from sources.importer import kind_positions
from sources.models import Passage, Source
from sources.slugs import slug_base, unique_slug

from .plan import BATCH, BENCHMARK_SOURCE_PASSAGES, BENCHMARK_SOURCE_SLUG, ORIGIN_PREFIX
from .text import article_lines, headline

PUBLISHERS = ["Caucasus Wire", "Eurasia Daily", "Caspian Monitor", "Black Sea Post", "Steppe Review"]


@dataclass(frozen=True)
class SourceLink:
    """What footnotes show of a source, worked out once per source instead of once per footnote."""

    url: str
    display_title: str
    publisher: str = ""
    published_on: object = None

    def get_absolute_url(self):
        return self.url


@dataclass(frozen=True)
class CorpusPassage:
    """A citable passage, with what quoting and rendering a footnote need."""

    pk: int
    source_index: int
    source: SourceLink
    ordinal: int
    anchor: str
    text: str
    retired: bool = False
    place_label: str = ""


class CitablePassages:
    """The passages briefings may quote, by source: a briefing quotes passages of a few sources."""

    def __init__(self, passages):
        self.by_source = {}
        for item in passages:
            self.by_source.setdefault(item.source_index, []).append(item)
        self.sources = sorted(self.by_source)

    def choose(self, rng, count):
        sources = rng.sample(self.sources, min(len(self.sources), rng.randint(1, 4)))
        return [rng.choice(self.by_source[rng.choice(sources)]) for _ in range(count)]


def write_sources(plan, as_of, words, summary, progress):
    """Write the plan's sources and their passages; returns the CitablePassages."""
    rng = random.Random(f"{plan.seed}-sources")
    taken = set(Source.objects.values_list("slug", flat=True))
    total_passages = plan.sources * plan.passages_per_source
    plant_every = max(1, min(10_000, total_passages // 3))
    counter = itertools.count(1)

    def planted():
        return next(counter) % plant_every == 0

    citable = []
    batch_sources, batch_passages, batch_citable = [], [], []
    for index in range(plan.sources):
        benchmark = index == 0
        length = BENCHMARK_SOURCE_PASSAGES if benchmark else plan.passages_per_source
        lines = article_lines(rng, words, length, planted)
        text = "\n".join(lines) + "\n"
        base = BENCHMARK_SOURCE_SLUG if benchmark else slug_base(" ".join(lines[0].split()[:10]), "article")
        slug = unique_slug(base, taken)
        taken.add(slug)
        imported = as_of - datetime.timedelta(days=rng.randint(30, 2000), minutes=rng.randint(0, 1440))
        source = Source(
            slug=slug,
            title=lines[0],
            publisher=rng.choice(PUBLISHERS),
            authors=headline(rng, words, 2),
            url=f"https://news.example.org/{slug}",
            published_on=(imported - datetime.timedelta(days=1)).date(),
            language="en",
            origin=f"{ORIGIN_PREFIX}{index + 1:05d}.txt",
            text=text,
            content_hash=passage_text.sha256(text),
            imported_at=imported,
            updated_at=imported,
        )
        link = SourceLink(source.get_absolute_url(), source.display_title, source.publisher, source.published_on)
        batch_sources.append(source)
        pieces = passage_text.split(text)
        for piece, position in zip(pieces, kind_positions(pieces), strict=True):
            passage = Passage(
                source=source,
                ordinal=piece.ordinal,
                anchor_number=piece.ordinal,
                anchor=piece.anchor,
                text=piece.text,
                start=piece.start,
                end=piece.end,
                kind=piece.kind,
                kind_position=position,
                citable=piece.citable,
                content_hash=piece.content_hash,
            )
            batch_passages.append(passage)
            if piece.kind == passage_text.Kind.PARAGRAPH and len(piece.text.split()) >= 4:
                batch_citable.append((passage, index, link))
        if len(batch_passages) >= 5000 or index == plan.sources - 1:
            Source.objects.bulk_create(batch_sources, batch_size=BATCH)
            Passage.objects.bulk_create(batch_passages, batch_size=BATCH)
            citable.extend(
                CorpusPassage(
                    passage.pk, source_index, link, passage.ordinal, passage.anchor, passage.text,
                    place_label=passage.place_label,
                )
                for passage, source_index, link in batch_citable
            )
            summary.passages += len(batch_passages)
            summary.sources += len(batch_sources)
            progress.advance(len(batch_sources))
            batch_sources, batch_passages, batch_citable = [], [], []
    return CitablePassages(citable)
