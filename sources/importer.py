"""Importing article files into sources and passages.

Every file is read and checked before anything is written; the writes then
happen in one transaction, so a bad file never leaves a half-imported corpus.
Re-importing keeps the primary key of every passage whose text is unchanged and
retires (never deletes) passages that vanished, so citations cannot dangle.

Every import that changes a source's text adds a ``SourceVersion``; anchors are
given once and never reused. The admin uses the same code as the command:

- ``preview(source_or_None, text, metadata)`` says what would be added, changed
  and retired, and the identity guard's refusal, without writing anything;
- ``import_text(source_or_None, text, metadata, by=user, replace=False,
  expected_version=preview.version_number)`` imports it in one transaction,
  refusing a stale preview (``StaleImport``) or, unless ``replace``, a text that
  looks like another article (``ImportFailed``);
- ``restore_version(version, by=user)`` is the undo: the old text as a new version.
"""
import datetime
import difflib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from . import html as page
from . import text as passage_text
from .models import Passage, Source, SourceVersion, VersionPassage
from .signals import source_text_changed
from .slugs import MAX_BASE_LENGTH, slug_base

MANIFEST_NAME = "sources.toml"
SOURCE_SUFFIXES = {".txt", ".html", ".htm"}
METADATA_FIELDS = ("title", "publisher", "authors", "url", "published_on", "language")
MANIFEST_KEYS = {"slug", "kinds", *METADATA_FIELDS}
TEMPORARY_ORDINAL_OFFSET = 1_000_000
BATCH = 2000


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
    # The headline the text itself shows, when the metadata keeps the source's title (a replacement given no
    # title): the identity guard compares it.
    headline: str | None = None


@dataclass
class SourceResult:
    slug: str
    action: str  # "created", "updated" or "unchanged"
    passages: int
    kinds: Counter
    new: int = 0
    retired: int = 0
    changed: int = 0
    version: int = 0  # the source's current version number after the import
    citations: Counter = field(default_factory=Counter)

    def describe(self):
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.kinds.items()))
        line = f"{self.action:<9} {self.slug} ({self.passages} passages: {kinds})"
        if self.action == "updated":
            line += f"; {self.new} new, {self.retired} retired"
            if self.changed:
                line += f", {self.changed} changed"
            line += f"; version {self.version}"
        if self.citations:
            line += (
                f"; citations: {self.citations['reanchored']} re-anchored, {self.citations['orphaned']} orphaned, "
                f"{self.citations['restored']} restored"
            )
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
#
# Every import that changes a source's text keeps a ``SourceVersion``. Passage rows hold words that never
# change: a passage whose exact text is in the new version keeps its row and its anchor wherever it moved;
# new words get a new row and the source's next anchor number; vanished ones retire and keep theirs.
# ``VersionPassage`` rows record where each passage sits in each version.

# The identity guard: a re-import keeping fewer than this share of the current passages, under a different
# headline, is probably another article saved under the same name.
IDENTITY_MIN_SHARED = 0.5


class StaleImport(ImportFailed):
    """The source got a new version since the preview the import was confirmed from; nothing was written."""


@dataclass
class Changes:
    """What an import would do to a source's passages (SplitPassages new, Passages retired), and its counts."""

    kept: list  # (Passage, SplitPassage)
    new: list  # SplitPassage
    retired: list  # Passage
    added: int = 0
    changed: int = 0

    @property
    def retired_count(self):
        return len(self.retired) - self.changed


@dataclass
class Preview:
    """What ``import_text`` would write, computed without writing anything.

    ``version_number`` is the source's current version (0 for a new source): pass it back as
    ``expected_version`` so that an import confirmed from a stale preview is refused. ``refusal`` is the
    identity guard's message when the import needs ``replace=True``, else "".
    """

    slug: str
    title: str
    passages: list  # SplitPassage, in order
    version_number: int
    added: list = field(default_factory=list)  # SplitPassage
    changed: list = field(default_factory=list)  # (retired Passage, SplitPassage) pairs, side by side
    retired: list = field(default_factory=list)  # Passage
    unchanged: bool = False
    refusal: str = ""


