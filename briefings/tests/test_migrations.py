import importlib

from django.apps import apps
from django.test import TestCase

from briefings import workflow
from briefings.models import Revision, RevisionTag, Tag

from .factories import make_briefing, make_passage, make_user

revision_tags = importlib.import_module("briefings.migrations.0006_revision_tags")


class RevisionTagsMigrationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        passage = make_passage()
        # Published with "Energy", then an edit in review adds "Transit".
        cls.briefing = make_briefing(cls.analyst, passage, tags=["Energy"])
        workflow.submit(cls.briefing, cls.analyst)
        workflow.approve(cls.briefing, cls.editor)
        workflow.publish(cls.briefing, cls.editor)
        cls.briefing.tags.add("Transit")
        workflow.record_edit(cls.briefing, cls.analyst)

    def migrate(self):
        RevisionTag.objects.all().delete()
        revision_tags.tag_revisions(apps, None)

    def tags_of(self, number):
        return list(Revision.objects.get(briefing=self.briefing, number=number).tags.values_list("name", flat=True))

    def test_published_revision_keeps_its_own_tags(self):
        """After the upgrade readers still see the published tags, not those of the edit in review."""
        self.migrate()
        self.assertEqual(self.tags_of(1), ["Energy"])
        self.assertEqual(self.tags_of(2), ["Energy", "Transit"])

    def test_names_resolve_ignoring_case_and_vanished_tags_are_left_out(self):
        """A recorded name matches its tag whatever the case; a deleted tag is not brought back."""
        Tag.objects.filter(name="Energy").update(name="ENERGY")
        Tag.objects.create(name="Gas")
        Tag.objects.filter(name="Transit").delete()
        self.migrate()
        self.assertEqual(self.tags_of(1), ["ENERGY"])
        self.assertEqual(self.tags_of(2), ["ENERGY"])
        self.assertFalse(Tag.objects.filter(name="Transit").exists())

    def test_latest_revision_follows_a_merge_made_before_the_upgrade(self):
        """The latest revision takes the working copy's tags, so a tag merged away before the upgrade is not lost."""
        energy = Tag.objects.get(name="Energy")
        Tag.objects.create(name="Power").merge([energy])
        self.migrate()
        self.assertEqual(self.tags_of(2), ["Power", "Transit"])
