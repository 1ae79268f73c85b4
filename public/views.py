"""The public, read-only pages. Each view picks a query from ``public``, a filter set or a form, and a template.

Caching and conditional GET are applied to every route in ``urls.py``.
"""
from functools import wraps

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Max
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView, TemplateView, View
from django_filters.views import FilterView

from briefings import preview as preview_links
from briefings import revisions
from briefings.models import TagRedirect
from sources import versions
from sources.models import Passage, Source, SourceVersion, VersionPassage

from . import citations, fragments, metadata, queries, search
from .filters import BriefingFilter
from .templatetags.public_site import site_url


class FilterQueryMixin:
    """The list's current filter as a query string, for pagination links and the matching feeds."""

    def filter_querystring(self):
        query = self.request.GET.copy()
        query.pop("page", None)
        for key in [key for key, values in query.lists() if not any(values)]:
            del query[key]
        return query.urlencode()


class KeptCountMixin:
    """A list of briefings whose paginator's count is kept per public version and address (``fragments.list_count``)."""

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # ``count`` is a cached property: the kept number stands in for the COUNT query over every match.
        paginator.count = fragments.list_count(self.request, paginator.object_list.count)
        return paginator


class BriefingListView(KeptCountMixin, FilterQueryMixin, FilterView):
    """Home page: published briefings, newest first, narrowed by the filter form."""

    template_name = "public/briefing_list.html"
    filterset_class = BriefingFilter
    context_object_name = "briefings"
    paginate_by = 20

    def get_queryset(self):
        return queries.briefings(prefetch=False)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        querystring = self.filter_querystring()
        context.update(
            briefing_list=fragments.briefing_list(self.request, context["page_obj"], querystring=querystring),
            querystring=querystring,
            filter_description=self.filterset.describe(),
            filter_errors=self.filterset.is_bound and not self.filterset.is_valid(),
            feed_url=reverse("public:feed") + (f"?{querystring}" if querystring else ""),
            atom_url=reverse("public:feed_atom") + (f"?{querystring}" if querystring else ""),
        )
        context["filter_form"] = fragments.filter_form(self.request, self.filterset, context)
        return context


class BriefingDetailView(View):
    """A briefing as published: its published revision, footnotes, quotes, corrections, retraction notice.

    The whole page is kept (``fragments.briefing_page``): a page-cache miss reads the briefing's stamps and,
    unless its page is kept, the briefing in full to render it.
    """

    template_name = "public/briefing_detail.html"

    def get(self, request, slug):
        stamps = next(iter(queries.briefing_page_stamps().filter(slug=slug).order_by()), None)  # slugs are unique
        if stamps is None:
            raise Http404("No published briefing at this address.")
        return HttpResponse(fragments.briefing_page(request, stamps, lambda: self.render_page(stamps.pk)))

    def render_page(self, pk):
        # Read after the stamps: a change committed in between gives a newer page under the older key, which
        # only requests that read the older stamps (at the same moment) could be given.
        briefing = get_object_or_404(queries.briefing_page_headers(), pk=pk)
        context = {
            "briefing": briefing,
            "briefing_url": site_url("public:detail", briefing.slug),
            "revision": briefing.published_revision,
            "is_retracted": briefing.is_retracted,
            "parts": fragments.briefing_parts(self.request, briefing),
        }
        return render_to_string(self.template_name, context, self.request)


class SourceListView(ListView):
    """Every source article the desk has imported, with its publisher and how many passages it has."""

    template_name = "public/source_list.html"
    context_object_name = "sources"
    paginate_by = 50

    def get_queryset(self):
        return queries.source_list()


