"""Hostile text typed into every field a person can write renders inert on every surface.

Each payload goes into a briefing's title, summary, body, tag, citation note,
a reviewer's comment, a correction and (on a second briefing) a retraction.
Then every public page, feed, API answer, preview and admin page that shows
them is searched for anything a browser or feed reader would run.
"""
import json
import xml.etree.ElementTree as ElementTree

from django.test import SimpleTestCase
from django.utils.html import escape

from briefings import preview, revisions, workflow
from briefings.models import Citation, Tag
from briefings.tests.factories import Newsroom, make_draft, make_source, make_user, passage

from .base import PublicSiteTestCase
from .html_checks import scan

# Markup a browser would run if it reached a page unescaped.
HTML_PAYLOADS = [
    "<script>alert(1337)</script>",
    '"><script src=https://evil.example/x.js></script>',
    "<img src=x onerror=alert(1337)>",
    "<svg onload=alert(1337)><circle r=1></svg>",
    "<svg><script>alert(1337)</script></svg>",
    '<a href="javascript:alert(1337)">click</a>',
    '<a href=" jav&#x09;ascript:alert(1337)">tab</a>',
    '<iframe src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMzM3KTwvc2NyaXB0Pg=="></iframe>',
    "<body onload=alert(1337)>",
    "<div style=\"background:url(javascript:alert(1337))\">styled</div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1337)></style></mglyph></table></mtext></math>",
    "</textarea><script>alert(1337)</script>",
    "]]></description><script>alert(1337)</script>",
]
# Tricks aimed at Markdown, at filters that strip tags once, and at templates.
OTHER_PAYLOADS = [
    "<scr<script>ipt>alert(1337)</scr</script>ipt>",
    "[click](javascript:alert(1337))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMzM3KTwvc2NyaXB0Pg==)",
    "![image](javascript:alert(1337))",
    '![x](x" onerror="alert(1337))',
    "[a](<javascript:alert(1337)>) and [b]( JaVaScRiPt:alert(1337))",
    "{{ request.user.password }} {% debug %}",
]
PAYLOADS = HTML_PAYLOADS + OTHER_PAYLOADS
# Elements no page of ours contains; a payload's would show up as one of these.
FOREIGN_ELEMENTS = {"iframe", "object", "embed", "math", "base", "frame", "frameset"}
ARTICLE = [
    "Officials in Baku signed a transit agreement on Monday after months of talks.",
    "The pipeline will carry gas from the Caspian to southern Europe by the end of the decade.",
]


class InjectionTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.editor = newsroom.editor
        cls.superuser = make_user("root", superuser=True)
        cls.source = make_source(*ARTICLE, slug="hostile-source")
        cls.corrected, cls.retracted, cls.drafts = [], [], []
        for number, payload in enumerate(PAYLOADS):
            fields = {
                "title": f"{payload} {number}"[:200],
                "dek": payload[:300],
                "body": f"{payload}\n\nClaim {number}.[^n1] {payload}",
                "tags": [f"{payload} tag {number}"[:100]],
            }
            briefing = make_draft(newsroom.analyst, [(passage(cls.source, 1), "signed a transit agreement")], **fields)
            Citation.objects.filter(briefing=briefing).update(note=payload)
            briefing.refresh_body_html()
            workflow.submit(briefing, newsroom.analyst)
            workflow.request_changes(briefing, newsroom.editor, comment=payload)
            workflow.submit(briefing, newsroom.analyst)
            workflow.approve(briefing, newsroom.editor)
            workflow.publish(briefing, newsroom.editor)
            workflow.correct(briefing, newsroom.editor, note=payload)
            cls.corrected.append(briefing)

            retracted = newsroom.published(
                [(passage(cls.source, 2), "carry gas from the Caspian")], title=f"Retracted {number}"
            )
            workflow.retract(retracted, newsroom.editor, reason=payload)
            cls.retracted.append(retracted)

            draft = make_draft(newsroom.analyst, [(passage(cls.source, 2), "to southern Europe")], **{
                **fields, "title": f"Draft {payload}"[:200], "tags": [],
            })
            cls.drafts.append(draft)

    def get(self, url, user=None):
        if user is not None:
            self.client.force_login(user)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return response

    def assert_inert_html(self, html, where, foreign=FOREIGN_ELEMENTS):
        problems, elements = scan(html)
        self.assertEqual(problems, [], where)
        self.assertEqual([tag for tag, _ in elements if tag in foreign], [], where)
        self.assertNotIn("1337</script>", html, where)

    # Public pages ---------------------------------------------------------------

    def public_pages(self):
        urls = ["/", "/?page=2", "/tags/", "/corrections/", "/corrections/?page=2", "/search/?q=alert",
                "/search/?q=Claim", "/sources/", self.source.get_absolute_url(),
                f"/search/?q={PAYLOADS[0]}", f"{self.source.get_absolute_url()}?cite=1"]
        for briefing in self.corrected + self.retracted:
            urls.append(briefing.get_absolute_url())
        for tag in Tag.objects.all():
            urls.append(f"/tags/{tag.slug}/")
        return urls

    def test_public_pages_are_inert(self):
        """No public page runs anything typed into a briefing, its tags, notes, corrections or retraction."""
        for url in self.public_pages():
            response = self.client.get(url)
            if response.status_code == 404:
                continue  # e.g. a second page that does not exist
            with self.subTest(url=url):
                self.assert_inert_html(response.content.decode(), url, FOREIGN_ELEMENTS | {"svg"})

    def test_payloads_are_shown_as_text(self):
        """What was typed is still there for readers to see, as text, not silently dropped or run."""
        briefing = self.corrected[0]
        content = self.get(briefing.get_absolute_url()).content.decode()
        self.assertIn(escape(briefing.title), content)
        self.assertIn(escape(PAYLOADS[0]), content)  # the correction's text

    # Feeds and API --------------------------------------------------------------

    def test_feeds_are_well_formed_and_inert(self):
        """Feeds stay valid XML, and the HTML they carry for feed readers runs nothing."""
        urls = ["/feed/", "/feed/atom/", "/corrections/feed/", "/corrections/feed/atom/",
                f"/sources/{self.source.slug}/feed/"]
        urls += [f"/tags/{tag.slug}/feed/" for tag in Tag.objects.filter(tagged_briefings__isnull=False)[:5]]
        for url in urls:
            with self.subTest(url=url):
                root = ElementTree.fromstring(self.get(url).content)
                for element in root.iter():
                    name = element.tag.rsplit("}", 1)[-1]
                    if name in {"description", "content", "summary", "encoded", "subtitle"} and element.text:
                        self.assert_inert_html(element.text, f"{url} <{name}>", FOREIGN_ELEMENTS | {"svg"})

    def test_api_is_inert(self):
        """The JSON API is served as JSON, never sniffed as HTML, and the HTML it carries runs nothing."""
        urls = ["/api/briefings/"]
        for briefing in self.corrected + self.retracted:
            urls += [f"/api/briefings/{briefing.slug}/", f"/api/briefings/{briefing.slug}/annotations/"]
        for url in urls:
            with self.subTest(url=url):
                response = self.get(url)
                self.assertTrue(response["Content-Type"].startswith("application/"), response["Content-Type"])
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")
                for key, value in walk(json.loads(response.content)):
                    if key.endswith("html"):
                        self.assert_inert_html(value, f"{url} {key}", FOREIGN_ELEMENTS | {"svg"})

    def test_preview_is_inert(self):
        """A shared preview of a hostile draft runs nothing either."""
        for draft in self.drafts:
            url = preview.preview_url(revisions.latest_revision(draft))
            with self.subTest(draft=draft.pk):
                self.assert_inert_html(self.get(url).content.decode(), url, FOREIGN_ELEMENTS | {"svg"})

    # Admin ----------------------------------------------------------------------

    def admin_pages(self):
        urls = ["/admin/briefings/briefing/", "/admin/briefings/briefing/?q=alert", "/admin/briefings/tag/",
                "/admin/briefings/briefingevent/", "/admin/briefings/correction/", "/admin/sources/passage/",
                f"/admin/sources/passage/{passage(self.source, 1).pk}/change/"]
        for briefing in self.corrected[:10] + self.retracted[:5] + self.drafts[:5]:
            base = f"/admin/briefings/briefing/{briefing.pk}"
            urls += [f"{base}/change/", f"{base}/history/", f"{base}/revisions/"]
            if briefing.revisions.count() > 1:
                urls.append(f"{base}/revisions/compare/?from=1&to=2")
        for briefing in self.corrected[10:]:
            urls.append(f"/admin/briefings/briefing/{briefing.pk}/change/")
        return urls

    def test_admin_is_inert(self):
        """Editors reading hostile text in the admin, in lists, forms, previews, history and diffs, run nothing."""
        self.client.force_login(self.superuser)
        for url in self.admin_pages():
            response = self.client.get(url)
            with self.subTest(url=url):
                self.assertEqual(response.status_code, 200)
                # The admin draws its theme icons as inline SVG; anything a payload brought is caught above.
                self.assert_inert_html(response.content.decode(), url)

    def test_author_sees_the_hostile_comment_inert(self):
        """The reviewer's comment shown to the author on the change page runs nothing."""
        newsroom_analyst = self.corrected[0].authors.get()
        briefing = self.drafts[0]
        workflow.submit(briefing, newsroom_analyst)
        workflow.request_changes(briefing, self.editor, comment=PAYLOADS[2])
        response = self.get(f"/admin/briefings/briefing/{briefing.pk}/change/", newsroom_analyst)
        self.assertContains(response, escape(PAYLOADS[2]))
        self.assert_inert_html(response.content.decode(), "change page")


