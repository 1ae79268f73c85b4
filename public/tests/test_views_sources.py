"""The sources list and a source's page: passages, "cited by", and the quote ``?cite=`` highlights."""
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from briefings import workflow
from briefings.models import Briefing, Citation
from briefings.tests.factories import Newsroom, make_source, passage
from sources import importer
from sources.importer import import_sources
from sources.models import Source
from sources.tests.factories import SEED_DIR, TemporaryFolder

from .base import PublicSiteTestCase


class SourcePageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        cls.briefing = cls.newsroom.published(
            [(passage(cls.source, 1), "signed a transit agreement")], title="Baku signs a transit agreement"
        )
        cls.citation = cls.briefing.citations.get()
        cls.draft = cls.newsroom.draft([(passage(cls.source, 3), "regional cooperation should")], title="Secret draft")
        cls.draft_citation = cls.draft.citations.get()

    def test_cite_highlights_the_exact_quote(self):
        """Following a footnote, the reader lands on the cited words, marked."""
        response = self.client.get(f"{self.source.get_absolute_url()}?cite={self.citation.pk}")
        self.assertContains(
            response,
            '<span class="passage-text">Officials in Baku <mark class="cited-quote" id="cited-quote">'
            "signed a transit agreement</mark> on Monday after months of talks.</span>",
        )
        self.assertContains(response, "highlighted below")
        self.assertContains(response, 'id="p-1"')

    def test_cited_by_lists_published_briefings_under_their_passage(self):
        """Each quoted passage says which published briefings rely on it."""
        response = self.client.get(self.source.get_absolute_url())
        self.assertContains(response, "Cited by:")
        link = f'<a href="{self.briefing.get_absolute_url()}">Baku signs a transit agreement</a>'
        self.assertContains(response, link)
        self.assertNotContains(response, "Secret draft")

    def test_a_drafts_citation_is_never_highlighted(self):
        """A draft's quote stays secret even to someone who guesses its id."""
        response = self.client.get(f"{self.source.get_absolute_url()}?cite={self.draft_citation.pk}")
        self.assertNotContains(response, "<mark")
        self.assertNotContains(response, "Secret draft")

    def test_nonsense_cite_is_ignored(self):
        for value in ("abc", "-1", "0", "999999"):
            response = self.client.get(f"{self.source.get_absolute_url()}?cite={value}")
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, "<mark")

    def test_cite_of_another_source_highlights_nothing(self):
        other = make_source()
        response = self.client.get(f"{other.get_absolute_url()}?cite={self.citation.pk}")
        self.assertNotContains(response, "<mark")

    def test_highlight_follows_the_published_revision_not_the_working_copy(self):
        """While an edit is in review, the link still highlights the published words."""
        citation = Citation.objects.get(pk=self.citation.pk)
        citation.quote = "after months of talks"
        citation.save()
        workflow.record_edit(Briefing.objects.get(pk=self.briefing.pk), self.newsroom.analyst)
        response = self.client.get(f"{self.source.get_absolute_url()}?cite={self.citation.pk}")
        self.assertContains(response, '<mark class="cited-quote" id="cited-quote">signed a transit agreement</mark>')

    def test_source_page_has_a_feed_of_briefings_citing_it(self):
        response = self.client.get(self.source.get_absolute_url())
        self.assertContains(response, f'href="/sources/{self.source.slug}/feed/"')

    def test_query_count_does_not_grow_with_citations(self):
        # 1 public state, 1 source with its current version's id, 1 current version, 1 count and 1 page of
        # passages, 1 "cited by"; with ?cite=, 1 citation, 1 published quote and 1 for the page that holds the
        # quoted passage.
        with self.assertNumQueries(6):
            self.client.get(self.source.get_absolute_url())
        with self.assertNumQueries(9):
            self.client.get(f"{self.source.get_absolute_url()}?cite={self.citation.pk}")
        for _ in range(3):
            self.newsroom.published(
                [(passage(self.source, 2), "carry gas from"), (passage(self.source, 4), "expect tariffs to")]
            )
        with self.assertNumQueries(6):
            response = self.client.get(self.source.get_absolute_url())
        self.assertEqual(len(response.context["passages"][1].cited_by), 3)


