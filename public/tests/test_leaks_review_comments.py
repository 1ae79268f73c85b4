"""Review comments never reach readers: not on the page, in feeds, the API, search, the sitemap or previews.

A published briefing carries open and resolved threads (on a citation and on
words of the body) whose words are unlike anything else in the corpus, and a
draft shared by preview link carries one too; every public surface is read
anonymously and searched for those words and for the commenters' names.
"""
from briefings import comments, preview, revisions, workflow
from briefings.tests.factories import Newsroom, make_source, passage, reviewed

from .base import PublicSiteTestCase

SECRETS = ["Xylophonic reservation about sourcing", "Quarkish reply from the desk", "Vorpal remark on a draft"]


class ReviewCommentLeakTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.editor = newsroom.editor
        cls.source = make_source(title="Public article")
        citations = [(passage(cls.source, 1), "signed a transit agreement")]
        cls.briefing = newsroom.draft(citations, title="Visible briefing", body="Baku signed the deal.[^n1]",
                                      tags=["Open"])
        thread = comments.comment(cls.briefing, cls.editor, SECRETS[0], citation=cls.briefing.citations.get())
        comments.reply(thread, newsroom.analyst, SECRETS[1])
        comments.resolve(thread, newsroom.analyst)
        reviewed(cls.briefing, newsroom.analyst, cls.editor)
        on_words = comments.comment(cls.briefing, cls.editor, SECRETS[0], words="Baku signed the deal")
        workflow.publish(cls.briefing, cls.editor, acknowledge_unresolved=True)
        comments.reply(on_words, newsroom.analyst, SECRETS[1])
        cls.draft = newsroom.draft(citations, title="Shared draft")
        comments.comment(cls.draft, cls.editor, SECRETS[2], citation=cls.draft.citations.get())
        cls.preview_url = preview.preview_url(revisions.latest_revision(cls.draft))

    def surfaces(self):
        slug = self.briefing.slug
        urls = [
            "/", "/tags/", "/tags/open/", "/search/?q=briefing", "/corrections/", "/feed/", "/feed/atom/",
            "/tags/open/feed/", "/sitemap.xml", "/api/briefings/",
            f"/api/briefings/{slug}/", f"/api/briefings/{slug}/annotations/", f"/briefings/{slug}/",
            f"/briefings/{slug}/changes/", f"/briefings/{slug}/cite.json", f"/briefings/{slug}/sources.json",
            self.source.get_absolute_url(), f"/sources/{self.source.slug}/feed/", self.preview_url,
        ]
        pages = {}
        for url in urls:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            pages[url] = response.content.decode()
        return pages

    def test_the_briefing_and_the_preview_are_shown(self):
        """The checks below would catch a leak: the briefing and the shared draft are there to be read."""
        pages = self.surfaces()
        self.assertIn("Visible briefing", pages[f"/briefings/{self.briefing.slug}/"])
        self.assertIn("Shared draft", pages[self.preview_url])

    def test_no_surface_shows_a_comment(self):
        """No comment's words, nor word of who wrote it, appear anywhere readers look."""
        for url, content in self.surfaces().items():
            for trace in [*SECRETS, "Xylophonic", "Quarkish", "Vorpal", self.editor.username]:
                with self.subTest(url=url, trace=trace):
                    self.assertNotIn(trace, content)

    def test_search_finds_nothing_in_comments(self):
        """Searching for a comment's words finds no briefing and no passage."""
        for query in ("Xylophonic", "Quarkish", "reservation sourcing"):
            with self.subTest(query=query):
                response = self.client.get("/search/", {"q": query})
                self.assertNotContains(response, "Visible briefing")
                self.assertContains(response, "No published briefing matches")
                self.assertContains(response, "No passage of the sources matches")
