"""Health and faults: the check load balancers poll, and the answer when the database is out of reach.

``/healthz`` answers 200 ``{"status": "ok"}`` when the database and the cache
both work; 200 ``{"status": "degraded"}`` when only the cache is down (pages
are still served, uncached, so a load balancer must keep the site in); 503
``{"status": "unavailable"}`` when the database is down. Each check names what
failed; details go to the log, not to the caller.
"""
import logging
import sys
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


CHECKS = {"database": check_database, "cache": check_cache}
# Without these the site cannot serve at all; anything else failing only degrades it.
ESSENTIAL = {"database"}


@never_cache
@require_GET
def healthz(request):
    """200 "ok"; 200 "degraded" naming what is down when the site still serves; 503 when it cannot."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("Health check failed: %s", name)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    down = {name for name, result in results.items() if result != "ok"}
    if down & ESSENTIAL:
        status, code = "unavailable", 503
    elif down:
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": results}, status=code)


def server_error(request, template_name="500.html"):
    """A server error; when the database is out of reach, a 503 asking to come back shortly instead of a 500."""
    if not isinstance(sys.exc_info()[1], DatabaseError):
        return django_server_error(request, template_name)
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
