"""The health check that load balancers poll, and what readers get when the database or the cache is down."""
import threading
from unittest import mock, skipUnless

from django.db import connection
from django.test import Client, TestCase, TransactionTestCase, override_settings

from briefings.tests.factories import Newsroom, make_source, passage
from config.cache import forget_failures
from public.tests.base import PublicSiteTestCase

from .faults import SilentServer, closed_port, redis_cache


class HealthCheckTests(TestCase):
    def setUp(self):
        forget_failures()
        self.addCleanup(forget_failures)

    def test_healthy_site_answers_ok(self):
        """With the database and the cache reachable, the check says ok for each."""
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "checks": {"database": "ok", "cache": "ok"}})

    def test_answer_is_never_cached(self):
        """No proxy or browser keeps an old answer: every poll reaches the site."""
        response = self.client.get("/healthz")
        self.assertIn("no-store", response["Cache-Control"])
        self.assertIn("no-cache", response["Cache-Control"])

    def test_cache_down_is_degraded_not_unavailable(self):
        """With Redis refusing connections the site still serves, so the check says 200 "degraded", naming the cache."""
        with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port()}/0")):
            with self.assertLogs("config.health", "ERROR"):
                response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        expected = {"status": "degraded", "checks": {"database": "ok", "cache": "unavailable"}}
        self.assertEqual(response.json(), expected)

    def test_hung_cache_is_degraded(self):
        """A Redis that accepts and never answers is reported as down after its timeout, with 200 "degraded"."""
        with SilentServer() as server, self.assertLogs("config.health", "ERROR"):
            with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{server.port}/0")):
                response = self.client.get("/healthz")
        self.assertEqual((response.status_code, response.json()["status"]), (200, "degraded"))

    def test_cache_answering_wrongly_counts_as_down(self):
        """A cache that loses what it was just given is reported, not trusted."""
        with mock.patch("django.core.cache.cache.get", return_value=None):
            with self.assertLogs("config.health", "ERROR"):
                response = self.client.get("/healthz")
        self.assertEqual(response.json()["checks"]["cache"], "unavailable")

    def test_only_get(self):
        """The check is read-only: other methods are refused."""
        self.assertEqual(self.client.post("/healthz").status_code, 405)

    def test_costs_one_query(self):
        """Polling the check costs the database a single trivial query."""
        with self.assertNumQueries(1):  # SELECT 1
            self.client.get("/healthz")


class CacheOutageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source()
        cls.briefing = Newsroom().published([(passage(cls.source, 1), "signed a transit agreement")])

    def setUp(self):
        super().setUp()
        forget_failures()
        self.addCleanup(forget_failures)

    def test_every_kind_of_page_is_served_without_the_cache(self):
        """With Redis down, pages, feeds and the API still answer 200."""
        urls = ["/", self.briefing.get_absolute_url(), self.source.get_absolute_url(), "/feed/", "/api/briefings/"]
        with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port()}/0")):
            with self.assertLogs("config.cache", "ERROR"):
                for url in urls:
                    self.assertEqual(self.client.get(url).status_code, 200, url)


@skipUnless(connection.vendor == "postgresql", "connect_timeout and a database outage are tested on PostgreSQL")
class PostgreSQLDatabaseDownTests(TransactionTestCase):
    """The database goes away under a running site: a closed port, or a server that accepts and never answers."""

    # The editorial groups and the public-change row come from migrations; flushing would lose them.
    serialized_rollback = True

    def setUp(self):
        forget_failures()
        self.source = make_source()
        self.briefing = Newsroom().published([(passage(self.source, 1), "signed a transit agreement")])
        self.client = Client(raise_request_exception=False)
        from django.core.cache import cache

        cache.clear()
        self.addCleanup(cache.clear)

    def database_at(self, port):
        """Point the site's connection at ``port`` until the test ends, with a short connect timeout."""
        saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "OPTIONS")}
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port), OPTIONS={
            **saved["OPTIONS"], "connect_timeout": 2,
        })

        def restore():
            connection.close()
            connection.settings_dict.update(saved)

        self.addCleanup(restore)

    def test_pg_cached_page_is_served_and_others_are_a_503(self):
        """With the database refusing connections a page still in the cache is shown; others say "try again"."""
        cached = self.client.get("/")
        self.assertEqual(cached.status_code, 200)
        self.database_at(closed_port())
        with self.assertLogs("public.caching", "WARNING"):
            response = self.client.get("/")
        self.assertEqual((response.status_code, response.content), (200, cached.content))
        with self.assertLogs("django.request", "ERROR"):
            response = self.client.get(self.source.get_absolute_url())
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "30")
        self.assertContains(response, "cannot reach its database", status_code=503)

    def test_pg_health_check_reports_the_database_as_unavailable(self):
        """A load balancer polling the check during a database outage gets 503 naming the database."""
        self.database_at(closed_port())
        with self.assertLogs("config.health", "ERROR"):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        expected = {"status": "unavailable", "checks": {"database": "unavailable", "cache": "ok"}}
        self.assertEqual(response.json(), expected)

    def test_pg_hung_database_answers_503_instead_of_hanging(self):
        """A database that accepts and never answers costs the connect timeout, then a 503, for pages and the check."""
        with SilentServer() as server:
            self.database_at(server.port)
            for url in (self.source.get_absolute_url(), "/healthz"):
                answers = []
                thread = threading.Thread(
                    target=lambda url=url, answers=answers: answers.append(self.client.get(url)), daemon=True
                )
                with self.assertLogs(level="ERROR"):
                    thread.start()
                    thread.join(timeout=60)
                self.assertTrue(answers, f"{url} hung")
                self.assertEqual(answers[0].status_code, 503, url)
