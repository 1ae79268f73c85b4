from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase, override_settings

from briefings import comments, workflow
from briefings.models import COMMENT_MAX_LENGTH, BriefingEvent, Citation, ReviewComment

from .factories import Newsroom, fresh, make_source, make_user, passage

BODY = (
    "Baku and Brussels agreed on gas.[^n1] The deal doubles exports by 2027.\n\n"
    "Moscow's reaction was muted, and the Kremlin said little."
)


def edit(briefing, user, body):
    """Save a new body as the admin does: the working copy, then a revision."""
    briefing.body = body
    briefing.save()
    workflow.record_edit(briefing, user)
    return fresh(briefing)


class CommentTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.analyst, cls.editor = cls.newsroom.analyst, cls.newsroom.editor
        cls.other_analyst = make_user("other_analyst", "Analyst")
        cls.source = make_source()
        cls.citations = [(passage(cls.source, 1), "signed a transit agreement")]

    def setUp(self):
        self.briefing = self.newsroom.draft(self.citations, body=BODY)
        self.citation = Citation.objects.get(briefing=self.briefing)

    def on_words(self, words, user=None, text="Is this right?", **options):
        return comments.comment(self.briefing, user or self.editor, text, words=words, **options)

    def anchor(self, thread):
        (shown,) = [t for t in comments.threads_of(fresh(self.briefing)) if t.pk == thread.pk]
        return shown.anchor


