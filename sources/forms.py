"""Adding a source, or replacing a source's text, from the admin: preview first, then save.

The admin previews with ``importer.preview`` and saves with
``importer.import_text``: the importer's own reading (web pages, size limit,
chrome-only refusal, derived title and slug) and its own write, version and
identity guard, so a source added here is exactly the source the command would
have made of the same file. Between the preview and the save the submitted
bytes wait in a folder (``SOURCES_PENDING_DIR``) under the SHA-256 of their
content, and a signed token records what was previewed: the bytes' hash, the
slug and the source's version number. A save whose source changed meanwhile is
refused by the importer (``expected_version``).
"""
import hashlib
import tempfile
import time
from collections import Counter
from pathlib import Path

from django import forms
from django.conf import settings
from django.core import signing

from . import importer
from .models import Source
from .signals import source_replacement_previewed

PASTED_NAME = "pasted.txt"
TOKEN_SALT = "sources.intake"
TOKEN_MAX_AGE = 24 * 60 * 60
METADATA_FIELDS = ("title", "publisher", "authors", "url", "published_on", "language")


def pending_dir():
    folder = Path(settings.SOURCES_PENDING_DIR or Path(tempfile.gettempdir()) / "briefings-intake")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_pending(raw):
    """Store ``raw`` until the save; return its SHA-256. Files older than the token's life are removed."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = pending_dir()
    cutoff = time.time() - TOKEN_MAX_AGE
    for old in folder.glob("*.pending"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    (folder / f"{digest}.pending").write_bytes(raw)
    return digest


def read_pending(digest):
    path = pending_dir() / f"{digest}.pending"
    raw = path.read_bytes() if path.is_file() else None
    if raw is None or hashlib.sha256(raw).hexdigest() != digest:
        return None
    return raw


class SourceIntakeForm(forms.ModelForm):
    """A paste or an upload, and the metadata to set; empty metadata fields are taken from the page or text."""

    upload = forms.FileField(
        required=False, label="File", help_text="A .txt file or a saved web page (.html)."
    )
    pasted = forms.CharField(
        required=False, strip=False, label="Or paste the text", widget=forms.Textarea(attrs={"rows": 12}),
    )
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Original URL")
    slug = forms.SlugField(required=False, max_length=200, help_text="Leave empty to make it from the title.")
    confirm_replacement = forms.BooleanField(
        required=False, label="Replace it anyway",
        help_text="Only when the preview warns that the new text looks like another article and you are sure.",
    )
    pending = forms.CharField(required=False, widget=forms.HiddenInput)
    pending_name = forms.CharField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Source
        fields = list(METADATA_FIELDS)
        help_texts = {"title": "Leave empty to take the page's title or the text's headline."}

    def __init__(self, *args, replacing=None, **kwargs):
        self.replacing = replacing
        super().__init__(*args, instance=replacing, **kwargs)
        if replacing:
            del self.fields["slug"]
        else:
            del self.fields["confirm_replacement"]
        self.planned = self.outcome = self.diff = None

    # Reading ----------------------------------------------------------------

    def submitted_bytes(self):
        """(file name, bytes) of the upload, the paste, or what the preview kept; raise ValidationError."""
        upload, pasted = self.cleaned_data.get("upload"), self.cleaned_data.get("pasted") or ""
        limit = importer.max_file_bytes()
        if upload:
            if upload.size > limit:
                raise forms.ValidationError(f"The file {importer.too_large(upload.size)}.")
            name = Path(upload.name).name
            if Path(name).suffix.lower() not in importer.SOURCE_SUFFIXES:
                raise forms.ValidationError("Upload a .txt file or a saved web page (.html).")
            return name, upload.read()
        if pasted.strip():
            raw = pasted.encode("utf-8")
            if len(raw) > limit:
                raise forms.ValidationError(f"The pasted text {importer.too_large(len(raw))}.")
            return PASTED_NAME, raw
        digest = self.cleaned_data.get("pending")
        if digest:
            raw = read_pending(digest)
            if raw is None:
                raise forms.ValidationError("The previewed text is no longer kept; upload or paste it again.")
            return self.cleaned_data.get("pending_name") or PASTED_NAME, raw
        raise forms.ValidationError("Upload a file or paste the text of the article: nothing was given.")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        name, raw = self.submitted_bytes()
        # A replacement passes only the fields the editor changed, so the identity guard still compares the
        # new text's own headline with the source's title.
        given = [key for key in METADATA_FIELDS if not self.replacing or key in self.changed_data]
        overrides = {key: cleaned[key] for key in given if cleaned.get(key) not in (None, "")}
        slug = None if self.replacing else cleaned.get("slug") or None
        origin = name if name != PASTED_NAME else "pasted text"
        self.import_arguments = {"metadata": overrides, "slug": slug, "origin": origin}
        try:
            self.planned = importer.source_file_from_text(raw, overrides, source=self.replacing, slug=slug,
                                                          origin=origin)
            self.outcome = importer.preview(self.replacing, raw, **self.import_arguments)
        except importer.ImportFailed as failure:
            what = "file" if name != PASTED_NAME else "text"
            raise forms.ValidationError([f"The {what} {problem.reason}." for problem in failure.problems]) from None
        if not self.replacing and Source.objects.filter(slug=self.planned.slug).exists():
            raise forms.ValidationError(
                f"A source at the address {self.planned.slug!r} exists already; give another slug, or replace "
                "that source's text."
            )
        self.raw, self.name, self.digest = raw, name, hashlib.sha256(raw).hexdigest()
        if self.replacing:
            self.diff = replacement_diff(self.replacing, self.outcome)
        return cleaned

    # Preview and save -------------------------------------------------------

    def preview_token(self):
        """Keep the submitted bytes and sign what the preview showed."""
        keep_pending(self.raw)
        return signing.dumps(
            {"digest": self.digest, "slug": self.planned.slug, "version": self.outcome.version_number},
            salt=TOKEN_SALT,
        )

    def save_previewed(self, by):
        """Import what was previewed, as ``by``; raise ImportFailed (StaleImport) or ValidationError."""
        try:
            previewed = signing.loads(self.cleaned_data.get("token") or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature:
            raise forms.ValidationError("Preview the source before saving it.") from None
        if previewed["digest"] != self.digest or previewed["slug"] != self.planned.slug:
            raise forms.ValidationError("The text or address changed since the preview; preview it again.")
        confirmed = bool(self.cleaned_data.get("confirm_replacement"))
        if self.outcome.refusal and not confirmed:
            raise forms.ValidationError(
                f"{self.outcome.refusal} Tick “Replace it anyway” if this is the same article."
            )
        result = importer.import_text(
            self.replacing, self.raw, by=by, replace=confirmed, expected_version=previewed["version"],
            **self.import_arguments,
        )
        (pending_dir() / f"{self.digest}.pending").unlink(missing_ok=True)
        return result

    def preview(self):
        """What the page shows before anything is written."""
        passages = self.planned.passages
        repeated = Counter(line.strip() for line in self.planned.text.split("\n") if line.strip())
        return {
            "source_file": self.planned,
            "outcome": self.outcome,
            "kinds": Counter(p.kind for p in passages),
            "story": [p for p in passages if p.citable],
            "boilerplate": [p for p in passages if not p.citable],
            "collapsed": sum(count - 1 for count in repeated.values() if count > 1),
            "diff": self.diff,
        }


def replacement_diff(source, outcome):
    """What replacing ``source``'s text would add, change and retire (from the importer's preview), and the
    citations it touches (from whoever answers ``source_replacement_previewed``: the briefings app)."""
    moving = [*outcome.retired, *(old for old, _ in outcome.changed)]
    citations = []
    for _receiver, touched in source_replacement_previewed.send(sender=Source, source=source, retired=moving):
        citations.extend(touched or ())
    return {
        "kept": len(outcome.passages) - len(outcome.added) - len(outcome.changed),
        "added": outcome.added,
        "changed": outcome.changed,
        "retired": outcome.retired,
        "refusal": outcome.refusal,
        "citations": citations,
    }
