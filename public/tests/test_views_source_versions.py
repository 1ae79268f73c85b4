"""Kept versions of a source: the list, one version with ``?cite=``, differences, withholding, big sources."""
import datetime

from briefings.tests.factories import Newsroom, make_source, make_user, passage
from sources import importer
from sources.models import Source

from .base import PublicSiteTestCase

LINES = [
    "Officials in Baku signed a transit agreement on Monday after months of talks.",
    "The agreement covers rail freight between Russia and Iran through Azerbaijan.",
    "Critics say the route helps Moscow avoid sanctions on its trade with the Gulf.",
]


MARKED = '<mark class="cited-quote" id="cited-quote">rail freight between Russia and Iran</mark>'


def text(lines):
    return "\n".join(lines) + "\n"


class PinnedFootnoteTests(PublicSiteTestCase):
    """A published footnote keeps landing on the quoted words after the source changed."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(*LINES, slug="transit", title="Transit deal")
        cls.briefing = cls.newsroom.published(
            [(passage(cls.source, 2), "rail freight between Russia and Iran")], title="Freight briefing"
        )
        cls.pinned = cls.briefing.published_revision.citations.get()

    def footnote_link(self):
        return f"/sources/transit/versions/1/?cite={self.pinned.pk}#p-2"

    def test_footnote_opens_the_quoted_words_in_their_version(self):
        """The briefing's footnote opens version 1 with the words marked."""
        self.assertContains(self.client.get(self.briefing.get_absolute_url()), self.footnote_link())
        response = self.client.get(self.footnote_link().split("#")[0])
        self.assertContains(response, MARKED)
        self.assertContains(response, '<meta name="robots" content="noindex">')
        self.assertNotContains(response, "changed since it was quoted")

    def test_after_the_words_changed_the_footnote_still_lands_and_says_so(self):
        """Once the source changed at that place, footnote and page say so at once and link to now and the diff."""
        importer.import_text(self.source, text([LINES[0], LINES[1].replace("rail", "road"), LINES[2]]))
        page = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(page, self.footnote_link())
        self.assertContains(page, "The source changed since it was quoted")
        version = self.client.get(self.footnote_link().split("#")[0])
        self.assertContains(version, MARKED)
        self.assertContains(version, "The source changed since it was quoted")
        self.assertContains(version, 'href="/sources/transit/diff/1/2/"')

    def test_a_drafts_citation_highlights_nothing_on_a_version_page(self):
        """Only a public revision's own citation marks words: a draft's, even guessed, does not."""
        draft = self.newsroom.draft([(passage(self.source, 3), "helps Moscow avoid")], title="Secret draft")
        [row] = draft.revisions.latest().citations.all()
        response = self.client.get(f"/sources/transit/versions/1/?cite={row.pk}")
        self.assertNotContains(response, "<mark")
        self.assertNotContains(response, "Secret draft")


class VersionPagesTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editor = make_user("editor", "Editor")
        importer.import_text(None, text(["Transit deal signed", *LINES]), {"url": "https://news.example.org/deal",
                             "published_on": datetime.date(2024, 5, 6)}, slug="transit")
        cls.source = Source.objects.get(slug="transit")
        importer.import_text(cls.source, text(["Transit deal signed", LINES[0].replace("Monday", "Tuesday"),
                                               *LINES[1:]]), by=cls.editor)

    def test_source_page_says_which_version_and_links_to_what_changed(self):
        """The source page says "Version 2 of 2" with a link to the difference from version 1."""
        response = self.client.get("/sources/transit/")
        self.assertContains(response, "Version 2 of 2, imported")
        self.assertContains(response, 'href="/sources/transit/diff/1/2/">see what changed</a>')

    def test_versions_list_shows_dates_and_counts(self):
        """The versions list gives each version's counts and links to its difference."""
        response = self.client.get("/sources/transit/versions/")
        self.assertContains(response, "0 passages added, 1 changed, 0 retired")
        self.assertContains(response, 'href="/sources/transit/diff/1/2/"')
        self.assertContains(response, '<meta name="robots" content="noindex">')

    def test_old_version_shows_its_own_words(self):
        """Version 1 still reads as it did, and says it is not the current text."""
        response = self.client.get("/sources/transit/versions/1/")
        self.assertContains(response, "signed a transit agreement on Monday")
        self.assertNotContains(response, "on Tuesday")
        self.assertContains(response, "This is not the current text")

    def test_diff_marks_the_changed_word(self):
        """The difference page strikes the old word and marks the new one."""
        response = self.client.get("/sources/transit/diff/1/2/")
        self.assertContains(response, "<del>Monday</del>")
        self.assertContains(response, "<ins>Tuesday</ins>")
        self.assertContains(response, '<meta name="robots" content="noindex">')

    def test_withheld_version_keeps_its_entry_but_not_its_words(self):
        """A withheld version shows its dated notice and reason; its words and diffs are gone."""
        self.source.versions.get(number=1).withhold("A defamation claim is being examined.", by=self.editor)
        listing = self.client.get("/sources/transit/versions/")
        self.assertContains(listing, "A defamation claim is being examined.")
        page = self.client.get("/sources/transit/versions/1/")
        self.assertContains(page, "have been withheld since")
        self.assertNotContains(page, "on Monday")
        diff = self.client.get("/sources/transit/diff/1/2/")
        self.assertNotContains(diff, "Monday")
        self.assertContains(diff, "not shown")

    def test_unknown_version_is_404(self):
        self.assertEqual(self.client.get("/sources/transit/versions/9/").status_code, 404)
        self.assertEqual(self.client.get("/sources/transit/diff/1/9/").status_code, 404)

    def test_archive_link_uses_the_publication_date(self):
        """A source with a URL links to the web archive's copies from its publication date, labelled as outside."""
        response = self.client.get("/sources/transit/")
        self.assertContains(response, 'href="https://web.archive.org/web/20240506/https://news.example.org/deal"')
        self.assertContains(response, "an outside archive")


class BigSourceTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        lines = [f"Paragraph number {n} of a very long article, with a sentence." for n in range(1, 451)]
        cls.source = make_source(*lines, slug="long", title="Long")
        cls.briefing = cls.newsroom.published([(passage(cls.source, 420), "number 420 of")], title="Deep quote")
        cls.pinned = cls.briefing.published_revision.citations.get()

    def test_source_page_shows_one_page_of_passages(self):
        """A source with hundreds of passages is shown 200 at a time."""
        response = self.client.get("/sources/long/")
        self.assertEqual(len(response.context["passages"]), 200)
        self.assertContains(response, "Page 1 of 3")
        self.assertNotContains(response, 'id="p-201"')

    def test_cite_lands_on_the_page_that_holds_the_passage(self):
        """Following a footnote to passage 420 opens page 3, with the words marked."""
        response = self.client.get(f"/sources/long/versions/1/?cite={self.pinned.pk}")
        self.assertContains(response, "Page 3 of 3")
        self.assertContains(response, '<mark class="cited-quote" id="cited-quote">number 420 of</mark>')

    def test_per_passage_address_redirects_to_its_page(self):
        """An old per-passage link lands on the right page at the passage."""
        response = self.client.get("/sources/long/p/420/")
        self.assertRedirects(response, "/sources/long/?page=3#p-420", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/sources/long/p/9999/").status_code, 404)
