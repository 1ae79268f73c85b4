"""The health check that load balancers poll: database and cache, as JSON, never cached."""
from unittest import mock

from django.db import DatabaseError
from django.test import TestCase


class HealthCheckTests(TestCase):
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

    def test_database_down_answers_503(self):
        """When the database cannot be reached the check fails with 503 and names it, without details."""
        unreachable = mock.Mock(side_effect=DatabaseError("connection refused at 10.0.0.5"))
        with mock.patch.dict("config.health.CHECKS", {"database": unreachable}):
            with self.assertLogs("config.health", "ERROR"):
                response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        expected = {"status": "unavailable", "checks": {"database": "unavailable", "cache": "ok"}}
        self.assertEqual(response.json(), expected)
        self.assertNotIn(b"10.0.0.5", response.content)

    def test_cache_down_answers_503(self):
        """When the cache cannot be reached the check fails with 503 and names it."""
        with mock.patch("django.core.cache.cache.set", side_effect=ConnectionError("redis is down")):
            with self.assertLogs("config.health", "ERROR"):
                response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"], {"database": "ok", "cache": "unavailable"})

    def test_cache_answering_wrongly_counts_as_down(self):
        """A cache that loses what it was just given is reported, not trusted."""
        with mock.patch("django.core.cache.cache.get", return_value=None):
            with self.assertLogs("config.health", "ERROR"):
                response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)

    def test_only_get(self):
        """The check is read-only: other methods are refused."""
        self.assertEqual(self.client.post("/healthz").status_code, 405)

    def test_costs_one_query(self):
        """Polling the check costs the database a single trivial query."""
        with self.assertNumQueries(1):  # SELECT 1
            self.client.get("/healthz")
