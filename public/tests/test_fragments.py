"""Kept parts of public pages (``public.fragments``): reused across publications, never staler than the page cache.

The page cache is off here (``PUBLIC_PAGE_CACHE_SECONDS=0``), so every request assembles its page from the kept
parts and what they show must change as soon as the public state is read again. Each change is committed
(``captureOnCommitCallbacks``), as in production: a thread's uncommitted changes turn keeping off.
"""
import datetime
import re
from contextlib import contextmanager
from unittest import mock, skipUnless

import time_machine
from django.db import connection
from django.db.models import F
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone
from django.utils.feedgenerator import rfc3339_date
from django.utils.http import http_date

from briefings import workflow
from briefings.models import AuthorProfile, Briefing, PublicChange, Tag
from briefings.tests.factories import Newsroom, make_source, passage
from public import caching, feeds, fragments, search
from sources.importer import import_sources
from sources.models import Source
from sources.tests.factories import TemporaryFolder

from .base import PublicSiteTestCase

QUOTE = "signed a transit agreement"


@override_settings(PUBLIC_PAGE_CACHE_SECONDS=0, PUBLIC_FRAGMENT_CACHE_SECONDS=600)
class FragmentTestCase(PublicSiteTestCase):
    def setUp(self):
        super().setUp()
        with self.committed():
            self.newsroom = Newsroom()
            self.source = make_source(title="Transit talks in Baku")
            self.briefing = self.newsroom.published(
                [(passage(self.source, 1), QUOTE)], title="Transit deal", tags=["Energy"]
            )

    @contextmanager
    def committed(self):
        """Changes made inside count as committed: the public state's counters move, as after a real commit."""
        with self.captureOnCommitCallbacks(execute=True):
            yield
        caching.forget_public_state()

    @property
    def detail(self):
        return self.briefing.get_absolute_url()

    @contextmanager
    def rendered(self):
        """The templates of parts rendered inside, by name."""
        names = []

        def counting(template_name, *args, **kwargs):
            names.append(template_name)
            return render_to_string(template_name, *args, **kwargs)

        with mock.patch.object(fragments, "render_to_string", counting):
            yield names

    def kept_and_rendered(self, url):
        """The page at ``url`` as assembled from kept parts, and as rendered with keeping off."""
        self.client.get(url)
        kept = self.client.get(url)
        with override_settings(PUBLIC_FRAGMENT_CACHE_SECONDS=0):
            return kept, self.client.get(url)

    def publish_another(self, title="Another briefing"):
        with self.committed():
            return self.newsroom.published([(passage(self.source, 2), "The pipeline will carry gas")], title=title)


