from django.dispatch import Signal

# Sent by the importer, inside its transaction, after a source's text changed
# on re-import. Arguments: ``source`` (the updated Source), ``retired`` (the
# passages that vanished from the new version). Receivers may return a
# ``collections.Counter`` of outcomes (e.g. {"reanchored": 2, "orphaned": 1})
# which the import command adds to its summary. The importer saves the source
# after sending it, so post_save receivers see the passages and whatever the
# receivers of this signal moved.
source_text_changed = Signal()

# Sent when the admin previews a replacement of a source's text, before anything
# is written. Arguments: ``source``, ``retired`` (the current passages the new
# text would retire). Receivers return a list of what cites those passages, each
# a dict with ``label`` (e.g. "[^2] in “Baku’s balancing act”"), ``url`` (an
# admin address) and ``status`` (e.g. "published"); the preview lists them.
source_replacement_previewed = Signal()
