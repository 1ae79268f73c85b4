"""Importing article files into sources and passages.

Every file is read and checked before anything is written; the writes then
happen in one transaction, so a bad file never leaves a half-imported corpus.
Re-importing keeps the primary key of every passage whose text is unchanged and
retires (never deletes) passages that vanished, so citations cannot dangle.
"""
import datetime
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import html as page
from . import text as passage_text
from .models import Passage, Source
from .signals import source_text_changed
from .slugs import MAX_BASE_LENGTH, slug_base

MANIFEST_NAME = "sources.toml"
SOURCE_SUFFIXES = {".txt", ".html", ".htm"}
METADATA_FIELDS = ("title", "publisher", "authors", "url", "published_on", "language")
MANIFEST_KEYS = {"slug", "kinds", *METADATA_FIELDS}
TEMPORARY_ORDINAL_OFFSET = 1_000_000


def default_seed_dir():
    return Path(settings.BASE_DIR) / "seeds"


def max_file_bytes():
    """The largest article file (or upload) accepted, from the SOURCES_MAX_FILE_BYTES setting."""
    return settings.SOURCES_MAX_FILE_BYTES


def describe_size(size):
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def too_large(size):
    """The refusal for a file of ``size`` bytes, or "" when it is within the limit."""
    limit = max_file_bytes()
    if size <= limit:
        return ""
    return f"is {describe_size(size)}, over the limit of {describe_size(limit)} (SOURCES_MAX_FILE_BYTES)"


@dataclass
class Problem:
    path: Path
    reason: str
    line: int | None = None

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """One or more files cannot be imported; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class ManifestEntry:
    slug: str | None
    metadata: dict
    kind_overrides: list  # (prefix, kind, line)
    line: int | None


@dataclass
class SourceFile:
    path: Path
    text: str
    slug: str
    metadata: dict
    passages: list


@dataclass
class SourceResult:
    slug: str
    action: str  # "created", "updated" or "unchanged"
    passages: int
    kinds: Counter
    new: int = 0
    retired: int = 0
    citations: Counter = field(default_factory=Counter)

    def describe(self):
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.kinds.items()))
        line = f"{self.action:<9} {self.slug} ({self.passages} passages: {kinds})"
        if self.action == "updated":
            line += f"; {self.new} new, {self.retired} retired"
        if self.citations:
            line += f"; citations: {self.citations['reanchored']} re-anchored, {self.citations['orphaned']} orphaned"
        return line


# Reading and checking ---------------------------------------------------------


def collect_files(paths):
    """Expand folders to their article files; return (files, problems)."""
    files, problems = [], []
    for path in paths:
        path = Path(path)
        if not path.exists():
            problems.append(Problem(path, _missing(path)))
        elif path.is_dir():
            found = []
            for entry in sorted(path.iterdir()):
                if entry.suffix.lower() not in SOURCE_SUFFIXES:
                    continue
                if entry.is_file():
                    found.append(entry)
                elif entry.is_symlink() and not entry.exists():
                    problems.append(Problem(entry, _missing(entry)))
            if not found and not problems:
                problems.append(Problem(path, "folder holds no .txt or .html article files"))
            files.extend(found)
        elif path.name == MANIFEST_NAME:
            problems.append(Problem(path, "is a manifest, not an article; pass its folder instead"))
        else:
            files.append(path)
    unique = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values()), problems


def _missing(path):
    """Why ``path`` cannot be opened: a symbolic link loop, a link to nothing, or nothing there at all."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "is a symbolic link loop (the link leads back to itself)"
        except OSError as error:
            if getattr(error, "errno", None) == 40:  # ELOOP
                return "is a symbolic link loop (the link leads back to itself)"
        return f"is a symbolic link to {path.readlink()}, which does not exist"
    return "no such file or folder"


def _line_of(manifest_text, needle, after_line=1):
    for number, line in enumerate(manifest_text.splitlines(), start=1):
        if number >= after_line and needle in line:
            return number
    return None


