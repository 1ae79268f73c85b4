"""The briefing editor's desk: each citation's passage beside it, a live preview, and splitting a quote.

``DeskAdminMixin`` goes before the workflow mixin in the bases of the briefing
admin. Its two endpoints answer the editor's htmx requests with server-rendered
fragments and are never cached: ``desk/passage/`` shows a citation row's passage
with the quoted words marked, checked by the same ``CitationForm``; and
``desk/preview/`` renders the unsaved form (body and citation rows, as posted)
with ``briefings.markdown.render_body``, saving nothing. The change form's
"Split into N citations" button (offered by ``CitationForm``) is handled here
without JavaScript: ``forms.split_citation_row`` rewrites the posted rows, which
are then checked and saved like any others.
"""
import re

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.text import Truncator

from . import finding, workflow
from .forms import SPLIT_BUTTON, CitationForm, split_citation_row
from .models import Briefing, Citation

CITATIONS_PREFIX = Citation._meta.get_field("briefing").remote_field.get_accessor_name()
# The fields of one citation row that say which words of which passage it quotes.
_ROW_FIELD = re.compile(r"^(?P<row>[\w-]+)-(?P<name>passage|quote|prefix|suffix)$")
# Errors about the words, not about the row's label or order, are what the passage panel shows.
_WORD_FIELDS = ("passage", "quote", "prefix", "suffix", "__all__")

PASSAGE_TEMPLATE = "admin/briefings/briefing/desk/passage.html"
PREVIEW_TEMPLATE = "admin/briefings/briefing/desk/preview.html"


def passage_words(citation):
    """``(where, marked words)`` of a citation whose words were verified, or ``None``."""
    if citation.passage_id is None or citation.start is None or citation.end is None:
        return None
    passage = citation.passage
    where = f"{passage.source.display_title}, {passage.place_label}"
    return where, finding.neighbourhood(passage.text, citation.start, citation.end)


def is_checked(citation):
    """Whether the citation's offsets belong to its passage and quote: as saved, or verified in this request."""
    saved = citation.pk is not None and getattr(citation, "_saved_location", None) == citation.location()
    return saved or getattr(citation, "_verified", None) == citation._verification_key()


def passage_panel(citation, admin_site_name="admin"):
    """The passage beside a citation row: the saved words marked, and a button that shows them again."""
    words = passage_words(citation) if is_checked(citation) else None
    return render_to_string("admin/briefings/briefing/desk/citation_passage.html", {
        "found": words,
        "url": reverse(f"{admin_site_name}:briefings_briefing_desk_passage"),
    })


def row_data(query):
    """The posted fields of the one citation row in ``query`` (htmx sends the row's inputs): (prefix, data)."""
    rows = {match["row"] for match in map(_ROW_FIELD.match, query) if match}
    if len(rows) != 1:
        return None, {}
    (row,) = rows
    return row, query


def row_errors(form, names=None):
    """The messages of a bound form's errors, of the named fields only if given.

    The offer to split a quote is left out: its button submits the whole form, which is the save's business
    (with a script, "Find the passage" offers the split in place).
    """
    return [
        message
        for name, errors in form.errors.as_data().items()
        if names is None or name in names
        for error in errors
        if error.code != "split_offer"
        for message in error
    ]


