"""Helpers for the browser tests: a live server, Debian's Chromium driven by Playwright, axe-core and vnu.

The browser tests need tools from outside Python: Chromium (Debian's package,
never a downloaded browser), and for the accessibility checks axe-core and the
Nu HTML Checker from ``npm ci`` plus a Java runtime. On a machine without them
the tests are skipped and say what to install; in CI (``CI=true``) a missing
tool fails the run instead, so the checks can never silently stop running.

When a browser test fails, a screenshot and the HTML of the page it was on are
written to ``artifacts/``.
"""
import datetime
import functools
import io
import json
import os
import re
import shutil
import subprocess
import unittest
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the test requirements are not installed
    sync_playwright = None

BASE_DIR = Path(settings.BASE_DIR)
NODE_MODULES = BASE_DIR / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = BASE_DIR / "artifacts"
# The tests write screenshots into the ignored artifacts/ folder, so `make test` leaves the tree clean;
# `make screenshots` points this at docs/screenshots to refresh the README's pictures.
SCREENSHOTS = BASE_DIR / os.environ.get("SCREENSHOTS_DIR", "artifacts/screenshots")

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# Chromium must not reach for the network: the tests talk to the live server only.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Accounts are created and logged in many times; the production hasher is slow on purpose.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The demo's dates appear on every page and screenshot: a fixed clock keeps them identical from run to run.
DEMO_TIME = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def in_ci():
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def chromium_path():
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def missing_tools(tools):
    """Why the named tools (``chromium``, ``axe``, ``vnu``) cannot be used here, one sentence each."""
    reasons = []
    if sync_playwright is None:
        reasons.append("Playwright is not installed (pip install -r requirements-test.txt).")
    if "chromium" in tools and not chromium_path():
        reasons.append("Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH).")
    if "axe" in tools and not AXE_SCRIPT.exists():
        reasons.append("axe-core is not installed (run npm ci in the project folder).")
    if "vnu" in tools:
        if not VNU_JAR.exists():
            reasons.append("The Nu HTML Checker is not installed (run npm ci in the project folder).")
        if not shutil.which("java"):
            reasons.append("Java is not installed (apt-get install default-jre-headless).")
    return reasons


def load_demo():
    """The demo a newcomer sees after ``make run``: seed articles, sample briefings taken through review."""
    # load_demo refuses to run without DEBUG because it creates accounts; tests run with DEBUG off.
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        call_command("load_demo", stdout=io.StringIO())
    cache.clear()


def save_artifacts(page, name):
    """A screenshot and the HTML of the page, named after the test, in ``artifacts/``."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", name)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
    except Exception as error:  # a crashed page must not hide the failure being reported
        (ARTIFACTS / f"{stem}.txt").write_text(f"Could not save the page: {error}\n", encoding="utf-8")


class BrowserTestCase(StaticLiveServerTestCase):
    """A live server on the test database and one Chromium per class; each test gets a fresh browser context.

    ``tools`` names what the class needs besides Chromium; ``context_options``
    are Playwright's (viewport, ``bypass_csp``…).
    """

    tools = ("chromium",)
    context_options = DESKTOP
    # The Analyst and Editor groups come from a data migration; a live-server test empties the tables after
    # itself, so the database is restored from a copy taken before the tests.
    serialized_rollback = True

    def __init__(self, method_name="runTest"):
        super().__init__(method_name)
        test = getattr(self, method_name, None)
        if test is not None:
            setattr(self, method_name, self._saving_artifacts_on_failure(test))

    def _saving_artifacts_on_failure(self, test):
        @functools.wraps(test)
        def run(*args, **kwargs):
            try:
                return test(*args, **kwargs)
            except unittest.SkipTest:
                raise
            except BaseException:
                page = getattr(self, "page", None)
                if page is not None:
                    save_artifacts(page, self.id())
                raise

        return run

    @classmethod
    def setUpClass(cls):
        reasons = missing_tools(cls.tools)
        if reasons:
            message = " ".join(reasons)
            if in_ci():
                raise RuntimeError(f"Browser tests cannot run in CI: {message}")
            raise unittest.SkipTest(message)
        # Playwright's sync API runs an asyncio event loop in this thread, and Django refuses database
        # queries from a thread with a running loop; the tests' own queries are plain synchronous code.
        cls._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        before = {alias: connections[alias] for alias in connections}
        cls.playwright = sync_playwright().start()
        # Playwright runs this thread's code in a new context, where Django opens new database connection
        # objects; they must know the copy of the database that serialized_rollback restores after each test.
        for alias, connection in before.items():
            if hasattr(connection, "_test_serialized_contents"):
                connections[alias]._test_serialized_contents = connection._test_serialized_contents
        try:
            cls.browser = cls.playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        except Exception:
            cls.playwright.stop()
            super().tearDownClass()
            cls._restore_async_unsafe()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        cls._restore_async_unsafe()

    @classmethod
    def _restore_async_unsafe(cls):
        if cls._async_unsafe is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls._async_unsafe

    def setUp(self):
        super().setUp()
        cache.clear()
        self.addCleanup(cache.clear)
        self.page = self.new_page()

    def new_page(self, **options):
        """A page in a new browser context (its own cookies), closed after the test."""
        context = self.browser.new_context(**{**self.context_options, **options})
        context.set_default_timeout(15_000)
        self.addCleanup(context.close)
        return context.new_page()

    def url(self, path):
        return f"{self.live_server_url}{path}"


def uncovered(locator):
    """Whether the element's first line is on screen and on top: what a reader would actually see."""
    return locator.evaluate(
        """element => {
            const box = element.getClientRects()[0];
            if (!box || box.bottom <= 0 || box.top >= window.innerHeight) return false;
            const top = document.elementFromPoint(box.left + Math.min(box.width / 2, 20), box.top + box.height / 2);
            return top !== null && (top === element || element.contains(top));
        }"""
    )


class Axe:
    """axe-core run inside the page: the accessibility rules a screen-reader user and a keyboard user rely on."""

    @staticmethod
    def violations(page, context=None):
        """axe's violations on the page, or in axe's ``context`` (``{"include": [...], "exclude": [...]}``)."""
        page.add_script_tag(path=str(AXE_SCRIPT))
        results = page.evaluate(
            "async (context) => await axe.run(context || document, {resultTypes: ['violations']})", context
        )
        return results["violations"]

    @staticmethod
    def describe(violations):
        lines = []
        for violation in violations:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
        return "\n".join(lines)


def vnu_errors(folder):
    """The Nu HTML Checker's errors for every ``.html`` file in ``folder``: {file name: [message, …]}."""
    files = sorted(str(path) for path in Path(folder).glob("*.html"))
    completed = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"The Nu HTML Checker did not run: {completed.stderr.strip()}")
    errors = {}
    for message in json.loads(completed.stdout)["messages"]:
        if message["type"] in {"error", "non-document-error"}:
            name = Path(message.get("url", "").removeprefix("file:")).name
            where = f"line {message.get('lastLine', '?')}: " if "lastLine" in message else ""
            errors.setdefault(name, []).append(f"{where}{message['message']} {message.get('extract', '')!r}")
    return errors
