import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from sources.models import Passage, SourceVersion
from sources.slugs import slug_base, unique_slug

from . import quotes
from .markdown import footnote_labels, render_body
from .search_index import PASSAGE_FTS, REVISION_FTS
from .times import desk_time

# Briefings whose stored HTML a rendering_once() block owes, by primary key; None outside such a block.
_rendering_owed = contextvars.ContextVar("briefings_rendering_owed", default=None)


@contextmanager
def rendering_once():
    """Render each briefing changed inside the block once, when the block ends, instead of at every save.

    Saving a briefing with its citations, reverting it, or moving citations
    changes one briefing many times; each change would otherwise render its
    Markdown again. A block inside another adds to the outer one. When the
    block raises, nothing is rendered: the transaction it runs in is undone.
    """
    if _rendering_owed.get() is not None:
        yield
        return
    owed = {}
    token = _rendering_owed.set(owed)
    try:
        yield
    finally:
        _rendering_owed.reset(token)
    for briefing in owed.values():
        briefing.refresh_body_html()


def display_name(user):
    """How a person is named to readers and colleagues: their full name, else their username."""
    return user.get_full_name() or user.get_username()


class Tag(TagBase):
    """A topic label. Names are unique regardless of case: "Energy" and "energy" are one tag."""

    class Meta:
        verbose_name = "tag"
        verbose_name_plural = "tags"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_case_insensitive",
                violation_error_message="A tag with this name already exists (tag names ignore case).",
            )
        ]

    def merge(self, others):
        """Move every briefing tagged with one of ``others`` to this tag, then delete ``others``.

        Working copies and revisions alike (the published ones readers see, and
        the history) move at once, and the others' addresses lead here from now
        on (``TagRedirect``). Returns the number of briefings that gained this tag.
        """
        others = [tag for tag in others if tag.pk != self.pk]
        other_ids = {tag.pk for tag in others}
        if not other_ids:
            return 0
        with transaction.atomic():
            moved = self._move_rows(TaggedBriefing, "content_object_id", other_ids)
            self._move_rows(RevisionTag, "revision_id", other_ids)
            # Addresses that led to a merged tag lead to this one, and so do the merged tags' own.
            TagRedirect.objects.filter(tag_id__in=other_ids).update(tag=self)
            TagRedirect.objects.filter(old_slug__in=[self.slug, *(tag.slug for tag in others)]).delete()
            TagRedirect.objects.bulk_create(TagRedirect(old_slug=tag.slug, tag=self) for tag in others)
            # Deleting the tags removes their remaining rows: those that already had this tag.
            Tag.objects.filter(pk__in=other_ids).delete()
        return moved

    def _move_rows(self, model, owner, other_ids):
        """Point one row per owner tagged with one of ``other_ids`` at this tag, unless it has it already."""
        rows = model.objects.filter(tag_id__in=other_ids | {self.pk}).values_list("pk", "tag_id", owner)
        already_tagged = {owner_id for _pk, tag_id, owner_id in rows if tag_id == self.pk}
        to_move = {}
        for pk, tag_id, owner_id in rows:
            if tag_id != self.pk and owner_id not in already_tagged:
                to_move.setdefault(owner_id, pk)
        model.objects.filter(pk__in=to_move.values()).update(tag=self)
        return len(to_move)


class TagRedirect(models.Model):
    """The address of a tag merged into another: readers and feed readers following it land on the kept tag."""

    old_slug = models.SlugField(max_length=100, unique=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="redirects_here")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["old_slug"]

    def __str__(self):
        return f"{self.old_slug} → {self.tag.slug}"


class TaggedBriefing(TaggedItemBase):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_briefings")
    content_object = models.ForeignKey("Briefing", on_delete=models.CASCADE, related_name="tagged_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="tagged_briefing_unique")
        ]


class BriefingQuerySet(models.QuerySet):
    def published(self, now=None):
        """The one definition of what readers may see in lists, feeds, search and sitemaps.

        A briefing is public once a revision of it has been published and its
        publication time has come (so scheduling needs no worker), until it is
        retracted. Its ``status`` describes the working copy, which may be a
        draft of the next revision while readers still see the published one.
        """
        return self.public_pages(now).exclude(status=Briefing.Status.RETRACTED)

    def public_pages(self, now=None):
        """Briefings that have a public page: published ones and retracted ones (shown with their notice)."""
        return self.filter(published_revision__isnull=False, published_at__lte=now or timezone.now())

    def scheduled(self, now=None):
        """Briefings published for a time that has not come yet: readers cannot see them so far."""
        return self.filter(published_revision__isnull=False, published_at__gt=now or timezone.now())

    def unpublished(self):
        """Briefings with no published revision: neither public nor scheduled."""
        return self.filter(published_revision__isnull=True)

    def drafts_of(self, user):
        """The briefings ``user`` writes that are still drafts (or sent back to them): where new citations go."""
        return self.filter(authors=user, status__in=Briefing.CITABLE_STATES).order_by("-updated_at", "-pk")

    def with_publication_record(self):
        """Annotate ``ever_published``: a publication is recorded, so ``has_been_published()`` needs no query."""
        published = BriefingEvent.objects.filter(briefing=models.OuterRef("pk"), action=BriefingEvent.Action.PUBLISHED)
        return self.annotate(ever_published=models.Exists(published))


