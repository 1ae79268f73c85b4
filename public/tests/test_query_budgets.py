"""Query budgets: every public page, feed, the sitemap, the API and the briefing admin run a fixed number of
queries, whatever the size of the corpus.

Each page is measured on a small generated corpus (a dozen briefings of about three citations, six tags) and
on a larger one (eighty briefings of about nine citations, the benchmark briefing with thirty, forty tags),
each time as the first reader after a change sees it (empty page cache), after one warm-up request so that
process-wide caches (content types) are full as they are in a running server. Both counts must equal the
pinned budget: a count that grows with the data means a query per row crept in.

Public pages start with one query for the public state (``caching.public_state``) that keys the page cache
and the ETag; lists fetch authors and tags for the whole page with one query each (``public.with_byline_and_tags``).

The pages assembled from kept parts (``public.fragments``) are also measured as a page-cache miss after a
publication elsewhere, their parts kept: the common miss, and a cheaper one.
"""
import datetime
from dataclasses import dataclass
from io import StringIO

import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Q
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from briefings.models import AuthorProfile, Briefing, PublicChange, RevisionCitation, Tag
from public import caching
from sources.models import Source

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
AS_OF = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
# The corpus comes from the demo app's command, not its code: the reader site never imports the demo.
SMALL = dict(sources=3, passages_per_source=10, briefings=12, tags=6, citations_per_briefing=3, analysts=2, editors=1)
LARGE = dict(sources=12, passages_per_source=20, briefings=80, tags=40, citations_per_briefing=9, analysts=6, editors=3)
# The generated corpus's commonest word (demo/corpus/plan.py).
COMMON_WORD = "government"


def generate(size, **options):
    call_command("generate_corpus", as_of=AS_OF, stdout=StringIO(), stderr=StringIO(), **size, **options)


@dataclass
class Measure:
    url: str
    count: int
    queries: list

    def __str__(self):
        return f"{self.url}: {self.count} queries\n" + "\n".join(self.queries)


def pages(size):
    """The pages to measure, on the corpus in the database; ``size`` picks the lighter or heavier examples."""
    published = Briefing.objects.published().annotate(cited=Count("published_revision__citations"))
    briefing = (published.order_by("cited", "pk") if size == "small" else published.order_by("-cited", "pk")).first()
    tag = (
        Tag.objects.annotate(uses=Count("tagged_briefings", filter=Q(tagged_briefings__content_object__in=published)))
        .order_by("-uses", "pk")
        .first()
    )
    source = (
        Source.objects.annotate(
            cited=Count(
                "passages__revision_citations",
                filter=Q(passages__revision_citations__in=RevisionCitation.objects.filter(
                    revision__published_as__in=Briefing.objects.published()
                )),
            )
        )
        .order_by("-cited", "pk")
        .first()
    )
    corrected = published.filter(corrections__isnull=False).order_by("pk").first() or briefing
    author = (
        AuthorProfile.objects.annotate(published=Count("user__briefings", filter=Q(user__briefings__in=published)))
        .order_by("published" if size == "small" else "-published", "pk")
        .filter(published__gt=0)
        .first()
    )
    return {
        "briefing detail": f"/briefings/{briefing.slug}/",
        "changes": f"/briefings/{corrected.slug}/changes/",
        "home list": "/",
        "filtered list": f"/?tag={tag.slug}&published_after=2020-01-01",
        "tag list": "/tags/",
        "tag page": f"/tags/{tag.slug}/",
        "source page": f"/sources/{source.slug}/",
        "search": f"/search/?q={COMMON_WORD}",
        "corrections": "/corrections/",
        "feed": "/feed/",
        "atom feed": "/feed/atom/",
        "filtered feed": f"/feed/?tag={tag.slug}",
        "tag feed": f"/tags/{tag.slug}/feed/",
        "tag atom feed": f"/tags/{tag.slug}/feed/atom/",
        "source feed": f"/sources/{source.slug}/feed/",
        "source atom feed": f"/sources/{source.slug}/feed/atom/",
        "corrections feed": "/corrections/feed/",
        "corrections atom feed": "/corrections/feed/atom/",
        "sitemap": "/sitemap.xml",
        "api list": "/api/briefings/",
        "api detail": f"/api/briefings/{briefing.slug}/",
        "api annotations": f"/api/briefings/{briefing.slug}/annotations/",
        "author page": f"/authors/{author.slug}/",
        "author feed": f"/authors/{author.slug}/feed/",
        "author atom feed": f"/authors/{author.slug}/feed/atom/",
        "briefing csl-json": f"/briefings/{briefing.slug}/cite.json",
        "briefing bibtex": f"/briefings/{briefing.slug}/cite.bib",
        "briefing ris": f"/briefings/{briefing.slug}/cite.ris",
        "sources csl-json": f"/briefings/{briefing.slug}/sources.json",
        "sources bibtex": f"/briefings/{briefing.slug}/sources.bib",
        "sources ris": f"/briefings/{briefing.slug}/sources.ris",
        "source csl-json": f"/sources/{source.slug}/cite.json",
        "source bibtex": f"/sources/{source.slug}/cite.bib",
        "source ris": f"/sources/{source.slug}/cite.ris",
        "admin changelist": "/admin/briefings/briefing/",
        "admin change form": f"/admin/briefings/briefing/{briefing.pk}/change/",
    }


