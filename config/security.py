"""Who is logging in from where: the client address that login lockouts count against."""
from django.conf import settings
from django.shortcuts import render


def client_ip(request):
    """The address of the client, as our own proxy saw it.

    Behind a TLS proxy (``DJANGO_BEHIND_TLS_PROXY``) the connection comes from
    the proxy, which appends the real client to ``X-Forwarded-For``; only that
    last entry is trusted, since a client can send any earlier ones itself.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets: what happened, for how long, and what to do (HTTP 429)."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {"username": username, "minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "registration/locked_out.html", context, status=429)