class KeptAcrossPublicationsTests(FragmentTestCase):
    def test_a_briefing_page_is_assembled_from_its_kept_parts_after_another_publication(self):
        first = self.client.get(self.detail)
        self.publish_another()
        with self.rendered() as names, self.assertNumQueries(2):  # the public state; the briefing's row
            second = self.client.get(self.detail)
        self.assertEqual(names, [])
        self.assertEqual(first.content, second.content)

    def test_a_kept_page_names_the_host_it_was_asked_on(self):
        """The whole briefing page is kept, and its canonical and Open Graph addresses name the reader's host."""
        self.client.get(self.detail, HTTP_HOST="localhost")
        self.publish_another()
        with override_settings(ALLOWED_HOSTS=["localhost", "briefings.example.org"]):
            elsewhere = self.client.get(self.detail, HTTP_HOST="briefings.example.org")
        self.assertContains(elsewhere, f'href="http://briefings.example.org{self.detail}"')
        self.assertNotContains(elsewhere, "http://localhost")

    def test_a_source_page_is_assembled_from_its_kept_parts_after_another_publication(self):
        url = self.source.get_absolute_url()
        first = self.client.get(url)
        self.publish_another()
        with self.rendered() as names:
            second = self.client.get(url)
        # The header is the kept one; "cited by" changed, so the passages were rendered again.
        self.assertEqual(names, [])
        self.assertContains(second, "Another briefing")
        header = first.content[:first.content.index(b"</header>", first.content.index(b"<article"))]
        self.assertTrue(second.content.startswith(header))

    def test_list_entries_are_rendered_once(self):
        self.client.get("/")
        self.publish_another("Fresh briefing")
        with self.rendered() as names:
            response = self.client.get("/")
        # The new briefing's entry only, and the list around the entries (its rows changed).
        self.assertEqual(names, ["public/includes/briefing_summary.html", "public/includes/briefing_list.html"])
        self.assertContains(response, "Fresh briefing")
        self.assertContains(response, "Transit deal")

    def test_a_page_of_the_list_is_kept_whole(self):
        for url in ("/", "/?tag=energy", "/tags/energy/"):
            with self.subTest(url=url):
                first = self.client.get(url)
                with self.rendered() as names:
                    second = self.client.get(url)
                self.assertEqual(names, [])
                self.assertEqual(first.content, second.content)

    def test_a_kept_list_is_the_list_rendered(self):
        self.publish_another()
        for url in ("/", "/?tag=energy", "/tags/energy/", "/?q=transit"):
            with self.subTest(url=url):
                kept, rendered = self.kept_and_rendered(url)
                self.assertEqual(kept.content, rendered.content)

    def test_a_list_is_counted_once_per_public_version(self):
        """Another miss of a filtered list, or another page of it, reads only the stamps of its rows."""
        self.client.get("/?tag=energy")
        with self.assertNumQueries(2):  # the public state; the page's stamps
            response = self.client.get("/?tag=energy&page=1")
        self.assertContains(response, "Transit deal")

    def test_search_results_reuse_the_entries_with_each_search_s_snippet(self):
        """A briefing's entry is kept once for every search; the snippet of the words searched goes into it."""
        self.client.get("/search/?q=claim")
        self.publish_another()
        with self.rendered() as names:
            first = self.client.get("/search/?q=claim").content.decode()
            second = self.client.get("/search/?q=transit").content.decode()
        self.assertEqual(names, ["public/includes/briefing_summary.html"])  # the new briefing's entry only
        self.assertIn("<mark>Claim</mark>", first)
        self.assertNotIn("<mark>Claim</mark>", second)
        self.assertNotIn(fragments.SNIPPET_SLOT, first + second)
        with override_settings(PUBLIC_FRAGMENT_CACHE_SECONDS=0):
            self.assertEqual(self.client.get("/search/?q=claim").content.decode(), first)

    def test_feed_entries_are_written_once(self):
        first = self.client.get("/feed/").content.decode()
        self.publish_another("Fresh briefing")
        second = self.client.get("/feed/").content.decode()
        self.assertIn("Fresh briefing", second)
        entry = first[first.index("<item>"):first.index("</item>") + len("</item>")]
        self.assertIn(entry, second)
        self.assertIn("content:encoded", entry)

    def test_parts_off_render_the_same_page(self):
        kept = self.client.get(self.detail).content
        self.client.get(self.detail)
        with override_settings(PUBLIC_FRAGMENT_CACHE_SECONDS=0):
            self.assertEqual(self.client.get(self.detail).content, kept)