class Briefing(models.Model):
    """An analyst's briefing. The row is the working copy that editors change in the admin.

    What readers see is ``published_revision``: a frozen snapshot (title, dek,
    body_html, tags and citations) chosen by the review workflow. While a new
    revision of a published briefing goes through review, the working copy
    differs from it and the public page keeps showing the published revision.
    Public pages, feeds and the API should therefore read
    ``published_revision.title`` / ``.dek`` / ``.body_html`` / ``.tags`` and
    ``published_revision.citations`` (``RevisionCitation`` rows with passage and
    offsets), ``published_at`` (first publication) and ``public_updated_at``
    (last change readers can see: republication, correction, retraction), and
    ``Correction.objects.public()`` for corrections and retraction notices.
    ``status`` and ``version`` are changed only by ``briefings.workflow``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        RETRACTED = "retracted", "Retracted"

    # Words selected on a source page become citations of a briefing in one of these states only: one under
    # review or published would take a footnote nobody placed or reviewed.
    CITABLE_STATES = (Status.DRAFT, Status.CHANGES_REQUESTED)

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=220, unique=True, blank=True, help_text="Generated from the title when left empty."
    )
    dek = models.CharField("summary", max_length=300, blank=True, help_text="One-sentence summary.")
    body = models.TextField(help_text="Markdown. Cite with footnote markers such as [^1].")
    body_html = models.TextField(editable=False, blank=True)
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="briefings", blank=True)
    tags = TaggableManager(through=TaggedBriefing, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    published_revision = models.ForeignKey(
        "Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="published_as",
        help_text="The revision readers see.",
    )
    public_updated_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When what readers see last changed."
    )

    objects = BriefingQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="briefing_published_has_published_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_revision__isnull=False),
                name="briefing_published_has_revision",
            ),
            models.CheckConstraint(
                condition=Q(published_revision__isnull=True) | Q(published_at__isnull=False),
                name="briefing_public_revision_has_published_at",
            ),
        ]
        permissions = [
            ("submit_briefing", "Can submit a briefing for review"),
            ("review_briefing", "Can approve a briefing or request changes"),
            ("publish_briefing", "Can publish or schedule a briefing"),
            ("retract_briefing", "Can retract a published briefing"),
            ("correct_briefing", "Can add a correction to a published briefing"),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # Serves the public-state query every public request makes (public.caching) from the index
            # alone, without reading the wide rows: counts and latest times of briefings with a public page.
            models.Index(
                fields=["published_at", "public_updated_at", "published_revision", "status"],
                condition=Q(published_revision__isnull=False),
                name="briefing_public_state",
            ),
            # Serves a tag's list (public.queries.tagged_with) from the index alone: from each revision carrying
            # the tag to its briefing, whether it is public and when it was published.
            models.Index(
                fields=["published_revision", "published_at", "status"],
                condition=Q(published_revision__isnull=False),
                name="briefing_by_public_revision",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not self.slug:
            self.slug = self.unique_slug()
            if update_fields is not None:
                update_fields = {*update_fields, "slug"}
        owed = _rendering_owed.get()
        body_changed = update_fields is None or "body" in update_fields
        if body_changed and owed is None:
            self.body_html = self.render()
            if update_fields is not None:
                update_fields = {*update_fields, "body_html"}
        if update_fields is not None:
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)
        if body_changed and owed is not None:
            owed.setdefault(self.pk, self)

    def get_absolute_url(self):
        return reverse("public:detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if self.pk is not None and self.has_been_published():
            saved = Briefing.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
            if saved is not None and self.slug != saved:
                errors["slug"] = ValidationError(
                    f"This briefing has been published, so its address is fixed: readers, feeds and other "
                    f"sites link to it. Keep the slug “{saved}”.",
                    code="slug_fixed",
                )
        if errors:
            raise ValidationError(errors)

    # The same rules as BriefingQuerySet.public_pages(), .scheduled() and .published(), for one loaded row.

    def is_public(self, now=None):
        """Readers can see the briefing (or its retraction notice) now."""
        return self.published_revision_id is not None and self.published_at <= (now or timezone.now())

    def is_scheduled(self, now=None):
        """A revision is published for a time that has not come yet."""
        return self.published_revision_id is not None and self.published_at > (now or timezone.now())

    def is_published(self, now=None):
        """Readers find the briefing in lists, feeds and search now: public and not retracted."""
        return self.is_public(now) and not self.is_retracted

    @property
    def is_retracted(self):
        return self.status == self.Status.RETRACTED

    @property
    def last_public_change(self):
        """When what readers see of the briefing last changed: its publication, or a later update."""
        return self.public_updated_at or self.published_at

    def has_been_published(self):
        """Readers have been given this briefing's address: it has a published revision, or once had one."""
        if self.published_revision_id is not None:
            return True
        if self.pk is None:
            return False
        recorded = getattr(self, "ever_published", None)
        if recorded is not None:
            return recorded
        return self.events.filter(action=BriefingEvent.Action.PUBLISHED).exists()

    def unique_slug(self):
        """A slug made from the title that no other briefing uses yet."""
        base = slug_base(self.title, fallback="briefing")
        taken = set(
            Briefing.objects.filter(slug__startswith=base).exclude(pk=self.pk).values_list("slug", flat=True)
        )
        return unique_slug(base, taken)

    def citation_labels(self):
        if self.pk is None:
            return []
        return list(self.citations.values_list("label", flat=True))

    def citation_problems(self, labels=None):
        """What keeps the body's footnote markers and the citations from matching one to one.

        Each problem names the marker without a citation or the citation no marker
        uses. ``labels`` are those of the citations about to be saved with the
        body (the admin's inlines), by default the saved citations'.
        """
        labels = self.citation_labels() if labels is None else list(labels)
        problems = self.marker_problems(labels)
        problems += [
            f"The citation “{label}” is not used in the body: add [^{label}] where it supports the text, "
            "or delete the citation."
            for label in self.unplaced_labels(labels)
        ]
        return problems

    def marker_problems(self, labels=None):
        """The body's footnote markers that no citation answers, each named in a sentence."""
        labels = self.citation_labels() if labels is None else list(labels)
        return [
            f"The footnote [^{marker}] has no citation: add a citation labelled “{marker}” or remove the marker."
            for marker in footnote_labels(self.body)
            if marker not in labels
        ]

    def unplaced_labels(self, labels=None):
        """Labels of citations whose marker is not in the body yet: the one definition of a citation "used"."""
        labels = self.citation_labels() if labels is None else list(labels)
        markers = footnote_labels(self.body)
        return [label for label in dict.fromkeys(labels) if label not in markers]

    def unplaced_citations(self, citations=None):
        """The saved citations (or ``citations``) not placed in the body yet (made from a source page, say)."""
        if self.pk is None:
            return []
        if citations is None:
            citations = list(self.citations.select_related("passage__source").defer("passage__source__text"))
        unplaced = set(self.unplaced_labels([citation.label for citation in citations]))
        return [citation for citation in citations if citation.label in unplaced]

    def cited_citations(self):
        """The citations with what rendering needs (passage and source) in one query."""
        if self.pk is None:
            return []
        return list(Citation.objects.filter(briefing=self).select_related("passage__source"))

    def render(self, citations=None):
        """Sanitised HTML of the body with its footnotes, from the saved citations unless given."""
        return render_body(self.body, self.cited_citations() if citations is None else citations)

    def refresh_body_html(self, citations=None):
        """Render again and store the HTML, without touching anything else (no new updated_at)."""
        self.body_html = self.render(citations)
        Briefing.objects.filter(pk=self.pk).update(body_html=self.body_html)

    def citations_changed(self):
        """Render the footnotes again: now, or at the end of the surrounding ``rendering_once()`` block."""
        owed = _rendering_owed.get()
        if owed is None:
            self.refresh_body_html()
        else:
            owed.setdefault(self.pk, self)

    def current_body_html(self, citations=None):
        """The HTML of the body and citations as they are now, rendered here only if a block still owes it.

        ``citations``, when given, are the saved citations with their passages and sources.
        """
        owed = _rendering_owed.get()
        if owed is None or self.pk not in owed:
            return self.body_html
        waiting = owed.pop(self.pk)
        self.refresh_body_html(citations)
        waiting.body_html = self.body_html
        return self.body_html


