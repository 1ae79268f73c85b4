"""In Chromium: an analyst opens "View on site" on a draft and reads its preview; axe finds nothing to fix there."""
from django.test import override_settings
from playwright.sync_api import expect

from briefings.tests.factories import Newsroom, make_source, passage

from .browser import FAST_PASSWORD_HASHERS, PHONE, Axe, BrowserTestCase

PASSWORD = "correct horse battery staple"


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class DraftPreviewBrowserTests(BrowserTestCase):
    tools = ("chromium", "axe")
    # axe is injected as a script; the site's Content-Security-Policy rightly refuses scripts it did not serve.
    context_options = {**BrowserTestCase.context_options, "bypass_csp": True}

    def setUp(self):
        super().setUp()
        newsroom = Newsroom()
        self.analyst = newsroom.analyst
        self.analyst.set_password(PASSWORD)
        self.analyst.save()
        self.draft = newsroom.draft(
            [(passage(make_source(), 1), "signed a transit agreement")], title="Transit deal, a draft",
            tags=["Energy"],
        )

    def log_in(self, page):
        page.goto(self.url("/admin/login/?next=/admin/"))
        page.get_by_label("Username").fill(self.analyst.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    def test_view_on_site_opens_an_accessible_draft_preview(self):
        """"View on site" shows the draft under its banner, and screen-reader and keyboard users meet no violation."""
        self.log_in(self.page)
        self.page.goto(self.url(f"/admin/briefings/briefing/{self.draft.pk}/change/"))
        self.page.get_by_role("link", name="View on site").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Transit deal, a draft")
        expect(self.page.get_by_role("heading", name="Draft preview — not published")).to_be_visible()
        expect(self.page.get_by_role("list", name="Tags")).to_contain_text("Energy")
        violations = Axe.violations(self.page)
        self.assertFalse(violations, Axe.describe(violations))

    def test_draft_preview_on_a_phone(self):
        """On a phone the preview has no accessibility violation either."""
        phone = self.new_page(**PHONE)
        self.log_in(phone)
        phone.goto(self.url(f"/admin/briefings/briefing/{self.draft.pk}/preview/"))
        expect(phone.get_by_role("heading", name="Draft preview — not published")).to_be_visible()
        violations = Axe.violations(phone)
        self.assertFalse(violations, Axe.describe(violations))