def read_manifest(path):
    """Parse a sources.toml; return ({file name: ManifestEntry}, problems)."""
    raw = path.read_bytes()
    try:
        manifest_text = raw.decode("utf-8")
        data = tomllib.loads(manifest_text)
    except UnicodeDecodeError as error:
        return {}, [Problem(path, f"manifest is not valid UTF-8 (byte offset {error.start})")]
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        line = int(match.group(1)) if match else None
        return {}, [Problem(path, f"malformed manifest: {error}", line)]

    entries, problems = {}, []
    unknown_top = set(data) - {"sources"}
    for key in sorted(unknown_top):
        problems.append(Problem(path, f"unknown top-level key {key!r}", _line_of(manifest_text, key)))
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        return {}, problems + [Problem(path, "'sources' must be a table", _line_of(manifest_text, "sources"))]
    for file_name, entry in sources.items():
        header_line = _line_of(manifest_text, f'"{file_name}"') or 1

        def problem(reason, key=None, header_line=header_line, file_name=file_name):
            line = _line_of(manifest_text, key, header_line) if key else header_line
            problems.append(Problem(path, f"[sources.{file_name!r}] {reason}", line or header_line))

        if not isinstance(entry, dict):
            problem("must be a table")
            continue
        for key in sorted(set(entry) - MANIFEST_KEYS):
            problem(f"unknown key {key!r} (expected one of {', '.join(sorted(MANIFEST_KEYS))})", key)
        metadata = {}
        for key in ("title", "publisher", "url", "language"):
            value = entry.get(key, None)
            if value is None:
                continue
            if not isinstance(value, str):
                problem(f"{key!r} must be a string", key)
                continue
            metadata[key] = value.strip()
        authors = entry.get("authors")
        if authors is not None:
            if isinstance(authors, str):
                metadata["authors"] = authors.strip()
            elif isinstance(authors, list) and all(isinstance(a, str) for a in authors):
                metadata["authors"] = ", ".join(a.strip() for a in authors if a.strip())
            else:
                problem("'authors' must be a string or a list of strings", "authors")
        published_on = entry.get("published_on")
        if published_on is not None:
            if isinstance(published_on, datetime.date) and not isinstance(published_on, datetime.datetime):
                metadata["published_on"] = published_on
            else:
                problem("'published_on' must be a date such as 2024-08-19 (unquoted)", "published_on")
        slug = entry.get("slug")
        if slug is not None and (not isinstance(slug, str) or slugify(slug) != slug or not slug):
            problem(f"'slug' must be a lowercase slug such as 'my-article', not {slug!r}", "slug")
            slug = None
        overrides = []
        kinds = entry.get("kinds", {})
        if not isinstance(kinds, dict):
            problem("'kinds' must be a table of kind = [line prefixes]", "kinds")
            kinds = {}
        for kind, prefixes in kinds.items():
            line = _line_of(manifest_text, kind, header_line)
            if kind not in passage_text.KINDS:
                problem(f"unknown passage kind {kind!r} (expected one of {', '.join(passage_text.KINDS)})", kind)
                continue
            if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
                problem(f"'kinds.{kind}' must be a list of non-empty line prefixes", kind)
                continue
            overrides.extend((prefix, kind, line) for prefix in prefixes)
        entries[file_name] = ManifestEntry(slug=slug, metadata=metadata, kind_overrides=overrides, line=header_line)
    return entries, problems