class AnchoringTests(CommentTestCase):
    def test_words_are_stored_exactly_with_their_context_and_revision(self):
        """A comment on pasted words keeps the body's exact words, what surrounds them and the revision."""
        thread = self.on_words("doubles exports")
        self.assertEqual(thread.anchor_words, "doubles exports")
        self.assertTrue(thread.anchor_prefix.endswith("The deal "))
        self.assertTrue(thread.anchor_suffix.startswith(" by 2027"))
        self.assertEqual(thread.revision, self.briefing.revisions.get())

    def test_pasted_typography_finds_the_body_words(self):
        """Words pasted with curly apostrophes and extra spaces find the body's straight-quoted words."""
        thread = self.on_words("Moscow’s  reaction was muted")
        self.assertEqual(thread.anchor_words, "Moscow's reaction was muted")

    def test_anchor_follows_moved_text(self):
        """Moving the commented sentence to another paragraph keeps the comment on it."""
        thread = self.on_words("Moscow's reaction was muted")
        moved = "Moscow's reaction was muted, and the Kremlin said little.\n\n" + BODY.split("\n\n")[0]
        self.briefing = edit(self.briefing, self.analyst, moved)
        anchor = self.anchor(thread)
        self.assertFalse(anchor.outdated)
        self.assertEqual(anchor.start, 0)
        self.assertEqual(anchor.words, "Moscow's reaction was muted")

    def test_anchor_survives_typography_edits(self):
        """Curling the apostrophe in the body does not make the comment outdated."""
        thread = self.on_words("Moscow's reaction was muted")
        self.briefing = edit(self.briefing, self.analyst, BODY.replace("Moscow's", "Moscow’s"))
        anchor = self.anchor(thread)
        self.assertFalse(anchor.outdated)
        self.assertEqual(anchor.words, "Moscow’s reaction was muted")

    def test_repeated_words_are_told_apart_by_their_context(self):
        """Of words occurring twice, the comment stays with the place whose surroundings it was made in."""
        body = "Gas flows west.[^n1] Exports rise fast. Oil flows east. Exports rise fast, officials say."
        self.briefing = edit(self.briefing, self.analyst, body)
        thread = self.on_words("Exports rise fast", near=body.rindex("Exports"))
        self.assertEqual(thread.anchor_start, body.rindex("Exports"))
        self.briefing = edit(self.briefing, self.analyst, "Intro sentence here. " + body)
        self.assertEqual(self.anchor(thread).start, len("Intro sentence here. ") + body.rindex("Exports"))

    def test_repeated_words_without_a_place_are_refused(self):
        """Pasting words the body holds twice, without a selection, asks for more words."""
        body = "Exports rise fast.[^n1] Exports rise fast."
        self.briefing = edit(self.briefing, self.analyst, body)
        with self.assertRaisesMessage(ValidationError, "occur 2 times in the body: paste a few more words"):
            self.on_words("Exports rise fast")

    def test_edited_away_words_make_the_comment_outdated(self):
        """When the commented words are rewritten, the comment stays and says it is outdated."""
        thread = self.on_words("doubles exports")
        self.briefing = edit(self.briefing, self.analyst, BODY.replace("doubles exports", "raises exports"))
        anchor = self.anchor(thread)
        self.assertTrue(anchor.outdated)
        self.assertEqual(anchor.reason, "These words are no longer in the body.")
        self.assertEqual(anchor.words, "doubles exports")

    def test_words_not_in_the_saved_body_are_refused(self):
        """Words that are not in the saved body are refused, saying to save first."""
        with self.assertRaisesMessage(ValidationError, "not in the saved body of the briefing"):
            self.on_words("words nobody wrote")

    def test_comment_on_a_citation_follows_it(self):
        """A comment on a citation shows its current words while the citation is there."""
        thread = comments.comment(self.briefing, self.editor, "Better source?", citation=self.citation)
        anchor = self.anchor(thread)
        self.assertEqual((anchor.kind, anchor.label, anchor.outdated), ("citation", "n1", False))
        self.assertEqual(anchor.words, "signed a transit agreement")

    def test_relabelled_citation_keeps_its_comments(self):
        """Renaming a citation's label keeps the comment on it, under the new label."""
        thread = comments.comment(self.briefing, self.editor, "Better source?", citation=self.citation)
        self.citation.label = "deal"
        self.citation.save()
        anchor = self.anchor(thread)
        self.assertEqual((anchor.label, anchor.outdated), ("deal", False))

    def test_deleted_citation_makes_the_comment_outdated(self):
        """Deleting the citation leaves the comment, marked outdated, with the words it was about."""
        thread = comments.comment(self.briefing, self.editor, "Better source?", citation=self.citation)
        self.citation.delete()
        anchor = self.anchor(thread)
        self.assertTrue(anchor.outdated)
        self.assertEqual(anchor.reason, "The citation was deleted.")
        self.assertEqual(anchor.words, "signed a transit agreement")
        self.assertEqual(ReviewComment.objects.get(pk=thread.pk).citation_label, "n1")

    def test_citation_recreated_by_a_revert_keeps_its_comments(self):
        """Reverting recreates the citations; a comment on one of them finds it again by label and words."""
        thread = comments.comment(self.briefing, self.editor, "Better source?", citation=self.citation)
        self.briefing = edit(self.briefing, self.analyst, BODY + " More.")
        workflow.revert(self.briefing, self.analyst, self.briefing.revisions.get(number=1))
        self.assertIsNone(ReviewComment.objects.get(pk=thread.pk).citation_id)
        self.assertFalse(self.anchor(thread).outdated)

    def test_citation_of_another_briefing_is_refused(self):
        """A comment cannot point at another briefing's citation."""
        other = self.newsroom.draft(self.citations)
        with self.assertRaisesMessage(ValidationError, "belongs to another briefing"):
            comments.comment(self.briefing, self.editor, "?", citation=other.citations.get())

    def test_a_comment_needs_an_anchor(self):
        """A new thread says what it is about."""
        with self.assertRaisesMessage(ValidationError, "choose a citation, or paste words of the body"):
            comments.comment(self.briefing, self.editor, "Hmm.")

    def test_the_database_refuses_a_thread_anchored_twice(self):
        """A thread points at a citation or at words, never at both nor at nothing."""
        with self.assertRaises(IntegrityError), transaction.atomic():
            ReviewComment.objects.create(
                briefing=self.briefing, revision=self.briefing.revisions.get(), author=self.editor, text="x",
                citation_label="n1", anchor_words="Baku",
            )

    def test_the_database_refuses_an_overlong_comment(self):
        """The bound on a comment's length holds for rows written without the rules too."""
        with self.assertRaises(IntegrityError), transaction.atomic():
            ReviewComment.objects.create(
                briefing=self.briefing, revision=self.briefing.revisions.get(), author=self.editor,
                text="x" * (COMMENT_MAX_LENGTH + 1), citation_label="n1",
            )