def kind_positions(split_passages):
    """Each passage's 1-based position among the passages of its kind, in order."""
    seen = Counter()
    positions = []
    for split in split_passages:
        seen[split.kind] += 1
        positions.append(seen[split.kind])
    return positions


def _match(source, split_passages):
    """Pair the new split with the source's passage rows by exact text; current rows first, then retired ones."""
    existing = list(source.passages.order_by("retired", "ordinal")) if source else []
    pool = {}
    for passage in existing:
        pool.setdefault(passage.content_hash, []).append(passage)
    kept, new = [], []
    for split in split_passages:
        candidates = pool.get(split.content_hash)
        match = next((p for p in candidates or () if p.text == split.text), None)
        if match:
            candidates.remove(match)
            kept.append((match, split))
        else:
            new.append(split)
    matched_ids = {passage.pk for passage, _ in kept}
    retired = [p for p in existing if not p.retired and p.pk not in matched_ids]
    changes = Changes(kept=kept, new=new, retired=retired)
    changes.changed = len(_changed_pairs(existing, split_passages, new, retired))
    changes.added = len(new) - changes.changed
    return changes


def _changed_pairs(existing, split_passages, new, retired):
    """(retired Passage, new SplitPassage) pairs where new words took the place of old ones."""
    old = sorted((p for p in existing if not p.retired), key=lambda p: p.ordinal)
    new_ids, retired_ids = {id(s) for s in new}, {p.pk for p in retired}
    matcher = difflib.SequenceMatcher(
        None, [p.content_hash for p in old], [s.content_hash for s in split_passages], autojunk=False
    )
    pairs = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace":
            gone = [p for p in old[i1:i2] if p.pk in retired_ids]
            came = [s for s in split_passages[j1:j2] if id(s) in new_ids]
            pairs.extend(zip(gone, came, strict=False))
    return pairs


def identity_problem(source, title, changes):
    """Why a re-import looks like a different article under this source's name, or "".

    Refused: sharing under half of the current passages *and* a different headline (a reworded headline
    alone is a routine edit), or retiring every passage.
    """
    current = len(changes.kept) + len(changes.retired) - sum(p.retired for p, _ in changes.kept)
    shared = sum(not p.retired for p, _ in changes.kept)
    if not current:
        return ""
    retiring = len(changes.retired)
    if shared == 0:
        return (
            f"would replace every passage of {source.display_title!r} (slug {source.slug!r}) with "
            f"{title or 'untitled text'!r}: all {retiring} current passages would retire. If this really is "
            "a new version of the same article, import it again with --replace."
        )
    headline_differs = " ".join(title.split()).casefold() != " ".join(source.title.split()).casefold()
    if shared < current * IDENTITY_MIN_SHARED and headline_differs:
        return (
            f"looks like a different article: {title or 'an untitled text'!r} would replace "
            f"{source.display_title!r} (slug {source.slug!r}), sharing {shared} of its {current} passages; "
            f"{retiring} passages would retire. If it is a new version of the same article, import it again "
            "with --replace."
        )
    return ""


def _passage_fields(split, position):
    return {
        "ordinal": split.ordinal,
        "text": split.text,
        "start": split.start,
        "end": split.end,
        "kind": split.kind,
        "kind_position": position,
        "citable": split.citable,
        "content_hash": split.content_hash,
    }


def _new_passage(source, split, position):
    number = source.next_anchor
    source.next_anchor += 1
    return Passage(
        source=source, anchor_number=number, anchor=Passage.anchor_for(number), **_passage_fields(split, position)
    )