class CheckerTests(SimpleTestCase):
    def test_checker_catches_every_raw_payload(self):
        """The inspection is not vacuous: each payload, unescaped, would be caught."""
        for payload in HTML_PAYLOADS:
            with self.subTest(payload=payload):
                problems, elements = scan(payload)
                foreign = [tag for tag, _ in elements if tag in FOREIGN_ELEMENTS | {"svg"}]
                self.assertTrue(problems or foreign)


def walk(value, key=""):
    """Every (key, string) pair in a JSON document."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from walk(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, key)
    elif isinstance(value, str):
        yield key, value


# What a search box receives from people probing it: quotes, NUL bytes, the databases' own query syntax, sheer length.
HOSTILE_QUERIES = [
    '"', '""', "'", "' OR 1=1 --", "\x00", "gas\x00pipeline", '"gas\x00"', "NEAR(gas pipeline, 2)", "gas AND",
    "OR", "NOT gas", "-", "--", "gas*", "^gas", "title:gas", "{title dek}: gas", "gas & !pipeline | (",
    "gas <-> pipeline", ":*", "\\", "%", "_", "%_%", "pipeline " * 500, "x" * 10_000, "\u202egas", "é\u0301",
]


class HostileSearchTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source(*ARTICLE)
        newsroom.published([(passage(source, 2), "carry gas from the Caspian")], title="Gas pipeline")

    def test_hostile_search_input_is_never_an_error(self):
        """Whatever is typed into the search box or a list's word filter, readers get a page, not a server error."""
        for text in HOSTILE_QUERIES:
            for address in ("/search/", "/", "/feed/", "/api/briefings/"):
                with self.subTest(address=address, text=text[:40]):
                    response = self.client.get(address, {"q": text})
                    # A feed answers a filter it cannot read with 404, like a page that does not exist.
                    self.assertLess(response.status_code, 500, response.content[:300])
