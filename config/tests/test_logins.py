"""Guessing passwords: after five failures an account is locked for a while from that address."""
import datetime

import time_machine
from axes.models import AccessAttempt
from django.test import TestCase, override_settings

from briefings.tests.factories import make_user

START = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
LOGIN = "/admin/login/?next=/admin/"


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])  # fast: many logins
class LoginLockoutTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("nino", "Analyst")
        cls.user.set_password("correct horse battery staple")
        cls.user.save()

    def attempt(self, password, *, username="nino", address="203.0.113.7"):
        return self.client.post(
            LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address
        )

    def fail(self, times, **kwargs):
        """``times`` wrong passwords; the fifth is the one that locks."""
        for number in range(1, times + 1):
            response = self.attempt("wrong password", **kwargs)
            self.assertEqual(response.status_code, 429 if number >= 5 else 200)

    def test_right_password_logs_in(self):
        """A user who types the right password is let in, even after a few mistakes."""
        self.fail(4)
        response = self.attempt("correct horse battery staple")
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)

    def test_fifth_failure_locks_the_account(self):
        """After five wrong passwords even the right one is refused, with a page that says why."""
        self.fail(4)
        response = self.attempt("wrong password")
        self.assertEqual(response.status_code, 429)
        response = self.attempt("correct horse battery staple")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed logins", status_code=429)
        self.assertContains(response, "refused for 15 minutes", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_lock_holds_only_for_that_account_from_that_address(self):
        """A locked account can still log in from another address, and other accounts are unaffected."""
        make_user("tamar", "Analyst")
        self.fail(5)
        response = self.attempt("correct horse battery staple", address="198.51.100.20")
        self.assertEqual(response.status_code, 302)
        self.client.logout()
        response = self.attempt("wrong password", username="tamar")
        self.assertEqual(response.status_code, 200)

    def test_lock_expires(self):
        """Once the lock period is over the right password works again."""
        with time_machine.travel(START, tick=False) as traveller:
            self.fail(5)
            traveller.shift(datetime.timedelta(minutes=14))
            self.assertEqual(self.attempt("correct horse battery staple").status_code, 429)
            traveller.shift(datetime.timedelta(minutes=2))
            response = self.attempt("correct horse battery staple")
        self.assertEqual(response.status_code, 302)

    def test_success_clears_the_count(self):
        """A successful login starts the count of failures again from zero."""
        self.fail(4)
        self.attempt("correct horse battery staple")
        self.client.logout()
        self.assertFalse(AccessAttempt.objects.filter(username="nino").exists())
        self.fail(4)
        self.assertEqual(self.attempt("correct horse battery staple").status_code, 302)

    def test_failures_are_counted_per_account_and_address(self):
        """The record of attempts names the account and the address, so an operator can unlock it."""
        self.fail(3)
        attempt = AccessAttempt.objects.get()
        recorded = (attempt.username, attempt.ip_address, attempt.failures_since_start)
        self.assertEqual(recorded, ("nino", "203.0.113.7", 3))

    @override_settings(BEHIND_TLS_PROXY=True)
    def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw(self):
        """Behind the TLS proxy, an address the client made up in X-Forwarded-For cannot dodge the lock."""
        for forged in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
            self.client.post(
                LOGIN, {"username": "nino", "password": "wrong"},
                REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.9",
            )
        response = self.client.post(
            LOGIN, {"username": "nino", "password": "correct horse battery staple"},
            REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.6, 203.0.113.9",
        )
        self.assertEqual(response.status_code, 429)
