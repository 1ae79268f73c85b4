"""Backup and restore with dumpdata and loaddata: a restored desk is the desk that was backed up.

The commands are the ones documented in docs/production.md. Restoring goes
through loaddata's raw saves, which write rows as they were without running
the models' save(): that is how the append-only revisions and review events
are restored without loosening the rule that nothing changes them afterwards.
"""
import json
import shutil
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.test import TransactionTestCase, override_settings

from briefings import workflow
from briefings.models import (
    Briefing,
    BriefingEvent,
    Citation,
    Correction,
    Revision,
    RevisionCitation,
    Tag,
    TaggedBriefing,
)
from sources import importer
from sources.models import Passage, Source, SourceVersion, VersionPassage

from .factories import Newsroom, make_source, passage

# What the documentation tells operators to leave out: rebuilt by migrate, or only transient.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes"]
RECORDED = [
    get_user_model(), Group, Source, Passage, Briefing, Tag, TaggedBriefing, Citation, Revision, RevisionCitation,
    BriefingEvent, Correction, SourceVersion, VersionPassage,
]


def backup(path):
    call_command(
        "dumpdata", "--natural-foreign", *[f"--exclude={label}" for label in EXCLUDED],
        "--output", str(path), verbosity=0,
    )


def restore(path):
    call_command("loaddata", str(path), verbosity=0)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class BackupRestoreTests(TransactionTestCase):
    # The Analyst and Editor groups come from a data migration; bring them back for every test.
    serialized_rollback = True

    def setUp(self):
        folder = Path(tempfile.mkdtemp(prefix="briefings-backup-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        self.path = folder / "backup.json"
        self.addCleanup(cache.clear)
        newsroom = Newsroom()
        source = make_source()
        first, second = passage(source, 1), passage(source, 2)
        self.published = newsroom.published(
            [(first, "signed a transit agreement"), (second, "carry gas from the Caspian")], tags=["Energy", "Baku"]
        )
        newsroom.corrected(self.published)
        self.retracted = newsroom.retracted([(first, "after months of talks")], tags=["Energy"])
        newsroom.changes_requested([(second, "to southern Europe")], title="Sent back for changes")
        newsroom.scheduled([(first, "signed a transit agreement")], title="Appears on Friday")
        republished = newsroom.published([(second, "by the end of the decade")], title="Edited after publication")
        republished.body = "An edited claim.[^n1]"
        republished.save()
        workflow.record_edit(republished, newsroom.analyst)
        # The source changes after publication: a second version, a retired passage, a withheld first version.
        changed = source.text.replace(first.text, first.text.replace("Monday", "Tuesday"))
        importer.import_text(source, changed, by=newsroom.editor)
        source.versions.get(number=1).withhold("A named person is at risk.", by=newsroom.editor)

    def state(self):
        state = {model._meta.label: list(model.objects.order_by("pk").values()) for model in RECORDED}
        # Many-to-many rows are links, restored as links: their own ids are not part of the data.
        state["bylines"] = sorted(Briefing.authors.through.objects.values_list("briefing_id", "user_id"))
        state["memberships"] = sorted(get_user_model().groups.through.objects.values_list("user_id", "group_id"))
        return state

    def public_pages(self):
        cache.clear()
        source = Source.objects.get()
        urls = [
            "/", self.published.get_absolute_url(), self.retracted.get_absolute_url(), "/corrections/", "/feed/",
            source.get_absolute_url(), f"/sources/{source.slug}/versions/", f"/sources/{source.slug}/versions/1/",
            f"/sources/{source.slug}/versions/2/",
        ]
        return {url: self.client.get(url).content for url in urls}

    def test_restore_reproduces_every_row(self):
        """Briefings, citations, revisions, review events, corrections, tags, sources and people come back exactly."""
        before = self.state()
        backup(self.path)
        call_command("flush", "--noinput", verbosity=0)
        self.assertEqual(Briefing.objects.count(), 0)
        restore(self.path)
        self.assertEqual(self.state(), before)
        self.assertGreater(len(before["briefings.BriefingEvent"]), 10)
        self.assertGreater(len(before["briefings.RevisionCitation"]), 5)
        self.assertEqual(len(before["sources.SourceVersion"]), 2)
        self.assertTrue(any(row["withheld_at"] for row in before["sources.SourceVersion"]))
        self.assertTrue(all(row["source_version_id"] for row in before["briefings.RevisionCitation"]))

    def test_restored_site_shows_the_same_pages(self):
        """Readers see byte for byte the same pages, feed and corrections after a restore."""
        before = self.public_pages()
        backup(self.path)
        call_command("flush", "--noinput", verbosity=0)
        restore(self.path)
        self.assertEqual(self.public_pages(), before)

    def test_restored_history_is_still_append_only(self):
        """Restoring wrote the review record without unlocking it: it still cannot be changed afterwards."""
        backup(self.path)
        call_command("flush", "--noinput", verbosity=0)
        restore(self.path)
        event = BriefingEvent.objects.first()
        event.comment = "Rewritten history."
        with self.assertRaises(TypeError):
            event.save()
        with self.assertRaises(TypeError):
            Revision.objects.update(title="Rewritten")

    def test_restored_workflow_carries_on(self):
        """After a restore the workflow picks up where it was: the scheduled briefing can be taken off the schedule."""
        backup(self.path)
        call_command("flush", "--noinput", verbosity=0)
        restore(self.path)
        scheduled = Briefing.objects.get(title="Appears on Friday")
        editor = get_user_model().objects.get(groups__name="Editor")
        workflow.unpublish(scheduled, editor)
        self.assertEqual(Briefing.objects.get(pk=scheduled.pk).status, Briefing.Status.APPROVED)

    def test_loading_a_backup_twice_changes_nothing(self):
        """Loading the same backup over the restored desk again leaves every row as it was."""
        backup(self.path)
        call_command("flush", "--noinput", verbosity=0)
        restore(self.path)
        after_first = self.state()
        restore(self.path)
        self.assertEqual(self.state(), after_first)

    def test_backup_leaves_out_the_search_index(self):
        """A backup holds the desk, not the full-text index, which the database keeps in step with the restored rows."""
        backup(self.path)
        dumped = {row["model"] for row in json.loads(self.path.read_text())}
        self.assertIn("briefings.revision", dumped)
        self.assertFalse(dumped & {"briefings.revisionsearchentry", "briefings.passagesearchentry"})
