from django.dispatch import Signal

# Sent after rows were written or removed in bulk (``bulk_create``, ``bulk_update``,
# ``QuerySet.update``, a ``delete`` with no per-row signal) that readers may see,
# when no ``post_save`` or ``post_delete`` was sent for them. Like those, it is
# sent inside the writing transaction: a receiver that must wait for the commit
# uses ``transaction.on_commit``. The sender is the model written, or ``Briefing``
# for a write that spans the newsroom's tables.
rows_written_in_bulk = Signal()
