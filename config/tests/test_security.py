"""Security headers on every kind of page, and the deploy checks under production settings."""
import os
import subprocess
import sys

from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client, TestCase, override_settings

from briefings.tests.factories import Newsroom, make_source, make_user, passage
from public.tests.base import PublicSiteTestCase
from public.tests.html_checks import executable_parts


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class PublicHeaderTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = newsroom.published([(passage(cls.source, 1), "signed a transit agreement")], tags=["Energy"])

    def public_urls(self):
        return [
            "/", self.briefing.get_absolute_url(), self.source.get_absolute_url(), "/sources/", "/tags/",
            "/tags/energy/", "/search/?q=transit", "/corrections/", "/feed/", "/api/briefings/", "/sitemap.xml",
        ]

    def test_scripts_come_only_from_the_site(self):
        """A script slipped into a page cannot run: the policy allows no inline code and no eval."""
        response = self.client.get("/")
        directives = policy(response)
        self.assertEqual(directives["script-src"], ["'self'"])
        self.assertEqual(directives["default-src"], ["'self'"])
        self.assertEqual(directives["object-src"], ["'none'"])
        self.assertEqual(directives["base-uri"], ["'self'"])

    def test_pages_cannot_be_framed(self):
        """No other site can show the desk inside a frame to trick a click."""
        response = self.client.get("/")
        self.assertEqual(policy(response)["frame-ancestors"], ["'none'"])
        self.assertEqual(response["X-Frame-Options"], "DENY")

    def test_every_public_page_carries_the_headers(self):
        """Pages, feeds, the API and the sitemap all say nosniff, same-origin referrers and the policy."""
        for url in self.public_urls():
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response["Referrer-Policy"], "same-origin")
                self.assertIn("script-src 'self'", response["Content-Security-Policy"])

    def test_cached_pages_keep_their_headers(self):
        """A page served from the cache is as protected as a freshly rendered one."""
        first = self.client.get(self.briefing.get_absolute_url())
        second = self.client.get(self.briefing.get_absolute_url())
        self.assertEqual(first["Content-Security-Policy"], second["Content-Security-Policy"])
        self.assertEqual(second["X-Frame-Options"], "DENY")

    def test_public_pages_need_no_inline_script(self):
        """The policy breaks nothing: no public page relies on inline scripts or event handlers."""
        for url in self.public_urls():
            response = self.client.get(url)
            if response["Content-Type"].startswith("text/html"):
                with self.subTest(url=url):
                    self.assertEqual(executable_parts(response.content.decode()), [])

    def test_structured_data_is_a_data_block(self):
        """The JSON-LD of a briefing is a data block, which the policy does not stop."""
        content = self.client.get(self.briefing.get_absolute_url()).content.decode()
        self.assertIn('<script type="application/ld+json">', content)


class AdminHeaderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = make_user("chief", superuser=True)
        newsroom = Newsroom()
        cls.briefing = newsroom.published([(passage(make_source(), 1), "signed a transit agreement")])

    def test_admin_works_under_the_policy(self):
        """Every admin page the desk uses loads its scripts from files, so the policy leaves it working."""
        self.client.force_login(self.admin)
        pk = self.briefing.pk
        urls = [
            "/admin/", "/admin/briefings/briefing/", "/admin/briefings/briefing/add/",
            f"/admin/briefings/briefing/{pk}/change/", f"/admin/briefings/briefing/{pk}/history/",
            f"/admin/briefings/briefing/{pk}/revisions/", f"/admin/briefings/briefing/{pk}/step/correct/",
            "/admin/briefings/tag/", "/admin/sources/passage/", "/admin/briefings/briefingevent/",
            "/admin/auth/user/add/",
        ]
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("script-src 'self'", response["Content-Security-Policy"])
                self.assertEqual(executable_parts(response.content.decode()), [])

    def test_login_page_works_under_the_policy(self):
        """The login form needs no inline script either."""
        response = self.client.get("/admin/login/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(executable_parts(response.content.decode()), [])


class ProductionSettingsTests(TestCase):
    def production(self, *arguments, **environment):
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "a-long-random-secret-for-this-test-only-0123456789-abcdefghijkl",
            "DJANGO_ALLOWED_HOSTS": "briefings.example.org",
            **environment,
        }
        env.pop("DATABASE_URL", None)
        return subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=settings.BASE_DIR, env=env,
            capture_output=True, text=True, timeout=120,
        )

    def test_deploy_checks_are_clean(self):
        """Django's own deployment checklist finds nothing to warn about under production settings."""
        result = self.production("check", "--deploy", "--fail-level", "WARNING")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_production_turns_on_https_only_settings(self):
        """With DEBUG off, cookies are secure, HSTS is a year with subdomains, and HTTP redirects to HTTPS."""
        code = (
            "from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.SECURE_CONTENT_TYPE_NOSNIFF)"
        )
        result = self.production("shell", "--no-imports", "-c", code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["True", "True", "31536000", "True", "True", "True"])

    def test_behind_a_proxy_the_proxy_must_be_named(self):
        """Saying the site is behind a TLS proxy without naming it stops it with a message, not a redirect loop."""
        result = self.production("check", DJANGO_BEHIND_TLS_PROXY="1", DJANGO_TRUSTED_PROXIES="")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_TRUSTED_PROXIES is empty", result.stderr)
        result = self.production(
            "check", "--deploy", "--fail-level", "WARNING",
            DJANGO_BEHIND_TLS_PROXY="1", DJANGO_TRUSTED_PROXIES="127.0.0.1,172.30.57.0/24",
        )
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_production_refuses_to_start_without_a_secret_key(self):
        """Without DJANGO_SECRET_KEY the site refuses to start and says which variable is missing."""
        result = self.production("check", DJANGO_SECRET_KEY="")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_SECRET_KEY must be set", result.stderr)


class StaticHeaderTests(TestCase):
    HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")

    @override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
    def test_static_files_carry_the_same_headers_as_pages(self):
        """A stylesheet or icon cannot be framed or sniffed any more than a page can: the same policy applies."""
        client = Client()  # a new handler, so WhiteNoise reads the settings above
        page = client.get("/healthz")
        for path in ("/static/css/site.css", "/static/favicon.svg"):
            static = client.get(path)
            with self.subTest(path=path):
                self.assertEqual(static.status_code, 200)
                self.assertEqual({name: static.get(name) for name in self.HEADERS},
                                 {name: page.get(name) for name in self.HEADERS})
                self.assertIn("frame-ancestors 'none'", static["Content-Security-Policy"])


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class LoginRedirectTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("nino", "Analyst")
        cls.user.set_password("correct horse battery staple")
        cls.user.save()

    def test_login_with_an_unsafe_next_lands_on_a_real_page(self):
        """A login link pointing off the site, or nowhere, lands on the desk's index, never on a missing page."""
        for unsafe in ("https://evil.example/", "//evil.example/x", "", "javascript:alert(1)"):
            with self.subTest(next=unsafe):
                self.client.logout()
                response = self.client.post(
                    "/admin/login/", {"username": "nino", "password": "correct horse battery staple", "next": unsafe}
                )
                self.assertRedirects(response, "/admin/")

    def test_logout_with_an_unsafe_next_lands_on_a_real_page(self):
        """Logging out through a link pointing off the site lands on the home page."""
        self.client.force_login(self.user)
        response = self.client.post("/admin/logout/", {"next": "https://evil.example/"})
        self.assertRedirects(response, "/")

    def test_login_required_pages_send_to_the_real_login(self):
        """A page that needs a login points to the login page that exists."""
        self.assertEqual(settings.LOGIN_URL, "admin:login")
        self.assertEqual(resolve_url(settings.LOGIN_URL), "/admin/login/")
