"""Hostile input in every parameter of every public URL: a page, a 404 or a 400 with a reason, never a 5xx.

Every route of ``public/urls.py`` (pages, feeds, the API, the sitemap,
previews) is requested with each hostile value in each query parameter it
reads, all of them at once, and in its path where the path takes free text.
Values are written into the query string as a browser or a script would send
them: percent-encoded UTF-8, raw percent-encoded lone surrogates, and the
``%uD800`` spelling some clients still use.
"""
from urllib.parse import quote

from django.urls import URLPattern, reverse

from briefings import preview, revisions
from briefings.tests.factories import Newsroom, make_source, passage
from public import urls as public_urls

from .base import PublicSiteTestCase

CONTROL_CHARACTERS = "".join(chr(code) for code in [*range(1, 32), 127, 0x85])
# Text, each percent-encoded as UTF-8 before it is sent.
TEXT_VALUES = [
    "\x00", "a\x00b", CONTROL_CHARACTERS, f"gas{CONTROL_CHARACTERS}pipeline", "\u200b\u202e\ufeff\ufffe\uffff",
    "e\u0301nergy", "a" * 10_000, "gas " * 2_500, '"' * 10_000,
    '"', '"unterminated phrase', "*", "gas*", "NEAR(gas pipeline", "-", "-gas", "OR", "gas OR", ":",
    "title:gas", "^", "(", "gas & pipeline | !oil", "a:*", "'; --", "\\", "%",
    "-1", "99999999999999999999999", "last", "2026-13-45", "0000-00-00", "9999-12-31",
]
# Already percent-encoded: bytes that are not UTF-8 (lone surrogates, overlong forms, stray bytes).
RAW_VALUES = ["%ED%A0%80", "a%ED%A0%80b", "%uD800", "%uDFFF%u0000", "%C0%80", "%FF%FE", "%", "%E2%82"]
# Free text in a path segment (preview tokens).
PATH_VALUES = ["%00", "a%00b", "%ED%A0%80", "%uD800", "%01%1F%7F", "a" * 10_000, "%22", "NEAR(", "%25"]


def hostile_values():
    """Every hostile value, as it appears in a query string."""
    return [quote(value, safe="") for value in TEXT_VALUES] + RAW_VALUES


def public_routes():
    """(name, route, the query parameters the route reads) for every route of the reader site."""
    for pattern in public_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        parameters = sorted(getattr(pattern.callback, "query_parameters", ()))
        yield pattern.name, str(pattern.pattern), parameters


class PublicParameterFuzzTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = newsroom.published(
            [(passage(cls.source, 1), "signed a transit agreement")], tags=["Energy"], title="Gas transit"
        )
        newsroom.corrected(cls.briefing)
        newsroom.retracted([(passage(cls.source, 2), "carry gas from the Caspian")], title="Retracted pipeline")
        in_review = newsroom.in_review([(passage(cls.source, 2), "to southern Europe")], title="In review")
        cls.preview_token = preview.make_token(revisions.latest_revision(in_review))
        cls.author_slug = newsroom.analyst.author_profile.slug

    def address(self, route):
        """The route's own address, with real slugs, numbers and tokens from the factories filled in."""
        name = next(name for name, pattern, _ in public_routes() if pattern == route)
        pattern = next(p for p in public_urls.urlpatterns if p.name == name).pattern
        briefing, source = self.briefing.slug, self.source.slug
        slugs = {"briefings/": briefing, "^briefings/": briefing, "api/briefings/": briefing,
                 "sources/": source, "^sources/": source, "tags/": "energy", "authors/": self.author_slug}
        values = {"anchor_number": 1, "number": 1, "old": 1, "new": 1, "extension": "bib", "token": self.preview_token}
        kwargs = {}
        for parameter in pattern.regex.groupindex:
            if parameter == "slug":
                kwargs["slug"] = next(slug for prefix, slug in slugs.items() if route.startswith(prefix))
            else:
                kwargs[parameter] = values[parameter]
        return reverse(f"public:{name}", kwargs=kwargs)

    def assert_no_server_error(self, address):
        response = self.client.get(address)
        self.assertLess(response.status_code, 500, f"{address[:200]}: {response.content[:300]!r}")
        return response

    def test_the_fuzz_covers_every_public_route(self):
        """No route of the reader site escapes the fuzz: each one answers its own address with 200."""
        names = set()
        for name, route, _ in public_routes():
            names.add(name)
            response = self.client.get(self.address(route))
            # A passage's own address redirects to the page that holds it.
            self.assertEqual(response.status_code, 302 if name == "passage" else 200, route)
        self.assertGreaterEqual(len(names), 22)

    def test_hostile_values_in_every_parameter(self):
        """A hostile value in any parameter a public URL reads is a page, a 404 or a 400, never a server error."""
        values = hostile_values()
        for name, route, parameters in public_routes():
            address = self.address(route)
            # Routes that read no parameter get one in the next test, which they must drop or ignore.
            for parameter in parameters:
                for value in values:
                    with self.subTest(route=name, parameter=parameter, value=value[:30]):
                        self.assert_no_server_error(f"{address}?{parameter}={value}")

    def test_hostile_values_in_every_parameter_at_once(self):
        """All the parameters of a route hostile together are still a page, a 404 or a 400."""
        for name, route, parameters in public_routes():
            address = self.address(route)
            for value in hostile_values():
                query = "&".join(f"{parameter}={value}" for parameter in parameters or ["q"])
                with self.subTest(route=name, value=value[:30]):
                    self.assert_no_server_error(f"{address}?{query}")

    def test_hostile_values_in_free_text_paths(self):
        """A made-up preview token or slug, however hostile, is a 404, never a server error."""
        for name, route, _ in public_routes():
            if "<" not in route:
                continue
            for value in PATH_VALUES:
                address = "/" + route.replace("<slug:slug>", value).replace("<str:token>", value)
                with self.subTest(route=name, value=value[:30]):
                    response = self.assert_no_server_error(address)
                    self.assertIn(response.status_code, (404, 410), address[:200])

    def test_hostile_api_answers_say_why(self):
        """The API refuses a value it cannot read with a 400 and a reason, not a bare error."""
        response = self.client.get("/api/briefings/?published_after=2026-13-45&page=last")
        self.assertEqual(response.status_code, 400)
        self.assertIn("published_after", response.json()["errors"])


class NormalisationTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source("Officials in Tbilisi opened the new café terminal on Monday after months of talks.")
        cls.briefing = newsroom.published(
            [(passage(source, 1), "opened the new café terminal")], title="The café terminal opens",
            body="The café terminal opened.[^n1]",
        )

    def test_decomposed_accents_find_the_composed_word(self):
        """A reader whose keyboard sends "e" plus a combining accent finds "café" all the same."""
        for address in ("/search/", "/", "/api/briefings/"):
            with self.subTest(address=address):
                response = self.client.get(address, {"q": "cafe\u0301"})
                self.assertContains(response, "The café terminal opens")

    def test_a_nul_in_a_search_is_read_as_a_space(self):
        """A NUL byte pasted into a search is a space between words, not a server error."""
        response = self.client.get("/search/?q=caf%C3%A9%00terminal")
        self.assertContains(response, "The café terminal opens")
