"""Forms for writing briefings and their citations (used by the admin)."""
import re

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from sources.models import Passage

from . import finding, quotes
from .markdown import add_markers_beside
from .models import Briefing, Citation, Tag

# The submit button a refusal offers when a row's quote runs across passages; its value is the row's prefix.
SPLIT_BUTTON = "_split_citation"


class BriefingForm(forms.ModelForm):
    """A briefing edited together with its citations (the admin's inline formset)."""

    class Meta:
        model = Briefing
        fields = ["title", "slug", "dek", "body", "authors", "tags"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField briefing-body"})}


class CitationFormSet(BaseInlineFormSet):
    """A briefing's citations, checked together against the body posted with them.

    Every footnote marker needs a citation: the rows kept in this save count,
    and the citations saved since the form was opened (words cited from a
    source page), which the form does not show. A citation not placed in the
    body yet may be saved: the editor lists it as "not yet placed", and the
    workflow refuses to submit the briefing until it is used.
    """

    def clean(self):
        super().clean()
        labels = [
            form.cleaned_data["label"]
            for form in self.forms
            if form.cleaned_data.get("label") and not (self.can_delete and self._should_delete_form(form))
        ]
        if self.instance.pk is not None:
            shown = {form.instance.pk for form in self.initial_forms}
            labels += self.instance.citations.exclude(pk__in=shown).values_list("label", flat=True)
        problems = self.instance.marker_problems(labels)
        if problems:
            raise forms.ValidationError(problems, code="citations")


class PassageAutocomplete(AutocompleteSelect):
    """Autocomplete that labels the chosen passage from the citation already loaded.

    The stock widget asks the database for the label of every row's chosen
    passage; with the passages loaded alongside the citations, a page of fifty
    citations costs no extra queries.
    """

    known = None  # {str(passage pk): Passage}

    def get_url(self):
        # Typography-tolerant search showing the matching words (``CitablePassageSearch``).
        return reverse(f"{self.admin_site.name}:sources_passage_cite_search")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-find-url"] = reverse(f"{self.admin_site.name}:sources_passage_find")
        return attrs

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not self.known or not selected or not selected <= set(self.known):
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        for key in sorted(selected):
            passage = self.known[key]
            label = self.choices.field.label_from_instance(passage)
            options.append(self.create_option(name, passage.pk, label, selected, len(options)))
        return [(None, options, 0)]


class CitationForm(forms.ModelForm):
    class Meta:
        model = Citation
        fields = ["label", "order", "passage", "quote", "note", "prefix", "suffix", "translation", "translation_by"]
        labels = {"prefix": "Words just before", "suffix": "Words just after"}
        help_texts = {
            "quote": "Paste the words as the source prints them; spacing, quote marks and dashes may differ, "
            "capital letters may not. At least three words. Quote marks around them are removed.",
            "prefix": "Only needed when the quoted words occur more than once in the passage.",
            "suffix": "Only needed when the quoted words occur more than once in the passage.",
        }
        widgets = {
            "quote": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            "note": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "prefix": forms.TextInput(attrs={"class": "vTextField"}),
            "suffix": forms.TextInput(attrs={"class": "vTextField"}),
            "translation": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["passage"].widget
        widget = getattr(widget, "widget", widget)  # the admin wraps it with add/view links
        if isinstance(widget, PassageAutocomplete) and Citation.passage.is_cached(self.instance):
            widget.known = {str(self.instance.passage_id): self.instance.passage}
        # A passage may be left out: the one holding the pasted quote is looked for (``find_passage``).
        self.fields["passage"].required = False
        self.fields["passage"].help_text = (
            "Or leave it empty and paste the quote: the passage that holds the words is found for you."
        )
        self.fields["translation_by"].widget.attrs.setdefault("class", "vTextField")

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("passage") and not self.has_error("passage") and not self.has_error("quote"):
            self.find_passage(cleaned_data)
        return cleaned_data

    def _post_clean(self):
        super()._post_clean()
        if self.has_error("quote", "spans_passages"):
            self.offer_split()

    def offer_split(self):
        """Beside the refusal of a quote that runs across passages, a button that splits it (no script needed)."""
        passage = self.instance.passage if self.instance.passage_id else None
        try:
            parts = finding.split_quote(self.data.get(self.add_prefix("quote"), ""), "", passage=passage)
        except quotes.QuoteError:
            return
        if len(parts) < 2:
            return
        self.add_error("quote", forms.ValidationError(format_html(
            '<button type="submit" class="button citation-split" name="{}" value="{}">Split into {} citations'
            "</button> One citation per passage, each with the source's exact words; the body gets a marker "
            "for each, side by side.",
            SPLIT_BUTTON, self.prefix, len(parts),
        ), code="split_offer"))

    def find_passage(self, cleaned_data):
        """Fill the passage from the quote when exactly one current passage holds it; otherwise say why not."""
        try:
            found = finding.find_passages(cleaned_data.get("quote") or "")
        except quotes.QuoteError as error:
            self.add_error("quote", forms.ValidationError(str(error), code=error.code))
            return
        if not found:
            self.add_error("quote", forms.ValidationError(
                "No current passage of any source holds these words (spacing, quote marks and dashes aside). "
                "Check them against the source, or choose the passage to see the closest words in it.",
                code="not_found_anywhere",
            ))
        elif found[0].parts:
            pieces = format_html_join(
                "", "<li>{}: {}</li>",
                ((f"{p.source.display_title}, paragraph {p.ordinal}", finding.highlight(p.text, m.start, m.end))
                 for p, m in found[0].parts),
            )
            self.add_error("quote", forms.ValidationError(format_html(
                "These words run on from one paragraph into the next; a citation quotes one passage. "
                "Cite each part separately:<ul>{}</ul>", pieces,
            ), code="spans_passages"))
        elif len(found) > 1:
            listed = format_html_join(
                "", "<li>{}: {}</li>", ((finding.describe(item), item.highlighted()) for item in found)
            )
            self.add_error("passage", forms.ValidationError(format_html(
                "These words are in {} passages; choose the one you mean:<ul>{}</ul>", len(found), listed,
            ), code="several_passages"))
        else:
            cleaned_data["passage"] = found[0].passage
            cleaned_data["quote"] = found[0].match.quote


def split_citation_row(data, row_prefix, *, formset_prefix, body_field="body"):
    """Posted data with one citation row split into one row per passage its quote runs across.

    The row keeps the first part (its label, passage and exact words); new rows
    take the others (``label-2``…, the same order), and each ``[^label]`` marker in
    the posted body gets the new markers beside it. Nothing is saved here: the
    rows are then checked and saved like any others. Returns ``(data, parts)``,
    with ``parts`` empty and the data unchanged when the row cannot be split.
    """
    total_key = f"{formset_prefix}-TOTAL_FORMS"
    total = data.get(total_key, "")
    row = re.fullmatch(rf"{re.escape(formset_prefix)}-(\d+)", row_prefix or "")
    if not total.isdigit() or row is None or int(row.group(1)) >= int(total):
        return data, []
    total = int(total)

    def posted(name):
        return data.get(f"{row_prefix}-{name}", "")

    chosen = posted("passage")
    passage = Passage.objects.citable().filter(pk=chosen).first() if chosen.isdigit() else None
    taken = [data.get(f"{formset_prefix}-{index}-label", "") for index in range(total)]
    try:
        parts = finding.split_quote(posted("quote"), posted("label"), passage=passage, taken=taken)
    except quotes.QuoteError:
        return data, []
    if len(parts) < 2:
        return data, []
    data = data.copy()
    for index, part in enumerate(parts):
        prefix = row_prefix if index == 0 else f"{formset_prefix}-{total + index - 1}"
        data[f"{prefix}-label"] = part.label
        data[f"{prefix}-passage"] = str(part.passage.pk)
        data[f"{prefix}-quote"] = part.match.quote
        data[f"{prefix}-prefix"] = part.match.prefix
        data[f"{prefix}-suffix"] = part.match.suffix
        if index:
            data[f"{prefix}-order"] = posted("order") or "0"
    data[total_key] = str(total + len(parts) - 1)
    data[body_field] = add_markers_beside(
        data.get(body_field, ""), parts[0].label, [part.label for part in parts[1:]]
    )
    return data, parts


class MergeTagsForm(forms.Form):
    """Choose which of the selected tags stays; the others are merged into it."""

    keep = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Keep this tag",
        help_text="Every briefing tagged with one of the other tags gets this one; the others are deleted.",
    )

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = tags