# How many passages, the chosen one included, a quote pasted across paragraphs is followed into.
SPLIT_MAX_PASSAGES = 5


class CitationFields(models.Model):
    """What a citation is, in a briefing's working copy (``Citation``) and in a revision (``RevisionCitation``).

    A revision copies exactly these fields from the citations, and reverting copies them back.
    """

    class Status(models.TextChoices):
        OK = "ok", "OK"
        REANCHORED = "reanchored", "Re-anchored"
        ORPHANED = "orphaned", "Orphaned"

    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField(help_text="The exact words, as they appear in the passage.")
    start = models.PositiveIntegerField(blank=True, help_text="Offset of the quote in the passage text.")
    end = models.PositiveIntegerField(blank=True)
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    label = models.SlugField(max_length=40, help_text="Used in the body as [^label].")
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OK, editable=False)
    # The version the words were verified against: a published footnote opens that version, so it always
    # shows what was quoted. Empty for citations older than source versions whose passage had retired.
    source_version = models.ForeignKey(
        SourceVersion, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    translation = models.TextField(
        blank=True, help_text="The quote in the briefing's language, when the source is in another one."
    )
    translation_by = models.CharField(
        "translated by", max_length=200, blank=True,
        help_text="Who translated the quote: a person's name, or the machine translation tool used.",
    )

    class Meta:
        abstract = True

    def __str__(self):
        return f"[^{self.label}] {self.quote[:60]}"


class Citation(CitationFields):
    """A footnote of a briefing: exact words of one source passage."""

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="citations")
    status_reason = models.TextField(blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where a re-import moved the quote from (the new place is passage/start/end).
    previous_passage = models.ForeignKey(
        Passage, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    previous_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    previous_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    previous_quote = models.TextField(blank=True, editable=False)
    reanchored_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["briefing", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="citation_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["briefing", "label"],
                name="citation_unique_label_per_briefing",
                violation_error_message="Another citation of this briefing already uses this label.",
            ),
            models.CheckConstraint(
                condition=Q(previous_passage__isnull=True) | Q(previous_end__gt=models.F("previous_start")),
                name="citation_previous_location_complete",
            ),
        ]

    def save(self, *args, **kwargs):
        """Verify the quote (raising ValidationError), store the exact words, and keep the body's HTML fresh."""
        self.verify()
        if self.location() != getattr(self, "_saved_location", None):
            # Someone chose these words against the current source: whatever a re-import said no longer applies.
            self.status = self.Status.OK
            self.status_reason = ""
            self.checked_at = timezone.now()
        super().save(*args, **kwargs)
        self._saved_location = self.location()
        self.briefing.citations_changed()

    def clean(self):
        self.verify()

    def location(self):
        return (self.passage_id, self.start, self.end, self.quote)

    @classmethod
    def from_db(cls, db, field_names, values):
        citation = super().from_db(db, field_names, values)
        if all(name in citation.__dict__ for name in ("passage_id", "start", "end", "quote")):
            citation._saved_location = citation.location()
        return citation

    def verify(self):
        """Check that the quote is in the chosen passage; store the exact source words, offsets and context.

        Raises ValidationError naming the field at fault.
        """
        self._check_translation()
        if self.passage_id is None:
            return  # the form reports the missing passage itself
        self.quote = quotes.strip_outer_marks(self.quote or "")
        if getattr(self, "_verified", None) == self._verification_key():
            return  # clean() has just checked these words; save() need not search the passage again
        passage = self.passage
        if passage.retired:
            raise ValidationError(
                {"passage": "This passage is no longer in the current version of its source (it changed or "
                            "was removed when the source was imported again). Choose the passage where the "
                            "words are now."},
                code="retired",
            )
        if not passage.citable:
            raise ValidationError(
                {"passage": "This passage is page furniture (navigation, notices, links to other stories), "
                            "not part of the article, so it cannot be cited."},
                code="boilerplate",
            )
        try:
            match = quotes.locate(
                passage.text, self.quote or "", start=self.start, prefix=self.prefix, suffix=self.suffix
            )
        except quotes.QuoteError as error:
            if error.code in ("not_found", "longer_than_passage"):
                self._refuse_if_spanning(passage)
            raise ValidationError({"quote": str(error)}, code=error.code) from None
        self.quote, self.start, self.end = match.quote, match.start, match.end
        self.prefix, self.suffix = match.prefix, match.suffix
        if self.source_version_id is None or self.location() != getattr(self, "_saved_location", None):
            self.source_version = passage.source.current_version()
        self._verified = self._verification_key()

    def _verification_key(self):
        return (self.passage_id, self.quote, self.start, self.prefix, self.suffix)

    def _check_translation(self):
        self.translation = (self.translation or "").strip()
        self.translation_by = (self.translation_by or "").strip()
        if self.translation and not self.translation_by:
            raise ValidationError(
                {"translation_by": "Say who translated the quote: a person's name, or the machine translation "
                                   "tool used (readers see it beside the translation)."},
                code="translator_missing",
            )
        if self.translation_by and not self.translation:
            raise ValidationError(
                {"translation": "A translator is named but there is no translation: add it, or clear "
                                "“translated by”."},
                code="translation_missing",
            )

    def _refuse_if_spanning(self, passage):
        """Refuse a quote that runs from the end of ``passage`` into the passages after it, naming them."""
        parts = parts_running_on(passage, self.quote or "")
        if not parts:
            return
        pieces = "; ".join(f"paragraph {part.ordinal}: “{match.quote}”" for part, match in parts)
        following_words = "paragraph" if len(parts) == 2 else f"{len(parts) - 1} paragraphs"
        raise ValidationError({"quote": ValidationError(
            f"These words run on past the end of paragraph {passage.ordinal} into the next {following_words}; "
            f"a citation quotes one passage. Cite each part separately ({pieces}).",
            code="spans_passages",
        )})


def parts_running_on(passage, quote):
    """Where a quote that begins at the end of ``passage`` and runs on into the passages after it falls.

    ``[(Passage, QuoteMatch), ...]``, one part per passage with its exact words, or ``[]`` when the quote
    does not run on like that. The passages come with their source, for naming them.
    """
    following = list(
        Passage.objects.citable()
        .filter(source_id=passage.source_id, ordinal__gt=passage.ordinal)
        .select_related("source")
        .defer("source__text")
        .order_by("ordinal")[:SPLIT_MAX_PASSAGES - 1]
    )
    chosen = [passage, *following]
    parts = quotes.split_across([p.text for p in chosen], quote)
    return [(chosen[index], match) for index, match in parts or []]


@receiver(post_delete, sender=Citation)
def refresh_after_citation_deleted(sender, instance, origin=None, **kwargs):
    """A removed citation leaves the body's footnotes; skipped when its briefing goes too."""
    if isinstance(origin, Briefing) or (isinstance(origin, models.QuerySet) and origin.model is Briefing):
        return
    if instance.briefing_id in (_rendering_owed.get() or {}):
        return  # already due to be rendered at the end of the block
    briefing = Briefing.objects.filter(pk=instance.briefing_id).first()
    if briefing is not None:
        briefing.citations_changed()


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk changes: rows of a record are written once and never altered or removed."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model._meta.verbose_name_plural} are append-only and cannot be updated.")

    def delete(self):
        raise TypeError(f"{self.model._meta.verbose_name_plural} are append-only and cannot be deleted.")

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """A row that is written once: saving an existing row or deleting one raises ``TypeError``."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"A {self._meta.verbose_name} is append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"A {self._meta.verbose_name} is append-only and cannot be deleted.")


class Revision(AppendOnlyModel):
    """A frozen copy of a briefing as it was saved: history is never rewritten.

    The public site renders a briefing's ``published_revision``: ``title``,
    ``dek``, ``body_html`` (already sanitised), ``tags`` and ``citations``.
    ``tag_names`` records the tags' names as they were when the revision was
    saved, for the history; ``tags`` points at the Tag rows themselves, so a
    renamed or merged tag reaches what readers see at once.
    """

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 for the first revision of a briefing, then 2, 3…")
    title = models.CharField(max_length=200)
    dek = models.CharField("summary", max_length=300, blank=True)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    quotes = models.TextField(
        blank=True, editable=False, help_text="The words its citations quote, one quote a line: searched with it."
    )
    tag_names = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, through="RevisionTag", related_name="revisions", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who saved this revision.",
    )
    summary = models.CharField(max_length=200, blank=True, help_text="Why this revision exists, e.g. a revert.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["briefing", "number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["briefing", "number"], name="revision_unique_number_per_briefing"),
        ]

    def __str__(self):
        return f"{self.briefing} · revision {self.number}"


class RevisionTag(models.Model):
    """A tag of one revision: the published revision's rows are the tags readers see.

    Written once with the revision; only a merge of tags (``Tag.merge``) moves them.
    """

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="tagged_items")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="revision_tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["revision", "tag"], name="revision_tag_unique")]
        # A tag's revisions from the index alone: the tag's lists start from them (public.queries.tagged_with).
        indexes = [models.Index(fields=["tag", "revision"], name="revision_tag_by_tag")]

    def __str__(self):
        return f"{self.revision} · {self.tag}"


class RevisionCitation(CitationFields):
    """A citation as it stood in one revision; the published revision's rows are what readers follow."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="citations")
    # The same field under its own reverse name: a passage's "citations" are the working copies'.
    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="revision_citations")

    class Meta:
        ordering = ["revision", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "label"], name="revision_citation_unique_label"),
        ]


