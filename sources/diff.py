"""Word-level differences, shared by briefing revisions and source versions.

A changed line (or passage) is shown as runs of equal, deleted and inserted words, so a reader sees exactly
which words changed rather than two whole paragraphs.
"""
import difflib
import re
from dataclasses import dataclass

TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass
class Segment:
    """A run of words in a changed line: ``kind`` is "equal", "delete" or "insert"."""

    kind: str
    text: str


def diff_words(old, new):
    """Word-level segments turning ``old`` into ``new``."""
    old_tokens, new_tokens = TOKEN.findall(old), TOKEN.findall(new)
    segments = []
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(old_tokens[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            segments.append(Segment("insert", "".join(new_tokens[j1:j2])))
    return segments
