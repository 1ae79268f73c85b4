from io import StringIO

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management.base import CommandError
from django.test import TestCase

from briefings.models import Briefing, Correction
from briefings.tests.factories import make_briefing, make_user
from demo.workflow import apply_demo_workflow

Status = Briefing.Status


class DemoWorkflowTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        make_user("editor", "Editor")
        make_user("admin", superuser=True)
        cls.briefings = [make_briefing(cls.analyst, title=f"Sample {n}") for n in range(5)]

    def run_demo(self):
        out = StringIO()
        apply_demo_workflow(out)
        return out.getvalue()

    def test_samples_end_in_every_stage(self):
        """The demo shows a corrected, an in-review, a draft, a published and a sent-back briefing."""
        self.run_demo()
        self.assertEqual(
            [Briefing.objects.get(pk=b.pk).status for b in self.briefings],
            [Status.PUBLISHED, Status.IN_REVIEW, Status.DRAFT, Status.PUBLISHED, Status.CHANGES_REQUESTED],
        )
        self.assertEqual(Correction.objects.public().get().briefing, self.briefings[0])
        self.assertEqual(Briefing.objects.published().count(), 2)

    def test_running_again_changes_nothing(self):
        """Loading the demo twice leaves the same states and the same record."""
        self.run_demo()
        events = list(self.briefings[0].events.values_list("pk", flat=True))
        output = self.run_demo()
        self.assertEqual(list(self.briefings[0].events.values_list("pk", flat=True)), events)
        self.assertIn("(kept)", output)
        self.assertEqual(Correction.objects.count(), 1)

    def test_second_editor_created_once(self):
        """A second editor account exists after the demo, so reviews never need the author."""
        output = self.run_demo()
        self.assertIn("account   editor2", output)
        self.assertTrue(get_user_model().objects.get(username="editor2").groups.filter(name="Editor").exists())
        self.assertNotIn("password", self.run_demo())

    def test_editors_own_briefing_is_reviewed_by_someone_else(self):
        """A sample written by the demo editor is approved by another editor."""
        editor = get_user_model().objects.get(username="editor")
        first = self.briefings[0]
        first.authors.set([editor])
        self.run_demo()
        approval = first.events.get(action="approved")
        self.assertEqual(approval.actor.username, "editor2")

    def test_uncited_sample_fails_loudly(self):
        """A sample that cannot pass the citation gate stops the demo with its slug, changing nothing."""
        bad = make_briefing(self.analyst, cite=False, body="No sources.")
        Briefing.objects.filter(pk=bad.pk).update(created_at=self.briefings[0].created_at.replace(year=2000))
        with self.assertRaisesMessage(CommandError, f"{bad.slug}: cannot be taken to corrected"):
            self.run_demo()
        self.assertFalse(Briefing.objects.exclude(status=Status.DRAFT).exists())

    def test_missing_accounts_are_reported(self):
        """Without the demo accounts the step says which is missing."""
        get_user_model().objects.filter(username="editor").delete()
        with self.assertRaisesMessage(CommandError, "'editor' is missing"):
            self.run_demo()

    def test_demo_sends_no_mail(self):
        """Loading the demo does not email the demo accounts about every sample."""
        with self.captureOnCommitCallbacks(execute=True):
            self.run_demo()
        self.assertEqual(mail.outbox, [])
