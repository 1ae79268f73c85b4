"""Who is logging in from where: the client address that login lockouts, logs and the cache count against.

A connection's own address (``REMOTE_ADDR``) is the only one nobody can make
up. ``X-Forwarded-For`` is read only when that connection comes from a proxy
the operator named in ``DJANGO_TRUSTED_PROXIES`` (addresses or networks); an
empty list, the default, trusts no forwarded header at all.
"""
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render


@lru_cache(maxsize=8)
def _networks(proxies):
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"DJANGO_TRUSTED_PROXIES: {proxy!r} is neither an IP address nor a network ({error})."
            ) from None
    return tuple(networks)


def trusted_proxy_networks():
    """The networks of ``TRUSTED_PROXIES``, parsed once; a bad entry is a configuration error."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _address(text):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted_proxy(address):
    networks = trusted_proxy_networks()
    parsed = _address(address or "")
    return parsed is not None and any(parsed in network for network in networks)


def client_ip(request):
    """The address of the client: the connection's own, or, from a trusted proxy, the client it forwarded.

    Each proxy appends the address it saw to ``X-Forwarded-For``, so the list
    is read from the right: past our own proxies, the first address none of
    them is is the client. Anything to its left came from the client itself
    and could be made up.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not is_trusted_proxy(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    client = remote
    for entry in reversed([part for part in forwarded if part]):
        address = _address(entry)
        if address is None:
            break  # garbage where an address should be: the last hop we trust is as far as we can see
        client = str(address)
        if not is_trusted_proxy(client):
            break
    return client


class TrustedProxyMiddleware:
    """Forwarded headers count only when a trusted proxy sent them.

    From any other peer ``X-Forwarded-Proto`` and ``X-Forwarded-For`` are
    dropped before Django reads them, so a client talking to the site directly
    cannot pass for HTTPS (``SECURE_PROXY_SSL_HEADER``) or for another address.
    """

    FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in self.FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets: what happened, for how long, and what to do (HTTP 429)."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {"username": username, "minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "registration/locked_out.html", context, status=429)
