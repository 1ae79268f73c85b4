"""A deterministic synthetic corpus at newsroom scale, for benchmarks and query-budget tests.

``generate(sources=2000, briefings=10000)`` writes sources split into passages
exactly as the importer would (``sources.text.split``), a few analysts and
editors, tags, and briefings in every workflow state with the rows the review
workflow would have left: revisions with their citations, events,
corrections and retraction notices, published revisions, scheduled
publications. Every citation quotes exact words of a citable passage with the
offsets and context the verifier stores, and every ``body_html`` is rendered
by the real renderer. One seeded random generator per part makes the same
arguments give the same data.

Rows are written with ``bulk_create`` in batches and explicit primary keys
(so a body can be rendered with its citations' ids before anything is
written), all in one transaction. Generated rows are recognisable, so
``delete_generated`` can wipe a previous corpus: sources imported from
``generated-corpus-*`` files, the ``corpus-*`` accounts and the briefings they
wrote, and the corpus tags nothing else uses.
"""
import datetime
import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from briefings import quotes
from briefings.markdown import render_body
from briefings.models import (
    Briefing,
    BriefingEvent,
    Citation,
    Correction,
    Revision,
    RevisionCitation,
    RevisionTag,
    Tag,
    TaggedBriefing,
)
from public import caching
from sources import text as passage_text
from sources.models import Passage, Source

ORIGIN_PREFIX = "generated-corpus-"
USERNAME_PREFIX = "corpus-"
BENCHMARK_SLUG = "benchmark-briefing-30-citations"
BENCHMARK_CITATIONS = 30
# A word planted in about one passage in ten thousand, and the word most passages contain.
SELECTIVE_WORD = "quillwort"
COMMON_WORD = "government"
PASSAGES_PER_SOURCE = 50
BATCH = 500

Status = Briefing.Status
Action = BriefingEvent.Action

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

CONTENT_WORDS = (
    "government minister pipeline officials agreement border gas talks election president parliament "
    "energy trade oil ministry transit tariffs region security troops deal sanctions cabinet exports "
    "opposition court budget protest reform capital embassy station market corridor summit treaty "
    "railway province governor council investment refinery ceasefire delegation villages harvest "
    "journalists farmers prices currency inflation bank loan grid electricity reservoir drought "
    "mountain river port shipping containers customs inspectors negotiators diplomats envoy "
    "spokesman statement interview agency report survey census figures estimate contract tender "
    "consortium operator license permit regulator audit committee hearing verdict appeal lawyers "
    "prosecutors police arrest detention release amnesty minority language schools university "
    "hospital clinic vaccine doctors nurses teachers wages pensions taxes subsidy tariff quota"
).split()
VERBS = (
    "said announced signed rejected approved delayed reported confirmed denied warned expects plans "
    "launched suspended criticised welcomed questioned raised cut extended proposed blocked opened"
).split()
JOINERS = ["the", "of", "and", "in", "to", "on", "for", "with", "after", "before", "by", "from"]
SYLLABLES = "ka ri sa to ne vi lo ma de ru an el ost ar in um ba go ze li pa tu".split()
PUBLISHERS = ["Caucasus Wire", "Eurasia Daily", "Caspian Monitor", "Black Sea Post", "Steppe Review"]
REGIONS = (
    "Baku Tbilisi Yerevan Ankara Tehran Moscow Kyiv Astana Tashkent Ashgabat Bishkek Dushanbe Minsk "
    "Chisinau Brussels Caspian Anatolia Donbas Crimea Abkhazia Ajara Nakhchivan Karabakh Dagestan "
    "Chechnya Ossetia Kakheti Samegrelo Syunik Lori"
).split()
TOPICS = (
    "Energy Gas Oil Pipelines Elections Courts Media Borders Trade Tariffs Security Diplomacy Sanctions "
    "Transport Railways Ports Water Farming Health Schools Labour Banking Budget Protests Minorities"
).split()
BOILERPLATE = ["Advertisement", "Share", "Related", "Read more"]


