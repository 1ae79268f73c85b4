"""A briefing's page: the published revision, footnotes, structured data, corrections and retraction."""
import datetime
import json
import re

import time_machine
from django.test import override_settings

from briefings import workflow
from briefings.models import Briefing
from briefings.tests.factories import ARTICLE, Newsroom, make_source, passage

from .base import PublicSiteTestCase


def json_ld(response):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))


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
        self.assertContains(response, f'rel="author">Nino {self.newsroom.analyst.last_name}</a>')
        self.assertContains(response, f'datetime="{self.briefing.published_at.isoformat(timespec="seconds")}"')
        self.assertContains(response, '<a href="/tags/energy/">Energy</a>', html=True)

    def test_footnotes_link_to_the_highlighted_words_and_a_text_fragment(self):
        """Each footnote leads to the exact words in the version of the source that was quoted."""
        response = self.client.get(self.briefing.get_absolute_url())
        pinned = self.briefing.published_revision.citations.get(label=self.citation.label)
        self.assertContains(response, f'href="/sources/{self.source.slug}/versions/1/?cite={pinned.pk}#p-1"')
        self.assertContains(response, f'href="/sources/{self.source.slug}/versions/1/?cite={pinned.pk}#:~:text=')
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
        # 1 public state, 1 the briefing's stamps keying its kept page, 1 briefing with its published revision
        # (and whether it has corrections), 1 authors, 1 tags, 1 revision citations with passages and sources;
        # 1 more for corrections when there are any.
        with self.assertNumQueries(6):
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
        with self.assertNumQueries(7):
            response = self.client.get(many.get_absolute_url())
        self.assertContains(response, "A second correction.")


@override_settings(TIME_ZONE="Asia/Baku")
class DeskTimeZoneTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        # 09:30 in Baku (UTC+4) is 05:30 UTC.
        with time_machine.travel(datetime.datetime(2026, 6, 1, 5, 30, tzinfo=datetime.UTC), tick=False):
            cls.briefing = newsroom.published([(passage(make_source(), 1), "signed a transit agreement")])

    def test_publication_time_names_the_desk_zone(self):
        """Readers see the publication time in the desk's zone, named; the machine-readable time is unchanged."""
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, "1 June 2026, 09:30 +04")
        self.assertContains(response, 'datetime="2026-06-01T05:30:00+00:00"')
