import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from briefings.models import UNNAMED_AUTHOR, AuthorProfile
from demo.sample_briefings import load_sample_briefings
from demo.workflow import apply_demo_workflow
from sources.importer import ImportFailed, default_seed_dir, import_sources

DEMO_ACCOUNTS = [
    # (username, group, is_superuser)
    ("admin", None, True),
    ("analyst", "Analyst", False),
    ("editor", "Editor", False),
]
# How readers see the demo accounts: (first name, last name, bio). Login names never appear on the site.
DEMO_PEOPLE = {
    "admin": ("Sabina", "Huseynova", "Runs the desk's site and its archive."),
    "analyst": ("Leyla", "Mammadova", "Covers energy and transport across the South Caucasus, from Baku."),
    "editor": ("Giorgi", "Kapanadze", "Edits the desk's briefings on Russia and its neighbours, from Tbilisi."),
}


class Command(BaseCommand):
    help = (
        "Load the demo: import the seed articles, create demo accounts (admin, analyst, editor), load the "
        "sample briefings and take them through review. Idempotent and all-or-nothing. "
        "Refuses to run when DJANGO_DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give existing demo accounts new passwords and print them.",
        )

    def handle(self, *args, reset_passwords=False, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo creates accounts with known passwords; it runs only with DJANGO_DEBUG=1.")
        with transaction.atomic():
            try:
                results = import_sources([default_seed_dir()])
            except ImportFailed as failure:
                for problem in failure.problems:
                    self.stderr.write(f"error: {problem}")
                raise CommandError("the seed articles could not be imported; nothing was loaded.") from None
            for result in results:
                self.stdout.write(result.describe())
            self.create_accounts(reset_passwords)
            load_sample_briefings(self.stdout)
            apply_demo_workflow(self.stdout)

    def create_accounts(self, reset_passwords):
        User = get_user_model()
        for username, group_name, is_superuser in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": is_superuser, "email": f"{username}@example.com"},
            )
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            self.name_account(user)
            if created or reset_passwords:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                self.stdout.write(f"account   {username:<8} password: {password}")
            else:
                self.stdout.write(f"account   {username:<8} exists (password kept; --reset-passwords prints a new one)")

    def name_account(self, user):
        """Give a demo account its name and author profile; names someone has since changed are kept."""
        first, last, bio = DEMO_PEOPLE[user.username]
        if not user.first_name and not user.last_name:
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
        profile = AuthorProfile.for_user(user)
        if profile.name == UNNAMED_AUTHOR or not profile.bio:
            if profile.name == UNNAMED_AUTHOR:
                profile.name = user.get_full_name()
            profile.bio = profile.bio or bio
            profile.save()
