"""What a footnote card is made of: the page's own notes, the scripts that show it, markers that keep their word.

The card itself is exercised in Chromium (``test_browser.FootnoteCardTests``);
these tests pin the markup and the page it reads, which work without JavaScript.
"""
import datetime
import re

from django.contrib.staticfiles import finders

from briefings.markdown import WORD_JOINER
from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase

CARD_SCRIPTS = (
    "vendor/floating-ui/floating-ui.core.umd.min.js",
    "vendor/floating-ui/floating-ui.dom.umd.min.js",
    "js/footnote-cards.js",
)


class FootnoteCardPageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal", publisher="Caucasus Wire")
        cls.source.published_on = datetime.date(2026, 2, 17)
        cls.source.save()
        cls.briefing = cls.newsroom.published(
            [(passage(cls.source, 1), "signed a transit agreement")],
            body="Baku has signed (a first).[^n1]",
        )

    def get(self):
        return self.client.get(self.briefing.get_absolute_url()).content.decode()

    def test_each_note_names_the_publisher_and_date_the_card_shows(self):
        """The note a marker points to (and so its card) says who published the quoted words and when."""
        html = self.get()
        note = re.search(r'<li id="fn-1" class="footnote">.*?</li>', html, re.S).group(0)
        self.assertIn('<span class="footnote-publisher">Caucasus Wire</span>', note)
        self.assertIn('<time class="footnote-date" datetime="2026-02-17">17 February 2026</time>', note)
        self.assertIn('class="footnote-fragment"', note)
        self.assertIn("(open at these words)", note)

    def test_a_source_without_publisher_or_date_leaves_no_empty_commas(self):
        """A note of a source with no known publisher or date reads "Title, paragraph N", not "Title, , ,"."""
        self.source.publisher = ""
        self.source.published_on = None
        self.source.save()
        html = self.get()
        self.assertRegex(html, r"Baku signs transit deal</a>, paragraph \d")
        self.assertNotIn("footnote-publisher", html)

    def test_a_marker_is_joined_to_the_word_before_it(self):
        """A footnote number never starts a line on its own, away from the words it supports."""
        html = self.get()
        self.assertIn(f'(a first).{WORD_JOINER}<sup class="footnote-ref">', html)

    def test_the_card_scripts_are_served_files_and_no_script_is_inline(self):
        """The cards run under the site's Content-Security-Policy, which refuses inline scripts."""
        response = self.client.get(self.briefing.get_absolute_url())
        html = response.content.decode()
        self.assertNotIn("unsafe-inline", re.search(r"script-src[^;]*", response["Content-Security-Policy"]).group(0))
        for path in CARD_SCRIPTS:
            self.assertIn(f'<script src="/static/{path}" defer></script>', html)
            self.assertIsNotNone(finders.find(path), f"{path} is not in static/")
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        self.assertEqual(inline, [' type="application/ld+json"'], "only the structured data may be inline")

    def test_the_vendored_library_keeps_its_licence(self):
        """The positioning library is shipped with its MIT licence, as its terms require."""
        licence = finders.find("vendor/floating-ui/LICENSE")
        self.assertIsNotNone(licence)
        with open(licence, encoding="utf-8") as file:
            self.assertIn("MIT License", file.read())
