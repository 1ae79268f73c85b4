from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings

from sources.models import Passage, Source


def load_demo(*args):
    stdout = StringIO()
    call_command("load_demo", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


@override_settings(DEBUG=True)
class LoadDemoTests(TestCase):
    def test_imports_the_seeds_and_prints_each_password_once(self):
        """A newcomer gets the five sources and three accounts they can log in with."""
        out = load_demo()
        self.assertEqual(Source.objects.count(), 5)
        users = get_user_model().objects.order_by("username")
        self.assertEqual([u.username for u in users], ["admin", "analyst", "editor", "editor2"])
        self.assertTrue(users.get(username="admin").is_superuser)
        self.assertEqual(list(users.get(username="editor").groups.values_list("name", flat=True)), ["Editor"])
        for line in out.splitlines():
            if line.startswith("account") and "password:" in line:
                username, password = line.split()[1], line.split()[-1]
                self.assertTrue(users.get(username=username).check_password(password))
        self.assertEqual(out.count("password:"), 4)

    def test_leaves_sample_briefings_in_several_workflow_states(self):
        """The demo shows the review workflow: published, in review and draft briefings, one corrected."""
        from briefings.models import Briefing, Correction

        load_demo()
        statuses = set(Briefing.objects.values_list("status", flat=True))
        self.assertTrue({"published", "in_review", "draft"} <= statuses)
        self.assertTrue(Correction.objects.filter(kind="correction").exists())
        self.assertTrue(Briefing.objects.published().exists())

    def test_demo_accounts_have_names_and_bios_readers_see(self):
        """The demo's bylines and author pages show people's names and bios, never the login names."""
        from briefings.models import AuthorProfile, Briefing

        load_demo()
        profiles = {p.user.username: p for p in AuthorProfile.objects.select_related("user")}
        self.assertEqual(profiles["analyst"].name, "Leyla Mammadova")
        self.assertEqual(profiles["editor"].name, "Giorgi Kapanadze")
        self.assertEqual(profiles["editor2"].name, "Nigar Rzayeva")
        self.assertTrue(profiles["analyst"].bio)
        briefing = Briefing.objects.published().filter(authors__username="analyst").first()
        page = self.client.get(briefing.get_absolute_url()).content.decode()
        self.assertIn('href="/authors/leyla-mammadova/" rel="author">Leyla Mammadova</a>', page)
        author_page = self.client.get("/authors/leyla-mammadova/")
        self.assertContains(author_page, profiles["analyst"].bio)
        self.assertNotIn("By analyst", page)

    def test_second_run_changes_nothing_and_keeps_passwords(self):
        """Running the demo loader again is harmless."""
        load_demo()
        passwords = dict(get_user_model().objects.values_list("username", "password"))
        passages = list(Passage.objects.values_list("pk", flat=True).order_by("pk"))
        out = load_demo()
        self.assertNotIn("password:", out)
        self.assertEqual(dict(get_user_model().objects.values_list("username", "password")), passwords)
        self.assertEqual(list(Passage.objects.values_list("pk", flat=True).order_by("pk")), passages)

    @override_settings(DEBUG=False)
    def test_refuses_to_create_accounts_in_production(self):
        """Known demo accounts can never appear on a production site."""
        with self.assertRaisesMessage(CommandError, "DJANGO_DEBUG=1"):
            load_demo()
        self.assertFalse(get_user_model().objects.exists())
