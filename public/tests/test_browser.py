"""What people do in a real browser: write and review a briefing in the admin, then read it and follow a footnote.

Runs against the demo (seed articles and sample briefings) served by a live
server, with Chromium driven by Playwright. See ``browser.py`` for what these
tests need and how they report failures.
"""
import re
import tempfile
from pathlib import Path

import feedparser
import time_machine
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import expect

from briefings.models import Briefing
from briefings.tests.factories import Newsroom, cite, make_source, passage

from .browser import (
    DEMO_TIME,
    FAST_PASSWORD_HASHERS,
    PHONE,
    SCREENSHOTS,
    Axe,
    BrowserTestCase,
    in_ci,
    load_demo,
    missing_tools,
    uncovered,
    vnu_errors,
)

PASSWORD = "correct horse battery staple"
TITLE = "Moscow watches the border deal from the sidelines"


def passage_option(text):
    """The autocomplete's row for a passage, found by the start of its words."""
    return re.compile(re.escape(text))


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class EditorialJourneyTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        load_demo()
        for user in get_user_model().objects.filter(username__in=["analyst", "editor"]):
            user.set_password(PASSWORD)
            user.save()

    # Steps ----------------------------------------------------------------

    def log_in(self, page, username):
        page.goto(self.url("/admin/login/?next=/admin/"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()

    def choose_passage(self, page, row, search, starts_with):
        """Pick the cited passage with the admin's autocomplete: open it, type some words, click the match."""
        page.locator(f"#id_citations-{row}-passage ~ .select2 .select2-selection").click()
        page.locator(".select2-container--open .select2-search__field").fill(search)
        option = page.locator(".select2-results__option", has_text=passage_option(starts_with))
        expect(option).to_have_count(1)
        option.click()
        expect(page.locator(f"#select2-id_citations-{row}-passage-container")).to_contain_text(starts_with[:30])

    def fill_citation(self, page, row, label, quote):
        page.locator(f"#id_citations-{row}-label").fill(label)
        page.locator(f"#id_citations-{row}-order").fill(str(row + 1))
        page.locator(f"#id_citations-{row}-quote").fill(quote)

    def take_step(self, page, label, message):
        """Press a review step's button on the briefing's page and see the admin confirm it."""
        page.get_by_role("button", name=label, exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text(message)

    def open_in_admin(self, page, briefing):
        page.goto(self.url(f"/admin/briefings/briefing/{briefing.pk}/change/"))

    # The journey ------------------------------------------------------------

    def test_briefing_goes_from_analyst_through_review_to_a_reader_following_footnote_2(self):
        """An analyst's briefing passes review and publication, and a reader's footnote click lands on the words."""
        analyst = self.page
        self.log_in(analyst, "analyst")
        analyst.goto(self.url("/admin/briefings/briefing/add/"))
        analyst.get_by_label("Title").fill(TITLE)
        analyst.get_by_label("Summary").fill("Armenia and Azerbaijan marked their border without Russia.")
        analyst.get_by_label("Body").fill(
            "Baku reads the war in Ukraine as an opening.[^winner] "
            "The first border markers went up with no Russian role at all.[^markers]"
        )
        analyst.get_by_label("Tags").fill("Borders, Armenia")

        self.fill_citation(analyst, 0, "winner", "the only winner of the Ukraine war is Azerbaijan")
        self.choose_passage(analyst, 0, "only winner Ukraine", "putin-visits-azerbaijan-kyiv-independent")
        analyst.locator("#citations-group .add-row a").click()
        # Pasted with straight quotes and the wrong word: the source prints “no Russia, no West”.
        self.fill_citation(analyst, 1, "markers", 'The "no Moscow, no West" approach')
        self.choose_passage(analyst, 1, "no Russia, no West", "cost-of-russias-friendship-with-azerbaijan")
        analyst.get_by_role("button", name="Save and continue editing").click()

        quote_errors = analyst.locator(".field-quote .errorlist")
        expect(quote_errors).to_contain_text("These words are not in the passage")
        expect(quote_errors).to_contain_text("no Russia, no West")
        self.assertFalse(Briefing.objects.filter(title=TITLE).exists(), "a refused form saves nothing")

        analyst.locator("#id_citations-1-quote").fill('The "no Russia, no West" approach')
        analyst.get_by_role("button", name="Save and continue editing").click()
        expect(analyst.locator(".messagelist")).to_contain_text("was added successfully")
        briefing = Briefing.objects.get(title=TITLE)
        self.assertEqual(
            list(briefing.citations.order_by("order").values_list("quote", flat=True)),
            ["the only winner of the Ukraine war is Azerbaijan", "The “no Russia, no West” approach"],
        )
        self.take_step(analyst, "Submit for review", "Submitted for review.")
        expect(analyst.get_by_role("button", name="Approve")).to_have_count(0)

        editor = self.new_page()
        self.log_in(editor, "editor")
        editor.goto(self.url("/admin/briefings/briefing/?inbox=mine"))
        editor.get_by_role("link", name=TITLE).click()
        editor.get_by_role("link", name="Request changes").click()
        editor.get_by_label("Comment").fill("Say which war: readers outside the region may not know.")
        editor.get_by_role("button", name="Request changes").click()
        expect(editor.locator(".messagelist")).to_contain_text("Sent back for changes.")

        self.open_in_admin(analyst, briefing)
        expect(analyst.locator(".workflow-comment")).to_contain_text("Say which war")
        analyst.get_by_label("Body").fill(
            "Baku reads Russia's war in Ukraine as an opening.[^winner] "
            "The first border markers went up with no Russian role at all.[^markers]"
        )
        analyst.get_by_role("button", name="Save and continue editing").click()
        expect(analyst.locator(".messagelist")).to_contain_text("was changed successfully")
        self.take_step(analyst, "Submit for review", "Submitted for review.")

        self.open_in_admin(editor, briefing)
        self.take_step(editor, "Approve", "Approved.")
        editor.get_by_role("link", name="Publish…").click()
        editor.get_by_role("button", name="Publish").click()
        expect(editor.locator(".messagelist")).to_contain_text("Published.")

        reader = self.new_page()
        reader.goto(self.url("/"))
        feed = reader.locator('head link[rel="alternate"][type="application/rss+xml"]')
        expect(feed).to_have_count(1)
        rss = feedparser.parse(reader.request.get(self.url(feed.get_attribute("href"))).body())
        self.assertIn(TITLE, [entry.title for entry in rss.entries])

        reader.get_by_text("Filter briefings").click()
        reader.get_by_role("checkbox", name="Borders").check()
        reader.get_by_role("button", name="Show briefings").click()
        expect(reader.locator(".briefing-list > li")).to_have_count(1)
        reader.get_by_role("link", name=TITLE).click()
        expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(reader.locator(".briefing-body")).to_contain_text("Russia's war in Ukraine")

        reader.locator('sup.footnote-ref a[href="#fn-2"]').click()
        footnote = reader.locator("#fn-2")
        expect(footnote).to_be_in_viewport()
        footnote.get_by_role("link", name="The Cost of Russia’s Friendship With Azerbaijan").click()
        mark = reader.locator("mark#cited-quote")
        expect(mark).to_have_text("The “no Russia, no West” approach")
        expect(mark).to_be_in_viewport()
        self.assertTrue(uncovered(mark), "the highlighted words are hidden behind something")


class ReaderTestCase(BrowserTestCase):
    """The demo at a fixed time, opened at its briefing with the most footnotes."""

    # Smooth scrolling animates each jump; these tests press keys faster than any reader, so jumps are instant.
    context_options = {**BrowserTestCase.context_options, "reduced_motion": "reduce"}

    def setUp(self):
        traveller = time_machine.travel(DEMO_TIME, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        super().setUp()
        load_demo()
        self.briefing = max(Briefing.objects.published(), key=lambda briefing: briefing.citations.count())


class KeyboardTests(ReaderTestCase):
    def tab_to(self, selector, *, within):
        """Press Tab until the focused element matches ``selector``; fail after ``within`` presses."""
        for _ in range(within):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("selector => document.activeElement.matches(selector)", selector):
                return
        self.fail(f"{within} presses of Tab never reached {selector}")

    def assert_focus_visible(self):
        focus = self.page.evaluate(
            """() => {
                const element = document.activeElement, style = getComputedStyle(element);
                return {
                    visible: element.matches(':focus-visible'),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                    shadow: style.boxShadow !== 'none',
                    html: element.outerHTML,
                };
            }"""
        )
        self.assertTrue(focus["visible"], f"not focused by the keyboard: {focus['html']}")
        self.assertTrue(focus["outline"] or focus["shadow"], f"focus is invisible on {focus['html']}")

    def test_every_footnote_and_back_link_works_with_the_keyboard_alone(self):
        """A reader using only Tab and Enter reaches each footnote, comes back, and opens the quoted source."""
        page = self.page
        page.goto(self.url(self.briefing.get_absolute_url()))
        count = page.locator(".footnotes li").count()
        self.assertGreaterEqual(count, 2)
        # Enough presses to pass the header, navigation and search before the body.
        within = page.locator("a, button, input, select, textarea, summary").count()
        for number in range(1, count + 1):
            with self.subTest(footnote=number):
                self.tab_to(f'sup.footnote-ref a[href="#fn-{number}"]', within=within)
                self.assert_focus_visible()
                page.keyboard.press("Enter")
                expect(page).to_have_url(re.compile(f"#fn-{number}$"))
                expect(page.locator(f"#fn-{number}")).to_be_in_viewport()
                # Following the note moved the keyboard there: its back-link is a few presses away, not a page.
                self.tab_to(f'#fn-{number} a.footnote-backref[href="#fnref-{number}"]', within=4)
                self.assert_focus_visible()
                page.keyboard.press("Enter")
                expect(page).to_have_url(re.compile(f"#fnref-{number}$"))
                expect(page.locator(f"#fnref-{number}")).to_be_in_viewport()
        self.tab_to("#fn-1 .footnote-source > a:not(.footnote-fragment)", within=within)
        self.assert_focus_visible()
        page.keyboard.press("Enter")
        expect(page.locator("mark#cited-quote")).to_be_in_viewport()
        self.assertTrue(uncovered(page.locator("mark#cited-quote")), "the highlighted words are hidden")


class ScreenshotTests(ReaderTestCase):
    def test_screenshots_show_the_home_page_a_briefing_and_a_highlighted_quote(self):
        """The README's screenshots are current: home page, a briefing, and the words a footnote opens."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, options in (("desktop", {}), ("phone", PHONE)):
            page = self.page = self.new_page(**options)
            page.goto(self.url("/"))
            page.screenshot(path=str(SCREENSHOTS / f"home-{width}.png"))
            page.goto(self.url(self.briefing.get_absolute_url()))
            page.screenshot(path=str(SCREENSHOTS / f"briefing-{width}.png"), full_page=True)
            page.locator("#fn-2 .footnote-source > a:not(.footnote-fragment)").click()
            mark = page.locator("mark#cited-quote")
            expect(mark).to_be_in_viewport()
            self.assertTrue(uncovered(mark), f"the highlighted words are hidden on a {width} screen")
            page.screenshot(path=str(SCREENSHOTS / f"source-highlight-{width}.png"))


class FootnoteCardTests(ReaderTestCase):
    """The card a footnote marker shows: the quoted words and their source, without leaving the text."""

    def marker(self, page, number):
        return page.locator(f'.briefing-body sup.footnote-ref a[href="#fn-{number}"]').first

    def quote(self, page, number):
        return page.locator(f"#fn-{number} .footnote-quote").inner_text()

    def assert_card_shows(self, page, number):
        card = page.locator("#footnote-card")
        expect(card).to_be_visible()
        expect(card.locator(".footnote-card-quote")).to_have_text(f"“{self.quote(page, number)}”")
        expect(card.get_by_role("link", name="(open at these words)", include_hidden=True)).to_have_count(1)
        return card

    def test_hovering_a_marker_shows_its_quote_and_leaving_hides_it(self):
        """A reader pointing at a footnote number reads the quoted words and their source in a card beside it."""
        page = self.page
        page.goto(self.url(self.briefing.get_absolute_url()))
        self.marker(page, 2).hover()
        card = self.assert_card_shows(page, 2)
        expect(card.locator(".footnote-card-source")).to_contain_text(
            page.locator("#fn-2 .footnote-source > a:not(.footnote-fragment)").inner_text()
        )
        self.assertTrue(uncovered(self.marker(page, 2)), "the card covers the marker it belongs to")
        page.mouse.move(0, 0)
        expect(card).to_be_hidden()

    def test_keyboard_focus_opens_the_card_and_escape_closes_it_without_trapping_focus(self):
        """A keyboard user sees the card on reaching a marker, dismisses it with Escape, and Tab moves on."""
        page = self.page
        page.goto(self.url(self.briefing.get_absolute_url()))
        within = page.locator("a, button, input, select, textarea, summary").count()
        for _ in range(within):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('sup.footnote-ref a[href=\"#fn-1\"]')"):
                break
        else:
            self.fail("Tab never reached the first footnote marker")
        card = self.assert_card_shows(page, 1)
        page.keyboard.press("Escape")
        expect(card).to_be_hidden()
        self.assertTrue(page.evaluate("() => document.activeElement.matches('sup.footnote-ref a[href=\"#fn-1\"]')"))
        page.keyboard.press("Tab")
        self.assertFalse(
            page.evaluate("() => document.getElementById('footnote-card').contains(document.activeElement)"),
            "focus went into the card",
        )
        page.keyboard.press("Shift+Tab")
        self.assert_card_shows(page, 1)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile("#fn-1$"))

    def test_a_tap_on_a_phone_opens_the_card_beside_the_marker_and_a_second_tap_follows_it(self):
        """On a phone, tapping a footnote shows its quote without covering the number; tapping again opens the note."""
        page = self.page = self.new_page(**PHONE, reduced_motion="reduce")
        page.goto(self.url(self.briefing.get_absolute_url()))
        marker = self.marker(page, 2)
        marker.scroll_into_view_if_needed()
        marker.tap()
        card = self.assert_card_shows(page, 2)
        self.assertNotIn("#fn-2", page.url)
        box = card.bounding_box()
        self.assertTrue(uncovered(marker), "the card covers the tapped marker")
        self.assertLessEqual(box["x"] + box["width"], PHONE["viewport"]["width"], "the card runs off the screen")
        marker.tap()
        expect(page).to_have_url(re.compile("#fn-2$"))
        expect(card).to_be_hidden()


    def test_an_open_card_has_no_axe_violations(self):
        """With a card open, screen-reader and keyboard users still meet no accessibility violation."""
        missing = " ".join(missing_tools(("axe",)))
        if missing:
            # As for whole classes (browser.py): skipped on a machine without axe, a failure in CI.
            if in_ci():
                self.fail(missing)
            self.skipTest(missing)
        # axe is injected as a script; the site's Content-Security-Policy rightly refuses scripts it did not serve.
        page = self.page = self.new_page(bypass_csp=True)
        page.goto(self.url(self.briefing.get_absolute_url()))
        self.marker(page, 1).hover()
        self.assert_card_shows(page, 1)
        violations = Axe.violations(page)
        self.assertFalse(violations, Axe.describe(violations))
        expect(page.locator("#footnote-card")).to_be_visible()

class FootnoteCardScreenshotTests(ReaderTestCase):
    def test_screenshots_show_a_footnote_card_on_a_desktop_and_a_phone(self):
        """The README's picture of a footnote card is current: pointed at on a desktop, tapped on a phone."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, options in (("desktop", {}), ("phone", PHONE)):
            page = self.page = self.new_page(**options, reduced_motion="reduce")
            page.goto(self.url(self.briefing.get_absolute_url()))
            # A note whose source names its publisher, so the picture shows everything a card can hold.
            note = page.locator(".footnote:has(.footnote-publisher)").first.get_attribute("id")
            marker = page.locator(f'.briefing-body sup.footnote-ref a[href="#{note}"]').first
            marker.evaluate("element => element.scrollIntoView({block: 'center'})")
            if width == "phone":
                marker.tap()
            else:
                marker.hover()
            expect(page.locator("#footnote-card")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / f"footnote-card-{width}.png"))


class ChangesPageTests(BrowserTestCase):
    """What changed in a corrected briefing, as a reader's browser shows it, checked by axe and the Nu HTML Checker."""

    tools = ("chromium", "axe", "vnu")
    # axe is injected as a script; the site's Content-Security-Policy rightly refuses scripts it did not serve.
    context_options = {**BrowserTestCase.context_options, "bypass_csp": True}

    def setUp(self):
        super().setUp()
        newsroom = Newsroom()
        source = make_source(title="Baku signs transit deal")
        briefing = newsroom.published(
            [(passage(source, 1), "signed a transit agreement")],
            title="Baku signs a transit agreement",
            body="Officials signed the deal on Monday in Baku.[^n1]\n\nMoscow said nothing.",
        )
        cite(briefing, passage(source, 3), "Moscow reacted cautiously", label="n2", order=1)
        newsroom.republished(
            briefing,
            correction="An earlier version gave the wrong day for the signing.",
            title="Baku signs the transit agreement",
            dek="The deal ends a year of talks.",
            body="Officials signed the deal on Tuesday in Baku.[^n1]\n\nMoscow said nothing.[^n2]",
        )
        self.path = f"/briefings/{briefing.slug}/changes/"

    def test_a_corrections_difference_shows_the_changed_words_and_passes_axe_and_vnu(self):
        """A reader sees which words a correction replaced, with no accessibility violation and valid HTML."""
        page = self.page
        response = page.goto(self.url(self.path))
        self.assertEqual(response.status, 200)
        publication = page.locator(".publication").first
        expect(publication).to_contain_text("An earlier version gave the wrong day for the signing.")
        expect(publication.locator(".diff del")).to_have_text(re.compile(r"^\[removed: Monday\]$"))
        expect(publication.locator(".diff ins").first).to_have_text(re.compile(r"^\[added: Tuesday\]$"))
        expect(publication.locator(".diff ins").nth(1)).to_have_text("[added: [2]]")
        expect(publication.locator(".diff del")).to_be_visible()
        expect(publication.get_by_text("Added a quote:")).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "changes-desktop.png"))
        violations = Axe.violations(page)
        self.assertFalse(violations, Axe.describe(violations))
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "changes.html").write_bytes(page.request.get(self.url(self.path)).body())
            self.assertEqual(vnu_errors(folder), {})


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class PassageFinderTests(BrowserTestCase):
    """The citation editor finds the passage from a pasted quote."""

    def setUp(self):
        super().setUp()
        from briefings.tests.factories import make_source

        get_user_model().objects.create_superuser("desk", "desk@example.org", PASSWORD)
        make_source(
            "Moscow’s influence in the South Caucasus has waned, officials in Baku say.",
            "Freight grew last year. It is easier to ship goods",
            "through Azerbaijan than around it, the ministry said.",
            slug="finder-story",
        )
        page = self.page
        page.goto(self.url("/admin/login/?next=/admin/briefings/briefing/add/"))
        page.get_by_label("Username").fill("desk")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#id_citations-0-quote")).to_be_visible()

    def test_straight_quoted_quote_with_no_passage_fills_the_passage(self):
        """A quote pasted with straight marks, then Find the passage: the passage is chosen, the source's words kept."""
        page = self.page
        page.locator("#id_citations-0-quote").fill('"Moscow\'s influence in the South Caucasus"')
        page.get_by_role("button", name="Find the passage").click()
        expect(page.locator("#select2-id_citations-0-passage-container")).to_contain_text("finder-story p-1")
        expect(page.locator("#id_citations-0-quote")).to_have_value("Moscow’s influence in the South Caucasus")
        expect(page.locator(".find-passage-results mark")).to_have_text("Moscow’s influence in the South Caucasus")

    def test_two_paragraph_quote_is_split_into_two_citations(self):
        """A quote pasted across two paragraphs is offered as two citations, one per passage, and split."""
        page = self.page
        page.locator("#id_citations-0-label").fill("easier")
        page.locator("#id_citations-0-quote").fill("It is easier to ship goods\n\nthrough Azerbaijan than around it")
        page.get_by_role("button", name="Find the passage").click()
        expect(page.locator(".find-passage-results")).to_contain_text("run on from one paragraph into the next")
        page.get_by_role("button", name="Split into 2 citations").click()
        expect(page.locator("#id_citations-0-quote")).to_have_value("It is easier to ship goods")
        expect(page.locator("#id_citations-1-quote")).to_have_value("through Azerbaijan than around it")
        expect(page.locator("#id_citations-1-label")).to_have_value("easier-2")
        expect(page.locator("#select2-id_citations-1-passage-container")).to_contain_text("finder-story p-3")
