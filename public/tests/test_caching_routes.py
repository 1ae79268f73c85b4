"""Caching per route: which query parameters make a page different, and the pages that came from ``sources/``."""
from django.urls import URLPattern, reverse

from briefings.models import Citation
from briefings.tests.factories import Newsroom, make_source, passage
from public import urls

from .base import PublicSiteTestCase

QUOTE = "signed a transit agreement"
TRACKING = ("utm_source", "fbclid", "gclid", "msclkid", "foo")
# Routes that are not cached pages: robots.txt is static, a preview is for whoever holds its link.
NOT_CACHED = {"robots_txt", "preview", "passage"}


class RouteParameterTests(PublicSiteTestCase):
    """Only the parameters a page reads make it a different page; anything else leaves no trace."""

    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal", tags=["Energy"])
        newsroom.corrected(cls.briefing)
        cls.tag = cls.briefing.published_revision.tags.get()
        cls.citation = Citation.objects.get(briefing=cls.briefing)

    def routes(self):
        """{route name: (address, a query string of parameters it reads, or "" if it reads none)}."""
        briefing, source, tag = self.briefing.slug, self.source.slug, self.tag.slug
        return {
            "list": (reverse("public:list"), "q=transit"),
            "detail": (reverse("public:detail", args=[briefing]), ""),
            "source_list": (reverse("public:source_list"), "page=1"),
            "source_detail": (reverse("public:source_detail", args=[source]), f"cite={self.citation.pk}&page=1"),
            "source_versions": (reverse("public:source_versions", args=[source]), ""),
            "source_version": (reverse("public:source_version", args=[source, 1]), "cite=1&page=1"),
            "source_diff": (reverse("public:source_diff", args=[source, 1, 1]), ""),
            "source_feed": (reverse("public:source_feed", args=[source]), ""),
            "source_feed_atom": (reverse("public:source_feed_atom", args=[source]), ""),
            "tag_list": (reverse("public:tag_list"), "page=1"),
            "tag_detail": (reverse("public:tag_detail", args=[tag]), "page=1"),
            "tag_feed": (reverse("public:tag_feed", args=[tag]), ""),
            "tag_feed_atom": (reverse("public:tag_feed_atom", args=[tag]), ""),
            "search": (reverse("public:search"), "q=transit"),
            "corrections": (reverse("public:corrections"), "page=1"),
            "corrections_feed": (reverse("public:corrections_feed"), ""),
            "corrections_feed_atom": (reverse("public:corrections_feed_atom"), ""),
            "feed": (reverse("public:feed"), "q=transit"),
            "feed_atom": (reverse("public:feed_atom"), "q=transit"),
            "api_list": (reverse("public:api_list"), "q=transit"),
            "api_detail": (reverse("public:api_detail", args=[briefing]), ""),
            "api_annotations": (reverse("public:api_annotations", args=[briefing]), ""),
            "sitemap": (reverse("public:sitemap"), "p=1"),
        }

    def addresses(self):
        """Each route's address, bare and with the parameters it reads."""
        for name, (path, allowed) in self.routes().items():
            yield name, path
            if allowed:
                yield name, f"{path}?{allowed}"

    def get(self, address):
        response = self.client.get(address)
        self.assertEqual(response.status_code, 200, address)
        return response

    def test_every_cached_route_is_covered_here(self):
        """A new public route cannot escape these tests."""
        names = {pattern.name for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)}
        self.assertEqual(names - NOT_CACHED, set(self.routes()))

    def test_tracking_and_unknown_parameters_do_not_change_the_etag(self):
        """A link shared with ?utm_source=… is the same page, answered 304 to a reader who has it."""
        for name, address in self.addresses():
            etag = self.get(address)["ETag"]
            separator = "&" if "?" in address else "?"
            for parameter in TRACKING:
                with self.subTest(route=name, address=address, parameter=parameter):
                    tracked = f"{address}{separator}{parameter}=x"
                    self.assertEqual(self.get(tracked)["ETag"], etag)
                    self.assertEqual(self.client.get(tracked, headers={"if-none-match": etag}).status_code, 304)

    def test_a_tracked_visit_leaves_no_trace_for_the_next_reader(self):
        """The first visitor came from a newsletter; nobody after sees its tracking code, in links or elsewhere."""
        for name, address in self.addresses():
            separator = "&" if "?" in address else "?"
            with self.subTest(route=name, address=address):
                first = self.get(f"{address}{separator}utm_source=x&fbclid=y")
                self.assertNotIn(b"utm_source", first.content)
                self.assertNotIn(b"fbclid", first.content)
                with self.assertNumQueries(1):  # the public state; the page is the one the first visit cached
                    after = self.get(address)
                self.assertEqual(after.content, first.content)
                self.assertNotIn(b"utm_source", after.content)

    def test_a_cached_answer_carries_the_headers_of_the_first(self):
        """Feeds keep their type and Last-Modified, the sitemap stays out of search indexes, from the cache too."""
        for name, address in self.addresses():
            with self.subTest(route=name, address=address):
                first = self.get(address)
                with self.assertNumQueries(1):
                    cached = self.get(address)
                self.assertEqual(dict(cached.headers), dict(first.headers))

    def test_parameters_a_page_reads_still_change_it(self):
        """Filters, pages, search words and highlighted quotes are different pages with different ETags."""
        for name, (path, allowed) in self.routes().items():
            if not allowed:
                continue
            with self.subTest(route=name):
                self.assertNotEqual(self.get(f"{path}?{allowed}")["ETag"], self.get(path)["ETag"])

    def test_one_spelling_of_the_same_parameters_is_one_page(self):
        """An encoded space, a stray ampersand or a blank tracking code do not split the cache."""
        etag = self.get("/search/?q=transit+deal")["ETag"]
        for address in ("/search/?q=transit%20deal", "/search/?q=transit+deal&", "/search/?utm_source&q=transit+deal"):
            with self.subTest(address=address):
                self.assertEqual(self.get(address)["ETag"], etag)


class SourcePageCachingTests(PublicSiteTestCase):
    """The sources list and a source's page are cached and validated like every other public page."""

    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.source = make_source(title="Transit talks")
        newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal")

    def addresses(self):
        return ("/sources/", self.source.get_absolute_url())

    def test_validators(self):
        for address in self.addresses():
            with self.subTest(address=address):
                response = self.client.get(address)
                self.assertTrue(response["ETag"].startswith('"'))
                self.assertIn("Last-Modified", response)
                self.assertIn("no-cache", response["Cache-Control"])

    def test_an_unchanged_page_is_answered_304(self):
        for address in self.addresses():
            with self.subTest(address=address):
                etag = self.client.get(address)["ETag"]
                with self.assertNumQueries(1):  # the public state only
                    response = self.client.get(address, headers={"if-none-match": etag})
                self.assertEqual(response.status_code, 304)

    def test_served_from_the_page_cache(self):
        for address in self.addresses():
            with self.subTest(address=address):
                first = self.client.get(address)
                self.assertContains(first, "Transit talks")
                with self.assertNumQueries(1):
                    second = self.client.get(address)
                self.assertEqual(second.content, first.content)
