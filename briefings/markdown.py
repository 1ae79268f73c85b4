"""Markdown for briefings: CommonMark plus tables, sanitised, with cited footnotes.

An analyst writes ``[^label]`` where a claim rests on a source; each marker
becomes a numbered superscript, and the numbered list of quotes at the end links
every quote to the exact words on the source page. Raw HTML typed by an analyst
is never trusted: the rendered HTML is cleaned against an allowlist, and the
footnote markup (the only place ids appear) is added after cleaning, so no
typed HTML can forge it.

The public site reuses these functions; the only database reads are the places
of pinned citations in their source versions, two queries per rendering.
"""
import re
import secrets
from urllib.parse import quote as percent_encode

import nh3
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from sources.versions import pinned_places

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
# U+2060 WORD JOINER before a marker: a line never breaks between the marker and the word it follows.
WORD_JOINER = "\u2060"
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


def add_markers_beside(body, label, new_labels):
    """The body with ``[^new]`` markers written right after each ``[^label]``: a citation split into several."""
    marker = f"[^{label}]"
    return (body or "").replace(marker, marker + "".join(f"[^{new}]" for new in new_labels))


def render_markdown(text):
    """Sanitised HTML for Markdown with no citations (footnote markers stay as typed)."""
    return sanitise(PARSER.render(text or ""))


# Links ---------------------------------------------------------------------


def _is_orphaned(citation):
    return citation.status == "orphaned" or citation.passage.retired


def pinned_url(citation, place):
    """The version the citation quoted, scrolled to its passage, with ``?cite=`` highlighting the words."""
    source = citation.passage.source
    url = reverse("public:source_version", kwargs={"slug": source.slug, "number": place.version_number})
    query = f"?cite={citation.pk}" if citation.pk else ""
    return f"{url}{query}#{citation.passage.anchor}"


def citation_url(citation, place=None):
    """Where a footnote opens: the pinned version at the quoted words, or (unpinned) the current source page.

    ``place`` is the citation's ``sources.versions.PinnedPlace``; citations verified before versions existed
    whose passage has retired have none, and open the current source page as they always did.
    """
    if place is not None:
        return pinned_url(citation, place)
    source_url = citation.passage.source.get_absolute_url()
    if _is_orphaned(citation):
        return source_url
    query = f"?cite={citation.pk}" if citation.pk else ""
    return f"{source_url}{query}#{citation.passage.anchor}"


def changes_url(citation, place):
    """The difference between the version a citation quoted and the source's latest version."""
    return reverse(
        "public:source_diff",
        kwargs={"slug": citation.passage.source.slug, "old": place.version_number, "new": place.latest_number},
    )


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


def text_fragment_url(citation, place=None):
    """A link that browsers supporting text fragments open with the quoted words highlighted."""
    if place is not None:
        page_url = pinned_url(citation, place).split("#", 1)[0]
    else:
        page_url = citation.passage.source.get_absolute_url()
    return f"{page_url}#:~:text={text_directive(citation.quote, citation.prefix, citation.suffix)}"


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

    def __init__(self, citations, places=None):
        self.by_label = {citation.label: citation for citation in citations}
        self.places = places
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
            '{}<sup class="footnote-ref"><a href="#fn-{}" id="{}" role="doc-noteref" '
            'aria-describedby="footnotes-heading">{}</a></sup>',
            WORD_JOINER,
            number,
            self.reference_id(number, count),
            number,
        )

    def replace_references(self, html):
        return self.placeholder.sub(self._superscript, html)

    def _item(self, number, citation):
        passage = citation.passage
        source = passage.source
        # Rendering also takes stand-ins for citations (the benchmark corpus, migrations): read what they have.
        key = (getattr(citation, "source_version_id", None), getattr(citation, "passage_id", None))
        place = self.places.get(key)
        if place is not None:
            # Pinned: the footnote opens the words as quoted, whatever happened to the source since.
            where = format_html(
                '<a href="{}">{}</a>{}, {} <a class="footnote-fragment" href="{}">(open at these words)</a>',
                citation_url(citation, place),
                source.display_title,
                _publication(source),
                place.label,
                text_fragment_url(citation, place),
            )
            if passage.retired:
                where += format_html(
                    ' <span class="footnote-status">The source changed since it was quoted: '
                    '<a href="{}">its current wording</a>, <a href="{}">what changed</a>.</span>',
                    source.get_absolute_url(),
                    changes_url(citation, place),
                )
        elif _is_orphaned(citation):
            where = format_html(
                '<a href="{}">{}</a>{} <span class="footnote-status">These words are no longer in the '
                "current version of the source.</span>",
                citation_url(citation),
                source.display_title,
                _publication(source),
            )
        else:
            where = format_html(
                '<a href="{}">{}</a>{}, {} '
                '<a class="footnote-fragment" href="{}">(open at these words)</a>',
                citation_url(citation),
                source.display_title,
                _publication(source),
                passage.place_label,
                text_fragment_url(citation),
            )
        quote = format_html('<q class="footnote-quote">{}</q>', citation.quote)
        if place is not None and place.withheld:
            # The version's words are withheld from readers (legal or safety reasons): so is the quote.
            quote = mark_safe('<span class="footnote-quote footnote-withheld">The quoted words are withheld.</span>')
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
            '<li id="fn-{}" class="footnote">{} '
            '<span class="footnote-source">— {}</span>{} {}</li>',
            number,
            quote,
            where,
            note,
            backrefs,
        )

    def section(self):
        if not self.numbers:
            return ""
        if self.places is None:
            # Where the cited passages sit in the versions they quoted: two queries for the whole list.
            self.places = pinned_places([self.by_label[label] for label in self.numbers])
        items = "\n".join(
            self._item(number, self.by_label[label]) for label, number in sorted(self.numbers.items(), key=_by_number)
        )
        return (
            '<section class="footnotes" aria-labelledby="footnotes-heading">\n'
            f'<h2 id="footnotes-heading">{FOOTNOTES_HEADING}</h2>\n<ol>\n{items}\n</ol>\n</section>\n'
        )


def _publication(source):
    """", publisher, date" after a source's title, as far as they are known; footnote cards show them too."""
    parts = []
    if source.publisher:
        parts.append(format_html('<span class="footnote-publisher">{}</span>', source.publisher))
    if source.published_on:
        parts.append(
            format_html(
                '<time class="footnote-date" datetime="{}">{}</time>',
                source.published_on.isoformat(),
                format_date(source.published_on, "j F Y"),
            )
        )
    return format_html_join("", ", {}", ((part,) for part in parts))


def _by_number(item):
    return item[1]


def render_body(body, citations=(), places=None):
    """Sanitised HTML of a briefing body with numbered footnotes and the list of quotes.

    ``citations`` are the briefing's Citation (or a revision's RevisionCitation)
    objects with ``passage__source`` loaded; a marker without a citation is
    shown as typed. Where each pinned citation sits in its version is read in
    two queries (``sources.versions.pinned_places``) unless ``places`` gives them.
    """
    footnotes = Footnotes(citations, places)
    html = sanitise(PARSER.render(body or "", {"footnotes": footnotes}))
    return footnotes.replace_references(html) + footnotes.section()
