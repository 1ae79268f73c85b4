"""Template filters of the public site."""
import json
import re
from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from briefings.models import byline_name, display_name
from public.search.results import MARK_END, MARK_START

register = template.Library()
register.filter("display_name", display_name)
# Readers see a person's profile name, never their login name (``display_name`` falls back to it).
register.filter("byline_name", byline_name)

# Markdown punctuation that means nothing in a one-line excerpt of a body.
FOOTNOTE_MARKER = re.compile(r"\[\^[^\]\s]+\]")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|^#{1,6}\s+|^>\s?|`", re.MULTILINE)
JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def snippet(text):
    """A search excerpt: Markdown punctuation dropped, everything escaped, matched words in <mark>."""
    text = FOOTNOTE_MARKER.sub("", text or "")
    text = LINK.sub(r"\1", text)
    text = EMPHASIS.sub("", text)
    text = " ".join(text.split())
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    # A fragment may cut a highlighted word in two; never leave a tag open.
    opened, closed = html.count("<mark>"), html.count("</mark>")
    html += "</mark>" * max(0, opened - closed)
    return mark_safe(html)


@register.filter
def jsonld(data):
    """JSON for a <script type="application/ld+json"> element: nothing in it can close the element."""
    return mark_safe(json.dumps(data, ensure_ascii=False, sort_keys=False).translate(JSON_ESCAPES))


@register.filter
def machine_time(value):
    """A datetime attribute value: to the second, with its offset (HTML allows at most three decimals)."""
    return value.isoformat(timespec="seconds") if value else ""


@lru_cache(maxsize=4096)
def _reverse(urlconf, prefix, name, args):
    return reverse(name, urlconf=urlconf, args=args)


def _forget_addresses(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()


setting_changed.connect(_forget_addresses)


def site_url(name, *args):
    """``reverse(name, args=args)``, worked out once per address: a list page links the same tags many times."""
    return _reverse(get_urlconf(), get_script_prefix(), name, args)


@register.simple_tag(name="site_url")
def site_url_tag(name, *args):
    """As ``{% url %}`` for the public site's pages, remembered across requests."""
    return site_url(name, *args)
