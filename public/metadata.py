"""What machines read about a public briefing: schema.org JSON-LD, and where a quote sits in its passage."""
from django.conf import settings

from briefings.models import byline_name

from .templatetags.public_site import site_url


def person(user, site=None):
    """schema.org ``Person`` for a byline, with the author page's address when ``site`` is given and they have one."""
    data = {"@type": "Person", "name": byline_name(user)}
    profile = getattr(user, "author_profile", None)
    if site is not None and profile is not None:
        data["url"] = site + site_url("public:author_detail", profile.slug)
    return data


def cited_work(citation, site):
    """schema.org ``CreativeWork`` for a ``public.PageCitation``."""
    return {
        "@type": "CreativeWork",
        "name": citation.source_name,
        "url": f"{site}{site_url('public:source_detail', citation.source_slug)}#{citation.anchor}",
        "text": citation.quote,
        **({"sameAs": citation.source_url} if citation.source_url else {}),
        **({"publisher": {"@type": "Organization", "name": citation.source_publisher}}
           if citation.source_publisher else {}),
    }


def article(request, briefing, *, authors, tags, citations, corrections, authors_without_page=frozenset()):
    """schema.org ``AnalysisNewsArticle`` for a briefing page, from the rows the page itself shows."""
    revision = briefing.published_revision
    # Every address of the page is on this site: the root is worked out once, not once per citation.
    root = request.build_absolute_uri("/")
    site = root.rstrip("/")
    url = site + site_url("public:detail", briefing.slug)
    data = {
        "@context": "https://schema.org",
        "@type": "AnalysisNewsArticle",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": revision.title,
        "description": revision.dek,
        "datePublished": briefing.published_at.isoformat(),
        "dateModified": briefing.last_public_change.isoformat(),
        "author": [person(user, None if user.pk in authors_without_page else site) for user in authors],
        "keywords": [tag.name for tag in tags],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME, "url": root},
        "isAccessibleForFree": True,
        "citation": [cited_work(citation, site) for citation in citations],
        "correction": [
            {
                "@type": "CorrectionComment",
                "text": correction.note,
                "datePublished": correction.created_at.isoformat(),
                "url": f"{url}#correction-{correction.pk}",
            }
            for correction in corrections
        ],
    }
    if briefing.is_retracted:
        data["creativeWorkStatus"] = "Retracted"
    return data


def split_for_highlight(text, citation):
    """(before, quote, after) of the passage text around the cited words, or None when they are not there.

    The stored offsets are tried first; if the passage changed under them the
    exact quote is looked for instead. Words that cannot be found are never
    highlighted somewhere else.
    """
    start, end = citation.start, citation.end
    if not (0 <= start < end <= len(text)) or text[start:end] != citation.quote:
        start = text.find(citation.quote) if citation.quote else -1
        if start < 0:
            return None
        end = start + len(citation.quote)
    return text[:start], text[start:end], text[end:]


def author_page(request, profile):
    """schema.org ``ProfilePage`` of an author page, its ``Person`` carrying the page's address."""
    url = request.build_absolute_uri(site_url("public:author_detail", profile.slug))
    author = {"@type": "Person", "name": profile.name, "url": url}
    if profile.bio:
        author["description"] = profile.bio
    return {"@context": "https://schema.org", "@type": "ProfilePage", "url": url, "mainEntity": author}


def citation_meta(item):
    """The ``<meta name="citation_…">`` tags Zotero and Google Scholar read, as (name, content) pairs.

    Built from the briefing's CSL-JSON item (``public.citations``), so the page and its downloads agree.
    """
    tags = [("citation_title", item["title"])]
    for name in item.get("author", []):
        tags.append(("citation_author", name.get("literal") or f"{name['family']}, {name['given']}"))
    year, month, day = item["issued"]["date-parts"][0]
    tags.append(("citation_publication_date", f"{year:04d}/{month:02d}/{day:02d}"))
    tags.append(("citation_publisher", item["publisher"]))
    tags.append(("citation_public_url", item["URL"]))
    tags.append(("citation_abstract_html_url", item["URL"]))
    if item.get("abstract"):
        tags.append(("citation_abstract", item["abstract"]))
    tags.append(("citation_language", settings.LANGUAGE_CODE.split("-")[0]))
    return tags
