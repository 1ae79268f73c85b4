"""A cited source changes under a published briefing: an editor replaces its text in the admin and confirms
where the quoted words went, while a reader's footnote keeps landing on the words the analyst quoted.

Runs against a live server with Chromium driven by Playwright; see ``browser.py`` for what it needs.
"""
import re
import tempfile

from django.core import mail
from django.test import override_settings
from playwright.sync_api import expect

from briefings.models import BriefingEvent, Citation
from briefings.tests.factories import Newsroom, make_source, passage
from sources.models import Source

from .browser import AXE_SCRIPT, FAST_PASSWORD_HASHERS, Axe, BrowserTestCase

PASSWORD = "correct horse battery staple"
SLUG = "middle-corridor-freight"
SOURCE_TITLE = "Freight finds its way around Russia"
BRIEFING_TITLE = "The Middle Corridor is busier than ever"
QUOTE = "the Middle Corridor carried more freight than in any year before 2022"

# Version 1, as the source was first imported: one paragraph a line.
FIRST = [
    "The Zangezur corridor has become the most argued-over stretch of road in the South Caucasus, "
    "although not a metre of it has been paved.",
    "Azerbaijan wants an unimpeded land link across southern Armenia to its Nakhchivan exclave, and from "
    "there to Turkey.",
    "Yerevan insists that any route through Syunik must stay under Armenian customs and border control. "
    f"Last year {QUOTE}, as shippers avoided Russian territory. Georgia's ports at Poti and Batumi have "
    "struggled to keep up.",
    "Iran has warned that it will not accept a change of borders in the region, and has held military "
    "exercises near the Araxes river.",
    "Russian border guards, who watched Armenia's frontier with Iran for three decades, have left the "
    "crossing at Agarak.",
]
ADDED = (
    "In Tbilisi, officials say the deep-sea port at Anaklia will be needed within five years if freight keeps "
    "growing at this pace."
)
# Version 2, as the publisher corrected it: the cited sentence moved from the third paragraph to the fourth
# (the port sentence follows it), and a paragraph about Anaklia was added at the end.
SECOND = [
    FIRST[0],
    FIRST[1],
    "Yerevan insists that any route through Syunik must stay under Armenian customs and border control.",
    f"Last year {QUOTE}, as shippers avoided Russian territory. Georgia's ports at Poti and Batumi have "
    "struggled to keep up. Iran has warned that it will not accept a change of borders in the region, and "
    "has held military exercises near the Araxes river.",
    FIRST[4],
    ADDED,
]