def measure(size, admin):
    reader, editor = Client(), Client()
    editor.force_login(admin)
    measured = {}
    for name, url in pages(size).items():
        client = editor if url.startswith("/admin/") else reader
        client.get(url)
        cache.clear()
        caching.forget_public_state()  # as after a change: the page cache and the state both to be read again
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        measured[name] = Measure(url, len(captured), [query["sql"] for query in captured])
    return measured


# Pages assembled from kept parts.
ASSEMBLED = ("briefing detail", "home list", "filtered list", "tag page", "author page", "source page", "feed",
             "atom feed", "tag feed", "author feed", "search")


def measure_assembled(size):
    """Each assembled page as a miss of the page cache after a publication elsewhere: its parts already kept."""
    reader = Client()
    measured = {}
    for name, url in pages(size).items():
        if name not in ASSEMBLED:
            continue
        cache.clear()
        reader.get(url)
        # What another briefing's publication leaves: a new public version, no kept part retired.
        PublicChange.objects.update(generation=F("generation") + 1)
        caching.forget_public_state()
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        measured[name] = Measure(url, len(captured), [query["sql"] for query in captured])
    return measured


@time_machine.travel(NOW, tick=False)
class QueryBudgetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        # Committed, as a running site's data is: parts of pages are kept only when nothing waits for a commit.
        with cls.captureOnCommitCallbacks(execute=True):
            admin = get_user_model().objects.create_superuser("budget-admin", "budget@example.org", "unused")
            generate(SMALL)
        cls.small = measure("small", admin)
        cls.small_assembled = measure_assembled("small")
        with cls.captureOnCommitCallbacks(execute=True):
            generate(LARGE, replace=True)
        cls.large = measure("large", admin)
        cls.large_assembled = measure_assembled("large")

    def assertBudget(self, page, expected):
        small, large = self.small[page], self.large[page]
        self.assertEqual(
            (small.count, large.count), (expected, expected), f"\n--- small ---\n{small}\n--- large ---\n{large}"
        )

    def assertAssembled(self, page, expected):
        small, large = self.small_assembled[page], self.large_assembled[page]
        self.assertEqual(
            (small.count, large.count), (expected, expected), f"\n--- small ---\n{small}\n--- large ---\n{large}"
        )

    # Pages ------------------------------------------------------------------------------

    def test_briefing_detail(self):
        """A briefing with thirty citations opens as fast as one with three."""
        # Public state; the briefing's stamps that key its kept page (values, no model objects); the briefing
        # with its published revision and whether it has corrections; authors; tags; the revision's citations
        # with passage and source (one join). A briefing with corrections reads them too (one more query,
        # whatever their number: test_views_briefing). The byline's profiles come with the authors (one join);
        # a retracted briefing's page asks which of its authors still have a page (one more).
        self.assertBudget("briefing detail", 6)
        # Its page kept: the public state and the briefing's stamps.
        self.assertAssembled("briefing detail", 2)

    def test_changes(self):
        """What changed in a corrected briefing costs the same on a small or a large corpus."""
        # Public state; the briefing with its published revision and whether it has corrections; its public
        # corrections; its publication events; the revisions they published; their citations with passages and
        # sources. More republications add no query (test_changes).
        self.assertBudget("changes", 6)

    def test_home_list(self):
        """The home page costs the same with a dozen briefings or years of them."""
        # Public state; the paginator's count; the filter form's choices (the most used tags of recent briefings,
        # public authors; no source is read until one is chosen); the stamps of one page of briefings (which key
        # the kept list and entries); the briefings not kept with their published revisions; authors; tags.
        self.assertBudget("home list", 8)
        # Its entries and filter form kept: public state, count, author choices, the page's stamps, and the
        # popular tags (counted once per public version, which the publication moved).
        self.assertAssembled("home list", 5)

    def test_filtered_list(self):
        """Filtering by tag and date adds a fixed cost, not one per briefing."""
        # As the home list, plus validating the chosen tag against the tags in use; the filters are part of the
        # count and page queries.
        self.assertBudget("filtered list", 9)
        self.assertAssembled("filtered list", 6)

    def test_tag_list(self):
        """The list of tags is one query however many tags there are."""
        # Public state; the paginator's count; one page of tags with their counts of published briefings.
        self.assertBudget("tag list", 3)

    def test_tag_page(self):
        """A tag's page costs the same whatever the number of briefings carrying it."""
        # Public state; the tag (among tags in use); the count; the stamps of one page of briefings; the
        # briefings not kept; authors; tags.
        self.assertBudget("tag page", 7)
        # Its entries kept: public state, tag, count, the page's stamps.
        self.assertAssembled("tag page", 4)

    def test_source_page_with_cited_by(self):
        """A source quoted by many briefings shows "cited by" under each passage in one query."""
        # Public state; the source's stamps, its row with its current version's id and what cites it (this
        # corpus's sources have no versions, so none is read: one more query for a source that has one); the
        # count of its passages and one page of them (200 at most); every published citation of the source with
        # the citing briefing's slug and title. A ``?cite=`` highlight is not asked for here.
        self.assertBudget("source page", 5)
        # The whole page kept: public state, the source's stamps.
        self.assertAssembled("source page", 2)

    def test_search(self):
        """Searching the commonest word costs the same on a small or a large corpus."""
        # Public state; count and page of matching briefings (rank and snippet are part of the page's query);
        # authors; tags; count and page of matching passages with their sources; the published briefings citing
        # the page's passages. PostgreSQL reads each group's count with its page in one statement
        # (``ResultsPaginator``), and the configurations the sources' languages use, which the passages' query is
        # written in (public.search.postgresql), until they are kept.
        postgresql = connection.vendor == "postgresql"
        self.assertBudget("search", 7 if postgresql else 8)
        # Its briefings' entries and the configurations kept: no authors or tags to read.
        self.assertAssembled("search", 4 if postgresql else 6)

    def test_corrections_list(self):
        """The corrections page reads each correction with its briefing's published title in one query."""
        # Public state; the paginator's count; one page of corrections with briefing and published revision.
        self.assertBudget("corrections", 3)

    # Feeds ------------------------------------------------------------------------------

    def test_feeds(self):
        """Every feed is built from a fixed number of queries, whatever the number of entries."""
        # Public state; the entries' stamps (which key the document and each entry); the entries not kept with
        # their published revisions (bodies included); authors; tags.
        self.assertBudget("feed", 5)
        self.assertBudget("atom feed", 5)
        # The document kept (no entry changed): public state, the entries' stamps.
        self.assertAssembled("feed", 2)
        self.assertAssembled("atom feed", 2)

    def test_filtered_and_tag_feeds(self):
        """A feed of one tag adds one query: finding the tag among the tags in use."""
        self.assertBudget("filtered feed", 6)
        self.assertBudget("tag feed", 6)
        self.assertBudget("tag atom feed", 6)
        self.assertAssembled("tag feed", 3)

    def test_source_feeds(self):
        """A feed of the briefings citing one source adds one query: the source."""
        self.assertBudget("source feed", 6)
        self.assertBudget("source atom feed", 6)

    def test_corrections_feeds(self):
        """The corrections feed reads corrections with their briefings' titles in one query."""
        # Public state; the corrections with briefing and published revision.
        self.assertBudget("corrections feed", 2)
        self.assertBudget("corrections atom feed", 2)

    def test_sitemap(self):
        """The sitemap reads each section once, however many briefings, tags and sources it lists."""
        # Public state; for briefings, tags and sources a count (the sitemap paginates) and one page of items;
        # the list pages need none.
        self.assertBudget("sitemap", 7)

    # Authors and citations ---------------------------------------------------------------

    def test_author_page(self):
        """An author's page costs the same with one published briefing or dozens."""
        # Public state; the profile (among those with a published briefing); the count; the stamps of one page
        # of briefings; the briefings not kept; authors; tags.
        self.assertBudget("author page", 7)
        self.assertAssembled("author page", 4)

    def test_author_feeds(self):
        """An author's feeds add one query to a feed: finding the author among those with published work."""
        self.assertBudget("author feed", 6)
        self.assertBudget("author atom feed", 6)
        self.assertAssembled("author feed", 3)

    def test_briefing_citation_downloads(self):
        """A briefing's reference downloads read the briefing and its byline, whatever the format."""
        # Public state; the briefing with its published revision; its authors with their profiles.
        for page in ("briefing csl-json", "briefing bibtex", "briefing ris"):
            self.assertBudget(page, 3)

    def test_sources_citation_downloads(self):
        """The sources of a briefing with thirty citations download in as many queries as those of one with three."""
        # Public state; the briefing; its quoted sources, each once, in footnote order.
        for page in ("sources csl-json", "sources bibtex", "sources ris"):
            self.assertBudget(page, 3)

    def test_source_citation_downloads(self):
        """A source's reference downloads are one query for the source, in every format."""
        # Public state; the source.
        for page in ("source csl-json", "source bibtex", "source ris"):
            self.assertBudget(page, 2)

    # API --------------------------------------------------------------------------------

    def test_api_list(self):
        """The JSON list costs the same however many briefings it pages through."""
        # Public state; the count; one page of briefings with published revisions; authors; tags.
        self.assertBudget("api list", 5)

    def test_api_detail(self):
        """The JSON of a briefing with thirty citations costs the same as one with three."""
        # As the briefing page: public state, briefing, authors, tags, citations with passages and sources,
        # corrections.
        self.assertBudget("api detail", 6)
        self.assertBudget("api annotations", 6)

    # Admin ------------------------------------------------------------------------------

    def test_admin_changelist(self):
        """Editors' list of briefings stays one page of queries, whatever the corpus."""
        # Session and user; the tag and cited-source filters' choices; the author choices; the paginator's
        # count and the full count; one page of briefings annotated with citation counts; authors; tags.
        self.assertBudget("admin changelist", 10)

    def test_admin_change_form(self):
        """Editing a briefing with thirty citations costs the same as editing one with three."""
        # Session and user; the briefing, read by the admin and again by the workflow buttons; authors; tags;
        # its events with actors and revisions; its citations with passages and sources in one join; the
        # published revision; the author choices; the saved citations' labels for the footnote check; the
        # citations a changed source left needing attention, for the banner; the citations with the body, for the
        # list of those not yet placed.
        self.assertBudget("admin change form", 16)
