"""Search finds a briefing by the words its footnotes quote, and a passage found leads to the briefings citing it."""
from django.test import override_settings

from briefings import workflow
from briefings.models import Citation
from briefings.tests.factories import Newsroom, cite, make_source, passage
from public import queries as public
from public import search

from .base import PublicSiteTestCase

ARTICLE = [
    "Caspian pipeline talks resumed in Baku on Tuesday.",
    "Officials said the corridor would double gas exports to Europe.",
    "Hydrologists warned that the reservoir levels were falling fast.",
]


class QuoteSearchTestsMixin:
    """The same expectations, whichever backend answers."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(*ARTICLE, title="Corridor talks")
        cls.quoting = cls.newsroom.published(
            [(passage(cls.source, 2), "double gas exports to Europe")],
            title="Weekly notes", dek="Short items.", body="A deal was struck.[^n1]",
        )
        cls.in_body = cls.newsroom.published(
            [(passage(cls.source, 1), "Caspian pipeline talks resumed")],
            title="Trade figures", dek="Numbers.", body="Gas exports rose again this year.[^n1]",
        )
        cls.draft = cls.newsroom.draft(
            [(passage(cls.source, 3), "the reservoir levels were falling")], title="Water memo", body="Dry.[^n1]"
        )

    def titles(self, text):
        return [b.published_revision.title for b in search.rank_briefings(public.briefings(), text)]

    def test_a_word_only_in_a_quote_finds_the_briefing(self):
        """A reader who remembers the source's words finds the briefing that quotes them."""
        self.assertEqual(self.titles("Europe"), ["Weekly notes"])

    def test_quotes_rank_below_the_briefings_own_words(self):
        """A briefing saying the words itself comes before one that only quotes them."""
        self.assertEqual(self.titles("exports"), ["Trade figures", "Weekly notes"])

    def test_quotes_of_drafts_and_pending_edits_are_not_found(self):
        """Words quoted only by a draft, or by an edit still in review, find nothing."""
        self.assertEqual(self.titles("reservoir"), [])
        cite(self.quoting, passage(self.source, 3), "warned that the reservoir levels", label="n2", order=1)
        self.quoting.body = "A deal was struck.[^n1] Water.[^n2]"
        self.quoting.save()
        workflow.record_edit(self.quoting, self.newsroom.analyst)
        workflow.submit(self.quoting, self.newsroom.analyst)
        self.assertEqual(self.titles("reservoir"), [])
        self.assertEqual(self.titles("Europe"), ["Weekly notes"])

    def test_a_republished_quote_is_found(self):
        """Once the edit is published, its new quote finds the briefing."""
        cite(self.quoting, passage(self.source, 3), "warned that the reservoir levels", label="n2", order=1)
        self.newsroom.republished(self.quoting, minor=True, body="A deal was struck.[^n1] Water.[^n2]")
        self.assertEqual(self.titles("reservoir"), ["Weekly notes"])

    def test_a_passage_found_links_to_the_published_briefings_citing_it(self):
        """A passage in the results leads to the briefings that quote it, and never to a draft."""
        html = self.client.get("/search/?q=reservoir").content.decode()
        self.assertIn("Hydrologists warned", html)
        self.assertNotIn("Water memo", html)
        html = self.client.get("/search/?q=Europe").content.decode()
        self.assertIn(f'<li><a href="{self.quoting.get_absolute_url()}">Weekly notes</a></li>', html)


class DatabaseQuoteSearchTests(QuoteSearchTestsMixin, PublicSiteTestCase):
    """PostgreSQL's stored vector (quotes weighted D) or SQLite's FTS5 table, depending on the database."""


@override_settings(SEARCH_BACKEND="plain")
class PlainQuoteSearchTests(QuoteSearchTestsMixin, PublicSiteTestCase):
    """Plain containment searches the quotes too, weighed least."""


class QuotedWordsTests(PublicSiteTestCase):
    def test_a_revision_keeps_its_quotes_in_footnote_order(self):
        """What search reads of a revision is its citations' words, as its footnotes list them."""
        newsroom = Newsroom()
        source = make_source(*ARTICLE)
        briefing = newsroom.published(
            [(passage(source, 2), "double gas exports"), (passage(source, 1), "pipeline talks resumed")]
        )
        self.assertEqual(briefing.published_revision.quotes, "double gas exports\npipeline talks resumed")
        self.assertEqual(Citation.objects.filter(briefing=briefing).count(), 2)
