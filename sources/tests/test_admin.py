import re
import shutil
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from sources.importer import import_sources
from sources.models import Passage, Source

from .factories import SEED_DIR


class SourceAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_sources([SEED_DIR])
        cls.admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")

    def setUp(self):
        self.client.force_login(self.admin)

    def test_imported_text_cannot_be_edited_or_added(self):
        """The files are the truth: the admin offers no way to change imported text."""
        source = Source.objects.get(slug="putin-state-visit-to-baku")
        response = self.client.get(f"/admin/sources/source/{source.pk}/change/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="title"')
        self.assertEqual(self.client.get("/admin/sources/source/add/").status_code, 403)
        passage = source.passages.first()
        response = self.client.post(f"/admin/sources/passage/{passage.pk}/change/", {"text": "changed"})
        self.assertEqual(response.status_code, 403)
        passage.refresh_from_db()
        self.assertNotEqual(passage.text, "changed")

    def test_imported_passages_cannot_be_deleted(self):
        """Citations rely on passages; the admin offers no delete."""
        passage = Passage.objects.first()
        self.assertEqual(self.client.get(f"/admin/sources/passage/{passage.pk}/delete/").status_code, 403)

    def test_sources_are_searchable_by_passage_text(self):
        """Staff find an article by words it contains."""
        response = self.client.get("/admin/sources/source/", {"q": "Baikal-Amur"})
        self.assertContains(response, "One Winner Of The Ukraine War Is Azerbaijan")
        self.assertNotContains(response, "putin-state-visit-to-baku")

    def test_passages_are_searchable_by_text_and_title(self):
        response = self.client.get("/admin/sources/passage/", {"q": "Valdai"})
        self.assertContains(response, "3 results")
        response = self.client.get("/admin/sources/passage/", {"q": "Rapprochement Continues"})
        passages_of_source = Passage.objects.filter(source__slug="moscow-baku-rapprochement-continues").count()
        self.assertContains(response, f"{passages_of_source} results")


class BigSourceAdminTests(TestCase):
    """Pages of the sources admin read only what they show, however long a source is."""

    @classmethod
    def setUpTestData(cls):
        import_sources([SEED_DIR])
        folder = Path(tempfile.mkdtemp(prefix="briefings-test-"))
        try:
            (folder / "big.txt").write_text(
                "A Very Long Source\n" + "".join(f"Freight sentence number {n} of the corridor.\n" for n in range(600))
            )
            import_sources([folder])
        finally:
            shutil.rmtree(folder)
        cls.big = Source.objects.get(slug="a-very-long-source")
        cls.admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")

    def setUp(self):
        self.client.force_login(self.admin)

    def get_without_source_texts(self, url, queries):
        """GET ``url`` in ``queries`` queries, none of which reads a source's full text."""
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        reading_text = [q["sql"] for q in captured if re.search(r'"sources_source"\."text"', q["sql"])]
        self.assertEqual(reading_text, [], url)
        self.assertEqual(len(captured), queries, "\n".join(q["sql"] for q in captured))
        return response

    def test_source_list_reads_no_source_text(self):
        """The source list names title-less sources from their opening and counts passages without loading texts."""
        # session, user, the count, the page of sources with their passage counts, the two filters' choices
        response = self.get_without_source_texts("/admin/sources/source/", 6)
        self.assertContains(response, "Russian President Vladimir Putin visited Azerbaijan")

    def test_source_search_finds_words_in_passages(self):
        """Searching sources for words of their text finds them, with one subquery over passages and no join."""
        # session, user, the count, the page of matching sources, the two filters' choices
        response = self.get_without_source_texts("/admin/sources/source/?q=Freight+sentence", 6)
        self.assertContains(response, "A Very Long Source")
        self.assertNotContains(response, "putin-state-visit-to-baku")

    def test_change_page_links_to_passages_instead_of_listing_them(self):
        """A source's page shows its metadata and one link to its passages, not hundreds of inline rows."""
        # session, user, the source with its passage count
        response = self.get_without_source_texts(f"/admin/sources/source/{self.big.pk}/change/", 3)
        self.assertContains(response, f'href="/admin/sources/passage/?source={self.big.pk}"')
        self.assertContains(response, "601 passages of this source")
        self.assertNotContains(response, "Freight sentence number 599")

    def test_passage_list_shows_the_start_of_each_passage(self):
        """The passage list pages through passages showing their source's slug, never loading source texts."""
        # session, user, the filter's sources, the count, the page of passages with their citation counts
        response = self.get_without_source_texts("/admin/sources/passage/", 5)
        self.assertContains(response, '<td class="field-source_slug">', count=100)

    def test_passage_list_filtered_to_one_source(self):
        """The link from a source's page lists that source's passages only."""
        response = self.get_without_source_texts(f"/admin/sources/passage/?source={self.big.pk}", 5)
        self.assertContains(response, "Freight sentence number 0 of the corridor.")
        self.assertNotContains(response, "putin-state-visit-to-baku")

    def test_passage_search(self):
        """Searching passages scans their text once and reads no source's text."""
        response = self.get_without_source_texts("/admin/sources/passage/?q=sentence+number+42+", 5)
        self.assertContains(response, "Freight sentence number 42 of the corridor.")
