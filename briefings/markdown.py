"""Markdown for briefings: CommonMark plus tables, sanitised, with cited footnotes.

An analyst writes ``[^label]`` where a claim rests on a source; each marker
becomes a numbered superscript, and the numbered list of quotes at the end links
every quote to the exact words on the source page. Raw HTML typed by an analyst
is never trusted: the rendered HTML is cleaned against an allowlist, and the
footnote markup (the only place ids appear) is added after cleaning, so no
typed HTML can forge it.

The public site reuses these functions; nothing here touches the database.
"""
import re
import secrets
from urllib.parse import quote as percent_encode

import nh3
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from .quotes import CONTEXT_CHARS

# A marker is ``[^label]``; anything up to the closing bracket counts, so that a
# mistyped label (``[^my note]``) is reported rather than silently shown as text.
MARKER = re.compile(r"\[\^([^\]\n]+?)\]")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {"th": ALIGN_CLASSES, "td": ALIGN_CLASSES}
URL_SCHEMES = {"http", "https", "mailto"}

FOOTNOTES_HEADING = "Sources"
# Long quotes are found by their first and last words, keeping links short.
FRAGMENT_EDGE_WORDS = 5
FRAGMENT_CONTEXT_WORDS = 4


def _footnote_marker_rule(state, silent):
    if state.src[state.pos] != "[":
        return False
    match = MARKER.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("footnote_ref", "", 0)
        token.meta = {"label": match.group(1)}
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _shift_headings(state):
    """The briefing title is the page's h1, so body headings start at h2 and never skip a level.

    Whether the analyst wrote ``#`` or ``##`` for the sections, they become h2;
    a heading one level deeper than the one before becomes at most one deeper,
    so screen-reader users can navigate the outline.
    """
    levels = sorted({int(token.tag[1]) for token in state.tokens if token.type == "heading_open"})
    rank = {level: index for index, level in enumerate(levels)}
    previous = 1
    for token in state.tokens:
        if token.type == "heading_open":
            previous = min(rank[int(token.tag[1])] + 2, previous + 1, 6)
            token.tag = f"h{previous}"
        elif token.type == "heading_close":
            token.tag = f"h{previous}"


def _alignment_as_class(state):
    """Tables align columns with classes; style attributes never survive cleaning."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style", "").startswith("text-align:"):
            alignment = token.attrs.pop("style").split(":", 1)[1]
            token.attrs["class"] = f"align-{alignment}"


def _render_footnote_ref(renderer, tokens, index, options, env):
    footnotes = env.get("footnotes")
    label = tokens[index].meta["label"]
    placeholder = footnotes.reference(label) if footnotes else None
    return placeholder or escape(tokens[index].content)


def _accept_any_link(url):
    return True


def _parser():
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    # Every link reaches sanitise(), which drops unsafe URLs but keeps the link text,
    # instead of leaving "[text](javascript:...)" visible to readers.
    md.validateLink = _accept_any_link
    md.inline.ruler.before("link", "footnote_ref", _footnote_marker_rule)
    md.core.ruler.after("block", "shift_headings", _shift_headings)
    md.core.ruler.after("block", "alignment_as_class", _alignment_as_class)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    return md


PARSER = _parser()


def sanitise(html):
    """Keep only allowlisted tags and attributes; drop scripts, handlers, styles and unsafe URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def footnote_labels(body):
    """The labels of the body's ``[^label]`` markers, in order of first appearance."""
    labels = []

    def walk(tokens):
        for token in tokens:
            if token.type == "footnote_ref" and token.meta["label"] not in labels:
                labels.append(token.meta["label"])
            if token.children:
                walk(token.children)

    walk(PARSER.parse(body or ""))
    return labels


def render_markdown(text):
    """Sanitised HTML for Markdown with no citations (footnote markers stay as typed)."""
    return sanitise(PARSER.render(text or ""))


# Links ---------------------------------------------------------------------


def _is_orphaned(citation):
    return citation.status == "orphaned" or citation.passage.retired


def citation_url(citation):
    """The source page scrolled to the cited passage; ``?cite=`` lets the page highlight the words."""
    source_url = citation.passage.source.get_absolute_url()
    if _is_orphaned(citation):
        return source_url
    query = f"?cite={citation.pk}" if citation.pk else ""
    return f"{source_url}{query}#{citation.passage.anchor}"


def _encode(text):
    # Text-fragment syntax gives "-", "," and "&" a meaning, so they are always escaped.
    return percent_encode(" ".join(text.split()), safe="").replace("-", "%2D")


def _context_words(text, *, before):
    words = text.split()
    cut = len(text) >= CONTEXT_CHARS and text and not text[0 if before else -1].isspace()
    if cut and words:
        # The context may start (or end) in the middle of a word; a fragment must not.
        words = words[1:] if before else words[:-1]
    return words[-FRAGMENT_CONTEXT_WORDS:] if before else words[:FRAGMENT_CONTEXT_WORDS]


