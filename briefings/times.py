"""Times as the desk shows them: in the desk's time zone (``TIME_ZONE``, set by ``DJANGO_TIME_ZONE``), named.

Templates say the same with ``|date:"DATETIME_FORMAT"``: the format, with its time
zone, is the project's own (``config/formats/``), for the admin's columns too.
"""
from django.utils import timezone
from django.utils.formats import date_format


def desk_time(value):
    """``value`` (an aware datetime) in the desk's time zone, e.g. "3 December 2026, 09:30 +04"."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")
