from django.core.management.base import BaseCommand, CommandError

from sources.importer import ImportFailed, default_seed_dir, import_sources


class Command(BaseCommand):
    help = (
        "Import article files (or folders of .txt files) into sources and passages. "
        "Every file is checked before anything is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Files or folders (default: the seeds folder).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Accept re-imports that look like a different article under a source's name (under half of "
            "its passages kept and a different headline, or every passage retired).",
        )

    def handle(self, *args, paths, replace=False, **options):
        try:
            # Imported by the command: versions record no user.
            results = import_sources(paths or [default_seed_dir()], replace=replace, by=None)
        except ImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(f"error: {problem}")
            raise CommandError(
                f"nothing imported: {len(failure.problems)} problem(s) found; fix them and run again."
            ) from None
        for result in results:
            self.stdout.write(result.describe())
        actions = {action: sum(r.action == action for r in results) for action in ("created", "updated", "unchanged")}
        reanchored = sum(r.citations["reanchored"] for r in results)
        orphaned = sum(r.citations["orphaned"] for r in results)
        restored = sum(r.citations["restored"] for r in results)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(results)} source(s): {actions['created']} created, {actions['updated']} updated, "
                f"{actions['unchanged']} unchanged; {sum(r.passages for r in results)} passages; "
                f"citations: {reanchored} re-anchored, {orphaned} orphaned, {restored} restored"
            )
        )
