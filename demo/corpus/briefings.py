"""Briefings in every workflow state, with the rows the review workflow would have left.

Each briefing gets its citations (exact words of citable passages, with the
offsets and context the verifier stores), a body rendered by the real
renderer, a first revision holding its content, and, by state, the events of
its review, a correction or a retraction notice, a published or scheduled
revision. Everything is written with ``bulk_create`` through the same models
the workflow and ``briefings.revisions`` write, a batch at a time.
"""
import datetime
import random
from dataclasses import dataclass, field

from briefings import quotes, revisions
from briefings.markdown import render_body
from briefings.models import (
    Briefing,
    BriefingEvent,
    Citation,
    Correction,
    Revision,
    RevisionCitation,
    RevisionTag,
    TaggedBriefing,
)
from sources.slugs import slug_base, unique_slug

from .plan import BATCH, BENCHMARK_CITATIONS, BENCHMARK_SLUG, PUBLIC_STATES, STATE_SHARES
from .sources import CorpusPassage
from .text import briefing_body, headline, quote_in, sentence

Status = Briefing.Status
Action = BriefingEvent.Action



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


@dataclass
class Timeline:
    """When a briefing was written, reviewed and published, and when its story went on."""

    created: datetime.datetime
    submitted: datetime.datetime
    reviewed: datetime.datetime
    published_at: datetime.datetime = None
    scheduled_at: datetime.datetime = None


@dataclass
class Story:
    """One generated briefing and every row that goes with it, before any is written."""

    briefing: Briefing
    status: str
    created_at: datetime.datetime
    revision: Revision
    citations: list
    passages: list
    authors: list
    tags: list
    events: list = field(default_factory=list)
    corrections: list = field(default_factory=list)

    def record(self, action, from_state, to_state, actor, when, comment=""):
        """A workflow event as ``workflow`` writes it: one per step, the briefing's version moving with each."""
        self.events.append(
            BriefingEvent(
                briefing=self.briefing, actor=actor, action=action, from_state=from_state, to_state=to_state,
                comment=comment, revision=self.revision, created_at=when,
            )
        )
        self.briefing.version += 1


def workflow_states(rng, total):
    """A state per briefing: exact shares, every state present once there are enough briefings."""
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


