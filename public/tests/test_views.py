import datetime
import json
import re

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from briefings import workflow
from briefings.models import Briefing, Citation
from briefings.tests.factories import ARTICLE, Newsroom, make_source, passage
from sources.importer import import_sources
from sources.models import Source
from sources.tests.factories import SEED_DIR, TemporaryFolder

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
        response = self.client.get(f"/?author={other.analyst.username}")
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
        # 1 public state, 1 count for the paginator, 1 page of briefings with their published revisions,
        # 1 authors and 1 tags for the whole page, and the form's choices: the most used tags and the authors
        # (sources are offered from their own pages, so none is read when none is chosen).
        with self.assertNumQueries(7):
            self.client.get("/")
        for number in range(3):
            self.newsroom.published(
                [(self.first_passage, "signed a transit agreement"), (self.second_passage, "carry gas from")],
                tags=[f"Topic {number}", f"Other {number}"],
            )
        self.client.get("/")  # the new briefings changed the public state
        with self.assertNumQueries(7):
            response = self.client.get("/?page=1&q=")
        self.assertEqual(len(response.context["briefings"]), 5)

    def test_filtered_query_count(self):
        # As above, plus 1 to validate the chosen tag; the filter itself is part of the count and list queries.
        with self.assertNumQueries(8):
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


class BriefingPageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        cls.briefing = cls.newsroom.published(
            [
                (passage(cls.source, 1), "signed a transit agreement"),
                (passage(cls.source, 3), "Moscow reacted cautiously"),
            ],
            title="Baku signs a transit agreement",
            dek="The deal ends months of talks.",
            body="Baku has signed.[^n1] Moscow is wary.[^n2]",
            tags=["Energy"],
        )
        cls.citation = cls.briefing.citations.get(label="n1")

    def test_shows_the_briefing_with_byline_dates_and_tags(self):
        """A reader sees what the briefing is, who wrote it and when."""
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, "<h1>Baku signs a transit agreement</h1>", html=True)
        self.assertContains(response, "The deal ends months of talks.")
        self.assertContains(response, f"By Nino {self.newsroom.analyst.last_name}")
        self.assertContains(response, f'datetime="{self.briefing.published_at.isoformat(timespec="seconds")}"')
        self.assertContains(response, '<a href="/tags/energy/">Energy</a>', html=True)

    def test_footnotes_link_to_the_highlighted_words_and_a_text_fragment(self):
        """Each footnote leads to the exact words in the source."""
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, f'href="/sources/{self.source.slug}/?cite={self.citation.pk}#p-1"')
        self.assertContains(response, f'href="/sources/{self.source.slug}/#:~:text=')
        self.assertContains(response, 'id="fn-1"')
        self.assertContains(response, 'href="#fn-2"')

    def test_canonical_opengraph_twitter_and_json_ld(self):
        """Search engines and social sites get the briefing's metadata."""
        response = self.client.get(self.briefing.get_absolute_url())
        url = f"http://testserver{self.briefing.get_absolute_url()}"
        self.assertContains(response, f'<link rel="canonical" href="{url}">')
        self.assertContains(response, '<meta property="og:title" content="Baku signs a transit agreement">')
        self.assertContains(response, f'<meta property="og:url" content="{url}">')
        self.assertContains(response, '<meta name="twitter:card" content="summary">')
        data = json_ld(response)
        self.assertEqual(data["@type"], "AnalysisNewsArticle")
        self.assertEqual(data["headline"], "Baku signs a transit agreement")
        quotes = [citation["text"] for citation in data["citation"]]
        self.assertEqual(quotes, ["signed a transit agreement", "Moscow reacted cautiously"])
        self.assertEqual(data["citation"][0]["name"], "Baku signs transit deal")
        self.assertEqual(data["correction"], [])

    def test_json_ld_names_a_title_less_source_by_its_opening_words(self):
        """A source that states no headline is cited by its first words, as everywhere else on the site."""
        long_words = "Supercalifragilistic" * 20
        untitled = make_source(title="")
        unspaced = make_source(f"{long_words} {long_words} signed a transit agreement", *ARTICLE[1:], title="")
        briefing = self.newsroom.published(
            [(passage(untitled, 1), "signed a transit agreement"), (passage(unspaced, 1), "signed a transit agreement")]
        )
        names = [citation["name"] for citation in json_ld(self.client.get(briefing.get_absolute_url()))["citation"]]
        self.assertEqual(names, [untitled.display_title, unspaced.display_title])
        self.assertEqual(names[0], "Officials in Baku signed a transit agreement on Monday after…")
        self.assertTrue(names[1].endswith("signed a transit agreement"), names[1])

    def test_corrections_are_shown_dated_and_in_json_ld(self):
        """A corrected briefing says what was wrong, and when."""
        self.newsroom.corrected(self.briefing, note="The agreement was signed on Monday, not Tuesday.")
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, "<h2 id=\"corrections-heading\">Corrections</h2>", html=True)
        self.assertContains(response, "The agreement was signed on Monday, not Tuesday.")
        self.assertContains(response, "Updated <time")
        data = json_ld(response)
        self.assertEqual(data["correction"][0]["@type"], "CorrectionComment")
        self.assertEqual(data["correction"][0]["text"], "The agreement was signed on Monday, not Tuesday.")

    def test_retracted_briefing_keeps_its_page_with_a_notice(self):
        """A retracted briefing is still at its address, prominently marked."""
        workflow.retract(self.briefing, self.newsroom.editor, reason="The agreement was never signed.")
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This briefing has been retracted")
        self.assertContains(response, "The agreement was never signed.")
        self.assertEqual(json_ld(response)["creativeWorkStatus"], "Retracted")

    def test_a_newer_revision_under_review_does_not_show(self):
        """Editing a published briefing changes nothing for readers until the new revision is published."""
        briefing = Briefing.objects.get(pk=self.briefing.pk)
        briefing.title = "Draft title nobody approved"
        briefing.body = "Unreviewed claim.[^n1] Moscow is wary.[^n2]"
        briefing.save()
        workflow.record_edit(briefing, self.newsroom.analyst)
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, "<h1>Baku signs a transit agreement</h1>", html=True)
        self.assertNotContains(response, "Draft title nobody approved")
        self.assertNotContains(response, "Unreviewed claim")

    def test_unknown_briefing_is_a_friendly_404(self):
        response = self.client.get("/briefings/no-such-briefing/")
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "Page not found", status_code=404)
        self.assertContains(response, 'action="/search/"', status_code=404)

    def test_query_count_does_not_grow_with_citations_tags_or_corrections(self):
        # 1 public state, 1 briefing with its published revision (and whether it has corrections), 1 authors,
        # 1 tags, 1 revision citations with passages and sources; 1 more for corrections when there are any.
        with self.assertNumQueries(5):
            self.client.get(self.briefing.get_absolute_url())
        source = make_source()
        many = self.newsroom.published(
            [(passage(source, ordinal), quote) for ordinal, quote in enumerate(
                ["signed a transit agreement", "carry gas from the Caspian", "Moscow reacted cautiously",
                 "expect tariffs to fall"], start=1)],
            tags=["One", "Two", "Three"],
        )
        self.newsroom.corrected(many)
        self.newsroom.corrected(many, note="A second correction.")
        with self.assertNumQueries(6):
            response = self.client.get(many.get_absolute_url())
        self.assertContains(response, "A second correction.")


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
        # 1 public state, 1 source, 1 passages, 1 "cited by"; with ?cite=, 1 citation and 1 published quote.
        with self.assertNumQueries(4):
            self.client.get(self.source.get_absolute_url())
        with self.assertNumQueries(6):
            self.client.get(f"{self.source.get_absolute_url()}?cite={self.citation.pk}")
        for _ in range(3):
            self.newsroom.published(
                [(passage(self.source, 2), "carry gas from"), (passage(self.source, 4), "expect tariffs to")]
            )
        with self.assertNumQueries(4):
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
        # 1 page of briefings, 1 authors, 1 tags.
        with self.assertNumQueries(6):
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
        self.assertContains(response, f'href="{self.source.get_absolute_url()}#p-2"')

    def test_query_count(self):
        # 1 public state, briefings: 1 count, 1 page, 1 authors, 1 tags; passages: 1 count, 1 page.
        with self.assertNumQueries(7):
            self.client.get("/search/?q=pipeline")


class RobotsAndErrorPagesTests(PublicSiteTestCase):
    def test_robots_txt_points_at_the_sitemap(self):
        response = self.client.get("/robots.txt")
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertIn(b"Sitemap: http://testserver/sitemap.xml", response.content)
        self.assertIn(b"Disallow: /admin/", response.content)

    def test_500_page_renders_without_a_request(self):
        """When the site breaks, readers still get a page that explains."""
        from django.template import loader

        html = loader.get_template("500.html").render()
        self.assertIn("Something went wrong", html)


def json_ld(response):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))



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