class SourcePassagesMixin:
    """A version's passages a page at a time, "cited by" under each, and the highlighted quote's page.

    Without a highlight, the passages and the pagination are kept as one part (``public.fragments``): read and
    rendered again only when the source, its version or what cites it changes.
    """

    pagination_label = "Pages of this article"

    def passages_page(self, source, version, highlight):
        if highlight is not None or "cite" in self.request.GET:
            return self.passages_with_highlight(source, version, highlight)
        cited = queries.cited_by(source)
        number = self.request.GET.get("page")

        def render():
            found = self.read_passages(source, version, None, cited, number)
            return render_to_string(
                "public/includes/passage_list.html", {**found, "pagination_label": self.pagination_label}
            )

        return {
            "passage_list": fragments.passage_list(
                self.request, source, version, number, cited, render, label=self.pagination_label
            ),
            "querystring": "", "highlight": None, "cited_count": len(cited),
        }

    def passages_with_highlight(self, source, version, highlight):
        """A page asked for with ``?cite=``: rendered each time, its pagination links keeping the parameter."""
        cited = queries.cited_by(source)
        found = self.read_passages(source, version, highlight, cited, self.request.GET.get("page"))
        querystring = urlencode({"cite": self.request.GET["cite"]}) if "cite" in self.request.GET else ""
        found.update(querystring=querystring, cited_count=len(cited), pagination_label=self.pagination_label)
        found["passage_list"] = render_to_string("public/includes/passage_list.html", found)
        return found

    def read_passages(self, source, version, highlight, cited, number):
        if version is None:  # a source written before versions existed: its current passages
            rows = source.passages.current().order_by("ordinal")
        else:
            rows = versions.placements(version)
        paginator = Paginator(rows, versions.PASSAGES_PER_PAGE)
        if number is None and highlight is not None:
            # ``?cite=`` alone lands on the page that holds the quoted passage.
            ordinal = rows.filter(**{"passage_id" if version else "pk": highlight.passage_id}).values_list(
                "ordinal", flat=True
            ).first()
            number = versions.page_of(ordinal) if ordinal else 1
        try:
            page = paginator.page(number or 1)
        except InvalidPage:
            raise Http404("No such page of this source.") from None
        marked = None
        for passage in page.object_list:
            passage_id = passage.passage_id if version else passage.pk
            passage.cited_by = cited.get(passage_id, [])
            if highlight is not None and highlight.passage_id == passage_id:
                passage.highlight = metadata.split_for_highlight(passage.text, highlight)
                marked = highlight if passage.highlight else None
        return {"passages": page.object_list, "page": page, "highlight": marked}


class SourceDetailView(SourcePassagesMixin, View):
    """The source article as it reads now, with "cited by" under each quoted passage and ``?cite=<id>`` marked.

    Each page of it is kept whole (``fragments.source_page``): a page-cache miss reads the source's stamps and,
    unless the page is kept, the source and what cites it to render it. A page marking a quote is rendered each
    time.
    """

    template_name = "public/source_detail.html"

    def get(self, request, slug):
        stamps = next(iter(queries.source_page_stamps().filter(slug=slug).order_by()), None)  # slugs are unique
        if stamps is None:
            raise Http404("No source at this address.")
        if "cite" in request.GET:
            return HttpResponse(self.render_page(stamps))
        page = fragments.source_page(request, stamps, request.GET.get("page"), lambda: self.render_page(stamps))
        return HttpResponse(page)

    def render_page(self, stamps):
        # Rendered from the source's row as its stamps read it (every column but the text, megabytes for some,
        # which the page shows passage by passage): what the key says is what the page shows. The current
        # version's id comes with the row: a source never versioned costs no second query.
        source = queries.source_from_stamps(stamps)
        version = self.current_version(source)
        highlight = queries.citation_to_highlight(source, self.request.GET.get("cite"))
        context = {"source": source, "version": version, "source_header": fragments.source_header(source, version)}
        if version is None or not version.is_withheld:
            context.update(self.passages_page(source, version, highlight))
        return render_to_string(self.template_name, context, self.request)

    @staticmethod
    def current_version(source):
        pk = source.current_version_pk
        return SourceVersion.objects.defer("text").get(pk=pk) if pk is not None else None


@require_GET
def source_passage(request, slug, anchor_number):
    """A per-passage address: redirects to the page that holds the passage, scrolled to it.

    A ``#p-N`` fragment never reaches the server, so this is how links to one passage keep landing however
    long the source grows. A retired passage opens the latest version that still held it.
    """
    passage = get_object_or_404(
        Passage.objects.select_related("source"), source__slug=slug, anchor_number=anchor_number
    )
    placement = (
        VersionPassage.objects.filter(passage=passage).select_related("version").order_by("-version__number").first()
    )
    if placement is None:
        return redirect(f"{passage.source.get_absolute_url()}#{passage.anchor}")
    url = passage.source.get_absolute_url() if not passage.retired else placement.version.get_absolute_url()
    page = versions.page_of(placement.ordinal)
    return redirect(f"{url}{f'?page={page}' if page > 1 else ''}#{passage.anchor}")


