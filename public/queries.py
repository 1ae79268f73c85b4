"""What readers see, and the shape of the queries that fetch it.

Every public surface (pages, feeds, sitemap, API, search) starts from
``Briefing.objects.published()`` or ``public_pages()`` and renders the
briefing's *published revision*: its title, dek, body_html, tags and
citations, so a newer revision under review never shows. A revision's tags are
Tag rows (``Revision.tags``), so renaming or merging a tag still applies at
once everywhere. Authors are read from the briefing itself: the byline is not
part of a revision.
"""
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from briefings.models import AuthorProfile, Briefing, Citation, Correction, RevisionCitation, RevisionTag, Tag
from sources.models import Passage, Source

from .templatetags.public_site import site_url

# Columns no public page reads: readers see the published revision's rendered body, never its Markdown
# or the working copy's.
NEVER_SHOWN = (
    "body", "body_html", "published_revision__body", "published_revision__tag_names", "published_revision__quotes",
)
# Columns a list entry needs; the bodies are large and only detail pages and feeds read them.
LIST_DEFERRED = (*NEVER_SHOWN, "published_revision__body_html")

# What pages, JSON-LD and the API show of a citation: never a source's full text (``display_title`` reads its
# opening) nor the passage's.
CITATION_COLUMNS = (
    "revision_id", "quote", "start", "end", "prefix", "suffix", "note", "label", "order", "status",
    "passage__source_id", "passage__anchor", "passage__anchor_number", "passage__start",
    "passage__source__slug", "passage__source__title", "passage__source__opening",
    "passage__source__url", "passage__source__publisher", "source_version__withheld_at",
)
SOURCE_CHOICE_COLUMNS = ("id", "slug", "title", "opening")
# How many of the latest briefings decide which tags the filter form offers first.
RECENT_BRIEFINGS = 500


def byline_users():
    """People as bylines name them: with their author profile (display name and page), never their login name."""
    return (
        get_user_model().objects.select_related("author_profile")
        .only("id", "first_name", "last_name", "author_profile__user", "author_profile__name", "author_profile__slug")
        .order_by("last_name", "username")
    )


def byline_and_tags():
    """The lookups that read briefings' authors and published revisions' tags, one query each for any number."""
    return (
        Prefetch("authors", queryset=byline_users()),
        Prefetch("published_revision__tags", queryset=Tag.objects.only("id", "name", "slug").order_by("name")),
    )


def with_byline_and_tags(queryset):
    """Authors and the published revisions' tags in two queries for the whole list, whatever its length.

    The queryset must select its ``published_revision``; pages read the tags
    as ``briefing.published_revision.tags.all``.
    """
    return queryset.prefetch_related(*byline_and_tags())


def tagged_with(tags):
    """A condition on briefings: their published revision carries any of ``tags`` (Tag rows or a queryset).

    An IN over the tags' own rows, not a correlated EXISTS per briefing: SQLite plans the EXISTS as a walk over
    every published briefing probing each for the tag (7 ms to count a tag's 25 briefings on the benchmark
    corpus), and the IN as a lookup of the tag's rows and their briefings (under 1 ms). PostgreSQL plans both
    as the same semi-join.
    """
    return Q(published_revision__in=RevisionTag.objects.filter(tag__in=tags).values("revision_id"))


def briefings(*, with_body=False, now=None, prefetch=True):
    """Published briefings, newest first, with their published revision, authors and tags.

    ``prefetch=False`` leaves authors and tags out: lists assembled from kept entries
    (``public.fragments.briefing_entries``) read them only for the entries they render.
    """
    queryset = Briefing.objects.published(now).select_related("published_revision")
    queryset = queryset.defer(*(NEVER_SHOWN if with_body else LIST_DEFERRED)).order_by("-published_at", "-pk")
    return with_byline_and_tags(queryset) if prefetch else queryset


def briefing_page_headers(now=None):
    """Briefings that have a public page, with their revision and whether corrections exist.

    A page that is not kept (``public.fragments.briefing_page``) reads, to be
    rendered, the byline and tags (``byline_and_tags``), the citations with
    ``page_citations`` and the corrections with ``page_corrections`` (only
    when ``has_corrections``).
    """
    return (
        Briefing.objects.public_pages(now)
        .select_related("published_revision")
        .defer(*NEVER_SHOWN)
        .annotate(has_corrections=Exists(Correction.objects.filter(briefing=OuterRef("pk"))))
    )


# What keys a briefing's kept page, list entry or feed entry (``public.fragments.briefing_stamps``): read alone
# (``values_list(*BRIEFING_STAMPS, named=True)``), no model objects.
BRIEFING_STAMPS = ("pk", "published_revision_id", "version", "status", "slug", "published_at", "public_updated_at")