def _update_passages(passages, fields):
    """Write ``fields`` of many passages with one prepared UPDATE run per row.

    ``QuerySet.bulk_update`` builds a CASE expression per field with a branch per row, which costs seconds
    of Python for a few thousand rows; a prepared statement does not.
    """
    if not passages:
        return
    meta = Passage._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(passage, field.attname), connection) for field in columns] + [passage.pk]
        for passage in passages
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _write_passages(source, split_passages, changes, now):
    """Bring the source's passage rows in line with the new split; return every row in the new order."""
    positions = dict(zip(map(id, split_passages), kind_positions(split_passages), strict=True))
    for passage in changes.retired:
        passage.retired = True
        passage.retired_at = now
    _update_passages(changes.retired, ["retired", "retired_at"])

    # Ordinals are unique among current passages: the kept ones whose ordinal changes move out of the way
    # first, so that swapping two positions never collides. Anchors never change. Rows already as wanted are
    # not written at all: every write of a passage also re-indexes it for search.
    fields = ["ordinal", "start", "end", "kind", "kind_position", "citable", "retired", "retired_at"]
    changed, moving = [], []
    for passage, split in changes.kept:
        wanted = {**_passage_fields(split, positions[id(split)]), "retired": False, "retired_at": None}
        if any(getattr(passage, name) != wanted[name] for name in fields):
            if passage.ordinal != wanted["ordinal"] and not passage.retired:
                moving.append(passage)
            changed.append((passage, wanted))
    for position, passage in enumerate(moving, start=1):
        passage.ordinal = TEMPORARY_ORDINAL_OFFSET + position
    _update_passages(moving, ["ordinal"])
    for passage, wanted in changed:
        for name in fields:
            setattr(passage, name, wanted[name])
    _update_passages([p for p, _ in changed], fields)
    created = {id(split): _new_passage(source, split, positions[id(split)]) for split in changes.new}
    Passage.objects.bulk_create(created.values(), batch_size=BATCH)
    by_split = {id(split): passage for passage, split in changes.kept} | created
    return [by_split[id(split)] for split in split_passages]


def _write_version(source, text, rows, changes, now, by, origin, restored_from=None):
    number = (source.versions.aggregate(Max("number"))["number__max"] or 0) + 1
    version = SourceVersion.objects.create(
        source=source,
        number=number,
        text=text,
        content_hash=passage_text.sha256(text),
        imported_at=now,
        imported_by=by,
        origin=origin,
        restored_from=restored_from,
        passages_added=changes.added,
        passages_changed=changes.changed,
        passages_retired=changes.retired_count,
    )
    VersionPassage.objects.bulk_create(
        (
            VersionPassage(
                version=version,
                passage=passage,
                ordinal=passage.ordinal,
                start=passage.start,
                end=passage.end,
                kind=passage.kind,
                kind_position=passage.kind_position,
            )
            for passage in rows
        ),
        batch_size=BATCH,
    )
    return version


def _passages_differ(source, split_passages):
    current = list(
        source.passages.current().order_by("ordinal").values_list("text", "start", "end", "kind", "ordinal")
    )
    wanted = [(p.text, p.start, p.end, p.kind, p.ordinal) for p in split_passages]
    return current != wanted


def write(source_file, now, *, by=None, replace=False, expected_version=None, restored_from=None):
    """Write one checked file: create the source, or add a version when its text or split changed.

    ``by`` is the user importing (None for the command). Raises ImportFailed, inside the caller's
    transaction so nothing is kept, when the identity guard refuses (unless ``replace``) or when
    ``expected_version`` is not the source's current version number (0: the source must not exist yet).
    """
    kinds = Counter(p.kind for p in source_file.passages)
    content_hash = passage_text.sha256(source_file.text)
    source = Source.objects.select_for_update().filter(slug=source_file.slug).first()
    current_number = (source.versions.aggregate(Max("number"))["number__max"] or 0) if source else 0
    if expected_version is not None and expected_version != current_number:
        raise StaleImport(
            [Problem(source_file.path, f"{source_file.slug!r} has changed since the preview (it is now at version "
                                       f"{current_number}, the preview showed version {expected_version}); "
                                       "preview it again")]
        )
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
        changes = Changes(kept=[], new=list(source_file.passages), retired=[], added=len(source_file.passages))
        rows = _write_passages(source, source_file.passages, changes, now)
        _write_version(source, source_file.text, rows, changes, now, by, source_file.path.name)
        # An update, not save(): nothing cites a source that did not exist a moment ago.
        Source.objects.filter(pk=source.pk).update(next_anchor=source.next_anchor)
        return SourceResult(source.slug, "created", len(source_file.passages), kinds, new=changes.added, version=1)

    metadata_changed = any(getattr(source, k) != v for k, v in source_file.metadata.items())
    text_changed = source.content_hash != content_hash
    passages_changed = text_changed or _passages_differ(source, source_file.passages)
    origin_changed = source.origin != source_file.path.name
    if not (metadata_changed or passages_changed or origin_changed):
        return SourceResult(source.slug, "unchanged", len(source_file.passages), kinds, version=current_number)

    result = SourceResult(source.slug, "updated", len(source_file.passages), kinds, version=current_number)
    if passages_changed:
        changes = _match(source, source_file.passages)
        headline = source_file.headline if source_file.headline is not None else source_file.metadata.get("title", "")
        refusal = identity_problem(source, headline, changes)
        if refusal and not replace:
            raise ImportFailed([Problem(source_file.path, refusal)])
    for name, value in source_file.metadata.items():
        setattr(source, name, value)
    source.origin = source_file.path.name
    source.text = source_file.text
    source.content_hash = content_hash
    source.updated_at = now
    if passages_changed:
        rows = _write_passages(source, source_file.passages, changes, now)
        version = _write_version(
            source, source_file.text, rows, changes, now, by, source_file.path.name, restored_from
        )
        result.version = version.number
        result.new, result.changed, result.retired = changes.added, changes.changed, changes.retired_count
        for _receiver, outcome in source_text_changed.send(
            sender=Source, source=source, retired=changes.retired, version=version
        ):
            if outcome:
                result.citations.update(outcome)
    # Saved last, so whoever renders what cites the source on post_save does it once, from its final state.
    source.save()
    return result


