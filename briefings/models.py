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
        """The one definition of what readers may see in lists, feeds, search and sitemaps."""
        return self.filter(status=Briefing.Status.PUBLISHED, published_at__lte=now or timezone.now())


class Briefing(models.Model):
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

    objects = BriefingQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="briefing_published_has_published_at",
            ),
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
