"""The review workflow: who may take which step, four eyes, the citation gate, each transition, rendering."""
import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from briefings import revisions, workflow
from briefings.models import Briefing, BriefingEvent, Citation
from briefings.workflow import WorkflowError

from .factories import (
    cite,
    counting_renders,
    fresh,
    make_briefing,
    make_passage,
    make_user,
    published,
    reviewed,
    without_citation_ids,
)

Status = Briefing.Status
Action = BriefingEvent.Action

# The briefing of every state is written by analyst_a, editor_a and super_a;
# the "_b" people had no hand in it.
ROLES = ["analyst_a", "analyst_b", "editor_a", "editor_b", "super_a", "super_b"]
STATES = ["draft", "in_review", "changes_requested", "approved", "scheduled", "published", "retracted"]
ACTION_ARGUMENTS = {
    "submit": {},
    "request_changes": {"comment": "Please check the second figure."},
    "approve": {},
    "publish": {},
    "unpublish": {},
    "retract": {"reason": "The central claim did not hold up."},
    "correct": {"note": "An earlier version gave the wrong date."},
}
AUTHORS = {"analyst_a", "editor_a", "super_a"}
EDITORS_AND_SUPERUSERS = {"editor_a", "editor_b", "super_a", "super_b"}
ALLOWED = {
    # Authors submit their own work; superusers may submit anyone's.
    ("submit", "draft"): AUTHORS | {"super_b"},
    ("submit", "changes_requested"): AUTHORS | {"super_b"},
    # Review and publication need a second pair of eyes: never an author, superuser or not.
    ("request_changes", "in_review"): {"editor_b", "super_b"},
    ("request_changes", "approved"): {"editor_b", "super_b"},
    ("approve", "in_review"): {"editor_b", "super_b"},
    ("publish", "approved"): {"editor_b", "super_b"},
    # Safety steps are not four-eyes steps: any editor may take them.
    ("unpublish", "scheduled"): EDITORS_AND_SUPERUSERS,
    ("retract", "published"): EDITORS_AND_SUPERUSERS,
    ("correct", "published"): EDITORS_AND_SUPERUSERS,
}


class Rollback(Exception):
    pass


class PermissionMatrixTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.people = {
            "analyst_a": make_user("analyst_a", "Analyst"),
            "analyst_b": make_user("analyst_b", "Analyst"),
            "editor_a": make_user("editor_a", "Editor"),
            "editor_b": make_user("editor_b", "Editor"),
            "super_a": make_user("super_a", superuser=True),
            "super_b": make_user("super_b", superuser=True),
        }
        author, reviewer = cls.people["analyst_a"], cls.people["editor_b"]
        passage = make_passage()
        cls.briefings = {}
        for state in STATES:
            briefing = make_briefing(author, passage)
            briefing.authors.add(cls.people["editor_a"], cls.people["super_a"])
            if state != "draft":
                workflow.submit(briefing, author)
            if state == "changes_requested":
                workflow.request_changes(briefing, reviewer, comment="Tighten the lede.")
            if state in {"approved", "scheduled", "published", "retracted"}:
                workflow.approve(briefing, reviewer)
            if state == "scheduled":
                workflow.publish(briefing, reviewer, at=timezone.now() + datetime.timedelta(days=2))
            if state in {"published", "retracted"}:
                workflow.publish(briefing, reviewer)
            if state == "retracted":
                workflow.retract(briefing, reviewer, reason="Sources withdrew the claim.")
            cls.briefings[state] = briefing

    def attempt(self, action, state, role):
        """Run the transition for real and undo it; True when it was allowed."""
        briefing = fresh(self.briefings[state])
        try:
            with transaction.atomic():
                getattr(workflow, action)(briefing, self.people[role], **ACTION_ARGUMENTS[action])
                raise Rollback
        except Rollback:
            return True
        except (WorkflowError, PermissionDenied):
            return False

    def test_every_role_action_and_state(self):
        """Each person can take exactly the steps their role allows, in the states that allow them."""
        for action in ACTION_ARGUMENTS:
            for state in STATES:
                for role in ROLES:
                    expected = role in ALLOWED.get((action, state), set())
                    with self.subTest(action=action, state=state, role=role):
                        self.assertEqual(self.attempt(action, state, role), expected)
                        # The buttons shown in the admin agree with the functions.
                        briefing = fresh(self.briefings[state])
                        self.assertEqual(workflow.can(action, briefing, self.people[role]), expected)

    def test_states_built_for_the_matrix(self):
        """The matrix covers the states it claims to cover."""
        self.assertEqual(
            {state: fresh(briefing).status for state, briefing in self.briefings.items()},
            {
                "draft": Status.DRAFT,
                "in_review": Status.IN_REVIEW,
                "changes_requested": Status.CHANGES_REQUESTED,
                "approved": Status.APPROVED,
                "scheduled": Status.PUBLISHED,
                "published": Status.PUBLISHED,
                "retracted": Status.RETRACTED,
            },
        )


class FourEyesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.other_editor = make_user("other_editor", "Editor")
        cls.superuser = make_user("root", superuser=True)

    def test_editor_who_edited_cannot_approve(self):
        """An editor who changed the text under review must leave approval to someone else."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        briefing.body = "The two governments signed a transit agreement.[^a]"
        briefing.save()
        workflow.record_edit(briefing, self.editor)
        with self.assertRaisesMessage(PermissionDenied, "someone else must approve"):
            workflow.approve(briefing, self.editor)
        workflow.approve(briefing, self.other_editor)
        self.assertEqual(fresh(briefing).status, Status.APPROVED)

    def test_superuser_author_cannot_approve_own_briefing(self):
        """Being a superuser does not let anyone approve their own writing."""
        briefing = make_briefing(self.superuser)
        workflow.submit(briefing, self.superuser)
        with self.assertRaises(PermissionDenied):
            workflow.approve(briefing, self.superuser)

    def test_superuser_author_cannot_publish_own_briefing(self):
        """A superuser cannot publish a briefing they wrote, even after someone else approved it."""
        briefing = make_briefing(self.superuser)
        reviewed(briefing, self.superuser, self.editor)
        with self.assertRaises(PermissionDenied):
            workflow.publish(briefing, self.superuser)

    def test_earlier_editing_does_not_block_review_of_later_revision(self):
        """An editor who edited a revision already published may review the next one someone else wrote."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        briefing.body = "Both governments signed an agreement.[^a]"
        briefing.save()
        workflow.record_edit(briefing, self.editor)
        workflow.approve(briefing, self.other_editor)
        workflow.publish(briefing, self.other_editor)
        briefing.body = "Both governments signed the agreement.[^a]"
        briefing.save()
        workflow.record_edit(briefing, self.analyst)
        workflow.submit(briefing, self.analyst)
        workflow.approve(briefing, self.editor)
        self.assertEqual(fresh(briefing).status, Status.APPROVED)


class CitationGateTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def test_submit_without_citation_is_refused(self):
        """A briefing that cites nothing cannot be sent for review."""
        briefing = make_briefing(self.analyst, cite=False, body="No sources at all.")
        with self.assertRaisesMessage(WorkflowError, "at least one citation"):
            workflow.submit(briefing, self.analyst)
        self.assertEqual(fresh(briefing).status, Status.DRAFT)
        self.assertFalse(briefing.events.exists())

    def test_submit_with_unresolved_marker_is_refused(self):
        """A footnote marker without its citation keeps the briefing from review, naming the marker."""
        briefing = make_briefing(self.analyst, body="Signed.[^a] Ratified.[^missing]")
        with self.assertRaisesMessage(WorkflowError, "[^missing] has no citation"):
            workflow.submit(briefing, self.analyst)
        self.assertEqual(fresh(briefing).status, Status.DRAFT)

    def test_submit_with_unused_citation_is_refused(self):
        """A citation the body never points to keeps the briefing from review, naming the citation."""
        briefing = make_briefing(self.analyst, body="No markers here.")
        with self.assertRaisesMessage(WorkflowError, "citation “a” is not used"):
            workflow.submit(briefing, self.analyst)

    def test_submit_with_orphaned_citation_is_refused(self):
        """A briefing whose quoted words vanished from the source cannot be sent for review."""
        briefing = make_briefing(self.analyst)
        Citation.objects.filter(briefing=briefing).update(status=Citation.Status.ORPHANED)
        with self.assertRaisesMessage(WorkflowError, "[^a] is orphaned"):
            workflow.submit(briefing, self.analyst)

    def test_publish_with_citation_orphaned_after_approval_is_refused(self):
        """A source re-import that orphans a quote after approval stops publication."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        Citation.objects.filter(briefing=briefing).update(status=Citation.Status.ORPHANED)
        other_editor = make_user("other", "Editor")
        with self.assertRaisesMessage(WorkflowError, "orphaned"):
            workflow.publish(briefing, other_editor)
        self.assertEqual(fresh(briefing).status, Status.APPROVED)


class TransitionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def test_each_step_is_recorded(self):
        """The event log lists every step with who took it and the states before and after."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        workflow.request_changes(briefing, self.editor, comment="Cite the ministry too.")
        workflow.submit(briefing, self.analyst)
        workflow.approve(briefing, self.editor)
        workflow.publish(briefing, self.editor)
        self.assertEqual(
            list(briefing.events.values_list("action", "actor__username", "from_state", "to_state", "comment")),
            [
                (Action.SUBMITTED, "analyst", Status.DRAFT, Status.IN_REVIEW, ""),
                (Action.CHANGES_REQUESTED, "editor", Status.IN_REVIEW, Status.CHANGES_REQUESTED,
                 "Cite the ministry too."),
                (Action.SUBMITTED, "analyst", Status.CHANGES_REQUESTED, Status.IN_REVIEW, ""),
                (Action.APPROVED, "editor", Status.IN_REVIEW, Status.APPROVED, ""),
                (Action.PUBLISHED, "editor", Status.APPROVED, Status.PUBLISHED, ""),
            ],
        )

    def test_each_step_bumps_the_version(self):
        """A step taken changes the version, so an older copy can no longer act."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        self.assertEqual((briefing.version, fresh(briefing).version), (2, 2))

    def test_request_changes_needs_a_comment(self):
        """An editor cannot send a briefing back without saying what should change."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        with self.assertRaisesMessage(WorkflowError, "comment"):
            workflow.request_changes(briefing, self.editor, comment="   ")
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)

    def test_author_sees_the_request_for_changes(self):
        """The reviewer's comment is what the author is shown while changes are requested."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        workflow.request_changes(briefing, self.editor, comment="Name the minister.")
        self.assertEqual(workflow.latest_request_for_changes(briefing).comment, "Name the minister.")

    def test_stale_copy_cannot_take_a_step(self):
        """Acting on a briefing someone else changed meanwhile is refused, naming who changed it."""
        briefing = make_briefing(self.analyst)
        stale = fresh(briefing)
        workflow.submit(briefing, self.analyst)
        with self.assertRaisesMessage(workflow.StaleVersion, "analyst saved a newer version"):
            workflow.request_changes(stale, self.editor, comment="Too late.")
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)

    def test_editing_approved_briefing_sends_it_back_to_review(self):
        """Changing the body after approval means someone must review it again."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        briefing.body = "The governments signed a deal.[^a]"
        briefing.save()
        workflow.record_edit(briefing, self.analyst)
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)
        self.assertEqual(briefing.events.last().action, Action.EDITED)

    def test_editing_citation_of_approved_briefing_sends_it_back_to_review(self):
        """Changing a citation after approval means someone must review it again."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        briefing.citations.update(note="Quoted from the second paragraph.")
        workflow.record_edit(briefing, self.analyst)
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)

    def test_saving_unchanged_approved_briefing_keeps_approval(self):
        """Saving without changing anything does not cost the approval."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.record_edit(briefing, self.analyst)
        self.assertEqual(fresh(briefing).status, Status.APPROVED)

    def test_publish_refuses_revision_created_after_approval(self):
        """What is published is what was approved: a later revision needs its own review."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        briefing.title = "Changed behind the reviewer's back"
        briefing.save()
        revisions.snapshot(briefing, self.analyst)
        with self.assertRaisesMessage(WorkflowError, "changed after it was approved"):
            workflow.publish(briefing, make_user("other", "Editor"))

    def test_analyst_cannot_edit_someone_elses_briefing(self):
        """Analysts edit only their own briefings."""
        briefing = make_briefing(self.analyst)
        self.assertFalse(workflow.can_edit(briefing, make_user("colleague", "Analyst")))
        self.assertTrue(workflow.can_edit(briefing, self.editor))

    def test_retracted_briefing_cannot_be_edited(self):
        """Once retracted, a briefing's record is closed."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.retract(briefing, self.editor, reason="Fabricated source.")
        with self.assertRaisesMessage(WorkflowError, "retracted briefing cannot be edited"):
            workflow.record_edit(briefing, self.editor)

    def test_available_actions(self):
        """An editor looking at someone's submission is offered exactly review steps."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        self.assertEqual(workflow.available_actions(briefing, self.editor), ["request_changes", "approve"])
        self.assertEqual(workflow.available_actions(briefing, self.analyst), [])



class RenderingTests(TestCase):
    """Workflow steps reuse the stored HTML: only a step that rewrites the body renders it, once."""

    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.passage = make_passage()

    def test_review_and_publication_render_nothing(self):
        """Submitting, reviewing, publishing, correcting and retracting keep the HTML rendered on save."""
        briefing = make_briefing(self.analyst, self.passage)
        with counting_renders() as renders:
            workflow.submit(briefing, self.analyst)
            workflow.request_changes(briefing, self.editor, comment="Cite the ministry too.")
            workflow.submit(briefing, self.analyst)
            workflow.approve(briefing, self.editor)
            workflow.publish(briefing, self.editor)
            workflow.correct(briefing, self.editor, note="The agreement was signed on Monday.")
            workflow.retract(briefing, self.editor, reason="The agreement was never signed.")
        self.assertEqual(renders, {})
        briefing = fresh(briefing)
        self.assertIn('id="fn-1"', briefing.published_revision.body_html)
        # The same footnotes; the published ones highlight the revision's own citation rows.
        published_html = briefing.published_revision.body_html
        self.assertEqual(without_citation_ids(published_html), without_citation_ids(briefing.body_html))

    def test_revert_renders_once(self):
        """Reverting to a revision with many citations renders the restored body once, for the new revision."""
        labels = [f"c{number}" for number in range(20)]
        briefing = make_briefing(
            self.analyst, body=" ".join(f"Claim.[^{label}]" for label in labels), cite=False
        )
        for order, label in enumerate(labels):
            cite(briefing, self.passage, label=label, order=order)
        cited = workflow.record_edit(briefing, self.analyst)
        briefing.body = "Rewritten.[^c0]"
        briefing.save()
        briefing.citations.exclude(label="c0").delete()
        workflow.record_edit(briefing, self.analyst)
        with counting_renders() as renders:
            new = workflow.revert(briefing, self.analyst, cited)
        self.assertEqual(renders, {briefing.pk: 1})
        self.assertIn('id="fn-20"', new.body_html)
        self.assertIn('id="fn-20"', fresh(briefing).body_html)
