from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from briefings import comments, workflow
from briefings.models import COMMENT_MAX_LENGTH, Briefing, BriefingEvent, Citation, ReviewComment

from .factories import Newsroom, fresh, make_source, make_user, passage

BODY = "Baku and Brussels agreed on gas.[^n1] The deal doubles exports by 2027."


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


def add_url(briefing):
    return reverse("admin:briefings_briefing_comment", args=[briefing.pk])


def step_url(thread, step):
    return reverse("admin:briefings_briefing_comment_step", args=[thread.briefing_id, thread.pk, step])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


class AdminCommentTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.analyst, cls.editor = cls.newsroom.analyst, cls.newsroom.editor
        cls.other_analyst = make_user("other_analyst", "Analyst")
        cls.citations = [(passage(make_source(), 1), "signed a transit agreement")]

    def setUp(self):
        self.briefing = self.newsroom.draft(self.citations, body=BODY)
        self.citation = Citation.objects.get(briefing=self.briefing)

    def panel(self, user, briefing=None):
        self.client.force_login(user)
        response = self.client.get(change_url(briefing or self.briefing))
        self.assertEqual(response.status_code, 200)
        return response

    def thread(self, text="Source for 2027?", user=None):
        return comments.comment(self.briefing, user or self.editor, text, words="doubles exports")