class FreshnessTests(FragmentTestCase):
    """Every change readers could see shows on the next read of the public state."""

    def assertShows(self, urls, change, expected, *, absent=None):
        for url in urls:
            self.client.get(url)  # parts kept
        with self.committed():
            change()
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, expected)
                if absent:
                    self.assertNotContains(response, absent)

    def test_source_metadata(self):
        def retitle():
            source = Source.objects.get(pk=self.source.pk)
            source.title = "Corridor talks in Baku"
            source.save()

        self.assertShows([self.detail, "/feed/", self.source.get_absolute_url()], retitle, "Corridor talks in Baku")

    def test_reanchoring_after_a_reimport(self):
        folder = TemporaryFolder(self)
        folder.write("article.txt", "Officials in Baku signed a transit agreement.\nA second paragraph.\n")
        folder.write("sources.toml", '[sources."article.txt"]\nslug = "reimported"\ntitle = "Reimported"\n')
        with self.committed():
            import_sources([folder.path])
            source = Source.objects.get(slug="reimported")
            briefing = self.newsroom.published([(passage(source, 1), QUOTE)], title="Reimport watch")
        urls = [briefing.get_absolute_url(), source.get_absolute_url()]

        def reimport():
            folder.write("article.txt", "A new first paragraph.\nThe agreement was postponed.\n")
            import_sources([folder.path], replace=True)

        # The quoted words are gone: the briefing's footnote says so, the source page shows the new text.
        self.assertShows(urls[:1], reimport, "The source changed since it was quoted")
        self.assertContains(self.client.get(urls[1]), "The agreement was postponed.")

    def test_tag_rename(self):
        def rename():
            tag = Tag.objects.get(name="Energy")
            tag.name = "Energy policy"
            tag.save()

        self.assertShows([self.detail, "/", "/feed/", "/search/?q=transit"], rename, "Energy policy")

    def test_byline_rename(self):
        def rename():
            profile = AuthorProfile.objects.get(user=self.newsroom.analyst)
            profile.name = "Nana Beridze"
            profile.save()

        self.assertShows([self.detail, "/", "/feed/", "/search/?q=transit"], rename, "Nana Beridze")

    def test_filter_form_offers(self):
        """The tags and authors the list's filter form offers, kept per public version, follow renames."""

        def form_of(url):
            content = self.client.get(url).content.decode()
            start = content.index('<details class="filters"')
            return content[start:content.index("</form>", start)]

        for url in ("/", "/?tag=energy"):
            form_of(url)  # form and offers kept
        with self.committed():
            Tag.objects.filter(name="Energy").update(name="Energy policy")
            caching.public_content_changed(topics=(caching.TAGS,))
            profile = AuthorProfile.objects.get(user=self.newsroom.analyst)
            profile.name = "Nana Beridze"
            profile.save()
        for url in ("/", "/?tag=energy"):
            with self.subTest(url=url):
                form = form_of(url)
                self.assertIn("Energy policy", form)
                self.assertIn(">Nana Beridze</option>", form)

    def test_filter_form_offers_a_new_author(self):
        self.client.get("/")  # form and offers kept
        with self.committed():
            other = Newsroom()
            other.draft([(passage(self.source, 2), "The pipeline will carry gas")], title="Not yet out")
        name = AuthorProfile.objects.get(user=other.analyst).name
        self.assertNotContains(self.client.get("/"), f">{name}</option>")  # nothing of theirs is published
        with self.committed():
            other.published([(passage(self.source, 2), "The pipeline will carry gas")], title="Their first")
        self.assertContains(self.client.get("/"), f">{name}</option>")

    def test_list_pages_follow_publications_and_retractions_elsewhere(self):
        """A kept page of a list changes with its rows: a new briefing, a retraction, a new page of older ones."""
        urls = ["/", "/tags/energy/", "/?tag=energy"]
        with self.committed():
            for number in range(20):
                self.newsroom.published([(passage(self.source, 2), "The pipeline will carry gas")],
                                        title=f"Older {number}", tags=["Energy"])
        for url in urls:
            self.assertNotContains(self.client.get(url), 'rel="prev"')
        with self.committed():
            newest = self.newsroom.published([(passage(self.source, 2), "The pipeline will carry gas")],
                                             title="Newest analysis", tags=["Energy"])
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, "Newest analysis")
                self.assertContains(response, "Page 1 of 2")
        with self.committed():
            workflow.retract(Briefing.objects.get(pk=newest.pk), self.newsroom.editor, reason="Bad.")
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertNotContains(response, "Newest analysis")
                self.assertContains(response, "Page 1 of 2")

    def test_list_pagination_follows_a_retraction_on_another_page(self):
        """Retracting a briefing on a later page leaves this page's rows as they were, but not its pagination."""
        with self.committed():
            for number in range(20):
                self.newsroom.published([(passage(self.source, 2), "The pipeline will carry gas")],
                                        title=f"Newer {number}")
        self.assertContains(self.client.get("/"), "Page 1 of 2")
        with self.committed():
            workflow.retract(Briefing.objects.get(pk=self.briefing.pk), self.newsroom.editor, reason="Bad.")
        self.assertNotContains(self.client.get("/"), "Page 1 of")

    def test_correction(self):
        self.assertShows(
            [self.detail],
            lambda: self.newsroom.corrected(Briefing.objects.get(pk=self.briefing.pk), note="Wrong day."),
            "Wrong day.",
        )

    def test_correction_note_edited(self):
        with self.committed():
            self.newsroom.corrected(Briefing.objects.get(pk=self.briefing.pk), note="Wrong day.")

        def edit():
            correction = Briefing.objects.get(pk=self.briefing.pk).corrections.get()
            correction.note = "Wrong day: it was a Tuesday."
            correction.save()

        self.assertShows([self.detail], edit, "it was a Tuesday")

    def test_retraction(self):
        self.client.get("/")
        self.client.get("/search/?q=transit")
        self.assertShows(
            [self.detail],
            lambda: workflow.retract(Briefing.objects.get(pk=self.briefing.pk), self.newsroom.editor, reason="Bad."),
            "This briefing has been retracted",
        )
        self.assertNotContains(self.client.get("/"), "Transit deal")
        self.assertNotContains(self.client.get("/feed/"), "Transit deal")
        self.assertNotContains(self.client.get("/search/?q=transit"), "Transit deal")

    def test_cited_by_follows_publications(self):
        self.client.get(self.source.get_absolute_url())
        self.publish_another("A second look at the corridor")
        self.assertContains(self.client.get(self.source.get_absolute_url()), "A second look at the corridor")

    def test_cited_by_follows_a_retraction(self):
        other = self.publish_another("A second look at the corridor")
        self.assertShows(
            [self.source.get_absolute_url()],
            lambda: workflow.retract(Briefing.objects.get(pk=other.pk), self.newsroom.editor, reason="Bad."),
            "Transit deal",
            absent="A second look at the corridor",
        )

    def test_source_header_follows_metadata_edits(self):
        def edit():
            source = Source.objects.get(pk=self.source.pk)
            source.publisher = "Baku Courier"
            source.authors = "Leyla Mammadova"
            source.save()

        self.assertShows([self.source.get_absolute_url()], edit, "Leyla Mammadova")
        self.assertContains(self.client.get(self.source.get_absolute_url()), "<dd>Baku Courier</dd>", html=True)

    def test_source_header_follows_a_reimport_and_a_withheld_version(self):
        folder = TemporaryFolder(self)
        folder.write("article.txt", "Officials in Baku signed a transit agreement.\nA second paragraph.\n")
        folder.write("sources.toml", '[sources."article.txt"]\nslug = "reimported"\ntitle = "Reimported"\n')
        with self.committed():
            import_sources([folder.path])
        url = Source.objects.get(slug="reimported").get_absolute_url()
        self.assertContains(self.client.get(url), "Version 1 of 1")

        def reimport():
            folder.write("article.txt", "A new first paragraph.\nThe agreement was postponed.\n")
            import_sources([folder.path], replace=True)

        self.assertShows([url], reimport, "Version 2 of 2", absent="Version 1 of 1")
        self.assertShows(
            [url],
            lambda: Source.objects.get(slug="reimported").current_version().withhold("A court order.", by=None),
            "A court order.",
            absent="The agreement was postponed.",
        )

    @skipUnless(connection.vendor == "postgresql", "text search configurations are PostgreSQL's")
    def test_passage_search_follows_a_source_in_a_new_language(self):
        """The configurations a passage search asks in are kept; a source in a new language is searched in its own."""
        self.assertContains(self.client.get("/search/?q=transit"), "Transit talks in Baku")  # configurations kept
        with self.committed():
            russian = make_source("Россия и Азербайджан подписали декларацию о союзничестве.", language="ru")
            case_language = make_source("Декларация о транзите.", language="")
            case_language.language = "ru"
            case_language.save(update_fields=["language"])
        response = self.client.get("/search/?q=декларации")  # "декларацию" shares its Russian stem
        self.assertContains(response, russian.get_absolute_url())
        self.assertContains(response, case_language.get_absolute_url())

    def test_a_change_made_elsewhere_shows_within_the_memo_time(self):
        """Another process's commit moves the shared counters; this one sees it once its memo runs out."""
        start = timezone.now() + datetime.timedelta(minutes=1)
        with override_settings(PUBLIC_STATE_MEMO_SECONDS=1), time_machine.travel(start, tick=False) as traveller:
            caching.forget_public_state()
            self.assertContains(self.client.get(self.detail), "Energy")
            # What another process's rename leaves behind: the row changed, the counters moved, no signal here.
            Tag.objects.filter(name="Energy").update(name="Energy policy")
            PublicChange.objects.update(generation=F("generation") + 1, tags_generation=F("tags_generation") + 1)
            traveller.move_to(start + datetime.timedelta(seconds=1.5))
            self.assertContains(self.client.get(self.detail), "Energy policy")


