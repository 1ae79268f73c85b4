"""Cache backends with limits: a process-memory cache with a byte budget, and a Redis that fails fast.

The page cache is an optimisation. Django's local-memory cache bounds the
number of entries, not their size, so a few large pages could take a worker's
memory; ``ByteBudgetLocMemCache`` forgets the least recently used entries once
the budget is spent. A Redis that is down or hung must not slow every page:
``ResilientRedisCache`` waits at most its socket timeouts, and after a failure
answers "unavailable" at once for ``BACKOFF_SECONDS`` before trying Redis again.
"""
import logging
import threading
import time
from functools import wraps

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

class _Ledger:
    """The pickled size of each entry of one process-memory cache, and their sum, kept as entries come and go."""

    def __init__(self):
        self.sizes = {}
        self.total = 0

    def record(self, key, size):
        self.forget(key)
        self.sizes[key] = size
        self.total += size

    def forget(self, key):
        self.total -= self.sizes.pop(key, 0)

    def clear(self):
        self.sizes.clear()
        self.total = 0


# Per cache name, shared by the threads of one process like LocMemCache's own stores (and guarded by its lock).
_ledgers = {}


class ByteBudgetLocMemCache(LocMemCache):
    """LocMemCache holding at most ``OPTIONS["MAX_BYTES"]`` bytes of pickled values (least recently used go first).

    The bytes in use are a running total: a store of a hundred thousand entries adds one up in constant time.
    """

    def __init__(self, name, params):
        super().__init__(name, params)
        self._max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 64 * 1024 * 1024))
        self._ledger = _ledgers.setdefault(name, _Ledger())

    @property
    def bytes_used(self):
        with self._lock:
            return self._ledger.total

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        size = len(value)
        self._delete(key)
        if size > self._max_bytes:
            return  # a value larger than the whole budget would only push everything else out
        while self._cache and self._ledger.total + size > self._max_bytes:
            self._delete(next(reversed(self._cache)))
        super()._set(key, value, timeout)
        self._ledger.record(key, size)

    def _cull(self):
        if self._cull_frequency == 0:
            self._cache.clear()
            self._expire_info.clear()
            self._ledger.clear()
            return
        for _ in range(len(self._cache) // self._cull_frequency):
            self._delete(next(reversed(self._cache)))

    def _delete(self, key):
        self._ledger.forget(key)
        return super()._delete(key)

    def incr(self, key, delta=1, version=None):
        value = super().incr(key, delta, version)
        with self._lock:
            stored = self.make_and_validate_key(key, version=version)
            if stored in self._cache:
                self._ledger.record(stored, len(self._cache[stored]))
        return value

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._ledger.clear()


class CacheUnavailable(ConnectionError):
    """The cache failed a moment ago; it is not asked again until its back-off is over."""


# Per Redis address, for the whole process: when it may be asked again.
_down_until = {}
_down_lock = threading.Lock()


def _fails_fast(method):
    @wraps(method)
    def guarded(self, *args, **kwargs):
        now = time.monotonic()
        if _down_until.get(self._location, 0) > now:
            raise CacheUnavailable(f"the cache failed less than {self._backoff:g} s ago; not asking it yet")
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            if not isinstance(error, (OSError, self._redis_errors)):
                raise
            with _down_lock:
                first = _down_until.get(self._location, 0) <= now
                _down_until[self._location] = time.monotonic() + self._backoff
            if first:
                logger.error(
                    "Cache unavailable (%s); pages are served without it and it is asked again in %g s.",
                    error.__class__.__name__, self._backoff,
                )
            raise CacheUnavailable(str(error)) from error

    return guarded


class ResilientRedisCache(RedisCache):
    """RedisCache that, after a connection error or timeout, refuses at once for ``OPTIONS["BACKOFF_SECONDS"]``."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": dict(params.get("OPTIONS", {}))}
        self._backoff = float(params["OPTIONS"].pop("BACKOFF_SECONDS", 5))
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._redis_errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    add = _fails_fast(RedisCache.add)
    get = _fails_fast(RedisCache.get)
    set = _fails_fast(RedisCache.set)
    touch = _fails_fast(RedisCache.touch)
    delete = _fails_fast(RedisCache.delete)
    get_many = _fails_fast(RedisCache.get_many)
    has_key = _fails_fast(RedisCache.has_key)
    incr = _fails_fast(RedisCache.incr)
    set_many = _fails_fast(RedisCache.set_many)
    delete_many = _fails_fast(RedisCache.delete_many)
    clear = _fails_fast(RedisCache.clear)


def forget_failures():
    """Ask every cache again at once (tests, and an operator's shell after fixing Redis)."""
    with _down_lock:
        _down_until.clear()
