from django.core.cache import cache
from django.test import TestCase


class PublicSiteTestCase(TestCase):
    """Public pages are cached across requests; each test starts from an empty page cache."""

    def setUp(self):
        super().setUp()
        cache.clear()
        self.addCleanup(cache.clear)
