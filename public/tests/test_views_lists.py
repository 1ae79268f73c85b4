"""The lists readers browse: the home page with its filters and pages, tags, corrections."""
import datetime

import time_machine

from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase


class BriefingListTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        cls.other_source = make_source(title="Tbilisi weighs tariffs")
        cls.first_passage, cls.second_passage = passage(cls.source, 1), passage(cls.source, 2)
        with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.older = cls.newsroom.published(
                [(cls.first_passage, "signed a transit agreement")],
                title="Baku signs a transit agreement",
                dek="The deal ends months of talks.",
                tags=["Energy", "Azerbaijan"],
            )
        with time_machine.travel(datetime.datetime(2026, 4, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.newer = cls.newsroom.published(
                [(passage(cls.other_source, 4), "expect tariffs to fall")],
                title="Tariffs expected to fall",
                dek="Georgia's analysts are optimistic.",
                tags=["Georgia"],
            )

    def test_lists_published_briefings_newest_first(self):
        """Readers see the latest briefing at the top of the home page."""
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        content = response.content.decode()
        self.assertLess(content.index("Tariffs expected to fall"), content.index("Baku signs a transit agreement"))
        self.assertContains(response, "The deal ends months of talks.")
        self.assertContains(response, f"Nino {self.newsroom.analyst.last_name}")
        self.assertContains(response, '<a href="/tags/energy/">Energy</a>', html=True)

    def test_filter_form_is_a_plain_get_form_with_labels(self):
        """The filters work without JavaScript and every field is labelled."""
        response = self.client.get("/")
        self.assertContains(response, '<form method="get" action="/" aria-label="Filter briefings">')
        for field in ("q", "source", "author", "published_after", "published_before"):
            self.assertContains(response, f'<label for="id_{field}">')
        self.assertContains(response, "<legend>Tags</legend>", html=True)

    def test_filter_form_offers_tags_and_the_chosen_source_with_links_to_all(self):
        """The form stays short on a large archive: tags in use as checkboxes, every tag and source one link away."""
        response = self.client.get(f"/?source={self.other_source.slug}")
        self.assertContains(response, '<input type="checkbox" name="tag" value="energy" id="id_tag_1">', html=True)
        self.assertContains(response, '<a href="/tags/">all tags</a>', html=True)
        self.assertContains(response, '<a href="/sources/">all sources</a>', html=True)
        self.assertContains(
            response, f'<option value="{self.other_source.slug}" selected>Tbilisi weighs tariffs</option>', html=True
        )
        self.assertNotContains(response, f'value="{self.source.slug}"')

    def test_filter_by_one_tag(self):
        """Choosing a tag keeps only the briefings carrying it."""
        response = self.client.get("/?tag=energy")
        self.assertContains(response, "Baku signs a transit agreement")
        self.assertNotContains(response, "Tariffs expected to fall")
        self.assertContains(response, "Briefings tagged Energy")

    def test_filter_by_several_tags_keeps_briefings_with_any_of_them(self):
        """Two tags show the briefings of either."""
        response = self.client.get("/?tag=energy&tag=georgia")
        self.assertContains(response, "Baku signs a transit agreement")
        self.assertContains(response, "Tariffs expected to fall")

    def test_filter_by_cited_source(self):
        """Choosing a source keeps the briefings quoting it."""
        response = self.client.get(f"/?source={self.other_source.slug}")
        self.assertContains(response, "Tariffs expected to fall")
        self.assertNotContains(response, "Baku signs a transit agreement")

    def test_filter_by_author(self):
        """Choosing an author keeps their briefings only."""
        other = Newsroom()
        other.published([(self.second_passage, "carry gas from the Caspian")], title="Caspian gas heads west")
        response = self.client.get(f"/?author={other.analyst.author_profile.slug}")
        self.assertContains(response, "Caspian gas heads west")
        self.assertNotContains(response, "Tariffs expected to fall")

    def test_filter_by_date_range(self):
        """Dates narrow the list to what was published between them, inclusive."""
        response = self.client.get("/?published_after=2026-03-01&published_before=2026-03-02")
        self.assertContains(response, "Baku signs a transit agreement")
        self.assertNotContains(response, "Tariffs expected to fall")

    def test_filter_by_words(self):
        """Words in the filter form find briefings by their text."""
        response = self.client.get("/?q=tariffs")
        self.assertContains(response, "Tariffs expected to fall")
        self.assertNotContains(response, "Baku signs a transit agreement")

    def test_filtered_list_links_to_the_same_filter_as_a_feed(self):
        """A filtered list can be followed in a feed reader."""
        response = self.client.get("/?tag=energy")
        self.assertContains(response, '<link rel="alternate" type="application/rss+xml"')
        self.assertContains(response, 'href="/feed/?tag=energy"')
        self.assertContains(response, 'href="/feed/atom/?tag=energy"')

    def test_unknown_tag_is_a_clear_error_not_an_empty_list(self):
        """A mistyped filter says so instead of silently showing nothing."""
        response = self.client.get("/?tag=no-such-tag")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Select a valid choice")
        self.assertContains(response, "Some filters could not be used")
        self.assertNotContains(response, "Baku signs a transit agreement")

    def test_invalid_date_is_a_clear_error(self):
        """A date that is not a date is refused by name, and not echoed into the date picker."""
        response = self.client.get("/?published_after=yesterday")
        self.assertContains(response, "Enter a valid date.")
        self.assertNotContains(response, 'value="yesterday"')

    def test_query_count_does_not_grow_with_briefings_tags_or_citations(self):
        # 1 public state, 1 count for the paginator, 1 for the stamps of the page's briefings (they key the kept
        # list and its entries), 1 page of briefings with their published revisions, 1 authors and 1 tags for
        # the whole page, and the form's choices: the most used tags and the authors (sources are offered from
        # their own pages, so none is read when none is chosen).
        with self.assertNumQueries(8):
            self.client.get("/")
        for number in range(3):
            self.newsroom.published(
                [(self.first_passage, "signed a transit agreement"), (self.second_passage, "carry gas from")],
                tags=[f"Topic {number}", f"Other {number}"],
            )
        self.client.get("/")  # the new briefings changed the public state
        with self.assertNumQueries(8):
            response = self.client.get("/?page=1&q=")
        self.assertEqual(len(response.context["briefings"]), 5)

    def test_filtered_query_count(self):
        # As above, plus 1 to validate the chosen tag; the filter itself is part of the count and list queries.
        with self.assertNumQueries(9):
            self.client.get("/?tag=energy")


class PaginationTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source()
        for _ in range(21):
            newsroom.published([(passage(source, 1), "signed a transit agreement")])

    def test_twenty_per_page_and_a_link_to_older(self):
        """Long lists are cut into pages with a link to the next."""
        response = self.client.get("/")
        self.assertEqual(len(response.context["briefings"]), 20)
        self.assertContains(response, 'href="?page=2" rel="next"')
        second = self.client.get("/?page=2")
        self.assertEqual(len(second.context["briefings"]), 1)
        self.assertContains(second, 'rel="prev"')

    def test_page_links_keep_the_filter(self):
        response = self.client.get("/?q=claim")
        self.assertContains(response, 'href="?q=claim&amp;page=2"')

    def test_page_past_the_end_is_404(self):
        self.assertEqual(self.client.get("/?page=9").status_code, 404)


class TagPageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source()
        quote = [(passage(source, 1), "signed a transit agreement")]
        newsroom.published(quote, title="First energy briefing", tags=["Energy", "Gas"])
        newsroom.published(quote, title="Second energy briefing", tags=["energy"])
        newsroom.draft(quote, title="Draft about pipelines", tags=["Pipelines", "Energy"])

    def test_tag_list_counts_published_briefings_only(self):
        """Readers see each topic with how many briefings they can read."""
        response = self.client.get("/tags/")
        self.assertContains(response, '<td><a href="/tags/energy/">Energy</a></td><td>2</td>', html=True)
        self.assertContains(response, '<td><a href="/tags/gas/">Gas</a></td><td>1</td>', html=True)
        self.assertNotContains(response, "Pipelines")

    def test_tag_page_lists_its_published_briefings(self):
        response = self.client.get("/tags/energy/")
        self.assertContains(response, "First energy briefing")
        self.assertContains(response, "Second energy briefing")
        self.assertNotContains(response, "Draft about pipelines")
        self.assertContains(response, 'href="/tags/energy/feed/"')

    def test_tag_only_drafts_carry_is_404(self):
        self.assertEqual(self.client.get("/tags/pipelines/").status_code, 404)

    def test_query_counts(self):
        # 1 public state, 1 count for the paginator, 1 tags with their counts.
        with self.assertNumQueries(3):
            self.client.get("/tags/")
        # 1 public state, 1 tag (with its count, so a draft-only tag is 404), 1 count for the paginator,
        # 1 stamps of the page's briefings, 1 page of briefings, 1 authors, 1 tags.
        with self.assertNumQueries(7):
            self.client.get("/tags/energy/")


class CorrectionsPageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source()
        quote = [(passage(source, 1), "signed a transit agreement")]
        corrected = newsroom.published(quote, title="Corrected briefing")
        newsroom.corrected(corrected, note="The date was wrong.")
        newsroom.retracted(quote, title="Retracted briefing")

    def test_lists_corrections_and_retractions(self):
        """Readers can see everything the desk has had to correct."""
        response = self.client.get("/corrections/")
        self.assertContains(response, "Corrected briefing")
        self.assertContains(response, "The date was wrong.")
        self.assertContains(response, "Retracted briefing")
        self.assertContains(response, "The agreement described here was never signed.")
        self.assertContains(response, 'href="/corrections/feed/"')

    def test_query_count(self):
        # 1 public state, 1 count for the paginator, 1 corrections with their briefing and revision.
        with self.assertNumQueries(3):
            self.client.get("/corrections/")
