import datetime
import threading

import time_machine
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import connection, connections, transaction
from django.db.models import F
from django.test import TransactionTestCase, override_settings
from django.utils import timezone
from django.utils.http import http_date

from briefings import workflow
from briefings.models import Briefing, PublicChange, Tag
from briefings.tests.factories import Newsroom, make_source, passage
from public import caching
from sources.importer import import_sources
from sources.models import Source
from sources.tests.factories import TemporaryFolder

from .base import PublicSiteTestCase

QUOTE = "signed a transit agreement"


class ConditionalGetTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = cls.newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal")

    def test_pages_carry_validators(self):
        """Browsers and proxies can ask whether a page changed."""
        for url in ("/", self.briefing.get_absolute_url(), "/feed/", "/api/briefings/", "/sitemap.xml", "/tags/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertTrue(response["ETag"].startswith('"'))
                self.assertIn("Last-Modified", response)
                self.assertIn("no-cache", response["Cache-Control"])
                self.assertIn("public", response["Cache-Control"])

    def test_if_none_match_is_answered_304_with_one_query(self):
        """A reader reloading an unchanged page gets a tiny answer."""
        etag = self.client.get("/").headers["ETag"]
        with self.assertNumQueries(1):  # the public state only
            response = self.client.get("/", headers={"if-none-match": etag})
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response.content, b"")
        self.assertEqual(response["ETag"], etag)

    def test_if_modified_since_is_answered_304(self):
        last_modified = self.client.get("/").headers["Last-Modified"]
        response = self.client.get("/", headers={"if-modified-since": last_modified})
        self.assertEqual(response.status_code, 304)

    def test_older_if_modified_since_gets_the_page(self):
        old = http_date((timezone.now() - datetime.timedelta(days=30)).timestamp())
        self.assertEqual(self.client.get("/", headers={"if-modified-since": old}).status_code, 200)

    def test_each_address_has_its_own_etag(self):
        self.assertNotEqual(self.client.get("/").headers["ETag"], self.client.get("/?page=1").headers["ETag"])

    def test_a_cached_page_costs_one_query(self):
        """After the first reader, the page comes from the cache."""
        first = self.client.get(self.briefing.get_absolute_url())
        with self.assertNumQueries(1):
            second = self.client.get(self.briefing.get_absolute_url())
        self.assertEqual(first.content, second.content)
        self.assertEqual(second["Content-Type"], "text/html; charset=utf-8")

    @override_settings(PUBLIC_PAGE_CACHE_SECONDS=0)
    def test_a_page_cache_of_zero_seconds_renders_every_request(self):
        """PUBLIC_PAGE_CACHE_SECONDS=0 turns the page cache off; conditional GETs still work."""
        self.client.get(self.briefing.get_absolute_url())
        Source.objects.filter(pk=self.source.pk).update(title="Rendered again")
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, "Rendered again")
        self.assertEqual(
            self.client.get(self.briefing.get_absolute_url(), headers={"if-none-match": response["ETag"]}).status_code,
            304,
        )

    @override_settings(PUBLIC_PAGE_CACHE_BENCHMARK_MISSES=True)
    def test_benchmark_misses_store_and_forget_every_page(self):
        """The benchmark's "page cache miss" renders each request, through the page cache as production does."""
        url = self.briefing.get_absolute_url()
        first = self.client.get(url)
        Source.objects.filter(pk=self.source.pk).update(title="Rendered again")  # no signal: no new public state
        second = self.client.get(url)
        self.assertNotEqual(first.content, second.content)
        self.assertContains(second, "Rendered again")
        self.assertEqual(self.client.get(url, headers={"if-none-match": second["ETag"]}).status_code, 304)

    def test_head_is_answered_from_the_same_cache(self):
        self.client.get("/feed/")
        with self.assertNumQueries(1):
            response = self.client.head("/feed/")
        self.assertEqual(response.status_code, 200)

    def test_missing_pages_are_not_cached(self):
        """An address that 404s starts working as soon as its briefing is published."""
        approved = self.newsroom.approved([(passage(self.source, 1), QUOTE)], title="Coming soon")
        url = approved.get_absolute_url()
        self.assertEqual(self.client.get(url).status_code, 404)
        workflow.publish(approved, self.newsroom.editor)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_hosts_do_not_share_cached_pages(self):
        """Absolute links in a cached page are always those of the host that asked."""
        self.client.get("/feed/", headers={"host": "localhost"})
        response = self.client.get("/feed/")
        self.assertIn(b"http://testserver/", response.content)
        self.assertNotIn(b"http://localhost/", response.content)


class ReleaseTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Transit talks")
        cls.briefing = cls.newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal")

    @override_settings(PUBLIC_FRAGMENT_CACHE_SECONDS=600, PUBLIC_RELEASE="this-release")
    def test_a_new_release_renders_pages_anew(self):
        """After a deployment, neither a cached page, a kept part nor a browser's copy is what readers get."""
        url = self.briefing.get_absolute_url()
        first = self.client.get(url)
        self.assertEqual(self.client.get(url, headers={"if-none-match": first["ETag"]}).status_code, 304)
        # Stands for whatever the new release renders differently; an update() moves no public state.
        Source.objects.filter(pk=self.source.pk).update(title="Rendered by the next release")
        with override_settings(PUBLIC_RELEASE="next-release"):
            second = self.client.get(url, headers={"if-none-match": first["ETag"]})
        self.assertEqual(second.status_code, 200)
        self.assertContains(second, "Rendered by the next release")
        self.assertNotEqual(second["ETag"], first["ETag"])

    def test_the_release_is_a_digest_of_what_renders_pages(self):
        self.assertRegex(caching.release(), r"^[0-9a-f]{12}$")


class InvalidationTests(PublicSiteTestCase):
    """Whatever readers may see changes, the next request shows it."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = cls.newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal", tags=["Energy"])

    def assertChanges(self, url, change, expect):
        before = self.client.get(url)
        self.client.get(url)  # now in the cache
        change()
        after = self.client.get(url)
        self.assertNotEqual(before["ETag"], after["ETag"])
        self.assertIn(expect, after.content.decode())
        response = self.client.get(url, headers={"if-none-match": before["ETag"]})
        self.assertEqual(response.status_code, 200, "an old ETag must not be answered 304")

    def test_publishing(self):
        self.assertChanges(
            "/", lambda: self.newsroom.published([(passage(self.source, 1), QUOTE)], title="Fresh briefing"),
            "Fresh briefing",
        )

    def test_correction(self):
        self.assertChanges(
            self.briefing.get_absolute_url(),
            lambda: self.newsroom.corrected(Briefing.objects.get(pk=self.briefing.pk), note="Wrong day."),
            "Wrong day.",
        )

    def test_correction_in_feed(self):
        self.assertChanges(
            "/corrections/feed/",
            lambda: self.newsroom.corrected(Briefing.objects.get(pk=self.briefing.pk), note="Wrong day."),
            "Wrong day.",
        )

    def test_retraction(self):
        self.assertChanges(
            self.briefing.get_absolute_url(),
            lambda: workflow.retract(Briefing.objects.get(pk=self.briefing.pk), self.newsroom.editor, reason="Bad."),
            "This briefing has been retracted",
        )
        self.assertNotIn("Transit deal", self.client.get("/").content.decode())

    def test_republishing_a_new_revision(self):
        def republish():
            briefing = Briefing.objects.get(pk=self.briefing.pk)
            briefing.title = "Transit deal, revised"
            briefing.save()
            workflow.record_edit(briefing, self.newsroom.analyst)
            workflow.submit(briefing, self.newsroom.analyst)
            workflow.approve(briefing, self.newsroom.editor)
            workflow.publish(briefing, self.newsroom.editor, minor=True)

        self.assertChanges(self.briefing.get_absolute_url(), republish, "Transit deal, revised")

    def test_tag_renamed(self):
        """A renamed tag leaves no timestamp; the page cache notices anyway."""

        def rename():
            tag = Tag.objects.get(name="Energy")
            tag.name = "Energy policy"
            tag.save()

        self.assertChanges("/tags/", rename, "Energy policy")

    def test_byline_changed(self):
        def rename():
            profile = self.newsroom.analyst.author_profile
            profile.name = "Nana Beridze"
            profile.save()

        self.assertChanges(self.briefing.get_absolute_url(), rename, 'rel="author">Nana Beridze</a>')

    def test_logging_in_does_not_empty_the_cache(self):
        """An editor logging in to the admin (which records last_login) leaves readers' cache alone."""
        from django.contrib.auth.models import update_last_login

        etag = self.client.get("/").headers["ETag"]
        update_last_login(None, self.newsroom.editor)
        self.assertEqual(self.client.get("/").headers["ETag"], etag)

    def test_source_reimport(self):
        """A re-imported article shows its new text at once."""
        folder = TemporaryFolder(self)
        folder.write("article.txt", "Officials in Baku signed a transit agreement.\nA brand new paragraph.\n")
        folder.write("sources.toml", '[sources."article.txt"]\nslug = "reimported"\ntitle = "Reimported"\n')
        import_sources([folder.path])
        url = Source.objects.get(slug="reimported").get_absolute_url()

        def reimport():
            folder.write("article.txt", "Officials in Baku signed a transit agreement.\nAn edited paragraph.\n")
            import_sources([folder.path])

        self.assertChanges(url, reimport, "An edited paragraph.")