class KeptSourcePageTests(FragmentTestCase):
    """A source page is kept whole under its stamps: what cites the source moves them, publications elsewhere do not."""

    def setUp(self):
        super().setUp()
        self.url = self.source.get_absolute_url()

    def test_a_publication_citing_another_source_keeps_the_page(self):
        with self.committed():
            elsewhere = make_source(title="Gas prices in Yerevan")
        first = self.client.get(self.url)
        with self.committed():
            self.newsroom.published([(passage(elsewhere, 1), QUOTE)], title="Yerevan gas")
        with self.assertNumQueries(2):  # the public state; the source's stamps
            second = self.client.get(self.url)
        self.assertEqual(first.content, second.content)

    def page_at(self, traveller, moment):
        """The source page as read at ``moment``, once this thread reads the public state again."""
        traveller.move_to(moment)
        caching.forget_public_state()
        return self.client.get(self.url)

    def schedule(self, title, at):
        """A briefing quoting the source, published for ``at``."""
        with self.committed():
            return self.newsroom.published(
                [(passage(self.source, 2), "The pipeline will carry gas")], title=title, at=at
            )

    def test_a_new_title_of_a_citing_briefing(self):
        self.client.get(self.url)
        with self.committed():
            self.newsroom.republished(
                Briefing.objects.get(pk=self.briefing.pk), title="Transit deal, revisited", minor=True
            )
        response = self.client.get(self.url)
        self.assertContains(response, "Transit deal, revisited")
        self.assertNotContains(response, "Transit deal<")

    def test_a_cancelled_schedule_never_shows(self):
        start = timezone.now() + datetime.timedelta(minutes=1)
        with time_machine.travel(start, tick=False) as traveller:
            scheduled = self.schedule("Embargoed analysis", start + datetime.timedelta(minutes=2))
            self.assertNotContains(self.client.get(self.url), "Embargoed analysis")
            with self.committed():
                workflow.unpublish(Briefing.objects.get(pk=scheduled.pk), self.newsroom.editor)
            response = self.page_at(traveller, start + datetime.timedelta(minutes=2, seconds=1))
        self.assertContains(response, "Transit deal")
        self.assertNotContains(response, "Embargoed analysis")

    def test_each_of_two_scheduled_publications_shows_when_its_time_comes(self):
        start = timezone.now() + datetime.timedelta(minutes=1)
        with time_machine.travel(start, tick=False) as traveller:
            for minutes, title in ((2, "Morning analysis"), (4, "Evening analysis")):
                self.schedule(title, start + datetime.timedelta(minutes=minutes))
            self.assertNotContains(self.client.get(self.url), "analysis")
            response = self.page_at(traveller, start + datetime.timedelta(minutes=2, seconds=1))
            self.assertContains(response, "Morning analysis")
            self.assertNotContains(response, "Evening analysis")
            response = self.page_at(traveller, start + datetime.timedelta(minutes=4, seconds=1))
            self.assertContains(response, "Morning analysis")
            self.assertContains(response, "Evening analysis")
            with self.assertNumQueries(2):  # all scheduled publications reached: kept again (public state, stamps)
                self.assertEqual(self.client.get(self.url).content, response.content)

    def test_a_page_asked_for_with_a_highlight_is_rendered_for_it(self):
        citation = Briefing.objects.get(pk=self.briefing.pk).citations.get()  # footnote links carry its id
        self.client.get(self.url)
        response = self.client.get(f"{self.url}?cite={citation.pk}")
        self.assertContains(response, "cite-banner")
        self.assertContains(response, "<mark", count=1)
        self.assertNotContains(self.client.get(self.url), "cite-banner")


