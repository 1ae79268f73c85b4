import datetime
import json
import re

import time_machine

from briefings import workflow
from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase


class BriefingApiTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.briefing = cls.newsroom.published(
                [
                    (passage(cls.source, 1), "signed a transit agreement"),
                    (passage(cls.source, 3), "Moscow reacted cautiously"),
                ],
                title="Baku signs a transit agreement",
                dek="The deal ends months of talks.",
                tags=["Energy"],
            )
        with time_machine.travel(datetime.datetime(2026, 4, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.other = cls.newsroom.published(
                [(passage(cls.source, 4), "expect tariffs to fall")], title="Tariffs expected to fall", tags=["Georgia"]
            )

    def test_list_is_paginated_json_newest_first(self):
        """Other tools get the same list as readers, as JSON."""
        response = self.client.get("/api/briefings/")
        self.assertEqual(response["Content-Type"], "application/json")
        data = response.json()
        self.assertEqual(data["count"], 2)
        self.assertIsNone(data["next"])
        self.assertEqual([item["title"] for item in data["results"]], ["Tariffs expected to fall",
                                                                       "Baku signs a transit agreement"])
        item = data["results"][1]
        self.assertEqual(item["url"], f"http://testserver{self.briefing.get_absolute_url()}")
        self.assertEqual(item["published_at"], "2026-03-02T09:00:00+00:00")
        self.assertEqual(item["tags"], [{"name": "Energy", "slug": "energy"}])
        analyst = self.newsroom.analyst
        self.assertEqual(item["authors"], [{"name": analyst.get_full_name(), "slug": analyst.author_profile.slug}])
        self.assertNotIn(analyst.username, response.content.decode())

    def test_list_takes_the_same_filters_as_the_home_page(self):
        data = self.client.get("/api/briefings/?tag=georgia").json()
        self.assertEqual([item["slug"] for item in data["results"]], [self.other.slug])
        data = self.client.get("/api/briefings/?published_before=2026-03-31").json()
        self.assertEqual([item["slug"] for item in data["results"]], [self.briefing.slug])

    def test_bad_filter_is_a_400_naming_the_parameter(self):
        """A client with a typo learns what is wrong."""
        response = self.client.get("/api/briefings/?tag=nope&published_after=soon")
        self.assertEqual(response.status_code, 400)
        errors = response.json()["errors"]
        self.assertEqual(set(errors), {"tag", "published_after"})

    def test_bad_page_is_a_400(self):
        response = self.client.get("/api/briefings/?page=7")
        self.assertEqual(response.status_code, 400)
        self.assertIn("page", response.json()["errors"])

    def test_next_page_link_keeps_the_filters(self):
        for _ in range(20):
            self.newsroom.published([(passage(self.source, 1), "signed a transit agreement")], tags=["Energy"])
        data = self.client.get("/api/briefings/?tag=energy").json()
        self.assertEqual(data["count"], 21)
        self.assertEqual(data["next"], "http://testserver/api/briefings/?tag=energy&page=2")
        second = self.client.get(data["next"]).json()
        self.assertEqual(len(second["results"]), 1)
        self.assertEqual(second["previous"], "http://testserver/api/briefings/?tag=energy&page=1")

    def test_detail_has_body_citations_and_corrections(self):
        self.newsroom.corrected(self.briefing, note="The date was wrong.")
        data = self.client.get(f"/api/briefings/{self.briefing.slug}/").json()
        self.assertEqual(data["title"], "Baku signs a transit agreement")
        self.assertIn('class="footnotes"', data["body_html"])
        self.assertFalse(data["retracted"])
        first = data["citations"][0]
        self.assertEqual(first["quote"], "signed a transit agreement")
        self.assertEqual(first["source"]["slug"], self.source.slug)
        self.assertEqual(first["passage"]["url"], f"http://testserver/sources/{self.source.slug}/p/1/")
        self.assertEqual([c["note"] for c in data["corrections"]], ["The date was wrong."])
        self.assertEqual(data["annotations_url"], f"http://testserver/api/briefings/{self.briefing.slug}/annotations/")

    def test_body_html_links_are_absolute(self):
        """HTML copied from the API into another site still leads to the sources and the footnotes."""
        body = self.client.get(f"/api/briefings/{self.briefing.slug}/").json()["body_html"]
        links = re.findall(r'href="([^"]*)"', body)
        self.assertTrue(links)
        page = f"http://testserver{self.briefing.get_absolute_url()}"
        self.assertIn(f"{page}#fn-1", links)
        self.assertIn(f"{page}#fnref-1", links)
        # Footnotes open the version they quoted, highlighting the published revision's own citation.
        citation = self.briefing.published_revision.citations.get(quote="signed a transit agreement")
        self.assertIn(f"http://testserver/sources/{self.source.slug}/versions/1/?cite={citation.pk}#p-1", links)
        self.assertEqual([link for link in links if not link.startswith("http://testserver/")], [])

    def test_retracted_briefing_detail_says_so(self):
        workflow.retract(self.briefing, self.newsroom.editor, reason="Wrong.")
        data = self.client.get(f"/api/briefings/{self.briefing.slug}/").json()
        self.assertTrue(data["retracted"])
        listed = [item["slug"] for item in self.client.get("/api/briefings/").json()["results"]]
        self.assertNotIn(self.briefing.slug, listed)

    def test_unknown_briefing_is_404(self):
        self.assertEqual(self.client.get("/api/briefings/nothing-here/").status_code, 404)

    def test_query_counts_do_not_grow(self):
        # 1 public state, 1 count, 1 page with revisions, 1 authors, 1 tags.
        with self.assertNumQueries(5):
            self.client.get("/api/briefings/")
        # 1 public state, 1 briefing and revision, 1 authors, 1 tags, 1 citations with passages and sources,
        # 1 corrections.
        with self.assertNumQueries(6):
            self.client.get(f"/api/briefings/{self.briefing.slug}/")
        with self.assertNumQueries(6):
            self.client.get(f"/api/briefings/{self.briefing.slug}/annotations/")


class AnnotationTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        cls.briefing = newsroom.published(
            [
                (passage(cls.source, 1), "signed a transit agreement"),
                (passage(cls.source, 3), "Moscow reacted cautiously"),
            ],
            title="Baku signs a transit agreement",
        )

    def collection(self):
        response = self.client.get(f"/api/briefings/{self.briefing.slug}/annotations/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"')
        return json.loads(response.content)

    def test_a_w3c_annotation_collection_with_one_annotation_per_citation(self):
        """Other tools can load the briefing's citations as Web Annotations."""
        data = self.collection()
        self.assertEqual(data["@context"], "http://www.w3.org/ns/anno.jsonld")
        self.assertEqual(data["type"], "AnnotationCollection")
        self.assertEqual(data["total"], 2)
        items = data["first"]["items"]
        self.assertEqual(data["first"]["type"], "AnnotationPage")
        self.assertEqual([item["type"] for item in items], ["Annotation", "Annotation"])
        self.assertEqual(len({item["id"] for item in items}), 2)
        self.assertEqual(items[0]["target"]["source"], f"http://testserver/sources/{self.source.slug}/")

    def test_selectors_find_the_exact_words_again(self):
        """The quote selector and both position selectors all point at the same words of the source."""
        for item in self.collection()["first"]["items"]:
            selectors = {selector["type"]: selector for selector in item["target"]["selector"]}
            quote = selectors["TextQuoteSelector"]
            position = selectors["TextPositionSelector"]
            self.assertEqual(self.source.text[position["start"]:position["end"]], quote["exact"])
            text = self.source.text
            self.assertTrue(text[:position["start"]].endswith(quote["prefix"]))
            self.assertTrue(text[position["end"]:].startswith(quote["suffix"]))
            fragment = selectors["FragmentSelector"]
            passage_text = self.source.passages.get(anchor=fragment["value"]).text
            refined = fragment["refinedBy"]
            self.assertEqual(passage_text[refined["start"]:refined["end"]], quote["exact"])

    def test_drafts_have_no_annotations(self):
        draft = Newsroom().draft([(passage(self.source, 2), "carry gas from the Caspian")])
        self.assertEqual(self.client.get(f"/api/briefings/{draft.slug}/annotations/").status_code, 404)
