"""Citing words selected on a source page, from the admin's side; and the editor's "not yet placed" list.

A public source page is the same for everyone, so its script
(``static/js/cite-selection.js``) asks this admin address for what only staff
may see: the signed-in person's drafts and a CSRF token (GET), and it posts
the selection there to cite it (POST). Answers are never cached, and anyone
but active staff gets 403. The rules are ``briefings.workflow``'s
(``cite_selection``, ``start_briefing_with_selection``); the selection is read
by ``briefings.selection``.
"""
import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from . import workflow
from .models import Briefing, Citation
from .selection import SelectionError, read_selection
from .staff_hint import clear_hint

# How many of a person's drafts the "Cite in…" list offers, latest changed first.
DRAFTS_OFFERED = 50
NEW_BRIEFING = "new"


class CiteSelectionAdminMixin:
    """Adds ``cite-selection/`` to the briefing admin, and the not-yet-placed citations to the change page."""

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_cite_selection"
        # Not admin_view(): a script asks, so a refusal is a 403 it can read, not a redirect to the login page.
        view = never_cache(csrf_protect(self.cite_selection_view))
        return [path("cite-selection/", view, name=name), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["unplaced_citations"] = self.unplaced_citations(object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def unplaced_citations(self, object_id):
        """The briefing's citations whose marker is not in its body, in one query with the body they are read from.

        Only shown on the change page, which refuses people who may not see the briefing.
        """
        if not (isinstance(object_id, str) and object_id.isascii() and object_id.isdigit() and len(object_id) <= 18):
            return []
        citations = list(
            Citation.objects.filter(briefing_id=int(object_id))
            .select_related("briefing", "passage__source")
            .defer("passage__source__text")
        )
        return citations[0].briefing.unplaced_citations(citations) if citations else []

    def cite_selection_view(self, request):
        if not self.admin_site.has_permission(request):
            response = JsonResponse({"error": "Sign in to the newsroom to cite words from a source."}, status=403)
            clear_hint(response)
            return response
        if request.method == "GET":
            return JsonResponse(self.desk(request))
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            data = None
        try:
            selected = read_selection(data)
            chosen = data.get("briefing")
            if chosen == NEW_BRIEFING:
                title = data.get("title")
                briefing, citations = workflow.start_briefing_with_selection(
                    request.user, title if isinstance(title, str) else "", selected
                )
            else:
                briefing = self._chosen_briefing(chosen)
                if briefing is None:
                    return JsonResponse({"error": "That briefing no longer exists: choose another."}, status=404)
                citations = workflow.cite_selection(briefing, request.user, selected)
        except SelectionError as refusal:
            return JsonResponse({"error": str(refusal)}, status=400)
        except PermissionDenied as refusal:
            return JsonResponse({"error": str(refusal) or "You are not allowed to do that."}, status=403)
        except workflow.WorkflowError as refusal:
            return JsonResponse({"error": str(refusal)}, status=409)
        return JsonResponse(self.cited(briefing, citations), status=201)

    def _chosen_briefing(self, chosen):
        if isinstance(chosen, bool) or not isinstance(chosen, int | str):
            return None
        chosen = str(chosen)
        if not (chosen.isascii() and chosen.isdigit() and len(chosen) <= 18):
            return None
        return Briefing.objects.filter(pk=int(chosen)).first()

    def desk(self, request):
        """What the source page's controls need: the person's drafts, and the token their posts carry."""
        user = request.user
        drafts = Briefing.objects.drafts_of(user).only("pk", "title")[:DRAFTS_OFFERED]
        return {
            "csrf_token": get_token(request),
            "drafts": [{"id": briefing.pk, "title": briefing.title} for briefing in drafts],
            "may_start_briefing": user.has_perm("briefings.add_briefing") and user.has_perm("briefings.add_citation"),
        }

    def cited(self, briefing, citations):
        markers = ", ".join(f"[^{citation.label}]" for citation in citations)
        each = " (one citation per paragraph)" if len(citations) > 1 else ""
        return {
            "message": (
                f"Cited in “{briefing.title}” as {markers}{each}. Not yet placed: the briefing's editor lists "
                "the marker to put where the words support the text."
            ),
            "briefing": {
                "id": briefing.pk,
                "title": briefing.title,
                "url": reverse(f"{self.admin_site.name}:briefings_briefing_change", args=[briefing.pk]),
            },
            "citations": [
                {"label": citation.label, "marker": f"[^{citation.label}]", "quote": citation.quote}
                for citation in citations
            ],
        }
