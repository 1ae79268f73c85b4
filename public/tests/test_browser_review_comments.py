"""An editor questions a citation in review, the analyst answers and resolves it, and the editor publishes.

Runs against a live server with Chromium driven by Playwright; see ``browser.py`` for what it needs.
"""
import re

import time_machine
from django.core import mail
from django.test import override_settings
from playwright.sync_api import expect

from briefings.models import Briefing, ReviewComment
from briefings.tests.factories import Newsroom, make_source, passage

from .browser import AXE_SCRIPT, DEMO_TIME, FAST_PASSWORD_HASHERS, SCREENSHOTS, Axe, BrowserTestCase

PASSWORD = "correct horse battery staple"
TITLE = "Baku and Brussels agree on gas"
BODY = "Azerbaijan will double its gas exports to Europe by 2027.[^n1] Officials in Baku welcomed the deal."
QUESTION = "Is the ministry the best source for this, or is there a contract?"
ANSWER = "The contract is not public; the ministry's statement is the primary source."


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class ReviewCommentWalkTests(BrowserTestCase):
    tools = ("chromium", "axe")

    def setUp(self):
        # The screenshot shows when each comment was made: the same time at every run.
        traveller = time_machine.travel(DEMO_TIME, tick=True)
        traveller.start()
        self.addCleanup(traveller.stop)
        super().setUp()
        self.newsroom = newsroom = Newsroom()
        self.analyst, self.editor = newsroom.analyst, newsroom.editor
        for person in (self.analyst, self.editor):
            person.set_password(PASSWORD)
            person.save()
        self.passage = passage(make_source(), 1)
        self.briefing = newsroom.in_review([(self.passage, "signed a transit agreement")], title=TITLE, body=BODY)
        self.change_path = f"/admin/briefings/briefing/{self.briefing.pk}/change/"

    def log_in(self, page, user):
        page.goto(self.url("/admin/login/?next=/admin/"))
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()

    def assert_accessible(self, page, selector):
        """axe-core's rules over the part of the page at ``selector``."""
        page.add_script_tag(path=str(AXE_SCRIPT))
        results = page.evaluate(
            "selector => axe.run({include: [[selector]]}, {resultTypes: ['violations']})", selector
        )
        self.assertFalse(results["violations"], Axe.describe(results["violations"]))

    def test_editor_comments_on_a_citation_the_analyst_replies_and_resolves_and_the_editor_publishes(self):
        """The whole conversation happens on the briefing's page, and publishing follows it."""
        # The editor's context may load axe-core into the admin's pages.
        editor = self.page = self.new_page(bypass_csp=True)
        self.log_in(editor, self.editor)
        editor.goto(self.url(self.change_path))
        panel = editor.locator("#review-comments")
        expect(panel.get_by_role("heading", name="Review comments")).to_be_visible()
        expect(panel).to_contain_text("No comments yet.")
        self.assert_accessible(editor, "#review-comments")

        # Selecting words in the body fills the words to comment on.
        editor.locator("#id_body").evaluate("body => { body.focus(); body.setSelectionRange(11, 39); }")
        panel.get_by_role("button", name="Comment on selection").click()
        expect(panel.get_by_label("Words to comment on")).to_have_value("will double its gas exports")
        expect(panel.get_by_label("Comment", exact=True)).to_be_focused()

        # But the question is about the citation.
        panel.get_by_label("Citation [^n1]").check()
        panel.get_by_label("Comment", exact=True).fill(QUESTION)
        panel.get_by_role("button", name="Add comment").click()
        expect(editor.locator(".messagelist")).to_contain_text("Comment added.")
        thread = editor.locator(".review-thread")
        expect(thread).to_have_count(1)
        expect(thread.get_by_role("heading")).to_contain_text("On citation [^n1]")
        expect(thread.locator(".review-anchor")).to_have_text("signed a transit agreement")
        expect(thread).to_contain_text(QUESTION)
        expect(editor.locator("#review-comments-heading")).to_have_text("Review comments (1 open)")
        self.assert_accessible(editor, "#review-comments")
        told = [message.to for message in mail.outbox if QUESTION in message.body]
        self.assertEqual(told, [[self.analyst.email]])

        # The analyst answers on their own page, and resolves the thread.
        analyst = self.page = self.new_page()
        self.log_in(analyst, self.analyst)
        analyst.goto(self.url(self.change_path))
        thread = analyst.locator(".review-thread")
        expect(thread).to_contain_text(QUESTION)
        thread.get_by_label("Reply").fill(ANSWER)
        thread.get_by_role("button", name="Reply").click()
        expect(analyst.locator(".messagelist")).to_contain_text("Reply added.")
        thread = analyst.locator(".review-thread")
        expect(thread).to_contain_text(ANSWER)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        analyst.locator("#review-comments").screenshot(path=str(SCREENSHOTS / "review-comments-desktop.png"))
        thread.get_by_role("button", name="Resolve").click()
        expect(analyst.locator(".messagelist")).to_contain_text("Thread resolved.")
        expect(analyst.locator(".review-thread")).to_contain_text(re.compile(r"Resolved by .+ on "))
        self.assertTrue(any(ANSWER in message.body and message.to == [self.editor.email] for message in mail.outbox))

        # The editor sees the answer, approves and publishes: nothing is left open to confirm.
        self.page = editor
        editor.goto(self.url(self.change_path))
        thread = editor.locator(".review-thread")
        expect(thread).to_contain_text(ANSWER)
        expect(thread.get_by_role("button", name="Reopen")).to_be_visible()
        expect(editor.locator("#review-comments-heading")).to_have_text("Review comments")
        self.assert_accessible(editor, "#review-comments")
        editor.locator(".workflow-steps").get_by_role("button", name="Approve").click()
        expect(editor.locator(".messagelist")).to_contain_text("Approved.")
        editor.locator(".workflow-steps").get_by_role("link", name="Publish…").click()
        expect(editor.get_by_text("Unresolved review comments")).to_have_count(0)
        editor.get_by_role("button", name="Publish").click()
        expect(editor.locator(".messagelist")).to_contain_text("Published.")

        briefing = Briefing.objects.get(pk=self.briefing.pk)
        self.assertTrue(briefing.is_public())
        (question,) = ReviewComment.objects.filter(parent=None)
        self.assertEqual((question.resolved_by, question.replies.get().author), (self.analyst, self.analyst))

        reader = self.page = self.new_page()
        reader.goto(self.url(briefing.get_absolute_url()))
        expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(reader.locator("body")).not_to_contain_text(QUESTION)
        expect(reader.locator("body")).not_to_contain_text(ANSWER)

    def test_analyst_submits_with_a_comment_open_only_once_they_confirm_it(self):
        """Submitting with an open thread lists it and needs the box ticked; a refused comment keeps its text."""
        draft = self.newsroom.draft([(self.passage, "signed a transit agreement")], title="Second draft", body=BODY)
        path = f"/admin/briefings/briefing/{draft.pk}/change/"
        analyst = self.page = self.new_page(bypass_csp=True)
        self.log_in(analyst, self.analyst)
        analyst.goto(self.url(path))
        panel = analyst.locator("#review-comments")
        panel.get_by_label("Words to comment on").fill("words that are not there")
        panel.get_by_label("Comment", exact=True).fill(QUESTION)
        panel.get_by_role("button", name="Add comment").click()
        expect(analyst.locator(".errornote")).to_contain_text("These words are not in the saved body")
        expect(analyst.locator("#review-comments").get_by_label("Comment", exact=True)).to_have_value(QUESTION)
        self.assert_accessible(analyst, "#content-main")

        analyst.locator("#review-comments").get_by_label("Words to comment on").fill("double its gas exports")
        analyst.locator("#review-comments").get_by_role("button", name="Add comment").click()
        expect(analyst.locator(".messagelist")).to_contain_text("Comment added.")
        expect(analyst.locator(".review-thread h3")).to_contain_text("On the words “double its gas exports”")

        analyst.locator(".workflow-steps").get_by_role("link", name="Submit for review").click()
        listed = analyst.locator(".unresolved-comments")
        expect(listed).to_contain_text(QUESTION)
        self.assert_accessible(analyst, "#content-main")
        analyst.get_by_role("button", name="Submit for review").click()
        expect(analyst.locator(".errornote")).to_contain_text("1 review comment is not resolved yet")
        self.assertEqual(Briefing.objects.get(pk=draft.pk).status, Briefing.Status.DRAFT)
        analyst.get_by_label("Go ahead with 1 unresolved comment").check()
        analyst.get_by_role("button", name="Submit for review").click()
        expect(analyst.locator(".messagelist")).to_contain_text("Submitted for review.")
        recorded = analyst.get_by_role("cell", name="Went ahead with unresolved review comments", exact=True)
        expect(recorded).to_be_visible()
