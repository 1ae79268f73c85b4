"""Review comments in the admin: the panel on the briefing's page, its forms, and the counts in the list.

``ReviewCommentsBriefingMixin`` goes in the bases of the briefing admin. It
adds the comments panel to the change page (threads with their anchors,
reply, resolve and reopen; a new comment on a citation or on words of the
body), one POST-only page per step, the number of open threads in the list and
the review inbox, and the comments made on each revision in the history.
Every step goes through ``briefings.comments``, which asks
``briefings.workflow`` who may take it; a refusal is shown in its words, with
what the user typed kept in the form.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from . import comments, workflow
from .admin_workflow import ACKNOWLEDGED_STEPS
from .models import ANCHOR_MAX_LENGTH, COMMENT_MAX_LENGTH, ReviewComment

WORDS = "words"


class CommentTextField(forms.CharField):
    """Plain text, bounded; the browser says so before the server does."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}))
        super().__init__(max_length=COMMENT_MAX_LENGTH, **kwargs)


class NewCommentForm(forms.Form):
    """A new thread: about a citation of the briefing, or about words of its saved body."""

    about = forms.ChoiceField(label="About", widget=forms.RadioSelect)
    words = forms.CharField(
        label="Words to comment on",
        required=False,
        max_length=ANCHOR_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": ANCHOR_MAX_LENGTH}),
        help_text="Paste the words you comment on, from the body as last saved (or select them in the body and "
                  "choose “Comment on selection”).",
    )
    near = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    text = CommentTextField(label="Comment")

    def __init__(self, *args, briefing, citations=None, **kwargs):
        super().__init__(*args, prefix="comment", **kwargs)
        self.briefing = briefing
        if citations is None:
            citations = briefing.citations.order_by("order", "label")
        self.citations = {str(citation.pk): citation for citation in citations}
        # The body field keeps the only label with "body" in it, so that it is found by that name.
        self.fields["about"].choices = [(WORDS, "Words of the briefing")] + [
            (pk, f"Citation [^{citation.label}]") for pk, citation in self.citations.items()
        ]
        self.fields["about"].initial = WORDS

    def arguments(self):
        about = self.cleaned_data["about"]
        if about == WORDS:
            return {"words": self.cleaned_data["words"], "near": self.cleaned_data["near"]}
        return {"citation": self.citations[about]}


class ReplyForm(forms.Form):
    text = CommentTextField(label="Reply")


def open_threads_column():
    """The number of open threads of each briefing, as a subquery: the list's other counts are not multiplied."""
    open_threads = (
        ReviewComment.objects.unresolved().filter(briefing=OuterRef("pk"))
        .order_by().values("briefing").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(open_threads, output_field=IntegerField()), 0)


