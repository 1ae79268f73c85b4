"""Anonymous reads skip sessions, CSRF, authentication, messages and lockouts; nothing else does."""
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory, SimpleTestCase, TestCase, override_settings

from briefings.tests.factories import Newsroom, make_source, passage
from config.anonymous_reads import AnonymousReadMiddleware, is_anonymous_read

QUOTE = "signed a transit agreement"


class AnonymousReadTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.briefing = cls.newsroom.published([(passage(make_source(), 1), QUOTE)], title="Transit deal")
        cls.reader_pages = (
            "/", cls.briefing.get_absolute_url(), "/feed/", "/search/?q=transit", "/tags/", "/sitemap.xml",
            "/robots.txt", "/api/briefings/",
        )

    def test_reader_pages_set_no_cookie_and_do_not_vary_on_one(self):
        """An anonymous reader's page is the same for everyone: no cookie is set and caches need not key on one."""
        for url in self.reader_pages:
            with self.subTest(url=url):
                for _ in range(2):  # the page-cache miss and the hit
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn("Set-Cookie", response.headers)
                    self.assertNotIn("cookie", response.headers.get("Vary", "").lower())
                    self.assertFalse(response.cookies)

    def test_reader_pages_skip_the_signed_in_stack(self):
        """No session is opened for an anonymous read; the reader is anonymous."""
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertFalse(hasattr(response.wsgi_request, "session"))
        self.assertFalse(response.wsgi_request.user.is_authenticated)

    def test_a_signed_in_editor_keeps_the_full_stack_on_reader_pages(self):
        """An editor reading the site still has a session, so their admin controls keep working."""
        self.client.force_login(self.newsroom.editor)
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.wsgi_request.user.is_authenticated)
        self.assertNotIn("cookie", response.headers.get("Vary", "").lower())  # the page never reads the session

    def test_posts_to_reader_pages_keep_csrf(self):
        """A POST, even to a reader page, is checked for its CSRF token first."""
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(client.post("/search/", {"q": "transit"}).status_code, 403)

    def test_admin_login_keeps_csrf_sessions_and_messages(self):
        """The login page sets its CSRF cookie, a login opens a session, and the admin shows its messages."""
        client = Client(enforce_csrf_checks=True)
        page = client.get("/admin/login/")
        self.assertIn("csrftoken", page.cookies)
        self.assertEqual(client.post("/admin/login/", {"username": "x", "password": "y"}).status_code, 403)
        user = get_user_model().objects.create_superuser("chief", "chief@example.org", "a long passphrase here")
        token = page.cookies["csrftoken"].value
        response = client.post(
            "/admin/login/?next=/admin/", {"username": user.username, "password": "a long passphrase here",
                                           "csrfmiddlewaretoken": token},
        )
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        self.assertIn("sessionid", response.cookies)
        admin = client.get("/admin/")
        self.assertEqual(admin.status_code, 200)
        self.assertTrue(admin.wsgi_request.user.is_superuser)
        self.assertTrue(hasattr(admin.wsgi_request, "_messages"))

    @override_settings(AXES_FAILURE_LIMIT=2, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    def test_admin_login_keeps_the_lockout(self):
        """Guessing passwords at the admin's login is still refused after the allowed failures."""
        for _ in range(2):
            response = self.client.post("/admin/login/?next=/admin/", {"username": "nobody", "password": "guess"})
        self.assertEqual(response.status_code, 429)


class WhoCountsAsAnonymousReaderTests(SimpleTestCase):
    factory = RequestFactory()

    def test_a_get_or_head_of_a_reader_page_without_a_session(self):
        self.assertTrue(is_anonymous_read(self.factory.get("/")))
        self.assertTrue(is_anonymous_read(self.factory.head("/briefings/some-briefing/")))
        self.assertTrue(is_anonymous_read(self.factory.get("/robots.txt")))

    def test_not_the_admin_a_post_a_session_or_an_unknown_address(self):
        self.assertFalse(is_anonymous_read(self.factory.get("/admin/")))
        self.assertFalse(is_anonymous_read(self.factory.get("/admin/login/")))
        self.assertFalse(is_anonymous_read(self.factory.post("/search/")))
        self.assertFalse(is_anonymous_read(self.factory.options("/")))
        self.assertFalse(is_anonymous_read(self.factory.get("/healthz")))
        self.assertFalse(is_anonymous_read(self.factory.get("/no/such/page/")))
        with_session = self.factory.get("/")
        with_session.COOKIES["sessionid"] = "anything"
        self.assertFalse(is_anonymous_read(with_session))

    def test_refuses_to_start_unless_the_signed_in_stack_follows(self):
        """A reordered MIDDLEWARE fails at start-up rather than skipping the wrong middleware."""
        with self.assertRaises(ImproperlyConfigured):
            AnonymousReadMiddleware(lambda request: HttpResponse())
