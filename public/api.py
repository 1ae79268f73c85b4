"""The read-only JSON API, and each briefing's citations as a W3C Web Annotation collection.

- ``/api/briefings/``: published briefings, newest first, with the home page's
  filter parameters and ``page``; ``count``, ``next``, ``previous``, ``results``.
- ``/api/briefings/<slug>/``: one briefing as readers see it (the published
  revision), with its citations and corrections.
- ``/api/briefings/<slug>/annotations/``: one ``Annotation`` per citation whose
  target is the source page, selected by ``TextQuoteSelector`` (exact words
  with prefix and suffix) and ``TextPositionSelector`` (offsets in the
  source's normalised text, as imported), plus the passage fragment refined by
  the offsets inside the passage, so other tools can find the words again.
"""
import json

from django.core.paginator import InvalidPage, Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from briefings.models import display_name

from . import queries
from .filters import BriefingFilter

PAGE_SIZE = 20
ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ANNOTATION_CONTENT_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def _person(user):
    return {"username": user.get_username(), "name": display_name(user)}


def _summary(request, briefing):
    revision = briefing.published_revision
    return {
        "slug": briefing.slug,
        "url": request.build_absolute_uri(briefing.get_absolute_url()),
        "api_url": request.build_absolute_uri(reverse("public:api_detail", kwargs={"slug": briefing.slug})),
        "title": revision.title,
        "dek": revision.dek,
        "published_at": briefing.published_at.isoformat(),
        "updated_at": briefing.last_public_change.isoformat(),
        "authors": [_person(user) for user in briefing.authors.all()],
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in revision.tags.all()],
    }


def _citation(request, citation):
    passage = citation.passage
    source = passage.source
    return {
        "label": citation.label,
        "quote": citation.quote,
        "prefix": citation.prefix,
        "suffix": citation.suffix,
        "note": citation.note,
        "status": citation.status,
        "source": {
            "slug": source.slug,
            "title": source.display_title,
            "publisher": source.publisher,
            "original_url": source.url,
            "url": request.build_absolute_uri(source.get_absolute_url()),
        },
        "passage": {
            "anchor": passage.anchor,
            # The passage's own address: it redirects to the page of the source that holds it.
            "url": request.build_absolute_uri(
                reverse("public:passage", kwargs={"slug": source.slug, "anchor_number": passage.anchor_number})
            ),
            "start": citation.start,
            "end": citation.end,
        },
    }


def _bad_request(errors):
    return JsonResponse({"errors": errors}, status=400)


def _page_url(request, number):
    query = request.GET.copy()
    query["page"] = number
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@require_GET
def briefing_list(request):
    filterset = BriefingFilter(request.GET or None, queryset=queries.briefings(), request=request)
    if filterset.is_bound and not filterset.is_valid():
        return _bad_request(filterset.errors.get_json_data())
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        return _bad_request({"page": [{"message": str(error), "code": "invalid_page"}]})
    return JsonResponse(
        {
            "count": paginator.count,
            "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
            "previous": _page_url(request, page.previous_page_number()) if page.has_previous() else None,
            "results": [_summary(request, briefing) for briefing in page.object_list],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def briefing_detail(request, slug):
    briefing = get_object_or_404(queries.briefing_pages(), slug=slug)
    revision = briefing.published_revision
    corrections = list(briefing.corrections.all())
    data = _summary(request, briefing)
    data.update(
        retracted=briefing.is_retracted,
        body_html=revision.body_html,
        citations=[_citation(request, citation) for citation in revision.citations.all()],
        corrections=[
            {"kind": correction.kind, "note": correction.note, "created_at": correction.created_at.isoformat()}
            for correction in corrections
        ],
        annotations_url=request.build_absolute_uri(reverse("public:api_annotations", kwargs={"slug": slug})),
    )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def annotation(request, briefing, citation):
    """One citation as a W3C Web Annotation: the briefing quotes words of the source."""
    passage = citation.passage
    source = passage.source
    briefing_url = request.build_absolute_uri(briefing.get_absolute_url())
    item = {
        "id": f"{briefing_url}#citation-{citation.label}",
        "type": "Annotation",
        "motivation": "quoting",
        "created": briefing.published_at.isoformat(),
        "modified": briefing.last_public_change.isoformat(),
        "creator": [{"type": "Person", "nickname": user.get_username(), "name": display_name(user)}
                    for user in briefing.authors.all()],
        "body": [{"type": "SpecificResource", "source": briefing_url, "purpose": "linking"}],
        "target": {
            "type": "SpecificResource",
            "source": request.build_absolute_uri(source.get_absolute_url()),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": citation.quote,
                    "prefix": citation.prefix,
                    "suffix": citation.suffix,
                },
                {
                    "type": "TextPositionSelector",
                    "start": passage.start + citation.start,
                    "end": passage.start + citation.end,
                },
                {
                    "type": "FragmentSelector",
                    "conformsTo": "http://tools.ietf.org/rfc/rfc3986",
                    "value": passage.anchor,
                    "refinedBy": {"type": "TextPositionSelector", "start": citation.start, "end": citation.end},
                },
            ],
        },
    }
    if citation.note:
        item["body"].append({"type": "TextualBody", "value": citation.note, "format": "text/plain",
                             "purpose": "commenting"})
    return item


@require_GET
def briefing_annotations(request, slug):
    briefing = get_object_or_404(queries.briefing_pages(), slug=slug)
    citations = list(briefing.published_revision.citations.all())
    collection_url = request.build_absolute_uri(request.path)
    data = {
        "@context": ANNOTATION_CONTEXT,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": f"Citations of “{briefing.published_revision.title}”",
        "total": len(citations),
        "first": {
            "id": f"{collection_url}#page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [annotation(request, briefing, citation) for citation in citations],
        },
    }
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return HttpResponse(body, content_type=ANNOTATION_CONTENT_TYPE)
