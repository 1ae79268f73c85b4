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

    def test_cyrillic_is_transliterated(self):
        """A Russian or Ukrainian headline gets a readable ASCII address instead of none."""
        self.assertEqual(slug_base("Путин прибыл в Баку"), "putin-pribyl-v-baku")
        self.assertEqual(slug_base("Щедрість і ґанок"), "shchedrist-i-ganok")

    def test_azerbaijani_letters_are_transliterated(self):
        """Azerbaijani letters without an ASCII form (ə, ı) become their usual Latin letters, not gaps."""
        self.assertEqual(
            slug_base("Əliyev Şuşada çıxış etdi: Ağdam, Gəncə, Üçüncü"), "eliyev-susada-cixis-etdi-agdam-gence-ucuncu"
        )
        self.assertEqual(slug_base("İLHAM ƏLİYEV"), "ilham-eliyev")

    def test_script_without_romanisation_falls_back(self):
        """Text in a script with no romanisation here gets the fallback, not an empty address."""
        self.assertEqual(slug_base("北京会谈", fallback="source"), "source")
