"""What an operator deploys: make serve, the Docker image, the compose file, the documented variables, JSON logs."""
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import SkipTest, mock, skipUnless

import yaml
from django.conf import settings
from django.test import RequestFactory, SimpleTestCase

from config.logs import JSONFormatter

from .faults import closed_port, redis_or_skip

ROOT = Path(settings.BASE_DIR)


class ServeTests(SimpleTestCase):
    @skipUnless(shutil.which("make"), "make is not installed")
    def test_serve_refuses_without_a_secret_key(self):
        """`make serve` stops before starting anything and says the secret key is missing."""
        env = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"}
        result = subprocess.run(
            ["make", "--no-print-directory", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_SECRET_KEY is not set", result.stderr)
        self.assertNotIn("gunicorn", result.stdout)

    def test_serve_runs_gunicorn_with_production_settings(self):
        """The serve target collects static files for whitenoise and runs gunicorn with DEBUG off."""
        makefile = (ROOT / "Makefile").read_text()
        recipe = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
        self.assertIn("DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic", recipe)
        self.assertIn("DJANGO_DEBUG=0 $(BIN)/gunicorn config.wsgi", recipe)


class ComposeFileTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
        cls.services = cls.compose["services"]

    def test_runs_the_site_with_postgresql_15_and_redis(self):
        """The compose file starts the site, PostgreSQL 15 and Redis."""
        self.assertEqual(self.services["db"]["image"], "postgres:15")
        self.assertTrue(self.services["redis"]["image"].startswith("redis:"))
        self.assertEqual(self.services["site"]["build"], ".")

    def test_site_talks_to_its_database_and_cache(self):
        """The site's database and cache URLs point at the compose services."""
        environment = self.services["site"]["environment"]
        self.assertRegex(environment["DATABASE_URL"], r"^postgres://briefings:.+@db:5432/briefings$")
        self.assertEqual(environment["REDIS_URL"], "redis://redis:6379/0")
        self.assertEqual(environment["DJANGO_DEBUG"], "0")

    def test_site_starts_after_migrations_and_healthy_dependencies(self):
        """Migrations run once the database is healthy, and the site only after they succeeded."""
        self.assertEqual(self.services["migrate"]["command"], ["python", "manage.py", "migrate", "--noinput"])
        self.assertEqual(self.services["migrate"]["depends_on"]["db"]["condition"], "service_healthy")
        depends = self.services["site"]["depends_on"]
        self.assertEqual(depends["migrate"]["condition"], "service_completed_successfully")
        self.assertEqual(depends["redis"]["condition"], "service_healthy")

    def test_secrets_must_be_supplied(self):
        """The secret key and database password have no default: compose refuses to start without them."""
        environment = self.services["site"]["environment"]
        self.assertIn("${DJANGO_SECRET_KEY:?", environment["DJANGO_SECRET_KEY"])
        self.assertIn("${POSTGRES_PASSWORD:?", self.services["db"]["environment"]["POSTGRES_PASSWORD"])

    def test_site_port_is_published_on_loopback_only(self):
        """Out of the box only a proxy on the same host reaches the site; its forwarded headers are the ones trusted."""
        published = "${BRIEFINGS_BIND_ADDRESS:-127.0.0.1}:${BRIEFINGS_PORT:-8000}:8000"
        self.assertEqual(self.services["site"]["ports"], [published])
        environment = self.services["site"]["environment"]
        gateway = self.compose["networks"]["default"]["ipam"]["config"][0]["gateway"]
        self.assertEqual(environment["DJANGO_TRUSTED_PROXIES"], "${DJANGO_TRUSTED_PROXIES:-172.30.57.1}")
        self.assertEqual(gateway, "${BRIEFINGS_GATEWAY:-172.30.57.1}")

    def test_database_survives_restarts(self):
        """PostgreSQL keeps its data in a named volume."""
        self.assertIn("postgres-data:/var/lib/postgresql/data", self.services["db"]["volumes"])
        self.assertIn("postgres-data", self.compose["volumes"])


class DockerfileTests(SimpleTestCase):
    def test_image_runs_gunicorn_as_an_unprivileged_user(self):
        """The image serves with gunicorn, DEBUG off, not as root, and checks its own health."""
        dockerfile = (ROOT / "Dockerfile").read_text()
        self.assertRegex(dockerfile, r"(?m)^FROM python:3\.11")
        self.assertIn("DJANGO_DEBUG=0", dockerfile)
        self.assertRegex(dockerfile, r"(?m)^USER briefings$")
        self.assertRegex(dockerfile, r'(?m)^CMD \["gunicorn", "config\.wsgi"')
        self.assertIn("/healthz", dockerfile)
        self.assertIn("collectstatic", dockerfile)

    def test_image_leaves_local_files_out(self):
        """The virtualenv, the local database and secrets never go into the image."""
        ignored = (ROOT / ".dockerignore").read_text().split()
        for entry in (".venv", ".env", "db.sqlite3", ".git"):
            self.assertIn(entry, ignored)


class EnvironmentDocumentationTests(SimpleTestCase):
    def test_every_setting_variable_is_in_the_example(self):
        """Each variable the settings read is listed in .env.example, so operators know it exists."""
        settings_source = (ROOT / "config" / "settings.py").read_text()
        read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings_source))
        read |= set(re.findall(r'env_(?:bool|list)\("([A-Z_]+)"', settings_source))
        documented = set(re.findall(r"(?m)^([A-Z_]+)=", (ROOT / ".env.example").read_text()))
        self.assertEqual(read - documented - {"DATABASE_URL"}, set())
        self.assertIn("DATABASE_URL", documented)


