import datetime

import time_machine
from django.core import signing
from django.test import TestCase, override_settings

from briefings import preview, workflow

from .factories import make_briefing, make_user

START = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


@override_settings(PREVIEW_LINK_MAX_AGE=24 * 60 * 60)
class PreviewLinkTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        with time_machine.travel(START, tick=False):
            cls.briefing = make_briefing(cls.analyst, title="Pipeline politics")
            workflow.submit(cls.briefing, cls.analyst)
            cls.revision = cls.briefing.revisions.get()
            cls.url = preview.preview_url(cls.revision)

    def test_valid_link_shows_revision_without_login(self):
        """Someone without an account sees the text under review, marked as an unpublished preview."""
        with time_machine.travel(START + datetime.timedelta(hours=1), tick=False):
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Pipeline politics")
        self.assertContains(response, "not published")
        self.assertEqual(response["X-Robots-Tag"], "noindex, nofollow")
        self.assertIn("no-store", response["Cache-Control"])

    def test_preview_query_count(self):
        """The preview page reads the revision, checks for newer ones and lists the authors and tags."""
        with time_machine.travel(START + datetime.timedelta(hours=1), tick=False):
            # Revision with its briefing; newer revision exists?; authors; the revision's tags (none, so no
            # question which of them have a public page).
            with self.assertNumQueries(4):
                self.client.get(self.url)

    def test_expired_link_is_gone(self):
        """After its lifetime the link says it expired and shows no text."""
        with time_machine.travel(START + datetime.timedelta(days=1, seconds=1), tick=False):
            response = self.client.get(self.url)
        self.assertContains(response, "expired", status_code=410)
        self.assertNotContains(response, "Pipeline politics", status_code=410)

    def test_superseded_link_is_gone(self):
        """Once the briefing has a newer revision the old link stops showing the old text."""
        with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
            briefing = self.briefing
            briefing.title = "Pipeline politics, revised"
            briefing.save()
            workflow.record_edit(briefing, self.analyst)
            response = self.client.get(self.url)
        self.assertContains(response, "out of date", status_code=410)
        self.assertNotContains(response, "Pipeline politics", status_code=410)

    def test_tampered_link_is_not_found(self):
        """A forged or mangled link shows nothing."""
        token = preview.make_token(self.revision)
        response = self.client.get(f"/preview/{token[:-2]}xx/")
        self.assertEqual(response.status_code, 404)

    def test_token_signed_for_another_purpose_is_refused(self):
        """A value signed elsewhere in the site cannot be replayed as a preview link."""
        other = make_briefing(self.analyst)
        token = signing.TimestampSigner(salt="other-purpose").sign_object(
            {"b": other.pk, "r": other.revisions.get().pk}
        )
        with self.assertRaises(preview.PreviewUnavailable) as raised:
            preview.read_token(token)
        self.assertEqual(raised.exception.reason, "invalid")

    def test_link_only_reads(self):
        """A preview link answers GET only."""
        with time_machine.travel(START + datetime.timedelta(hours=1), tick=False):
            self.assertEqual(self.client.post(self.url).status_code, 405)


@override_settings(PREVIEW_LINK_MAX_AGE=7 * 24 * 60 * 60, TIME_ZONE="Asia/Baku")
class PreviewFateTests(TestCase):
    """A preview link tells the truth about what became of its revision."""

    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.publisher = make_user("publisher", "Editor")

    def setUp(self):
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.addCleanup(self.traveller.stop)
        self.briefing = make_briefing(self.analyst, title="Pipeline politics")
        workflow.submit(self.briefing, self.analyst)
        workflow.approve(self.briefing, self.editor)
        self.url = preview.preview_url(self.briefing.revisions.get())

    def test_live_revision_redirects_to_the_public_page(self):
        """Once readers can see the revision, the link leads to its public page."""
        workflow.publish(self.briefing, self.publisher)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], self.briefing.get_absolute_url())

    def test_scheduled_revision_is_labelled_with_its_time(self):
        """While it waits for its time the link still shows it, saying when it goes live and in which zone."""
        workflow.publish(self.briefing, self.publisher, at=START + datetime.timedelta(days=1))
        response = self.client.get(self.url)
        self.assertContains(response, "Pipeline politics")
        self.assertContains(response, "Scheduled for 5 May 2026, 14:00 +04")
        self.assertNotContains(response, "not published")

    def test_scheduled_revision_redirects_once_its_time_comes(self):
        """The same link leads to the public page once the scheduled time has passed."""
        workflow.publish(self.briefing, self.publisher, at=START + datetime.timedelta(days=1))
        self.clock.shift(datetime.timedelta(days=1, seconds=1))
        self.assertEqual(self.client.get(self.url).status_code, 302)

    def test_retracted_after_publication_redirects_to_the_notice(self):
        """A revision readers saw, later retracted, leads to the page with the retraction notice."""
        workflow.publish(self.briefing, self.publisher)
        workflow.retract(self.briefing, self.editor, reason="The deal was never signed.")
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], self.briefing.get_absolute_url())
        self.assertContains(self.client.get(response["Location"]), "The deal was never signed.")

    def test_retracted_before_its_revision_went_live_is_gone(self):
        """A revision nobody published, on a briefing since retracted, answers 410 and shows no text."""
        workflow.publish(self.briefing, self.publisher)
        self.briefing.title = "Pipeline politics, second draft"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        url = preview.preview_url(self.briefing.revisions.get(number=2))
        workflow.retract(self.briefing, self.editor, reason="The deal was never signed.")
        response = self.client.get(url)
        self.assertContains(response, "retracted", status_code=410)
        self.assertNotContains(response, "second draft", status_code=410)

    def test_superseded_and_unpublished_is_still_gone(self):
        """An older revision nobody published answers 410 as out of date."""
        self.briefing.title = "Pipeline politics, revised"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        self.assertContains(self.client.get(self.url), "out of date", status_code=410)
