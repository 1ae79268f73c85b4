"""Workflow after publication: editing a published briefing, scheduling, corrections and retractions, the event log."""
import datetime

import time_machine
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from briefings import revisions, workflow
from briefings.models import Briefing, BriefingEvent, Correction
from briefings.workflow import WorkflowError

from .factories import cite, fresh, make_briefing, make_passage, make_user, published, reviewed

Status = Briefing.Status
Action = BriefingEvent.Action


class PublishedEditingTests(TestCase):
    """A published briefing is edited like in a newsroom: readers keep the published revision meanwhile."""

    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def setUp(self):
        self.briefing = published(make_briefing(self.analyst, title="Original title"), self.analyst, self.editor)
        self.first = self.briefing.published_revision

    def edit_and_approve(self, title="New title"):
        self.briefing.title = title
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        workflow.submit(self.briefing, self.analyst)
        workflow.approve(self.briefing, self.editor)

    def test_edit_goes_back_to_draft_while_public_page_stays(self):
        """Readers keep seeing the published title while the edit is a draft."""
        self.briefing.title = "New title"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        briefing = Briefing.objects.published().get(pk=self.briefing.pk)
        self.assertEqual(briefing.status, Status.DRAFT)
        self.assertEqual(briefing.published_revision.title, "Original title")

    def test_republishing_needs_correction_or_minor(self):
        """An update readers have seen needs a correction note or to be marked minor."""
        self.edit_and_approve()
        with self.assertRaisesMessage(WorkflowError, "either write a correction"):
            workflow.publish(self.briefing, self.editor)
        with self.assertRaisesMessage(WorkflowError, "either write a correction"):
            workflow.publish(self.briefing, self.editor, correction="Fixed a date.", minor=True)
        self.assertEqual(fresh(self.briefing).published_revision, self.first)

    def test_republishing_with_correction_shows_a_public_note(self):
        """A substantive update appears as a dated correction and moves the updated time."""
        self.edit_and_approve()
        with time_machine.travel(timezone.now() + datetime.timedelta(hours=3), tick=False):
            workflow.publish(self.briefing, self.editor, correction="The title misnamed the pipeline.")
            now = timezone.now()
            correction = Correction.objects.public().get()
        briefing = fresh(self.briefing)
        self.assertEqual(briefing.published_revision.title, "New title")
        self.assertEqual(briefing.public_updated_at, now)
        self.assertEqual((correction.briefing, correction.note), (briefing, "The title misnamed the pipeline."))

    def test_minor_update_is_logged_not_shown(self):
        """A minor update changes the page without a public note, but the log records it."""
        self.edit_and_approve()
        workflow.publish(self.briefing, self.editor, minor=True)
        self.assertEqual(fresh(self.briefing).published_revision.title, "New title")
        self.assertFalse(Correction.objects.exists())
        self.assertEqual(self.briefing.events.last().comment, "Minor update.")

    def test_first_publication_keeps_its_date(self):
        """Republishing does not pretend the briefing is new."""
        first_published_at = self.briefing.published_at
        self.edit_and_approve()
        workflow.publish(self.briefing, self.editor, minor=True)
        self.assertEqual(fresh(self.briefing).published_at, first_published_at)

    def test_correction_on_first_publication_is_refused(self):
        """There is nothing to correct before readers have seen a briefing."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        with self.assertRaisesMessage(WorkflowError, "nothing to correct"):
            workflow.publish(briefing, self.editor, correction="Premature.")


class SchedulingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def test_scheduled_briefing_appears_at_its_time(self):
        """A briefing scheduled for nine o'clock is hidden at 8:59 and public at 9:00, with no worker."""
        start = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
        at = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
        with time_machine.travel(start, tick=False):
            briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
            workflow.publish(briefing, self.editor, at=at)
            self.assertEqual(briefing.events.last().action, Action.SCHEDULED)
        with time_machine.travel(at - datetime.timedelta(minutes=1), tick=False):
            self.assertFalse(Briefing.objects.published().filter(pk=briefing.pk).exists())
            self.assertFalse(Briefing.objects.public_pages().filter(pk=briefing.pk).exists())
        with time_machine.travel(at, tick=False):
            self.assertTrue(Briefing.objects.published().filter(pk=briefing.pk).exists())

    def test_schedule_in_the_past_is_refused(self):
        """Publication cannot be backdated."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        with self.assertRaisesMessage(WorkflowError, "in the future"):
            workflow.publish(briefing, self.editor, at=timezone.now() - datetime.timedelta(hours=1))
        self.assertEqual(fresh(briefing).status, Status.APPROVED)

    def test_schedule_without_time_zone_is_refused(self):
        """A publication time that could mean several moments is refused."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        with self.assertRaisesMessage(WorkflowError, "time zone"):
            workflow.publish(briefing, self.editor, at=datetime.datetime(2099, 1, 1, 9, 0))

    def test_unpublish_takes_briefing_off_the_schedule(self):
        """Cancelling a schedule returns the briefing to approved and it never appears."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        at = timezone.now() + datetime.timedelta(days=1)
        workflow.publish(briefing, self.editor, at=at)
        workflow.unpublish(briefing, self.editor)
        with time_machine.travel(at + datetime.timedelta(days=1), tick=False):
            self.assertFalse(Briefing.objects.public_pages().filter(pk=briefing.pk).exists())
        self.assertEqual((fresh(briefing).status, fresh(briefing).published_at), (Status.APPROVED, None))

    def test_scheduled_briefing_cannot_be_retracted(self):
        """Readers never saw a scheduled briefing, so it is taken off the schedule instead."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.publish(briefing, self.editor, at=timezone.now() + datetime.timedelta(days=1))
        with self.assertRaisesMessage(WorkflowError, "not public"):
            workflow.retract(briefing, self.editor, reason="Changed our minds.")


class CorrectionAndRetractionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def setUp(self):
        self.briefing = published(make_briefing(self.analyst), self.analyst, self.editor)

    def test_correction_is_public_and_dated(self):
        """A correction appears on the corrections list with its date and bumps the updated time."""
        later = timezone.now() + datetime.timedelta(days=1)
        with time_machine.travel(later, tick=False):
            workflow.correct(self.briefing, self.editor, note="The agreement was signed on Tuesday.")
            correction = Correction.objects.public().get()
        self.assertEqual((correction.kind, correction.created_at), (Correction.Kind.CORRECTION, later))
        self.assertEqual(fresh(self.briefing).public_updated_at, later)
        self.assertEqual(fresh(self.briefing).status, Status.PUBLISHED)

    def test_correction_needs_text(self):
        """An empty correction is refused and nothing is recorded."""
        with self.assertRaisesMessage(WorkflowError, "correction's text is required"):
            workflow.correct(self.briefing, self.editor, note="")
        self.assertFalse(Correction.objects.exists())

    def test_correction_of_unpublished_briefing_is_refused(self):
        """A draft has no readers to correct for."""
        draft = make_briefing(self.analyst)
        with self.assertRaisesMessage(WorkflowError, "Only a briefing readers can see"):
            workflow.correct(draft, self.editor, note="Nothing to see.")

    def test_retraction_leaves_lists_but_keeps_its_page(self):
        """A retracted briefing vanishes from lists and feeds but its URL still answers, with the reason."""
        workflow.retract(self.briefing, self.editor, reason="The documents were forged.")
        self.assertFalse(Briefing.objects.published().filter(pk=self.briefing.pk).exists())
        self.assertTrue(Briefing.objects.public_pages().filter(pk=self.briefing.pk).exists())
        notice = Correction.objects.public().get()
        self.assertEqual((notice.kind, notice.note), (Correction.Kind.RETRACTION, "The documents were forged."))

    def test_retraction_needs_a_reason(self):
        """A retraction without a public reason is refused and the briefing stays published."""
        with self.assertRaisesMessage(WorkflowError, "reason for the retraction is required"):
            workflow.retract(self.briefing, self.editor, reason=" ")
        self.assertTrue(Briefing.objects.published().filter(pk=self.briefing.pk).exists())

    def test_retraction_of_briefing_with_pending_edit(self):
        """A live briefing whose next revision is a draft can still be retracted."""
        self.briefing.title = "Rewritten"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        workflow.retract(self.briefing, self.editor, reason="Withdrawn.")
        self.assertEqual(fresh(self.briefing).status, Status.RETRACTED)

    def test_corrections_of_drafts_are_not_public(self):
        """The corrections list shows nothing for briefings readers cannot reach."""
        other = published(make_briefing(self.analyst), self.analyst, self.editor,
                          at=timezone.now() + datetime.timedelta(days=1))
        Correction.objects.create(briefing=other, note="Early note.", created_by=self.editor)
        self.assertFalse(Correction.objects.public().exists())


class EventLogTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.briefing = make_briefing(cls.analyst)
        workflow.submit(cls.briefing, cls.analyst)

    def test_event_cannot_be_changed(self):
        """Saving an existing event again is refused: the record is never rewritten."""
        event = BriefingEvent.objects.get()
        event.comment = "Rewritten history"
        with self.assertRaises(TypeError):
            event.save()

    def test_event_cannot_be_deleted(self):
        """Deleting an event is refused, one at a time or in bulk."""
        with self.assertRaises(TypeError):
            BriefingEvent.objects.get().delete()
        with self.assertRaises(TypeError):
            BriefingEvent.objects.all().delete()
        with self.assertRaises(TypeError):
            BriefingEvent.objects.update(comment="x")
        self.assertEqual(BriefingEvent.objects.count(), 1)

    def test_briefing_with_history_cannot_be_deleted(self):
        """A briefing that went through review keeps its record: deleting it is refused."""
        from django.db.models import ProtectedError

        with self.assertRaises(ProtectedError):
            fresh(self.briefing).delete()

    def test_request_for_changes_without_comment_is_refused_by_database(self):
        """Even code that bypasses the workflow cannot log a request for changes without a comment."""
        with self.assertRaises(IntegrityError), transaction.atomic():
            BriefingEvent.objects.create(
                briefing=self.briefing, actor=self.analyst, action=Action.CHANGES_REQUESTED,
                from_state=Status.IN_REVIEW, to_state=Status.CHANGES_REQUESTED,
            )


class CitationOrderTests(TestCase):
    def test_several_citations_are_snapshotted(self):
        """Every citation of the briefing is part of its revision."""
        analyst = make_user("analyst", "Analyst")
        passage = make_passage()
        briefing = make_briefing(analyst, passage, body="One.[^a] Two.[^b]")
        cite(briefing, passage, label="b", quote="after months of talks", order=1)
        revision, created = revisions.snapshot(briefing, analyst)
        self.assertTrue(created)
        self.assertEqual(list(revision.citations.values_list("label", flat=True)), ["a", "b"])
