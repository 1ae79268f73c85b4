"""Every kind of public page, as the demo serves it, checked in Chromium by axe-core and by the Nu HTML Checker."""
import tempfile
from pathlib import Path

import time_machine

from briefings.models import Briefing

from .browser import DEMO_TIME, PHONE, Axe, BrowserTestCase, load_demo, save_artifacts, vnu_errors


class PublicPagesTestCase(BrowserTestCase):
    """The demo site, with one address for each kind of public page."""

    def setUp(self):
        traveller = time_machine.travel(DEMO_TIME, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        super().setUp()
        load_demo()
        briefing = Briefing.objects.published().filter(corrections__isnull=False).distinct().first()
        self.briefing_path = briefing.get_absolute_url()
        tag = briefing.tags.order_by("name").first()
        self.page.goto(self.url(self.briefing_path))
        # The footnote's own link: the source page with the quoted words highlighted.
        self.source_path = self.page.locator("#fn-1 .footnote-source a").first.get_attribute("href")
        self.pages = {
            "home": "/",
            "filtered-list": f"/?tag={tag.slug}",
            "briefing": self.briefing_path,
            "changes": f"{self.briefing_path}changes/",
            "source": self.source_path,
            "source-list": "/sources/",
            "tags": "/tags/",
            "tag": f"/tags/{tag.slug}/",
            "search": "/search/?q=Baku",
            "corrections": "/corrections/",
            "author": briefing.authors.order_by("pk").first().author_profile.get_absolute_url(),
            "not-found": "/briefings/no-such-briefing/",
        }


class AxeTests(PublicPagesTestCase):
    tools = ("chromium", "axe")
    # axe is injected as a script; the site's Content-Security-Policy rightly refuses scripts it did not serve.
    context_options = {**BrowserTestCase.context_options, "bypass_csp": True}

    def test_public_pages_have_no_axe_violations(self):
        """Screen-reader and keyboard users meet no accessibility violation on any public page, on a phone too."""
        phone = self.new_page(**PHONE)
        visits = [(self.page, name, path) for name, path in self.pages.items()]
        visits += [(phone, f"{name}-phone", self.pages[name]) for name in ("home", "briefing", "source")]
        found = {}
        for page, name, path in visits:
            with self.subTest(page=name):
                response = page.goto(self.url(path))
                self.assertEqual(response.status, 404 if name == "not-found" else 200, path)
                violations = Axe.violations(page)
                if violations:
                    save_artifacts(page, f"{self.id()}.{name}")
                    found[f"{name} ({path})"] = Axe.describe(violations)
        report = "\n".join(f"{name}:\n{text}" for name, text in found.items())
        self.assertFalse(found, f"axe found violations:\n{report}")


class NuHtmlCheckerTests(PublicPagesTestCase):
    tools = ("chromium", "vnu")

    def test_public_pages_are_valid_html(self):
        """Every kind of public page is valid HTML, so browsers and assistive technology read it as written."""
        with tempfile.TemporaryDirectory() as folder:
            for name, path in self.pages.items():
                # The HTML as served, not the browser's reading of it: vnu must see what the server sent.
                response = self.page.request.get(self.url(path))
                self.assertEqual(response.status, 404 if name == "not-found" else 200, path)
                Path(folder, f"{name}.html").write_bytes(response.body())
            errors = vnu_errors(folder)
        report = "\n".join(f"{name}:\n  " + "\n  ".join(messages) for name, messages in errors.items())
        self.assertFalse(errors, f"The Nu HTML Checker found errors:\n{report}")