def bounded(value, limit):
    """``value`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def field_limit(name):
    return Source._meta.get_field(name).max_length


def derive_metadata(split_passages, text=""):
    """Title and slug from the text itself, for files the manifest does not name.

    The title is the page's headline (a heading above the story, see ``text.headline``), never a
    masthead or a section name, and never longer than the title field; without a headline it is
    empty and the slug comes from the opening words, or from the text's hash when those have no
    letters that can be written in ASCII.
    """
    heading = passage_text.headline(split_passages)
    title = bounded(heading.text, field_limit("title")) if heading else ""
    citable = [p for p in split_passages if p.citable] or split_passages
    basis = title or citable[0].text
    slug = slug_base(" ".join(basis[: MAX_BASE_LENGTH * 4].split()[:10]))
    if not slug and text:
        slug = f"source-{passage_text.sha256(text)[:10]}"
    return title, slug


def metadata_problems(metadata, slug):
    """What in the metadata cannot be stored: a value longer than its field, a slug longer than an address may be."""
    problems = []
    for name, value in metadata.items():
        limit = field_limit(name) if isinstance(value, str) else None
        if limit and len(value) > limit:
            problems.append(f"{name} is {len(value):,} characters long; at most {limit} fit")
    if slug and len(slug) > field_limit("slug"):
        problems.append(f"slug is {len(slug):,} characters long; at most {field_limit('slug')} fit")
    return problems


def read_source(name, raw, manifest_entry, known_slugs_by_origin):
    """Read, normalise and split one article given as bytes. Raises passage_text.TextError.

    ``name`` is the file name (it decides between text and a saved web page and is how a
    re-import finds its source). Metadata comes from the manifest entry, else from what a web
    page states, else from the text (the headline as title); nothing is invented.
    """
    refusal = too_large(len(raw))
    if refusal:
        raise passage_text.TextError(refusal)
    stated = {}
    if page.is_html(name):
        text, stated = page.read_page(raw)
    else:
        text = passage_text.normalise(raw)
    overrides = [(prefix, kind) for prefix, kind, _ in manifest_entry.kind_overrides] if manifest_entry else []
    passages = passage_text.split(text, overrides)
    if not any(p.citable for p in passages):
        raise passage_text.TextError(
            "holds no article text: every line is site chrome (menus, share bars, bylines, notices)"
        )
    derived_title, derived_slug = derive_metadata(passages, text)
    metadata = {"title": derived_title, "publisher": "", "authors": "", "url": "", "published_on": None,
                "language": ""}
    for key, value in stated.items():
        # What the page states wins over what is derived; an overlong statement is cut, not refused.
        metadata[key] = bounded(value, field_limit(key)) if key in ("title", "publisher", "authors") else value
    if len(metadata["url"]) > field_limit("url"):
        metadata["url"] = ""
    if stated.get("title"):
        derived_slug = slug_base(" ".join(metadata["title"].split()[:10])) or derived_slug
    slug = known_slugs_by_origin.get(name) or derived_slug
    if manifest_entry:
        metadata.update(manifest_entry.metadata)
        slug = manifest_entry.slug or slug
    return text, slug, metadata, passages


def read_source_file(path, manifest_entry, known_slugs_by_origin):
    """Read, normalise and split one file. Raises passage_text.TextError (or OSError)."""
    refusal = too_large(path.stat().st_size)
    if refusal:
        raise passage_text.TextError(refusal)
    text, slug, metadata, passages = read_source(path.name, path.read_bytes(), manifest_entry, known_slugs_by_origin)
    return SourceFile(path=path, text=text, slug=slug, metadata=metadata, passages=passages)


def plan(paths):
    """Read and check every file; return SourceFiles or raise ImportFailed with every problem."""
    files, problems = collect_files(paths)
    manifests = {}
    for folder in sorted({f.parent for f in files}):
        manifest_path = folder / MANIFEST_NAME
        if manifest_path.exists():
            entries, manifest_problems = read_manifest(manifest_path)
            manifests[folder] = (manifest_path, entries)
            problems.extend(manifest_problems)
    known = dict(Source.objects.exclude(origin="").values_list("origin", "slug"))

    planned = []
    for path in files:
        manifest_path, entries = manifests.get(path.parent, (None, {}))
        entry = entries.get(path.name)
        try:
            source_file = read_source_file(path, entry, known)
        except passage_text.TextError as error:
            problems.append(Problem(path, str(error)))
            continue
        except OSError as error:
            problems.append(Problem(path, f"cannot be read: {error.strerror}"))
            continue
        if not source_file.slug:
            problems.append(Problem(path, "no slug can be derived from the text; give one in the manifest"))
            continue
        stored = metadata_problems(source_file.metadata, source_file.slug)
        if stored:
            problems.extend(Problem(manifest_path or path, f"[{path.name}] {reason}", entry and entry.line)
                            for reason in stored)
            continue
        if entry:
            for prefix, kind, line in entry.kind_overrides:
                if not any(p.text.startswith(prefix) for p in source_file.passages):
                    problems.append(
                        Problem(manifest_path, f"{kind} override {prefix!r} matches no line of {path.name}", line)
                    )
        planned.append(source_file)

    by_slug = {}
    for source_file in planned:
        if source_file.slug in by_slug:
            problems.append(
                Problem(
                    source_file.path,
                    f"slug {source_file.slug!r} is also claimed by {by_slug[source_file.slug].path}",
                )
            )
        else:
            by_slug[source_file.slug] = source_file
    for folder, (manifest_path, entries) in manifests.items():
        for file_name, entry in entries.items():
            if not (folder / file_name).exists():
                reason = f"describes {file_name!r}, which is not in {folder}"
                problems.append(Problem(manifest_path, reason, entry.line))
    if problems:
        raise ImportFailed(problems)
    return planned


# Writing ----------------------------------------------------------------------


def _passage_fields(split):
    return {
        "ordinal": split.ordinal,
        "anchor": split.anchor,
        "text": split.text,
        "start": split.start,
        "end": split.end,
        "kind": split.kind,
        "citable": split.citable,
        "content_hash": split.content_hash,
    }


def _write_passages(source, split_passages, now):
    """Bring the source's passages in line with the new split; return (new, retired list)."""
    existing = list(source.passages.order_by("retired", "ordinal"))
    pool = {}
    for passage in existing:
        pool.setdefault(passage.content_hash, []).append(passage)

    kept, created = [], []
    for split in split_passages:
        candidates = pool.get(split.content_hash)
        match = next((p for p in candidates or () if p.text == split.text), None)
        if match:
            candidates.remove(match)
            kept.append((match, split))
        else:
            created.append(Passage(source=source, **_passage_fields(split)))
    matched_ids = {passage.pk for passage, _ in kept}
    vanished = [p for p in existing if not p.retired and p.pk not in matched_ids]
    for passage in vanished:
        passage.retired = True
        passage.retired_at = now
    Passage.objects.bulk_update(vanished, ["retired", "retired_at"])

    # Ordinals and anchors are unique among current passages; move the kept ones
    # out of the way first so that swapping two positions never collides.
    for position, (passage, _) in enumerate(kept, start=1):
        passage.ordinal = TEMPORARY_ORDINAL_OFFSET + position
        passage.anchor = f"moving-{passage.pk}"
        passage.retired = False
    Passage.objects.bulk_update([p for p, _ in kept], ["ordinal", "anchor", "retired"])
    changed_fields = ["ordinal", "anchor", "start", "end", "kind", "citable", "retired_at"]
    for passage, split in kept:
        for name, value in _passage_fields(split).items():
            setattr(passage, name, value)
        passage.retired_at = None
    Passage.objects.bulk_update([p for p, _ in kept], changed_fields)
    Passage.objects.bulk_create(created)
    return created, vanished


