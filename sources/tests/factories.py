"""Small helpers to build article files and sources in tests."""
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

SEED_DIR = Path(settings.BASE_DIR) / "seeds"
SEED_FILES = sorted(SEED_DIR.glob("*.txt"))
# Pages as a browser copies them (site chrome and all), in the styles of several publishers.
COPIED_PAGES = Path(__file__).parent / "pages"


class TemporaryFolder:
    """A folder of article files that disappears after the test."""

    def __init__(self, testcase):
        self.path = Path(tempfile.mkdtemp(prefix="briefings-test-"))
        testcase.addCleanup(shutil.rmtree, self.path, ignore_errors=True)

    def write(self, name, content):
        path = self.path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def copy_seeds(self, with_manifest=True):
        for seed in SEED_FILES:
            shutil.copy(seed, self.path / seed.name)
        if with_manifest:
            shutil.copy(SEED_DIR / "sources.toml", self.path / "sources.toml")
        return self.path
