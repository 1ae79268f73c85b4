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


@dataclass(frozen=True)
class Query:
    """A reader's search as typed (``text``, which PostgreSQL parses itself) and as parsed (``groups``)."""

    text: str
    groups: list

    @classmethod
    def of(cls, text):
        # The same word typed composed or decomposed is one word. No database takes a NUL inside a text
        # (PostgreSQL refuses it outright), and no word contains a control character or a lone surrogate.
        text = unicodedata.normalize("NFC", text or "")
        if not text.isprintable():
            text = "".join(" " if unicodedata.category(char) in {"Cc", "Cs"} else char for char in text)
        return cls(text, parse(text))

    @property
    def required_terms(self):
        return [term for group in self.groups for term in group.required]
