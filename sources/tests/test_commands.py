from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from sources.models import Passage, Source

from .factories import SEED_DIR, TemporaryFolder


def run(*args):
    stdout, stderr = StringIO(), StringIO()
    call_command("import_sources", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


class ImportSourcesCommandTests(TestCase):
    def test_prints_one_line_per_source_and_a_summary(self):
        """The operator sees what happened to each source and the totals."""
        out, _ = run()
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 6)
        self.assertTrue(lines[0].startswith("created   putin-visits-azerbaijan-kyiv-independent (61 passages"))
        self.assertIn("5 source(s): 5 created, 0 updated, 0 unchanged; 162 passages", lines[-1])

    def test_second_run_reports_unchanged(self):
        """Running the import again is safe and says so."""
        run(SEED_DIR)
        out, _ = run(SEED_DIR)
        self.assertIn("0 created, 0 updated, 5 unchanged", out)

    def test_single_file_path(self):
        """A single file can be imported on its own."""
        out, _ = run(SEED_DIR / "003_6caf851ee1c755f2.txt")
        self.assertIn("created   putin-state-visit-to-baku (14 passages", out)

    def test_bad_file_exits_non_zero_with_the_file_on_stderr(self):
        """A failed import names the file and reason, exits non-zero and writes nothing."""
        folder = TemporaryFolder(self)
        folder.write("ok.txt", "Fine Title\nFine text.\n")
        folder.write("broken.txt", b"Bad \xc3 byte\n")
        with self.assertRaises(CommandError) as caught:
            run(folder.path)
        self.assertIn("nothing imported", str(caught.exception))
        self.assertEqual((Source.objects.count(), Passage.objects.count()), (0, 0))

    def test_errors_are_written_to_stderr(self):
        folder = TemporaryFolder(self)
        folder.write("broken.txt", b"Bad \xc3 byte\n")
        stderr = StringIO()
        with self.assertRaises(CommandError):
            call_command("import_sources", str(folder.path), stdout=StringIO(), stderr=stderr)
        self.assertIn("broken.txt: is not valid UTF-8: byte 0xc3 at byte offset 4", stderr.getvalue())
