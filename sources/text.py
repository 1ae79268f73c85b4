"""Turning an article file into normalised text and exact passages.

Normalisation changes only what differs between copies of the same article
(encoding marks, line endings, Unicode composition); every character a reader
sees stays as printed, so a quote can always be found verbatim.
"""
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .models import Passage

# What a passage is, as stored on Passage.kind.
Kind = Passage.Kind
KINDS = tuple(Kind.values)

# A heading is a short line that does not end a sentence.
HEADING_MAX_WORDS = 12
HEADING_MAX_CHARS = 200
CLOSING_PUNCTUATION = tuple(".!?:;…\"”’')]")
# Mastheads and section names ("The Kyiv Independent", "Caucasus Report") are this short; headlines longer.
MASTHEAD_MAX_WORDS = 3
# Chrome is short: a line longer than this is story text whatever words it starts with.
CHROME_MAX_WORDS = 40
CHROME_MAX_CHARS = 400

# Site chrome that appears on news pages regardless of the story.
BOILERPLATE_LINES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^accessibility links$",
        r"^breaking news$",
        r"^skip to (main )?(content|navigation)$",
        r"^(share|share this|print|email|advertisement|sponsored( content)?|related|read more|most popular)$",
        r"^to find out more, click here\.?$",
        r"^publication:.*\b(volume|issue)\b",
        r"^(copyright|©|\(c\))\s*\S",
        r"all rights reserved\.?$",
        r"^(reproduction|republication|use of (the )?materials?)\b.*\b(prohibited|permitted|allowed|hyperlink|link)\b",
        r"has been declared an? [\"“]?undesirable organi[sz]ation",
        r"could face fines or imprisonment for sharing",
    )
]
# Chrome of any news site, checked only on short lines (see CHROME_MAX_WORDS).
CHROME_LINES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Share and follow bars.
        r"^(share|tweet|post|send|email|e-mail)\s+(this|on|via|to)\b.{0,60}$",
        r"^(follow|join|find|like|subscribe to|watch) us\b",
        r"^follow\s+(the\s+|our\s+)?.{0,60}\bon\s+"
        r"(twitter|x|facebook|telegram|instagram|youtube|linkedin|threads|bluesky|google news|whatsapp)\b",
        r"^(join|subscribe to) (our|the)\b.{0,40}\b(channel|group|newsletter|community)\b",
        # Subscription and donation pitches.
        r"^(subscribe|sign up|register|donate|become a (member|supporter|subscriber|patron))\b(?!s)",
        r"\bsupport (our|independent|quality)\b.{0,40}\b(journalism|reporting|media|work|newsroom)\b",
        r"\bconsider (joining|supporting|becoming|subscribing)\b|\bjoin(ing)? our community\b",
        r"^thank(s| you) for (subscribing|signing up)\b",
        r"^(a )?note from the (author|editors?)\s*:?$",
        r"\b(newsletter|inbox)\b.{0,60}$(?<![.!?])",
        r"^(already a subscriber|log ?in|sign in|create an? (free )?account)\b",
        r"^(get|receive) (our|the)\b.{0,50}\b(newsletter|briefing|headlines|updates)\b",
        # Related-article lists and teasers.
        r"^(related|related (articles?|stories|news|content|posts|topics)|read (more|also|next)|also read|see also"
        r"|more (from|on|in|about|news|stories)\b.*|most (read|viewed|popular|shared)|recommended( for you)?"
        r"|you (may|might) (also )?(like|be interested in)|trending( now)?|latest( news)?|top stories"
        r"|editor'?s? (picks|choice)|popular( now)?|what to read next|don'?t miss|in (other|the) news)\s*:?$",
        r"^(read (more|also|next)|also read|see also|related|more)\s*[:|»›>–—-]\s*\S",
        # Bylines, datelines and reading times.
        r"^(author|authors|posted by|words by|reporting by|editing by)\s*:\s*\S.{0,80}$",
        r"^(additional )?(reporting|writing|editing|compiled|translated|produced) by\b.{0,120}$",
        r"\bctrl\s*\+\s*enter\b",
        r"^our standards\b|\btrust principles\.?$|\blicens(e|ing) rights$|^(purchase|buy) (licensing|reprint)",
        r"^\d+\s*(min(ute)?s?|мин\.?)\s*(read|to read|reading)?$",
        r"^(listen( to (this|the) (article|story))?|print( this)?( article| page)?|font size|text size|comments?"
        r"|leave a (comment|reply)|\d+\s+comments?|show comments|report (an? )?(error|typo|mistake)"
        r"|found a (typo|mistake)\?.*)$",
        r"^(views?|просмотры|просмотров)\s*:?\s*[\d\s.,k]+$",
        r"^[\d\s.,k]+\s+(views?|reads?)$",
        r"^(photo|photos|image|picture|video|illustration|credit|source)s?\s*(credit)?\s*:\s*\S.{0,60}$",
        # Cookie notices.
        r"\b(we|this (web)?site|our (web)?site|it) uses? cookies\b",
        r"^(accept|reject|allow|decline|manage|customi[sz]e)\b.{0,20}\bcookies?\b",
        r"^cookies? (settings|policy|preferences|notice|consent)\b",
        r"\bcontinu\w+ to (use|browse)\b.{0,80}\b(agree|consent|accept)",
        r"^(privacy policy|terms of (use|service)|terms and conditions|about us|contact us|contacts|sitemap|rss"
        r"|advertising)$",
    )
]
# Words of navigation bars: a line made only of them is a menu, not a heading.
MENU_WORDS = frozenset(
    """home homepage news latest politics political economy business finance markets society culture sport sports
    world region regions regional local national international opinion opinions analysis features feature
    interview interviews video videos photo photos gallery galleries multimedia podcast podcasts audio live
    about contact contacts search menu login log in sign subscribe account en ru az ua ka hy tr de fr english
    русский azərbaycan қазақша українська ქართული türkçe deutsch français more all sections section topics
    tech technology science health lifestyle travel entertainment arts education environment climate energy
    military defense defence security war europe asia africa americas caucasus central eurasia russia ukraine
    azerbaijan georgia armenia kazakhstan uzbekistan kyrgyzstan tajikistan turkmenistan iran turkey us uk
    ge am kz uz tj kg newsletters newsletter events archive archives blogs blog columns columnists editorials editorial
    investigations special projects reports weather horoscope tv radio shop and of the &""".split()
)
# Menu words that are chrome even alone on a line.
MENU_ALONE = frozenset("home homepage menu search login sign subscribe newsletters archive sections topics".split())
# A dateline alone on its line: "BAKU, August 19. /TASS/.", "TBILISI, March 3 (Reuters) -".
DATELINE = re.compile(
    r"^[A-ZА-ЯЁ][A-ZА-ЯЁ .'-]+,\s+[^\d]{0,20}\d{1,4}[^.]{0,12}\.?\s*(/[^/]{1,30}/|\([^)]{1,30}\))?\.?\s*[-–—]?$"
)
# A line that ends with a photo credit is a caption.
PHOTO_CREDIT = re.compile(
    r"(©|\bphoto:|\bphoto by\b|\bphotograph:|\bcredit:|\(photo[:)]|/ (getty|afp|ap|reuters|tass|ria)\b)[^.]{0,80}\)?$",
    re.IGNORECASE,
)
# Social networks and share-bar words: a line made only of them is a share bar.
SHARE_WORDS = frozenset(
    """share shares sharing tweet retweet email e-mail mail print copy link url facebook twitter x telegram
    whatsapp linkedin vk vkontakte reddit pinterest instagram youtube tiktok threads bluesky mastodon
    odnoklassniki ok messenger viber pocket flipboard bookmark save comment comments on via this article
    story page with friends and or""".split()
)
# Words a date, time or "updated" line is made of.
DATE_WORDS = frozenset(
    """january february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue tues wed
    thu thurs fri sat sun am pm a.m p.m gmt utc bst cet cest est edt pst msk azt get amt eet eest updated
    update published posted last modified on at date time local hours hour ago minutes minute min mins
    yesterday today st nd rd th of
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря обновлено опубликовано
    yanvar fevral mart aprel may iyun iyul avqust sentyabr oktyabr noyabr dekabr""".split()
)
# Items of a navigation bar or breadcrumb separated by one of these, each item a few words.
MENU_SEPARATORS = re.compile(r"\s*(?:\||•|·|»|›|>|/|–|—)\s*")
DOMAIN_NAME = re.compile(r"^(https?://)?(www\.)?[\w-]+(\.[\w-]+)*\.[a-z]{2,12}/?$", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_][^\W\d_'’.-]*", re.UNICODE)
# A teaser block about other stories runs from this line to the end of the file.
TEASER_BLOCK_START = re.compile(r"^(check also|see also|more stories|related stories|read next)$", re.IGNORECASE)
# A list of other stories runs from this line to the next line of story text.
RELATED_LIST_START = re.compile(
    r"^(related|related (articles?|stories|news|content|posts)|read (more|also)|also read"
    r"|more (from|on|in|about|news)\b.*"
    r"|most (read|viewed|popular|shared)|recommended( for you)?|you (may|might) (also )?(like|be interested in)"
    r"|trending( now)?|latest( news)?|top stories|editor'?s? (picks|choice)|popular( now)?|what to read next"
    r"|don'?t miss"
    r"|in (other|the) news|tags|topics|keywords)\s*:?$",
    re.IGNORECASE,
)
# An item of such a list: a short teaser headline, not a sentence of story text.
RELATED_ITEM_MAX_WORDS = 16


class TextError(ValueError):
    """A file that cannot become a source. ``offset`` is a byte offset when known."""

    def __init__(self, message, offset=None):
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class SplitPassage:
    ordinal: int
    text: str
    start: int
    end: int
    kind: str

    @property
    def anchor(self):
        return f"p-{self.ordinal}"

    @property
    def citable(self):
        return self.kind != Kind.BOILERPLATE

    @property
    def content_hash(self):
        return sha256(self.text)


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(raw: bytes) -> str:
    """Decode strictly as UTF-8, drop leading BOMs, use LF line ends and NFC."""
    nul = raw.find(b"\x00")
    if nul != -1:
        raise TextError(f"contains a NUL byte at byte offset {nul}", offset=nul)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TextError(
            f"is not valid UTF-8: byte 0x{raw[error.start]:02x} at byte offset {error.start}",
            offset=error.start,
        ) from None
    # Files glued together by tools can start with several byte order marks; none of them is text.
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise TextError("is empty or holds only whitespace")
    return text


def is_heading(line):
    stripped = line.strip()
    return (
        len(stripped) <= HEADING_MAX_CHARS
        and len(stripped.split()) <= HEADING_MAX_WORDS
        and not stripped.endswith(CLOSING_PUNCTUATION)
    )


def _words(line):
    return [word.lower().strip(".'’-") for word in WORD.findall(line)]


def is_byline(line):
    """"By Jane Doe", "By Jane Doe and John Roe, Reuters": a short line naming people, not "By the end of May, …"."""
    match = re.match(r"^(?:written |reported |text |story |photos? )?by\s+(\S+)(.*)$", line, re.IGNORECASE)
    if not match or len(line.split()) > 14 or line.endswith((".", "!", "?", ";")) and not line.endswith(" Jr."):
        return False
    first, rest = match.groups()
    particles = {"and", "in", "for", "of", "de", "van", "von"}
    lowercase_words = [w for w in rest.replace(",", " ").split() if w[:1].islower() and w not in particles]
    return first[:1].isupper() and not lowercase_words


def is_date_line(line):
    """A date, a time or "Updated …" line, perhaps with a section name.

    "12 March 2024, 14:05", "Updated 2 hours ago", "March 12, 2024 2:05 PM GMT+4".
    """
    words = _words(line)
    if not any(character.isdigit() for character in line):
        return bool(words) and words[0] in {"updated", "published", "posted"} and len(words) <= 4
    return all(word in DATE_WORDS or word in MENU_WORDS for word in words) and len(line) <= 80


def is_menu(line):
    """A navigation bar or breadcrumb: menu words only, or several short items separated by |, •, », › …"""
    items = [item for item in MENU_SEPARATORS.split(line) if item.strip()]
    if len(items) >= 3 or (len(items) == 2 and re.search(r"[|•·»›>]", line)):
        if all(len(item.split()) <= 4 and not item.endswith(CLOSING_PUNCTUATION) for item in items):
            return True
    # One menu word alone ("Energy") may be a section heading of the story; a few in a row are a menu.
    words = _words(line)
    return (
        (len(words) >= 3 or (words and words[0] in MENU_ALONE))
        and not line.endswith(CLOSING_PUNCTUATION)
        and all(word in MENU_WORDS for word in words)
    )


def is_share_bar(line):
    words = _words(line)
    strong = {"share", "tweet", "facebook", "twitter", "telegram", "whatsapp", "linkedin", "email", "e-mail", "print",
              "reddit", "vk"}
    return (
        bool(words)
        and (len(words) >= 2 or words[0] in strong)
        and all(word in SHARE_WORDS for word in words)
    )


def is_boilerplate(line):
    stripped = line.strip()
    if any(pattern.search(stripped) for pattern in BOILERPLATE_LINES):
        return True
    if len(stripped) > CHROME_MAX_CHARS or len(stripped.split()) > CHROME_MAX_WORDS:
        return False
    return (
        any(pattern.search(stripped) for pattern in CHROME_LINES)
        or DOMAIN_NAME.match(stripped) is not None
        or is_byline(stripped)
        or is_date_line(stripped)
        or is_menu(stripped)
        or is_share_bar(stripped)
        or DATELINE.match(stripped) is not None
    )


def _headline(found):
    """The index of the page's headline among ``[content, offset, kind]`` lines, or None when it has none.

    The headline is a heading above the first paragraph: the first of at least four words that is not
    followed by a short heading (a site's tagline is followed by its section names; mastheads and section
    names are short); else the first followed at once by a byline, a date, a caption or story text; else
    the first.
    """
    lead = []
    for index, (_, _, kind) in enumerate(found):
        if kind == Kind.PARAGRAPH:
            break
        if kind == Kind.HEADING:
            lead.append(index)
    if not lead:
        return None
    def next_line(index):
        return found[index + 1] if index + 1 < len(found) else None

    def short_heading(line):
        return line is not None and line[2] == Kind.HEADING and len(line[0].split()) <= MASTHEAD_MAX_WORDS

    def introduces_story(line):
        return line is not None and (
            line[2] in (Kind.CAPTION, Kind.PARAGRAPH)
            or is_byline(line[0]) or is_date_line(line[0]) or DATELINE.match(line[0]) is not None
        )

    for index in lead:
        if len(found[index][0].split()) > MASTHEAD_MAX_WORDS and not short_heading(next_line(index)):
            return index
    return next((index for index in lead if introduces_story(next_line(index))), lead[0])


def headline(passages):
    """The passage that is the page's headline: a heading above the story, or None."""
    lead = []
    for passage in passages:
        if passage.kind == Kind.PARAGRAPH:
            break
        lead.append(passage)
    headings = [passage for passage in lead if passage.kind == Kind.HEADING]
    return headings[0] if headings else None


def _lines(text):
    """(content, offset) of every non-blank line, stripped."""
    lines = []
    position = 0
    for raw_line in text.split("\n"):
        content = raw_line.strip()
        if content:
            lines.append((content, position + raw_line.index(content)))
        position += len(raw_line) + 1
    return lines


def split(text, kind_overrides=None):
    """Split normalised text into passages, one per non-blank line.

    A line printed again anywhere later (a headline repeated above the story, a
    photo caption printed twice) is one passage at its first copy: a heading if
    it reads like one, otherwise a caption. Site chrome is boilerplate, and a
    list of other stories after a "Related" or "Most read" line is boilerplate
    up to the next line of story text. ``kind_overrides`` is a list of
    ``(prefix, kind)``; a passage whose text starts with ``prefix`` gets that kind.
    """
    lines = _lines(text)
    repeated = Counter(content for content, _ in lines)
    found = []  # [content, offset, kind]
    first_copy = {}
    in_teaser_block = in_related_list = False
    seen_paragraph = False
    for content, offset in lines:
        if content in first_copy:
            continue
        if TEASER_BLOCK_START.match(content):
            in_teaser_block = True
        heading_like = is_heading(content)
        boilerplate = is_boilerplate(content)
        if in_related_list and not boilerplate and (
            content.endswith(".") or len(content.split()) > RELATED_ITEM_MAX_WORDS
        ):
            in_related_list = False
        if RELATED_LIST_START.match(content):
            in_related_list = True
        if in_teaser_block or in_related_list or boilerplate:
            kind = Kind.BOILERPLATE
        elif repeated[content] > 1:
            # A headline printed twice comes before the story; a short line printed twice inside it is a caption.
            kind = Kind.HEADING if heading_like and not seen_paragraph else Kind.CAPTION
        elif PHOTO_CREDIT.search(content):
            kind = Kind.CAPTION
        elif heading_like:
            kind = Kind.HEADING
        else:
            kind = Kind.PARAGRAPH
        seen_paragraph = seen_paragraph or kind == Kind.PARAGRAPH
        first_copy[content] = len(found)
        found.append([content, offset, kind])

    headline = _headline(found)
    if headline is not None and any(kind == Kind.PARAGRAPH for _, _, kind in found):
        # Above the headline a copied page has only its masthead and section names.
        for line in found[:headline]:
            if line[2] == Kind.HEADING:
                line[2] = Kind.BOILERPLATE

    passages = []
    for content, offset, kind in found:
        for prefix, override in kind_overrides or ():
            if content.startswith(prefix):
                kind = override
        passages.append(
            SplitPassage(
                ordinal=len(passages) + 1, text=content, start=offset, end=offset + len(content), kind=kind
            )
        )
    return passages
