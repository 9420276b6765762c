"""Response cache: one interface, an in-process LRU (default) and Redis.

Keys are ``sha256`` of (payload format, computation name, model name, model version, the exact
JSON of the validated request body). The body JSON is pydantic's serialisation of the validated
model: floats in their shortest round-trip form, so two bodies that differ in the last bit of one
number get two keys (an answer near an undamped pole can differ by 1e-3 between them), while
``1`` and ``1.0`` in a float field are one value after validation. Values are compressed bytes
(zlib) with a TTL on every write; never pickle.

Identical misses in several processes compute once: :meth:`acquire` takes a short lock on the key
(Redis ``SET NX PX`` with a random token; released only by its holder, expiring by itself if the
holder dies), and the other processes wait for the stored answer.

Redis faults never fail a request: every Redis call is wrapped, the fault is logged and counted in
``stats.errors``, and the caller computes as if it were a miss (fail open).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final, Protocol

from app.observability import record_cache
from app.settings import Settings

log = logging.getLogger("app.cache")

KEY_PREFIX = "susc:v1:"


#: Consecutive Redis faults after which the circuit opens (calls skip Redis for a while).
BREAKER_FAULTS: Final = 3
#: How long an open circuit skips Redis before one call probes it again, seconds.
BREAKER_COOLDOWN_S: Final = 5.0
#: At most one fault log line per this many seconds (the count of the others goes with it).
FAULT_LOG_INTERVAL_S: Final = 10.0


@dataclass
class CacheStats:
    """Counters of one cache instance (exposed at /readyz and in tests)."""

    hits: int = 0
    misses: int = 0
    sets: int = 0
    errors: int = 0
    last_error: str | None = None
    error_log: list[str] = field(default_factory=list)

    skipped: int = 0  # calls not sent because the circuit was open
    _last_log: float = -1e9
    _unlogged: int = 0

    def fault(self, what: str, exc: BaseException) -> None:
        self.errors += 1
        record_cache("error")
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        now = time.monotonic()
        if now - self._last_log >= FAULT_LOG_INTERVAL_S:  # at most one line per interval
            more = f" ({self._unlogged} more faults since the last line)" if self._unlogged else ""
            log.warning("cache fault during %s: %r (computing without cache)%s", what, exc, more)
            self._last_log, self._unlogged = now, 0
        else:
            self._unlogged += 1


class Cache(Protocol):
    """What the service needs of a cache. Implementations never raise on backend faults."""

    backend: str
    stats: CacheStats

    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl_s: int) -> None: ...
    async def acquire(self, key: str, ttl_ms: int) -> str | None:
        """A token when this process may compute ``key``, ``None`` while another holds it."""
        ...

    async def locked(self, key: str) -> bool:
        """Whether another process holds the lock of ``key``."""
        ...

    async def release(self, key: str, token: str) -> None: ...
    async def ping(self) -> tuple[bool, str]: ...
    async def close(self) -> None: ...


#: Version of the stored answer's layout (meta.checks shape, data layout), part of every key: a
#: deployment that changes the layout never serves an entry written in the old one.
PAYLOAD_FORMAT = 3  # 2: typed checks from core reports; 3: exact keys, computation name in key


def cache_key(name: str, model: str, version: str, body_json: bytes) -> str:
    """Hex sha256 of (payload format, computation name, model, version, exact body JSON). Stable
    across processes and hosts (pydantic's JSON of a validated model is deterministic)."""
    h = hashlib.sha256(f"{PAYLOAD_FORMAT}\0{name}\0{model}\0{version}\0".encode())
    h.update(body_json)
    return h.hexdigest()


class MemoryCache:
    """Bounded in-process LRU with per-entry expiry. Used from the event loop only."""

    backend = "memory"

    def __init__(self, max_items: int = 512, max_bytes: int = 256 * 2**20):
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    async def get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._drop(key)
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if len(value) > self.max_bytes or self.max_items == 0:
            return
        if key in self._data:
            self._drop(key)
        self._data[key] = (time.monotonic() + ttl_s, value)
        self._bytes += len(value)
        while len(self._data) > self.max_items or self._bytes > self.max_bytes:
            self._drop(next(iter(self._data)))

    def _drop(self, key: str) -> None:
        _, value = self._data.pop(key)
        self._bytes -= len(value)

    async def acquire(self, key: str, ttl_ms: int) -> str | None:
        return "local"  # one process: the service's in-flight table already shares misses

    async def locked(self, key: str) -> bool:
        return False

    async def release(self, key: str, token: str) -> None:
        return None

    async def ping(self) -> tuple[bool, str]:
        return True, f"in-process LRU, {len(self._data)} entries, {self._bytes} bytes"

    async def close(self) -> None:
        self._data.clear()
        self._bytes = 0


class RedisCache:
    """Redis-backed cache (redis.asyncio). Every fault is logged, counted and swallowed."""

    backend = "redis"

    def __init__(
        self,
        url: str,
        timeout_s: float = 0.5,
        prefix: str = KEY_PREFIX,
        cooldown_s: float = BREAKER_COOLDOWN_S,
    ):
        import redis.asyncio as aioredis

        self.url = url
        self.prefix = prefix
        self.stats = CacheStats()
        self.cooldown_s = cooldown_s
        self._faults = 0
        self._open_until = 0.0
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=30,
        )
        # delete the lock only if it still holds our token (it may have expired and been taken)
        self._release = self._redis.register_script(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
            "else return 0 end"
        )

    # Circuit breaker: after BREAKER_FAULTS consecutive faults, get/set skip Redis (answering as
    # a miss / dropping the write) for BREAKER_COOLDOWN_S, then one call probes it; a success
    # closes the circuit. A hung Redis then costs one timeout per cooldown, not two per request.

    @property
    def circuit_open(self) -> bool:
        return self._open_until > time.monotonic()

    def _allow(self) -> bool:
        if self._open_until == 0.0:
            return True
        if self.circuit_open:
            self.stats.skipped += 1
            record_cache("skipped")
            return False
        return True  # half-open: this call probes

    def _ok(self) -> None:
        if self._open_until:
            log.info("cache circuit closed: redis at %s answers again", _redact(self.url))
        self._faults, self._open_until = 0, 0.0

    def _failed(self, what: str, exc: BaseException) -> None:
        self.stats.fault(what, exc)
        self._faults += 1
        if self._faults >= BREAKER_FAULTS:
            if not self.circuit_open:
                log.warning(
                    "cache circuit open for %.1f s after %d faults: computing without cache",
                    self.cooldown_s,
                    self._faults,
                )
            self._open_until = time.monotonic() + self.cooldown_s

    async def get(self, key: str) -> bytes | None:
        if not self._allow():
            return None
        try:
            value = await self._redis.get(self.prefix + key)
        except Exception as exc:  # redis errors, OSError, timeouts: fail open
            self._failed("get", exc)
            return None
        self._ok()
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if not self._allow():
            return
        try:
            await self._redis.set(self.prefix + key, value, ex=ttl_s)
        except Exception as exc:
            self._failed("set", exc)
            return
        self._ok()

    # Cross-process lock of a miss. Faults fail open: the caller computes (at worst twice).

    async def acquire(self, key: str, ttl_ms: int) -> str | None:
        token = secrets.token_hex(16)
        if not self._allow():
            return token
        try:
            got = await self._redis.set(self.prefix + "lock:" + key, token, nx=True, px=ttl_ms)
        except Exception as exc:
            self._failed("lock", exc)
            return token
        self._ok()
        return token if got else None

    async def locked(self, key: str) -> bool:
        if not self._allow():
            return False
        try:
            n = await self._redis.exists(self.prefix + "lock:" + key)
        except Exception as exc:
            self._failed("lock", exc)
            return False
        self._ok()
        return bool(n)

    async def release(self, key: str, token: str) -> None:
        if not self._allow():
            return
        try:
            await self._release(keys=[self.prefix + "lock:" + key], args=[token])
        except Exception as exc:
            self._failed("unlock", exc)
            return
        self._ok()

    async def ping(self) -> tuple[bool, str]:
        """Always asks Redis (also while the circuit is open: /readyz tells the truth, and a
        success closes the circuit)."""
        try:
            await self._redis.ping()
        except Exception as exc:
            self._failed("ping", exc)
            return False, f"redis at {_redact(self.url)} unreachable: {type(exc).__name__}: {exc}"
        self._ok()
        return True, f"redis at {_redact(self.url)}"

    async def clear(self) -> int:
        """Delete this cache's keys with SCAN + UNLINK (never KEYS). Returns the count."""
        n = 0
        try:
            async for k in self._redis.scan_iter(match=self.prefix + "*", count=500):
                n += int(await self._redis.unlink(k))
        except Exception as exc:
            self.stats.fault("clear", exc)
        return n

    async def close(self) -> None:
        try:
            await self._redis.aclose()
        except Exception as exc:  # pragma: no cover - closing a dead pool
            self.stats.fault("close", exc)


def make_cache(settings: Settings) -> Cache:
    """Redis when ``REDIS_URL`` is set, else the in-process LRU."""
    if settings.redis_url:
        return RedisCache(
            settings.redis_url, timeout_s=settings.redis_timeout_s, prefix=settings.cache_key_prefix
        )
    return MemoryCache(settings.memory_cache_items, settings.memory_cache_bytes)


def _redact(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
