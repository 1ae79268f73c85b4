"""A cookie that tells a public page's script that staff may be signed in, so readers' browsers ask nothing.

Public pages are the same for everyone and cached, so staff controls on them
(citing selected words, ``static/js/cite-selection.js``) come from a separate
request to the admin. The script makes that request only when this cookie is
present. It is set when a member of staff signs in and cleared when they sign
out (or when the admin answers that they are not signed in any more); it is
readable by scripts and holds no secret: the server never trusts it, the
admin's own session does the deciding.
"""
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out

STAFF_HINT_COOKIE = "briefings_staff"


def set_hint(response):
    response.set_cookie(
        STAFF_HINT_COOKIE, "1", max_age=settings.SESSION_COOKIE_AGE, path="/", secure=settings.SESSION_COOKIE_SECURE,
        httponly=False, samesite="Lax",
    )


def clear_hint(response):
    response.delete_cookie(STAFF_HINT_COOKIE, path="/", samesite="Lax")


def note_login(sender, request, user, **kwargs):
    if request is not None:
        request.staff_hint = bool(user.is_active and user.is_staff)


def note_logout(sender, request, user, **kwargs):
    if request is not None:
        request.staff_hint = False


def connect_signals():
    """Connected in ``BriefingsConfig.ready``."""
    user_logged_in.connect(note_login, dispatch_uid="briefings-staff-hint-login")
    user_logged_out.connect(note_logout, dispatch_uid="briefings-staff-hint-logout")


class StaffHintMiddleware:
    """Sets or clears the hint on the answer to a sign-in or sign-out; every other answer is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        hint = getattr(request, "staff_hint", None)
        if hint is True:
            set_hint(response)
        elif hint is False and STAFF_HINT_COOKIE in request.COOKIES:
            clear_hint(response)
        return response
