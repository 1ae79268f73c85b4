"""Faults for tests: a port nothing listens on, a server that accepts and never answers, and a real Redis.

Redis tests need a real server. Locally they are skipped, saying why, when
none answers at ``TEST_REDIS_URL``; in CI (``CI=true``) a missing Redis fails.
"""
import os
import socket
import threading
import unittest

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def in_ci():
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def closed_port():
    """A local port that refuses connections: bound to find a free one, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SilentServer:
    """A listening socket that accepts connections and never reads or answers; counts the connections."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.socket.settimeout(0.05)
        while not self._stopped.is_set():
            try:
                connection, _ = self.socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(connection)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stopped.set()
        self._thread.join()
        for connection in self.connections:
            connection.close()
        self.socket.close()


def redis_or_skip(url=TEST_REDIS_URL):
    """The URL of a Redis that answers PING; otherwise skip the test (locally) or fail it (in CI)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        message = f"no Redis answers at {url} ({error}); start redis-server or set TEST_REDIS_URL"
        if in_ci():
            raise RuntimeError(f"Redis tests cannot run in CI: {message}") from error
        raise unittest.SkipTest(message) from error
    return url


def redis_cache(url, **options):
    """CACHES for a ResilientRedisCache at ``url`` with short timeouts and ``options``."""
    return {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "briefings-test",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2, "BACKOFF_SECONDS": 60, **options},
        }
    }