@override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS)
class SourceChangeWalkTests(BrowserTestCase):
    tools = ("chromium", "axe")

    def setUp(self):
        super().setUp()
        pending = tempfile.TemporaryDirectory(prefix="briefings-intake-")
        self.addCleanup(pending.cleanup)
        settings = override_settings(SOURCES_PENDING_DIR=pending.name)
        settings.enable()
        self.addCleanup(settings.disable)
        self.newsroom = Newsroom()
        # The editor who published the briefing did not write it, so they may confirm where its words moved.
        self.editor = self.newsroom.editor
        self.editor.set_password(PASSWORD)
        self.editor.save()
        self.source = make_source(*FIRST, slug=SLUG, title=SOURCE_TITLE, publisher="Caucasus Wire")
        self.briefing = self.newsroom.published(
            [(passage(self.source, 3), QUOTE)],
            title=BRIEFING_TITLE,
            dek="Shippers avoiding Russia have found the route through Azerbaijan and Georgia.",
            body="Freight through the South Caucasus has grown since Russia's invasion of Ukraine.[^n1]",
        )
        self.reader = self.new_page()

    # Steps ----------------------------------------------------------------

    def log_in(self, page):
        page.goto(self.url("/admin/login/?next=/admin/"))
        page.get_by_label("Username").fill(self.editor.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()

    def follow_footnote(self, *, changed):
        """The anonymous reader opens the briefing and follows its footnote; return the link they followed."""
        reader = self.reader
        reader.goto(self.url(self.briefing.get_absolute_url()))
        expect(reader.get_by_role("heading", level=1)).to_have_text(BRIEFING_TITLE)
        note = reader.locator("#fn-1")
        changed_note = note.get_by_text("The source changed since it was quoted")
        expect(changed_note).to_have_count(1 if changed else 0)
        link = note.locator(".footnote-source > a:not(.footnote-fragment)")
        # The same words and the same place as when the analyst quoted them, whatever the source became.
        expect(note).to_contain_text(f"{QUOTE} — {SOURCE_TITLE}, Caucasus Wire, paragraph 3")
        href = link.get_attribute("href")
        self.assertRegex(href, rf"^/sources/{SLUG}/versions/1/\?cite=\d+#p-3$")
        link.click()
        expect(reader).to_have_url(self.url(href))
        mark = reader.locator("mark#cited-quote")
        expect(mark).to_have_text(QUOTE)
        expect(mark).to_be_in_viewport()
        expect(reader.locator("#p-3 mark#cited-quote")).to_have_count(1)
        banner = reader.locator(".cite-banner")
        expect(banner).to_contain_text(BRIEFING_TITLE)
        expect(banner.locator(".changed-since")).to_have_count(1 if changed else 0)
        return href

    def assert_readable(self, page, selector):
        """axe-core's contrast rule over the part of the page at ``selector``: words an editor must compare."""
        page.add_script_tag(path=str(AXE_SCRIPT))
        results = page.evaluate(
            "selector => axe.run({include: [[selector]]}, {runOnly: ['color-contrast'], resultTypes: ['violations']})",
            selector,
        )
        self.assertFalse(results["violations"], Axe.describe(results["violations"]))

    # The walk -------------------------------------------------------------

    def test_editor_replaces_a_cited_source_and_confirms_the_move_while_the_footnote_keeps_its_words(self):
        """An editor replaces a cited text and confirms the moved quote; the reader's footnote never loses it."""
        pinned = self.follow_footnote(changed=False)

        # The editor's context may load axe-core into the admin's pages; the reader's keeps the site's CSP.
        editor = self.page = self.new_page(bypass_csp=True)
        self.log_in(editor)
        editor.goto(self.url(f"/admin/sources/source/{self.source.pk}/change/"))
        editor.get_by_role("link", name="Replace the text").click()
        expect(editor.get_by_role("heading", level=1)).to_contain_text(f"Replace the text of “{SOURCE_TITLE}”")
        editor.get_by_label("Or paste the text").fill("\n\n".join(SECOND) + "\n")
        editor.get_by_role("button", name="Preview", exact=True).click()

        expect(editor.get_by_role("heading", name="Preview: nothing is written yet")).to_be_visible()
        self.assertFalse(self.source.versions.filter(number=2).exists(), "a preview writes nothing")
        expect(editor.locator("#content-main")).to_contain_text("Version 2 would follow version 1.")
        expect(editor.locator("#content-main")).to_contain_text("3 passages kept, 1 added, 2 changed, 0 retired.")
        touched = editor.locator(".touched-citations li")
        expect(touched).to_have_count(1)
        expect(touched).to_contain_text(f"[^n1] in “{BRIEFING_TITLE}”")
        expect(touched).to_contain_text("Published")
        changed = editor.get_by_role("heading", name="Changed").locator("xpath=following-sibling::table[1]")
        expect(changed.locator("del").first).to_contain_text("Yerevan insists")
        expect(changed.locator("ins").last).to_contain_text(QUOTE)
        expect(editor.get_by_role("heading", name="Added").locator("xpath=following-sibling::ul[1]")).to_contain_text(
            "deep-sea port at Anaklia"
        )
        editor.get_by_role("button", name="Save", exact=True).click()
        expect(editor.locator(".messagelist .success")).to_contain_text(
            re.compile(rf"updated\s+{SLUG} .*version 2; citations: 1 re-anchored, 0 orphaned, 0 restored")
        )
        expect(editor).to_have_url(self.url(f"/admin/sources/source/{self.source.pk}/change/"))

        source = Source.objects.get(pk=self.source.pk)
        self.assertEqual(source.current_version().number, 2)
        citation = Citation.objects.get(briefing=self.briefing, label="n1")
        self.assertEqual(citation.status, Citation.Status.REANCHORED)
        self.assertIn(QUOTE, citation.passage.text)
        self.assertTrue(citation.passage.text.endswith("near the Araxes river."), "moved into the fourth paragraph")
        told = [message for message in mail.outbox if BRIEFING_TITLE in message.body]
        self.assertTrue(told, "nobody was told that a published briefing's citation moved")

        self.assertEqual(self.follow_footnote(changed=True), pinned)
        self.reader.goto(self.url(f"/sources/{SLUG}/"))
        version = self.reader.locator("p.source-version")
        expect(version).to_contain_text("Version 2 of 2, imported")
        what_changed = version.get_by_role("link", name="see what changed")
        expect(what_changed).to_have_attribute("href", f"/sources/{SLUG}/diff/1/2/")
        what_changed.click()
        expect(self.reader.locator("ins", has_text="deep-sea port at Anaklia").first).to_be_visible()

        editor.goto(self.url("/admin/"))
        editor.get_by_role("link", name="Source changes").first.click()
        expect(editor.get_by_role("heading", level=1)).to_have_text("Source changes")
        group = editor.locator("section.module", has=editor.get_by_role("heading", name=re.compile("version 2")))
        expect(group).to_contain_text(f"{SOURCE_TITLE}, source version 2")
        expect(group.locator(".source-change-counts")).to_contain_text("1 re-anchored, 0 orphaned")
        row = group.locator("tbody tr", has=editor.get_by_role("link", name=BRIEFING_TITLE))
        expect(row).to_contain_text("[^n1] re-anchored")
        expect(row.locator(".source-change-words blockquote")).to_have_count(2)
        expect(row.locator(".source-change-words blockquote").first).to_contain_text(QUOTE)
        expect(row.locator(".source-change-words blockquote").last).to_contain_text(QUOTE)
        self.assert_readable(editor, ".source-change-words")
        row.get_by_role("button", name="Confirm the new place").click()
        expect(editor.locator(".messagelist")).to_contain_text(
            f"Confirmed the new place of [^n1] in “{BRIEFING_TITLE}”."
        )
        expect(editor.get_by_role("button", name="Confirm the new place")).to_have_count(0)
        expect(editor.locator("#content-main")).to_contain_text("No citation is waiting")

        self.assertEqual(Citation.objects.get(pk=citation.pk).status, Citation.Status.OK)
        self.assertTrue(
            BriefingEvent.objects.filter(
                briefing=self.briefing, actor=self.editor, action=BriefingEvent.Action.REANCHORING_CONFIRMED
            ).exists()
        )
        self.assertEqual(self.follow_footnote(changed=True), pinned)
