"""Sources that change, in the admin: the "Source changes" queue, the banner and the list filter.

When an import changes citations of briefings in review or published,
``briefings.reanchor`` records a ``SourceChange`` per citation. Editors find
them here grouped per import, with the old and new words side by side and how
long each has waited; they confirm a re-anchored citation's new place through
``workflow.confirm_reanchoring`` (editors, never the briefing's own authors),
or the analyst cites the words again and republishes with a correction.
"""
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from sources.models import Source, SourceVersion

from . import revisions, workflow
from .models import Citation, SourceChange

Status = Citation.Status
NEEDS_ATTENTION = [Status.REANCHORED, Status.ORPHANED]
# How many recently re-imported sources the queue links to, for withholding and undo.
RECENT_SOURCES = 20


class CitationsNeedAttentionFilter(admin.SimpleListFilter):
    """Briefings with a citation that a re-import moved or orphaned and nobody has dealt with yet."""

    title = "citations need attention"
    parameter_name = "citations"

    def lookups(self, request, model_admin):
        return [("attention", "Re-anchored or orphaned")]

    def queryset(self, request, queryset):
        if self.value() == "attention":
            # A subquery, so the list's citation counts are not multiplied by a join.
            return queryset.filter(pk__in=Citation.objects.filter(status__in=NEEDS_ATTENTION).values("briefing_id"))
        return queryset


def may_see_queue(user):
    """The queue is the editors' desk: those who review briefings (and superusers)."""
    return user.is_active and user.is_staff and user.has_perm("briefings.review_briefing")


class SourceChangesBriefingMixin:
    """Adds the banner about changed citations to the briefing's change page."""

    change_form_template = "admin/briefings/briefing/source_changes_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        # The admin checks the briefing and the user's rights itself; an id that is no number finds nothing here.
        if str(object_id).isdigit():
            extra_context["citations_needing_attention"] = self.citations_needing_attention(request, int(object_id))
        return super().change_view(request, object_id, form_url, extra_context)

    def citations_needing_attention(self, request, briefing_id):
        citations = list(
            Citation.objects.filter(briefing_id=briefing_id, status__in=NEEDS_ATTENTION)
            .select_related("briefing", "passage__source", "previous_passage")
            .defer("passage__source__text")
            .order_by("order", "label")
        )
        for citation in citations:
            citation.may_confirm = workflow.can_confirm_reanchoring(citation, request.user)
        return {
            "citations": citations,
            "queue_url": reverse("admin:briefings_sourcechange_changelist") if may_see_queue(request.user) else "",
            "confirm_url": reverse("admin:briefings_sourcechange_confirm"),
        }


@dataclass
class ImportGroup:
    """One import of one source, as the queue shows it."""

    source: object
    version: object  # the SourceVersion the import wrote (None before versions were kept)
    imported_at: object
    imported_by: object
    counts: dict = field(default_factory=dict)
    pending: list = field(default_factory=list)

    @property
    def briefing_count(self):
        return len({change.briefing_id for change in self.pending})


def side_by_side(change):
    """Word-level segments from the old passage to the new one, for a re-anchored citation."""
    if change.new_passage_id is None:
        return []
    return revisions.diff_words(change.old_passage.text, change.new_passage.text)


