"""The public, read-only pages. Each view picks a query from ``public``, a filter set or a form, and a template.

Caching and conditional GET are applied to every route in ``urls.py``.
"""
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from briefings import preview as preview_links
from sources.models import Source

from . import citations, metadata, queries, search
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


class BriefingListView(FilterQueryMixin, FilterView):
    """Home page: published briefings, newest first, narrowed by the filter form."""

    template_name = "public/briefing_list.html"
    filterset_class = BriefingFilter
    context_object_name = "briefings"
    paginate_by = 20

    def get_queryset(self):
        return queries.briefings()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        querystring = self.filter_querystring()
        context.update(
            querystring=querystring,
            filter_description=self.filterset.describe(),
            filter_errors=self.filterset.is_bound and not self.filterset.is_valid(),
            feed_url=reverse("public:feed") + (f"?{querystring}" if querystring else ""),
            atom_url=reverse("public:feed_atom") + (f"?{querystring}" if querystring else ""),
        )
        return context


class BriefingDetailView(DetailView):
    """A briefing as published: its published revision, footnotes, quotes, corrections, retraction notice."""

    template_name = "public/briefing_detail.html"
    context_object_name = "briefing"

    def get_queryset(self):
        return queries.briefing_page_headers()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        briefing = self.object
        corrections = queries.page_corrections(briefing) if briefing.has_corrections else []
        context.update(
            briefing_url=site_url("public:detail", briefing.slug),
            revision=briefing.published_revision,
            # Each read of a related manager builds a new one: read the prefetched rows once.
            authors=list(briefing.authors.all()),
            tags=list(briefing.published_revision.tags.all()),
            citations=queries.page_citations(briefing.published_revision),
            corrections=[c for c in corrections if c.kind == c.Kind.CORRECTION],
            retraction=next((c for c in corrections if c.kind == c.Kind.RETRACTION), None),
            is_retracted=briefing.is_retracted,
        )
        # A retraction's byline may name someone with no published briefing, so no author page: one query says.
        context["authors_without_page"] = (
            queries.authors_without_page(context["authors"]) if briefing.is_retracted else set()
        )
        # Cite this briefing, and the tags Zotero and Google Scholar read: from the rows already read.
        cite = citations.briefing_item(briefing, self.request.build_absolute_uri("/").rstrip("/"))
        context.update(citation=citations.formatted(cite), citation_meta=metadata.citation_meta(cite))
        context["structured_data"] = metadata.article(
            self.request,
            briefing,
            authors=context["authors"],
            tags=context["tags"],
            citations=context["citations"],
            corrections=corrections,
            authors_without_page=context["authors_without_page"],
        )
        return context


class SourceListView(ListView):
    """Every source article the desk has imported, with its publisher and how many passages it has."""

    template_name = "public/source_list.html"
    context_object_name = "sources"
    paginate_by = 50

    def get_queryset(self):
        return queries.source_list()


class SourceDetailView(DetailView):
    """The source article, with "cited by" under each quoted passage and ``?cite=<id>`` highlighted."""

    template_name = "public/source_detail.html"
    context_object_name = "source"

    def get_queryset(self):
        return Source.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        passages = list(self.object.passages.current().order_by("ordinal"))
        cited = queries.cited_by(self.object)
        highlight = queries.citation_to_highlight(self.object, self.request.GET.get("cite"))
        marked = None
        for passage in passages:
            passage.cited_by = cited.get(passage.pk, [])
            if highlight is not None and highlight.passage_id == passage.pk:
                passage.highlight = metadata.split_for_highlight(passage.text, highlight)
                marked = highlight if passage.highlight else None
        context.update(passages=passages, highlight=marked, cited_count=len(cited))
        return context


class TagListView(ListView):
    """Every tag that at least one published briefing carries, with how many do."""

    template_name = "public/tag_list.html"
    context_object_name = "tags"
    paginate_by = 100

    def get_queryset(self):
        return queries.tags_in_use()


class TagDetailView(ListView):
    """The published briefings with one tag; a tag only drafts carry does not exist here."""

    template_name = "public/tag_detail.html"
    context_object_name = "briefings"
    paginate_by = 20

    def get_queryset(self):
        self.tag = get_object_or_404(queries.tags_in_use(), slug=self.kwargs["slug"])
        return queries.briefings().filter(queries.tagged_with([self.tag]))

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


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
        briefings = self.paginate(search.rank_briefings(queries.briefings(), query), "page")
        passages = self.paginate(search.rank_passages(query), "passages_page")
        search.finish_snippets(briefings.object_list, query)
        search.finish_snippets(passages.object_list, query)
        context.update(
            briefings=briefings,
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
        paginator = Paginator(queryset, self.per_page)
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
    """The revision a signed preview link names, to someone without an account; 404 or 410 once it is unusable."""
    try:
        revision = preview_links.read_token(token)
    except preview_links.PreviewUnavailable as unavailable:
        status = 404 if unavailable.reason == "invalid" else 410
        response = render(request, "public/preview.html", {"reason": unavailable.reason}, status=status)
    else:
        context = {
            "revision": revision,
            "briefing": revision.briefing,
            "authors": list(revision.briefing.authors.select_related("author_profile")),
        }
        response = render(request, "public/preview.html", context)
    # A preview is for the person holding the link: never indexed, never cached.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


# Authors, and citations for reference managers ----------------------------------------------------


class AuthorDetailView(ListView):
    """An author's page: display name, bio and published briefings; no page for someone with none published."""

    template_name = "public/author_detail.html"
    context_object_name = "briefings"
    paginate_by = 20

    def get_queryset(self):
        self.profile = get_object_or_404(queries.author_pages(), slug=self.kwargs["slug"])
        return queries.briefings().filter(queries.by_author(self.profile.user_id))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(profile=self.profile, **kwargs)
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