class BriefingEvent(AppendOnlyModel):
    """One step of a briefing's review record: who did what, from which state to which, and why."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        SCHEDULED = "scheduled", "Scheduled"
        UNPUBLISHED = "unpublished", "Schedule cancelled"
        RETRACTED = "retracted", "Retracted"
        CORRECTED = "corrected", "Correction added"
        EDITED = "edited", "Edited after approval or publication"
        REVERTED = "reverted", "Reverted to an earlier revision"
        TAGS_CHANGED = "tags_changed", "Tags merged or deleted"
        SOURCE_CHANGED = "source_changed", "A cited source changed"
        REANCHORING_CONFIRMED = "reanchor_confirmed", "Re-anchored citation confirmed"
        SOURCE_WITHHELD = "source_withheld", "A cited source version was withheld"
        UNRESOLVED_COMMENTS = "unresolved_comments", "Went ahead with unresolved review comments"

    briefing = models.ForeignKey(Briefing, on_delete=models.PROTECT, related_name="events")
    # Empty only for what the system did on its own: an import run from the command line.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="briefing_events"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_state = models.CharField(max_length=20, choices=Briefing.Status.choices)
    to_state = models.CharField(max_length=20, choices=Briefing.Status.choices)
    comment = models.TextField(blank=True)
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="events",
        help_text="The revision the step applied to.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["briefing", "created_at"], name="briefing_event_timeline")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=["changes_requested", "retracted", "corrected"]) | ~Q(comment=""),
                name="briefing_event_reason_required",
            ),
            models.CheckConstraint(
                condition=Q(actor__isnull=False) | Q(action="source_changed"), name="briefing_event_actor_required"
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_name} on {desk_time(self.created_at)}"

    @property
    def actor_name(self):
        """Who took the step: a person, or the import command for a source imported from the command line."""
        return display_name(self.actor) if self.actor_id else SYSTEM_ACTOR_NAME

    def concerns_readers(self):
        """Whether readers can see the step: it leads to or from a public state, or the briefing has a public page."""
        public = {Briefing.Status.PUBLISHED, Briefing.Status.RETRACTED}
        return self.from_state in public or self.to_state in public or self.briefing.published_revision_id is not None


SYSTEM_ACTOR_NAME = "the import command"


class SourceChangeQuerySet(models.QuerySet):
    def pending(self):
        """Changes still waiting for someone: the citation is still where (or as) the import left it."""
        return self.filter(
            resolved_at__isnull=True,
            outcome__in=[SourceChange.Outcome.REANCHORED, SourceChange.Outcome.ORPHANED],
            citation__status=models.F("outcome"),
        )


class SourceChange(models.Model):
    """What one import of a source did to one citation of a briefing in review or published.

    The "Source changes" queue in the admin lists these per import until an
    editor confirms a re-anchored citation or the analyst cites the words
    again. Rows are kept as the record once resolved; a citation the next
    import changes again gets a new row and its older one is superseded.
    """

    class Outcome(models.TextChoices):
        REANCHORED = "reanchored", "Re-anchored"
        ORPHANED = "orphaned", "Orphaned"
        RESTORED = "restored", "Restored"

    class Resolution(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed by an editor"
        SUPERSEDED = "superseded", "Changed again by a later import"

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="source_changes")
    # Empty once the citation is gone (removed, or recreated by a revert); the label says which it was.
    citation = models.ForeignKey(
        Citation, on_delete=models.SET_NULL, null=True, blank=True, related_name="source_changes"
    )
    label = models.SlugField(max_length=40)
    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="+")
    # The import that changed the citation; empty only for sources imported before versions were kept.
    source_version = models.ForeignKey(
        SourceVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="citation_changes"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    old_passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="+")
    old_quote = models.TextField()
    new_passage = models.ForeignKey(Passage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    new_quote = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    imported_at = models.DateTimeField(help_text="When the import that changed the citation ran.")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Empty for an import run from the command line.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)

    objects = SourceChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "source", "briefing", "label"]
        indexes = [models.Index(fields=["resolved_at", "imported_at"], name="source_change_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | Q(resolved_at__isnull=False) & ~Q(resolution=""),
                name="source_change_resolution_complete",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="reanchored") | Q(new_passage__isnull=False),
                name="source_change_reanchored_has_new_place",
            ),
        ]

    def __str__(self):
        return f"[^{self.label}] of {self.briefing} {self.get_outcome_display().lower()} on {self.imported_at:%Y-%m-%d}"


class CorrectionQuerySet(models.QuerySet):
    def public(self, now=None):
        """Corrections and retraction notices readers see: those of briefings that have a public page."""
        now = now or timezone.now()
        return self.filter(briefing__in=Briefing.objects.public_pages(now), created_at__lte=now)


class Correction(models.Model):
    """A dated public note on a published briefing: what was wrong and what changed, or why it was retracted."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        RETRACTION = "retraction", "Retraction"

    briefing = models.ForeignKey(Briefing, on_delete=models.PROTECT, related_name="corrections")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CORRECTION)
    note = models.TextField(help_text="Public text: what was wrong and what changed, or the reason for retraction.")
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
        help_text="The revision published with this correction, if any.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    difference_withheld = models.BooleanField(
        default=False,
        help_text="For legal or safety reasons, readers see this note but not the words that changed.",
    )

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="correction_note_required"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.briefing} on {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return f"{self.briefing.get_absolute_url()}#correction-{self.pk}"


class PublicChange(models.Model):
    """One row counting the committed changes to what readers see: the page cache's and the ETags' version.

    The reader site's cache (``public.caching``) bumps it after each commit
    that changed something public pages read, and keys pages by it. Reaching
    a scheduled publication time changes the site without a write; the cache
    reads that from the briefings' index.
    """

    ROW = 1

    generation = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)
    # What kind of rows changed, counted apart: parts of pages kept across publications (``public.fragments``)
    # are keyed by the counts of what they show, not by ``generation``, which every publication moves.
    sources_generation = models.BigIntegerField(default=0)
    tags_generation = models.BigIntegerField(default=0)
    bylines_generation = models.BigIntegerField(default=0)
    corrections_generation = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "public change counter"

    def __str__(self):
        return f"public change {self.generation}"