class HighlightAfterReimportTests(PublicSiteTestCase):
    """A source imported again after publication: footnote links keep landing on the same words."""

    MANIFEST = '[sources."article.txt"]\nslug = "transit-talks"\ntitle = "Transit talks"\n'

    def setUp(self):
        super().setUp()
        self.folder = TemporaryFolder(self)
        self.folder.write("sources.toml", self.MANIFEST)
        self.write_article("Officials in Baku signed a transit agreement on Monday after months of talks.")
        self.source = Source.objects.get(slug="transit-talks")
        self.newsroom = Newsroom()
        self.briefing = self.newsroom.published(
            [(self.source.passages.get(ordinal=2), "signed a transit agreement on Monday")], title="Deal signed"
        )
        self.citation = self.briefing.citations.get()
        self.url = f"{self.source.get_absolute_url()}?cite={self.citation.pk}"

    def write_article(self, second_line):
        self.folder.write("article.txt", f"Transit talks\n{second_line}\nMoscow reacted cautiously to the news.\n")
        import_sources([self.folder.path])

    def test_words_moved_to_a_changed_paragraph_are_still_highlighted(self):
        """The paragraph was reworded around the quote; the same words are marked where they now are."""
        self.write_article("On Monday, officials in Baku signed a transit agreement on Monday, ending talks.")
        response = self.client.get(self.url)
        marked = '<mark class="cited-quote" id="cited-quote">signed a transit agreement on Monday</mark>'
        self.assertContains(response, marked)

    def test_quoted_words_that_changed_are_not_highlighted_elsewhere(self):
        """If the quoted words themselves changed, nothing is marked rather than the wrong words."""
        self.write_article("Officials in Baku initialled a transit agreement on Tuesday after months of talks.")
        response = self.client.get(self.url)
        self.assertNotContains(response, "<mark")
        self.assertContains(response, "cannot be highlighted")


class SourcePagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_sources([SEED_DIR])
        cls.rferl = Source.objects.get(slug="one-winner-of-the-ukraine-war-is-azerbaijan")

    def test_list_shows_every_source_with_publisher_and_passage_count(self):
        """Readers see which articles the desk cites."""
        response = self.client.get("/sources/")
        self.assertContains(response, "One Winner Of The Ukraine War Is Azerbaijan")
        self.assertContains(response, "RFE/RL")
        self.assertContains(response, "<td>57</td>", html=True)
        self.assertContains(response, 'href="/sources/putin-state-visit-to-baku/"')

    def test_list_query_count(self):
        # The public state that keys the page cache, the paginator's count, the sources with their passage counts;
        # once cached, the page costs the first query alone.
        with self.assertNumQueries(3):
            self.client.get("/sources/")
        with self.assertNumQueries(1):
            self.client.get("/sources/")

    def test_article_has_an_anchor_for_every_passage(self):
        """/sources/<slug>/#p-12 lands on passage 12."""
        response = self.client.get(self.rferl.get_absolute_url())
        for ordinal in range(1, 58):
            self.assertContains(response, f'id="p-{ordinal}"')
        passage = self.rferl.passages.get(ordinal=12)
        self.assertContains(response, escape(passage.text))

    def test_boilerplate_is_set_apart(self):
        """Site chrome is visibly marked as not part of the article."""
        response = self.client.get(self.rferl.get_absolute_url())
        self.assertContains(response, 'class="passage passage-boilerplate" id="p-1"')
        self.assertContains(response, "Site text, not part of the article")

    def test_retired_passages_are_not_shown_as_part_of_the_article(self):
        """Readers see the current version of the article."""
        passage = self.rferl.passages.get(ordinal=10)
        importer.import_text(self.rferl, self.rferl.text.replace(passage.text + "\n", "", 1))
        response = self.client.get(self.rferl.get_absolute_url())
        self.assertNotContains(response, f'id="{passage.anchor}"')
        self.assertContains(response, 'id="p-11"')

    def test_unknown_source_is_404(self):
        self.assertEqual(self.client.get("/sources/no-such-article/").status_code, 404)


class UntitledSourceListTests(TestCase):
    def test_list_names_a_title_less_source_by_its_opening_words(self):
        """The sources list shows a headline-less article's first words, without reading every article's text."""
        now = timezone.now()
        Source.objects.create(
            slug="untitled", title="", text="Gas talks resume in Ashgabat\n" + "Long body. " * 5000,
            content_hash="0" * 64, imported_at=now, updated_at=now,
        )
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get("/sources/")
        self.assertContains(response, '<a href="/sources/untitled/">Gas talks resume in Ashgabat</a>', html=True)
        self.assertFalse(any('"sources_source"."text"' in query["sql"] for query in captured))