class KeptCitedInTests(FragmentTestCase):
    """Who cites a passage found by a search is read once per public version, and follows every change to it."""

    def cited_in(self, words):
        """The "Cited in" titles under each passage a search for ``words`` finds, as the reader sees them."""
        html = self.client.get("/search/", {"q": words}).content.decode()
        return re.findall(r'<div class="cited-by">.*?</div>', html)

    def test_another_search_showing_the_same_passage_reads_nobody_citing_it(self):
        with mock.patch.object(search, "citing_briefings", wraps=search.citing_briefings) as reads:
            first = self.cited_in("transit")
            second = self.cited_in("agreement")
        self.assertEqual(first, second)
        self.assertIn("Transit deal", first[0])
        self.assertEqual(reads.call_count, 1)

    def test_a_new_publication_citing_the_passage(self):
        self.cited_in("agreement")
        with self.committed():
            self.newsroom.published([(passage(self.source, 1), QUOTE)], title="Transit deal, second look")
        (cited,) = self.cited_in("agreement")
        self.assertIn("Transit deal, second look", cited)

    def test_a_new_title_of_a_citing_briefing(self):
        self.cited_in("agreement")
        with self.committed():
            self.newsroom.republished(
                Briefing.objects.get(pk=self.briefing.pk), title="Transit deal, revisited", minor=True
            )
        (cited,) = self.cited_in("agreement")
        self.assertIn("Transit deal, revisited", cited)

    def test_a_scheduled_publication_citing_the_passage_shows_when_its_time_comes(self):
        start = timezone.now() + datetime.timedelta(minutes=1)
        with time_machine.travel(start, tick=False) as traveller:
            with self.committed():
                self.newsroom.published(
                    [(passage(self.source, 1), QUOTE)], title="Embargoed analysis",
                    at=start + datetime.timedelta(minutes=2),
                )
            self.assertNotIn("Embargoed analysis", "".join(self.cited_in("agreement")))
            traveller.move_to(start + datetime.timedelta(minutes=2, seconds=1))
            caching.forget_public_state()
            self.assertIn("Embargoed analysis", "".join(self.cited_in("agreement")))