class ThreadTests(CommentTestCase):
    def test_replies_join_the_thread_and_their_revision(self):
        """A reply, even to a reply, belongs to the thread's first comment and to the revision it was made on."""
        thread = self.on_words("doubles exports")
        self.briefing = edit(self.briefing, self.analyst, BODY + " Edited.")
        first = comments.reply(thread, self.analyst, "Fixed the figure.")
        second = comments.reply(first, self.editor, "Thanks.")
        self.assertEqual((first.parent_id, second.parent_id), (thread.pk, thread.pk))
        self.assertEqual(first.revision.number, 2)
        (shown,) = comments.threads_of(self.briefing)
        self.assertEqual([reply.text for reply in shown.thread_replies], ["Fixed the figure.", "Thanks."])

    def test_resolve_and_reopen_record_who_and_when(self):
        """Resolving and reopening say who did it and when."""
        thread = self.on_words("doubles exports")
        comments.resolve(thread, self.analyst)
        stored = ReviewComment.objects.get(pk=thread.pk)
        self.assertEqual(stored.resolved_by, self.analyst)
        self.assertIsNotNone(stored.resolved_at)
        self.assertEqual(list(ReviewComment.objects.unresolved()), [])
        comments.reopen(thread, self.editor)
        stored = ReviewComment.objects.get(pk=thread.pk)
        self.assertIsNone(stored.resolved_at)
        self.assertEqual(stored.reopened_by, self.editor)
        self.assertEqual(list(ReviewComment.objects.unresolved()), [stored])

    def test_text_is_plain_and_bounded(self):
        """Control characters are dropped, line breaks kept, and an overlong comment is refused."""
        thread = self.on_words("doubles exports", text="  First line\r\nsecond\x00 line\x07  ")
        self.assertEqual(thread.text, "First line\nsecond line")
        with self.assertRaisesMessage(ValidationError, f"at most {COMMENT_MAX_LENGTH:,} characters"):
            self.on_words("doubles exports", text="x" * (COMMENT_MAX_LENGTH + 1))
        with self.assertRaisesMessage(ValidationError, "The comment is empty"):
            self.on_words("doubles exports", text=" \x00 ")


class PermissionTests(CommentTestCase):
    def refusal(self, check, target, user):
        return workflow.refusal(check, target, user)

    def test_authors_and_editors_may_comment(self):
        """The briefing's author and any editor may comment."""
        self.assertIsNone(self.refusal(workflow.check_comment, self.briefing, self.analyst))
        self.assertIsNone(self.refusal(workflow.check_comment, self.briefing, self.editor))

    def test_another_analyst_may_not(self):
        """An analyst who is not an author is told who may comment."""
        self.assertEqual(
            self.refusal(workflow.check_comment, self.briefing, self.other_analyst),
            "Only an author of this briefing or an editor who may review it can comment on it.",
        )
        with self.assertRaises(PermissionDenied):
            self.on_words("doubles exports", user=self.other_analyst)

    def test_inactive_people_may_not(self):
        """A deactivated account comments on nothing."""
        self.editor.is_active = False
        self.assertEqual(
            self.refusal(workflow.check_comment, self.briefing, self.editor),
            "You are not allowed to comment on briefings.",
        )

    def test_retracted_briefings_are_closed(self):
        """A retracted briefing's comments can be read, not added to."""
        retracted = self.newsroom.retracted(self.citations)
        self.assertEqual(
            self.refusal(workflow.check_comment, retracted, self.editor),
            "A retracted briefing is closed: its review comments can be read, not added to.",
        )

    def test_resolved_thread_takes_no_reply_and_cannot_be_resolved_again(self):
        """A resolved thread must be reopened before replying; resolving twice is refused."""
        thread = self.on_words("doubles exports")
        comments.resolve(thread, self.analyst)
        thread = ReviewComment.objects.select_related("briefing").get(pk=thread.pk)
        self.assertEqual(self.refusal(workflow.check_reply, thread, self.editor),
                         "This thread is resolved: reopen it to reply.")
        self.assertEqual(self.refusal(workflow.check_resolve, thread, self.editor), "This thread is already resolved.")
        with self.assertRaisesMessage(workflow.WorkflowError, "reopen it to reply"):
            comments.reply(thread, self.editor, "But…")

    def test_open_thread_cannot_be_reopened_and_replies_are_not_resolved_alone(self):
        """Reopening an open thread or resolving a single reply says why not."""
        thread = self.on_words("doubles exports")
        answer = comments.reply(thread, self.analyst, "Done.")
        self.assertEqual(self.refusal(workflow.check_reopen, thread, self.editor), "This thread is open already.")
        self.assertEqual(
            self.refusal(workflow.check_resolve, answer, self.editor),
            "A thread is resolved as a whole: resolve its first comment, not a reply.",
        )