class OpenCommentsFilter(admin.SimpleListFilter):
    """Briefings with a review thread nobody has resolved yet."""

    title = "review comments"
    parameter_name = "comments"

    def lookups(self, request, model_admin):
        return [("open", "Unresolved comments")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(pk__in=ReviewComment.objects.unresolved().values("briefing_id"))
        return queryset


class ReviewCommentsBriefingMixin:
    """The review comments of a briefing, in its admin pages."""

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/comments/add/", wrap(self.add_comment_view), name=f"{name}_comment"),
            path(
                "<path:object_id>/comments/<int:comment_id>/<slug:step>/", wrap(self.comment_step_view),
                name=f"{name}_comment_step",
            ),
            *super().get_urls(),
        ]

    # The list and the review inbox

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == f"{self.opts.app_label}_{self.opts.model_name}_changelist":
            queryset = queryset.annotate(open_comment_total=open_threads_column())
        return queryset

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), OpenCommentsFilter]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "open_comments"]

    @admin.display(description="open comments", ordering="open_comment_total")
    def open_comments(self, briefing):
        return getattr(briefing, "open_comment_total", 0) or ""

    # The change page and the history

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["review_comments"] = panel = self.comments_context(request, obj)
            if panel["open_count"] and "workflow" in context:
                # Submitting then opens its own page, which lists the open threads and asks to confirm.
                for step in context["workflow"]["steps"]:
                    step["needs_input"] = step["needs_input"] or step["action"] in ACKNOWLEDGED_STEPS
        return super().render_change_form(request, context, add, change, form_url, obj)

    def comments_context(self, request, briefing, *, form=None, reply_forms=None):
        refusal = workflow.refusal(workflow.check_comment, briefing, request.user)
        citations = list(briefing.citations.order_by("order", "label"))
        threads = comments.threads_of(briefing, citations)
        for thread in threads:
            thread.may_reply = refusal is None and not thread.is_resolved
            thread.may_resolve = refusal is None and not thread.is_resolved
            thread.may_reopen = refusal is None and thread.is_resolved
            thread.reply_form = (reply_forms or {}).get(thread.pk) or ReplyForm(prefix=f"reply-{thread.pk}")
        return {
            "threads": threads,
            "open_count": sum(1 for thread in threads if not thread.is_resolved),
            "refusal": refusal,
            "form": form or NewCommentForm(briefing=briefing, citations=citations),
            "add_url": self._url("comment", briefing.pk),
            "step_url_name": f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_comment_step",
        }

    def revisions_view(self, request, object_id):
        response = super().revisions_view(request, object_id)
        made_on = comments.by_revision(response.context_data["briefing"])
        for revision in response.context_data["revisions"]:
            revision.comments_made_on = made_on.get(revision.pk, [])
        return response

    # Steps

    def add_comment_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        briefing = self._briefing_or_404(request, object_id)
        form = NewCommentForm(request.POST, briefing=briefing)
        error = None
        if form.is_valid():
            try:
                comments.comment(briefing, request.user, form.cleaned_data["text"], **form.arguments())
            except (workflow.WorkflowError, PermissionDenied) as refused:
                error = str(refused) or "You are not allowed to do that."
            except ValidationError as invalid:
                error = " ".join(invalid.messages)
            else:
                self.message_user(request, "Comment added.", messages.SUCCESS)
                return redirect(self._change_url(briefing) + "#review-comments")
        return self._comment_page(request, briefing, error, form=form)

    def comment_step_view(self, request, object_id, comment_id, step):
        steps = {"reply": self._reply, "resolve": self._resolve, "reopen": self._reopen}
        if step not in steps:
            raise Http404("No such step.")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        briefing = self._briefing_or_404(request, object_id)
        thread = get_object_or_404(ReviewComment.objects.select_related("briefing"), pk=comment_id, briefing=briefing)
        return steps[step](request, briefing, thread)

    def _reply(self, request, briefing, thread):
        form = ReplyForm(request.POST, prefix=f"reply-{thread.pk}")
        error = None
        if form.is_valid():
            try:
                comments.reply(thread, request.user, form.cleaned_data["text"])
            except (workflow.WorkflowError, PermissionDenied) as refused:
                error = str(refused) or "You are not allowed to do that."
            except ValidationError as invalid:
                error = " ".join(invalid.messages)
            else:
                self.message_user(request, "Reply added.", messages.SUCCESS)
                return redirect(self._change_url(briefing) + f"#comment-{thread.parent_id or thread.pk}")
        return self._comment_page(request, briefing, error, reply_forms={thread.parent_id or thread.pk: form})

    def _resolve(self, request, briefing, thread):
        return self._simple_step(request, briefing, thread, comments.resolve, "Thread resolved.")

    def _reopen(self, request, briefing, thread):
        return self._simple_step(request, briefing, thread, comments.reopen, "Thread reopened.")

    def _simple_step(self, request, briefing, thread, function, done):
        try:
            function(thread, request.user)
        except (workflow.WorkflowError, PermissionDenied) as refused:
            self.message_user(request, str(refused) or "You are not allowed to do that.", messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return redirect(self._change_url(briefing) + f"#comment-{thread.pk}")

    def _comment_page(self, request, briefing, error, **forms_shown):
        """The comments on their own page, with the refusal and what the user typed: nothing is lost."""
        context = self._context(
            request, briefing, f"Review comments on {briefing}",
            error=error or "Your comment was not saved: see what is marked below.",
            review_comments=self.comments_context(request, briefing, **forms_shown),
        )
        return TemplateResponse(request, "admin/briefings/briefing/comments.html", context, status=400)
