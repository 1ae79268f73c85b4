"""The filters of the public briefing list, its feeds and its API: one FilterSet, one set of URL parameters.

``?tag=energy&tag=gas`` (any of the tags), ``source=<slug>`` (quotes that
source), ``author=<author slug>``, ``published_after`` / ``published_before``
(dates, inclusive) and ``q`` (words, as in the search page). The choices only
ever list what published briefings use, so a draft's tag or source never
appears in the form.

The form stays small however large the archive: it offers the most used tags
(plus the chosen ones) and links to the list of all tags, and it shows the
chosen source only, pointing to the list of sources, whose pages link to the
briefings citing them. Every tag and source in use is still accepted.
"""
import copy
import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property

from briefings.models import AuthorProfile, Briefing, RevisionCitation, Tag
from sources.models import Source

from . import fragments, queries, search


def _day(date):
    return f"{date.day} {date:%B %Y}"


def _tags(request):
    # Never read: a chosen tag is looked up by ``CarriedTagsField.carried`` (an empty choice looks nothing up).
    return Tag.objects.none()


def _sources(request):
    return queries.cited_sources()


def _authors(request):
    return queries.public_authors()


def _none_of(model):
    return lambda request: model.objects.none()


class CopiedShallow:
    """A filter copied for each filter set without deep-copying its arguments, which nothing changes.

    ``FilterSet`` deep-copies every filter for every request (a thousand objects for this one); a filter's
    per-request state (its parent, model and field) is set on the copy, its ``extra`` arguments are only read.
    """

    def __deepcopy__(self, memo):
        copied = copy.copy(self)
        if copied.method is not None:
            copied.method = copied.method  # bound anew to the copy, which alone gets a parent filter set
        return copied


class SourceChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, source):
        return source.display_title


class AuthorChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, profile):
        return profile.name


class CarriedTagsField(django_filters.fields.ModelMultipleChoiceField):
    """Tags chosen by slug, accepted only when a published briefing carries them (``queries.tags_carried``).

    The chosen slugs are looked up with ``carried(slugs)``, which ``BriefingFilter`` keeps per public version
    (``fragments.carried_tags``): the validation of the tags a list is filtered by is then no query at all.
    """

    carried = staticmethod(queries.carried_tags)

    def _check_values(self, value):
        try:
            slugs = sorted({str(slug) for slug in value})
        except TypeError:
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list") from None
        for slug in slugs:
            self.validate_no_null_characters(slug)
        rows = self.carried(slugs)
        found = {slug for _, slug, _ in rows}
        for slug in slugs:
            if slug not in found:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": slug}
                )
        return [Tag(pk=pk, slug=slug, name=name) for pk, slug, name in rows]


class CarriedTagsFilter(CopiedShallow, django_filters.ModelMultipleChoiceFilter):
    field_class = CarriedTagsField


class SourceFilter(CopiedShallow, django_filters.ModelChoiceFilter):
    field_class = SourceChoiceField


class AuthorFilter(CopiedShallow, django_filters.ModelChoiceFilter):
    field_class = AuthorChoiceField