def concurrent_import_failure(source_files, existing):
    """The refusal when another import created one of ``source_files``' sources between our check and our write.

    PostgreSQL makes the second writer wait for the first, then refuses the duplicate slug; the whole
    transaction rolled back, so nothing from this run was written. ``existing`` are the slugs that existed
    before the write; when no new one appeared meanwhile the error was something else, and is raised as is.
    """
    now = set(Source.objects.filter(slug__in=[f.slug for f in source_files]).values_list("slug", flat=True))
    appeared = now - set(existing)
    if not appeared:
        raise
    return ImportFailed([
        Problem(
            source_file.path,
            f"{source_file.slug!r} was imported by another run at the same time; nothing from this run was "
            "written. Run it again to update it.",
        )
        for source_file in source_files
        if source_file.slug in appeared
    ])


def import_sources(paths=None, *, replace=False, by=None):
    """Import article files atomically. Returns a list of SourceResult; raises ImportFailed.

    ``replace`` accepts re-imports the identity guard would refuse; ``by`` is who imports (None: the command).
    """
    planned = plan(paths or [default_seed_dir()])
    existing = set(Source.objects.filter(slug__in=[f.slug for f in planned]).values_list("slug", flat=True))
    now = timezone.now()
    try:
        with transaction.atomic():
            results, problems = [], []
            for source_file in planned:
                try:
                    results.append(write(source_file, now, by=by, replace=replace))
                except ImportFailed as failure:
                    problems.extend(failure.problems)
            if problems:
                # Every refusal is reported at once; raising rolls back what the other files wrote.
                raise ImportFailed(problems)
            return results
    except IntegrityError:
        raise concurrent_import_failure(planned, existing) from None


# One import, for the admin ------------------------------------------------------


def source_file_from_text(text, metadata=None, *, source=None, slug=None, origin="", kind_overrides=None):
    """A checked SourceFile for text given directly (pasted, or read from an upload): what the admin imports.

    ``text`` is a str or bytes, read like a file called ``origin`` (a saved ``.html`` page is reduced to its
    main text and stated metadata; anything else is normalised text). ``metadata`` holds any of
    METADATA_FIELDS; for a new source the rest is what the page states or derived from the text; for an
    existing one its metadata stays unless given. Raises ImportFailed with a clear reason.
    """
    where = Path(origin or "pasted text")
    raw = text.encode("utf-8") if isinstance(text, str) else text
    entry = ManifestEntry(
        slug=None, metadata={}, kind_overrides=[(prefix, kind, None) for prefix, kind in kind_overrides or ()],
        line=None,
    )
    try:
        normalised, derived_slug, derived, passages = read_source(where.name, raw, entry, {})
    except passage_text.TextError as error:
        raise ImportFailed([Problem(where, str(error))]) from None
    if source is not None:
        values = {name: getattr(source, name) for name in METADATA_FIELDS}
        slug = source.slug
    else:
        values = derived
        slug = slug or derived_slug
    values.update({k: v for k, v in (metadata or {}).items() if k in METADATA_FIELDS})
    if not slug:
        raise ImportFailed([Problem(where, "no slug can be derived from the text; give one")])
    problems = metadata_problems(values, slug)
    if problems:
        raise ImportFailed([Problem(where, reason) for reason in problems])
    # A replacement given no title is judged by the identity guard on the headline its own text shows.
    headline = derived["title"] if source is not None and "title" not in (metadata or {}) else None
    return SourceFile(path=where, text=normalised, slug=slug, metadata=values, passages=passages, headline=headline)