def briefing_page_stamps(now=None):
    """Briefings that have a public page, as the plain values that key the page's kept HTML: no model objects.

    A page-cache miss of a kept page reads this one row; the page itself is rendered from
    ``briefing_page_headers`` only when it is not kept.
    """
    return (
        Briefing.objects.public_pages(now)
        .annotate(has_corrections=Exists(Correction.objects.filter(briefing=OuterRef("pk"))))
        .values_list(*BRIEFING_STAMPS, "has_corrections", named=True)
    )


def page_corrections(briefing, now=None):
    return list(Correction.objects.public(now).filter(briefing=briefing).order_by("created_at", "pk"))


@dataclass(frozen=True)
class PageCitation:
    """What a briefing page says of one citation, read as plain values: thirty rows cost no model objects."""

    quote: str
    anchor: str
    source_slug: str
    source_name: str
    source_url: str
    source_publisher: str


def page_citations(revision):
    """The revision's citations in footnote order, with the name, address and publisher of each source."""
    rows = (
        RevisionCitation.objects.filter(revision=revision)
        .order_by("order", "pk")
        .values_list(
            "quote", "passage__anchor", "passage__source__slug", "passage__source__title",
            "passage__source__opening", "passage__source__url", "passage__source__publisher", "passage__source_id",
            "source_version__withheld_at",
        )
    )
    # A quote from a withheld version is not shown (see ``shown_words``).
    return [
        PageCitation(
            "" if withheld_at else quote, anchor, slug, title or Source.name_from_opening(source_id, opening), url,
            publisher,
        )
        for quote, anchor, slug, title, opening, url, publisher, source_id, withheld_at in rows
    ]


def briefing_pages(now=None):
    """Briefings that have a public page (retracted ones keep theirs), with everything the API shows."""
    return with_byline_and_tags(
        Briefing.objects.public_pages(now).select_related("published_revision").defer(*NEVER_SHOWN)
    ).prefetch_related(
        Prefetch(
            "published_revision__citations",
            queryset=RevisionCitation.objects.select_related("passage__source", "source_version")
            .only(*CITATION_COLUMNS)
            .order_by("order", "pk"),
        ),
        Prefetch("corrections", queryset=Correction.objects.public(now).order_by("created_at", "pk")),
    )


def shown_words(citation):
    """(quote, prefix, suffix) readers may see of a published citation: nothing when its version is withheld."""
    version = citation.source_version
    if version is not None and version.withheld_at is not None:
        return "", "", ""
    return citation.quote, citation.prefix, citation.suffix


def citing_published(now=None):
    """Citations readers can follow: those of published revisions of published briefings."""
    return RevisionCitation.objects.filter(
        revision__published_as__in=Briefing.objects.published(now)
    )


def tags_in_use(now=None):
    """Tags that the published revision of at least one published briefing carries, with how many."""
    # A correlated count per tag reads only that tag's rows: finding one tag by slug stays cheap on a large archive.
    uses = (
        RevisionTag.objects.filter(tag=OuterRef("pk"), revision__in=published_revisions(now))
        .order_by()
        .values("tag")
        .annotate(uses=Count("pk"))
        .values("uses")
    )
    return (
        Tag.objects.annotate(briefing_count=Coalesce(Subquery(uses), 0))
        .filter(briefing_count__gt=0)
        .only("id", "name", "slug")
        .order_by("name")
    )


def tags_carried(now=None):
    """Tags in use, without their counts: for finding tags by slug (tag pages and feeds, the list's filter).

    A correlated EXISTS per tag through the briefing that publishes each revision carrying it: the counting
    subquery of ``tags_in_use`` lists every published revision first on SQLite (40 ms per tag page, against 1).
    """
    published = Briefing.objects.published(now).filter(published_revision=OuterRef("revision_id"))
    carried = RevisionTag.objects.filter(Exists(published), tag=OuterRef("pk"))
    return Tag.objects.filter(Exists(carried)).only("id", "name", "slug").order_by("name")


def carried_tags(slugs, now=None):
    """``[(pk, slug, name)]`` of the tags among ``slugs`` that published briefings carry, by name."""
    return list(tags_carried(now).filter(slug__in=slugs).values_list("pk", "slug", "name"))


def published_revisions(now=None):
    """The revisions readers see in lists: those of published briefings."""
    return Briefing.objects.published(now).values("published_revision")


