import io

from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import TransactionTestCase

from briefings.models import Briefing, PublicChange
from briefings.signals import rows_written_in_bulk
from public import caching

BENCHMARK_TITLE = "Benchmark briefing with 30 citations"


class BulkWriteTests(TransactionTestCase):
    """Rows written in bulk send no per-row signal; the bulk-write signal retires cached pages instead."""

    # The Analyst and Editor groups come from a data migration; bring them back for every test.
    serialized_rollback = True

    def setUp(self):
        cache.clear()
        self.addCleanup(cache.clear)
        caching.public_content_changed()  # the shared counter's row exists from here on

    def shared_generation(self):
        """The committed counter every process compares its cached pages against."""
        return PublicChange.objects.get().generation

    def test_a_generated_corpus_reaches_readers_of_every_process(self):
        """After generate_corpus, a reader sees the new briefings, not the page cached before."""
        before = self.client.get("/")
        self.assertNotContains(before, BENCHMARK_TITLE)
        generation = self.shared_generation()
        call_command(
            "generate_corpus", "--sources", "3", "--passages-per-source", "8", "--briefings", "10", "--tags", "5",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )
        self.assertGreater(self.shared_generation(), generation)
        after = self.client.get("/")
        self.assertNotEqual(after.headers["ETag"], before.headers["ETag"])
        self.assertContains(after, BENCHMARK_TITLE)

    def test_the_signal_counts_a_change_when_its_transaction_commits(self):
        """A bulk writer that sends the signal gives every process a new public version."""
        generation = self.shared_generation()
        etag = self.client.get("/").headers["ETag"]
        with transaction.atomic():
            rows_written_in_bulk.send(sender=Briefing)
        self.assertEqual(self.shared_generation(), generation + 1)
        self.assertNotEqual(self.client.get("/").headers["ETag"], etag)
