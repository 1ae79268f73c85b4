import datetime

import feedparser
import time_machine

from briefings import workflow
from briefings.models import Briefing
from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase

FEEDS = ("/feed/", "/feed/atom/")


def parse(response):
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


class BriefingFeedTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.briefing = cls.newsroom.published(
                [(passage(cls.source, 1), "signed a transit agreement")],
                title="Baku signs a transit agreement",
                dek="The deal ends months of talks.",
                body="Baku has **signed**.[^n1]",
                tags=["Energy", "Azerbaijan"],
            )
        with time_machine.travel(datetime.datetime(2026, 4, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
            cls.other = cls.newsroom.published(
                [(passage(cls.source, 4), "expect tariffs to fall")], title="Tariffs expected to fall", tags=["Georgia"]
            )

    def entry(self, url, title="Baku signs a transit agreement"):
        parsed = parse(self.client.get(url))
        return next(entry for entry in parsed.entries if entry.title == title)

    def test_feeds_parse_without_errors_and_list_newest_first(self):
        """Feed readers accept both feeds."""
        for url in FEEDS:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                parsed = parse(response)
                titles = [entry.title for entry in parsed.entries]
                self.assertEqual(titles, ["Tariffs expected to fall", "Baku signs a transit agreement"])
                self.assertEqual(parsed.feed.title, "Briefings")

    def test_entries_are_complete(self):
        """Each entry carries its link, dates, authors, tags and the whole sanitised body with absolute links."""
        for url in FEEDS:
            with self.subTest(url=url):
                entry = self.entry(url)
                self.assertEqual(entry.link, f"http://testserver{self.briefing.get_absolute_url()}")
                self.assertEqual(entry.published_parsed[:5], (2026, 3, 2, 9, 0))
                self.assertIn(f"Nino {self.newsroom.analyst.last_name}", entry.author)
                self.assertEqual(sorted(tag.term for tag in entry.tags), ["Azerbaijan", "Energy"])
                content = entry.content[0].value
                self.assertIn("<strong>signed</strong>", content)
                self.assertIn(f'href="http://testserver/sources/{self.source.slug}/versions/1/?cite=', content)
                self.assertIn(f'href="http://testserver{self.briefing.get_absolute_url()}#fn-1"', content)
                self.assertNotIn('href="/', content)
                self.assertEqual(entry.summary, "The deal ends months of talks.")

    def test_guids_are_unique_and_survive_a_new_slug(self):
        """Renaming a briefing's address does not make feed readers show it twice."""
        for url in FEEDS:
            with self.subTest(url=url):
                before = [entry.id for entry in parse(self.client.get(url)).entries]
                self.assertEqual(len(set(before)), 2)
                briefing = Briefing.objects.get(pk=self.briefing.pk)
                briefing.slug = "renamed"
                briefing.save()
                after = [entry.id for entry in parse(self.client.get(url)).entries]
                self.assertEqual(before, after)
                self.assertIn("/briefings/renamed/", self.client.get(url).content.decode())
                briefing.slug = self.briefing.slug
                briefing.save()

    def test_a_correction_moves_the_updated_time(self):
        """Subscribers see that a briefing changed when it is corrected."""
        with time_machine.travel(datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC), tick=False):
            self.newsroom.corrected(Briefing.objects.get(pk=self.briefing.pk))
        for url in FEEDS:
            with self.subTest(url=url):
                entry = self.entry(url)
                self.assertEqual(entry.updated_parsed[:5], (2026, 5, 1, 12, 0))
                self.assertEqual(entry.published_parsed[:5], (2026, 3, 2, 9, 0))

    def test_filtered_list_as_a_feed(self):
        """The home page's filters work on the feed too."""
        for url in FEEDS:
            with self.subTest(url=url):
                parsed = parse(self.client.get(f"{url}?tag=energy"))
                self.assertEqual([entry.title for entry in parsed.entries], ["Baku signs a transit agreement"])
                self.assertIn("tagged Energy", parsed.feed.title)

    def test_invalid_filter_is_404(self):
        self.assertEqual(self.client.get("/feed/?tag=nothing-like-this").status_code, 404)

    def test_tag_feed(self):
        for url in ("/tags/georgia/feed/", "/tags/georgia/feed/atom/"):
            with self.subTest(url=url):
                parsed = parse(self.client.get(url))
                self.assertEqual([entry.title for entry in parsed.entries], ["Tariffs expected to fall"])
                self.assertEqual(parsed.feed.title, "Briefings: briefings tagged Georgia")
        self.assertEqual(self.client.get("/tags/unused/feed/").status_code, 404)

    def test_source_feed(self):
        other_source = make_source()
        self.newsroom.published([(passage(other_source, 2), "carry gas from the Caspian")], title="Elsewhere")
        for url in (f"/sources/{self.source.slug}/feed/", f"/sources/{self.source.slug}/feed/atom/"):
            with self.subTest(url=url):
                parsed = parse(self.client.get(url))
                titles = [entry.title for entry in parsed.entries]
                self.assertEqual(titles, ["Tariffs expected to fall", "Baku signs a transit agreement"])
        self.assertEqual(self.client.get("/sources/unknown-source/feed/").status_code, 404)

    def test_query_count_does_not_grow_with_entries(self):
        # 1 public state, 1 the entries' stamps, then for the entries not kept 1 rows with their published
        # revisions, 1 authors, 1 tags; the filter form's choices are only read to check parameters that were given.
        with self.assertNumQueries(5):
            self.client.get("/feed/")
        for number in range(3):
            self.newsroom.published([(passage(self.source, 2), "carry gas from the Caspian")], tags=[f"Tag {number}"])
        with self.assertNumQueries(5):
            response = self.client.get("/feed/atom/")
        self.assertEqual(len(parse(response).entries), 5)


class CorrectionFeedTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source()
        quote = [(passage(source, 1), "signed a transit agreement")]
        corrected = newsroom.published(quote, title="Corrected briefing")
        newsroom.corrected(corrected, note="The date was wrong.")
        cls.retracted = newsroom.retracted(quote, title="Retracted briefing")
        cls.editor = newsroom.editor

    def test_corrections_feed_lists_corrections_and_retractions(self):
        """Readers can subscribe to the desk's corrections."""
        for url in ("/corrections/feed/", "/corrections/feed/atom/"):
            with self.subTest(url=url):
                parsed = parse(self.client.get(url))
                titles = [entry.title for entry in parsed.entries]
                self.assertEqual(titles, ["Retracted: Retracted briefing", "Correction: Corrected briefing"])
                self.assertEqual(len({entry.id for entry in parsed.entries}), 2)
                self.assertEqual(parsed.entries[1].summary, "The date was wrong.")

    def test_retracted_briefing_leaves_the_main_feed(self):
        """A retraction removes the briefing from what subscribers receive."""
        titles = [entry.title for entry in parse(self.client.get("/feed/")).entries]
        self.assertEqual(titles, ["Corrected briefing"])

    def test_workflow_error_leaves_the_feed_unchanged(self):
        """Retracting twice is refused and nothing changes for subscribers."""
        before = self.client.get("/corrections/feed/").content
        with self.assertRaises(workflow.WorkflowError):
            workflow.retract(Briefing.objects.get(pk=self.retracted.pk), self.editor, reason="Again.")
        self.assertEqual(self.client.get("/corrections/feed/").content, before)
