from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from sources.models import Passage


class Tag(TagBase):
    """A topic label. Names are unique regardless of case: "Energy" and "energy" are one tag."""

    class Meta:
        verbose_name = "tag"
        verbose_name_plural = "tags"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_case_insensitive")]


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


class Briefing(models.Model):
    """An analyst's briefing. The row is the working copy that editors change in the admin.

    What readers see is ``published_revision``: a frozen snapshot (title, dek,
    body_html, tags and citations) chosen by the review workflow. While a new
    revision of a published briefing goes through review, the working copy
    differs from it and the public page keeps showing the published revision.
    Public pages, feeds and the API should therefore read
    ``published_revision.title`` / ``.dek`` / ``.body_html`` / ``.tag_names`` and
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
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("briefings:detail", kwargs={"slug": self.slug})


class Citation(models.Model):
    """A footnote of a briefing: exact words of one source passage."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        REANCHORED = "reanchored", "Re-anchored"
        ORPHANED = "orphaned", "Orphaned"

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="citations")
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
    status_reason = models.TextField(blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["briefing", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="citation_end_after_start"
            ),
            models.UniqueConstraint(fields=["briefing", "label"], name="citation_unique_label_per_briefing"),
        ]

    def __str__(self):
        return f"[^{self.label}] {self.quote[:60]}"


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
    ``dek``, ``body_html`` (already sanitised), ``tag_names`` and ``citations``.
    """

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 for the first revision of a briefing, then 2, 3…")
    title = models.CharField(max_length=200)
    dek = models.CharField("summary", max_length=300, blank=True)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    tag_names = models.JSONField(default=list, blank=True)
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


class RevisionCitation(models.Model):
    """A citation as it stood in one revision; the published revision's rows are what readers follow."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="citations")
    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="revision_citations")
    quote = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    label = models.SlugField(max_length=40)
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Citation.Status.choices, default=Citation.Status.OK)

    class Meta:
        ordering = ["revision", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "label"], name="revision_citation_unique_label"),
        ]

    def __str__(self):
        return f"[^{self.label}] {self.quote[:60]}"


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

    briefing = models.ForeignKey(Briefing, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="briefing_events")
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
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor} on {self.created_at:%Y-%m-%d %H:%M}"


class CorrectionQuerySet(models.QuerySet):
    def public(self, now=None):
        """Corrections and retraction notices readers see: those of briefings that have a public page."""
        now = now or timezone.now()
        return self.filter(
            briefing__published_revision__isnull=False, briefing__published_at__lte=now, created_at__lte=now
        )


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
