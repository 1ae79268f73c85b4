from urllib.parse import unquote

from django.test import SimpleTestCase, TestCase

from briefings.markdown import add_markers_beside, footnote_labels, render_body, render_markdown, text_directive
from briefings.models import Citation
from briefings.quotes import context
from sources import importer

from .factories import cite, make_briefing, make_source, passage

PARAGRAPH = "“There is a saying that the only winner of the Ukraine war is Azerbaijan,” said Shujaat Ahmadzada."


class MarkdownTests(SimpleTestCase):
    def test_commonmark_and_tables(self):
        """Paragraphs, emphasis, lists and tables render as HTML."""
        html = render_markdown("Some *text*.\n\n- one\n- two\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n")
        self.assertInHTML("<em>text</em>", html)
        self.assertInHTML("<ul><li>one</li><li>two</li></ul>", html)
        self.assertIn('<td class="align-right">2</td>', html)

    def test_body_headings_start_below_the_title(self):
        """A top-level heading in the body becomes h2, since the briefing title is the page's h1."""
        self.assertInHTML("<h2>Context</h2>", render_markdown("# Context"))

    def test_body_headings_never_skip_a_level(self):
        """Sections written with ## become h2 and deeper headings follow one level at a time, as outlines expect."""
        html = render_markdown("## Context\n\n#### Detail\n\n## Outlook\n\n### Risks\n")
        self.assertInHTML("<h2>Context</h2>", html)
        self.assertInHTML("<h3>Detail</h3>", html)
        self.assertInHTML("<h2>Outlook</h2>", html)
        self.assertInHTML("<h3>Risks</h3>", html)

    def test_script_is_removed(self):
        """A script typed into the body never reaches readers."""
        html = render_markdown("Hello <script>alert('x')</script> world")
        self.assertNotIn("<script", html)
        self.assertNotIn("alert", html)

    def test_event_handlers_are_removed(self):
        """Event handler attributes are stripped from any HTML that survives."""
        html = render_markdown('<b onclick="steal()">bold</b> <img src="x" onerror="steal()">')
        self.assertNotIn("onclick", html)
        self.assertNotIn("onerror", html)
        self.assertNotIn("steal", html)
        self.assertIn("<b>bold</b>", html)

    def test_javascript_links_lose_their_target(self):
        """A javascript: link keeps its text but not its target, in Markdown or HTML form."""
        html = render_markdown('[click](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">here</a>')
        self.assertNotIn("javascript", html.lower())
        self.assertIn("click", html)

    def test_styles_and_iframes_are_removed(self):
        """Inline styles, style blocks and iframes are dropped."""
        html = render_markdown('<p style="color:red">x</p><style>p{}</style><iframe src="https://e.x"></iframe>')
        self.assertNotIn("style", html)
        self.assertNotIn("iframe", html)

    def test_raw_html_cannot_forge_footnotes(self):
        """Typed HTML cannot add ids or classes, so it cannot pose as a footnote."""
        html = render_markdown('<sup id="fn-1" class="footnote-ref">1</sup>')
        self.assertNotIn("id=", html)
        self.assertNotIn("class=", html)

    def test_ordinary_links_are_kept(self):
        """Web and relative links stay usable."""
        html = render_markdown("[site](https://example.org/a) and [page](/sources/x/)")
        self.assertIn('href="https://example.org/a"', html)
        self.assertIn('href="/sources/x/"', html)

    def test_footnote_labels_in_order_of_appearance(self):
        """Markers are listed once each, in the order a reader meets them, ignoring code."""
        body = "A[^b] and B[^a], again A[^b]. `[^code]`\n\n    [^indented-code]\n\nAlso [^bad label]."
        self.assertEqual(footnote_labels(body), ["b", "a", "bad label"])


class TextFragmentTests(SimpleTestCase):
    def test_directive_escapes_syntax_characters(self):
        """Dashes, commas and ampersands in the quote are escaped so the link finds the words."""
        directive = text_directive("gas, oil & rail -- all", "", "")
        self.assertNotIn(",", unquote(directive.replace("%2C", "")).replace(", ", ""))
        self.assertIn("%2C", directive)
        self.assertIn("%26", directive)
        self.assertIn("%2D%2D", directive)

    def test_context_is_cut_to_whole_words(self):
        """A context that starts or ends mid-word is trimmed to whole words."""
        text = "Analysts repeat that there is a saying that the only winner of the Ukraine war is Azerbaijan."
        start = text.index("the only winner")
        prefix, suffix = context(text, start, start + len("the only winner"))
        self.assertEqual((prefix[:3], suffix[-3:]), ("eat", "ija"))  # both cut mid-word
        directive = text_directive("the only winner", prefix, suffix)
        self.assertTrue(directive.startswith("is%20a%20saying%20that-,the%20only%20winner,"))
        self.assertTrue(directive.endswith(",-of%20the%20Ukraine%20war"))

    def test_long_quote_uses_start_and_end_words(self):
        """A long quote is found by its first and last words, keeping the link short."""
        quote = "one two three four five six seven eight nine ten eleven twelve"
        self.assertEqual(text_directive(quote), "one%20two%20three%20four%20five,eight%20nine%20ten%20eleven%20twelve")


class FootnoteRenderingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source(PARAGRAPH, slug="kyiv-independent", title="Putin visits Azerbaijan")
        cls.passage = passage(cls.source, 1)
        cls.briefing = make_briefing(body="First claim.[^winner] Second.[^saying] Again.[^winner]")
        cls.winner = cite(cls.briefing, cls.passage, "the only winner of the Ukraine war", label="winner")
        cls.saying = cite(cls.briefing, cls.passage, "There is a saying that", label="saying", note="An old line.")
        cls.html = render_body(cls.briefing.body, [cls.winner, cls.saying])

    def test_markers_become_numbered_superscripts(self):
        """Markers turn into superscript numbers in order of first appearance, linking to their footnote."""
        self.assertInHTML(
            '<sup class="footnote-ref"><a href="#fn-1" id="fnref-1" role="doc-noteref" '
            'aria-describedby="footnotes-heading">1</a></sup>',
            self.html,
        )
        self.assertIn('href="#fn-2" id="fnref-2"', self.html)

    def test_repeated_marker_reuses_its_number_with_its_own_back_link(self):
        """Citing the same source twice shows the same number, and the footnote links back to both places."""
        self.assertIn('href="#fn-1" id="fnref-1-2"', self.html)
        self.assertIn('href="#fnref-1-2"', self.html)

    def test_footnote_lists_exact_quote_with_source_link(self):
        """Each footnote shows the exact quote and links to the passage in the version of the source it quoted."""
        self.assertIn('<li id="fn-1" class="footnote">', self.html)
        self.assertIn('<q class="footnote-quote">the only winner of the Ukraine war</q>', self.html)
        self.assertIn(f'href="/sources/kyiv-independent/versions/1/?cite={self.winner.pk}#p-1"', self.html)
        self.assertIn(", paragraph 1 <a", self.html)
        self.assertIn("Putin visits Azerbaijan", self.html)

    def test_footnote_offers_a_text_fragment_link(self):
        """Each footnote also offers a link that supporting browsers open with the words highlighted."""
        self.assertIn(f'href="/sources/kyiv-independent/versions/1/?cite={self.winner.pk}#:~:text=', self.html)
        self.assertIn("the%20only%20winner%20of%20the%20Ukraine%20war", self.html)

    def test_translation_is_shown_labelled_beside_the_original_words(self):
        """A translated quote keeps the source's words and adds the translation, labelled with its translator."""
        source = make_source("Россия и Азербайджан подписали декларацию о союзничестве.", slug="kremlin")
        briefing = make_briefing(body="Claim.[^ru]")
        citation = cite(
            briefing, passage(source, 1), "Россия и Азербайджан подписали", label="ru",
            translation="Russia and Azerbaijan <signed>", translation_by="DeepL",
        )
        html = render_body(briefing.body, [citation])
        self.assertIn('<q class="footnote-quote">Россия и Азербайджан подписали</q>', html)
        self.assertIn(
            '<span class="footnote-translation">Translation by DeepL: '
            "<q>Russia and Azerbaijan &lt;signed&gt;</q></span>",
            html,
        )
        self.assertIn("text=%D0%A0", html)  # the link still finds the original words in the source
        self.assertNotIn("footnote-translation", self.html)

    def test_note_is_shown_escaped(self):
        """An analyst's note appears with its footnote."""
        self.assertIn('<span class="footnote-note">An old line.</span>', self.html)

    def test_footnotes_follow_reading_order(self):
        """The list of quotes is numbered in the order the markers appear in the text."""
        self.assertLess(self.html.index('id="fn-1"'), self.html.index('id="fn-2"'))
        self.assertLess(self.html.index("the only winner"), self.html.index("There is a saying"))

    def test_unknown_marker_is_left_as_typed(self):
        """A marker without a citation is shown as typed and gets no number."""
        html = render_body("Claim.[^missing]", [self.winner])
        self.assertIn("[^missing]", html)
        self.assertNotIn("footnotes", html)

    def test_orphaned_citation_says_so_and_points_at_the_source(self):
        """An unpinned footnote (quoted before versions were kept) whose words left the source says so."""
        self.winner.status = "orphaned"
        self.winner.source_version = None
        html = render_body("Claim.[^winner]", [self.winner])
        self.assertIn("no longer in the current version", html)
        self.assertNotIn("#p-1", html)


class PinnedFootnoteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source(PARAGRAPH, "A second paragraph with other words.", slug="pinned", title="Pinned")
        cls.briefing = make_briefing(body="Claim.[^winner]")
        cls.winner = cite(cls.briefing, passage(cls.source, 1), "the only winner of the Ukraine war", label="winner")

    def test_footnote_says_the_source_changed_once_its_words_left_the_current_version(self):
        """A reader is told at once that the source changed since the quote, with links to now and the diff."""
        importer.import_text(self.source, "A second paragraph with other words.\nA new opening paragraph here.\n",
                             replace=True)
        self.winner.refresh_from_db()
        citation = Citation.objects.select_related("passage__source").get(pk=self.winner.pk)
        html = render_body(self.briefing.body, [citation])
        self.assertIn(f'href="/sources/pinned/versions/1/?cite={self.winner.pk}#p-1"', html)
        self.assertIn("The source changed since it was quoted", html)
        self.assertIn('href="/sources/pinned/diff/1/2/"', html)

    def test_unchanged_passage_says_nothing_changed(self):
        """A footnote whose words are still in the current version carries no warning."""
        html = render_body(self.briefing.body, [self.winner])
        self.assertNotIn("changed since", html)


class SplitMarkerTests(SimpleTestCase):
    def test_new_markers_stand_beside_each_marker_of_the_split_citation(self):
        """Splitting [^a] puts [^a-2] right after every [^a], and leaves other markers alone."""
        body = "One.[^a] Two.[^ab] Three.[^a]"
        self.assertEqual(
            add_markers_beside(body, "a", ["a-2", "a-3"]),
            "One.[^a][^a-2][^a-3] Two.[^ab] Three.[^a][^a-2][^a-3]",
        )
