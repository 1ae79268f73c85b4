"""The search page: the form, both groups of results, and what it costs."""
from django.db import connection

from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase


class SearchPageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        newsroom.published(
            [(passage(cls.source, 2), "carry gas from the Caspian")],
            title="Caspian gas heads to Europe",
            dek="A pipeline deal.",
            body="The pipeline changes the *regional* balance.[^n1]",
        )

    def test_empty_search_shows_the_form(self):
        response = self.client.get("/search/")
        self.assertContains(response, '<label for="search-q">Words to find</label>', html=True)
        self.assertNotContains(response, "briefing-results")

    def test_finds_briefings_and_passages_with_highlighted_words(self):
        """A search lists matching briefings, then matching passages of the sources."""
        response = self.client.get("/search/?q=pipeline")
        self.assertContains(response, "Caspian gas heads to Europe")
        self.assertContains(response, "<mark>pipeline</mark>", html=False)
        # The passage's own address, which opens the page of a long source that holds it.
        self.assertContains(response, f'href="/sources/{self.source.slug}/p/2/"')

    def test_query_count(self):
        # 1 public state, briefings: 1 count, 1 page, 1 authors, 1 tags; passages: 1 count, 1 page, 1 for the
        # published briefings citing the page's passages. PostgreSQL reads each group's count with its page, and
        # first writes out the passages' query in every language the sources use, so the planner sees a constant
        # (public.search.postgresql).
        with self.assertNumQueries(7 if connection.vendor == "postgresql" else 8):
            self.client.get("/search/?q=pipeline")