class ScheduledPublicationTests(PublicSiteTestCase):
    def test_a_scheduled_briefing_appears_when_its_time_comes(self):
        """No worker and no purge: the cached pages change the moment the time is reached."""
        start = datetime.datetime(2026, 6, 1, 8, 0, tzinfo=datetime.UTC)
        with time_machine.travel(start, tick=False) as traveller:
            newsroom = Newsroom()
            source = make_source()
            newsroom.published([(passage(source, 1), QUOTE)], title="Already out")
            scheduled = newsroom.published(
                [(passage(source, 1), QUOTE)], title="Embargoed analysis", at=start + datetime.timedelta(hours=2)
            )
            before = self.client.get("/")
            self.assertNotContains(before, "Embargoed analysis")
            self.assertEqual(self.client.get(scheduled.get_absolute_url()).status_code, 404)
            self.assertEqual(caching.public_state().next_scheduled, start + datetime.timedelta(hours=2))

            traveller.move_to(start + datetime.timedelta(hours=2, seconds=1))
            after = self.client.get("/")
            self.assertContains(after, "Embargoed analysis")
            self.assertNotEqual(before["ETag"], after["ETag"])
            self.assertEqual(self.client.get(scheduled.get_absolute_url()).status_code, 200)
            self.assertContains(self.client.get("/feed/"), "Embargoed analysis")
            self.assertIsNone(caching.public_state().next_scheduled)


class PublicStateTests(PublicSiteTestCase):
    def test_state_is_one_query(self):
        with self.assertNumQueries(1):
            caching.public_state()

    def test_unpublished_work_does_not_move_last_modified(self):
        newsroom = Newsroom()
        source = make_source()
        newsroom.published([(passage(source, 1), QUOTE)])
        stamp = caching.public_state().last_modified
        newsroom.approved([(passage(source, 1), QUOTE)])
        self.assertEqual(caching.public_state().last_modified, stamp)


