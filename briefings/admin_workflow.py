"""The review workflow in the admin.

``WorkflowAdminMixin`` goes first in the bases of the briefing admin. It adds:
buttons for exactly the steps the current user may take, the reviewer inbox
filter, the event log (read-only), revision history with differences and
revert, preview links, and optimistic locking of the change form (a stale save
is refused, naming who saved the newer version and when, and the user's text
stays in the form). Every step goes through ``briefings.workflow``.
"""
import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from sources.admin import ReadOnlyAdmin

from . import preview, revisions, workflow
from .models import Briefing, BriefingEvent, Correction, Revision
from .times import desk_time


class ReviewInboxFilter(admin.SimpleListFilter):
    title = "review inbox"
    parameter_name = "inbox"

    def lookups(self, request, model_admin):
        if not request.user.has_perm("briefings.review_briefing"):
            return []  # only reviewers have an inbox
        return [("mine", "In review, not written by me")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            if not request.user.has_perm("briefings.review_briefing"):
                return queryset.none()
            # Four-eyes: what the reviewer wrote or saved is someone else's to review.
            return (
                queryset.filter(status=Briefing.Status.IN_REVIEW)
                .exclude(authors=request.user)
                .exclude(revisions__author=request.user)
            )
        return queryset


# Forms of the workflow steps -------------------------------------------------


class TransitionForm(forms.Form):
    """A workflow step as posted from the admin; ``version`` is the copy of the briefing the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, briefing, **kwargs):
        self.briefing = briefing
        super().__init__(*args, **kwargs)

    def arguments(self):
        return {}

    def ask_to_acknowledge(self, threads):
        """Open review comments are listed above the form; taking the step with them open is ticked here."""
        self.unresolved_comments = threads
        if threads:
            self.fields["acknowledge_unresolved"] = forms.BooleanField(
                label=f"Go ahead with {len(threads)} unresolved comment{'s' if len(threads) != 1 else ''}",
                required=False,
                help_text="Recorded in the review record, with the comments left open.",
            )

    def acknowledgement(self):
        return {"acknowledge_unresolved": self.cleaned_data.get("acknowledge_unresolved", False)}


class RequestChangesForm(TransitionForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), help_text="What should change. The authors see this."
    )

    def arguments(self):
        return {"comment": self.cleaned_data["comment"]}


class PublishForm(TransitionForm):
    at = forms.DateTimeField(
        label="Publish at",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty to publish now. A later time schedules it: it appears on its own at that moment.",
    )
    correction = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Public and dated: what was wrong in the published version and what changed.",
    )
    minor = forms.BooleanField(
        label="Minor update", required=False, help_text="No change of substance: logged, not shown to readers."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.briefing.is_public():
            del self.fields["at"]
        else:
            del self.fields["correction"]
            del self.fields["minor"]
            # The browser's picker has no zone: say which one the time is read in.
            zone = timezone.get_current_timezone_name()
            self.fields["at"].help_text += f" In the desk's time zone, {zone}."

    def arguments(self):
        passed = ("version", "acknowledge_unresolved")
        return {name: value for name, value in self.cleaned_data.items() if name not in passed}


class RetractForm(TransitionForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="Public: shown on the briefing and the corrections page."
    )

    def arguments(self):
        return {"reason": self.cleaned_data["reason"]}


class CorrectForm(TransitionForm):
    note = forms.CharField(
        label="Correction",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Public and dated: what was wrong and what is right.",
    )

    def arguments(self):
        return {"note": self.cleaned_data["note"]}


def published_message(briefing):
    """What the editor is told after publishing: a scheduled briefing is not published yet."""
    if briefing.is_scheduled():
        return f"Scheduled for {desk_time(briefing.published_at)}: readers see it from then on."
    return "Published."


# Steps that take a briefing on towards readers: open review comments must be confirmed first.
ACKNOWLEDGED_STEPS = {"submit", "publish"}

# action: (button label, form, function, message on success: words, or a function of the briefing)
STEPS = {
    "submit": ("Submit for review", TransitionForm, workflow.submit, "Submitted for review."),
    "request_changes": ("Request changes", RequestChangesForm, workflow.request_changes, "Sent back for changes."),
    "approve": ("Approve", TransitionForm, workflow.approve, "Approved."),
    "publish": ("Publish…", PublishForm, workflow.publish, published_message),
    "unpublish": ("Cancel schedule", TransitionForm, workflow.unpublish, "Taken off the schedule."),
    "retract": ("Retract…", RetractForm, workflow.retract, "Retracted."),
    "correct": ("Add correction…", CorrectForm, workflow.correct, "Correction published."),
}


class VersionedFormMixin:
    """Refuses a save made from an older copy of the briefing, keeping what the user typed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance.pk:
            return cleaned_data
        # Locked until the admin's transaction commits, so nobody saves in between.
        current = Briefing.objects.select_for_update().get(pk=self.instance.pk)
        # A workflow step taken meanwhile (a retraction, the user's removal as an author) says why first.
        reason = workflow.refusal(workflow.check_edit, current, self.request_user)
        if reason is not None:
            raise ValidationError(
                f"{reason} Your changes were not saved; your text is still in the form below, so you can copy it.",
                code="not_editable",
            )
        if cleaned_data.get("expected_version") != current.version:
            stale = workflow.StaleVersion(current)
            # The next save is made knowingly, on top of the newer version.
            data = self.data.copy()
            data[self.add_prefix("expected_version")] = current.version
            self.data = data
            raise ValidationError(
                f"{stale} Your text is still in the form below: compare it with the newer version in the "
                "revision history, then save again to replace it.",
                code="stale",
            )
        return cleaned_data


# Read-only records ------------------------------------------------------------


class BriefingEventInline(admin.TabularInline):
    """The briefing's review record on its page: shown, never edited or deleted."""

    model = BriefingEvent
    verbose_name = "review event"
    verbose_name_plural = "review record"
    fields = ("created_at", "actor", "action", "from_state", "to_state", "comment", "revision_number")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "revision")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="revision")
    def revision_number(self, event):
        return event.revision.number if event.revision else "—"


