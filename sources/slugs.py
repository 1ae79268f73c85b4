"""Slugs for addresses: made from text, and kept unique by numbering.

Addresses are ASCII. Letters that Unicode decomposition cannot turn into Latin
ones (Cyrillic, and Azerbaijani or Turkish letters such as ə and ı) are
transliterated first, so a Russian or Azerbaijani headline gets a readable
address instead of none.
"""
import unicodedata

from django.utils.text import slugify

MAX_BASE_LENGTH = 200

# Latin letters without a decomposition to plain ASCII (Azerbaijani, Turkish and a few neighbours).
LATIN = {
    "ə": "e", "Ə": "E", "ı": "i", "İ": "I", "ğ": "g", "Ğ": "G", "ş": "s", "Ş": "S", "ç": "c", "Ç": "C",
    "ö": "o", "Ö": "O", "ü": "u", "Ü": "U", "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d",
    "Đ": "D", "ł": "l", "Ł": "L", "œ": "oe", "Œ": "OE", "þ": "th", "ð": "d",
}
# Cyrillic, after the common passport-style romanisation (Russian, Ukrainian, Belarusian, Kazakh, Serbian).
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia", "є": "ie", "і": "i", "ї": "i", "ґ": "g", "ў": "u", "ә": "a", "ғ": "g",
    "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c",
    "ђ": "dj", "џ": "dz", "ѕ": "dz",
}
TRANSLITERATION = {
    **LATIN,
    **CYRILLIC,
    **{upper: value.capitalize() for lower, value in CYRILLIC.items() if (upper := lower.upper()) != lower},
}


def transliterate(text):
    """``text`` in ASCII letters where a romanisation is known; other characters are left for slugify."""
    text = unicodedata.normalize("NFC", text)
    return "".join(TRANSLITERATION.get(character, character) for character in text)


def slug_base(text, fallback=""):
    """A slug of ``text`` short enough to take a number, or ``fallback`` when the text has no letters or digits."""
    # Only the start of a long text can reach the slug; slugifying all of it would waste time on megabytes.
    return slugify(transliterate(text[: MAX_BASE_LENGTH * 4]))[:MAX_BASE_LENGTH].strip("-") or fallback


def unique_slug(base, taken):
    """``base``, or the first of ``base-2``, ``base-3``… that is not in ``taken``."""
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
