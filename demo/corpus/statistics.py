"""Planner statistics after a bulk load."""
from django.contrib.auth import get_user_model
from django.db import connection

from briefings.models import (
    Briefing,
    BriefingEvent,
    Citation,
    Correction,
    Revision,
    RevisionCitation,
    RevisionTag,
    Tag,
    TaggedBriefing,
)
from sources.models import Passage, Source


def refresh_statistics():
    """Planner statistics after a bulk load, and on PostgreSQL the visibility map index-only scans need.

    The ORM has no word for this, so it is the corpus's one piece of SQL.
    VACUUM cannot run inside a transaction, so call this after ``generate`` committed.
    """
    written = [Source, Passage, get_user_model(), Tag, TaggedBriefing, Briefing, Briefing.authors.through, Citation,
               Revision, RevisionCitation, RevisionTag, BriefingEvent, Correction]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in written:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")
