from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from sources.importer import import_sources
from sources.models import Source

from .factories import SEED_DIR


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
        # One query for the sources with their passage counts (no pagination count needed below 50).
        with self.assertNumQueries(2):
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
        passage.retired = True
        passage.save()
        response = self.client.get(self.rferl.get_absolute_url())
        self.assertNotContains(response, 'id="p-10"')

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
