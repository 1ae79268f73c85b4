"""Helpers of ``public.queries`` that need no database."""
from django.test import SimpleTestCase
from django.urls import NoReverseMatch, reverse

from public import queries


class BriefingUrlMakerTests(SimpleTestCase):
    def test_gives_the_address_reverse_gives(self):
        detail_url = queries.briefing_url_maker()
        for slug in ("transit-deal", "a_b-2026", "x"):
            with self.subTest(slug=slug):
                self.assertEqual(detail_url(slug), reverse("public:detail", kwargs={"slug": slug}))

    def test_refuses_what_reverse_refuses(self):
        detail_url = queries.briefing_url_maker()
        for slug in ("", "with space", "a/b", "ünïcode"):
            with self.subTest(slug=slug), self.assertRaises(NoReverseMatch):
                detail_url(slug)