def popular_tags(limit, now=None, recent=RECENT_BRIEFINGS):
    """The ``limit`` tags most carried by the ``recent`` latest published briefings, by name.

    Counting over the latest briefings only keeps this cheap however long the archive grows, and offers the
    topics of the moment.
    """
    latest = Briefing.objects.published(now).order_by("-published_at", "-pk").values("published_revision")[:recent]
    most_used = (
        RevisionTag.objects.filter(revision__in=latest)
        .values("tag")
        .annotate(uses=Count("pk"))
        .order_by("-uses", "tag")
        .values("tag")[:limit]
    )
    return Tag.objects.filter(pk__in=most_used).only("id", "name", "slug").order_by("name")


def cited_sources(now=None):
    """Sources quoted by at least one published briefing (the choices of the source filter)."""
    # Nested IN subqueries, not a correlated EXISTS per source: SQLite plans the EXISTS as a join per source
    # row, which takes seconds with thousands of sources and a hundred thousand citations.
    quoted = Passage.objects.filter(pk__in=citing_published(now).values("passage_id")).values("source_id")
    return Source.objects.filter(pk__in=quoted).only(*SOURCE_CHOICE_COLUMNS).order_by("title", "slug")


def source_list():
    """Every imported source article, by title, with how many passages it has: the sources page."""
    return (
        Source.objects.with_passage_count()
        .only("slug", "title", "publisher", "published_on", "opening")
        .order_by("title", "slug")
    )


def public_authors(now=None):
    """Profiles of people with a byline on at least one published briefing: those that have an author page."""
    # One probe per person (any one published briefing of theirs) rather than a pass over every byline.
    one = Briefing.objects.published(now).filter(authors=OuterRef("user_id")).order_by().values("pk")[:1]
    return (
        AuthorProfile.objects.alias(one_published=Subquery(one))
        .filter(one_published__isnull=False)
        .only("id", "user_id", "name", "slug")
        .order_by("name", "slug")
    )


SLUG_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")


def briefing_url_maker():
    """``slug -> address of the briefing page``, the URL resolved once rather than once per row.

    A slug is made of characters an address carries as they are (the route's ``slug`` converter): it is put
    in place of a resolved marker. Anything else goes through ``reverse``, which refuses it as it always has.
    """
    marker = "briefing-slug-marker"
    before, after = site_url("public:detail", marker).split(marker)

    def detail_url(slug):
        if SLUG_PATTERN.fullmatch(slug):
            return f"{before}{slug}{after}"
        return reverse("public:detail", kwargs={"slug": slug})

    return detail_url


def source_page_stamps():
    """Sources as the plain values that key their kept page (``fragments.source_page``): no model objects.

    Every column of the source but its text (an edit changes them), its current version's id and what cites
    it (``CitingStamp``): a page-cache miss of a kept page reads this one row.
    """
    return (
        Source.objects.with_current_version_pk()
        .annotate(citing_token=F("citing_stamp__token"), citing_pending_until=F("citing_stamp__pending_until"))
        .values_list(*_source_page_columns(), "current_version_pk", "citing_token", "citing_pending_until", named=True)
    )


def _source_page_columns():
    return [field.attname for field in Source._meta.concrete_fields if field.attname != "text"]


def source_from_stamps(stamps):
    """The source of a row of ``source_page_stamps`` as a model object (its text deferred), without a query."""
    columns = _source_page_columns()
    source = Source.from_db(Source.objects.db, columns, stamps[: len(columns)])
    source.current_version_pk = stamps.current_version_pk
    return source


def cited_by(source, now=None):
    """{passage id: [(briefing URL, title)]} for the passages of ``source`` quoted by published briefings."""
    # From the published briefings through their published revision's citations to the passages of this source:
    # one join per table and no subquery. Both databases start from the source's passages (its index), so the
    # published briefings are never listed first; and the ORM builds, and PostgreSQL plans, less than for an
    # EXISTS over each citation.
    citation = "published_revision__citations__passage"
    rows = (
        Briefing.objects.published(now)
        .filter(**{f"{citation}__source": source})
        .order_by(f"{citation}_id", "-published_at", "pk")
        .values_list(f"{citation}_id", "slug", "published_revision__title")
    )
    cited = {}
    detail_url = briefing_url_maker()
    for passage_id, slug, title in rows:
        entries = cited.setdefault(passage_id, [])
        entry = (detail_url(slug), title)
        if entry not in entries:
            entries.append(entry)
    return cited


@dataclass(frozen=True)
class Highlight:
    """Words to mark on a source page, and the public briefing that quotes them."""

    passage_id: int
    quote: str
    start: int
    end: int
    briefing_url: str
    briefing_title: str


