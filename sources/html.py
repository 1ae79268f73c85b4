"""Reading a saved web page (``.html``): its main text and the metadata it states.

trafilatura finds the article in the page and reads the title, author, site
name, publication date and canonical URL from the page's own markup (meta
tags, JSON-LD, the title element); the language comes from the page's ``lang``
attribute. Nothing is guessed: a value the page does not state stays empty (in
particular, a site name that is only the URL's host name is dropped, and dates
are looked for in the markup and the URL, never in the running text).
"""
import datetime
import re

import lxml.html
import trafilatura

from .text import TextError, is_heading, normalise

# htmldate: only dates the page states for the article, no guessing from free text.
DATE_PARAMETERS = {"extensive_search": False, "original_date": True}
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)


def is_html(name):
    return name.lower().endswith((".html", ".htm"))


def read_page(raw: bytes):
    """Return (normalised main text, {metadata field: value}) for a saved page; raise TextError."""
    nul = raw.find(b"\x00")
    if nul != -1:
        raise TextError(f"contains a NUL byte at byte offset {nul}", offset=nul)
    if not raw.strip():
        raise TextError("is empty or holds only whitespace")
    try:
        document = trafilatura.bare_extraction(
            raw,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            date_extraction_params=DATE_PARAMETERS,
        )
    except (ValueError, TypeError) as error:  # lxml refuses some malformed documents
        raise TextError(f"cannot be read as a web page: {error}") from None
    body = (document.text or "").strip() if document is not None else ""
    if not body:
        raise TextError("is a web page with no main text (only navigation, or an empty article)")

    metadata = {
        "title": _clean(document.title),
        "authors": _clean(document.author).replace("; ", ", "),
        "publisher": _clean(document.sitename),
        "url": _clean(document.url) if (document.url or "").startswith(("http://", "https://")) else "",
        "published_on": _date(document.date),
        "language": _language(raw),
    }
    host = (document.hostname or "").removeprefix("www.")
    if metadata["publisher"].lower().removeprefix("www.") == host.lower() and host:
        metadata["publisher"] = ""  # only the URL's host name: the page states no site name
    lines = body.split("\n")
    title = metadata["title"]
    if title and is_heading(title) and title not in (line.strip() for line in lines):
        # The headline is part of the article a reader sees, even when the extractor left it out of the body.
        body = title + "\n" + body
    text = normalise(body.encode("utf-8") + b"\n")
    return text, {key: value for key, value in metadata.items() if value}


def _clean(value):
    return " ".join((value or "").split())


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _language(raw):
    """The primary language the page declares on its root element, e.g. ``en`` for ``en-GB``."""
    try:
        root = lxml.html.document_fromstring(raw)
    except (ValueError, lxml.etree.ParserError):
        return ""
    declared = (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    if not declared:
        meta = root.xpath('//meta[translate(@http-equiv, "CONTENT-LANGUAGE", "content-language")'
                          '="content-language"]/@content')
        declared = meta[0].split(",")[0].strip() if meta else ""
    return declared.split("-")[0].lower() if LANGUAGE.match(declared) else ""