class DeskAdminMixin:
    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("desk/passage/", wrap(self.desk_passage_view), name=f"{name}_desk_passage"),
            path("desk/preview/", wrap(self.desk_preview_view), name=f"{name}_desk_preview_new"),
            path("<path:object_id>/desk/preview/", wrap(self.desk_preview_view), name=f"{name}_desk_preview"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and SPLIT_BUTTON in request.POST:
            self.split_citation(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def split_citation(self, request):
        """Rewrite the posted rows so the chosen one becomes one citation per passage; the save then checks them."""
        data, parts = split_citation_row(request.POST, request.POST[SPLIT_BUTTON], formset_prefix=CITATIONS_PREFIX)
        if not parts:
            self.message_user(
                request,
                "The citation was not split: its words no longer run on from one passage into the next.",
                messages.WARNING,
            )
            return
        data["_continue"] = "1"  # stay on the briefing, whatever else the save says
        request.POST = data
        labels = ", ".join(f"[^{part.label}]" for part in parts)
        self.message_user(
            request,
            f"The quote was split into {len(parts)} citations, one per passage ({labels}); their markers stand "
            "side by side in the body.",
            messages.INFO,
        )

    def live_preview(self, briefing, saved):
        """The preview panel: what was saved (all a page without script shows) and the button that refreshes it."""
        name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}"
        url = (
            reverse(f"{name}_desk_preview_new") if briefing.pk is None
            else reverse(f"{name}_desk_preview", args=[briefing.pk])
        )
        return render_to_string("admin/briefings/briefing/desk/preview_panel.html", {"saved": saved, "url": url})

    # The desk's endpoints

    def desk_passage_view(self, request):
        """A citation row's passage with the quoted words marked, checked as saving the row would check it."""
        user = request.user
        if not (user.has_perm("briefings.add_citation") or user.has_perm("briefings.change_citation")):
            raise PermissionDenied
        prefix, data = row_data(request.GET)
        context = {"found": None, "errors": [], "opening": ""}
        if prefix is None:
            context["errors"] = ["Choose a passage or paste a quote to see the words in their passage."]
        else:
            form = CitationForm(data, prefix=prefix)
            form.is_valid()
            citation = form.instance
            context["errors"] = row_errors(form, _WORD_FIELDS)
            if not context["errors"]:
                context["found"] = passage_words(citation)
            elif citation.passage_id is not None and not data.get(f"{prefix}-quote", "").strip():
                context["errors"] = ["Paste the quote to see its words marked in the passage."]
                passage = citation.passage
                if passage.citable and not passage.retired:  # only words a citation could quote
                    context["opening"] = Truncator(passage.text).chars(2 * finding.NEIGHBOURHOOD)
        return self._desk_response(request, PASSAGE_TEMPLATE, context)

    def desk_preview_view(self, request, object_id=None):
        """The body and citation rows as posted, rendered as readers would see them; nothing is saved."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if object_id is None:
            briefing = Briefing()
            refusal = None if self.has_add_permission(request) else "You are not allowed to add briefings."
        else:
            briefing = self.get_object(request, unquote(object_id))
            if briefing is None:
                raise Http404("No such briefing.")
            refusal = workflow.refusal(workflow.check_edit, briefing, request.user)
        if refusal is not None:
            return self._desk_response(request, PREVIEW_TEMPLATE, {"refusal": refusal}, status=403)
        briefing.body = request.POST.get("body", "")  # in memory only: this briefing is never saved here
        return self._desk_response(request, PREVIEW_TEMPLATE, self.preview_context(request, briefing))

    def preview_context(self, request, briefing):
        obj = briefing if briefing.pk is not None else None
        citations, unverified, problems = [], [], []
        inline = next((i for i in self.get_inline_instances(request, obj) if i.model is Citation), None)
        if inline is not None:
            formset_class = inline.get_formset(request, obj)
            kwargs = self.get_formset_kwargs(request, obj, inline, formset_class.get_default_prefix())
            formset = formset_class(**{**kwargs, "instance": briefing})
            formset.is_valid()  # checks every row, and the body's markers against the rows' labels
            for form in formset.forms:
                if formset._should_delete_form(form) or (form.instance.pk is None and not form.has_changed()):
                    continue
                if form.is_valid() and form.instance.passage_id is not None:
                    citations.append(form.instance)
                else:
                    label = form.data.get(form.add_prefix("label"), "") or "(no label)"
                    unverified.append({"label": label, "errors": row_errors(form)})
            problems = list(formset.non_form_errors())
        else:
            problems = briefing.citation_problems()
        return {
            "html": briefing.render(citations),
            "problems": problems,
            "unverified": unverified,
        }

    def _desk_response(self, request, template, context, status=200):
        # htmx swaps the fragment into the editor; opened any other way, it comes inside the admin's page.
        frame = f"admin/briefings/briefing/desk/{'fragment' if request.htmx else 'page'}.html"
        context = {**self.admin_site.each_context(request), **context, "frame": frame, "opts": self.opts}
        response = TemplateResponse(request, template, context, status=status)
        add_never_cache_headers(response)  # a draft's words are never kept by a browser or a proxy
        return response