class BriefingWriter:
    def __init__(self, plan, as_of, words, citable, tags, analysts, editors, summary):
        self.plan, self.as_of, self.words = plan, as_of, words
        self.citable, self.tags = citable, tags
        self.analysts, self.editors = analysts, editors
        self.summary = summary

    def write(self, progress):
        rng = random.Random(f"{self.plan.seed}-briefings")
        states = workflow_states(rng, self.plan.briefings)
        self.taken_slugs = set(Briefing.objects.values_list("slug", flat=True))
        for start in range(0, len(states), BATCH):
            chunk = states[start:start + BATCH]
            self.save([self.story(rng, start + position, state) for position, state in enumerate(chunk)])
            progress.advance(len(chunk))

    def unique_slug(self, title, wanted=None):
        slug = unique_slug(wanted or slug_base(title, "briefing"), self.taken_slugs)
        self.taken_slugs.add(slug)
        return slug

    def timeline(self, rng, state, benchmark):
        if state == "scheduled":
            created = self.as_of - datetime.timedelta(days=rng.randint(3, 20), seconds=rng.randint(0, 86399))
        elif benchmark:
            created = self.as_of - datetime.timedelta(days=4)
        else:
            created = self.as_of - datetime.timedelta(days=rng.randint(3, 1800), seconds=rng.randint(0, 86399))
        submitted = created + datetime.timedelta(hours=rng.randint(1, 20))
        reviewed = submitted + datetime.timedelta(hours=rng.randint(1, 30))
        timeline = Timeline(created, submitted, reviewed)
        if state in PUBLIC_STATES:
            timeline.published_at = reviewed + datetime.timedelta(minutes=rng.randint(5, 600))
        elif state == "scheduled":
            timeline.scheduled_at = reviewed + datetime.timedelta(minutes=rng.randint(5, 600))
            timeline.published_at = self.as_of + datetime.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
        return timeline

    def story(self, rng, number, state):
        """A briefing in ``state`` with its citations, first revision and history, none of it written yet."""
        benchmark = number == 0
        count = BENCHMARK_CITATIONS if benchmark else max(3, round(rng.gauss(self.plan.citations_per_briefing, 3)))
        title = headline(rng, self.words, rng.randint(4, 9))
        if benchmark:
            title = f"Benchmark briefing with {BENCHMARK_CITATIONS} citations"
        authors = rng.sample(self.analysts, 1 if rng.random() < 0.7 else min(2, len(self.analysts)))
        editor = rng.choice(self.editors)
        tags = self.tags.pick(rng)
        timeline = self.timeline(rng, state, benchmark)

        # Citations, with the words they quote, then the body that uses every one of them.
        passages = self.citable.choose(rng, count)
        briefing = Briefing(title=title, status=Status.DRAFT, version=1)
        citations = []
        for order, item in enumerate(passages):
            quote, start, end = quote_in(rng, item.text)
            prefix, suffix = quotes.context(item.text, start, end)
            note = sentence(rng, self.words, rng.randint(5, 9)) if rng.random() < 0.2 else ""
            citations.append(
                Citation(
                    briefing=briefing, passage_id=item.pk, quote=quote, start=start, end=end, prefix=prefix,
                    suffix=suffix, note=note, label=f"c{order + 1}", order=order, status=Citation.Status.OK,
                    checked_at=timeline.created,
                )
            )
        briefing.body = briefing_body(rng, self.words, [citation.label for citation in citations])
        briefing.dek = sentence(rng, self.words, rng.randint(8, 16))
        briefing.slug = self.unique_slug(title, BENCHMARK_SLUG if benchmark else None)
        briefing.published_at = briefing.public_updated_at = timeline.published_at
        revision = Revision(
            briefing=briefing, number=1, title=title, dek=briefing.dek, body=briefing.body,
            tag_names=[tag.name for tag in tags], author=authors[0], created_at=timeline.created,
            quotes=revisions.quoted_words(citations),
        )
        story = Story(
            briefing=briefing,
            status={"scheduled": Status.PUBLISHED, "corrected": Status.PUBLISHED}.get(state, state),
            created_at=timeline.created,
            revision=revision,
            citations=citations,
            passages=passages,
            authors=authors,
            tags=tags,
        )
        self.history(rng, story, state, timeline, authors[0], editor)
        self.summary.briefings[state] += 1
        return story

    def history(self, rng, story, state, timeline, author, editor):
        """The review record that leads to ``state``, and the public note of a correction or retraction."""
        if state != "draft":
            story.record(Action.SUBMITTED, Status.DRAFT, Status.IN_REVIEW, author, timeline.submitted)
        if state == "changes_requested":
            story.record(Action.CHANGES_REQUESTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED, editor,
                         timeline.reviewed, comment="Quote the minister directly and tighten the second claim.")
        if state in PUBLIC_STATES | {"approved", "scheduled"}:
            story.record(Action.APPROVED, Status.IN_REVIEW, Status.APPROVED, editor, timeline.reviewed)
        if state in PUBLIC_STATES:
            story.record(Action.PUBLISHED, Status.APPROVED, Status.PUBLISHED, editor, timeline.published_at)
        if state == "scheduled":
            story.record(Action.SCHEDULED, Status.APPROVED, Status.PUBLISHED, editor, timeline.scheduled_at)
        if state not in ("corrected", "retracted"):
            return
        room = max(60, int((self.as_of - timeline.published_at).total_seconds()) - 60)
        later = timeline.published_at + datetime.timedelta(seconds=rng.randint(60, room))
        story.briefing.public_updated_at = later
        if state == "corrected":
            kind, action, to_state = Correction.Kind.CORRECTION, Action.CORRECTED, Status.PUBLISHED
            note = "An earlier version of this briefing misstated the date of the agreement."
        else:
            kind, action, to_state = Correction.Kind.RETRACTION, Action.RETRACTED, Status.RETRACTED
            note = "The agreement this briefing describes was never signed."
        story.record(action, Status.PUBLISHED, to_state, editor, later, comment=note)
        story.corrections.append(
            Correction(briefing=story.briefing, kind=kind, note=note, revision=story.revision, created_by=editor,
                       created_at=later)
        )

    def save(self, stories):
        """Write a batch of stories: briefings first, as drafts, then what points at them.

        A body's footnotes link to their citations' ids, so bodies are rendered
        once the citations are written; a published briefing points at its
        revision, so it takes its status once the revision is written.
        """
        briefings = [story.briefing for story in stories]
        Briefing.objects.bulk_create(briefings, batch_size=BATCH)
        citations = [citation for story in stories for citation in story.citations]
        Citation.objects.bulk_create(citations, batch_size=BATCH)
        for story in stories:
            footnotes = [
                Footnote(citation.pk, citation.label, item, citation.quote, citation.prefix, citation.suffix,
                         citation.note)
                for citation, item in zip(story.citations, story.passages, strict=True)
            ]
            story.briefing.body_html = story.revision.body_html = render_body(story.briefing.body, footnotes)
        Revision.objects.bulk_create([story.revision for story in stories], batch_size=BATCH)
        for story in stories:
            story.briefing.status = story.status
            if story.briefing.published_at is not None:
                story.briefing.published_revision = story.revision
            # Inserting set created_at and updated_at to "now" (auto_now); put the timeline's times back.
            story.briefing.created_at = story.briefing.updated_at = story.created_at
        Briefing.objects.bulk_update(
            briefings, ["status", "published_revision", "body_html", "created_at", "updated_at"], batch_size=BATCH
        )
        RevisionCitation.objects.bulk_create(
            (
                RevisionCitation(revision=story.revision, **revisions.copied_citation_fields(citation))
                for story in stories
                for citation in story.citations
            ),
            batch_size=BATCH,
        )
        RevisionTag.objects.bulk_create(
            (RevisionTag(revision=story.revision, tag=tag) for story in stories for tag in story.tags),
            batch_size=BATCH,
        )
        TaggedBriefing.objects.bulk_create(
            (TaggedBriefing(content_object=story.briefing, tag=tag) for story in stories for tag in story.tags),
            batch_size=BATCH,
        )
        Briefing.authors.through.objects.bulk_create(
            (Briefing.authors.through(briefing=story.briefing, user=user) for story in stories
             for user in story.authors),
            batch_size=BATCH,
        )
        events = [event for story in stories for event in story.events]
        BriefingEvent.objects.bulk_create(events, batch_size=BATCH)
        corrections = [correction for story in stories for correction in story.corrections]
        Correction.objects.bulk_create(corrections, batch_size=BATCH)
        self.summary.citations += len(citations)
        self.summary.revisions += len(stories)
        self.summary.events += len(events)
        self.summary.corrections += len(corrections)
