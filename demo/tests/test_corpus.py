import datetime
import io
import re
from collections import Counter

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from briefings import quotes
from briefings.models import Briefing, BriefingEvent, Citation, Correction, Revision, Tag
from briefings.tests.factories import Newsroom, make_source, passage
from demo import corpus
from sources import text as passage_text
from sources.models import Passage, Source

AS_OF = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
SMALL = corpus.Plan(sources=6, passages_per_source=12, briefings=24, tags=20, citations_per_briefing=4, as_of=AS_OF)


def fingerprint():
    """Everything the corpus holds, without database ids (they are not part of "the same data")."""
    cite_ids = re.compile(r"\?cite=\d+")
    return {
        "sources": list(Source.objects.order_by("origin").values_list("slug", "title", "text", "imported_at")),
        "passages": list(
            Passage.objects.order_by("source__origin", "ordinal").values_list("anchor", "text", "kind", "start")
        ),
        "briefings": [
            (b.slug, b.title, b.status, b.version, b.published_at, b.public_updated_at, b.created_at, b.body,
             cite_ids.sub("", b.body_html), sorted(b.tags.names()), sorted(a.username for a in b.authors.all()))
            for b in Briefing.objects.order_by("slug").prefetch_related("tags", "authors")
        ],
        "citations": list(
            Citation.objects.order_by("briefing__slug", "order").values_list(
                "label", "passage__source__origin", "passage__ordinal", "quote", "start", "end", "prefix", "suffix"
            )
        ),
        "events": list(
            BriefingEvent.objects.order_by("briefing__slug", "created_at", "action").values_list(
                "briefing__slug", "action", "from_state", "to_state", "actor__username", "created_at"
            )
        ),
    }


class CorpusContentTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.summary = corpus.generate(SMALL)

    def test_every_workflow_state_is_present_in_the_promised_numbers(self):
        """A benchmark or a query budget sees drafts, reviews, schedules, corrections and retractions alike."""
        states = Counter(self.summary.briefings)
        self.assertEqual(set(states), {state for state, _share in corpus.STATE_SHARES})
        self.assertEqual(sum(states.values()), SMALL.briefings)
        stored = Counter(Briefing.objects.values_list("status", flat=True))
        self.assertEqual(stored[Briefing.Status.DRAFT], states["draft"])
        self.assertEqual(stored[Briefing.Status.IN_REVIEW], states["in_review"])
        self.assertEqual(stored[Briefing.Status.CHANGES_REQUESTED], states["changes_requested"])
        self.assertEqual(stored[Briefing.Status.APPROVED], states["approved"])
        self.assertEqual(stored[Briefing.Status.RETRACTED], states["retracted"])
        self.assertEqual(
            stored[Briefing.Status.PUBLISHED], states["published"] + states["corrected"] + states["scheduled"]
        )
        self.assertEqual(Source.objects.count(), SMALL.sources)
        self.assertEqual(Tag.objects.count(), SMALL.tags)
        self.assertEqual(Citation.objects.count(), self.summary.citations)

    def test_only_published_briefings_are_public(self):
        """Drafts, reviews, approvals, scheduled and retracted briefings never reach readers."""
        public = set(Briefing.objects.published(now=AS_OF).values_list("pk", flat=True))
        expected = set(
            Briefing.objects.filter(status=Briefing.Status.PUBLISHED, published_at__lte=AS_OF).values_list(
                "pk", flat=True
            )
        )
        self.assertEqual(public, expected)
        self.assertEqual(len(public), self.summary.briefings["published"] + self.summary.briefings["corrected"])
        for briefing in Briefing.objects.exclude(pk__in=public):
            with self.subTest(briefing=briefing.slug, status=briefing.status):
                if briefing.status == Briefing.Status.RETRACTED:
                    self.assertIsNotNone(briefing.published_revision_id)
                elif briefing.published_revision_id is not None:
                    self.assertGreater(briefing.published_at, AS_OF)  # scheduled
                else:
                    self.assertIsNone(briefing.published_at)

    def test_quotes_verify_with_the_real_verifier(self):
        """Every generated footnote points at words the source really prints, with the stored offsets."""
        citations = list(Citation.objects.select_related("passage"))
        self.assertGreater(len(citations), 50)
        for citation in citations:
            with self.subTest(citation=citation.pk):
                match = quotes.locate(
                    citation.passage.text, citation.quote, start=citation.start,
                    prefix=citation.prefix, suffix=citation.suffix,
                )
                self.assertEqual(
                    (match.quote, match.start, match.end, match.prefix, match.suffix),
                    (citation.quote, citation.start, citation.end, citation.prefix, citation.suffix),
                )
                stored = (citation.quote, citation.start, citation.end, citation.prefix, citation.suffix)
                citation.verify()
                self.assertEqual(
                    (citation.quote, citation.start, citation.end, citation.prefix, citation.suffix), stored
                )
                self.assertTrue(citation.passage.citable)
                self.assertFalse(citation.passage.retired)

    def test_bodies_are_rendered_by_the_real_renderer(self):
        """The stored HTML is what saving the briefing in the admin would have stored."""
        for briefing in Briefing.objects.all():
            with self.subTest(briefing=briefing.slug):
                self.assertEqual(briefing.body_html, briefing.render())
                self.assertEqual(briefing.citation_problems(), [])

    def test_published_revisions_hold_the_citations_readers_follow(self):
        """A public page shows a revision whose citations and HTML match the working copy it was made from."""
        for briefing in Briefing.objects.exclude(published_revision=None).select_related("published_revision"):
            with self.subTest(briefing=briefing.slug):
                revision = briefing.published_revision
                self.assertEqual(revision.body_html, briefing.body_html)
                self.assertEqual(revision.title, briefing.title)
                self.assertEqual(revision.tag_names, sorted(briefing.tags.names(), key=str.casefold))
                self.assertEqual(
                    set(revision.tagged_items.values_list("tag_id", flat=True)),
                    set(briefing.tags.values_list("pk", flat=True)),
                )
                working = list(briefing.citations.values_list("label", "passage_id", "quote", "start", "end"))
                frozen = list(revision.citations.values_list("label", "passage_id", "quote", "start", "end"))
                self.assertEqual(frozen, working)

    def test_events_tell_each_briefings_history(self):
        """The review record of every briefing leads to its state, one version per step."""
        for briefing in Briefing.objects.prefetch_related("events"):
            with self.subTest(briefing=briefing.slug):
                events = list(briefing.events.all())
                self.assertEqual(briefing.version, 1 + len(events))
                last_state = events[-1].to_state if events else Briefing.Status.DRAFT
                self.assertEqual(last_state, briefing.status)
                for before, after in zip(events, events[1:], strict=False):
                    self.assertEqual(before.to_state, after.from_state)
                    self.assertLessEqual(before.created_at, after.created_at)

    def test_corrections_and_retractions_are_public_notes(self):
        """Corrected and retracted briefings carry their dated notice, after publication."""
        corrections = Correction.objects.select_related("briefing")
        self.assertEqual(corrections.count(), self.summary.briefings["corrected"] + self.summary.briefings["retracted"])
        for correction in corrections:
            self.assertLess(correction.briefing.published_at, correction.created_at)
            self.assertEqual(correction.briefing.public_updated_at, correction.created_at)
            self.assertEqual(correction.kind == Correction.Kind.RETRACTION,
                             correction.briefing.status == Briefing.Status.RETRACTED)

    def test_passages_are_what_the_importer_would_store(self):
        """Sources are split by the importer's own rules, so passages, offsets and kinds are realistic."""
        for source in Source.objects.all():
            with self.subTest(source=source.slug):
                split = passage_text.split(source.text)
                stored = list(source.passages.order_by("ordinal").values_list("text", "start", "end", "kind"))
                self.assertEqual(stored, [(p.text, p.start, p.end, p.kind) for p in split])
                self.assertEqual(source.content_hash, passage_text.sha256(source.text))

    def test_benchmark_briefing_is_published_with_thirty_citations(self):
        """The benchmark finds its briefing by a fixed address."""
        briefing = Briefing.objects.published(now=AS_OF).get(slug=corpus.BENCHMARK_SLUG)
        self.assertEqual(briefing.published_revision.citations.count(), corpus.BENCHMARK_CITATIONS)

    def test_benchmark_source_has_sixty_passages(self):
        """The benchmark finds its long source page by a fixed address."""
        source = Source.objects.get(slug=corpus.BENCHMARK_SOURCE_SLUG)
        self.assertEqual(source.passages.count(), corpus.BENCHMARK_SOURCE_PASSAGES)

    def test_every_revision_has_an_author_who_is_not_its_reviewer(self):
        """Four-eyes holds in the generated history too: no one approves their own briefing."""
        for event in BriefingEvent.objects.filter(action=BriefingEvent.Action.APPROVED).select_related("briefing"):
            self.assertNotIn(event.actor_id, set(event.briefing.authors.values_list("pk", flat=True)))


