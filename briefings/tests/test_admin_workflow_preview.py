"""The admin's preview of a briefing's current text ("View on site"), the preview link, and what scheduling says."""
import datetime

from django.contrib.messages import get_messages
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from briefings import preview, revisions, workflow
from briefings.models import Briefing

from .factories import fresh, make_briefing, make_user, published, reviewed

Status = Briefing.Status


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


def draft_preview_url(briefing):
    return reverse("admin:briefings_briefing_draft_preview", args=[briefing.pk])


def messages_of(response):
    return [message for message in get_messages(response.wsgi_request)]


class DraftPreviewTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.other_analyst = make_user("other_analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.outsider = make_user("outsider")  # staff, in no group
        cls.draft = make_briefing(cls.analyst, title="Transit deal draft", tags=["Energy", "Caspian"])


class ViewOnSiteTests(DraftPreviewTestCase):
    def test_draft_links_to_its_preview(self):
        """"View on site" on a draft opens the staff preview, not the public address (a 404 until published)."""
        self.client.force_login(self.analyst)
        response = self.client.get(change_url(self.draft))
        self.assertEqual(response.context["absolute_url"], draft_preview_url(self.draft))
        self.assertContains(response, f'href="{draft_preview_url(self.draft)}"')

    def test_scheduled_briefing_links_to_its_preview(self):
        """A briefing readers cannot see yet is previewed, though it has a published revision."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.publish(briefing, self.editor, at=timezone.now() + datetime.timedelta(days=2))
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertEqual(response.context["absolute_url"], draft_preview_url(briefing))

    def test_published_briefing_links_to_its_public_page(self):
        """A briefing readers can see keeps linking to its public page."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertEqual(response.context["absolute_url"], briefing.get_absolute_url())


class DraftPreviewPageTests(DraftPreviewTestCase):
    def test_author_sees_the_current_text_marked_as_unpublished(self):
        """The author reads the draft as readers would, under a banner that says it is a draft and not published."""
        self.client.force_login(self.analyst)
        response = self.client.get(draft_preview_url(self.draft))
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "public/preview.html")
        self.assertContains(response, "Transit deal draft")
        self.assertContains(response, "Draft preview — not published")
        self.assertContains(response, "This text is a draft: it is not published.")
        self.assertNotContains(response, "under review")
        self.assertContains(response, self.draft.body_html, html=True)

    def test_never_cached_nor_indexed(self):
        """The preview is for the signed-in person only: no cache keeps it, no search engine lists it."""
        self.client.force_login(self.analyst)
        response = self.client.get(draft_preview_url(self.draft))
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(response["X-Robots-Tag"], "noindex, nofollow")

    def test_tags_are_shown_as_on_the_public_page(self):
        """Tags are the public page's tag list: a link where the tag has a page, the same pill where it has none."""
        energy = published(make_briefing(self.analyst, tags=["Energy"]), self.analyst, self.editor)
        self.assertTrue(energy.is_public())
        self.client.force_login(self.analyst)
        response = self.client.get(draft_preview_url(self.draft))
        self.assertContains(
            response,
            '<ul class="tag-list" aria-label="Tags"><li><span class="tag-unlinked">Caspian</span></li>'
            '<li><a href="/tags/energy/">Energy</a></li></ul>',
            html=True,
        )

    def test_states_are_told_truly(self):
        """In review, approved and scheduled briefings say so; a scheduled one says when, with the time zone."""
        in_review = make_briefing(self.analyst)
        workflow.submit(in_review, self.analyst)
        approved = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        scheduled = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        at = (timezone.now() + datetime.timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
        workflow.publish(scheduled, self.editor, at=at)
        self.client.force_login(self.editor)
        for briefing, words in [
            (in_review, "This text is in review: it is not published."),
            (approved, "This text is approved and not yet published."),
            (scheduled, f"Scheduled for {at.day} {at:%B %Y}, 09:30 UTC: readers see it from then on."),
        ]:
            with self.subTest(status=briefing.status):
                self.assertContains(self.client.get(draft_preview_url(briefing)), words)

    def test_edited_public_briefing_says_what_readers_see(self):
        """A draft of a published briefing says which revision readers see meanwhile."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        briefing.title = "A new title"
        briefing.save()
        workflow.record_edit(briefing, self.analyst)
        self.client.force_login(self.analyst)
        response = self.client.get(draft_preview_url(briefing))
        self.assertContains(response, "A new title")
        self.assertContains(
            response, "This text is a draft: it is not published. Readers see revision 1 of this briefing."
        )

    def test_colleague_analyst_is_refused_with_the_reason(self):
        """An analyst who is not an author gets a 403, not the draft."""
        self.client.force_login(self.other_analyst)
        response = self.client.get(draft_preview_url(self.draft))
        self.assertEqual(response.status_code, 403)
        self.assertNotContains(response, "Transit deal draft", status_code=403)

    def test_staff_without_permission_is_refused(self):
        """Staff without the permission to view briefings get a 403."""
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(draft_preview_url(self.draft)).status_code, 403)

    def test_unknown_briefing_is_not_found(self):
        """An address of no briefing is a 404."""
        self.client.force_login(self.editor)
        url = reverse("admin:briefings_briefing_draft_preview", args=[987654])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_anonymous_visitor_is_sent_to_log_in(self):
        """Someone without an account never sees the draft."""
        response = self.client.get(draft_preview_url(self.draft))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_query_count(self):
        """The preview costs a fixed number of queries, whatever the tags."""
        self.client.force_login(self.editor)
        # Session and user (2); the briefing (1); the user's permissions, direct and by group (2); the latest
        # revision (1); the tags (1); which of them have a public page (1); the authors with their profiles (1).
        with self.assertNumQueries(9):
            self.client.get(draft_preview_url(self.draft))


class TokenPreviewTests(DraftPreviewTestCase):
    def test_draft_link_does_not_say_under_review(self):
        """A preview link of a draft calls it a draft, with the public page's tag list."""
        url = preview.preview_url(revisions.latest_revision(self.draft))
        response = self.client.get(url)
        self.assertContains(response, "This text is a draft: it is not published.")
        self.assertNotContains(response, "under review")
        self.assertContains(response, '<span class="tag-unlinked">Energy</span>', html=True)
        self.assertContains(response, "Revision 1 of this briefing, saved")


class MessagesTests(DraftPreviewTestCase):
    def test_preview_link_is_a_link(self):
        """The preview link in the message is a link, its address escaped."""
        self.client.force_login(self.analyst)
        response = self.client.post(
            reverse("admin:briefings_briefing_preview_link", args=[self.draft.pk]), follow=True
        )
        [message] = messages_of(response)
        url = "http://testserver" + reverse("public:preview", kwargs={"token": "x"}).removesuffix("x/")
        self.assertIn(f'<a href="{url}', str(message))
        self.assertContains(response, f'<a href="{url}')
        self.assertIn("Preview link for revision 1 of this briefing, valid until", str(message))
        self.assertRegex(str(message), r"valid until \d+ \w+ \d{4}, \d\d:\d\d UTC or until")

    def schedule_at_half_past_nine(self):
        """An editor schedules a reviewed briefing for 09:30 in three days; returns it, the time and the message."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        at = (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
        self.client.force_login(self.editor)
        response = self.client.post(
            reverse("admin:briefings_briefing_transition", args=[briefing.pk, "publish"]),
            {"version": fresh(briefing).version, "at": at.strftime("%Y-%m-%dT%H:%M")},
            follow=True,
        )
        [message] = [str(message) for message in messages_of(response)]
        return briefing, at, message

    def test_scheduling_says_when(self):
        """Scheduling says "Scheduled for" the time with its time zone, not "Published."."""
        briefing, at, message = self.schedule_at_half_past_nine()
        self.assertEqual(message, f"Scheduled for {at.day} {at:%B %Y}, 09:30 UTC: readers see it from then on.")
        self.assertEqual(fresh(briefing).status, Status.PUBLISHED)

    @override_settings(TIME_ZONE="Asia/Baku")
    def test_scheduling_says_the_desk_time_zone(self):
        """The desk's time zone is the one named."""
        briefing, at, message = self.schedule_at_half_past_nine()
        self.assertEqual(message, f"Scheduled for {at.day} {at:%B %Y}, 09:30 +04: readers see it from then on.")

    def test_publishing_now_says_published(self):
        """Publishing at once says so."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        self.client.force_login(self.editor)
        response = self.client.post(
            reverse("admin:briefings_briefing_transition", args=[briefing.pk, "publish"]),
            {"version": fresh(briefing).version},
            follow=True,
        )
        self.assertEqual([str(message) for message in messages_of(response)], ["Published."])

    @override_settings(TIME_ZONE="Asia/Baku")
    def test_publish_form_names_the_zone_it_reads(self):
        """The scheduling field says which time zone its time is read in."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_transition", args=[briefing.pk, "publish"]))
        self.assertContains(response, "In the desk&#x27;s time zone, Asia/Baku.")
