import datetime
import xml.etree.ElementTree as ET

import time_machine

from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def entries(response):
    root = ET.fromstring(response.content)
    return {
        url.findtext("sm:loc", namespaces=NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }


class SitemapTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        with time_machine.travel(datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC), tick=False):
            cls.source = make_source(slug="transit-article")
        with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.briefing = cls.newsroom.published(
                [(passage(cls.source, 1), "signed a transit agreement")], tags=["Energy"]
            )

    def test_lists_briefings_tags_sources_and_list_pages_with_lastmod(self):
        """Search engines find every public page and when it last changed."""
        response = self.client.get("/sitemap.xml")
        self.assertEqual(response.status_code, 200)
        found = entries(response)
        self.assertEqual(found[f"http://testserver{self.briefing.get_absolute_url()}"], "2026-03-02")
        self.assertEqual(found["http://testserver/tags/energy/"], "2026-03-02")
        self.assertEqual(found["http://testserver/sources/transit-article/"], "2026-01-05")
        for page in ("/", "/tags/", "/sources/", "/corrections/"):
            self.assertIn(f"http://testserver{page}", found)

    def test_a_correction_moves_lastmod(self):
        with time_machine.travel(datetime.datetime(2026, 4, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
            self.newsroom.corrected(self.briefing)
        found = entries(self.client.get("/sitemap.xml"))
        self.assertEqual(found[f"http://testserver{self.briefing.get_absolute_url()}"], "2026-04-01")

    def test_robots_txt_names_the_sitemap(self):
        self.assertIn(b"Sitemap: http://testserver/sitemap.xml", self.client.get("/robots.txt").content)

    def test_query_count_does_not_grow(self):
        # 1 public state, then for the briefings, the tags (with counts and last change) and the
        # sources: a count (a sitemap holds at most 50,000 addresses) and the page.
        with self.assertNumQueries(7):
            self.client.get("/sitemap.xml")
        for number in range(3):
            self.newsroom.published([(passage(self.source, 2), "carry gas from the Caspian")], tags=[f"T{number}"])
        with self.assertNumQueries(7):
            self.client.get("/sitemap.xml")