def tag_names(count):
    """The corpus's tag names, the same list whatever the seed (``delete_generated`` relies on it)."""
    names = [f"{region} {topic}" for topic, region in itertools.product(TOPICS, REGIONS)]
    if count > len(names):
        raise ValueError(f"at most {len(names)} tags can be generated")
    return names[:count]


MAX_TAGS = len(REGIONS) * len(TOPICS)
WORD_SPAN = re.compile(r"\S+")


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


class Progress:
    """A plain-text progress bar on a stream: redrawn in place on a terminal, one line per tenth otherwise."""

    WIDTH = 30

    def __init__(self, stream, label, total):
        self.stream, self.label, self.total = stream, label, max(total, 1)
        self.done = 0
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = -1

    def advance(self, count=1):
        self.done = min(self.total, self.done + count)
        tenth = 10 * self.done // self.total
        if self.tty or tenth != self.shown:
            self.shown = tenth
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"{self.label:<11} [{bar}] {100 * self.done // self.total:3d}% {self.done}/{self.total}"
            self.stream.write(("\r" + line) if self.tty else line + "\n")
            if self.tty and self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


class NullStream:
    def write(self, text):
        pass

    def flush(self):
        pass


# Text -------------------------------------------------------------------------


class Words:
    """Zipf-distributed words: a few very common ones and a long tail of rare made-up names."""

    def __init__(self, rng, tail=6000):
        made_up = set()
        while len(made_up) < tail:
            made_up.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.vocabulary = [COMMON_WORD] + [w for w in CONTENT_WORDS if w != COMMON_WORD] + sorted(made_up)
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.vocabulary))]
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng, count):
        return rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)