def citation_to_highlight(source, cite, now=None):
    """What ``?cite=<id>`` on this source's page should mark, or None.

    Footnote links carry the id of the citation row the body was rendered
    with. Readers must only ever see words of a *published* revision, so the
    id is mapped through its label to the published revision of a briefing
    that has a public page, and quote, offsets and passage are read from there.
    If the source has been imported again since, and the passage was retired,
    the citation's re-anchored location is used, but only when it still quotes
    the very same words. A draft's citation highlights nothing.
    """
    try:
        cite_id = int(cite)
    except (TypeError, ValueError):
        return None
    working = (
        Citation.objects.filter(pk=cite_id).select_related("passage").first() if 0 < cite_id < 2**63 else None
    )
    if working is None:
        return None
    published = (
        RevisionCitation.objects.filter(
            revision__published_as__in=Briefing.objects.public_pages(now).filter(pk=working.briefing_id),
            label=working.label,
            passage__source=source,
        )
        .select_related("passage", "revision__briefing")
        .first()
    )
    if published is None:
        return None
    located = published
    if published.passage.retired:
        same_words = " ".join(working.quote.split()) == " ".join(published.quote.split())
        if not (same_words and working.passage.source_id == source.pk and not working.passage.retired):
            return None
        located = working
    return Highlight(
        passage_id=located.passage_id,
        quote=located.quote,
        start=located.start,
        end=located.end,
        briefing_url=published.revision.briefing.get_absolute_url(),
        briefing_title=published.revision.title,
    )


def version_citation_to_highlight(version, cite, now=None):
    """What ``?cite=<id>`` on a source version's page should mark, or None.

    Published footnotes carry the id of the published revision's own citation, pinned to the version it
    quoted: the words are marked only when that revision is the one a public page shows and the citation
    is pinned to this very version. A draft's or a superseded revision's citation marks nothing.
    """
    try:
        cite_id = int(cite)
    except (TypeError, ValueError):
        return None
    if not 0 < cite_id < 2**63:
        return None
    pinned = (
        RevisionCitation.objects.filter(
            pk=cite_id,
            source_version=version,
            revision__published_as__in=Briefing.objects.public_pages(now),
        )
        .select_related("passage", "revision__briefing")
        .first()
    )
    if pinned is None:
        return None
    return Highlight(
        passage_id=pinned.passage_id,
        quote=pinned.quote,
        start=pinned.start,
        end=pinned.end,
        briefing_url=pinned.revision.briefing.get_absolute_url(),
        briefing_title=pinned.revision.title,
    )


def public_corrections(now=None):
    return (
        Correction.objects.public(now)
        .select_related("briefing__published_revision")
        .defer("briefing__body", "briefing__body_html", "briefing__published_revision__body",
               "briefing__published_revision__body_html")
        .order_by("-created_at", "-pk")
    )



# Authors and citations ----------------------------------------------------------------------------


def author_pages(now=None):
    """Profiles that have an author page, with what the page shows of them."""
    return public_authors(now).only("id", "user_id", "name", "slug", "bio")


def by_author(user_id):
    """A condition on briefings: ``user_id`` is in their byline."""
    return Exists(Briefing.authors.through.objects.filter(briefing=OuterRef("pk"), user=user_id))


def authors_without_page(users, now=None):
    """The ids of those of ``users`` who have no author page (no published briefing)."""
    ids = {user.pk for user in users}
    if not ids:
        return set()
    return ids - set(public_authors(now).filter(user__in=ids).values_list("user_id", flat=True))


def briefing_for_citation(now=None):
    """Briefings that have a public page, with what a citation of one names: revision title, dek, byline."""
    return (
        Briefing.objects.public_pages(now)
        .select_related("published_revision")
        .only("id", "slug", "status", "published_at", "public_updated_at",
              "published_revision__id", "published_revision__title", "published_revision__dek")
        .prefetch_related(Prefetch("authors", queryset=byline_users()))
    )


SOURCE_CITATION_COLUMNS = ("id", "slug", "title", "opening", "publisher", "authors", "url", "published_on", "language")


def sources_for_citation():
    return Source.objects.only(*SOURCE_CITATION_COLUMNS)


def sources_cited_by(revision):
    """The sources a published revision quotes, each once, in the order of their first footnote."""
    first_cited = (
        RevisionCitation.objects.filter(revision=revision, passage__source=OuterRef("pk"))
        .order_by("order", "pk")
        .values("order")[:1]
    )
    return (
        sources_for_citation()
        .filter(pk__in=RevisionCitation.objects.filter(revision=revision).values("passage__source_id"))
        .annotate(first_order=Subquery(first_cited))
        .order_by("first_order", "slug")
    )
