"""Anonymous reads of the reader site skip the middleware that only signed-in people and forms need.

A GET of a reader page from someone without a session cookie gets the same
answer as everyone else (the page cache depends on it): sessions have nothing
to load or save, CSRF nothing to check (no unsafe method, no form to sign),
authentication nobody to find, messages nothing to show and login lockouts
no login to count. Passing those five by is a fifth of the time of a trivial
view. Everything else keeps the full stack: the admin and login pages, every
method but GET and HEAD, and any request that carries a session cookie (an
editor reading the site), as does an address that matches no reader page.

``AnonymousReadMiddleware`` stands right before the five in ``MIDDLEWARE``;
they stay listed there as Django's own classes, so Django's and the admin's
checks still see them, and it refuses to start if they do not follow it in
that order.
"""
from functools import lru_cache

from axes.middleware import AxesMiddleware
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve

READER_SITE = "public"  # the URL namespace of the reader site (public/urls.py)
SIGNED_IN_STACK = (SessionMiddleware, CsrfViewMiddleware, AuthenticationMiddleware, MessageMiddleware, AxesMiddleware)
SAFE_METHODS = ("GET", "HEAD")


@lru_cache(maxsize=4096)
def _is_reader_page(path, urlconf):
    # Remembered per address: resolving costs as much as the middleware it lets a request skip. Bounded, so
    # made-up addresses cost a resolve each, never memory.
    try:
        return resolve(path, urlconf).namespace == READER_SITE
    except Resolver404:
        return False


def is_anonymous_read(request):
    """A GET or HEAD of a reader page, from someone without a session."""
    if request.method not in SAFE_METHODS or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    return _is_reader_page(request.path_info, getattr(request, "urlconf", None) or settings.ROOT_URLCONF)


def _handler_after(handler, skipped):
    """What ``handler`` (the middleware chain from ``skipped[0]`` on) calls after the ``skipped`` middleware."""
    for kind in skipped:
        # Django wraps each middleware in convert_exception_to_response, which keeps it as ``__wrapped__``.
        middleware = getattr(handler, "__wrapped__", handler)
        if not isinstance(middleware, kind):
            names = ", ".join(f"{step.__module__}.{step.__name__}" for step in skipped)
            raise ImproperlyConfigured(f"AnonymousReadMiddleware must be followed in MIDDLEWARE by {names}.")
        handler = middleware.get_response
    return handler


class AnonymousReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.past_signed_in_stack = _handler_after(get_response, SIGNED_IN_STACK)

    def __call__(self, request):
        if is_anonymous_read(request):
            # What AuthenticationMiddleware would have found without a session, for code that asks.
            request.user = AnonymousUser()
            return self.past_signed_in_stack(request)
        return self.get_response(request)