def _passages_differ(source, split_passages):
    current = list(
        source.passages.current().order_by("ordinal").values_list("text", "start", "end", "kind", "ordinal")
    )
    wanted = [(p.text, p.start, p.end, p.kind, p.ordinal) for p in split_passages]
    return current != wanted


def write(source_file, now):
    kinds = Counter(p.kind for p in source_file.passages)
    content_hash = passage_text.sha256(source_file.text)
    source = Source.objects.select_for_update().filter(slug=source_file.slug).first()
    if source is None:
        source = Source.objects.create(
            slug=source_file.slug,
            origin=source_file.path.name,
            text=source_file.text,
            content_hash=content_hash,
            imported_at=now,
            updated_at=now,
            **source_file.metadata,
        )
        Passage.objects.bulk_create(Passage(source=source, **_passage_fields(p)) for p in source_file.passages)
        return SourceResult(source.slug, "created", len(source_file.passages), kinds)

    metadata_changed = any(getattr(source, k) != v for k, v in source_file.metadata.items())
    text_changed = source.content_hash != content_hash
    passages_changed = text_changed or _passages_differ(source, source_file.passages)
    origin_changed = source.origin != source_file.path.name
    if not (metadata_changed or passages_changed or origin_changed):
        return SourceResult(source.slug, "unchanged", len(source_file.passages), kinds)

    for name, value in source_file.metadata.items():
        setattr(source, name, value)
    source.origin = source_file.path.name
    source.text = source_file.text
    source.content_hash = content_hash
    source.updated_at = now
    result = SourceResult(source.slug, "updated", len(source_file.passages), kinds)
    if passages_changed:
        created, retired = _write_passages(source, source_file.passages, now)
        result.new, result.retired = len(created), len(retired)
        for _receiver, outcome in source_text_changed.send(sender=Source, source=source, retired=retired):
            if outcome:
                result.citations.update(outcome)
    # Saved last, so whoever renders what cites the source on post_save does it once, from its final state.
    source.save()
    return result


class StalePreview(ImportFailed):
    """The source changed (or appeared) after the preview was shown; nothing was written."""


def write_planned(planned, expected_hashes=None):
    """Write planned SourceFiles in one transaction; the command and the admin both save through here.

    ``expected_hashes`` maps a slug to the content hash its source had when the change was previewed
    (None: it did not exist); if any differs now, nothing is written and StalePreview is raised.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            for slug, expected in (expected_hashes or {}).items():
                current = Source.objects.select_for_update().filter(slug=slug).values_list("content_hash", flat=True)
                if next(iter(current), None) != expected:
                    path = next(f.path for f in planned if f.slug == slug)
                    raise StalePreview([Problem(path, f"source {slug!r} was imported or replaced by someone else "
                                                      "after this preview; nothing was written. Preview it again.")])
            return [write(source_file, now) for source_file in planned]
    except IntegrityError:
        # Another import created one of these sources between our check and our write (PostgreSQL
        # makes us wait for it, then refuses the duplicate): the whole run rolled back.
        raise ImportFailed([
            Problem(
                source_file.path,
                f"{source_file.slug!r} was imported by another run at the same time; nothing from this run was "
                "written. Run it again to update it.",
            )
            for source_file in planned
        ]) from None


def import_sources(paths=None):
    """Import article files atomically. Returns a list of SourceResult; raises ImportFailed."""
    return write_planned(plan(paths or [default_seed_dir()]))