@admin.register(BriefingEvent)
class BriefingEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "briefing", "action", "actor", "from_state", "to_state")
    list_filter = ("action",)
    list_select_related = ("briefing", "actor")
    search_fields = ("briefing__title", "comment", "actor__username")
    date_hierarchy = "created_at"


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "briefing", "kind", "created_by", "difference_withheld")
    list_filter = ("kind", "difference_withheld")
    list_select_related = ("briefing", "created_by")
    search_fields = ("briefing__title", "note")
    date_hierarchy = "created_at"
    actions = ["withhold_difference", "show_difference"]

    def has_correct_permission(self, request):
        return request.user.has_perm("briefings.correct_briefing")

    @admin.action(description="Withhold the changed words from readers (legal or safety reasons)",
                  permissions=["correct"])
    def withhold_difference(self, request, queryset):
        self._set_withheld(request, queryset, True)

    @admin.action(description="Show readers the changed words again", permissions=["correct"])
    def show_difference(self, request, queryset):
        self._set_withheld(request, queryset, False)

    def _set_withheld(self, request, queryset, withheld):
        # Each correction is checked by the workflow itself, not only the permission to see this action.
        done = 0
        for correction in queryset:
            try:
                workflow.withhold_difference(correction, request.user, withheld=withheld)
            except (workflow.WorkflowError, PermissionDenied) as refusal:
                self.message_user(request, f"{correction}: {refusal}", messages.ERROR)
            else:
                done += 1
        if done:
            shown = "withheld from readers" if withheld else "shown to readers"
            self.message_user(request, f"The changed words of {done} correction(s) are now {shown}.", messages.SUCCESS)


# The briefing admin's workflow half ---------------------------------------------


