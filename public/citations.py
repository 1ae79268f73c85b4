"""Citations of briefings and of the sources they quote: a formatted reference for readers, and downloads for
reference managers (Zotero, EndNote, Mendeley, a LaTeX bibliography).

Each work is described once, as a CSL-JSON item (the Citation Style Language's data model, which citeproc-py
renders and Zotero, Mendeley and pandoc read). BibTeX and RIS are written from that same item, BibTeX by
bibtexparser and RIS by rispy, so the three downloads never disagree:

- ``/briefings/<slug>/cite.json|.bib|.ris``: the briefing;
- ``/briefings/<slug>/sources.json|.bib|.ris``: the sources its published revision quotes, in footnote order;
- ``/sources/<slug>/cite.json|.bib|.ris``: one source.

Only what readers can see is exported: a briefing without a public page answers 404. A retracted briefing keeps
its page, so it keeps its exports too, so that a reference to it can say what happened to it: its title starts
with "Retracted:" in every format, as on its page, and the item carries the retraction (CSL ``status``, a BibTeX
``note``, an RIS ``N1``). Exports name sources and their metadata only, never quoted words.

Authors are split into family and given names where the metadata allows: a briefing's authors by their profile
(their first and last name when the display name is exactly those), a source's from its ``authors`` field, a
comma-separated list of "Given Family" names. A one-word name or an organisation ("RFE/RL staff") is kept whole
(CSL ``literal``, a braced BibTeX name, the name as it is in RIS).

BibTeX is written in UTF-8, as biber, JabRef and Zotero read it: Azerbaijani and Cyrillic letters are kept as
they are, and only the characters that mean something to LaTeX (``\\ { } & % $ # _ ~ ^``) are escaped.
"""
import html
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import bibtexparser
import rispy
from bibtexparser import model as bibtex
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from briefings.models import byline_name, split_person_name

# The style of the formatted citation on briefing pages: Harvard (Cite Them Right), the one citeproc-py ships.
STYLE = "harvard-cite-them-right"
RETRACTED_PREFIX = "Retracted: "
# Words that make a name in a source's byline an organisation rather than a person.
ORGANISATION_WORDS = {
    "staff", "desk", "service", "agency", "news", "bureau", "team", "editors", "editorial", "reporters",
    "correspondents", "correspondent", "press", "newsroom", "institute", "centre", "center", "office", "monitor",
}
LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
# A URL is written as it is (biblatex reads it verbatim); only what would break the braces around it is encoded.
URL_UNSAFE = {"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20"}
BIBTEX_TYPES = {"article-newspaper": "article", "webpage": "online"}
RIS_TYPES = {"article-newspaper": "NEWS", "webpage": "ELEC"}


@dataclass(frozen=True)
class Format:
    extension: str
    content_type: str


FORMATS = {
    "json": Format("json", "application/vnd.citationstyles.csl+json; charset=utf-8"),
    "bib": Format("bib", "application/x-bibtex; charset=utf-8"),
    "ris": Format("ris", "application/x-research-info-systems; charset=utf-8"),
}


# Names --------------------------------------------------------------------------------------------


def is_organisation(name):
    words = {word.strip(".,").lower() for word in name.split()}
    return bool(words & ORGANISATION_WORDS) or any(mark in name for mark in "/&@")


def csl_name(name, given=None, family=None):
    """A CSL name: family and given when known or when ``name`` reads as "Given Family", else the name whole."""
    name = " ".join(name.split())
    if given is None and not is_organisation(name):
        given, family = split_person_name(name)
    if given and family:
        return {"family": family, "given": given}
    return {"literal": name}


def source_names(authors):
    """CSL names of a source's ``authors`` field: names separated by commas, semicolons or " and "."""
    parts = re.split(r"\s*[;,]\s*|\s+and\s+|\s*&\s*(?=[A-Z])", authors or "")
    return [csl_name(part) for part in parts if part.strip()]


def byline_csl_name(user):
    """A briefing author's CSL name, from their profile (see ``AuthorProfile.name_parts``)."""
    profile = getattr(user, "author_profile", None)
    if profile is None:
        return csl_name(byline_name(user))
    given, family = profile.name_parts()
    return csl_name(profile.name, given or None, family)


# CSL-JSON items -----------------------------------------------------------------------------------


