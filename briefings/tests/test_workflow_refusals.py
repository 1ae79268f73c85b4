"""Why a step is refused, in the workflow's words: each rule's wording, and where the admin shows it."""
import datetime

from django.core.exceptions import PermissionDenied
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from briefings import revisions, workflow
from briefings.models import Briefing, Citation
from briefings.workflow import WorkflowError

from .factories import fresh, make_briefing, make_user, published, reviewed


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


def step_url(briefing, action):
    return reverse("admin:briefings_briefing_transition", args=[briefing.pk, action])


class RefusalTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.other_analyst = make_user("other_analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.other_editor = make_user("other_editor", "Editor")
        cls.outsider = make_user("outsider")  # staff, in no group: no permission at all

    def assertRefused(self, check, briefing, user, words):
        self.assertEqual(workflow.refusal(check, briefing, user), words)


class WordingTests(RefusalTestCase):
    """Every refusal message, once, from the check that gives it."""

    def test_no_permission(self):
        """An analyst asked to approve is told they are not allowed to, not that nothing is open."""
        briefing = make_briefing(self.other_analyst)
        workflow.submit(briefing, self.other_analyst)
        self.assertRefused(workflow.check_approve, briefing, self.analyst, "You are not allowed to approve briefings.")
        self.assertRefused(workflow.check_edit, briefing, self.outsider, "You are not allowed to edit briefings.")
        self.assertRefused(workflow.check_preview, briefing, self.outsider, "You are not allowed to preview briefings.")

    def test_wrong_state(self):
        """Approving a draft names the draft state."""
        briefing = make_briefing(self.analyst)
        self.assertRefused(
            workflow.check_approve, briefing, self.editor, "A briefing that is draft cannot be approved."
        )
        self.assertRefused(
            workflow.check_publish, briefing, self.editor, "A briefing that is draft cannot be published."
        )

    def test_four_eyes_names_the_rule(self):
        """An editor who wrote the briefing is told of the four-eyes rule, for review, approval and publication."""
        briefing = make_briefing(self.editor)
        workflow.submit(briefing, self.editor)
        self.assertRefused(
            workflow.check_approve, briefing, self.editor,
            "Four-eyes rule: you wrote or edited this version, so someone else must approve it.",
        )
        self.assertRefused(
            workflow.check_request_changes, briefing, self.editor,
            "Four-eyes rule: you wrote or edited this version, so someone else must review it.",
        )
        workflow.approve(briefing, self.other_editor)
        self.assertRefused(
            workflow.check_publish, briefing, self.editor,
            "Four-eyes rule: you wrote or edited this version, so someone else must publish it.",
        )

    def test_four_eyes_covers_who_edited(self):
        """An editor who saved a revision under review may not approve it either."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        briefing.title = "Edited by the editor"
        briefing.save()
        workflow.record_edit(briefing, self.editor)
        self.assertIn("Four-eyes rule", workflow.refusal(workflow.check_approve, fresh(briefing), self.editor))

    def test_not_an_author(self):
        """An analyst cannot submit someone else's briefing, and is told why."""
        briefing = make_briefing(self.other_analyst)
        self.assertRefused(
            workflow.check_submit, briefing, self.analyst, "Only an author of this briefing can submit it for review."
        )

    def test_only_own_briefings_are_edited(self):
        """An analyst opening a colleague's briefing is told they edit only their own."""
        briefing = make_briefing(self.other_analyst)
        self.assertRefused(
            workflow.check_edit, briefing, self.analyst, "You can only edit briefings you are an author of."
        )

    def test_missing_citations(self):
        """A briefing that cites nothing is refused review with that reason."""
        briefing = make_briefing(self.analyst, cite=False, body="Nothing cited.")
        self.assertRefused(workflow.check_submit, briefing, self.analyst, "A briefing needs at least one citation.")

    def test_citation_not_used_in_body(self):
        """A citation no marker uses is named, with what to do."""
        briefing = make_briefing(self.analyst, body="No marker here.")
        self.assertRefused(
            workflow.check_submit, briefing, self.analyst,
            "The citation “a” is not used in the body: add [^a] where it supports the text, or delete the citation.",
        )

    def test_marker_without_citation(self):
        """A footnote marker with no citation is named, with what to do."""
        briefing = make_briefing(self.analyst, body="Signed.[^a] Also.[^b]")
        self.assertRefused(
            workflow.check_submit, briefing, self.analyst,
            "The footnote [^b] has no citation: add a citation labelled “b” or remove the marker.",
        )

    def test_orphaned_citation(self):
        """A citation whose words left the source is named as orphaned."""
        briefing = make_briefing(self.analyst)
        Citation.objects.filter(briefing=briefing).update(status=Citation.Status.ORPHANED)
        self.assertRefused(
            workflow.check_submit, briefing, self.analyst,
            "Citation [^a] is orphaned: its words are no longer in the source. "
            "Choose the passage again or remove the citation.",
        )

    def test_changed_since_approval(self):
        """A revision saved after approval is not published on the old approval."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        briefing.title = "Changed after approval"
        briefing.save()
        revisions.snapshot(briefing, self.analyst)
        self.assertRefused(
            workflow.check_publish, briefing, self.editor,
            "This briefing changed after it was approved; it needs a new review.",
        )

    def test_not_scheduled(self):
        """Only a scheduled briefing can be taken off the schedule."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        self.assertRefused(
            workflow.check_unpublish, briefing, self.editor,
            "Only a briefing scheduled for later can be taken off the schedule; retract a public one.",
        )

    def test_not_public(self):
        """Retracting or correcting a briefing readers never saw says it is not public."""
        briefing = make_briefing(self.analyst)
        self.assertRefused(
            workflow.check_retract, briefing, self.editor,
            "Only a briefing readers can see can be retracted; this one is not public.",
        )
        self.assertRefused(
            workflow.check_correct, briefing, self.editor,
            "Only a briefing readers can see can be corrected; this one is not public.",
        )

    def test_retracted(self):
        """A retracted briefing refuses edits, corrections, previews and a second retraction, each in words."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.retract(briefing, self.editor, reason="It was wrong.")
        self.assertRefused(workflow.check_edit, briefing, self.editor, "A retracted briefing cannot be edited.")
        self.assertRefused(workflow.check_correct, briefing, self.editor, "A retracted briefing cannot be corrected.")
        self.assertRefused(
            workflow.check_share_preview, briefing, self.editor,
            "A retracted briefing cannot be previewed. Readers see its retraction notice.",
        )
        self.assertRefused(workflow.check_retract, briefing, self.editor, "This briefing is already retracted.")
        self.assertEqual(
            workflow.stage_steps(briefing, self.editor),
            [("", "A retracted briefing takes no further steps: readers see its retraction notice.")],
        )

    def test_preview_needs_an_author_or_an_editor(self):
        """An analyst is not shown, nor may share, a colleague's draft."""
        briefing = make_briefing(self.other_analyst)
        self.assertRefused(
            workflow.check_preview, briefing, self.analyst,
            "Only an author of this briefing or an editor can preview it.",
        )
        self.assertRefused(
            workflow.check_share_preview, briefing, self.analyst,
            "Only an author of this briefing or an editor can share a preview of it.",
        )

    @override_settings(TIME_ZONE="Asia/Baku")
    def test_stale_version_names_who_and_when(self):
        """A step taken from an outdated page names who saved the newer version, when (with the zone), and what."""
        briefing = make_briefing(self.analyst)
        stale = Briefing.objects.get(pk=briefing.pk)
        workflow.submit(briefing, self.analyst)
        with self.assertRaises(workflow.StaleVersion) as refused:
            workflow.approve(stale, self.editor)
        message = str(refused.exception)
        self.assertRegex(message, r"^analyst saved a newer version of this briefing on .* \+04 \(submitted[^)]*\)\. ")
        self.assertTrue(message.endswith("Your changes were not saved; reload the page to see theirs."))

    def test_stale_version_without_a_record(self):
        """A newer version nobody is recorded for still says the step was not taken."""
        briefing = Briefing.objects.create(title="Never saved in the admin", body="Text.")
        briefing.authors.add(self.analyst)
        stale = Briefing.objects.get(pk=briefing.pk)
        Briefing.objects.filter(pk=briefing.pk).update(version=stale.version + 1)
        with self.assertRaisesMessage(
            WorkflowError,
            "Someone saved a newer version of this briefing. Your changes were not saved; reload the page.",
        ):
            workflow.submit(stale, self.analyst)

    def test_transitions_raise_the_same_words(self):
        """The step itself refuses with the words the check gives, as PermissionDenied or WorkflowError."""
        briefing = make_briefing(self.editor)
        workflow.submit(briefing, self.editor)
        with self.assertRaisesMessage(PermissionDenied, "Four-eyes rule"):
            workflow.approve(briefing, self.editor)