class WorkflowAdminMixin:
    change_form_template = "admin/briefings/briefing/workflow_change_form.html"
    workflow_inlines = [BriefingEventInline]

    # Forms and saving

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)

        class VersionedForm(VersionedFormMixin, base):
            expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
            request_user = request.user

        VersionedForm.__name__ = base.__name__
        return VersionedForm

    def get_fieldsets(self, request, obj=None):
        # The version travels as a hidden input at the top of the form, not as a row.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "expected_version"]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        return inlines + self.workflow_inlines if obj is not None else inlines

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        for wanted in ("authors", "status", ReviewInboxFilter):
            if wanted not in filters:
                filters.insert(0, wanted)
        return filters

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            # The save is judged by the form, under the row's lock: a refusal comes back with the text typed.
            request.briefing_save_judged_by_form = True
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or getattr(request, "briefing_save_judged_by_form", False):
            return True
        return workflow.can_edit(obj, request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        briefing = form.instance
        if not briefing.authors.exists():
            briefing.authors.add(request.user)
        before = briefing.status
        workflow.record_edit(briefing, request.user)
        if briefing.status != before:
            messages.warning(
                request,
                f"The content changed, so this briefing is now {briefing.get_status_display().lower()}: "
                + (
                    "readers keep seeing the published version until the new one is reviewed and published."
                    if before == Briefing.Status.PUBLISHED
                    else "it needs a new review before it can be published."
                ),
            )

    # Pages

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/step/<slug:action>/", wrap(self.transition_view), name=f"{name}_transition"),
            path("<path:object_id>/revisions/", wrap(self.revisions_view), name=f"{name}_revisions"),
            path("<path:object_id>/revisions/compare/", wrap(self.compare_view), name=f"{name}_compare"),
            path(
                "<path:object_id>/revisions/<int:number>/revert/", wrap(self.revert_view), name=f"{name}_revert"
            ),
            path("<path:object_id>/preview-link/", wrap(self.preview_link_view), name=f"{name}_preview_link"),
            path("<path:object_id>/preview/", wrap(self.draft_preview_view), name=f"{name}_draft_preview"),
            *super().get_urls(),
        ]

    def _briefing_or_404(self, request, object_id):
        briefing = self.get_object(request, object_id)
        if briefing is None:
            raise Http404("No such briefing.")
        if not self.has_view_or_change_permission(request, briefing):
            raise PermissionDenied
        return briefing

    def _url(self, name, *args):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def _change_url(self, briefing):
        return self._url("change", briefing.pk)

    def _context(self, request, briefing, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": briefing,
            "briefing": briefing,
            "title": title,
            "has_view_permission": self.has_view_permission(request, briefing),
            "change_url": self._change_url(briefing),
            **extra,
        }

    def get_view_on_site_url(self, obj=None):
        """A briefing readers can see links to its public page; any other to the staff preview of its text."""
        if obj is None or obj.pk is None:
            return None
        if obj.is_public():
            return obj.get_absolute_url()
        return self._url("draft_preview", obj.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        briefing = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if briefing is not None:
            extra_context["workflow"] = self.workflow_context(request, briefing)
        return super().change_view(request, object_id, form_url, extra_context)

    def workflow_context(self, request, briefing):
        """What the workflow panel on the change page shows."""
        stage = workflow.stage_steps(briefing, request.user)
        steps = [
            {
                "action": action,
                "label": STEPS[action][0],
                "needs_input": STEPS[action][1] is not TransitionForm,
                "url": self._url("transition", briefing.pk, action),
            }
            for action, reason in stage
            if reason is None
        ]
        # Where a step is not open, the reason is the workflow's own words; editing first.
        edit_refusal = workflow.refusal(workflow.check_edit, briefing, request.user)
        closed = [{"label": "Edit", "reason": edit_refusal}] if edit_refusal else []
        closed += [
            {"label": STEPS[action][0].rstrip("…") if action else "", "reason": reason}
            for action, reason in stage
            if reason is not None
        ]
        return {
            "steps": steps,
            "closed_steps": closed,
            "latest_revision": revisions.latest_revision(briefing),
            "version": briefing.version,
            "is_public": briefing.is_public(),
            "is_scheduled": briefing.is_scheduled(),
            "request_for_changes": workflow.latest_request_for_changes(briefing),
            "may_share_preview": self._may_share_preview(request, briefing),
        }

    def _may_share_preview(self, request, briefing):
        return workflow.refusal(workflow.check_share_preview, briefing, request.user) is None

    def transition_view(self, request, object_id, action):
        if action not in STEPS:
            raise Http404("No such step.")
        briefing = self._briefing_or_404(request, object_id)
        label, form_class, function, done = STEPS[action]
        open_threads = workflow.unresolved_comments(briefing) if action in ACKNOWLEDGED_STEPS else []
        if request.method == "POST":
            form = form_class(request.POST, briefing=briefing)
            form.ask_to_acknowledge(open_threads)
            if form.is_valid():
                briefing.version = form.cleaned_data["version"]
                arguments = form.arguments()
                if action in ACKNOWLEDGED_STEPS:
                    arguments.update(form.acknowledgement())
                try:
                    function(briefing, request.user, **arguments)
                except (workflow.WorkflowError, PermissionDenied) as refusal:
                    form.add_error(None, str(refusal) or "You are not allowed to do that.")
                else:
                    self.message_user(request, done(briefing) if callable(done) else done, messages.SUCCESS)
                    return redirect(self._change_url(briefing))
        else:
            form = form_class(initial={"version": briefing.version}, briefing=briefing)
            form.ask_to_acknowledge(open_threads)
        context = self._context(
            request, briefing, f"{label.rstrip('…')}: {briefing}", form=form, action=action, label=label.rstrip("…"),
            refusal=None if request.method == "POST" else workflow.refusal(workflow.CHECKS[action], briefing,
                                                                           request.user),
        )
        return TemplateResponse(request, "admin/briefings/briefing/transition.html", context)

    def revisions_view(self, request, object_id):
        briefing = self._briefing_or_404(request, object_id)
        history = list(briefing.revisions.select_related("author").order_by("-number"))
        context = self._context(
            request,
            briefing,
            f"Revisions of {briefing}",
            revisions=history,
            may_revert=workflow.can_edit(briefing, request.user),
            compare_url=self._url("compare", briefing.pk),
        )
        return TemplateResponse(request, "admin/briefings/briefing/revisions.html", context)

    def compare_view(self, request, object_id):
        briefing = self._briefing_or_404(request, object_id)
        try:
            numbers = int(request.GET["from"]), int(request.GET["to"])
        except (KeyError, ValueError):
            raise Http404("Choose two revisions to compare.") from None
        old, new = (get_object_or_404(Revision, briefing=briefing, number=number) for number in numbers)
        context = self._context(
            request, briefing, f"Revision {old.number} → {new.number} of {briefing}", diff=revisions.diff(old, new)
        )
        return TemplateResponse(request, "admin/briefings/briefing/compare.html", context)

    def revert_view(self, request, object_id, number):
        briefing = self._briefing_or_404(request, object_id)
        target = get_object_or_404(Revision, briefing=briefing, number=number)
        latest = revisions.latest_revision(briefing)
        error = workflow.refusal(workflow.check_edit, briefing, request.user)
        if request.method == "POST" and error is None:
            try:
                briefing.version = int(request.POST.get("version", ""))
            except ValueError:
                error = "The form was incomplete; reload the page and try again."
            else:
                try:
                    with transaction.atomic():
                        new = workflow.revert(briefing, request.user, target)
                except (workflow.WorkflowError, PermissionDenied) as refusal:
                    error = str(refusal) or "You are not allowed to do that."
                except ValidationError as invalid:
                    error = "This revision cannot be restored: " + " ".join(invalid.messages)
                else:
                    self.message_user(
                        request, f"Revision {target.number} restored as revision {new.number}.", messages.SUCCESS
                    )
                    return redirect(self._change_url(briefing))
        context = self._context(
            request,
            briefing,
            f"Revert {briefing} to revision {target.number}",
            target=target,
            diff=revisions.diff(latest, target),
            error=error,
            may_revert=workflow.can_edit(briefing, request.user),
            version=briefing.version if error is None else Briefing.objects.get(pk=briefing.pk).version,
        )
        return TemplateResponse(request, "admin/briefings/briefing/revert.html", context)

    def preview_link_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        briefing = self._briefing_or_404(request, object_id)
        refused = workflow.refusal(workflow.check_share_preview, briefing, request.user)
        latest = revisions.latest_revision(briefing)
        if refused is not None:
            self.message_user(request, f"No preview link was made: {refused}", messages.ERROR)
        elif latest is None:
            self.message_user(request, "Save the briefing before sharing a preview.", messages.ERROR)
        else:
            url = request.build_absolute_uri(preview.preview_url(latest))
            expires = timezone.now() + datetime.timedelta(seconds=preview.max_age())
            self.message_user(
                request,
                format_html(
                    'Preview link for revision {} of this briefing, valid until {} or until the briefing changes: '
                    '<a href="{}">{}</a>',
                    latest.number, desk_time(expires), url, url,
                ),
                messages.SUCCESS,
            )
        return redirect(self._change_url(briefing))

    def draft_preview_view(self, request, object_id):
        """The briefing's current text on the reader site's preview page, for its authors and editors only."""
        briefing = self._briefing_or_404(request, object_id)
        refused = workflow.refusal(workflow.check_preview, briefing, request.user)
        if refused is not None:
            raise PermissionDenied(refused)
        response = TemplateResponse(request, "public/preview.html", preview.working_copy_page(briefing))
        # Unpublished text for one signed-in person: never stored by a cache, never indexed.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