class DeterminismTests(TestCase):
    def test_same_arguments_give_the_same_data(self):
        """Two runs with the same seed produce identical corpora, so benchmark runs compare."""
        corpus.generate(SMALL)
        first = fingerprint()
        corpus.generate(SMALL, replace=True)
        self.assertEqual(fingerprint(), first)

    def test_another_seed_gives_other_data(self):
        """The seed is what varies the corpus."""
        corpus.generate(SMALL)
        first = fingerprint()
        corpus.generate(corpus.Plan(**{**SMALL.__dict__, "seed": 8}), replace=True)
        self.assertNotEqual(fingerprint()["briefings"], first["briefings"])


class CommandTests(TestCase):
    def run_command(self, *args):
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "generate_corpus", "--sources", "3", "--passages-per-source", "8", "--briefings", "10", "--tags", "5",
            "--as-of", "2026-06-01", *args, stdout=out, stderr=err,
        )
        return out.getvalue(), err.getvalue()

    def test_prints_one_summary_line_and_progress_on_stderr(self):
        """The operator sees progress while it runs and what was made at the end."""
        out, err = self.run_command()
        self.assertEqual(len(out.strip().splitlines()), 1)
        self.assertRegex(out, r"^Generated 3 sources, 76 passages, 5 tags, 16 accounts, 10 briefings \(")
        self.assertIn("100% 10/10", err)

    def test_refuses_to_generate_twice_without_replace(self):
        """A second run says how to rebuild instead of doubling the corpus."""
        self.run_command()
        with self.assertRaisesMessage(CommandError, "--replace"):
            self.run_command()
        self.assertEqual(Briefing.objects.count(), 10)

    def test_replace_keeps_the_newsrooms_own_work(self):
        """Replacing the corpus removes generated rows only."""
        newsroom = Newsroom()
        source = make_source()
        own = newsroom.published([(passage(source, 1), "signed a transit agreement")], tags=["Energy"])
        self.run_command()
        self.run_command("--replace", "--seed", "9")
        self.assertEqual(Briefing.objects.count(), 11)
        self.assertTrue(Briefing.objects.filter(pk=own.pk, tags__name="Energy").exists())
        self.assertEqual(Source.objects.count(), 4)

    def test_replace_refuses_when_real_briefings_cite_the_corpus(self):
        """Generated sources quoted by the newsroom's own briefings are not deleted behind its back."""
        self.run_command()
        newsroom = Newsroom()
        quoted = Passage.objects.filter(source__origin__startswith=corpus.ORIGIN_PREFIX, kind="paragraph").first()
        words = " ".join(quoted.text.split()[:4])
        newsroom.draft([(quoted, words)])
        with self.assertRaisesMessage(CommandError, "cite its sources"):
            self.run_command("--replace")
        self.assertEqual(Revision.objects.count(), 11)

    def test_bad_arguments_are_refused_with_a_reason(self):
        """Impossible sizes and dates are errors, and nothing is written."""
        with self.assertRaisesMessage(CommandError, "At most"):
            self.run_command("--tags", "100000")
        with self.assertRaisesMessage(CommandError, "not a date"):
            self.run_command("--as-of", "yesterday")
        self.assertFalse(Source.objects.exists())