def sentence(rng, words, length):
    chosen = words.pick(rng, length)
    out = []
    for index, word in enumerate(chosen):
        if index == 1:
            out.append(rng.choice(VERBS))
        elif index and rng.random() < 0.3:
            out.append(rng.choice(JOINERS))
        out.append(word)
    if len(out) > 8 and rng.random() < 0.4:
        out[len(out) // 2] += ","
    out[0] = out[0].capitalize()
    return " ".join(out) + "."


def headline(rng, words, length):
    return " ".join(word.capitalize() for word in words.pick(rng, length))


def article_lines(rng, words, passages, planted):
    """About ``passages`` lines of an article: headline, paragraphs, subheads, a caption printed twice, chrome."""
    lines = [headline(rng, words, rng.randint(5, 9))]
    # A caption printed twice is one passage: count passages, not lines.
    for _ in range(passages - 1):
        roll = rng.random()
        if roll < 0.06:
            lines.append(headline(rng, words, rng.randint(2, 5)))
        elif roll < 0.08:
            caption = sentence(rng, words, rng.randint(6, 10))
            lines.extend([caption, caption])
        elif roll < 0.10:
            lines.append(rng.choice(BOILERPLATE))
        else:
            text = " ".join(sentence(rng, words, rng.randint(8, 22)) for _ in range(rng.randint(1, 3)))
            if planted():
                text = text[:-1] + f" near the {SELECTIVE_WORD} marshes."
            lines.append(text)
    return lines


def quote_in(rng, text):
    """Exact words of ``text`` (4 to 12 words) and where they are."""
    spans = [match.span() for match in WORD_SPAN.finditer(text)]
    length = min(len(spans), rng.randint(4, 12))
    first = rng.randrange(0, len(spans) - length + 1)
    start, end = spans[first][0], spans[first + length - 1][1]
    return text[start:end], start, end


# Writing ----------------------------------------------------------------------


def _next_ids(*model_classes):
    return {model: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for model in model_classes}


def _reset_sequences(model_classes):
    statements = connection.ops.sequence_reset_sql(no_style(), model_classes)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


@dataclass(frozen=True)
class SourceLink:
    """What footnotes show of a source, worked out once per source instead of once per footnote."""

    url: str
    display_title: str

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


@dataclass(frozen=True)
class Footnote:
    """The fields of a citation that ``render_body`` reads, as saving the citation would pass them."""

    pk: int
    label: str
    passage: CorpusPassage
    quote: str
    prefix: str
    suffix: str
    note: str
    status: str = Citation.Status.OK


class Generator:
    def __init__(self, plan, stream):
        self.plan = plan
        self.stream = stream
        self.as_of = plan.as_of or timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        self.summary = Summary()
        self.words = Words(random.Random(f"{plan.seed}-words"))

    def progress(self, label, total):
        return Progress(self.stream, label, total)

    # Sources and passages ---------------------------------------------------

    def write_sources(self):
        rng = random.Random(f"{self.plan.seed}-sources")
        ids = _next_ids(Source, Passage)
        source_id, passage_id = ids[Source], ids[Passage]
        taken = set(Source.objects.values_list("slug", flat=True))
        total_passages = self.plan.sources * self.plan.passages_per_source
        plant_every = max(1, min(10_000, total_passages // 3))
        counter = itertools.count(1)

        def planted():
            return next(counter) % plant_every == 0

        self.sources, self.citable = [], []
        progress = self.progress("sources", self.plan.sources)
        batch_sources, batch_passages = [], []
        for index in range(self.plan.sources):
            lines = article_lines(rng, self.words, self.plan.passages_per_source, planted)
            text = "\n".join(lines) + "\n"
            split = passage_text.split(text)
            base = slugify(" ".join(lines[0].split()[:10]))[:200].strip("-") or "article"
            slug, number = base, 2
            while slug in taken:
                slug, number = f"{base}-{number}", number + 1
            taken.add(slug)
            imported = self.as_of - datetime.timedelta(days=rng.randint(30, 2000), minutes=rng.randint(0, 1440))
            source = Source(
                pk=source_id,
                slug=slug,
                title=lines[0],
                publisher=rng.choice(PUBLISHERS),
                authors=headline(rng, self.words, 2),
                url=f"https://news.example.org/{slug}",
                published_on=(imported - datetime.timedelta(days=1)).date(),
                language="en",
                origin=f"{ORIGIN_PREFIX}{index + 1:05d}.txt",
                text=text,
                content_hash=passage_text.sha256(text),
                imported_at=imported,
                updated_at=imported,
            )
            source_id += 1
            link = SourceLink(source.get_absolute_url(), source.display_title)
            self.sources.append(source)
            batch_sources.append(source)
            for piece in split:
                batch_passages.append(
                    Passage(
                        pk=passage_id,
                        source=source,
                        ordinal=piece.ordinal,
                        anchor=piece.anchor,
                        text=piece.text,
                        start=piece.start,
                        end=piece.end,
                        kind=piece.kind,
                        citable=piece.citable,
                        content_hash=piece.content_hash,
                    )
                )
                if piece.kind == passage_text.PARAGRAPH and len(piece.text.split()) >= 4:
                    self.citable.append(
                        CorpusPassage(passage_id, index, link, piece.ordinal, piece.anchor, piece.text)
                    )
                passage_id += 1
            if len(batch_passages) >= 5000 or index == self.plan.sources - 1:
                Source.objects.bulk_create(batch_sources, batch_size=BATCH)
                Passage.objects.bulk_create(batch_passages, batch_size=BATCH)
                self.summary.passages += len(batch_passages)
                progress.advance(len(batch_sources))
                batch_sources, batch_passages = [], []
        self.summary.sources = len(self.sources)
        # Citations cluster: a briefing quotes passages of a few sources, so index them by source.
        self.citable_by_source = {}
        for item in self.citable:
            self.citable_by_source.setdefault(item.source_index, []).append(item)
        self.citing_sources = sorted(self.citable_by_source)

    # People and tags --------------------------------------------------------

    def write_people(self):
        User = get_user_model()
        ids = _next_ids(User)
        user_id = ids[User]
        people = []
        for role, count in (("analyst", self.plan.analysts), ("editor", self.plan.editors)):
            for number in range(1, count + 1):
                user = User(
                    pk=user_id,
                    username=f"{USERNAME_PREFIX}{role}-{number:02d}",
                    first_name=f"{role.capitalize()}",
                    last_name=f"Number {number:02d}",
                    email=f"{USERNAME_PREFIX}{role}-{number:02d}@example.org",
                    is_staff=True,
                    date_joined=self.as_of - datetime.timedelta(days=2500),
                )
                user.set_unusable_password()
                user._role = role
                people.append(user)
                user_id += 1
        User.objects.bulk_create(people)
        groups = {group.name: group for group in Group.objects.filter(name__in=["Analyst", "Editor"])}
        memberships = [
            User.groups.through(user_id=user.pk, group_id=groups[user._role.capitalize()].pk)
            for user in people
            if user._role.capitalize() in groups
        ]
        User.groups.through.objects.bulk_create(memberships)
        self.analysts = [user for user in people if user._role == "analyst"]
        self.editors = [user for user in people if user._role == "editor"]
        self.summary.users = len(people)

    def write_tags(self):
        names = tag_names(self.plan.tags)
        existing = {tag.name.casefold(): tag for tag in Tag.objects.all()}
        taken_slugs = {tag.slug for tag in existing.values()}
        new = []
        next_id = _next_ids(Tag)[Tag]
        for name in names:
            if name.casefold() in existing:
                continue
            base = slugify(name)
            slug, number = base, 1
            while slug in taken_slugs:
                slug, number = f"{base}_{number}", number + 1
            taken_slugs.add(slug)
            tag = Tag(pk=next_id, name=name, slug=slug)
            next_id += 1
            existing[name.casefold()] = tag
            new.append(tag)
        Tag.objects.bulk_create(new)
        self.tags = [existing[name.casefold()] for name in names]
        tag_weights = [1 / (rank + 1) for rank in range(len(self.tags))]
        self.tag_cumulative = list(itertools.accumulate(tag_weights))
        self.summary.tags = len(self.tags)

    # Briefings --------------------------------------------------------------

    def states(self, rng):
        """A state per briefing: exact shares, every state present once there are enough briefings."""
        total = self.plan.briefings
        counts = {state: int(share * total) for state, share in STATE_SHARES}
        if total >= len(STATE_SHARES):
            for state in counts:
                counts[state] = max(counts[state], 1)
        counts["published"] += total - sum(counts.values())
        if counts["published"] < 1 and total:
            largest = max((s for s in counts if s != "published"), key=counts.get)
            counts[largest] -= 1
            counts["published"] += 1
        states = [state for state, count in counts.items() for _ in range(count)]
        rng.shuffle(states)
        # The benchmark briefing (the first one) is published.
        if states and states[0] != "published":
            swap = states.index("published")
            states[0], states[swap] = states[swap], states[0]
        return states

    def write_briefings(self):
        rng = random.Random(f"{self.plan.seed}-briefings")
        states = self.states(rng)
        ids = _next_ids(Briefing, Citation, Revision)
        self.next_id = dict(ids)
        self.taken_slugs = set(Briefing.objects.values_list("slug", flat=True))
        progress = self.progress("briefings", len(states))
        for start in range(0, len(states), BATCH):
            chunk = states[start:start + BATCH]
            self.write_batch(rng, start, chunk)
            progress.advance(len(chunk))

    def unique_slug(self, title, wanted=None):
        base = wanted or slugify(title)[:200].strip("-") or "briefing"
        slug, number = base, 2
        while slug in self.taken_slugs:
            slug, number = f"{base}-{number}", number + 1
        self.taken_slugs.add(slug)
        return slug

    def take_id(self, model):
        value = self.next_id[model]
        self.next_id[model] += 1
        return value

    def choose_citations(self, rng, count):
        sources = rng.sample(self.citing_sources, min(len(self.citing_sources), rng.randint(1, 4)))
        chosen = []
        for _ in range(count):
            chosen.append(rng.choice(self.citable_by_source[rng.choice(sources)]))
        return chosen

    def write_batch(self, rng, offset, states):
        briefings, citations, revisions = [], [], []
        events, corrections, taggings, revision_tags, bylines = [], [], [], [], []
        for position, state in enumerate(states):
            number = offset + position
            benchmark = number == 0
            count = BENCHMARK_CITATIONS if benchmark else max(3, round(rng.gauss(self.plan.citations_per_briefing, 3)))
            title = headline(rng, self.words, rng.randint(4, 9))
            if benchmark:
                title = f"Benchmark briefing with {BENCHMARK_CITATIONS} citations"
            briefing_id = self.take_id(Briefing)
            authors = rng.sample(self.analysts, 1 if rng.random() < 0.7 else min(2, len(self.analysts)))
            editor = rng.choice(self.editors)
            tags = sorted(
                {tag.pk: tag for tag in rng.choices(self.tags, cum_weights=self.tag_cumulative, k=rng.randint(1, 4))}
                .values(),
                key=lambda tag: tag.name.casefold(),
            )

            # Timeline: written, reviewed, published; corrections and retractions after that.
            if state == "scheduled":
                created = self.as_of - datetime.timedelta(days=rng.randint(3, 20), seconds=rng.randint(0, 86399))
            elif benchmark:
                created = self.as_of - datetime.timedelta(days=4)
            else:
                created = self.as_of - datetime.timedelta(days=rng.randint(3, 1800), seconds=rng.randint(0, 86399))
            submitted = created + datetime.timedelta(hours=rng.randint(1, 20))
            reviewed = submitted + datetime.timedelta(hours=rng.randint(1, 30))
            published_at = public_updated_at = None
            scheduled_event_at = None
            if state in PUBLIC_STATES:
                published_at = reviewed + datetime.timedelta(minutes=rng.randint(5, 600))
                public_updated_at = published_at
            elif state == "scheduled":
                scheduled_event_at = reviewed + datetime.timedelta(minutes=rng.randint(5, 600))
                published_at = self.as_of + datetime.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
                public_updated_at = published_at

            # Citations, with the words they quote, then the body that uses every one of them.
            passages = self.choose_citations(rng, count)
            working, footnotes = [], []
            for order, item in enumerate(passages):
                quote, start, end = quote_in(rng, item.text)
                prefix, suffix = quotes.context(item.text, start, end)
                note = sentence(rng, self.words, rng.randint(5, 9)) if rng.random() < 0.2 else ""
                citation = Citation(
                    pk=self.take_id(Citation),
                    briefing_id=briefing_id,
                    passage_id=item.pk,
                    quote=quote,
                    start=start,
                    end=end,
                    prefix=prefix,
                    suffix=suffix,
                    note=note,
                    label=f"c{order + 1}",
                    order=order,
                    status=Citation.Status.OK,
                    checked_at=created,
                )
                working.append(citation)
                footnotes.append(Footnote(citation.pk, citation.label, item, quote, prefix, suffix, note))
            body = self.body(rng, [citation.label for citation in working])
            body_html = render_body(body, footnotes)
            dek = sentence(rng, self.words, rng.randint(8, 16))
            slug = self.unique_slug(title, BENCHMARK_SLUG if benchmark else None)

            revision = Revision(
                pk=self.take_id(Revision),
                briefing_id=briefing_id,
                number=1,
                title=title,
                dek=dek,
                body=body,
                body_html=body_html,
                tag_names=[tag.name for tag in tags],
                author=authors[0],
                created_at=created,
            )
            status = {
                "scheduled": Status.PUBLISHED,
                "corrected": Status.PUBLISHED,
            }.get(state, state)
            briefing = Briefing(
                pk=briefing_id,
                title=title,
                slug=slug,
                dek=dek,
                body=body,
                body_html=body_html,
                status=status,
                published_at=published_at,
                public_updated_at=public_updated_at,
                published_revision_id=revision.pk if published_at else None,
                version=1,
            )
            briefing.created_at = briefing.updated_at = created
            briefings.append(briefing)
            citations.extend(working)
            revisions.append(revision)
            taggings.extend(TaggedBriefing(content_object_id=briefing_id, tag_id=tag.pk) for tag in tags)
            revision_tags.extend(RevisionTag(revision_id=revision.pk, tag_id=tag.pk) for tag in tags)
            bylines.extend(Briefing.authors.through(briefing_id=briefing_id, user_id=user.pk) for user in authors)

            # Events, as the workflow writes them: one per step, the version moving with each.
            event = Steps(briefing, revision, events)
            if state != "draft":
                event(Action.SUBMITTED, Status.DRAFT, Status.IN_REVIEW, authors[0], submitted)
            if state == "changes_requested":
                event(Action.CHANGES_REQUESTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, editor, reviewed,
                      comment="Quote the minister directly and tighten the second claim.")
            if state in PUBLIC_STATES | {"approved", "scheduled"}:
                event(Action.APPROVED, Status.IN_REVIEW, Status.APPROVED, editor, reviewed)
            if state in PUBLIC_STATES:
                event(Action.PUBLISHED, Status.APPROVED, Status.PUBLISHED, editor, published_at)
            if state == "scheduled":
                event(Action.SCHEDULED, Status.APPROVED, Status.PUBLISHED, editor, scheduled_event_at)
            later = None
            if state in ("corrected", "retracted"):
                room = max(60, int((self.as_of - published_at).total_seconds()) - 60)
                later = published_at + datetime.timedelta(seconds=rng.randint(60, room))
                briefing.public_updated_at = later
            if state == "corrected":
                note = "An earlier version of this briefing misstated the date of the agreement."
                event(Action.CORRECTED, Status.PUBLISHED, Status.PUBLISHED, editor, later, comment=note)
                corrections.append(
                    Correction(briefing_id=briefing_id, kind=Correction.Kind.CORRECTION, note=note,
                               revision_id=revision.pk, created_by=editor, created_at=later)
                )
            if state == "retracted":
                reason = "The agreement this briefing describes was never signed."
                event(Action.RETRACTED, Status.PUBLISHED, Status.RETRACTED, editor, later, comment=reason)
                corrections.append(
                    Correction(briefing_id=briefing_id, kind=Correction.Kind.RETRACTION, note=reason,
                               revision_id=revision.pk, created_by=editor, created_at=later)
                )
            self.summary.briefings[state] += 1

        written = [briefing.created_at for briefing in briefings]
        Briefing.objects.bulk_create(briefings, batch_size=BATCH)
        # Inserting sets created_at and updated_at to "now" (auto_now); put the timeline's times back.
        for briefing, created in zip(briefings, written, strict=True):
            briefing.created_at = briefing.updated_at = created
        Briefing.objects.bulk_update(briefings, ["created_at", "updated_at"], batch_size=BATCH)
        Briefing.authors.through.objects.bulk_create(bylines, batch_size=BATCH)
        TaggedBriefing.objects.bulk_create(taggings, batch_size=BATCH)
        Citation.objects.bulk_create(citations, batch_size=BATCH)
        Revision.objects.bulk_create(revisions, batch_size=BATCH)
        copy_citations_to_revisions([revision.pk for revision in revisions])
        RevisionTag.objects.bulk_create(revision_tags, batch_size=BATCH)
        BriefingEvent.objects.bulk_create(events, batch_size=BATCH)
        Correction.objects.bulk_create(corrections, batch_size=BATCH)
        self.summary.citations += len(citations)
        self.summary.revisions += len(revisions)
        self.summary.events += len(events)
        self.summary.corrections += len(corrections)

    def body(self, rng, labels):
        """Markdown paragraphs of claims, each citation used once and now and then twice."""
        paragraphs, pending = [], list(labels)
        if rng.random() < 0.3:
            paragraphs.append("## " + headline(rng, self.words, rng.randint(2, 4)))
        while pending:
            claims = []
            for _ in range(rng.randint(1, 3)):
                if not pending:
                    break
                claim = sentence(rng, self.words, rng.randint(8, 18))
                claims.append(f"{claim}[^{pending.pop(0)}]")
            if labels and rng.random() < 0.1:
                claims.append(sentence(rng, self.words, 8) + f"[^{rng.choice(labels)}]")
            paragraphs.append(" ".join(claims))
        if rng.random() < 0.3:
            paragraphs.append("\n".join(f"- {sentence(rng, self.words, rng.randint(4, 8))}" for _ in range(3)))
        return "\n\n".join(paragraphs) + "\n"

    def run(self):
        self.write_sources()
        self.write_people()
        self.write_tags()
        self.write_briefings()
        User = get_user_model()
        _reset_sequences([Source, Passage, User, Tag, Briefing, Citation, Revision])
        caching.public_content_changed()
        return self.summary


def copy_citations_to_revisions(revision_ids):
    """Freeze each revision's citations as ``revisions.snapshot`` does, copying rows inside the database.

    A revision of the corpus holds exactly its briefing's citations, so one
    INSERT ... SELECT writes them without a round trip through Python.
    """
    if not revision_ids:
        return
    quote = connection.ops.quote_name
    copied = ["passage_id", "quote", "start", "end", "prefix", "suffix", "note", "label", "order", "status"]
    columns = ", ".join(quote(name) for name in ["revision_id", *copied])
    values = ", ".join(f"c.{quote(name)}" for name in copied)
    placeholders = ", ".join(["%s"] * len(revision_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(RevisionCitation._meta.db_table)} ({columns}) "
            f"SELECT r.{quote('id')}, {values} FROM {quote(Citation._meta.db_table)} c "
            f"JOIN {quote(Revision._meta.db_table)} r ON r.{quote('briefing_id')} = c.{quote('briefing_id')} "
            f"WHERE r.{quote('id')} IN ({placeholders}) ORDER BY c.{quote('id')}",
            revision_ids,
        )


class Steps:
    """Records workflow events of one briefing as ``workflow._move`` does: an event and a new version each."""

    def __init__(self, briefing, revision, events):
        self.briefing, self.revision, self.events = briefing, revision, events

    def __call__(self, action, from_state, to_state, actor, when, comment=""):
        self.events.append(
            BriefingEvent(
                briefing_id=self.briefing.pk, actor=actor, action=action, from_state=from_state,
                to_state=to_state, comment=comment, revision_id=self.revision.pk, created_at=when,
            )
        )
        self.briefing.version += 1


# Deleting ---------------------------------------------------------------------


class CorpusError(Exception):
    """The corpus cannot be generated or removed; nothing was changed."""


def generated_briefings():
    return Briefing.objects.filter(authors__username__startswith=USERNAME_PREFIX)


def generated_sources():
    return Source.objects.filter(origin__startswith=ORIGIN_PREFIX)


def has_generated_corpus():
    return generated_sources().exists() or get_user_model().objects.filter(
        username__startswith=USERNAME_PREFIX
    ).exists()


def _raw_delete(queryset):
    # Row-by-row deletion would send a signal per row: citations would re-render briefings about to go too.
    return models.QuerySet(queryset.model).filter(pk__in=models.Subquery(queryset.values("pk")))._raw_delete(
        connection.alias
    )


def delete_generated():
    """Remove a generated corpus; refuses (and changes nothing) when other briefings cite its sources."""
    User = get_user_model()
    briefing_ids = generated_briefings().values("pk")
    passages = Passage.objects.filter(source__in=generated_sources().values("pk"))
    foreign = Citation.objects.filter(passage__in=passages.values("pk")).exclude(briefing__in=briefing_ids)
    foreign_published = RevisionCitation.objects.filter(passage__in=passages.values("pk")).exclude(
        revision__briefing__in=briefing_ids
    )
    if foreign.exists() or foreign_published.exists():
        raise CorpusError(
            "Briefings that are not part of the generated corpus cite its sources; "
            "delete or change them before replacing the corpus."
        )
    with transaction.atomic():
        deleted = Counter()
        revision_ids = Revision.objects.filter(briefing__in=briefing_ids).values("pk")
        deleted["revision citations"] = _raw_delete(RevisionCitation.objects.filter(revision__in=revision_ids))
        _raw_delete(RevisionTag.objects.filter(revision__in=revision_ids))
        deleted["citations"] = _raw_delete(Citation.objects.filter(briefing__in=briefing_ids))
        deleted["events"] = _raw_delete(BriefingEvent.objects.filter(briefing__in=briefing_ids))
        deleted["corrections"] = _raw_delete(Correction.objects.filter(briefing__in=briefing_ids))
        _raw_delete(TaggedBriefing.objects.filter(content_object__in=briefing_ids))
        ids = list(generated_briefings().values_list("pk", flat=True).distinct())
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            # Revisions and briefings point at each other; clear the published revision first.
            models.QuerySet(Briefing).filter(pk__in=chunk).update(
                published_revision=None, status=Status.DRAFT, published_at=None
            )
            deleted["revisions"] += _raw_delete(Revision.objects.filter(briefing__in=chunk))
            Briefing.authors.through.objects.filter(briefing__in=chunk)._raw_delete(connection.alias)
            deleted["briefings"] += _raw_delete(Briefing.objects.filter(pk__in=chunk))
        deleted["passages"] = _raw_delete(passages)
        deleted["sources"] = _raw_delete(generated_sources())
        deleted["accounts"], _ = User.objects.filter(username__startswith=USERNAME_PREFIX).delete()
        unused = Tag.objects.filter(
            name__in=tag_names(MAX_TAGS), tagged_briefings__isnull=True, revision_tags__isnull=True
        )
        deleted["tags"], _ = Tag.objects.filter(pk__in=list(unused.values_list("pk", flat=True))).delete()
        caching.public_content_changed()
    return deleted


def refresh_statistics():
    """Planner statistics after a bulk load, and on PostgreSQL the visibility map index-only scans need.

    VACUUM cannot run inside a transaction, so call this after ``generate`` committed.
    """
    User = get_user_model()
    written = [Source, Passage, User, Tag, TaggedBriefing, Briefing, Briefing.authors.through, Citation, Revision,
               RevisionCitation, RevisionTag, BriefingEvent, Correction]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in written:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


def generate(plan=None, *, stream=None, replace=False):
    """Write the corpus described by ``plan`` in one transaction; returns a Summary. Raises CorpusError."""
    plan = plan or Plan()
    if plan.tags > MAX_TAGS:
        raise CorpusError(f"At most {MAX_TAGS} tags can be generated, not {plan.tags}.")
    if plan.sources < 1 or plan.briefings < 0 or plan.passages_per_source < 5:
        raise CorpusError("Generate at least one source of at least five passages.")
    if plan.briefings and (plan.analysts < 1 or plan.editors < 1 or plan.tags < 1):
        raise CorpusError("Briefings need at least one analyst, one editor and one tag.")
    with transaction.atomic():
        if has_generated_corpus():
            if not replace:
                raise CorpusError(
                    "A generated corpus is already in the database; run again with --replace to rebuild it."
                )
            delete_generated()
        return Generator(plan, stream or NullStream()).run()