class PublicStateMemoTests(PublicSiteTestCase):
    """A busy process answers from the state it read a moment ago; nothing it shows is older than that."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = cls.newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal")

    def test_an_unchanged_page_costs_no_query_within_the_memo(self):
        with self.settings(PUBLIC_STATE_MEMO_SECONDS=1), time_machine.travel(timezone.now(), tick=False):
            etag = self.client.get("/").headers["ETag"]
            with self.assertNumQueries(0):
                self.assertEqual(self.client.get("/", headers={"if-none-match": etag}).status_code, 304)
                self.assertEqual(self.client.get("/").status_code, 200)

    def test_this_process_sees_its_own_change_at_once(self):
        with self.settings(PUBLIC_STATE_MEMO_SECONDS=60):
            self.client.get("/")
            self.newsroom.published([(passage(self.source, 1), QUOTE)], title="Just published")
            self.assertContains(self.client.get("/"), "Just published")

    def test_another_process_change_shows_when_the_memo_ends(self):
        start = timezone.now()
        with self.settings(PUBLIC_STATE_MEMO_SECONDS=1), time_machine.travel(start, tick=False) as traveller:
            etag = self.client.get("/").headers["ETag"]
            # What another process's commit leaves behind: the shared counter moved, nothing in this memory.
            PublicChange.objects.update_or_create(pk=1, defaults={"generation": 10**6})
            self.assertEqual(self.client.get("/").headers["ETag"], etag)
            traveller.move_to(start + datetime.timedelta(seconds=1.5))
            self.assertNotEqual(self.client.get("/").headers["ETag"], etag)

    def test_a_scheduled_publication_ends_the_memo(self):
        start = timezone.now().replace(microsecond=0)
        with self.settings(PUBLIC_STATE_MEMO_SECONDS=3600), time_machine.travel(start, tick=False) as traveller:
            self.newsroom.published(
                [(passage(self.source, 1), QUOTE)], title="Embargoed", at=start + datetime.timedelta(minutes=5)
            )
            self.assertNotContains(self.client.get("/"), "Embargoed")
            traveller.move_to(start + datetime.timedelta(minutes=5, seconds=1))
            self.assertContains(self.client.get("/"), "Embargoed")


class SharedVersionTests(TransactionTestCase):
    """Processes share no memory: what they agree on is the committed counter in the database."""

    # The Analyst and Editor groups come from a data migration; bring them back for every test.
    serialized_rollback = True

    def setUp(self):
        cache.clear()

    def version_seen_by_another_process(self):
        # A thread that made none of these changes and remembers nothing: what another process would read.
        return in_another_thread(lambda: caching.public_state().version)

    def test_a_committed_change_gives_every_process_a_new_version(self):
        newsroom = Newsroom()
        source = make_source()
        before = self.version_seen_by_another_process()
        newsroom.published([(passage(source, 1), QUOTE)], title="Seen everywhere")
        after = self.version_seen_by_another_process()
        self.assertNotEqual(before, after)
        self.assertContains(self.client.get("/"), "Seen everywhere")

    def test_one_transaction_counts_once_and_a_rolled_back_one_not_at_all(self):
        caching.public_content_changed()
        start = PublicChange.objects.get().generation
        with transaction.atomic():
            for name in ("Oil", "Gas", "Grain"):
                Tag.objects.create(name=name)
        self.assertEqual(PublicChange.objects.get().generation, start + 1)
        with self.assertRaises(RuntimeError), transaction.atomic():
            Tag.objects.create(name="Never")
            raise RuntimeError("the editor's save failed")
        self.assertEqual(PublicChange.objects.get().generation, start + 1)

    def test_the_counter_is_not_locked_while_an_edit_is_open(self):
        """A long transaction (a big import, say) must not make every other editor wait for it."""
        if connection.vendor != "postgresql":
            self.skipTest("row locks between two connections: PostgreSQL")
        caching.public_content_changed()
        other = connections.create_connection("default")
        try:
            with transaction.atomic():
                Tag.objects.create(name="Inside a long import")
                with other.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
                    # Would fail with "lock timeout" if the open transaction held the counter's row.
                    cursor.execute(f"UPDATE {PublicChange._meta.db_table} SET generation = generation + 1")
        finally:
            other.close()


def in_another_thread(function):
    """What ``function`` returns when a second thread, with its own database connection, calls it."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # re-raised in the test's thread, where it fails the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class PerThreadStateTests(TransactionTestCase):
    """Threads of one process serve readers side by side: none sees what another has not committed or memoised."""

    serialized_rollback = True

    def setUp(self):
        cache.clear()
        caching.forget_public_state()
        newsroom = Newsroom()
        self.source = make_source()
        newsroom.published([(passage(self.source, 1), QUOTE)], title="Transit deal")

    def test_an_uncommitted_change_is_seen_by_its_own_thread_only(self):
        """An editor's thread shows its own edit at once; other readers see it only once it is committed."""
        before = caching.public_state().version
        with transaction.atomic():
            Tag.objects.create(name="Pipelines")
            own = caching.public_state().version
            other = in_another_thread(lambda: (caching.public_state().version, caching._uncommitted()))
        self.assertNotEqual(own, before)
        self.assertEqual(other, (before, 0))
        self.assertNotIn(in_another_thread(lambda: caching.public_state().version), (before, own))

    def test_a_memo_is_not_shared_between_threads(self):
        """A thread answering from what it read a moment ago does not make the next thread answer from it too."""
        with self.settings(PUBLIC_STATE_MEMO_SECONDS=60):
            remembered = caching.public_state().version
            # What another process's commit leaves behind: the shared counter moved, nothing in this memory.
            PublicChange.objects.update(generation=F("generation") + 1)
            self.assertEqual(caching.public_state().version, remembered)
            self.assertNotEqual(in_another_thread(lambda: caching.public_state().version), remembered)
            self.assertEqual(caching.public_state().version, remembered)


class BrokenCache(BaseCache):
    """A cache server that is down."""

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    get = set = add = delete = incr = clear = get_many = set_many = _fail


@override_settings(CACHES={"default": {"BACKEND": "public.tests.test_caching.BrokenCache"}})
class CacheOutageTests(PublicSiteTestCase):
    def setUp(self):
        pass  # nothing to clear: the cache is down

    def test_pages_still_render_when_the_cache_is_down(self):
        """A Redis outage slows the site down but does not take it down, nor makes it show stale pages."""
        newsroom = Newsroom()
        source = make_source()
        briefing = newsroom.published([(passage(source, 1), QUOTE)], title="Still readable")
        with self.assertLogs("public.caching", level="WARNING"):
            first = self.client.get("/")
        self.assertContains(first, "Still readable")
        # The version lives in the database, so an unchanged page is still answered 304...
        again = self.client.get("/", headers={"if-none-match": first["ETag"]})
        self.assertEqual(again.status_code, 304)
        # ...and a changed one is not.
        newsroom.published([(passage(source, 1), QUOTE)], title="Published during the outage")
        with self.assertLogs("public.caching", level="WARNING"):
            changed = self.client.get("/", headers={"if-none-match": first["ETag"]})
        self.assertContains(changed, "Published during the outage")
        with self.assertLogs("public.caching", level="WARNING"):
            self.assertEqual(self.client.get(briefing.get_absolute_url()).status_code, 200)