@admin.register(SourceChange)
class SourceChangeAdmin(admin.ModelAdmin):
    """The "Source changes" queue: open changes grouped per import, oldest wait first within an import."""

    change_list_template = "admin/briefings/sourcechange/queue.html"

    def has_module_permission(self, request):
        return may_see_queue(request.user)

    def has_view_permission(self, request, obj=None):
        return may_see_queue(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("confirm/", wrap(self.confirm_view), name="briefings_sourcechange_confirm"),
            path("sources/<int:source_id>/", wrap(self.versions_view), name="briefings_sourcechange_versions"),
            path(
                "versions/<int:version_id>/withhold/", wrap(self.withhold_view), name="briefings_sourcechange_withhold"
            ),
            path(
                "versions/<int:version_id>/restore/", wrap(self.restore_view), name="briefings_sourcechange_restore"
            ),
            path("", wrap(self.changelist_view), name="briefings_sourcechange_changelist"),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        pending = list(
            SourceChange.objects.pending()
            .select_related(
                "briefing", "citation", "source", "source_version", "old_passage", "new_passage", "imported_by"
            )
            .defer("source__text", "source_version__text")
            .order_by("-imported_at", "source_id", "briefing__title", "label")
        )
        # Which of the listed briefings this editor wrote, read once for the whole page.
        listed = {change.briefing_id for change in pending}
        written = set(request.user.briefings.filter(pk__in=listed).values_list("pk", flat=True))
        groups = {}
        for change in pending:
            key = (change.source_id, change.imported_at)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ImportGroup(
                    change.source, change.source_version, change.imported_at, change.imported_by
                )
            change.waited = now - change.imported_at
            change.segments = side_by_side(change)
            if change.citation is not None:
                change.citation.briefing = change.briefing
            change.may_confirm = change.citation is not None and workflow.can_confirm_reanchoring(
                change.citation, request.user, written=written
            )
            group.pending.append(change)
        if groups:
            # Everything each listed import did, resolved or not: one query for all of them.
            wanted = Q()
            for source_id, imported_at in groups:
                wanted |= Q(source_id=source_id, imported_at=imported_at)
            totals = (
                SourceChange.objects.filter(wanted)
                .values("source_id", "imported_at")
                .annotate(
                    reanchored=Count("pk", filter=Q(outcome=SourceChange.Outcome.REANCHORED)),
                    orphaned=Count("pk", filter=Q(outcome=SourceChange.Outcome.ORPHANED)),
                    restored=Count("pk", filter=Q(outcome=SourceChange.Outcome.RESTORED)),
                    confirmed=Count("pk", filter=Q(resolution=SourceChange.Resolution.CONFIRMED)),
                    briefings=Count("briefing", distinct=True),
                )
            )
            for row in totals:
                group = groups[(row.pop("source_id"), row.pop("imported_at"))]
                group.counts = {**row, "pending": len(group.pending)}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Source changes",
            "groups": list(groups.values()),
            "pending_count": len(pending),
            "confirm_url": reverse("admin:briefings_sourcechange_confirm"),
            # Where a wrong replacement is undone: sources imported more than once, latest first.
            "changed_sources": Source.objects.filter(versions__number__gt=1)
            .distinct()
            .only("pk", "slug", "title", "opening", "updated_at")
            .order_by("-updated_at")[:RECENT_SOURCES],
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)

    def confirm_view(self, request):
        """Confirm one re-anchored citation (POST ``citation``), then go back where the editor came from."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            citation_id = int(request.POST.get("citation", ""))
        except ValueError:
            raise Http404("No such citation.") from None
        citation = get_object_or_404(Citation.objects.select_related("briefing"), pk=citation_id)
        try:
            workflow.confirm_reanchoring(citation, by=request.user)
        except PermissionDenied as refusal:
            raise PermissionDenied(str(refusal)) from None
        except workflow.WorkflowError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Confirmed the new place of [^{citation.label}] in “{citation.briefing.title}”.",
                messages.SUCCESS,
            )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:briefings_sourcechange_changelist")
        return redirect(back)

    # Versions of one source: withholding and undo ------------------------------------

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def _version_or_404(self, request, version_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(SourceVersion.objects.select_related("source").defer("source__text"), pk=version_id)

    def versions_view(self, request, source_id):
        """Every version of a source, newest first, with what an editor may do to each."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        source = get_object_or_404(Source.objects.defer("text"), pk=source_id)
        history = list(
            source.versions.select_related("imported_by", "withheld_by", "restored_from").defer("text")
            .order_by("-number")
        )
        may_manage = request.user.has_perm("sources.change_sourceversion")
        current = history[0] if history else None
        for version in history:
            version.may_withhold = may_manage and not version.is_withheld
            version.may_restore = may_manage and version is not current and not version.is_withheld
        context = self._context(
            request, f"Versions of {source.display_title}", source=source, versions=history,
            current_number=current.number if current else 0,
        )
        return TemplateResponse(request, "admin/briefings/sourcechange/versions.html", context)

    def withhold_view(self, request, version_id):
        """Ask for the reason, then withhold the version's words (``workflow.withhold_source_version``)."""
        version = self._version_or_404(request, version_id)
        if not request.user.has_perm("sources.change_sourceversion"):
            raise PermissionDenied("You are not allowed to withhold source versions.")
        form = WithholdForm(request.POST or None)
        error = ""
        if request.method == "POST" and form.is_valid():
            try:
                workflow.withhold_source_version(version, by=request.user, reason=form.cleaned_data["reason"])
            except PermissionDenied as refusal:
                raise PermissionDenied(str(refusal)) from None
            except workflow.WorkflowError as refusal:
                error = str(refusal)
            else:
                self.message_user(
                    request, f"Version {version.number} of {version.source.display_title} is withheld.",
                    messages.SUCCESS,
                )
                return redirect("admin:briefings_sourcechange_versions", version.source_id)
        context = self._context(
            request, f"Withhold version {version.number} of {version.source.display_title}", version=version,
            form=form, error=error, quoting=list(workflow.briefings_quoting(version).only("pk", "title", "status")),
        )
        return TemplateResponse(request, "admin/briefings/sourcechange/withhold.html", context)

    def restore_view(self, request, version_id):
        """Confirm, then make an earlier version the current text again (``workflow.restore_source_version``)."""
        version = self._version_or_404(request, version_id)
        if not request.user.has_perm("sources.change_sourceversion"):
            raise PermissionDenied("You are not allowed to restore sources to an earlier version.")
        current = version.source.current_version()
        error = ""
        if request.method == "POST":
            try:
                expected = int(request.POST.get("expected_version", ""))
            except ValueError:
                expected = -1
            try:
                result = workflow.restore_source_version(version, by=request.user, expected_version=expected)
            except workflow.WorkflowError as refusal:
                error = str(refusal)
            else:
                self.message_user(
                    request,
                    f"Version {version.number} restored as version {result.version}: {result.describe()}",
                    messages.SUCCESS,
                )
                return redirect("admin:briefings_sourcechange_versions", version.source_id)
        context = self._context(
            request, f"Restore version {version.number} of {version.source.display_title}", version=version,
            current=current, error=error,
        )
        return TemplateResponse(request, "admin/briefings/sourcechange/restore.html", context)


class WithholdForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Public and dated: why the words are withheld (for example a named person at risk, or a "
        "defamation claim). Readers see this instead of the words.",
    )
