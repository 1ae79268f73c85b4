from django.contrib import admin

from .models import Passage, Source


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


class PassageInline(admin.TabularInline):
    model = Passage
    fields = ["ordinal", "anchor", "kind", "citable", "retired", "text"]
    readonly_fields = fields
    ordering = ["retired", "ordinal"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["display_title", "slug", "publisher", "published_on", "passage_count", "updated_at"]
    list_filter = ["publisher", "language"]
    search_fields = ["title", "slug", "publisher", "authors", "passages__text"]
    readonly_fields = [
        "slug", "title", "publisher", "authors", "url", "published_on", "language", "origin",
        "content_hash", "imported_at", "updated_at",
    ]
    fields = readonly_fields
    inlines = [PassageInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_passage_count()

    @admin.display(description="passages", ordering="passage_count")
    def passage_count(self, source):
        return source.passage_count


@admin.register(Passage)
class PassageAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "source", "ordinal", "kind", "citable", "retired"]
    list_filter = ["kind", "citable", "retired", "source"]
    list_select_related = ["source"]
    search_fields = ["text", "source__title", "source__slug"]
    readonly_fields = [
        "source", "ordinal", "anchor", "kind", "citable", "retired", "retired_at", "start", "end",
        "content_hash", "text",
    ]
    fields = readonly_fields
    ordering = ["source__slug", "retired", "ordinal"]
