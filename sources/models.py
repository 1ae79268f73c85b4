from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Left
from django.urls import reverse
from django.utils.text import Truncator

# How much of the text ``Source.opening`` keeps: a title-less source's first line is far shorter.
OPENING_LENGTH = 300
TITLE_WORDS = 10


def opening_words(text):
    """The first line of ``text``, cut to its first ten words."""
    return Truncator(text.strip().split("\n", 1)[0]).words(TITLE_WORDS, truncate="…")


class SourceQuerySet(models.QuerySet):
    def with_passage_count(self):
        """Annotate each source with the number of its current (not retired) passages."""
        return self.annotate(
            passage_count=Count("passages", filter=Q(passages__retired=False))
        )


class Source(models.Model):
    """An imported article. Its text is the normalised file content; the file is the truth."""

    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(
        max_length=300, blank=True, help_text="Headline as printed; empty when the file states none."
    )
    publisher = models.CharField(max_length=200, blank=True)
    authors = models.CharField(max_length=300, blank=True)
    url = models.URLField("original URL", max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    origin = models.CharField(
        max_length=255, blank=True, help_text="File name the source was last imported from."
    )
    text = models.TextField(help_text="Full normalised text of the latest import.")
    # Kept by the database on every write: lists of sources name a title-less one without reading its text.
    opening = models.GeneratedField(
        expression=Left("text", OPENING_LENGTH), output_field=models.TextField(), db_persist=True
    )
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the normalised text.")
    imported_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "slug"]
        # The public state every public page checks counts sources and reads their latest change from here.
        indexes = [models.Index(fields=["updated_at"], name="source_updated_at")]

    def __str__(self):
        return self.display_title

    def get_absolute_url(self):
        return reverse("public:source_detail", kwargs={"slug": self.slug})

    @property
    def display_title(self):
        """The printed headline, or the article's opening words when it states none."""
        if self.title:
            return self.title
        if "text" not in self.get_deferred_fields():
            return opening_words(self.text)
        return self.name_from_opening(self.pk, self.opening, text=lambda: self.text)

    @classmethod
    def name_from_opening(cls, pk, opening, text=None):
        """A title-less source's name from its stored opening; its full text is read only when that cannot tell."""
        # The opening decides when it holds the whole first line, or more than ten words of it; otherwise
        # (a first line of a few very long words) the text is read.
        start = opening.lstrip()
        if len(opening) < OPENING_LENGTH or "\n" in start or len(start.split()) > TITLE_WORDS:
            return opening_words(start)
        return opening_words(text() if text else cls.objects.values_list("text", flat=True).get(pk=pk))


class PassageQuerySet(models.QuerySet):
    def current(self):
        """Passages of the latest version of their source."""
        return self.filter(retired=False)

    def citable(self):
        return self.current().filter(citable=True)


class Passage(models.Model):
    """One line of a source: the unit a citation points into."""

    class Kind(models.TextChoices):
        HEADING = "heading", "Heading"
        PARAGRAPH = "paragraph", "Paragraph"
        CAPTION = "caption", "Caption"
        BOILERPLATE = "boilerplate", "Boilerplate"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="passages")
    ordinal = models.PositiveIntegerField(help_text="1-based position in the source.")
    anchor = models.CharField(max_length=32, help_text="Fragment id on the source page.")
    text = models.TextField()
    start = models.PositiveIntegerField(help_text="Offset of the passage in the source text.")
    end = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PARAGRAPH)
    citable = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the passage text.")
    retired = models.BooleanField(
        default=False, help_text="Gone from the latest version of the source; kept for citations."
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = PassageQuerySet.as_manager()

    class Meta:
        ordering = ["source", "ordinal"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="passage_end_after_start"),
            models.CheckConstraint(
                condition=~Q(kind="boilerplate", citable=True), name="passage_boilerplate_not_citable"
            ),
            models.UniqueConstraint(
                fields=["source", "ordinal"],
                condition=Q(retired=False),
                name="passage_unique_current_ordinal",
            ),
            models.UniqueConstraint(
                fields=["source", "anchor"],
                condition=Q(retired=False),
                name="passage_unique_current_anchor",
            ),
        ]
        indexes = [models.Index(fields=["source", "content_hash"])]

    def __str__(self):
        return f"{self.source.slug} {self.anchor}: {Truncator(self.text).chars(60)}"

    def get_absolute_url(self):
        return f"{self.source.get_absolute_url()}#{self.anchor}"

    @staticmethod
    def anchor_for(ordinal):
        return f"p-{ordinal}"
