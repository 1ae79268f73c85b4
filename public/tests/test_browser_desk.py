"""The briefing editor as a desk, in a real browser: each citation's passage beside it, a quote pasted with no
passage chosen, a two-paragraph quote split into two citations, and the live preview with numbered footnotes.

Runs against a live server with Chromium driven by Playwright; see ``browser.py`` for what it needs.
"""
from django.test import override_settings
from playwright.sync_api import expect

from briefings.models import Briefing
from briefings.tests.factories import Newsroom, make_source, passage

from .browser import FAST_PASSWORD_HASHERS, SCREENSHOTS, Axe, BrowserTestCase

PASSWORD = "correct horse battery staple"
PARAGRAPHS = [
    "Moscow’s influence in the South Caucasus has waned, officials in Baku say.",
    "Freight grew last year. It is easier to ship goods",
    "through Azerbaijan than around it, the ministry said.",
    "The North–South Corridor links Russia to Iran by rail.",
]

# Django's own admin parts, unchanged here, that axe faults: the breadcrumbs' link style, the two-box author
# chooser's icons, and the empty header cells of the read-only review record.
ADMIN_CHROME = [[".breadcrumbs"], [".selector"], [".inline-group .tabular"]]


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class DeskTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.newsroom = Newsroom()
        self.analyst = self.newsroom.analyst
        self.analyst.set_password(PASSWORD)
        self.analyst.save()
        self.source = make_source(*PARAGRAPHS, slug="desk-story", title="Freight finds its way around Russia")
        self.briefing = self.newsroom.draft(
            [(passage(self.source, 1), "Moscow’s influence in the South Caucasus has waned")],
            title="Moscow watches the corridor",
            body="Russia matters less in the region than it did.[^n1]",
        )
        self.csp_reports = []

    def log_in(self, page):
        page.goto(self.url("/admin/login/?next=/admin/"))
        page.get_by_label("Username").fill(self.analyst.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out").or_(page.get_by_role("link", name="Log out"))).to_be_visible()

    def open_editor(self, page):
        # The browser reports what the Content-Security-Policy blocked on its console.
        page.on("console", lambda message: self.csp_reports.append(message.text)
                if "Content Security Policy" in message.text else None)
        self.log_in(page)
        page.goto(self.url(f"/admin/briefings/briefing/{self.briefing.pk}/change/"))
        expect(page.get_by_role("button", name="Refresh preview")).to_be_visible()

    def add_row(self, page):
        page.locator("#citations-group .add-row a").click()
        return page.locator("#citations-group .inline-related:not(.empty-form)").count() - 1


class DeskTests(DeskTestCase):
    def test_saved_citation_shows_its_words_marked_in_the_passage(self):
        """Beside the saved citation, its passage with the quoted words marked, and nothing blocked by the CSP."""
        page = self.page
        self.open_editor(page)
        panel = page.locator("#citations-0 .desk-passage")
        expect(panel.locator("mark")).to_have_text("Moscow’s influence in the South Caucasus has waned")
        expect(panel).to_contain_text("Freight finds its way around Russia, paragraph 1")
        # htmx read its settings for the Content-Security-Policy from the page's htmx-config.
        self.assertEqual(page.evaluate("[htmx.config.allowEval, htmx.config.includeIndicatorStyles]"), [False, False])
        self.assertEqual(self.csp_reports, [])

    def test_straight_quoted_quote_with_no_passage_gets_the_right_passage(self):
        """Pasted with straight marks and no passage chosen, the quote finds its passage, its words marked."""
        page = self.page
        self.open_editor(page)
        row = self.add_row(page)
        page.locator(f"#id_citations-{row}-label").fill("corridor")
        page.locator(f"#id_citations-{row}-quote").fill('"The North-South Corridor links Russia to Iran"')
        page.locator(f"#citations-{row}").get_by_role("button", name="Show in the passage").click()
        panel = page.locator(f"#citations-{row} .desk-passage")
        expect(panel).to_contain_text("Freight finds its way around Russia, paragraph 4")
        expect(panel.locator("mark")).to_have_text("The North–South Corridor links Russia to Iran")
        # The finder fills the row itself, and the panel follows the passage chosen.
        page.locator(f"#citations-{row}").get_by_role("button", name="Find the passage").click()
        expect(page.locator(f"#select2-id_citations-{row}-passage-container")).to_contain_text("desk-story p-4")
        corridor = "The North–South Corridor links Russia to Iran"
        expect(page.locator(f"#id_citations-{row}-quote")).to_have_value(corridor)
        expect(panel.locator("mark")).to_have_text(corridor)
        self.assertEqual(self.csp_reports, [])

    def test_two_paragraph_quote_is_split_by_the_servers_button(self):
        """Saved across two paragraphs, the quote is refused with "Split into 2 citations", which saves two."""
        page = self.page
        self.open_editor(page)
        page.get_by_label("Body").fill("Russia matters less.[^n1] Shipping is easier.[^easier]")
        row = self.add_row(page)
        page.locator(f"#id_citations-{row}-label").fill("easier")
        quote = page.locator(f"#id_citations-{row}-quote")
        quote.fill("It is easier to ship goods\n\nthrough Azerbaijan than around it")
        page.get_by_role("button", name="Save and continue editing").click()
        error = page.locator(f"#citations-{row} .errorlist")
        expect(error).to_contain_text("run on from one paragraph into the next")
        error.get_by_role("button", name="Split into 2 citations").click()
        expect(page.locator(".messagelist")).to_contain_text("split into 2 citations")
        expect(page.locator("#id_citations-1-quote")).to_have_value("It is easier to ship goods")
        expect(page.locator("#id_citations-2-quote")).to_have_value("through Azerbaijan than around it")
        expect(page.locator("#citations-2 .desk-passage mark")).to_have_text("through Azerbaijan than around it")
        expect(page.get_by_label("Body")).to_have_value(
            "Russia matters less.[^n1] Shipping is easier.[^easier][^easier-2]"
        )
        briefing = Briefing.objects.get(pk=self.briefing.pk)
        self.assertEqual(
            list(briefing.citations.order_by("label").values_list("label", "quote")),
            [("easier", "It is easier to ship goods"), ("easier-2", "through Azerbaijan than around it"),
             ("n1", "Moscow’s influence in the South Caucasus has waned")],
        )

    def test_refresh_preview_shows_the_unsaved_body_with_numbered_footnotes(self):
        """The analyst edits the body and a new row, refreshes the preview, and sees footnotes 1 and 2 unsaved."""
        page = self.page
        self.open_editor(page)
        page.get_by_label("Body").fill("Rail matters.[^rail] Russia matters less.[^n1]")
        row = self.add_row(page)
        page.locator(f"#id_citations-{row}-label").fill("rail")
        page.locator(f"#id_citations-{row}-quote").fill("links Russia to Iran by rail")
        page.get_by_role("button", name="Refresh preview").click()
        live = page.locator("#desk-preview-live")
        expect(live).to_contain_text("As it stands in the form, not saved.")
        expect(live.locator("sup.footnote-ref a")).to_have_text(["1", "2"])
        expect(live.locator("#fn-1 .footnote-quote")).to_have_text("links Russia to Iran by rail")
        expect(live.locator("#fn-2 .footnote-quote")).to_have_text("Moscow’s influence in the South Caucasus has waned")
        saved = Briefing.objects.get(pk=self.briefing.pk)
        self.assertEqual(saved.body, "Russia matters less in the region than it did.[^n1]")
        # A quote its passage does not hold is named in the preview instead of becoming a footnote.
        page.locator(f"#id_citations-{row}-quote").fill("links Russia to Turkey by rail")
        page.get_by_role("button", name="Refresh preview").click()
        expect(live.locator(".desk-unverified")).to_contain_text("[^rail]")
        expect(live.locator("sup.footnote-ref a")).to_have_text(["1"])
        self.assertEqual(self.csp_reports, [])

    def test_a_new_briefing_is_previewed_before_its_first_save(self):
        """On the add page, a body and a quote with no passage chosen preview as footnote 1, and nothing is saved."""
        page = self.page
        self.open_editor(page)
        page.goto(self.url("/admin/briefings/briefing/add/"))
        page.get_by_label("Body").fill("The corridor matters.[^rail]")
        page.locator("#id_citations-0-label").fill("rail")
        page.locator("#id_citations-0-quote").fill("“links Russia to Iran by rail”")
        page.get_by_role("button", name="Refresh preview").click()
        expect(page.locator("#desk-preview-live #fn-1 .footnote-quote")).to_have_text("links Russia to Iran by rail")
        self.assertEqual(Briefing.objects.count(), 1)

    def test_a_refused_preview_says_why_in_the_panel(self):
        """Retracted while the analyst has it open, the briefing's preview is refused with the workflow's reason."""
        page = self.page
        self.open_editor(page)
        Briefing.objects.filter(pk=self.briefing.pk).update(status=Briefing.Status.RETRACTED)
        page.get_by_role("button", name="Refresh preview").click()
        expect(page.locator("#desk-preview-live")).to_contain_text("A retracted briefing cannot be edited.")

    def test_without_javascript_the_editor_is_todays_form(self):
        """With scripts off the desk's buttons are not offered, the saved words and preview show, and saving works."""
        page = self.page = self.new_page(java_script_enabled=False)
        self.log_in(page)
        page.goto(self.url(f"/admin/briefings/briefing/{self.briefing.pk}/change/"))
        expect(page.get_by_role("button", name="Refresh preview")).to_be_hidden()
        expect(page.locator("#citations-0 .desk-passage mark")).to_have_text(
            "Moscow’s influence in the South Caucasus has waned"
        )
        expect(page.locator("#desk-preview-live sup.footnote-ref a")).to_have_text(["1"])
        page.get_by_label("Body").fill("Russia matters less than before.[^n1]")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")


class DeskAccessibilityTests(DeskTestCase):
    tools = ("chromium", "axe")
    # axe is injected as a script; the site's Content-Security-Policy rightly refuses scripts it did not serve.
    context_options = {**BrowserTestCase.context_options, "bypass_csp": True}

    def test_the_editor_with_its_desk_panels_has_no_axe_violations(self):
        """With the passages beside the citations and a refreshed preview, axe finds nothing to fix."""
        page = self.page
        self.open_editor(page)
        page.get_by_role("button", name="Refresh preview").click()
        expect(page.locator("#desk-preview-live")).to_contain_text("As it stands in the form, not saved.")
        violations = Axe.violations(page, {"exclude": ADMIN_CHROME})
        self.assertFalse(violations, Axe.describe(violations))


class DeskScreenshotTests(DeskTestCase):
    def test_screenshots_show_the_desk(self):
        """The README's pictures of the desk are current: a new citation beside its passage, and the live preview."""
        page = self.page
        self.open_editor(page)
        page.get_by_label("Body").fill("The rail link matters to both.[^rail] Russia matters less than it did.[^n1]")
        row = self.add_row(page)
        page.locator(f"#id_citations-{row}-label").fill("rail")
        page.locator(f"#id_citations-{row}-quote").fill('"links Russia to Iran by rail"')
        page.locator(f"#citations-{row}").get_by_role("button", name="Show in the passage").click()
        expect(page.locator(f"#citations-{row} .desk-passage mark")).to_have_text("links Russia to Iran by rail")
        page.get_by_role("button", name="Refresh preview").click()
        expect(page.locator("#desk-preview-live sup.footnote-ref a")).to_have_text(["1", "2"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(f"#citations-{row}").screenshot(path=str(SCREENSHOTS / "desk-citation.png"))
        page.locator("fieldset", has=page.locator(".desk-preview")).screenshot(
            path=str(SCREENSHOTS / "desk-preview.png")
        )
