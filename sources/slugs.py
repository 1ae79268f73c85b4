"""Slugs for addresses: made from text, and kept unique by numbering."""
from django.utils.text import slugify

MAX_BASE_LENGTH = 200


def slug_base(text, fallback=""):
    """A slug of ``text`` short enough to take a number, or ``fallback`` when the text has no letters or digits."""
    return slugify(text)[:MAX_BASE_LENGTH].strip("-") or fallback


def unique_slug(base, taken):
    """``base``, or the first of ``base-2``, ``base-3``… that is not in ``taken``."""
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