class CitingStamp(models.Model):
    """What cites one source, stamped: a new ``token`` whenever a briefing citing it takes a step readers see.

    A source page shows "cited by" under each quoted passage, and publications
    of other briefings change it. The page is kept whole (``public.fragments``)
    under this row, so a page-cache miss reads one row instead of the join from
    the published briefings to the source's passages. The reader site's cache
    (``public.caching``) writes it in the same transaction as the step (a
    publication, schedule, correction, retraction, withdrawal) for every source
    any revision of the briefing cites. ``pending_until`` is the latest
    scheduled publication of a briefing citing the source: until then the page
    changes without a write, when that time comes.
    """

    source = models.OneToOneField(
        "sources.Source", on_delete=models.CASCADE, primary_key=True, related_name="citing_stamp"
    )
    token = models.BigIntegerField()
    pending_until = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "citing stamp"

    def __str__(self):
        return f"citing stamp {self.token} of source {self.source_id}"


# The SQLite full-text index (``briefings.search_index``) ------------------------------------------


class FtsDocumentField(models.TextField):
    """An FTS5 table's hidden column that bears the table's name: the whole row, as ``MATCH`` and ``bm25()`` take it."""


@FtsDocumentField.register_lookup
class Match(models.Lookup):
    """``document__match="..."``: the rows that match an FTS5 query."""

    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", (*lhs_params, *rhs_params)


