"""Turning an article file into normalised text and exact passages.

Normalisation changes only what differs between copies of the same article
(encoding marks, line endings, Unicode composition); every character a reader
sees stays as printed, so a quote can always be found verbatim.
"""
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from .models import Passage

# What a passage is, as stored on Passage.kind.
Kind = Passage.Kind
KINDS = tuple(Kind.values)

# A heading is a short line that does not end a sentence.
HEADING_MAX_WORDS = 12
CLOSING_PUNCTUATION = tuple(".!?:;…\"”’')]")

# Site chrome that appears on news pages regardless of the story.
BOILERPLATE_LINES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^accessibility links$",
        r"^breaking news$",
        r"^skip to (main )?content$",
        r"^(share|share this|print|email|advertisement|related|read more|most popular)$",
        r"^to find out more, click here\.?$",
        r"^publication:.*\b(volume|issue)\b",
        r"^(copyright|©)\b",
        r"all rights reserved\.?$",
        r"has been declared an? [\"“]?undesirable organi[sz]ation",
        r"could face fines or imprisonment for sharing",
    )
]
# A teaser block about other stories runs from this line to the end of the file.
TEASER_BLOCK_START = re.compile(r"^(check also|see also|more stories|related stories|read next)$", re.IGNORECASE)


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
    return len(stripped.split()) <= HEADING_MAX_WORDS and not stripped.endswith(CLOSING_PUNCTUATION)


def is_boilerplate(line):
    stripped = line.strip()
    return any(pattern.search(stripped) for pattern in BOILERPLATE_LINES)


def split(text, kind_overrides=None):
    """Split normalised text into passages, one per non-blank line.

    Consecutive identical lines (a photo caption printed twice) become one
    caption passage at the first copy. ``kind_overrides`` is a list of
    ``(prefix, kind)``; a passage whose text starts with ``prefix`` gets that kind.
    """
    lines = []
    position = 0
    for raw_line in text.split("\n"):
        content = raw_line.strip()
        if content:
            offset = position + raw_line.index(content)
            lines.append((content, offset))
        position += len(raw_line) + 1

    passages = []
    in_teaser_block = False
    index = 0
    while index < len(lines):
        content, offset = lines[index]
        repeats = 1
        while index + repeats < len(lines) and lines[index + repeats][0] == content:
            repeats += 1
        if TEASER_BLOCK_START.match(content):
            in_teaser_block = True
        if in_teaser_block or is_boilerplate(content):
            kind = Kind.BOILERPLATE
        elif repeats > 1:
            kind = Kind.CAPTION
        elif is_heading(content):
            kind = Kind.HEADING
        else:
            kind = Kind.PARAGRAPH
        for prefix, override in kind_overrides or ():
            if content.startswith(prefix):
                kind = override
        passages.append(
            SplitPassage(
                ordinal=len(passages) + 1, text=content, start=offset, end=offset + len(content), kind=kind
            )
        )
        index += repeats
    return passages