class JSONLoggingTests(SimpleTestCase):
    def format(self, record):
        return json.loads(JSONFormatter().format(record))

    def test_a_record_is_one_json_object(self):
        """A log line is JSON with time, level, logger and message, for the collector to index."""
        record = logging.LogRecord("briefings.workflow", logging.WARNING, __file__, 1, "Published %s", ("x",), None)
        entry = self.format(record)
        self.assertEqual(
            {key: entry[key] for key in ("level", "logger", "message")},
            {"level": "WARNING", "logger": "briefings.workflow", "message": "Published x"},
        )
        self.assertRegex(entry["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")

    def test_extras_and_requests_are_kept(self):
        """Values passed with extra= are fields; a request becomes its method and path."""
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Server error", (), None)
        record.status_code = 500
        record.request = RequestFactory().post("/admin/login/")
        entry = self.format(record)
        self.assertEqual((entry["status_code"], entry["method"], entry["path"]), (500, "POST", "/admin/login/"))

    def test_requests_name_the_client_the_proxies_vouch_for(self):
        """A log line names the client's address, never one the client wrote into X-Forwarded-For itself."""
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not found", (), None)
        record.request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="10.9.9.9")
        self.assertEqual(self.format(record)["client"], "198.51.100.4")
        with self.settings(TRUSTED_PROXIES=["198.51.100.0/24"]):
            self.assertEqual(self.format(record)["client"], "10.9.9.9")

    def test_tracebacks_stay_inside_the_line(self):
        """An exception's traceback is a field of the one JSON line, not lines of its own."""
        try:
            raise ValueError("bad input")
        except ValueError:
            record = logging.LogRecord("briefings", logging.ERROR, __file__, 1, "Failed", (), sys.exc_info())
        line = JSONFormatter().format(record)
        self.assertNotIn("\n", line)
        self.assertIn("ValueError: bad input", json.loads(line)["exception"])

    def test_production_logs_json(self):
        """With DEBUG off the console handler writes JSON unless told otherwise."""
        env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60, "DJANGO_ALLOWED_HOSTS": "example.org"}
        env.pop("DJANGO_LOG_FORMAT", None)
        code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )
        self.assertEqual(result.stdout.split()[-1:], ["json"], result.stderr)


class ContinuousIntegrationTests(SimpleTestCase):
    def test_ci_starts_redis_when_it_is_down(self):
        """CI starts (or installs) Redis before the tests, as it does PostgreSQL, so the Redis tests run."""
        script = (ROOT / ".ci" / "run").read_text()
        first_test_run = script.index("make test")
        self.assertLess(script.index("redis-cli -h 127.0.0.1 -p 6379 ping"), first_test_run)
        self.assertLess(script.index("redis-server --daemonize yes"), first_test_run)
        self.assertIn("apt-get install -y -q --no-install-recommends redis-server", script)

    def test_missing_redis_fails_in_ci_and_skips_locally(self):
        """Without Redis a developer's run skips the Redis tests and says why; a CI run fails instead."""
        unreachable = f"redis://127.0.0.1:{closed_port()}/0"
        with mock.patch.dict(os.environ, {"CI": "true"}):
            with self.assertRaisesMessage(RuntimeError, "Redis tests cannot run in CI"):
                redis_or_skip(unreachable)
        with mock.patch.dict(os.environ, {"CI": ""}):
            with self.assertRaisesMessage(SkipTest, "no Redis answers at"):
                redis_or_skip(unreachable)
