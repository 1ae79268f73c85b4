"""Guessing passwords: after five failures an account is locked for a while from that address."""
import datetime

import time_machine
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings

from briefings.tests.factories import make_user
from config.security import TrustedProxyMiddleware, client_ip

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

    def test_forged_forwarded_addresses_from_an_untrusted_peer_still_lock(self):
        """A client changing X-Forwarded-For on every try is counted by its own address and still locked out."""
        for number in range(1, 13):
            response = self.client.post(
                LOGIN, {"username": "nino", "password": "wrong"},
                REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}",
            )
        self.assertEqual(response.status_code, 429)
        response = self.client.post(
            LOGIN, {"username": "nino", "password": "correct horse battery staple"},
            REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.99",
        )
        self.assertEqual(response.status_code, 429)
        self.assertEqual(list(AccessAttempt.objects.values_list("ip_address", flat=True)), ["192.0.2.1"])

    @override_settings(TRUSTED_PROXIES=["192.0.2.0/28"])
    def test_an_attackers_failures_never_lock_out_the_real_user(self):
        """Someone guessing from one address behind the proxy leaves the real user, from another, free to log in."""
        for _ in range(12):
            self.client.post(
                LOGIN, {"username": "nino", "password": "wrong"},
                REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7",
            )
        response = self.client.post(
            LOGIN, {"username": "nino", "password": "correct horse battery staple"},
            REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.50",
        )
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)

    @override_settings(TRUSTED_PROXIES=["192.0.2.0/28", "10.1.0.0/16"])
    def test_behind_trusted_proxies_the_client_is_the_rightmost_untrusted_address(self):
        """Through two trusted proxies the lock falls on the address the outer proxy saw, not a made-up one."""
        for forged in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
            self.client.post(
                LOGIN, {"username": "nino", "password": "wrong"},
                REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.9, 10.1.2.3",
            )
        attempt = AccessAttempt.objects.get()
        self.assertEqual((attempt.ip_address, attempt.failures_since_start), ("203.0.113.9", 5))
        response = self.client.post(
            LOGIN, {"username": "nino", "password": "correct horse battery staple"},
            REMOTE_ADDR="192.0.2.2", HTTP_X_FORWARDED_FOR="not-an-address, 203.0.113.9",
        )
        self.assertEqual(response.status_code, 429)


class ClientAddressTests(SimpleTestCase):
    def client_ip(self, remote, forwarded=None):
        headers = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            headers["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_ip(RequestFactory().get("/", **headers))

    def test_nothing_forwarded_is_trusted_by_default(self):
        """Out of the box the connection's own address counts, whatever a header claims."""
        self.assertEqual(self.client_ip("198.51.100.1", "203.0.113.5"), "198.51.100.1")

    @override_settings(TRUSTED_PROXIES=["127.0.0.1", "2001:db8::/32"])
    def test_a_trusted_proxy_names_the_client(self):
        """From a named proxy (address or network, IPv4 or IPv6) the forwarded client counts."""
        self.assertEqual(self.client_ip("127.0.0.1", "203.0.113.5"), "203.0.113.5")
        self.assertEqual(self.client_ip("2001:db8::1", "1.2.3.4, 2001:db8::9"), "1.2.3.4")
        self.assertEqual(self.client_ip("127.0.0.1"), "127.0.0.1")
        self.assertEqual(self.client_ip("127.0.0.1", "garbage"), "127.0.0.1")

    @override_settings(TRUSTED_PROXIES=["127.0.0.1"])
    def test_forwarded_headers_from_others_are_dropped(self):
        """A client talking to the site directly cannot claim HTTPS or another address through headers."""
        seen = {}

        def view(request):
            seen.update(request.META)
            return HttpResponse()

        TrustedProxyMiddleware(view)(RequestFactory().get(
            "/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="1.2.3.4"
        ))
        self.assertNotIn("HTTP_X_FORWARDED_PROTO", seen)
        self.assertNotIn("HTTP_X_FORWARDED_FOR", seen)
        TrustedProxyMiddleware(view)(RequestFactory().get(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="1.2.3.4"
        ))
        self.assertEqual(seen["HTTP_X_FORWARDED_PROTO"], "https")

    @override_settings(TRUSTED_PROXIES=["not a network"])
    def test_a_misspelt_proxy_is_a_configuration_error(self):
        """An operator's typo in the proxy list stops the site with a message naming the entry."""
        with self.assertRaisesMessage(ImproperlyConfigured, "'not a network'"):
            self.client_ip("127.0.0.1", "1.2.3.4")