def date_parts(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


def briefing_item(briefing, site_root):
    """The CSL-JSON item of a briefing with a public page, as readers see it (its published revision)."""
    revision = briefing.published_revision
    item = {
        "id": briefing.slug,
        "type": "article-newspaper",
        "title": (RETRACTED_PREFIX if briefing.is_retracted else "") + revision.title,
        "author": [byline_csl_name(user) for user in briefing.authors.all()],
        "issued": date_parts(timezone.localdate(briefing.published_at)),
        "container-title": settings.SITE_NAME,
        "publisher": settings.SITE_NAME,
        "URL": site_root + briefing.get_absolute_url(),
    }
    if revision.dek:
        item["abstract"] = revision.dek
    if briefing.is_retracted:
        item["status"] = "retracted"
    return {key: value for key, value in item.items() if value}


def source_item(source, site_root):
    """The CSL-JSON item of a source article; its address is the original's, or its copy here when none is known."""
    item = {
        "id": f"source-{source.slug}",
        "type": "article-newspaper" if source.publisher else "webpage",
        "title": source.display_title,
        "author": source_names(source.authors),
        "container-title": source.publisher,
        "publisher": source.publisher,
        "URL": source.url or site_root + source.get_absolute_url(),
        "language": source.language,
    }
    if source.published_on:
        item["issued"] = date_parts(source.published_on)
    return {key: value for key, value in item.items() if value}


# Writing ------------------------------------------------------------------------------------------


def to_csl_json(items):
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def latex_escape(text):
    return "".join(LATEX_SPECIAL.get(char, char) for char in " ".join(str(text).split()))


def bibtex_name(name):
    if "literal" in name:
        return "{" + latex_escape(name["literal"]) + "}"
    return f"{latex_escape(name['family'])}, {latex_escape(name['given'])}"


def bibtex_entry(item):
    fields = [("author", " and ".join(bibtex_name(name) for name in item.get("author", [])))]
    fields.append(("title", latex_escape(item["title"])))
    container = "journal" if item["type"] == "article-newspaper" else "organization"
    fields.append((container, latex_escape(item.get("container-title", ""))))
    fields.append(("publisher", latex_escape(item.get("publisher", ""))))
    if "issued" in item:
        year, month, day = item["issued"]["date-parts"][0]
        fields += [("year", str(year)), ("month", str(month)), ("date", f"{year:04d}-{month:02d}-{day:02d}")]
    fields.append(("url", "".join(URL_UNSAFE.get(char, char) for char in item.get("URL", ""))))
    fields.append(("abstract", latex_escape(item.get("abstract", ""))))
    fields.append(("language", latex_escape(item.get("language", ""))))
    if item.get("status") == "retracted":
        fields.append(("note", "Retracted"))
    return bibtex.Entry(
        BIBTEX_TYPES.get(item["type"], "misc"),
        item["id"],
        [bibtex.Field(key, value) for key, value in fields if value],
    )


def to_bibtex(items):
    return bibtexparser.write_string(bibtexparser.Library([bibtex_entry(item) for item in items]))


def ris_name(name):
    return name.get("literal") or f"{name['family']}, {name['given']}"


def ris_entry(item):
    entry = {
        "type_of_reference": RIS_TYPES.get(item["type"], "GEN"),
        "id": item["id"],
        "title": item["title"],
        "authors": [ris_name(name) for name in item.get("author", [])],
        "secondary_title": item.get("container-title", ""),
        "publisher": item.get("publisher", ""),
        "urls": [item["URL"]] if item.get("URL") else [],
        "abstract": item.get("abstract", ""),
        "language": item.get("language", ""),
        "notes": ["Retracted"] if item.get("status") == "retracted" else [],
    }
    if "issued" in item:
        year, month, day = item["issued"]["date-parts"][0]
        entry["year"] = f"{year:04d}"
        entry["date"] = f"{year:04d}/{month:02d}/{day:02d}/"
    # RIS is one field per line: a line break inside a value would start a new, unknown field.
    return {
        key: [" ".join(v.split()) for v in value] if isinstance(value, list) else " ".join(value.split())
        for key, value in entry.items() if value
    }


def to_ris(items):
    return rispy.dumps([ris_entry(item) for item in items])


WRITERS = {"json": to_csl_json, "bib": to_bibtex, "ris": to_ris}


def download(items, extension, filename):
    """The items in one export format, as a download named ``filename`` with the format's extension."""
    if extension not in FORMATS:
        raise Http404("No such export format.")
    export = FORMATS[extension]
    response = HttpResponse(WRITERS[extension](items), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export.extension}"'
    return response


# Formatted for readers ----------------------------------------------------------------------------

# citeproc-py's style objects are costly to read from their XML and not meant to be shared between threads.
_style_lock = threading.Lock()


@lru_cache(maxsize=1)
def _style():
    return CitationStylesStyle(STYLE, validate=False)


def _escaped(value):
    """A copy of an item whose text is HTML-escaped: citeproc-py's HTML output adds markup but escapes nothing."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(part) for part in value]
    if isinstance(value, dict):
        return {key: _escaped(part) for key, part in value.items()}
    return value


def formatted(item):
    """The item as a reference in the house style, as safe HTML (titles in italics where the style says so)."""
    with _style_lock:
        bibliography = CitationStylesBibliography(_style(), CiteProcJSON([_escaped(item)]), formatter.html)
        bibliography.register(Citation([CitationItem(item["id"])]))
        return mark_safe(str(bibliography.bibliography()[0]))
