from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Left
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, smart_split, unescape_string_literal

from . import importer
from .forms import SourceIntakeForm
from .models import Passage, Source

# How much of a passage a list shows; the rest stays in the database.
PASSAGE_PREVIEW_LENGTH = 120


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows staff may look at but never add, change or delete here.

    Imported text is one case (the files are the truth, `import_sources` the way in);
    records written once by the review workflow are another.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def current_passage_count():
    """The number of a source's current passages as a subquery: no GROUP BY over the sources' columns (and texts)."""
    counted = (
        Passage.objects.current().filter(source=OuterRef("pk")).order_by().values("source").annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(counted.values("n")), 0)


def passages_link(source, count):
    url = reverse("admin:sources_passage_changelist") + f"?source={source.pk}"
    return format_html('<a href="{}">{} passages of this source</a>', url, f"{count:,}")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Sources without their full text: a list or a change page of a 20 MB source reads only what it shows.

    A source's passages are one link to the passage list filtered to it, not an inline of tens of thousands.
    Staff with ``add_source`` (analysts and editors) add a source from a paste or an upload; staff with
    ``change_source`` (editors) correct its metadata and replace its text. Both preview first and save
    through the importer. The text itself is never edited here.
    """

    list_display = ["display_title", "slug", "publisher", "published_on", "passage_count", "updated_at"]
    list_filter = ["publisher", "language"]
    search_fields = ["title", "slug", "publisher", "authors"]
    fields = [
        "title", "publisher", "authors", "url", "published_on", "language",
        "slug", "origin", "content_hash", "imported_at", "updated_at", "passages",
    ]
    readonly_fields = ["slug", "origin", "content_hash", "imported_at", "updated_at", "passages"]
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/sources/source/change_form.html"

    def has_delete_permission(self, request, obj=None):
        return False  # citations rely on sources; a source is replaced, never deleted

    def get_urls(self):
        replace = path(
            "<int:pk>/replace/", self.admin_site.admin_view(self.replace_view), name="sources_source_replace"
        )
        return [replace, *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self.intake(request, replacing=None)

    def replace_view(self, request, pk):
        source = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, source):
            raise PermissionDenied("Only editors may replace a source's text.")
        return self.intake(request, replacing=source)

    def intake(self, request, replacing):
        """One page for adding and replacing: the form, then its preview, then the save."""
        form = SourceIntakeForm(
            request.POST or None, request.FILES or None, replacing=replacing
        ) if request.method == "POST" else SourceIntakeForm(replacing=replacing)
        preview = token = None
        if request.method == "POST" and form.is_valid():
            if "save" in request.POST:
                try:
                    result = form.save_previewed(by=request.user)
                except ValidationError as error:
                    form.add_error(None, error)
                except importer.ImportFailed as failure:
                    form.add_error(None, [problem.reason for problem in failure.problems])
                else:
                    source = Source.objects.only("pk").get(slug=result.slug)
                    messages.success(request, f"Source {result.describe()}")
                    return redirect("admin:sources_source_change", source.pk)
            if not form.errors:
                preview, token = form.preview(), form.preview_token()
            else:
                preview = None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Replace the text of “{replacing}”" if replacing else "Add a source",
            "form": form,
            "replacing": replacing,
            "preview": preview,
            "token": token,
            "max_bytes": importer.describe_size(importer.max_file_bytes()),
        }
        return TemplateResponse(request, "admin/sources/source/intake.html", context)

    def save_model(self, request, obj, form, change):
        # Metadata corrections change what readers see, so they count as a change of the source.
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        # ``opening`` names a title-less source, so the text itself is never read here.
        return super().get_queryset(request).defer("text").annotate(passage_count=current_passage_count())

    def get_search_results(self, request, queryset, search_term):
        """Each word in the metadata or in a passage: one scan of the passages per word, no join, no DISTINCT."""
        for word in smart_split(search_term):
            word = unescape_string_literal(word) if word[0] in "\"'" and word[0] == word[-1] else word
            in_metadata = Q()
            for field in self.search_fields:
                in_metadata |= Q(**{f"{field}__icontains": word})
            in_passages = Exists(Passage.objects.filter(source=OuterRef("pk"), text__icontains=word))
            queryset = queryset.filter(in_metadata | in_passages)
        return queryset, False

    @admin.display(description="passages", ordering="passage_count")
    def passage_count(self, source):
        return source.passage_count

    @admin.display(description="passages")
    def passages(self, source):
        return passages_link(source, source.passage_count)


class SourceListFilter(admin.SimpleListFilter):
    """Passages of one source; the choices name sources from their stored opening, never their text."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        sources = Source.objects.only("pk", "title", "slug", "opening").order_by("title", "slug")
        return [(str(source.pk), source.display_title) for source in sources]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(source_id=int(self.value()))
        return queryset


@admin.register(Passage)
class PassageAdmin(ReadOnlyAdmin):
    """Passages with the start of their text and their source's slug: no row reads a source's full text."""

    list_display = ["preview", "source_slug", "ordinal", "kind", "citable", "retired"]
    list_filter = ["kind", "citable", "retired", SourceListFilter]
    search_fields = ["text", "source__title", "source__slug"]
    readonly_fields = [
        "source", "ordinal", "anchor", "kind", "citable", "retired", "retired_at", "start", "end",
        "content_hash", "text",
    ]
    fields = readonly_fields
    # By the source's key, not its title: the passages' own index gives the order, with no join to sort.
    ordering = ["source_id", "retired", "ordinal"]
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("source").defer("source__text")
        if request.resolver_match and request.resolver_match.url_name == "sources_passage_changelist":
            queryset = queryset.defer("text").annotate(text_start=Left("text", PASSAGE_PREVIEW_LENGTH))
        return queryset

    @admin.display(description="passage")
    def preview(self, passage):
        return Truncator(passage.text_start).chars(PASSAGE_PREVIEW_LENGTH - 1)

    @admin.display(description="source", ordering="source__slug")
    def source_slug(self, passage):
        return passage.source.slug
