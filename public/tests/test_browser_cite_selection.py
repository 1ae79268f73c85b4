"""An analyst selects words on a source page, by mouse and by keyboard, and cites them into drafts; then places
the new citation's marker in the briefing editor. Readers' page stays as it was.

Runs against a live server with Chromium driven by Playwright; see ``browser.py`` for what it needs.
"""
import re

from django.test import override_settings
from playwright.sync_api import expect

from briefings.models import Briefing, Citation
from briefings.tests.factories import ARTICLE, Newsroom, make_source, passage

from .browser import FAST_PASSWORD_HASHERS, PHONE, Axe, BrowserTestCase, save_artifacts, uncovered

PASSWORD = "correct horse battery staple"
MOUSE_QUOTE = "signed a transit agreement"
KEYBOARD_QUOTE = "The pipeline will carry gas"


def drag_over(page, selector, words):
    """Press the mouse before the first letter of ``words`` in the element and release it after the last."""
    box = page.evaluate(
        """([selector, words]) => {
            const root = document.querySelector(selector);
            const node = document.createTreeWalker(root, NodeFilter.SHOW_TEXT).nextNode();
            const start = node.data.indexOf(words), end = start + words.length;
            const rect = (from, to) => { const r = document.createRange(); r.setStart(node, from); r.setEnd(node, to);
                                         return r.getBoundingClientRect(); };
            const first = rect(start, start + 1), last = rect(end - 1, end);
            return {x1: first.left + 1, y1: first.top + first.height / 2,
                    x2: last.right - 1, y2: last.top + last.height / 2};
        }""",
        [selector, words],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class CiteSelectionWalkTests(BrowserTestCase):
    tools = ("chromium", "axe")

    def setUp(self):
        super().setUp()
        self.newsroom = Newsroom()
        self.analyst = self.newsroom.analyst
        self.analyst.set_password(PASSWORD)
        self.analyst.save()
        self.source = make_source(slug="transit-deal", title="Baku signs a transit deal")
        self.draft = self.newsroom.draft(
            [(passage(self.source, 3), "regional cooperation should not exclude Russia")], title="Transit talk"
        )
        self.source_url = self.url(self.source.get_absolute_url())

    def log_in(self, page):
        page.goto(self.url("/admin/login/?next=/admin/"))
        page.get_by_label("Username").fill(self.analyst.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out").or_(page.get_by_role("link", name="Log out"))).to_be_visible()

    def test_analyst_cites_by_mouse_and_keyboard_and_places_the_marker(self):
        """Words selected with the mouse and with Shift+arrows become citations, placed from the editor."""
        page = self.page
        refused = []
        page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
                else None)
        self.log_in(page)
        page.goto(self.source_url)
        toolbar = page.get_by_role("region", name="Cite the selected words")
        expect(page.locator("#cite-help")).to_contain_text("select words to cite them")

        # By mouse, into the existing draft.
        drag_over(page, "#p-1 .passage-text", MOUSE_QUOTE)
        expect(toolbar).to_be_visible()
        expect(toolbar.locator(".cite-selected")).to_have_text("4 words selected in paragraph 1.")
        expect(toolbar.get_by_label("Cite in")).to_have_value(str(self.draft.pk))
        toolbar.get_by_role("button", name="Cite", exact=True).click()
        expect(toolbar.locator(".cite-result")).to_contain_text("Cited in “Transit talk” as [^signed-a-transit]")
        citation = Citation.objects.get(briefing=self.draft, label="signed-a-transit")
        self.assertEqual((citation.quote, citation.start, citation.end), (MOUSE_QUOTE, 18, 44))

        # By keyboard, into a new briefing: Tab to the paragraph, Shift+arrows, Tab to the toolbar.
        page.keyboard.press("Escape")
        page.locator("#p-2 .passage-text").focus()
        for _ in KEYBOARD_QUOTE:
            page.keyboard.press("Shift+ArrowRight")
        expect(toolbar.locator(".cite-selected")).to_have_text("5 words selected in paragraph 2.")
        expect(page.locator(".cite-announcer")).to_have_text(
            "5 words selected in paragraph 2. Press Alt+Shift+C to cite them."
        )
        page.keyboard.press("Tab")
        expect(toolbar.get_by_label("Cite in")).to_be_focused()
        toolbar.get_by_label("Cite in").select_option("new")
        page.keyboard.press("Tab")
        expect(toolbar.get_by_label("Title of the new briefing")).to_be_focused()
        page.keyboard.type("Gas for southern Europe")
        page.keyboard.press("Tab")
        expect(toolbar.get_by_role("button", name="Cite", exact=True)).to_be_focused()

        # Controls open: nothing in them stands in a screen-reader or keyboard user's way.
        axe_page = self.new_page(storage_state=page.context.storage_state(), bypass_csp=True)
        axe_page.goto(self.source_url)
        expect(axe_page.locator("#cite-help")).to_be_visible()  # the controls have come
        drag_over(axe_page, "#p-1 .passage-text", MOUSE_QUOTE)
        expect(axe_page.locator(".cite-toolbar")).to_be_visible()
        violations = Axe.violations(axe_page)
        if violations:
            save_artifacts(axe_page, f"{self.id()}.axe")
        self.assertFalse(violations, Axe.describe(violations))

        page.keyboard.press("Enter")
        expect(toolbar.locator(".cite-result")).to_contain_text(
            "Cited in “Gas for southern Europe” as [^the-pipeline-will]"
        )
        new = Briefing.objects.get(title="Gas for southern Europe")
        self.assertEqual(new.citations.get().quote, KEYBOARD_QUOTE)
        self.assertEqual(list(new.authors.all()), [self.analyst])
        self.assertFalse(refused, "the page's script ran into the Content-Security-Policy")

        # The editor lists the new citation as not yet placed and inserts its marker at the cursor.
        toolbar.get_by_label("Cite in").select_option(str(self.draft.pk))
        page.goto(self.url(f"/admin/briefings/briefing/{self.draft.pk}/change/"))
        unplaced = page.locator(".unplaced-citations")
        expect(unplaced).to_contain_text("Not yet placed: 1 citation")
        expect(unplaced.locator(".unplaced-marker")).to_have_text("[^signed-a-transit]")
        body = page.locator("#id_body")
        body.click()
        page.keyboard.press("Control+End")
        page.keyboard.type(" Baku signed.")
        unplaced.get_by_role("button", name="Insert [^signed-a-transit] at the cursor").click()
        expect(body).to_have_value(re.compile(r"Baku signed\.\[\^signed-a-transit\]$"))
        expect(unplaced.get_by_role("status")).to_contain_text("[^signed-a-transit] inserted")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator(".messagelist .success")).to_be_visible()
        expect(page.locator(".unplaced-citations")).to_have_count(0)
        self.assertEqual(Briefing.objects.get(pk=self.draft.pk).unplaced_citations(), [])

    def test_shortcut_reaches_the_toolbar(self):
        """Alt+Shift+C takes a keyboard user from the selected words to "Cite in"."""
        page = self.page
        self.log_in(page)
        page.goto(self.source_url)
        expect(page.locator("#cite-help")).to_be_visible()
        page.locator("#p-4 .passage-text").focus()
        for _ in "Analysts in Tbilisi":
            page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Alt+Shift+C")
        expect(page.get_by_label("Cite in")).to_be_focused()
        page.keyboard.press("Escape")
        expect(page.locator(".cite-toolbar")).to_be_hidden()
        expect(page.locator("#p-4 .passage-text")).to_be_focused()

    def test_on_a_phone_the_toolbar_stays_clear_of_the_selection(self):
        """On a phone the toolbar docks at the bottom, on top and on screen, away from the native selection menu."""
        self.log_in(self.page)
        phone = self.new_page(storage_state=self.page.context.storage_state(), **PHONE)
        phone.goto(self.source_url)
        expect(phone.locator("#cite-help")).to_be_visible()
        phone.evaluate(
            """words => {
                const node = document.querySelector('#p-1 .passage-text').firstChild;
                const start = node.data.indexOf(words);
                window.getSelection().setBaseAndExtent(node, start, node, start + words.length);
            }""",
            MOUSE_QUOTE,
        )
        toolbar = phone.locator(".cite-toolbar")
        expect(toolbar).to_be_visible()
        box = toolbar.bounding_box()
        self.assertAlmostEqual(box["y"] + box["height"], PHONE["viewport"]["height"], delta=1)
        self.assertTrue(uncovered(toolbar.get_by_role("button", name="Cite", exact=True)))
        self.assertTrue(uncovered(phone.locator("#p-1 .passage-text")))

    def test_readers_browsers_ask_nothing_and_see_no_controls(self):
        """A reader's page makes no request for staff controls and shows none; signing out ends them too."""
        reader = self.page
        asked = []
        reader.on("request", lambda request: asked.append(request.url) if "cite-selection/" in request.url else None)
        reader.goto(self.source_url)
        expect(reader.locator(".passage-text").first).to_have_text(ARTICLE[0])
        reader.wait_for_load_state("networkidle")
        self.assertEqual(asked, [])
        expect(reader.locator("#cite-help, .cite-toolbar")).to_have_count(0)
        self.assertIsNone(reader.locator("#p-1 .passage-text").get_attribute("tabindex"))

        staff = self.new_page()
        self.log_in(staff)
        staff.get_by_role("button", name="Log out").click()
        staff.goto(self.source_url)
        staff.wait_for_load_state("networkidle")
        expect(staff.locator("#cite-help")).to_have_count(0)
        self.assertNotIn("briefings_staff", [cookie["name"] for cookie in staff.context.cookies()])
