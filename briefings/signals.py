from django.dispatch import Signal

# Sent after rows readers see were written in bulk (bulk_create, update, raw deletes), which send no
# model signals, so that the reader site's cache learns of them without the writer importing it.
# Senders: the demo corpus generator. No arguments.
rows_written_in_bulk = Signal()
