"""Staff controls on a public page come from the admin, so the page and its cache stay the same for everyone."""
from django.test import Client
from django.urls import reverse

from briefings.staff_hint import STAFF_HINT_COOKIE
from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase

DESK = reverse("admin:briefings_briefing_cite_selection")


class StaffVisitTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source()
        cls.newsroom.draft([(passage(cls.source, 1), "signed a transit agreement")], title="Secret draft title")

    def test_anonymous_page_after_a_staff_visit_is_the_same_page(self):
        """A reader right after an analyst sees the very same page and ETag: no draft, token or control leaks."""
        url = self.source.get_absolute_url()
        before = self.client.get(url)

        staff = Client()
        staff.force_login(self.newsroom.analyst)
        staff.cookies[STAFF_HINT_COOKIE] = "1"
        seen_by_staff = staff.get(url)
        desk = staff.get(DESK)
        self.assertContains(desk, "Secret draft title")
        token = desk.json()["csrf_token"]

        after = Client().get(url)
        self.assertEqual(after.status_code, 200)
        self.assertEqual(after["ETag"], before["ETag"])
        self.assertEqual(after.content, before.content)
        self.assertEqual(seen_by_staff.content, before.content, "staff get the same HTML; the script adds controls")
        for page in (after, seen_by_staff):
            html = page.content.decode()
            self.assertNotIn("Secret draft title", html)
            self.assertNotIn(token, html)
            self.assertNotIn("csrfmiddlewaretoken", html)
            self.assertNotIn("cite-toolbar", html)

    def test_page_loads_the_same_script_for_everyone(self):
        """The page names the script and the admin address it asks; it carries no inline script."""
        response = self.client.get(self.source.get_absolute_url())
        self.assertContains(response, 'src="/static/js/cite-selection.js" defer')
        self.assertContains(response, f'data-staff-controls="{DESK}"')
        self.assertNotContains(response, "<script>")
        self.assertIn("public", response["Cache-Control"])