class PanelTests(AdminCommentTestCase):
    def test_panel_lists_threads_with_their_anchors_and_steps(self):
        """The briefing's page lists each thread with what it is about, its replies and its buttons."""
        thread = self.thread()
        comments.reply(thread, self.analyst, "From the ministry's statement.")
        comments.comment(self.briefing, self.editor, "Is this the best source?", citation=self.citation)
        response = self.panel(self.analyst)
        self.assertContains(response, 'id="review-comments"')
        self.assertContains(response, "Review comments (2 open)")
        self.assertContains(response, "On the words “doubles exports”")
        self.assertContains(response, "On citation [^n1]")
        self.assertContains(response, "From the ministry&#x27;s statement.")
        self.assertContains(response, step_url(thread, "reply"))
        self.assertContains(response, step_url(thread, "resolve"))
        self.assertContains(response, "Comment on selection")
        self.assertContains(response, add_url(self.briefing))

    def test_outdated_thread_says_so(self):
        """A comment whose citation was deleted is marked outdated on the page."""
        comments.comment(self.briefing, self.editor, "Is this the best source?", citation=self.citation)
        self.citation.delete()
        response = self.panel(self.editor)
        self.assertContains(response, "outdated</span>")
        self.assertContains(response, "The citation was deleted.")

    def test_someone_who_may_not_comment_reads_why(self):
        """An analyst who is not an author sees the threads, the reason, and no forms."""
        thread = self.thread()
        response = self.panel(self.other_analyst)
        self.assertContains(response, "Only an author of this briefing or an editor who may review it can comment")
        self.assertNotContains(response, step_url(thread, "resolve"))
        self.assertNotContains(response, add_url(self.briefing))

    def test_comment_text_is_escaped(self):
        """Markup in a comment is shown as text, never run."""
        self.thread(text='<script>alert("x")</script><b onclick="x()">bold</b>')
        response = self.panel(self.analyst)
        self.assertNotContains(response, '<script>alert("x")')
        self.assertNotContains(response, '<b onclick')
        self.assertContains(response, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")

    def test_panel_query_count_does_not_grow_with_comments(self):
        """The change page costs the same number of queries with one thread or many, with replies."""
        self.thread()
        self.client.force_login(self.analyst)
        url = change_url(self.briefing)
        self.client.get(url)
        # The panel reads the comments, the citations and whether the user is an author, once each.
        with CaptureQueriesContext(connection) as one:
            self.client.get(url)
        for number in range(5):
            thread = comments.comment(self.briefing, self.editor, f"Point {number}.", citation=self.citation)
            comments.reply(thread, self.analyst, "Answered.")
            comments.resolve(thread, self.analyst)
            comments.reopen(thread, self.editor)
        with self.assertNumQueries(len(one.captured_queries)):
            self.client.get(url)


class StepTests(AdminCommentTestCase):
    def test_analyst_comments_on_words_of_the_body(self):
        """Posting words of the body and a comment starts a thread and returns to the panel."""
        self.client.force_login(self.analyst)
        response = self.client.post(add_url(self.briefing), {
            "comment-about": "words", "comment-words": "doubles  exports", "comment-text": "Check this.",
        })
        self.assertRedirects(response, change_url(self.briefing) + "#review-comments", fetch_redirect_response=False)
        thread = ReviewComment.objects.get()
        self.assertEqual((thread.author, thread.anchor_words, thread.text), (self.analyst, "doubles exports",
                                                                              "Check this."))

    def test_editor_comments_on_a_citation(self):
        """Choosing a citation anchors the comment to it."""
        self.client.force_login(self.editor)
        self.client.post(add_url(self.briefing), {
            "comment-about": str(self.citation.pk), "comment-text": "Better source?",
        })
        self.assertEqual(ReviewComment.objects.get().citation, self.citation)

    def test_refused_comment_keeps_the_text_and_says_why(self):
        """Words not in the body are refused with the reason, and the typed comment stays in the form."""
        self.client.force_login(self.analyst)
        response = self.client.post(add_url(self.briefing), {
            "comment-about": "words", "comment-words": "nothing like this", "comment-text": "My long remark.",
        })
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "These words are not in the saved body", status_code=400)
        self.assertContains(response, "My long remark.", status_code=400)
        self.assertFalse(ReviewComment.objects.exists())

    def test_outsider_is_refused_in_words(self):
        """An analyst who is not an author cannot comment, and is told why."""
        self.client.force_login(self.other_analyst)
        response = self.client.post(add_url(self.briefing), {
            "comment-about": "words", "comment-words": "doubles exports", "comment-text": "Hi.",
        })
        self.assertContains(response, "Only an author of this briefing", status_code=400)
        self.assertFalse(ReviewComment.objects.exists())

    def test_reply_resolve_and_reopen(self):
        """The author replies and resolves; an editor reopens; each step says it is done."""
        thread = self.thread()
        self.client.force_login(self.analyst)
        response = self.client.post(step_url(thread, "reply"), {f"reply-{thread.pk}-text": "Done."})
        self.assertRedirects(response, change_url(self.briefing) + f"#comment-{thread.pk}",
                             fetch_redirect_response=False)
        self.assertEqual(thread.replies.get().text, "Done.")
        response = self.client.post(step_url(thread, "resolve"))
        self.assertEqual(messages_of(response)[-1], "Thread resolved.")
        self.assertEqual(ReviewComment.objects.get(pk=thread.pk).resolved_by, self.analyst)
        self.client.force_login(self.editor)
        response = self.client.post(step_url(thread, "reopen"))
        self.assertEqual(messages_of(response)[-1], "Thread reopened.")
        self.assertIsNone(ReviewComment.objects.get(pk=thread.pk).resolved_at)

    def test_resolving_twice_says_why(self):
        """A refused step comes back as a message in the workflow's words."""
        thread = self.thread()
        comments.resolve(thread, self.analyst)
        self.client.force_login(self.editor)
        response = self.client.post(step_url(thread, "resolve"))
        self.assertEqual(messages_of(response)[-1], "This thread is already resolved.")

    def test_steps_need_post(self):
        """Reading a step's address changes nothing."""
        thread = self.thread()
        self.client.force_login(self.analyst)
        self.assertEqual(self.client.get(step_url(thread, "resolve")).status_code, 405)
        self.assertEqual(self.client.get(add_url(self.briefing)).status_code, 405)
        self.assertIsNone(ReviewComment.objects.get(pk=thread.pk).resolved_at)

    def test_steps_need_the_csrf_token(self):
        """A post from another site without the token is refused."""
        thread = self.thread()
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.analyst)
        self.assertEqual(client.post(step_url(thread, "resolve")).status_code, 403)
        self.assertIsNone(ReviewComment.objects.get(pk=thread.pk).resolved_at)

    def test_comment_of_another_briefing_or_unknown_step_is_not_found(self):
        """A comment is reached only through its own briefing, by the steps that exist."""
        thread = self.thread()
        other = self.newsroom.draft(self.citations)
        self.client.force_login(self.analyst)
        wrong = reverse("admin:briefings_briefing_comment_step", args=[other.pk, thread.pk, "resolve"])
        self.assertEqual(self.client.post(wrong).status_code, 404)
        self.assertEqual(self.client.post(step_url(thread, "delete")).status_code, 404)

    def test_hostile_input_is_refused_without_a_server_error(self):
        """Oversized, malformed and binary input gets a refusal, never a server error."""
        self.client.force_login(self.editor)
        other_citation = Citation.objects.get(briefing=self.newsroom.draft(self.citations))
        posts = [
            {"comment-about": "words", "comment-words": "doubles exports",
             "comment-text": "x" * (COMMENT_MAX_LENGTH + 1)},
            {"comment-about": "words", "comment-words": "w" * 5000, "comment-text": "Long words."},
            {"comment-about": "words", "comment-words": "doubles\x00exports", "comment-text": "Nul\x00."},
            {"comment-about": "words", "comment-words": "doubles exports", "comment-text": "Hi", "comment-near": "-5"},
            {"comment-about": "words", "comment-words": "doubles exports", "comment-text": "Hi", "comment-near": "x"},
            {"comment-about": str(other_citation.pk), "comment-text": "Elsewhere."},
            {"comment-about": "'; DROP TABLE x; --", "comment-text": "Hi"},
            {"comment-about": "words", "comment-words": "", "comment-text": "No words."},
            {},
        ]
        for data in posts:
            with self.subTest(data={key: value[:40] for key, value in data.items()}):
                response = self.client.post(add_url(self.briefing), data)
                self.assertEqual(response.status_code, 400)
        thread = self.thread()
        response = self.client.post(step_url(thread, "reply"), {f"reply-{thread.pk}-text": "\x00" * 10})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(ReviewComment.objects.count(), 1)
        too_big = reverse("admin:briefings_briefing_comment_step", args=[self.briefing.pk, 10**30, "resolve"])
        self.assertEqual(self.client.post(too_big).status_code, 404)


