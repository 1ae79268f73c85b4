from django.dispatch import Signal

# Sent by the importer, inside its transaction, after a source's text changed
# on re-import. Arguments: ``source`` (the updated Source), ``retired`` (the
# passages that vanished from the new version). Receivers may return a
# ``collections.Counter`` of outcomes (e.g. {"reanchored": 2, "orphaned": 1})
# which the import command adds to its summary. The importer saves the source
# after sending it, so post_save receivers see the passages and whatever the
# receivers of this signal moved.
source_text_changed = Signal()