def preview(source, text, metadata=None, *, slug=None, origin="", kind_overrides=None):
    """What importing ``text`` into ``source`` (None: a new source) would do; nothing is written.

    Raises ImportFailed when the text cannot become a source at all.
    """
    source_file = source_file_from_text(
        text, metadata, source=source, slug=slug, origin=origin, kind_overrides=kind_overrides
    )
    return _preview(source, source_file)


def _preview(source, source_file):
    if source is None:
        source = Source.objects.filter(slug=source_file.slug).first()
    title = source_file.headline if source_file.headline is not None else source_file.metadata.get("title", "")
    if source is None:
        return Preview(source_file.slug, title, source_file.passages, 0, added=list(source_file.passages))
    current_number = source.versions.aggregate(Max("number"))["number__max"] or 0
    changes = _match(source, source_file.passages)
    existing = list(source.passages.current())
    changed = _changed_pairs(existing, source_file.passages, changes.new, changes.retired)
    paired_new, paired_old = {id(s) for _, s in changed}, {p.pk for p, _ in changed}
    same = source.content_hash == passage_text.sha256(source_file.text) and not _passages_differ(
        source, source_file.passages
    )
    return Preview(
        source.slug,
        title,
        source_file.passages,
        current_number,
        added=[s for s in changes.new if id(s) not in paired_new],
        changed=changed,
        retired=[p for p in changes.retired if p.pk not in paired_old],
        unchanged=same,
        refusal="" if same else identity_problem(source, title, changes),
    )


def import_text(source, text, metadata=None, *, by=None, replace=False, expected_version=None, slug=None,
                origin="", kind_overrides=None, restored_from=None):
    """Import one text into ``source`` (None: a new source) exactly as the import command does; one transaction.

    Returns a SourceResult. Raises ImportFailed (nothing written) when the text cannot become a source, when
    the identity guard refuses and ``replace`` is False, or StaleImport when ``expected_version`` (the
    preview's ``version_number``) is no longer the source's current version.
    """
    source_file = source_file_from_text(
        text, metadata, source=source, slug=slug, origin=origin or (source.origin if source else ""),
        kind_overrides=kind_overrides,
    )
    existing = set(Source.objects.filter(slug=source_file.slug).values_list("slug", flat=True))
    try:
        with transaction.atomic():
            return write(
                source_file, timezone.now(), by=by, replace=replace, expected_version=expected_version,
                restored_from=restored_from,
            )
    except IntegrityError:
        raise concurrent_import_failure([source_file], existing) from None


def restore_version(version, *, by=None, expected_version=None):
    """Undo: make an earlier version's text the source's current text again, as a new version.

    Its passages are split as they were in that version (kinds included), so the restored version reads the
    same; citations re-anchor as for any import. Returns a SourceResult.
    """
    source = version.source
    placements = version.placements.select_related("passage").order_by("ordinal")
    passages = [
        passage_text.SplitPassage(ordinal=p.ordinal, text=p.passage.text, start=p.start, end=p.end, kind=p.kind)
        for p in placements
    ]
    metadata = {name: getattr(source, name) for name in METADATA_FIELDS}
    source_file = SourceFile(
        path=Path(version.origin or source.origin or "restored text"), text=version.text, slug=source.slug,
        metadata=metadata, passages=passages,
    )
    with transaction.atomic():
        return write(
            source_file, timezone.now(), by=by, replace=True, expected_version=expected_version,
            restored_from=version,
        )