class KeptFeedTests(FragmentTestCase):
    """A feed document is kept whole under its entries' stamps and its own title and links: every change shows."""

    FEEDS = ("/feed/", "/feed/atom/", "/feed/?tag=energy", "/tags/energy/feed/", "/tags/energy/feed/atom/")

    def assertFeedsShow(self, change, *, expected=(), absent=(), feeds=FEEDS):
        for url in feeds:
            self.client.get(url)  # document and entries kept
        with self.committed():
            change()
        for url in feeds:
            with self.subTest(url=url):
                response = self.client.get(url)
                for text in expected:
                    self.assertContains(response, text)
                for text in absent:
                    self.assertNotContains(response, text)

    def test_a_kept_document_costs_the_stamps_of_its_entries(self):
        first = self.client.get("/tags/energy/feed/")
        self.publish_another()  # not tagged: a new public version, the same feed
        with self.assertNumQueries(3):  # the public state; the tag; the entries' stamps
            second = self.client.get("/tags/energy/feed/")
        self.assertEqual(first.content, second.content)
        self.assertEqual(first["Last-Modified"], second["Last-Modified"])

    def test_a_new_publication(self):
        def publish():
            self.newsroom.published(
                [(passage(self.source, 2), "The pipeline will carry gas")], title="Fresh briefing", tags=["Energy"]
            )

        self.assertFeedsShow(publish, expected=["Fresh briefing", "Transit deal"])

    def test_a_retraction(self):
        with self.committed():
            self.newsroom.published(
                [(passage(self.source, 2), "The pipeline will carry gas")], title="Still standing", tags=["Energy"]
            )
        self.assertFeedsShow(
            lambda: workflow.retract(Briefing.objects.get(pk=self.briefing.pk), self.newsroom.editor, reason="Bad."),
            expected=["Still standing"], absent=["Transit deal"],
        )

    def test_a_correction_moves_the_entry_and_the_feed_dates(self):
        later = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
        for url in self.FEEDS:
            self.client.get(url)
        with time_machine.travel(later, tick=False):
            with self.committed():
                self.newsroom.corrected(Briefing.objects.get(pk=self.briefing.pk), note="Wrong day.")
            for url in self.FEEDS:
                with self.subTest(url=url):
                    response = self.client.get(url)
                    self.assertContains(response, rfc3339_date(later))
                    self.assertEqual(response["Last-Modified"], http_date(later.timestamp()))

    def test_tag_rename(self):
        def rename():
            tag = Tag.objects.get(name="Energy")
            tag.name = "Energy policy"
            tag.save()

        # In each entry's categories, and in the titles of the filtered and the tag's feeds.
        self.assertFeedsShow(rename, expected=["Energy policy"], absent=[">Energy<"])
        for url in self.FEEDS[2:]:
            self.assertContains(self.client.get(url), "briefings tagged Energy policy")

    def test_byline_rename(self):
        author_feed = AuthorProfile.objects.get(user=self.newsroom.analyst).get_absolute_url() + "feed/"

        def rename():
            profile = AuthorProfile.objects.get(user=self.newsroom.analyst)
            profile.name = "Nana Beridze"
            profile.save()

        self.assertFeedsShow(rename, expected=["Nana Beridze"], feeds=(*self.FEEDS, author_feed))
        self.assertContains(self.client.get(author_feed), "briefings by Nana Beridze")

    def test_a_draft_edit_shows_nothing(self):
        def edit():
            briefing = Briefing.objects.get(pk=self.briefing.pk)
            briefing.title = "Unreviewed draft title"
            briefing.save()
            workflow.record_edit(briefing, self.newsroom.analyst)

        self.assertFeedsShow(edit, expected=["Transit deal"], absent=["Unreviewed draft title"])

    def test_an_entry_gone_before_its_row_is_read_leaves_the_document_unkept(self):
        """Retracted between reading the stamps and the rows: the entry is left out, and nothing keeps that feed."""
        with mock.patch.object(feeds, "rows_to_write", return_value=[]):
            self.assertNotContains(self.client.get("/feed/"), "Transit deal")
        self.assertContains(self.client.get("/feed/"), "Transit deal")

    def test_keeping_off_writes_the_same_documents(self):
        """Kept documents and entries, the feed's date and its Last-Modified are what a feed gives without keeping."""
        self.publish_another()
        for url in self.FEEDS:
            with self.subTest(url=url):
                kept, written = self.kept_and_rendered(url)
                self.assertEqual(kept.content, written.content)
                self.assertEqual(kept["Last-Modified"], written["Last-Modified"])