class DateInput(forms.DateInput):
    """A date picker. Text that is not a date is not echoed back: the field's error says what was wrong."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def format_value(self, value):
        if isinstance(value, str):
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                return None
        return super().format_value(value)


class LazyChoices(BaseChoiceIterator):
    """Choices computed the first time a widget lists them, once."""

    def __init__(self, compute):
        self.compute = compute

    @cached_property
    def choices(self):
        return self.compute()

    def __iter__(self):
        return iter(self.choices)


# Tags offered as checkboxes when nothing is chosen: the rest are one link away, on the list of all tags.
POPULAR_TAGS = 20


class WordsFilter(CopiedShallow, django_filters.CharFilter):
    pass


class DayFilter(CopiedShallow, django_filters.DateFilter):
    pass


class BriefingFilter(django_filters.FilterSet):
    q = WordsFilter(label="Words", method="filter_words", max_length=200)
    source = SourceFilter(
        label="Cites the source",
        queryset=_sources,
        to_field_name="slug",
        method="filter_source",
        empty_label="Any source",
    )
    author = AuthorFilter(
        label="Author",
        queryset=_authors,
        to_field_name="slug",
        method="filter_author",
        empty_label="Any author",
    )
    published_after = DayFilter(
        label="Published on or after", field_name="published_at", lookup_expr="date__gte", widget=DateInput
    )
    published_before = DayFilter(
        label="Published on or before", field_name="published_at", lookup_expr="date__lte", widget=DateInput
    )
    tag = CarriedTagsFilter(
        label="Tags",
        queryset=_tags,
        to_field_name="slug",
        method="filter_tags",
        widget=forms.CheckboxSelectMultiple,
        help_text="Briefings with any of the chosen tags.",
    )

    class Meta:
        model = Briefing
        fields = ["q", "source", "author", "published_after", "published_before", "tag"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A choice the reader did not make needs no queryset to validate (an empty value is never looked up), and
        # building one costs more than the page's other queries: only the chosen filters get theirs.
        # A callable, like the filters' own querysets: built only if the form is (a page assembled from a kept form
        # and no choice builds none).
        for name, model in (("tag", Tag), ("source", Source), ("author", AuthorProfile)):
            if not self.chose(name):
                self.filters[name].queryset = _none_of(model)

    def chose(self, name):
        """Whether the reader's data gives a value for the filter ``name``."""
        data = self.data if self.is_bound else {}
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return any(values)

    @property
    def form(self):
        """The form, offering a short list of tags and sources; validation still accepts every one in use."""
        if not hasattr(self, "_form"):
            form = super().form
            # Worked out when the form is rendered: feeds and the API filter with it but never show it.
            form.fields["tag"].widget.choices = LazyChoices(self.tag_choices)
            form.fields["tag"].carried = lambda slugs: fragments.carried_tags(self.request, slugs)
            form.fields["source"].widget.choices = LazyChoices(self.source_choices)
        return self._form

    def offered(self):
        """Everything the form offers besides the reader's data, read once and given to its widgets.

        The rendered form is a function of the data and of this (``public.fragments.filter_form`` keeps it); it is
        a tuple of lists of ``(value, label)`` strings, so that it can be kept itself.
        """
        fields = self.form.fields
        # Not the field's choices: its queryset is only built when an author is chosen.
        authors = [("", fields["author"].empty_label)]
        authors += [(profile.slug, profile.name) for profile in queries.public_authors()]
        return (list(fields["tag"].widget.choices), authors, list(fields["source"].widget.choices))

    def offers_depend_on(self):
        """What of the reader's data ``offered`` depends on: the chosen tags and source, once the data is valid."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        source = self.chosen("source")
        return (sorted(tag.slug for tag in self.chosen("tag") or []), source.slug if source else None)

    def offer(self, offered):
        """Give the form's widgets what ``offered`` read (perhaps in an earlier request), not to read it again."""
        fields = self.form.fields
        for name, choices in zip(("tag", "author", "source"), offered, strict=True):
            fields[name].widget.choices = choices

    def chosen(self, name):
        return self.form.cleaned_data.get(name) if self.is_bound and self.form.is_valid() else None

    def tag_choices(self):
        """The most used tags of recent briefings and the chosen ones, by name."""
        tags = {tag.slug: tag.name for tag in self.chosen("tag") or []}
        for slug, name in fragments.popular_tags(self.request, POPULAR_TAGS):
            tags.setdefault(slug, name)
        return sorted(tags.items(), key=lambda choice: (choice[1], choice[0]))

    def source_choices(self):
        source = self.chosen("source")
        return [("", "Any source")] + ([(source.slug, source.display_title)] if source else [])

    def filter_words(self, queryset, name, value):
        value = value.strip()
        return search.filter_briefings(queryset, value) if value else queryset

    def filter_tags(self, queryset, name, tags):
        if not tags:
            return queryset
        # The published revision's tags, not the working copy's: an edit in review changes nothing here.
        return queryset.filter(queries.tagged_with(tags))

    def filter_source(self, queryset, name, source):
        if source is None:
            return queryset
        # The published revision's citations, not the working copy's: what readers can follow.
        quoted = RevisionCitation.objects.filter(revision=OuterRef("published_revision"), passage__source=source)
        return queryset.filter(Exists(quoted))

    def filter_author(self, queryset, name, author):
        if author is None:
            return queryset
        return queryset.filter(queries.by_author(author.user_id))

    def describe(self):
        """What the reader chose, in words (for headings and feed titles); empty when nothing is filtered."""
        if not self.is_bound or not self.form.is_valid():
            return []
        data = self.form.cleaned_data
        parts = []
        if data.get("q"):
            parts.append(f"matching “{data['q'].strip()}”")
        if data.get("tag"):
            parts.append("tagged " + " or ".join(tag.name for tag in data["tag"]))
        if data.get("source"):
            parts.append(f"citing {data['source'].display_title}")
        if data.get("author"):
            parts.append(f"by {self.form.fields['author'].label_from_instance(data['author'])}")
        if data.get("published_after"):
            parts.append(f"published on or after {_day(data['published_after'])}")
        if data.get("published_before"):
            parts.append(f"published on or before {_day(data['published_before'])}")
        return parts
