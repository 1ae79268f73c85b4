import re
import shutil
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from sources.importer import import_sources
from sources.models import Passage, Source

from .factories import COPIED_PAGES, SEED_DIR, TemporaryFolder


class SourceAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_sources([SEED_DIR])
        cls.admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")

    def setUp(self):
        self.client.force_login(self.admin)

    def test_imported_text_cannot_be_edited_in_place(self):
        """The text changes only by a previewed replacement: the change page has no text field, passages no form."""
        source = Source.objects.get(slug="putin-state-visit-to-baku")
        response = self.client.get(f"/admin/sources/source/{source.pk}/change/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="text"')
        self.assertContains(response, f"/admin/sources/source/{source.pk}/replace/")
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


def staff(username, group):
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


class SourceIntakeTests(TestCase):
    """Adding and replacing sources in the admin: a preview first, then the importer's own save."""

    @classmethod
    def setUpTestData(cls):
        import_sources([SEED_DIR])
        cls.analyst = staff("analyst", "Analyst")
        cls.editor = staff("editor", "Editor")
        cls.source = Source.objects.get(slug="putin-state-visit-to-baku")
        cls.page = (COPIED_PAGES / "azernews.txt").read_text()

    def setUp(self):
        self.client.force_login(self.analyst)
        self.before = Source.objects.count()

    def preview(self, url="/admin/sources/source/add/", **data):
        response = self.client.post(url, {"preview": "1", **data})
        self.assertEqual(response.status_code, 200)
        return response

    def save(self, preview_response, url="/admin/sources/source/add/", **data):
        token = preview_response.context["token"]
        form = preview_response.context["form"]
        return self.client.post(url, {
            "save": "1", "token": token, "pending": form.digest, "pending_name": form.name, **data,
        })

    def test_analyst_adds_a_pasted_page_after_a_preview(self):
        """An analyst pastes a copied page, sees its passages and chrome apart, and saves it as a source."""
        response = self.preview(pasted=self.page)
        self.assertContains(response, "Preview: nothing is written yet")
        self.assertContains(response, "azerbaijan-russia-discuss-north-south-transit-corridor")
        self.assertContains(response, "18 lines of site chrome set apart, 2 repeated lines collapsed")
        self.assertEqual(Source.objects.count(), self.before)
        response = self.save(response, pasted=self.page)
        source = Source.objects.get(slug="azerbaijan-russia-discuss-north-south-transit-corridor")
        self.assertRedirects(response, f"/admin/sources/source/{source.pk}/change/", fetch_redirect_response=False)
        self.assertEqual(source.title, "Azerbaijan, Russia discuss North-South transit corridor")
        self.assertEqual(source.passages.filter(kind="boilerplate").count(), 18)

    def test_upload_saves_what_the_import_command_would(self):
        """A file added in the admin is the very source the command makes of it: importing it again changes nothing."""
        upload = SimpleUploadedFile("article.txt", self.page.encode())
        response = self.preview(upload=upload)
        self.save(response)
        folder = TemporaryFolder(self)
        folder.write("article.txt", self.page)
        [result] = import_sources([folder.path])
        self.assertEqual(
            (result.slug, result.action), ("azerbaijan-russia-discuss-north-south-transit-corridor", "unchanged")
        )

    def test_saved_web_page_upload_takes_its_stated_metadata(self):
        """An uploaded .html page gets the title, author and site it states; a field typed in the form wins."""
        page = (
            '<html lang="en"><head><title>Baku talks</title><meta property="og:site_name" content="Caucasus Wire">'
            '<meta name="author" content="Jane Doe"></head><body><article><h1>Baku talks</h1><p>'
            + "The ministers met in Baku on Tuesday to discuss the corridor and its financing for years. " * 3
            + "</p></article></body></html>"
        )
        response = self.preview(upload=SimpleUploadedFile("page.html", page.encode()), publisher="Caucasus Wire Ltd")
        self.save(response, publisher="Caucasus Wire Ltd")
        source = Source.objects.get(slug="baku-talks")
        self.assertEqual((source.title, source.authors, source.publisher, source.language),
                         ("Baku talks", "Jane Doe", "Caucasus Wire Ltd", "en"))

    def test_add_page_offers_upload_and_paste(self):
        """An analyst opening "Add source" finds the upload, the paste box and the metadata fields."""
        response = self.client.get("/admin/sources/source/add/")
        for name in ("upload", "pasted", "title", "publisher", "authors", "url", "published_on", "language", "slug"):
            self.assertContains(response, f'name="{name}"')

    def test_save_without_a_preview_is_refused(self):
        """Nothing is written unless the preview was shown first."""
        response = self.client.post("/admin/sources/source/add/", {"save": "1", "pasted": self.page})
        self.assertContains(response, "Preview the source before saving it.")
        self.assertEqual(Source.objects.count(), self.before)

    def test_bad_input_is_refused_and_nothing_is_written(self):
        """An empty paste, a paste of only chrome and a web page without an article each get a clear error."""
        cases = [
            ({"pasted": "   \n"}, "nothing was given"),
            ({"pasted": "Home | Politics | Economy\nShare\nSubscribe\n"}, "holds no article text"),
            ({"upload": SimpleUploadedFile("page.html", b"<html><body><nav></nav></body></html>")},
             "is a web page with no main text"),
            ({"upload": SimpleUploadedFile("page.pdf", b"%PDF-1.4")}, "Upload a .txt file or a saved web page"),
        ]
        for data, message in cases:
            self.assertContains(self.preview(**data), message)
        self.assertEqual(Source.objects.count(), self.before)

    @override_settings(SOURCES_MAX_FILE_BYTES=500)
    def test_upload_over_the_size_limit_is_refused(self):
        """A file over SOURCES_MAX_FILE_BYTES is refused with its size and the limit."""
        response = self.preview(upload=SimpleUploadedFile("big.txt", self.page.encode()))
        self.assertContains(response, "over the limit of 500 bytes (SOURCES_MAX_FILE_BYTES)")
        self.assertEqual(Source.objects.count(), self.before)

    def test_address_taken_by_another_source_is_refused(self):
        """Adding cannot overwrite an existing source; the form says to replace it instead."""
        response = self.preview(pasted=self.page, slug="putin-state-visit-to-baku")
        self.assertContains(response, "exists already")

    def test_analyst_may_not_replace_or_correct_a_source(self):
        """Replacing text and correcting metadata are editors' work."""
        self.assertEqual(self.client.get(f"/admin/sources/source/{self.source.pk}/replace/").status_code, 403)
        response = self.client.post(f"/admin/sources/source/{self.source.pk}/change/", {"title": "Changed"})
        self.assertEqual(response.status_code, 403)
        self.source.refresh_from_db()
        self.assertEqual(self.source.title, "")

    def test_editor_replaces_a_text_after_seeing_what_changes(self):
        """An editor sees passages added, changed and retired, then saves; the retired ones are kept."""
        self.client.force_login(self.editor)
        url = f"/admin/sources/source/{self.source.pk}/replace/"
        self.assertContains(self.client.get(url), "Replace the text of")
        lines = self.source.text.strip().split("\n")
        new_text = "\n".join([lines[0] + " Updated.", *lines[1:-1]]) + "\n"
        response = self.preview(url, pasted=new_text)
        diff = response.context["preview"]["diff"]
        self.assertEqual((len(diff["changed"]), len(diff["added"]), len(diff["retired"])), (1, 0, 1))
        self.assertContains(response, "No citation points into a passage that would change.")
        response = self.save(response, url, pasted=new_text)
        self.assertEqual(response.status_code, 302)
        self.source.refresh_from_db()
        self.assertEqual(self.source.text, new_text)
        self.assertEqual(self.source.passages.filter(retired=True).count(), 2)

    def test_stale_preview_is_refused(self):
        """A replacement previewed before someone else imported the source is refused, and their import stands."""
        self.client.force_login(self.editor)
        url = f"/admin/sources/source/{self.source.pk}/replace/"
        response = self.preview(url, pasted=self.source.text + "A paragraph added in the admin.\n")
        folder = TemporaryFolder(self)
        folder.copy_seeds()
        seed = folder.path / "003_6caf851ee1c755f2.txt"
        seed.write_text(seed.read_text() + "A paragraph added by the command.\n")
        import_sources([folder.path])
        response = self.save(response, url, pasted=self.source.text + "A paragraph added in the admin.\n")
        self.assertContains(response, "has changed since the preview")
        self.source.refresh_from_db()
        self.assertIn("A paragraph added by the command.", self.source.text)
        self.assertNotIn("A paragraph added in the admin.", self.source.text)

    def test_editor_corrects_metadata(self):
        """An editor sets a title and publisher the file did not state; the text stays as imported."""
        self.client.force_login(self.editor)
        data = {"title": "Putin’s state visit to Baku", "publisher": "Example Review", "authors": "", "url": "",
                "published_on": "", "language": "en"}
        response = self.client.post(f"/admin/sources/source/{self.source.pk}/change/", data)
        self.assertEqual(response.status_code, 302)
        before = self.source.text
        self.source.refresh_from_db()
        self.assertEqual(
            (self.source.title, self.source.publisher, self.source.text), (data["title"], "Example Review", before)
        )