class SourceVersionListView(DetailView):
    """Every kept version of a source: when it was imported, what it added, changed and retired."""

    template_name = "public/source_versions.html"
    context_object_name = "source"

    def get_queryset(self):
        return Source.objects.defer("text")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["versions"] = list(self.object.versions.defer("text").order_by("-number"))
        return context


class SourceVersionView(SourcePassagesMixin, DetailView):
    """One kept version of a source, passage by passage with its stable anchors; ``?cite=<id>`` marked."""

    template_name = "public/source_version.html"
    context_object_name = "version"
    pagination_label = "Pages of this version"

    def get_object(self, queryset=None):
        return get_object_or_404(
            SourceVersion.objects.select_related("source").defer("text", "source__text"),
            source__slug=self.kwargs["slug"],
            number=self.kwargs["number"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.object
        source = version.source
        latest = source.versions.aggregate(latest=Max("number"))["latest"]
        context.update(source=source, latest_number=latest)
        if not version.is_withheld:
            highlight = queries.version_citation_to_highlight(version, self.request.GET.get("cite"))
            context.update(self.passages_page(source, version, highlight))
            if highlight is not None:
                context["changed_since"] = Passage.objects.filter(pk=highlight.passage_id, retired=True).exists()
        return context


def source_diff(request, slug, old, new):
    """What changed between two versions of a source, word by word; withheld versions show no words."""
    source = get_object_or_404(Source.objects.defer("text"), slug=slug)
    before = get_object_or_404(source.versions.defer("text"), number=old)
    after = get_object_or_404(source.versions.defer("text"), number=new)
    withheld = before.is_withheld or after.is_withheld
    changes = [] if withheld else [c for c in versions.diff_versions(before, after) if c.kind != "equal"]
    return render(
        request,
        "public/source_diff.html",
        {"source": source, "old": before, "new": after, "withheld": withheld, "changes": changes},
    )


def follow_merged_tag(view):
    """A tag merged into another keeps its address: its page and feeds answer 301 with the kept tag's."""

    @wraps(view)
    def wrapper(request, *args, slug, **kwargs):
        try:
            return view(request, *args, slug=slug, **kwargs)
        except Http404:
            merged = TagRedirect.objects.filter(old_slug=slug).select_related("tag").first()
            if merged is None:
                raise
            path = reverse(request.resolver_match.view_name, kwargs={"slug": merged.tag.slug})
            query = request.GET.urlencode()
            return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)

    return wrapper


class TagListView(ListView):
    """Every tag that at least one published briefing carries, with how many do."""

    template_name = "public/tag_list.html"
    context_object_name = "tags"
    paginate_by = 100

    def get_queryset(self):
        return queries.tags_in_use()


class TagDetailView(KeptCountMixin, ListView):
    """The published briefings with one tag; a tag only drafts carry does not exist here."""

    template_name = "public/tag_detail.html"
    context_object_name = "briefings"
    paginate_by = 20

    def get_queryset(self):
        self.tag = get_object_or_404(queries.tags_carried(), slug=self.kwargs["slug"])
        return queries.briefings(prefetch=False).filter(queries.tagged_with([self.tag]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(tag=self.tag, **kwargs)
        context["briefing_list"] = fragments.briefing_list(self.request, context["page_obj"])
        return context


class SearchView(TemplateView):
    """Full-text search: matching briefings first, then matching passages of the sources."""

    template_name = "public/search.html"
    per_page = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:200]
        context["query"] = query
        if not query:
            return context
        # Bylines and tags are read only for entries not kept (``fragments.briefing_entries``).
        briefings = self.paginate(search.rank_briefings(queries.briefings(prefetch=False), query), "page")
        passages = self.paginate(search.rank_passages(query), "passages_page")
        search.finish_snippets(briefings.object_list, query)
        search.finish_snippets(passages.object_list, query)
        fragments.passages_cited_in(self.request, passages.object_list)
        context.update(
            briefings=briefings,
            entries=fragments.briefing_entries(
                self.request,
                briefings.object_list,
                heading=3,
                snippets=[briefing.search_snippet for briefing in briefings.object_list],
            )[0],
            passages=passages,
            briefing_querystring=urlencode({"q": query, **self.other_page("passages_page", passages)}),
            passage_querystring=urlencode({"q": query, **self.other_page("page", briefings)}),
        )
        return context

    @staticmethod
    def other_page(parameter, page):
        """Keep the other group's page when paging through one group."""
        return {parameter: page.number} if page.number > 1 else {}

    def paginate(self, queryset, parameter):
        paginator = search.ResultsPaginator(queryset, self.per_page)
        number = self.request.GET.get(parameter) or 1
        try:
            page = paginator.page(number)
        except InvalidPage:
            raise Http404("No such page of results.") from None
        page.object_list = list(page.object_list)
        page.parameter = parameter
        return page


class CorrectionListView(ListView):
    """Every public correction and retraction notice, newest first."""

    template_name = "public/correction_list.html"
    context_object_name = "corrections"
    paginate_by = 30

    def get_queryset(self):
        return queries.public_corrections()


@require_GET
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("public:sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def preview(request, token):
    """The revision a signed preview link names, to someone without an account; 404 or 410 once it is unusable.

    A revision readers can see now leads to its public page (or its retraction notice).
    """
    try:
        found = preview_links.open_link(token)
    except preview_links.PreviewUnavailable as unavailable:
        status = 404 if unavailable.reason == "invalid" else 410
        response = render(request, "public/preview.html", {"reason": unavailable.reason}, status=status)
    else:
        if found.redirect_to:
            response = redirect(found.redirect_to)
        else:
            response = render(request, "public/preview.html", preview_links.revision_page(found))
    # A preview is for the person holding the link: never indexed, never cached.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


# What changed after publication ------------------------------------------------------------------


class BriefingChangesView(DetailView):
    """Every version of a briefing readers were shown, newest first, each with its correction and what changed."""

    template_name = "public/briefing_changes.html"
    context_object_name = "briefing"

    def get_queryset(self):
        # The page shows no byline or tags: the headers' prefetches are dropped.
        return queries.briefing_page_headers().prefetch_related(None)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        briefing = self.object
        corrections = queries.page_corrections(briefing) if briefing.has_corrections else []
        context.update(
            briefing_url=site_url("public:detail", briefing.slug),
            revision=briefing.published_revision,
            publications=revisions.publications(briefing, corrections)[::-1],
            retraction=next((c for c in corrections if c.kind == c.Kind.RETRACTION), None),
            is_retracted=briefing.is_retracted,
        )
        return context


# Authors, and citations for reference managers ----------------------------------------------------


class AuthorDetailView(KeptCountMixin, ListView):
    """An author's page: display name, bio and published briefings; no page for someone with none published."""

    template_name = "public/author_detail.html"
    context_object_name = "briefings"
    paginate_by = 20

    def get_queryset(self):
        self.profile = get_object_or_404(queries.author_pages(), slug=self.kwargs["slug"])
        return queries.briefings(prefetch=False).filter(queries.by_author(self.profile.user_id))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(profile=self.profile, **kwargs)
        context["briefing_list"] = fragments.briefing_list(self.request, context["page_obj"])
        context["structured_data"] = metadata.author_page(self.request, self.profile)
        return context


def _site_root(request):
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
def briefing_citation(request, slug, extension):
    """The briefing as CSL-JSON, BibTeX or RIS, for reference managers."""
    briefing = get_object_or_404(queries.briefing_for_citation(), slug=slug)
    return citations.download([citations.briefing_item(briefing, _site_root(request))], extension, briefing.slug)


@require_GET
def briefing_sources_citation(request, slug, extension):
    """Every source the briefing's published revision quotes, in footnote order, in one export."""
    briefing = get_object_or_404(queries.briefing_for_citation().prefetch_related(None), slug=slug)
    site_root = _site_root(request)
    sources = queries.sources_cited_by(briefing.published_revision_id)
    items = [citations.source_item(source, site_root) for source in sources]
    return citations.download(items, extension, f"{briefing.slug}-sources")


@require_GET
def source_citation(request, slug, extension):
    """One source article as CSL-JSON, BibTeX or RIS."""
    source = get_object_or_404(queries.sources_for_citation(), slug=slug)
    return citations.download([citations.source_item(source, _site_root(request))], extension, f"source-{source.slug}")