class RevisionSearchEntry(models.Model):
    """A revision's row in the FTS5 table of titles, deks and bodies, so that searches join it.

    Triggers keep the table in step with the revisions; it exists on SQLite
    only, and only search on SQLite reads it.
    """

    revision = models.OneToOneField(
        Revision, db_column="rowid", primary_key=True, on_delete=models.DO_NOTHING,
        related_name="search_entry", db_constraint=False,
    )
    document = FtsDocumentField(db_column=REVISION_FTS)

    class Meta:
        managed = False
        db_table = REVISION_FTS

    def __str__(self):
        return f"search entry of {self.revision_id}"


class PassageSearchEntry(models.Model):
    """A passage's row in the FTS5 table of passage texts (see ``RevisionSearchEntry``)."""

    passage = models.OneToOneField(
        Passage, db_column="rowid", primary_key=True, on_delete=models.DO_NOTHING,
        related_name="search_entry", db_constraint=False,
    )
    document = FtsDocumentField(db_column=PASSAGE_FTS)

    class Meta:
        managed = False
        db_table = PASSAGE_FTS

    def __str__(self):
        return f"search entry of passage {self.passage_id}"


# Authors as readers know them -------------------------------------------------------------------------

# What a byline says of someone whose profile states no name: never their login name.
UNNAMED_AUTHOR = "Staff writer"