@override_settings(SITE_URL="https://briefings.example.org")
class EmailTests(CommentTestCase):
    def recipients(self):
        return sorted(address for message in mail.outbox for address in message.to)

    def test_editor_comment_goes_to_the_authors(self):
        """An editor's comment is emailed to the briefing's authors, with its words and a link."""
        with self.captureOnCommitCallbacks(execute=True):
            self.on_words("doubles exports", text="Source for 2027?")
        self.assertEqual(self.recipients(), [self.analyst.email])
        message = mail.outbox[0]
        self.assertEqual(message.subject, f"[Briefings] Comment on {self.briefing.title}")
        self.assertIn("Source for 2027?", message.body)
        self.assertIn('On the words: "doubles exports"', message.body)
        self.assertIn(f"/admin/briefings/briefing/{self.briefing.pk}/change/#review-comments", message.body)

    def test_author_comment_goes_to_every_reviewer_while_nobody_is_involved(self):
        """Before any editor took part, an author's comment goes to everyone who may review."""
        other_editor = make_user("other_editor", "Editor")
        with self.captureOnCommitCallbacks(execute=True):
            self.on_words("doubles exports", user=self.analyst, text="Editors: is this clear?")
        self.assertEqual(self.recipients(), sorted([self.editor.email, other_editor.email]))

    def test_author_comment_goes_to_the_editors_involved(self):
        """Once an editor reviewed the briefing, an author's comment goes to that editor only."""
        make_user("other_editor", "Editor")
        workflow.submit(self.briefing, self.analyst)
        workflow.request_changes(self.briefing, self.editor, comment="Tighten it.")
        with self.captureOnCommitCallbacks(execute=True):
            self.on_words("doubles exports", user=self.analyst, text="Tightened?")
        self.assertEqual(self.recipients(), [self.editor.email])

    def test_reply_goes_to_the_threads_participants(self):
        """A reply reaches those who wrote in the thread, not its writer nor outsiders."""
        other_editor = make_user("other_editor", "Editor")
        thread = self.on_words("doubles exports")
        comments.reply(thread, other_editor, "Agreed.")
        with self.captureOnCommitCallbacks(execute=True):
            comments.reply(thread, self.analyst, "Fixed.")
        self.assertEqual(self.recipients(), sorted([self.editor.email, other_editor.email]))

    def test_nothing_is_sent_when_the_step_fails(self):
        """A refused comment sends no mail."""
        with self.captureOnCommitCallbacks(execute=True), self.assertRaises(PermissionDenied):
            self.on_words("doubles exports", user=self.other_analyst)
        self.assertEqual(mail.outbox, [])


class AcknowledgementTests(CommentTestCase):
    def test_submitting_with_open_comments_asks_for_confirmation(self):
        """Submitting while a comment is open is refused until the author confirms it."""
        self.on_words("doubles exports")
        with self.assertRaisesMessage(workflow.UnresolvedComments, "1 review comment is not resolved yet"):
            workflow.submit(self.briefing, self.analyst)
        self.assertEqual(fresh(self.briefing).status, "draft")

    def test_confirmed_submission_is_recorded(self):
        """Confirming records who went ahead with which comments open."""
        self.on_words("doubles exports", text="Source for 2027?")
        workflow.submit(self.briefing, self.analyst, acknowledge_unresolved=True)
        event = BriefingEvent.objects.get(briefing=self.briefing, action=BriefingEvent.Action.UNRESOLVED_COMMENTS)
        self.assertEqual(event.actor, self.analyst)
        self.assertIn("Confirmed to submit it with 1 unresolved review comment", event.comment)
        self.assertIn("“Source for 2027?”", event.comment)
        self.assertEqual(fresh(self.briefing).status, "in_review")

    def test_resolved_comments_need_no_confirmation(self):
        """Resolved threads do not hold up a submission, and nothing extra is recorded."""
        comments.resolve(self.on_words("doubles exports"), self.analyst)
        workflow.submit(self.briefing, self.analyst)
        self.assertFalse(self.briefing.events.filter(action=BriefingEvent.Action.UNRESOLVED_COMMENTS).exists())

    def test_publishing_with_open_comments_asks_for_confirmation_and_records_it(self):
        """Publishing (or scheduling) with open comments needs a confirmation, which is recorded."""
        workflow.submit(self.briefing, self.analyst)
        workflow.approve(self.briefing, self.editor)
        comments.comment(self.briefing, self.analyst, "One more thought.", citation=self.citation)
        with self.assertRaises(workflow.UnresolvedComments):
            workflow.publish(self.briefing, self.editor)
        self.assertFalse(fresh(self.briefing).is_public())
        workflow.publish(self.briefing, self.editor, acknowledge_unresolved=True)
        self.assertTrue(fresh(self.briefing).is_public())
        event = self.briefing.events.get(action=BriefingEvent.Action.UNRESOLVED_COMMENTS)
        self.assertIn("Confirmed to publish it with 1 unresolved review comment", event.comment)
        self.assertIn("on [^n1]", event.comment)

