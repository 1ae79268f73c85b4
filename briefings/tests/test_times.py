"""Times shown to staff carry the desk's time zone (``DJANGO_TIME_ZONE``): in the admin, its own columns and emails."""
import datetime

import time_machine
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from briefings import preview, revisions, workflow
from briefings.times import desk_time

from .factories import make_briefing, make_user, reviewed

# 09:30 in Baku (UTC+4, no daylight saving) is 05:30 UTC.
BAKU_MORNING = datetime.datetime(2026, 6, 1, 5, 30, tzinfo=datetime.UTC)


@override_settings(TIME_ZONE="Asia/Baku")
class DeskTimeZoneTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        with time_machine.travel(BAKU_MORNING, tick=False):
            cls.briefing = make_briefing(cls.analyst, title="Baku morning")
            workflow.submit(cls.briefing, cls.analyst)

    def test_desk_time_names_the_zone(self):
        """A time is written in the desk's zone and says which it is."""
        self.assertEqual(desk_time(BAKU_MORNING), "1 June 2026, 09:30 +04")

    @override_settings(TIME_ZONE="UTC")
    def test_default_zone_is_named_too(self):
        """With the default desk time zone the time says UTC."""
        self.assertEqual(desk_time(BAKU_MORNING), "1 June 2026, 05:30 UTC")

    def test_admin_columns_use_the_desk_zone(self):
        """Django admin's own datetime columns (the review record list) show the zone, not a bare time."""
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefingevent_changelist"))
        self.assertContains(response, "1 June 2026, 09:30 +04")

    def test_admin_readonly_fields_use_the_desk_zone(self):
        """The review record on a briefing's page shows each event's time with the zone."""
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_change", args=[self.briefing.pk]))
        self.assertContains(response, "1 June 2026, 09:30 +04")

    def test_admin_revision_list_uses_the_desk_zone(self):
        """The revision history's times carry the zone."""
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_revisions", args=[self.briefing.pk]))
        self.assertContains(response, "<td>1 June 2026, 09:30 +04</td>", html=True)
        self.assertContains(response, "A revision is one saved text of this briefing")

    def test_scheduling_email_uses_the_desk_zone(self):
        """The author's email says when the briefing goes live, in the desk's zone."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        at = timezone.now() + datetime.timedelta(days=2)
        with self.captureOnCommitCallbacks(execute=True):
            workflow.publish(briefing, self.editor, at=at)
        self.assertIn(f"to be published on {desk_time(at)}.", mail.outbox[0].body)
        self.assertIn("+04", mail.outbox[0].body)

    def test_preview_page_uses_the_desk_zone(self):
        """A preview link's page says when its revision was saved, with the zone."""
        url = preview.preview_url(revisions.latest_revision(self.briefing))
        response = self.client.get(url)
        self.assertContains(response, "1 June 2026, 09:30 +04")
        self.assertContains(response, 'datetime="2026-06-01T05:30:00+00:00"')
