from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
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
    def with_current_version_pk(self):
        """Annotate ``current_version_pk``: the id of each source's current version, None for one never versioned."""
        current = SourceVersion.objects.filter(source=OuterRef("pk")).newest_first().values("pk")[:1]
        return self.annotate(current_version_pk=Subquery(current))

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
    next_anchor = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="The anchor number the next new passage gets. Anchors are given once and never reused.",
    )

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "slug"]
        # The public state every public page checks counts sources and reads their latest change from here.
        indexes = [models.Index(fields=["updated_at"], name="source_updated_at")]

    def __str__(self):
        return self.display_title

    def get_absolute_url(self):
        return reverse("public:source_detail", kwargs={"slug": self.slug})

    def current_version(self):
        """The latest ``SourceVersion`` (the text the source page shows), or None for a source never versioned."""
        return self.versions.newest_first().first()

    def archive_url(self):
        """The web archive's copies of the original, nearest to its publication (or import) date; "" without a URL.

        An outside archive: it answers with the capture nearest that date, if it has one.
        """
        if not self.url:
            return ""
        day = self.published_on or self.imported_at.date()
        return f"https://web.archive.org/web/{day:%Y%m%d}/{self.url}"

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
    ordinal = models.PositiveIntegerField(help_text="1-based position in the latest version of the source.")
    anchor_number = models.PositiveIntegerField(
        help_text="Given once from the source's counter and never changed or reused; readers never see it as a number."
    )
    anchor = models.CharField(max_length=32, help_text="Fragment id on the source pages: p-<anchor number>.")
    text = models.TextField()
    start = models.PositiveIntegerField(help_text="Offset of the passage in the source text.")
    end = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PARAGRAPH)
    kind_position = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="1-based position among the latest version's passages of the same kind (paragraph 3 is the "
        "third paragraph).",
    )
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
            models.UniqueConstraint(fields=["source", "anchor_number"], name="passage_unique_anchor_number"),
            models.UniqueConstraint(fields=["source", "anchor"], name="passage_unique_anchor"),
        ]
        indexes = [models.Index(fields=["source", "content_hash"])]

    def __str__(self):
        return f"{self.source.slug} {self.anchor}: {Truncator(self.text).chars(60)}"

    def get_absolute_url(self):
        """The per-passage address: it redirects to the page of the source that holds the passage."""
        return reverse("public:passage", kwargs={"slug": self.source.slug, "anchor_number": self.anchor_number})

    @staticmethod
    def anchor_for(anchor_number):
        return f"p-{anchor_number}"

    @property
    def place_label(self):
        """Where the passage sits in the latest version, in readers' words ("paragraph 4", "the heading")."""
        return place_label(self.kind, self.kind_position)


def place_label(kind, kind_position):
    """How readers are told where a passage sits: the one wording for footnotes, source pages and cards.

    Anchor numbers are never shown: paragraphs are counted among the paragraphs of the version the reader
    sees; headings and captions are named as such.
    """
    if kind == Passage.Kind.HEADING:
        return "the heading" if kind_position in (None, 1) else "a subheading"
    if kind == Passage.Kind.CAPTION:
        return "a photo caption"
    if kind == Passage.Kind.BOILERPLATE:
        return "page furniture"
    return f"paragraph {kind_position}" if kind_position else "a paragraph"


class SourceVersionQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError("Source versions are kept for good and cannot be deleted.")

    def shown(self):
        """Versions whose words readers may see: not withheld."""
        return self.filter(withheld_at__isnull=True)

    def newest_first(self):
        """Versions from the latest down, without their text: the first of a source's is its current version."""
        return self.defer("text").order_by("-number")


class SourceVersion(models.Model):
    """One imported text of a source, kept for good: every import that changes the text adds one.

    The latest version is the source's current text (``Source.text``). Its passages, in order and with
    their stable anchors, are its ``VersionPassage`` rows. ``imported_by`` is None when the import command
    wrote it. A withheld version (``withheld_at`` set) keeps its entry, date and reason publicly, but its
    words and diffs are not shown; the text stays in the database for the admin.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(help_text="1 for the first import of a source, then 2, 3…")
    text = models.TextField()
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the normalised text.")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who imported it; empty when the import command did.",
    )
    origin = models.CharField(max_length=255, blank=True, help_text="File name the text was imported from.")
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The earlier version whose text this one brought back (an undo).",
    )
    passages_added = models.PositiveIntegerField(default=0)
    passages_changed = models.PositiveIntegerField(default=0)
    passages_retired = models.PositiveIntegerField(default=0)
    withheld_at = models.DateTimeField(null=True, blank=True)
    withheld_reason = models.TextField(blank=True)
    withheld_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = SourceVersionQuerySet.as_manager()

    class Meta:
        ordering = ["source", "number"]
        get_latest_by = "number"
        # Kept for good: nobody gets a permission to delete one.
        default_permissions = ("add", "change", "view")
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="source_version_unique_number"),
            models.CheckConstraint(
                condition=Q(withheld_at__isnull=True) | ~Q(withheld_reason=""),
                name="source_version_withheld_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.source} · version {self.number}"

    def get_absolute_url(self):
        return reverse("public:source_version", kwargs={"slug": self.source.slug, "number": self.number})

    def delete(self, *args, **kwargs):
        raise TypeError("A source version is kept for good and cannot be deleted.")

    @property
    def imported_by_label(self):
        """Who imported it, as the admin and history show it."""
        if self.imported_by_id is None:
            return "the import command"
        user = self.imported_by
        return user.get_full_name() or user.get_username()

    @property
    def is_withheld(self):
        return self.withheld_at is not None

    def withhold(self, reason, by, now=None):
        """Withhold this version's words from readers (legal or safety reasons); the entry and reason stay."""
        from django.utils import timezone

        if not reason.strip():
            raise ValueError("Say why the version is withheld; readers see the reason.")
        self.withheld_at = now or timezone.now()
        self.withheld_reason = reason.strip()
        self.withheld_by = by
        self.save(update_fields=["withheld_at", "withheld_reason", "withheld_by"])

    def release(self):
        """Show a withheld version's words again."""
        self.withheld_at, self.withheld_reason, self.withheld_by = None, "", None
        self.save(update_fields=["withheld_at", "withheld_reason", "withheld_by"])


class VersionPassage(models.Model):
    """A passage as it stands in one version: its place, offsets and kind there.

    Passage rows hold words that never change; these rows say where each sits in each version, so any
    version can be shown passage by passage with its stable anchors.
    """

    version = models.ForeignKey(SourceVersion, on_delete=models.PROTECT, related_name="placements")
    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="placements")
    ordinal = models.PositiveIntegerField(help_text="1-based position in this version.")
    start = models.PositiveIntegerField(help_text="Offset of the passage in this version's text.")
    end = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Passage.Kind.choices)
    kind_position = models.PositiveIntegerField(
        help_text="1-based position among this version's passages of the same kind."
    )

    class Meta:
        ordering = ["version", "ordinal"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["version", "ordinal"], name="version_passage_unique_ordinal"),
            models.UniqueConstraint(fields=["version", "passage"], name="version_passage_unique_passage"),
        ]

    def __str__(self):
        return f"{self.version} · {self.passage.anchor}"

    @property
    def anchor(self):
        return self.passage.anchor

    @property
    def text(self):
        return self.passage.text

    @property
    def place_label(self):
        return place_label(self.kind, self.kind_position)
