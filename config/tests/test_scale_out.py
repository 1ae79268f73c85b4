"""Two app processes sharing one PostgreSQL database and one Redis agree on what is public and who is locked out.

Each process is a real gunicorn on its own port, started against the test
database; a publish made through one shows on the other within
``PUBLIC_STATE_MEMO_SECONDS``, and a login lockout earned on one holds on the other.
"""
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from unittest import skipUnless

import redis
from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase

from briefings.tests.factories import Newsroom, make_source, passage

from .faults import closed_port, redis_or_skip

MEMO_SECONDS = 1.0
PASSWORD = "correct horse battery staple"


class Browser:
    """A person's browser against one process: cookies, the CSRF token, no automatic redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect)

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path, data):
        """GET the form first, for the CSRF cookie, then POST ``data`` with its token."""
        self.request(path)
        token = next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")
        return self.request(path, {**data, "csrfmiddlewaretoken": token})

    def log_in(self, username, password):
        return self.post_form("/admin/login/?next=/admin/", {"username": username, "password": password})[0]


@skipUnless(connection.vendor == "postgresql", "two processes share one database only on PostgreSQL")
class PostgreSQLScaleOutTests(TransactionTestCase):
    # The editorial groups and the public-change row come from migrations; flushing would lose them.
    serialized_rollback = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.redis_url = redis_or_skip()
        # Both processes serve every test: they keep nothing between requests but a second's memo.
        cls.first, cls.second = cls.start_process(), cls.start_process()

    def setUp(self):
        redis.Redis.from_url(self.redis_url).flushdb()
        self.newsroom = Newsroom()
        for user in (self.newsroom.editor, self.newsroom.analyst):
            user.set_password(PASSWORD)
            user.save()
        source = make_source()
        self.briefing = self.newsroom.approved(
            [(passage(source, 1), "signed a transit agreement")], title="Pipeline across two processes"
        )

    @classmethod
    def start_process(cls):
        """A gunicorn serving the site on a free port, against the test database and the tests' Redis."""
        database = connection.settings_dict
        address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        password = f":{urllib.parse.quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
        credentials = database["USER"] + password
        port = closed_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{credentials}@{address}/{database['NAME']}",
            "REDIS_URL": cls.redis_url,
            "PUBLIC_STATE_MEMO_SECONDS": str(MEMO_SECONDS),
            "DJANGO_DEBUG": "1",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        cls.addClassCleanup(cls.stop, process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the app process exited: {process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return base
            except OSError:
                time.sleep(0.1)  # not up yet
        raise RuntimeError("the app process did not start within a minute")

    @staticmethod
    def stop(process):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def test_pg_publish_through_one_process_shows_on_the_other(self):
        """Readers of the second process see a briefing published through the first within the memo seconds."""
        reader = Browser(self.second)
        status, home = reader.request("/")
        self.assertEqual(status, 200)
        self.assertNotIn("Pipeline across two processes", home)

        editor = Browser(self.first)
        self.assertEqual(editor.log_in(self.newsroom.editor.username, PASSWORD), 302)
        self.briefing.refresh_from_db()
        step = f"/admin/briefings/briefing/{self.briefing.pk}/step/publish/"
        status, body = editor.post_form(step, {"version": self.briefing.version, "at": ""})
        self.assertEqual(status, 302, re.sub(r"\s+", " ", body)[:500])
        published = time.monotonic()

        deadline = published + MEMO_SECONDS + 2  # the memo, plus room for two requests on a busy machine
        shown = False
        while not shown and time.monotonic() < deadline:
            status, home = reader.request("/")
            shown = "Pipeline across two processes" in home
        self.assertTrue(shown, "the second process still serves the page from before the publish")

    def test_pg_lockout_on_one_process_holds_on_the_other(self):
        """Five wrong passwords through one process lock the account on the other too."""
        username = self.newsroom.analyst.username
        attacker = Browser(self.first)
        statuses = [attacker.log_in(username, "wrong password") for _ in range(5)]
        self.assertEqual(statuses[-1], 429)
        self.assertEqual(Browser(self.second).log_in(username, PASSWORD), 429)