class InboxTests(AdminCommentTestCase):
    def test_review_inbox_shows_open_threads_per_briefing(self):
        """The editor's inbox shows how many threads of each briefing are unresolved."""
        workflow.submit(self.briefing, self.analyst)
        quiet = self.newsroom.in_review(self.citations)
        self.thread()
        resolved = comments.comment(self.briefing, self.editor, "Fine now?", citation=self.citation)
        comments.comment(self.briefing, self.editor, "And this?", citation=self.citation)
        comments.resolve(resolved, self.analyst)
        self.client.force_login(make_user("reviewer", "Editor"))
        response = self.client.get(reverse("admin:briefings_briefing_changelist") + "?inbox=mine")
        counts = {row.pk: row.open_comment_total for row in response.context["cl"].result_list}
        self.assertEqual(counts, {self.briefing.pk: 2, quiet.pk: 0})
        self.assertContains(response, "Open comments")
        self.assertContains(response, '<td class="field-open_comments">2</td>', html=True)

    def test_filter_keeps_briefings_with_open_threads(self):
        """"Unresolved comments" lists the briefings someone still has to answer, and no other."""
        comments.resolve(self.thread(), self.analyst)
        waiting = self.newsroom.draft(self.citations, body=BODY)
        comments.comment(waiting, self.editor, "Still open.", words="doubles exports")
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_changelist") + "?comments=open")
        self.assertEqual([row.pk for row in response.context["cl"].result_list], [waiting.pk])


class TransitionTests(AdminCommentTestCase):
    def transition_url(self, action):
        return reverse("admin:briefings_briefing_transition", args=[self.briefing.pk, action])

    def test_submit_button_leads_to_the_confirmation_while_comments_are_open(self):
        """With a thread open, "Submit for review" opens a page listing it with a box to tick."""
        self.thread()
        response = self.panel(self.analyst)
        (submit,) = response.context["workflow"]["steps"]
        self.assertTrue(submit["needs_input"])
        response = self.client.get(self.transition_url("submit"))
        self.assertContains(response, "Unresolved review comments")
        self.assertContains(response, "Source for 2027?")
        self.assertContains(response, 'name="acknowledge_unresolved"')

    def test_submitting_without_ticking_is_refused_then_recorded_when_ticked(self):
        """Without the box ticked nothing happens; ticked, the briefing goes and the record says so."""
        self.thread()
        self.client.force_login(self.analyst)
        version = fresh(self.briefing).version
        response = self.client.post(self.transition_url("submit"), {"version": version})
        self.assertContains(response, "1 review comment is not resolved yet")
        self.assertEqual(fresh(self.briefing).status, Briefing.Status.DRAFT)
        self.client.post(self.transition_url("submit"), {"version": version, "acknowledge_unresolved": "on"})
        self.assertEqual(fresh(self.briefing).status, Briefing.Status.IN_REVIEW)
        self.assertTrue(self.briefing.events.filter(action=BriefingEvent.Action.UNRESOLVED_COMMENTS).exists())

    def test_publishing_asks_the_same(self):
        """The publish page lists open threads and asks to confirm them."""
        workflow.submit(self.briefing, self.analyst)
        workflow.approve(self.briefing, self.editor)
        comments.comment(self.briefing, self.analyst, "Last doubt.", citation=self.citation)
        self.client.force_login(self.editor)
        version = fresh(self.briefing).version
        response = self.client.post(self.transition_url("publish"), {"version": version, "at": ""})
        self.assertContains(response, "not resolved yet")
        self.assertFalse(fresh(self.briefing).is_public())
        self.client.post(self.transition_url("publish"), {"version": version, "at": "", "acknowledge_unresolved": "on"})
        self.assertTrue(fresh(self.briefing).is_public())

    def test_without_open_comments_nothing_is_asked(self):
        """A briefing with no open thread is submitted with one click, as before."""
        comments.resolve(self.thread(), self.analyst)
        response = self.panel(self.analyst)
        self.assertFalse(response.context["workflow"]["steps"][0]["needs_input"])
        self.assertNotContains(self.client.get(self.transition_url("submit")), "acknowledge_unresolved")


class HistoryTests(AdminCommentTestCase):
    def test_revisions_page_lists_comments_per_revision(self):
        """Each revision in the history lists the comments made on it."""
        self.thread(text="About revision one.")
        self.briefing.body = BODY + " More."
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        comments.comment(self.briefing, self.editor, "About revision two.", citation=self.citation)
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_revisions", args=[self.briefing.pk]))
        by_number = {revision.number: [c.text for c in revision.comments_made_on]
                     for revision in response.context["revisions"]}
        self.assertEqual(by_number, {2: ["About revision two."], 1: ["About revision one."]})
        self.assertContains(response, "Review comments made on revision 1")
