"""Admin for writing briefings: citation inlines, a rendered preview, tags, and passages' "cited by"."""
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin import helpers
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from sources.admin import PassageAdmin
from sources.models import Passage, Source

from . import finding, quotes, workflow
from .admin_comments import ReviewCommentsBriefingMixin
from .admin_desk import DeskAdminMixin, passage_panel
from .admin_selection import CiteSelectionAdminMixin
from .admin_sources import CitationsNeedAttentionFilter, SourceChangesBriefingMixin
from .admin_workflow import WorkflowAdminMixin
from .forms import BriefingForm, CitationForm, CitationFormSet, MergeTagsForm, PassageAutocomplete
from .models import AuthorProfile, Briefing, Citation, Tag, display_name, rendering_once
from .times import desk_time

Status = Citation.Status

SLUG_FIXED_HELP = (
    "Fixed since the briefing was first published: readers, feeds, search engines and other sites link to "
    "this address, so changing it would break their links."
)


class TagListFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return Tag.objects.filter(tagged_briefings__isnull=False).distinct().values_list("slug", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__slug=self.value())
        return queryset


class PublicSiteListFilter(admin.SimpleListFilter):
    """Where a briefing stands with readers, whatever its working copy's status says."""

    title = "live on the site"
    parameter_name = "public"

    def lookups(self, request, model_admin):
        return [
            ("live", "Live"),
            ("scheduled", "Scheduled"),
            ("retracted", "Retracted"),
            ("no", "Not public"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.published()
        if self.value() == "scheduled":
            return queryset.scheduled()
        if self.value() == "retracted":
            return queryset.public_pages().filter(status=Briefing.Status.RETRACTED)
        if self.value() == "no":
            return queryset.unpublished()
        return queryset


class CitedSourceListFilter(admin.SimpleListFilter):
    title = "cited source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        quoted = Citation.objects.values("passage__source_id")
        cited = Source.objects.filter(pk__in=quoted).only("slug", "title", "opening").order_by("title", "slug")
        # display_title reads the stored opening, not each article's full text.
        return [(source.slug, source.display_title) for source in cited]

    def queryset(self, request, queryset):
        if self.value():
            # A subquery, so the citation counts of the list are not multiplied by a join.
            citing = Citation.objects.filter(passage__source__slug=self.value()).values("briefing_id")
            return queryset.filter(pk__in=citing)
        return queryset


def describe_location(passage, start, end):
    state = " (no longer in the source)" if passage.retired else ""
    return f"{passage.source.slug} {passage.place_label}{state}, characters {start}–{end}"


class CitationInline(admin.StackedInline):
    model = Citation
    form = CitationForm
    formset = CitationFormSet
    extra = 0
    autocomplete_fields = ["passage"]
    fieldsets = [
        (None, {"fields": [
            ("label", "order"), "passage", "quote", "passage_in_context", "note", ("prefix", "suffix"),
            ("translation", "translation_by"), "verification",
        ]}),
    ]
    readonly_fields = ["passage_in_context", "verification"]

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def get_queryset(self, request):
        # Everything a row shows comes with the citations, whatever their number.
        return (
            super()
            .get_queryset(request)
            .select_related("passage__source", "previous_passage__source")
            .defer("passage__source__text", "previous_passage__source__text")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "passage":
            kwargs["widget"] = PassageAutocomplete(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="in the passage")
    def passage_in_context(self, citation):
        return passage_panel(citation, self.admin_site.name)

    @admin.display(description="verification")
    def verification(self, citation):
        if citation.pk is None:
            return "Checked against the source when saved."
        lines = [f"{citation.get_status_display()}"]
        if citation.checked_at:
            lines[0] += f", {desk_time(citation.checked_at)}"
        if citation.status_reason:
            lines.append(citation.status_reason)
        if citation.previous_passage_id:
            lines.append(
                "Moved from " + describe_location(citation.previous_passage, citation.previous_start,
                                                  citation.previous_end)
                + " to " + describe_location(citation.passage, citation.start, citation.end) + "."
            )
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


@admin.register(Briefing)
class BriefingAdmin(
    CiteSelectionAdminMixin,
    DeskAdminMixin,
    SourceChangesBriefingMixin,
    ReviewCommentsBriefingMixin,
    WorkflowAdminMixin,
    admin.ModelAdmin,
):
    form = BriefingForm
    inlines = [CitationInline]
    list_display = [
        "title", "status", "public_state", "author_names", "tag_names", "citation_count", "orphaned_count",
        "updated_at",
    ]
    list_filter = [
        "status", PublicSiteListFilter, CitationsNeedAttentionFilter, TagListFilter, "authors", CitedSourceListFilter,
    ]
    search_fields = ["title", "dek", "body", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["authors"]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "body", "authors", "tags"]}),
        ("Preview", {"fields": ["preview"], "description": "The body as readers will see it: as last saved, or as "
                                                           "it stands in this form with “Refresh preview”."}),
    ]
    actions = ["mark_reanchored_checked"]

    class Media:
        css = {"all": ["briefings/admin.css"]}
        js = ["briefings/find_passage.js"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is None or match.url_name != f"{self.opts.app_label}_{self.opts.model_name}_changelist":
            # Whether the slug is still editable comes with the briefing, not as a query of its own.
            return queryset.with_publication_record()
        # What the list shows for every row, in a fixed number of queries.
        return queryset.annotate(
            citation_total=Count("citations", distinct=True),
            orphaned_total=Count("citations", filter=Q(citations__status=Status.ORPHANED), distinct=True),
        ).prefetch_related("authors", "tags")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.has_been_published():
            fields.append("slug")
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.has_been_published():
            return {}
        return super().get_prepopulated_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.has_been_published():
            kwargs["help_texts"] = {**kwargs.get("help_texts", {}), "slug": SLUG_FIXED_HELP}
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"authors": [request.user.pk], **super().get_changeform_initial_data(request)}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        # The briefing and each of its citations are saved one by one; render the body once, from all of them.
        with transaction.atomic(using=router.db_for_write(self.model)), rendering_once():
            return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description="public", ordering="published_at")
    def public_state(self, briefing):
        """What readers see of the briefing, from the row alone (its status describes the working copy)."""
        if briefing.published_revision_id is None:
            return "—"
        if briefing.is_retracted:
            return "retracted"
        if briefing.is_scheduled():
            return f"scheduled for {desk_time(briefing.published_at)}"
        return f"live since {date_format(timezone.localtime(briefing.published_at), 'DATE_FORMAT')}"

    @admin.display(description="authors")
    def author_names(self, briefing):
        return ", ".join(display_name(user) for user in briefing.authors.all())

    @admin.display(description="tags")
    def tag_names(self, briefing):
        return ", ".join(tag.name for tag in briefing.tags.all())

    @admin.display(description="citations", ordering="citation_total")
    def citation_count(self, briefing):
        return briefing.citation_total

    @admin.display(description="orphaned", ordering="orphaned_total")
    def orphaned_count(self, briefing):
        return briefing.orphaned_total or ""

    @admin.display(description="preview")
    def preview(self, briefing):
        if briefing.pk is None:
            saved = "Save the briefing to see it with its footnotes."
        else:
            problems = briefing.citation_problems()
            warnings = format_html_join("", '<li class="warning">{}</li>', ((problem,) for problem in problems))
            saved = format_html(
                '{}<div class="briefing-preview">{}</div>',
                format_html('<ul class="messagelist">{}</ul>', warnings) if problems else "",
                mark_safe(briefing.body_html),  # sanitised when rendered on save
            )
        return self.live_preview(briefing, saved)

    @admin.action(description="Confirm re-anchored citations", permissions=["view"])
    def mark_reanchored_checked(self, request, queryset):
        """The same rule as the queue's button, citation by citation: editors, not the briefing's authors."""
        confirmed, refused = 0, []
        citations = Citation.objects.filter(briefing__in=queryset, status=Status.REANCHORED).select_related("briefing")
        for citation in citations:
            try:
                workflow.confirm_reanchoring(citation, by=request.user)
            except (workflow.WorkflowError, PermissionDenied) as refusal:
                refused.append(f"[^{citation.label}] of “{citation.briefing.title}”: {refusal}")
            else:
                confirmed += 1
        self.message_user(request, f"{confirmed} re-anchored citation(s) confirmed.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not confirmed: {reason}", messages.WARNING)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "briefing_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge_tags", "delete_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(briefing_total=Count("tagged_briefings"))

    @admin.display(description="briefings", ordering="briefing_total")
    def briefing_count(self, tag):
        return tag.briefing_total

    def render_delete_form(self, request, context):
        # Deleting a tag readers see on published briefings names those briefings first.
        context["published_briefings"] = workflow.briefings_showing([context["object"]])
        return super().render_delete_form(request, context)

    def delete_model(self, request, obj):
        self._report_deleted(request, workflow.delete_tags([obj], request.user))

    def delete_queryset(self, request, queryset):
        self._report_deleted(request, workflow.delete_tags(queryset, request.user))

    def _report_deleted(self, request, touched):
        if touched:
            titles = ", ".join(f"“{briefing.title}”" for briefing in touched)
            self.message_user(request, f"The change is recorded on the published briefing(s) {titles}.", messages.INFO)

    @admin.action(description="Delete selected tags", permissions=["delete"])
    def delete_selected(self, request, queryset):
        response = admin_actions.delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["published_briefings"] = workflow.briefings_showing(queryset)
        return response

    @admin.action(description="Merge selected tags", permissions=["change", "delete"])
    def merge_tags(self, request, queryset):
        tags = queryset.order_by("name")
        if len(tags) < 2:
            self.message_user(request, "Select at least two tags to merge.", messages.WARNING)
            return None
        form = MergeTagsForm(request.POST if "apply" in request.POST else None, tags=tags)
        if form.is_valid():
            kept = form.cleaned_data["keep"]
            others = [tag for tag in tags if tag.pk != kept.pk]
            try:
                moved, touched = workflow.merge_tags(kept, others, request.user)
            except (workflow.WorkflowError, PermissionDenied) as refusal:
                self.message_user(request, f"Nothing was merged: {refusal}", messages.ERROR)
                return None
            names = ", ".join(f"“{tag.name}”" for tag in others)
            self.message_user(
                request,
                f"Merged {names} into “{kept.name}”; {moved} briefing(s) gained the tag; "
                f"{len(touched)} published briefing(s) record the change, and the old tag pages lead to "
                f"“{kept.name}”.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge tags",
            "opts": self.model._meta,
            "tags": tags,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/briefings/tag/merge_tags.html", context)


class CitablePassageSearch(AutocompleteJsonView):
    """Passages to cite, found with typing's typography (straight quotes, hyphens), showing the words that matched."""

    def get_queryset(self):
        queryset = self.model_admin.get_queryset(self.request).citable().select_related("source").defer("source__text")
        if not self.term.strip():
            return queryset.order_by("source__slug", "ordinal")
        by_source = queryset.filter(Q(source__slug__icontains=self.term) | Q(source__title__icontains=self.term))
        by_text = finding.search_passages(queryset, self.term)
        return (by_text | by_source).order_by("source__slug", "ordinal")

    def serialize_result(self, obj, to_field_name):
        words = finding.matching_words(obj.text, self.term) if self.term.strip() else obj.text[:60]
        return {"id": str(getattr(obj, to_field_name)), "text": f"{obj.source.slug} {obj.anchor}: {words}"}


# Passages: the sources app knows nothing of briefings, so "cited by" is added here.
admin.site.unregister(Passage)


@admin.register(Passage)
class CitedPassageAdmin(PassageAdmin):
    list_display = [*PassageAdmin.list_display, "citation_count"]
    readonly_fields = [*PassageAdmin.readonly_fields, "cited_by"]
    fields = readonly_fields

    def get_queryset(self, request):
        # A subquery, not a join with GROUP BY, so counting a list of 60,000 passages stays a plain count.
        cited = Citation.objects.filter(passage=OuterRef("pk")).order_by().values("passage").annotate(n=Count("pk"))
        return super().get_queryset(request).annotate(citation_total=Coalesce(Subquery(cited.values("n")), 0))

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("cite-search/", self.admin_site.admin_view(self.cite_search_view), name=f"{prefix}_cite_search"),
            path("find/", self.admin_site.admin_view(self.find_view), name=f"{prefix}_find"),
            *super().get_urls(),
        ]

    def cite_search_view(self, request):
        """The citation editor's passage autocomplete (``PassageAutocomplete``): typography-tolerant."""
        return CitablePassageSearch.as_view(admin_site=self.admin_site)(request)

    def find_view(self, request):
        """JSON: the current citable passages holding the quote in ``?quote=``, best first, words marked."""
        if not (request.user.has_perm("briefings.add_citation") or request.user.has_perm("briefings.change_citation")):
            raise PermissionDenied
        try:
            found = finding.find_passages(request.GET.get("quote", ""))
        except quotes.QuoteError as error:
            return JsonResponse({"results": [], "error": str(error), "code": error.code})
        return JsonResponse({"results": [finding.as_json(item) for item in found]})

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path == reverse("admin:autocomplete") and request.GET.get("model_name") == "citation":
            # Choosing a passage to cite: only words readers can find in the current source.
            queryset = queryset.citable()
        return queryset, may_have_duplicates

    @admin.display(description="citations", ordering="citation_total")
    def citation_count(self, passage):
        return passage.citation_total

    @admin.display(description="cited by")
    def cited_by(self, passage):
        citations = Citation.objects.filter(passage=passage).select_related("briefing").order_by(
            "briefing__title", "label"
        )
        rows = [
            (
                reverse("admin:briefings_briefing_change", args=[citation.briefing_id]),
                citation.briefing.title,
                citation.label,
                citation.get_status_display(),
            )
            for citation in citations
        ]
        if not rows:
            return "No briefing cites this passage."
        return format_html(
            "<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> [^{}] · {}</li>', rows)
        )


@admin.register(AuthorProfile)
class AuthorProfileAdmin(admin.ModelAdmin):
    """How staff are named to readers. Each person edits their own profile; administrators edit anyone's.

    Whatever the model permissions say, the object decides: someone else's
    profile opens read-only, or not at all in the list. "My author profile"
    (``my/``) makes one's profile on first use.
    """

    list_display = ["name", "slug", "updated_at"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["user"]

    def get_fields(self, request, obj=None):
        return ["name", "bio", "slug"] if obj is not None else ["user", "name", "bio", "slug"]

    def get_urls(self):
        mine = path("my/", self.admin_site.admin_view(self.my_profile), name="briefings_authorprofile_my")
        return [mine, *super().get_urls()]

    def my_profile(self, request):
        profile = AuthorProfile.for_user(request.user)
        return redirect("admin:briefings_authorprofile_change", profile.pk)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        # The address of an author page is fixed once readers may link to it: only administrators move it.
        return [] if request.user.is_superuser else ["slug"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return obj is None or user.is_superuser or obj.user_id == user.pk

    def has_add_permission(self, request):
        # Profiles are made on demand, one per person; an administrator may still make one by hand.
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