def text_directive(quote, prefix="", suffix=""):
    """The ``text=`` value of a URL text fragment that finds ``quote`` between its context."""
    words = quote.split()
    if len(words) > 2 * FRAGMENT_EDGE_WORDS:
        parts = [_encode(" ".join(words[:FRAGMENT_EDGE_WORDS])), _encode(" ".join(words[-FRAGMENT_EDGE_WORDS:]))]
    else:
        parts = [_encode(quote)]
    before = _context_words(prefix, before=True)
    after = _context_words(suffix, before=False)
    if before:
        parts.insert(0, _encode(" ".join(before)) + "-")
    if after:
        parts.append("-" + _encode(" ".join(after)))
    return ",".join(parts)


def text_fragment_url(citation):
    """A link that browsers supporting text fragments open with the quoted words highlighted."""
    source_url = citation.passage.source.get_absolute_url()
    return f"{source_url}#:~:text={text_directive(citation.quote, citation.prefix, citation.suffix)}"


# Footnotes -----------------------------------------------------------------


def _translation(citation):
    """The quote's translation, labelled with who made it; the quote itself stays in the source's words."""
    if not getattr(citation, "translation", ""):
        return ""
    return format_html(
        ' <span class="footnote-translation">Translation by {}: <q>{}</q></span>',
        citation.translation_by,
        citation.translation,
    )



class Footnotes:
    """Numbers footnotes by first appearance and renders their markup."""

    def __init__(self, citations):
        self.by_label = {citation.label: citation for citation in citations}
        self.numbers = {}
        self.reference_counts = {}
        # Unguessable, so no typed text can pass for a footnote reference.
        self.nonce = secrets.token_hex(8)
        self.placeholder = re.compile(f"\ue000{self.nonce}:(\\d+):(\\d+)\ue001")

    def reference(self, label):
        if label not in self.by_label:
            return None
        number = self.numbers.setdefault(label, len(self.numbers) + 1)
        count = self.reference_counts[label] = self.reference_counts.get(label, 0) + 1
        return f"\ue000{self.nonce}:{number}:{count}\ue001"

    @staticmethod
    def reference_id(number, count):
        return f"fnref-{number}" if count == 1 else f"fnref-{number}-{count}"

    def _superscript(self, match):
        number, count = int(match.group(1)), int(match.group(2))
        return format_html(
            '<sup class="footnote-ref"><a href="#fn-{}" id="{}" role="doc-noteref" '
            'aria-describedby="footnotes-heading">{}</a></sup>',
            number,
            self.reference_id(number, count),
            number,
        )

    def replace_references(self, html):
        return self.placeholder.sub(self._superscript, html)

    def _item(self, number, citation):
        passage = citation.passage
        source = passage.source
        if _is_orphaned(citation):
            where = format_html(
                '<a href="{}">{}</a> <span class="footnote-status">These words are no longer in the '
                "current version of the source.</span>",
                citation_url(citation),
                source.display_title,
            )
        else:
            where = format_html(
                '<a href="{}">{}</a>, paragraph {} '
                '<a class="footnote-fragment" href="{}">(open at these words)</a>',
                citation_url(citation),
                source.display_title,
                passage.ordinal,
                text_fragment_url(citation),
            )
        note = format_html(' <span class="footnote-note">{}</span>', citation.note) if citation.note else ""
        note = format_html("{}{}", _translation(citation), note)
        backrefs = format_html_join(
            " ",
            '<a class="footnote-backref" href="#{}" role="doc-backlink" aria-label="{}">↩{}</a>',
            (
                (
                    self.reference_id(number, count),
                    f"Back to reference {number}" + (f" ({count})" if count > 1 else "") + " in the text",
                    mark_safe(f"<sup>{count}</sup>") if count > 1 else "",
                )
                for count in range(1, self.reference_counts[citation.label] + 1)
            ),
        )
        return format_html(
            '<li id="fn-{}" class="footnote"><q class="footnote-quote">{}</q> '
            '<span class="footnote-source">— {}</span>{} {}</li>',
            number,
            citation.quote,
            where,
            note,
            backrefs,
        )

    def section(self):
        if not self.numbers:
            return ""
        items = "\n".join(
            self._item(number, self.by_label[label]) for label, number in sorted(self.numbers.items(), key=_by_number)
        )
        return (
            '<section class="footnotes" aria-labelledby="footnotes-heading">\n'
            f'<h2 id="footnotes-heading">{FOOTNOTES_HEADING}</h2>\n<ol>\n{items}\n</ol>\n</section>\n'
        )


def _by_number(item):
    return item[1]


def render_body(body, citations=()):
    """Sanitised HTML of a briefing body with numbered footnotes and the list of quotes.

    ``citations`` are the briefing's Citation objects with ``passage__source``
    loaded; a marker without a citation is shown as typed.
    """
    footnotes = Footnotes(citations)
    html = sanitise(PARSER.render(body or "", {"footnotes": footnotes}))
    return footnotes.replace_references(html) + footnotes.section()