class AuthorProfileQuerySet(models.QuerySet):
    def with_published_work(self, now=None):
        """Profiles of people with a byline on at least one published briefing: those with a public page.

        Drafts, briefings in review, scheduled ones whose time has not come and retracted ones never count.
        """
        published = Briefing.objects.published(now).filter(authors=models.OuterRef("user_id")).order_by()
        return self.filter(models.Exists(published))


class AuthorProfile(models.Model):
    """How a member of staff is named to readers: a display name, a short bio and the address of their page.

    Made on demand (when someone is first put in a byline, or opens their
    profile in the admin), so no account needs one until it matters. The slug
    is made from the name once and kept: renaming someone keeps their page's
    address. Login names are never shown to readers nor put in addresses.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_profile")
    name = models.CharField(
        "display name", max_length=120, help_text="How bylines, author pages and citations name this person."
    )
    bio = models.TextField(
        max_length=600, blank=True, help_text="A sentence or two for the author page. Plain text."
    )
    slug = models.SlugField(
        max_length=140,
        unique=True,
        help_text="The author page's address, /authors/<slug>/. Kept when the name changes.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthorProfileQuerySet.as_manager()

    class Meta:
        verbose_name = "author profile"
        ordering = ["name", "slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="author_profile_has_name"),
            models.CheckConstraint(condition=~Q(slug=""), name="author_profile_has_slug"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("public:author_detail", kwargs={"slug": self.slug})

    @classmethod
    def for_user(cls, user):
        """The person's profile, made now with their full name (or a neutral one) when they have none yet."""
        try:
            return user.author_profile
        except cls.DoesNotExist:
            pass
        name = user.get_full_name().strip()[:120] or UNNAMED_AUTHOR
        base = slug_base(name, fallback="author")[:120]
        taken = set(cls.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        with transaction.atomic():
            profile, _created = cls.objects.get_or_create(
                user=user, defaults={"name": name, "slug": unique_slug(base, taken)}
            )
        user.author_profile = profile
        return profile

    def name_parts(self):
        """(given, family) for citations: the account's first and last name when the display name is exactly
        them, else the display name split before its last word; ("", name) for a single word."""
        first, last = self.user.first_name.strip(), self.user.last_name.strip()
        if first and last and self.name == f"{first} {last}":
            return first, last
        return split_person_name(self.name)


def split_person_name(name):
    """(given, family) of a personal name written "Given Family", keeping particles (van, de, al-…) with the family.

    A single word is all family name: ("", "Plato").
    """
    words = name.split()
    if len(words) < 2:
        return "", name.strip()
    family_start = len(words) - 1
    while family_start > 1 and words[family_start - 1].lower() in NAME_PARTICLES:
        family_start -= 1
    return " ".join(words[:family_start]), " ".join(words[family_start:])


NAME_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "bin", "ibn", "al"}


