"""What a corpus holds: its size, its shares of workflow states, and the marks that make its rows recognisable."""
import datetime
import itertools
from collections import Counter
from dataclasses import dataclass, field

ORIGIN_PREFIX = "generated-corpus-"
USERNAME_PREFIX = "corpus-"
BENCHMARK_SLUG = "benchmark-briefing-30-citations"
BENCHMARK_CITATIONS = 30
# The first source: longer than the others, so the benchmark's source page shows 60 passages with "cited by".
BENCHMARK_SOURCE_SLUG = "benchmark-source-60-passages"
BENCHMARK_SOURCE_PASSAGES = 60
# A word planted in about one passage in ten thousand, and the word most passages contain.
SELECTIVE_WORD = "quillwort"
COMMON_WORD = "government"
PASSAGES_PER_SOURCE = 50
BATCH = 500

# Share of briefings in each state; "corrected" and "scheduled" are published briefings with more history.
STATE_SHARES = [
    ("draft", 0.08),
    ("in_review", 0.06),
    ("changes_requested", 0.04),
    ("approved", 0.04),
    ("scheduled", 0.03),
    ("retracted", 0.04),
    ("corrected", 0.06),
    ("published", 0.65),
]
PUBLIC_STATES = {"published", "corrected", "retracted"}

REGIONS = (
    "Baku Tbilisi Yerevan Ankara Tehran Moscow Kyiv Astana Tashkent Ashgabat Bishkek Dushanbe Minsk "
    "Chisinau Brussels Caspian Anatolia Donbas Crimea Abkhazia Ajara Nakhchivan Karabakh Dagestan "
    "Chechnya Ossetia Kakheti Samegrelo Syunik Lori"
).split()
TOPICS = (
    "Energy Gas Oil Pipelines Elections Courts Media Borders Trade Tariffs Security Diplomacy Sanctions "
    "Transport Railways Ports Water Farming Health Schools Labour Banking Budget Protests Minorities"
).split()
MAX_TAGS = len(REGIONS) * len(TOPICS)


class CorpusError(Exception):
    """The corpus cannot be generated or removed; nothing was changed."""


def tag_names(count):
    """The corpus's tag names, the same list whatever the seed (``delete_generated`` relies on it)."""
    names = [f"{region} {topic}" for topic, region in itertools.product(TOPICS, REGIONS)]
    if count > len(names):
        raise ValueError(f"at most {len(names)} tags can be generated")
    return names[:count]


@dataclass
class Plan:
    """What to generate."""

    sources: int = 2000
    briefings: int = 10000
    tags: int = 500
    passages_per_source: int = PASSAGES_PER_SOURCE
    citations_per_briefing: int = 10
    analysts: int = 12
    editors: int = 4
    seed: int = 7
    as_of: datetime.datetime = None

    def check(self):
        """Raise CorpusError when the plan cannot be generated."""
        if self.tags > MAX_TAGS:
            raise CorpusError(f"At most {MAX_TAGS} tags can be generated, not {self.tags}.")
        if self.sources < 1 or self.briefings < 0 or self.passages_per_source < 5:
            raise CorpusError("Generate at least one source of at least five passages.")
        if self.briefings and (self.analysts < 1 or self.editors < 1 or self.tags < 1):
            raise CorpusError("Briefings need at least one analyst, one editor and one tag.")


@dataclass
class Summary:
    sources: int = 0
    passages: int = 0
    tags: int = 0
    users: int = 0
    briefings: Counter = field(default_factory=Counter)
    citations: int = 0
    revisions: int = 0
    events: int = 0
    corrections: int = 0

    def describe(self):
        states = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in sorted(self.briefings.items()))
        return (
            f"{self.sources} sources, {self.passages} passages, {self.tags} tags, {self.users} accounts, "
            f"{sum(self.briefings.values())} briefings ({states}), {self.citations} citations, "
            f"{self.revisions} revisions, {self.events} events, {self.corrections} corrections"
        )
