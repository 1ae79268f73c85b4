"""The page cache's limits: a byte budget in process memory, no oversized pages, and a Redis that fails fast."""
from django.core.cache import cache, caches
from django.test import override_settings

from briefings.tests.factories import make_source
from config.cache import forget_failures
from public.caching import PAGE_KEY_PREFIX
from public.tests.base import PublicSiteTestCase

from .faults import SilentServer, closed_port, redis_cache, redis_or_skip


def local_cache(max_bytes):
    return {
        "default": {
            "BACKEND": "config.cache.ByteBudgetLocMemCache",
            "LOCATION": f"budget-{max_bytes}",
            "OPTIONS": {"MAX_BYTES": max_bytes, "MAX_ENTRIES": 100_000},
        }
    }


def cached_pages():
    """The page-cache entries the process-memory cache holds."""
    return [key for key in caches["default"]._cache if f":{PAGE_KEY_PREFIX}:" in key]


class ByteBudgetTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        # Each of these sources' pages is about 120 kB of HTML.
        cls.sources = [
            make_source(*[f"Paragraph {number} " + "word " * 2_000 for number in range(12)]) for _ in range(6)
        ]
        cls.large = cls.sources[0]
        cls.small = make_source()

    @override_settings(CACHES=local_cache(10_000_000), PUBLIC_PAGE_MAX_CACHED_BYTES=50_000)
    def test_a_page_over_the_size_limit_is_served_but_not_cached(self):
        """A huge page is shown every time but never kept, so it cannot crowd the others out of memory."""
        response = self.client.get(self.large.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertGreater(len(response.content), 50_000)
        self.assertEqual(cached_pages(), [])
        self.assertEqual(self.client.get(self.small.get_absolute_url()).status_code, 200)
        self.assertEqual(len(cached_pages()), 1)

    @override_settings(CACHES=local_cache(400_000), PUBLIC_PAGE_MAX_CACHED_BYTES=1_000_000)
    def test_cached_pages_stay_within_the_byte_budget(self):
        """However many different large pages readers ask for, a process keeps at most its budget of them."""
        store = caches["default"]
        for source in self.sources:
            response = self.client.get(source.get_absolute_url())
            self.assertEqual(response.status_code, 200)
            self.assertGreater(len(response.content), 100_000)
            self.assertLessEqual(store.bytes_used, 400_000)
        self.assertGreater(store.bytes_used, 100_000)
        # The page asked for last is kept: the least recently used went first.
        with self.assertNumQueries(1):  # the public state only
            self.client.get(self.sources[-1].get_absolute_url())

    @override_settings(CACHES=local_cache(1_000))
    def test_a_value_larger_than_the_budget_is_not_kept(self):
        """A value that alone exceeds the budget is refused instead of emptying the cache for nothing."""
        cache.set("small", "x" * 100)
        cache.set("huge", "x" * 5_000)
        self.assertEqual((cache.get("small"), cache.get("huge")), ("x" * 100, None))


    @override_settings(CACHES=local_cache(5_000))
    def test_the_bytes_in_use_follow_every_write_removal_and_eviction(self):
        """The running total always equals what the entries hold, so the budget is neither over- nor under-spent."""
        store = caches["default"]
        store.clear()

        def held():
            return sum(len(value) for value in store._cache.values())

        steps = [
            lambda: cache.set("a", "x" * 1_000),
            lambda: cache.set("b", "y" * 2_000),
            lambda: cache.set("a", "z" * 500),  # overwritten with a smaller value
            lambda: cache.add("a", "ignored"),  # already there: nothing changes
            lambda: cache.set("count", 1),
            lambda: cache.incr("count", 10**40),  # a longer pickle
            lambda: cache.delete("b"),
            lambda: cache.set_many({f"page-{n}": "p" * 900 for n in range(8)}),  # evicts the oldest
            lambda: cache.set("expired", "e" * 100, timeout=0),  # gone at once
            lambda: cache.get("expired"),
        ]
        for number, step in enumerate(steps):
            step()
            with self.subTest(step=number):
                self.assertEqual(store.bytes_used, held())
                self.assertLessEqual(store.bytes_used, 5_000)
        store.clear()
        self.assertEqual(store.bytes_used, 0)


class RedisFaultTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source()

    def setUp(self):
        super().setUp()
        forget_failures()
        self.addCleanup(forget_failures)

    def test_pages_are_served_when_redis_refuses_connections(self):
        """With Redis down, readers still get every page, and the outage is logged."""
        with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port()}/0")):
            with self.assertLogs("config.cache", "ERROR") as logs:
                response = self.client.get(self.source.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("Cache unavailable", logs.output[0])

    def test_a_hung_redis_is_asked_once_then_left_alone(self):
        """A Redis that accepts and never answers delays one page by its timeout; the next pages skip it."""
        with SilentServer() as server, self.assertLogs("config.cache", "ERROR"):
            with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{server.port}/0", BACKOFF_SECONDS=60)):
                for _ in range(3):
                    self.assertEqual(self.client.get(self.source.get_absolute_url()).status_code, 200)
                    self.assertEqual(self.client.get("/sources/").status_code, 200)
            self.assertEqual(len(server.connections), 1)

    def test_redis_is_asked_again_after_the_back_off(self):
        """Once the back-off is over the cache is tried again, so a recovered Redis is used without a restart."""
        with SilentServer() as server, self.assertLogs("config.cache", "ERROR"):
            with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{server.port}/0", BACKOFF_SECONDS=0)):
                self.client.get(self.source.get_absolute_url())
                self.client.get(self.source.get_absolute_url())
            self.assertGreaterEqual(len(server.connections), 2)

    def test_pages_come_from_a_working_redis(self):
        """With Redis up, a page is rendered once and then answered from the cache."""
        url = redis_or_skip()
        with override_settings(CACHES=redis_cache(url)):
            cache.clear()
            first = self.client.get(self.source.get_absolute_url())
            with self.assertNumQueries(1):  # the public state only
                second = self.client.get(self.source.get_absolute_url())
            cache.clear()
        self.assertEqual(first.content, second.content)
