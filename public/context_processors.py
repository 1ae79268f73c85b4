from django.conf import settings

# Which item of the main navigation the current page belongs to, by URL name.
SECTIONS = {
    "source_list": "sources",
    "tag_list": "tags",
    "tag_detail": "tags",
    "corrections": "corrections",
    "search": "search",
    "list": "briefings",
    "detail": "briefings",
    "source_detail": "sources",
}


def site(request):
    """The site's name and the navigation section of the page, for base.html."""
    match = getattr(request, "resolver_match", None)
    section = ""
    if match is not None:
        section = SECTIONS.get(match.url_name, "") if match.namespace == "public" else ""
    return {"site_name": settings.SITE_NAME, "section": section}