def byline_name(user):
    """How readers see a person named: their profile's display name, never their login name."""
    try:
        return user.author_profile.name
    except AuthorProfile.DoesNotExist:
        return user.get_full_name().strip() or UNNAMED_AUTHOR


@receiver(models.signals.post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="briefings-author-profile")
def name_new_accounts(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A new account gets its profile at once; one still named "Staff writer" takes the full name given later.

    Rows loaded from a backup (``raw``) bring their own profiles.
    """
    if raw or (update_fields is not None and set(update_fields) <= {"last_login", "password"}):
        return
    profile = AuthorProfile.for_user(instance)
    if profile.name == UNNAMED_AUTHOR and instance.get_full_name().strip():
        profile.name = instance.get_full_name().strip()[:120]
        base = slug_base(profile.name, fallback="author")[:120]
        others = AuthorProfile.objects.filter(slug__startswith=base).exclude(pk=profile.pk)
        taken = set(others.values_list("slug", flat=True))
        profile.slug = unique_slug(base, taken)
        profile.save(update_fields=["name", "slug", "updated_at"])


@receiver(models.signals.m2m_changed, sender=Briefing.authors.through)
def make_profiles_for_bylines(sender, instance, action, reverse, pk_set, **kwargs):
    """Whoever is put in a byline has a profile, so the byline can name them and link to their page.

    Accounts made before profiles existed get theirs here, once the transaction commits: a backup being
    loaded sets bylines before it loads the profiles it carries.
    """
    if action != "post_add" or not pk_set:
        return
    user_ids = {instance.pk} if reverse else set(pk_set)

    def make_missing():
        User = Briefing.authors.field.related_model
        for user in User.objects.filter(pk__in=user_ids, author_profile__isnull=True):
            AuthorProfile.for_user(user)

    transaction.on_commit(make_missing)


# Review comments ----------------------------------------------------------------------------------------

# How long a comment may be, and how many of the body's words it may point at: a discussion, not a document.
COMMENT_MAX_LENGTH = 4000
ANCHOR_MAX_LENGTH = 1000


class ReviewCommentQuerySet(models.QuerySet):
    def threads(self):
        """Comments that start a thread (the others are replies to one of these)."""
        return self.filter(parent__isnull=True)

    def unresolved(self):
        """Threads nobody has resolved yet: what submitting or publishing asks to be confirmed."""
        return self.threads().filter(resolved_at__isnull=True)

    def with_people(self):
        return self.select_related("author", "resolved_by", "reopened_by", "revision", "citation")


class ReviewComment(models.Model):
    """A remark on a draft between its authors and its editors, never shown to readers.

    A thread starts with a comment anchored to a citation (``citation``, its
    label kept in ``citation_label`` should the citation go) or to words of the
    body (``anchor_words`` with the characters around them and where they
    stood, so ``briefings.comments`` finds them again after edits); replies
    have a ``parent`` and no anchor of their own. A thread is resolved and
    reopened as a whole. ``revision`` is the revision the comment was made on.
    """

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="review_comments")
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="review_comments",
        help_text="The revision the comment was made on.",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies",
        help_text="The thread's first comment, for a reply.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_comments")
    text = models.TextField(max_length=COMMENT_MAX_LENGTH, help_text="Plain text.")
    # Empty once the citation is deleted (or recreated by a revert); the label and quote say which it was.
    citation = models.ForeignKey(
        Citation, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_comments"
    )
    citation_label = models.SlugField(max_length=40, blank=True)
    citation_quote = models.TextField(blank=True)
    anchor_words = models.TextField(max_length=ANCHOR_MAX_LENGTH, blank=True)
    anchor_prefix = models.CharField(max_length=64, blank=True)
    anchor_suffix = models.CharField(max_length=64, blank=True)
    anchor_start = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReviewCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["briefing", "resolved_at"], name="review_comment_open")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="review_comment_has_text"),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(Length("text"), COMMENT_MAX_LENGTH),
                name="review_comment_text_bounded",
            ),
            # A thread is anchored to a citation or to words of the body; a reply belongs to its thread.
            models.CheckConstraint(
                condition=Q(parent__isnull=False, citation_label="", anchor_words="")
                | Q(parent__isnull=True) & ~Q(citation_label="") & Q(anchor_words="")
                | Q(parent__isnull=True) & Q(citation_label="") & ~Q(anchor_words=""),
                name="review_comment_anchored_once",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | Q(resolved_at__isnull=False, resolved_by__isnull=False, parent__isnull=True),
                name="review_comment_resolution_complete",
            ),
        ]

    def __str__(self):
        return f"Comment by {display_name(self.author)} on {self.briefing} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_resolved(self):
        return self.resolved_at is not None

    @property
    def on_citation(self):
        return bool(self.citation_label)
