from django.test import SimpleTestCase

from sources.slugs import slug_base, unique_slug


class SlugTests(SimpleTestCase):
    def test_base_is_made_from_the_words(self):
        """An address is the text's words in lower case, joined by hyphens."""
        self.assertEqual(slug_base("Baku signs a transit deal!"), "baku-signs-a-transit-deal")

    def test_base_falls_back_when_no_word_is_left(self):
        """A title of punctuation alone still gets an address."""
        self.assertEqual(slug_base("¿…?", fallback="briefing"), "briefing")

    def test_long_base_is_cut_without_a_trailing_hyphen(self):
        """A very long title gives an address short enough to take a number, never ending in a hyphen."""
        base = slug_base("word " * 100)
        self.assertLessEqual(len(base), 200)
        self.assertFalse(base.endswith("-"))

    def test_taken_slug_is_numbered(self):
        """A second article with the same title gets the next free number, not another's address."""
        self.assertEqual(unique_slug("deal", set()), "deal")
        self.assertEqual(unique_slug("deal", {"deal", "deal-2"}), "deal-3")