class StageStepsTests(RefusalTestCase):
    def test_editor_author_sees_four_eyes_not_an_empty_box(self):
        """The steps of an in-review briefing its editor-author cannot take each carry the four-eyes reason."""
        briefing = make_briefing(self.editor)
        workflow.submit(briefing, self.editor)
        self.assertEqual(
            workflow.stage_steps(briefing, self.editor),
            [
                ("request_changes", workflow.refused_four_eyes("review")),
                ("approve", workflow.refused_four_eyes("approve")),
            ],
        )

    def test_steps_of_other_stages_are_left_out(self):
        """A draft's box speaks of submitting, not of retracting or publishing."""
        briefing = make_briefing(self.analyst)
        self.assertEqual(workflow.stage_steps(briefing, self.analyst), [("submit", None)])

    def test_scheduled_briefing_offers_unpublish(self):
        """A scheduled briefing's stage is taking it off the schedule."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.publish(briefing, self.editor, at=timezone.now() + datetime.timedelta(days=1))
        self.assertEqual(
            workflow.stage_steps(briefing, self.analyst),
            [("unpublish", "You are not allowed to cancel a scheduled publication.")],
        )


class AdminRefusalTests(RefusalTestCase):
    def test_workflow_box_says_why_for_an_editor_author(self):
        """The editor who wrote a briefing in review reads the four-eyes rule on its page."""
        briefing = make_briefing(self.editor)
        workflow.submit(briefing, self.editor)
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertContains(
            response, "<strong>Approve</strong>: Four-eyes rule: you wrote or edited this version, so someone else "
            "must approve it.", html=True,
        )
        self.assertNotContains(response, "No review step is open to you")

    def test_workflow_box_names_citation_problems(self):
        """The author of a draft that cannot be submitted reads which citation is wrong."""
        briefing = make_briefing(self.analyst, body="No marker here.")
        self.client.force_login(self.analyst)
        response = self.client.get(change_url(briefing))
        self.assertContains(response, "<strong>Submit for review</strong>:")
        self.assertContains(response, "is not used in the body")

    def test_workflow_box_says_why_a_colleague_cannot_edit(self):
        """An analyst looking at a colleague's briefing is told why they cannot edit it or submit it."""
        briefing = make_briefing(self.other_analyst)
        self.client.force_login(self.analyst)
        response = self.client.get(change_url(briefing))
        self.assertContains(
            response, "<li><strong>Edit</strong>: You can only edit briefings you are an author of.</li>", html=True
        )
        self.assertContains(response, "Only an author of this briefing can submit it for review.")

    def test_retracted_briefing_box(self):
        """A retracted briefing's box says no further step is taken."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.retract(briefing, self.editor, reason="It was wrong.")
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertContains(response, workflow.REFUSED_RETRACTED_STEPS)

    def test_refused_transition_page_says_why(self):
        """Opening a step's page that is not open shows the workflow's reason, and posting it changes nothing."""
        briefing = make_briefing(self.editor)
        workflow.submit(briefing, self.editor)
        self.client.force_login(self.editor)
        response = self.client.get(step_url(briefing, "approve"))
        self.assertContains(response, workflow.refused_four_eyes("approve"))
        response = self.client.post(step_url(briefing, "approve"), {"version": fresh(briefing).version})
        self.assertContains(response, workflow.refused_four_eyes("approve"))
        self.assertEqual(fresh(briefing).status, Briefing.Status.IN_REVIEW)

    def test_refused_transition_page_wrong_state(self):
        """A step of another stage, opened by address, names the state."""
        briefing = make_briefing(self.analyst)
        self.client.force_login(self.editor)
        response = self.client.get(step_url(briefing, "publish"))
        self.assertContains(response, "A briefing that is draft cannot be published.")
