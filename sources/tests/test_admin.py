from django.contrib.auth import get_user_model
from django.test import TestCase

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