class NothingUnpublishedTests(FragmentTestCase):
    def test_a_scheduled_briefing_shows_when_its_time_comes(self):
        start = timezone.now() + datetime.timedelta(minutes=1)
        with time_machine.travel(start, tick=False) as traveller:
            with self.committed():
                scheduled = self.newsroom.published(
                    [(passage(self.source, 1), QUOTE)], title="Embargoed analysis",
                    at=start + datetime.timedelta(minutes=5),
                )
            for url in ("/", "/feed/", self.source.get_absolute_url(), "/tags/energy/"):
                self.assertNotContains(self.client.get(url), "Embargoed analysis")
            self.assertEqual(self.client.get(scheduled.get_absolute_url()).status_code, 404)
            traveller.move_to(start + datetime.timedelta(minutes=5, seconds=1))
            caching.forget_public_state()
            self.assertContains(self.client.get(scheduled.get_absolute_url()), "Embargoed analysis")
            for url in ("/", "/feed/", self.source.get_absolute_url()):
                self.assertContains(self.client.get(url), "Embargoed analysis")

    def test_a_draft_edit_of_a_published_briefing_shows_nothing(self):
        self.client.get(self.detail)
        self.client.get("/")
        with self.committed():
            briefing = Briefing.objects.get(pk=self.briefing.pk)
            briefing.title = "Unreviewed draft title"
            briefing.save()
            workflow.record_edit(briefing, self.newsroom.analyst)
        for url in (self.detail, "/", "/feed/", self.source.get_absolute_url()):
            self.assertNotContains(self.client.get(url), "Unreviewed draft title")

    def test_uncommitted_changes_keep_nothing(self):
        """A change this thread has not committed turns keeping off, so a rollback cannot leave a part behind."""
        Tag.objects.filter(name="Energy").update(name="Energy policy")
        caching.public_content_changed(topics=(caching.TAGS,))
        with self.rendered() as names:
            self.assertContains(self.client.get(self.detail), "Energy policy")
            self.client.get(self.detail)
        self.assertEqual(len(names), 4)  # head and article, twice

    @override_settings(PUBLIC_PAGE_MAX_CACHED_BYTES=100)
    def test_parts_over_the_size_limit_are_not_kept(self):
        self.client.get(self.detail)
        with self.rendered() as names:
            self.client.get(self.detail)
        self.assertEqual(len(names), 2)
