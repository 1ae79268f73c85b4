import datetime

from django.core import mail
from django.test import TestCase, override_settings
from django.utils import timezone

from briefings import notifications, workflow

from .factories import make_briefing, make_user, reviewed


@override_settings(SITE_URL="https://briefings.example.org")
class NotificationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.other_editor = make_user("other_editor", "Editor")
        cls.silent_editor = make_user("silent_editor", "Editor")
        cls.silent_editor.email = ""
        cls.silent_editor.save()

    def recipients(self):
        return sorted(address for message in mail.outbox for address in message.to)

    def test_submission_tells_editors(self):
        """Every editor with an address hears of a new submission, each in a separate message."""
        briefing = make_briefing(self.analyst)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.submit(briefing, self.analyst)
        self.assertEqual(self.recipients(), ["editor@example.org", "other_editor@example.org"])
        self.assertEqual(mail.outbox[0].subject, f"[Briefings] Review requested: {briefing.title}")
        self.assertIn(f"https://briefings.example.org/admin/briefings/briefing/{briefing.pk}/change/",
                      mail.outbox[0].body)

    def test_editor_author_is_not_asked_to_review_own_work(self):
        """An editor who wrote the briefing is not sent the review request for it."""
        briefing = make_briefing(self.editor)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.submit(briefing, self.editor)
        self.assertEqual(self.recipients(), ["other_editor@example.org"])

    def test_changes_requested_tells_authors_with_comment(self):
        """The author receives the reviewer's comment by email."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.request_changes(briefing, self.editor, comment="Add the ministry's figure.")
        self.assertEqual(self.recipients(), ["analyst@example.org"])
        self.assertIn("Add the ministry's figure.", mail.outbox[0].body)

    def test_approval_tells_authors(self):
        """The author hears that the briefing was approved."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.approve(briefing, self.editor)
        self.assertEqual([m.subject for m in mail.outbox], [f"[Briefings] Approved: {briefing.title}"])
        self.assertEqual(self.recipients(), ["analyst@example.org"])

    def test_publication_tells_authors(self):
        """The author hears that the briefing is public."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.publish(briefing, self.editor)
        self.assertEqual([m.subject for m in mail.outbox], [f"[Briefings] Published: {briefing.title}"])

    def test_scheduling_tells_authors_when(self):
        """The author hears when a scheduled briefing will appear."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        at = (timezone.now() + datetime.timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.publish(briefing, self.editor, at=at)
        self.assertEqual([m.subject for m in mail.outbox], [f"[Briefings] Scheduled: {briefing.title}"])
        self.assertIn(f"{at.day} {at:%B %Y}, 09:30 UTC", mail.outbox[0].body)

    def test_failed_step_sends_nothing(self):
        """A refused step sends no email."""
        briefing = make_briefing(self.analyst, cite=False, body="Uncited.")
        with self.captureOnCommitCallbacks(execute=True), self.assertRaises(workflow.WorkflowError):
            workflow.submit(briefing, self.analyst)
        self.assertEqual(mail.outbox, [])

    def test_mail_waits_for_commit(self):
        """Nothing is sent until the step's transaction commits."""
        briefing = make_briefing(self.analyst)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            workflow.submit(briefing, self.analyst)
        self.assertEqual(mail.outbox, [])
        for callback in callbacks:
            callback()
        self.assertNotEqual(mail.outbox, [])

    def test_muted_steps_send_nothing(self):
        """Steps taken while notifications are muted (loading the demo) send no mail."""
        briefing = make_briefing(self.analyst)
        with self.captureOnCommitCallbacks(execute=True), notifications.muted():
            workflow.submit(briefing, self.analyst)
        self.assertEqual(mail.outbox, [])
        self.assertFalse(notifications.is_muted())
