"""What readers type, read as web-search syntax: words, "quoted phrases", ``or`` and ``-word``."""
import re
import unicodedata
from dataclasses import dataclass, field

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class Group:
    """Terms that must all occur (``required``) and none of ``excluded``."""

    required: list = field(default_factory=list)
    excluded: list = field(default_factory=list)


def parse(text):
    """Groups of terms joined by ``or``, in the web-search syntax of websearch_to_tsquery."""
    groups, current = [], Group()
    for negated, phrase, word in TOKEN.findall(text or ""):
        if word and word.lower() == "or":
            if current.required:
                groups.append(current)
            current = Group()
            continue
        if word.startswith("-") and len(word) > 1:
            negated, word = "-", word[1:]
        term = (phrase if phrase else word).strip()
        if not WORD.search(term):
            continue
        (current.excluded if negated else current.required).append(term)
    if current.required:
        groups.append(current)
    return groups


def readable(value):
    """``value`` in NFC with control characters, lone surrogates and non-characters made spaces.

    No database stores a NUL inside a text (PostgreSQL refuses it outright), no XML
    feed may carry a control character, and the same word typed composed or
    decomposed is one word.
    """
    value = unicodedata.normalize("NFC", value)
    if value.isprintable():
        return value
    return "".join(
        " " if unicodedata.category(char) in {"Cc", "Cs"} or char in "\ufffe\uffff" else char for char in value
    )


@dataclass(frozen=True)
class Query:
    """A reader's search as typed (``text``, which PostgreSQL parses itself) and as parsed (``groups``)."""

    text: str
    groups: list
    # What a backend worked out for the query once, for every statement of one search (PostgreSQL: the
    # configurations the passages' query is asked in).
    prepared: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, text):
        text = readable(text or "")
        return cls(text, parse(text))

    @property
    def required_terms(self):
        return [term for group in self.groups for term in group.required]
