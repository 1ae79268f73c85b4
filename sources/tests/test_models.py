from django.test import TestCase
from django.utils import timezone

from sources.models import OPENING_LENGTH, Source


def source(text, *, title="", slug="untitled"):
    now = timezone.now()
    return Source.objects.create(
        slug=slug, title=title, text=text, content_hash="0" * 64, imported_at=now, updated_at=now
    )


class DisplayTitleTests(TestCase):
    def test_title_less_source_is_named_by_its_opening_words_without_its_text(self):
        """A source that states no headline is listed by its first words, read from the stored opening."""
        source("Ministers met in Baku on Monday to sign the long delayed transit agreement at last.\nMore text.")
        listed = Source.objects.defer("text").get(slug="untitled")
        with self.assertNumQueries(0):
            title = listed.display_title
        self.assertEqual(title, "Ministers met in Baku on Monday to sign the long…")

    def test_opening_follows_every_change_of_the_text(self):
        """Re-imported text renames a title-less source at once, whichever way the text was written."""
        saved = source("Old opening line\nbody")
        Source.objects.filter(pk=saved.pk).update(text="New opening line\nbody")
        self.assertEqual(Source.objects.defer("text").get(pk=saved.pk).display_title, "New opening line")
        saved.text = "Newest opening line"
        saved.save()
        self.assertEqual(saved.display_title, "Newest opening line")
        self.assertEqual(Source.objects.defer("text").get(pk=saved.pk).display_title, "Newest opening line")

    def test_first_line_longer_than_the_opening_is_read_from_the_text(self):
        """Few very long words on the first line still give the same name as the full text does."""
        long_words = " ".join(["x" * 100] * 5)
        saved = source(long_words + "\nsecond line")
        self.assertGreater(len(long_words), OPENING_LENGTH)
        listed = Source.objects.defer("text").get(pk=saved.pk)
        self.assertEqual(listed.display_title, long_words)

    def test_printed_headline_wins(self):
        saved = source("Opening words", title="Printed headline")
        self.assertEqual(Source.objects.defer("text").get(pk=saved.pk).display_title, "Printed headline")
