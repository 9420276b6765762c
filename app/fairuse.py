"""Fair use: optional API keys, a per-client rate limit and a per-client cap on concurrent work.

One client must not be able to starve the others (issue 12, item 10). Every *computation*
request (a method other than GET/HEAD/OPTIONS on a path under ``/v1/``) passes
:class:`FairUseMiddleware`, a pure ASGI middleware that answers before the body is read:

Who is the client
    With API keys configured (``SUSC_API_KEYS_SHA256``), the key: ``X-API-Key: <key>`` or
    ``Authorization: Bearer <key>``; a missing or unknown key is 401 problem+json
    (``errors[0].field == "header:X-API-Key"``). The settings hold only sha256 hex digests of
    the keys, so neither the environment, the startup line nor a settings dump ever contains a
    key; a key is compared by its digest (``hmac.compare_digest`` against every digest). Keys
    must be random (``python -m app.fairuse new-key`` prints one and its digest): an unsalted
    digest protects a random key, not a password. The key headers are removed from the request
    before it goes further, and a key-client appears in logs and metrics only as
    ``key:<first 8 hex of its digest>``.

    Without keys, the remote address: the peer of the connection, or, when the peer is one of
    ``SUSC_TRUSTED_PROXIES``, the right-most ``X-Forwarded-For`` hop that is not a trusted
    proxy (the left part of that header is written by the client and is never believed). An
    IPv6 client is its /64 network (one host usually has a whole /64 to rotate through).

Rate limit (``rate_limit_per_s``, ``rate_burst``)
    GCRA, the token bucket written as one number per client (the theoretical arrival time
    ``tat``): with emission interval ``T = 1 / rate_limit_per_s`` and bucket size ``B =
    rate_burst``, a request at time ``t`` is admitted iff ``max(tat, t) + T - B*T <= t``, and
    then ``tat <- max(tat, t) + T``. Hence over any window of length ``W`` at most ``B + W/T``
    requests are admitted, and a refused client is told ``Retry-After = ceil(max(tat, t) + T -
    B*T - t)`` seconds: the time until its next token, so a retry after that many seconds is
    admitted (if no other request of the same client came first). A refused request takes no
    token.

Concurrency cap (``max_concurrent_per_client``)
    A lease per request in progress, released when the response has been sent (or the request
    failed or was cancelled). Over the cap: 429 with ``Retry-After: 1`` (the wait depends on the
    client's own requests in flight; one second is a short honest poll interval).

Shared state
    With ``REDIS_URL`` set, both the rate limit and the concurrency cap are shared by every
    process that uses the same Redis (several uvicorn workers, several replicas), in one atomic
    Lua script per request with Redis's clock (``TIME``), so hosts' clocks do not matter. The
    rate state is a string with a TTL (it expires when the bucket is full again); the leases
    are a sorted set ``token -> expiry`` per client, so a process that dies with requests in
    flight leaks nothing for longer than the lease TTL (``compute_timeout_s + 60`` s): expired
    leases are dropped by the next admission. We chose shared leases over per-process counters
    because a per-process cap lets a client hold ``cap x workers x replicas`` computations, which
    is exactly the starvation the cap exists to stop; INCR/DECR counters with a TTL were
    rejected because one crash leaves the count wrong until the whole key expires.

    A Redis fault never refuses and never fails a request: the request is judged by this
    process's in-process limiter instead (same settings, per-process state), counted in
    ``stats.redis_faults``, and logged at most once per 10 s. After 3 consecutive faults the
    Redis part is skipped for 5 s (the circuit breaker of app/cache.py), so a hung Redis costs
    one timeout per cooldown, not one per request. A lease taken in Redis whose release fails
    expires by its TTL. Without Redis the in-process limiter is the limiter.

Off by default
    No keys, ``rate_limit_per_s = 0`` and ``max_concurrent_per_client = 0``: then
    :func:`install_fair_use` installs nothing (zero cost for ``make run``, the tests and the
    benchmarks). GET endpoints (docs, health, presets, metrics) are never limited.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.cache import BREAKER_COOLDOWN_S, BREAKER_FAULTS, FAULT_LOG_INTERVAL_S
from app.errors import problem_response
from app.observability import record_rejection as _observe_rejection
from app.responses import FastJSONResponse
from app.settings import Settings

log = logging.getLogger("app.fairuse")

__all__ = [
    "FairUse",
    "FairUseMiddleware",
    "LocalLimiter",
    "install_fair_use",
    "key_digest",
    "record_rejection",
]

Reason = Literal["rate_limited", "too_many_concurrent"]

#: Methods that never count (reads of docs, presets, health, metrics, job status).
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Only requests under this path prefix are judged.
LIMITED_PREFIX: Final = "/v1/"
#: Retry-After of a request refused for the concurrency cap, seconds.
CONCURRENCY_RETRY_S: Final = 1
#: A lease outlives the longest computation by this much before it counts as leaked, seconds.
LEASE_GRACE_S: Final = 60.0
#: The field named in the errors[] of a 401 (``header:<name>``, as ``query:<name>`` for queries).
KEY_FIELD: Final = "header:X-API-Key"

_KEY_HEADERS: Final = (b"x-api-key", b"authorization")

# KEYS[1]: the client's GCRA state (tat, ms since the epoch of Redis's clock, as a string)
# KEYS[2]: the client's leases (sorted set: token -> expiry, ms)
# ARGV: emission interval T (ms; 0 = no rate limit), burst B, cap (0 = none), lease TTL (ms),
#       lease token
# Returns {0, "0"} admitted, {1, wait_ms} over the rate, {2, "0"} over the cap. Nothing is
# written for a refused request.
_ADMIT_LUA: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local T = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local new_tat = nil
if T > 0 then
  local tat = now
  local stored = redis.call('GET', KEYS[1])
  if stored then tat = math.max(tonumber(stored), now) end
  new_tat = tat + T
  local allow_at = new_tat - burst * T
  if allow_at > now then return {1, string.format('%.3f', allow_at - now)} end
end
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.3f', now))
  if redis.call('ZCARD', KEYS[2]) >= cap then return {2, '0'} end
  redis.call('ZADD', KEYS[2], string.format('%.3f', now + ttl), ARGV[5])
  redis.call('PEXPIRE', KEYS[2], math.ceil(ttl))
end
if new_tat then
  redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now))
end
return {0, '0'}
"""


def key_digest(key: str) -> str:
    """The sha256 hex digest of an API key (what ``SUSC_API_KEYS_SHA256`` lists)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def record_rejection(reason: str) -> None:
    """The one call site for metrics of requests this module refuses (``unauthorized``,
    ``rate_limited``, ``too_many_concurrent``): ``susc_rejections_total{reason}``."""
    _observe_rejection(reason)


def retry_after_s(wait_s: float) -> int:
    """Whole seconds a client must wait at least ``wait_s``: ``ceil``, and at least 1 (RFC 9110
    Retry-After is an integer; 0 would invite an immediate retry that is still too early)."""
    return max(1, math.ceil(wait_s))


# ---------------------------------------------------------------------------- client identity


@dataclass(frozen=True)
class Client:
    """Who a request counts against. ``id`` keys the limiter state (a key-client by its full
    digest); ``label`` is what logs and metrics may show (a key-client: 8 hex of its digest)."""

    id: str
    label: str


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from an X-Forwarded-For hop or a peer host: ``1.2.3.4``, ``1.2.3.4:80``,
    ``::1``, ``[::1]:80``; ``None`` when it is none of these."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """The networks of ``trusted_proxies`` (comma-separated addresses or CIDR networks).

    Raises ``ValueError`` naming the entry that is neither (at start-up, not per request)."""
    out: list[Network] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"trusted_proxies: {part!r} is not an address or a CIDR network "
                "(e.g. 10.0.0.0/8, 172.16.0.5, fd00::/8)"
            ) from exc
    return tuple(out)


def parse_digests(text: str) -> frozenset[str]:
    """The digests of ``api_keys_sha256`` (the settings pattern has checked their form)."""
    return frozenset(p.strip().lower() for p in text.split(",") if p.strip())


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or ():
        if k == name:
            return bytes(v).decode("latin-1")
    return None


def presented_key(scope: Scope) -> str | None:
    """The API key a request presents: ``X-API-Key``, else ``Authorization: Bearer <key>``."""
    key = _header(scope, b"x-api-key")
    if key is not None and key.strip():
        return key.strip()
    auth = _header(scope, b"authorization")
    if auth is not None and auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return None


def address_client(scope: Scope, proxies: tuple[Network, ...]) -> Client:
    """The client of a request without keys: its address (see the module docstring)."""
    peer = scope.get("client")
    host = str(peer[0]) if peer else ""
    ip = _parse_ip(host) if host else None
    if ip is not None and proxies and any(ip in n for n in proxies):
        hops: list[str] = []
        for k, v in scope.get("headers") or ():
            if k == b"x-forwarded-for":
                hops.extend(bytes(v).decode("latin-1").split(","))
        for hop in reversed(hops):
            hop_ip = _parse_ip(hop)
            if hop_ip is None:
                break  # garbage before a trusted hop: the last trusted hop is all we know
            ip = hop_ip
            if not any(hop_ip in n for n in proxies):
                break
    if ip is None:
        cid = f"peer:{host or 'unknown'}"
    elif isinstance(ip, ipaddress.IPv6Address):
        cid = f"ip6:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    else:
        cid = f"ip:{ip}"
    return Client(cid, cid)


# ---------------------------------------------------------------------------- limiters


@dataclass
class Decision:
    """The limiter's answer: admitted (``reason is None``) or why not and for how long."""

    reason: Reason | None
    wait_s: float = 0.0


class LocalLimiter:
    """The in-process limiter: GCRA per client and a count of requests in flight per client.

    Used from the event loop only (no locks). State of clients whose bucket is full again is
    dropped from time to time, so memory is bounded by the clients active within the last
    ``rate_burst / rate_limit_per_s`` seconds (plus those with requests in flight).
    """

    def __init__(
        self, rate_per_s: float, burst: int, cap: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self.burst = burst
        self.cap = cap
        self.clock = clock
        self._tat: dict[str, float] = {}
        self._inflight: dict[str, int] = {}
        self._prune_at = 1024

    def admit(self, client: str) -> Decision:
        """Judge one request of ``client``; when admitted it takes a token and (with a cap) a
        slot that :meth:`release` gives back."""
        now = self.clock()
        new_tat = 0.0
        if self.interval_s > 0:
            new_tat = max(self._tat.get(client, now), now) + self.interval_s
            allow_at = new_tat - self.burst * self.interval_s
            if allow_at > now:
                return Decision("rate_limited", allow_at - now)
        if self.cap > 0 and self._inflight.get(client, 0) >= self.cap:
            return Decision("too_many_concurrent", float(CONCURRENCY_RETRY_S))
        if self.interval_s > 0:
            self._tat[client] = new_tat
            if len(self._tat) > self._prune_at:
                self._tat = {c: t for c, t in self._tat.items() if t > now}
                self._prune_at = max(1024, 2 * len(self._tat))
        if self.cap > 0:
            self._inflight[client] = self._inflight.get(client, 0) + 1
        return Decision(None)

    def release(self, client: str) -> None:
        """Give back the slot of one admitted request of ``client``."""
        n = self._inflight.get(client, 0) - 1
        if n > 0:
            self._inflight[client] = n
        else:
            self._inflight.pop(client, None)

    def in_flight(self, client: str) -> int:
        return self._inflight.get(client, 0)


@dataclass(frozen=True)
class Lease:
    """One admitted request's slot: where it was taken, to give it back there."""

    client: str
    token: str
    backend: Literal["redis", "local"]


@dataclass
class FairUseStats:
    """Counters of one process (``app.state.fair_use.stats``; the rejections also go to
    ``susc_rejections_total``)."""

    admitted: int = 0
    unauthorized: int = 0
    rate_limited: int = 0
    too_many_concurrent: int = 0
    redis_faults: int = 0  # Redis calls that failed (the request was judged locally)
    redis_skipped: int = 0  # Redis calls not made because the circuit was open
    last_error: str | None = None
    _last_fault_log: float = field(default=-1e9, repr=False)
    _unlogged_faults: int = field(default=0, repr=False)
    _last_reject_log: dict[str, float] = field(default_factory=dict, repr=False)
    _unlogged_rejects: dict[str, int] = field(default_factory=dict, repr=False)

    def fault(self, what: str, exc: BaseException) -> None:
        """Count a Redis fault; log at most one line per FAULT_LOG_INTERVAL_S."""
        self.redis_faults += 1
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        now = time.monotonic()
        if now - self._last_fault_log >= FAULT_LOG_INTERVAL_S:
            more = (
                f" ({self._unlogged_faults} more since the last line)"
                if self._unlogged_faults
                else ""
            )
            log.warning(
                "fair-use redis fault during %s: %r (judging with this process's limiter)%s",
                what,
                exc,
                more,
            )
            self._last_fault_log, self._unlogged_faults = now, 0
        else:
            self._unlogged_faults += 1

    def rejected(self, reason: str, client: Client) -> None:
        """Count a refused request; log at most one line per reason per FAULT_LOG_INTERVAL_S
        (a client over its limit sends many; the log must not grow with them)."""
        setattr(self, reason, getattr(self, reason) + 1)
        record_rejection(reason)
        now = time.monotonic()
        if now - self._last_reject_log.get(reason, -1e9) >= FAULT_LOG_INTERVAL_S:
            more = self._unlogged_rejects.get(reason, 0)
            log.info(
                "fair use: refused a request of %s (%s)%s",
                client.label,
                reason,
                f"; {more} more refused for this reason since the last line" if more else "",
            )
            self._last_reject_log[reason] = now
            self._unlogged_rejects[reason] = 0
        else:
            self._unlogged_rejects[reason] = self._unlogged_rejects.get(reason, 0) + 1


class FairUse:
    """The policy of one app: who the client is, and whether its request may go on.

    Built from the settings by :func:`install_fair_use` (no connection is opened until the first
    limited request; :meth:`aclose` closes it at shutdown).
    """

    def __init__(self, settings: Settings) -> None:
        self.digests = parse_digests(settings.api_keys_sha256)
        self._digest_list = sorted(self.digests)
        self.proxies = parse_networks(settings.trusted_proxies)
        self.rate_per_s = settings.rate_limit_per_s
        self.burst = settings.rate_burst
        self.cap = settings.max_concurrent_per_client
        self.limits = self.rate_per_s > 0 or self.cap > 0
        self.enabled = bool(self.digests) or self.limits
        self.lease_ttl_s = settings.compute_timeout_s + LEASE_GRACE_S
        self.local = LocalLimiter(self.rate_per_s, self.burst, self.cap)
        self.stats = FairUseStats()
        self.redis_url = settings.redis_url if self.limits else None
        self.redis_timeout_s = settings.redis_timeout_s
        self.prefix = settings.fair_use_redis_prefix
        self._redis: Any = None
        self._script: Any = None
        self._faults = 0
        self._open_until = 0.0

    # -- who

    def applies(self, scope: Scope) -> bool:
        """Whether the request is judged: a computation (not GET/HEAD/OPTIONS) under /v1/."""
        return scope.get("method", "GET") not in SAFE_METHODS and str(
            scope.get("path", "")
        ).startswith(LIMITED_PREFIX)

    def identify(self, scope: Scope) -> Client | FastJSONResponse:
        """The client of a request, or the 401 answer when keys are configured and the request
        has none or an unknown one."""
        if not self.digests:
            return address_client(scope, self.proxies)
        key = presented_key(scope)
        if key is None:
            return self._unauthorized(
                scope,
                "API key required",
                "this service needs an API key for computations",
                "send your key as `X-API-Key: <key>` or `Authorization: Bearer <key>`; ask the "
                "operator of this deployment for one",
            )
        digest = key_digest(key)
        # compare against every digest (no early exit): the time taken says nothing about which
        matches = [hmac.compare_digest(digest, d) for d in self._digest_list]
        if not any(matches):
            return self._unauthorized(
                scope,
                "API key not accepted",
                "the API key sent is not one of this deployment's keys",
                "check the key for typing or copying errors (no quotes, no spaces), or ask the "
                "operator whether it was revoked",
            )
        return Client("key:" + digest, "key:" + digest[:8])

    def _unauthorized(self, scope: Scope, title: str, message: str, fix: str) -> FastJSONResponse:
        self.stats.rejected("unauthorized", Client("anonymous", "a client without a valid key"))
        return problem_response(
            401,
            "unauthorized",
            title,
            f"{message}. Fix: {fix}",
            Request(scope),
            [{"field": KEY_FIELD, "message": message, "fix": fix}],
            headers={"WWW-Authenticate": 'Bearer realm="susceptibility"'},
        )

    # -- whether

    async def admit(self, client: Client, scope: Scope) -> Lease | FastJSONResponse | None:
        """Judge one request: a :class:`Lease` (admitted, give it back with :meth:`release`),
        ``None`` (admitted, nothing to give back) or the 429 answer."""
        if not self.limits:
            self.stats.admitted += 1
            return None
        token = secrets.token_hex(8)
        decision: Decision | None = None
        backend: Literal["redis", "local"] = "local"
        if self.redis_url:
            decision = await self._admit_redis(client.id, token)
            backend = "redis"
        if decision is None:  # no Redis, or it faulted: this process's limiter
            decision = self.local.admit(client.id)
            backend = "local"
        if decision.reason is not None:
            self.stats.rejected(decision.reason, client)
            return self._too_many(decision, client, scope)
        self.stats.admitted += 1
        return Lease(client.id, token, backend) if self.cap > 0 else None

    async def release(self, lease: Lease | None) -> None:
        """Give back an admitted request's slot (never raises)."""
        if lease is None:
            return
        if lease.backend == "local":
            self.local.release(lease.client)
            return
        if not self._allow():
            return  # the lease expires by its TTL
        try:
            await self._client().zrem(self._keys(lease.client)[1], lease.token)
        except Exception as exc:  # redis errors, OSError, timeouts: the lease expires
            self._failed("release", exc)
            return
        self._ok()

    def _too_many(self, decision: Decision, client: Client, scope: Scope) -> FastJSONResponse:
        wait = retry_after_s(decision.wait_s)
        if decision.reason == "rate_limited":
            msg = (
                f"{client.label} sent more than {self.burst} computation requests at once or more "
                f"than {self.rate_per_s:g} per second"
            )
            fix = (
                f"wait {wait} s (the Retry-After header) and space requests at least "
                f"{1.0 / self.rate_per_s:.3g} s apart; cached answers also count, so reuse the "
                "answers you already have"
            )
            return problem_response(
                429,
                "rate-limited",
                "Too many requests",
                f"{msg}. Fix: {fix}",
                Request(scope),
                [{"field": "", "message": msg, "fix": fix}],
                headers={"Retry-After": str(wait)},
                limit_name="rate_limit_per_s",
                limit=self.rate_per_s,
            )
        msg = f"{client.label} already has {self.cap} computation request(s) in progress"
        fix = (
            f"wait for one of your requests to finish before sending another (retry in {wait} "
            f"s); at most {self.cap} at once per client"
        )
        return problem_response(
            429,
            "too-many-concurrent",
            "Too many concurrent requests",
            f"{msg}. Fix: {fix}",
            Request(scope),
            [{"field": "", "message": msg, "fix": fix}],
            headers={"Retry-After": str(wait)},
            limit_name="max_concurrent_per_client",
            limit=self.cap,
            requested=self.cap + 1,
        )

    # -- Redis (fail open to the local limiter, with the circuit breaker of app/cache.py)

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(
                self.redis_url or "",
                socket_timeout=self.redis_timeout_s,
                socket_connect_timeout=self.redis_timeout_s,
                health_check_interval=30,
            )
            self._script = self._redis.register_script(_ADMIT_LUA)
        return self._redis

    def _keys(self, client_id: str) -> tuple[str, str]:
        # one hash tag per client: both keys of the script live in one Redis Cluster slot
        base = f"{self.prefix}{{{client_id}}}"
        return base + ":rate", base + ":conc"

    @property
    def circuit_open(self) -> bool:
        return self._open_until > time.monotonic()

    def _allow(self) -> bool:
        if self._open_until == 0.0:
            return True
        if self.circuit_open:
            self.stats.redis_skipped += 1
            return False
        return True  # half-open: this call probes

    def _ok(self) -> None:
        if self._open_until:
            log.info("fair-use circuit closed: redis answers again")
        self._faults, self._open_until = 0, 0.0

    def _failed(self, what: str, exc: BaseException) -> None:
        self.stats.fault(what, exc)
        self._faults += 1
        if self._faults >= BREAKER_FAULTS:
            if not self.circuit_open:
                log.warning(
                    "fair-use circuit open for %.1f s after %d redis faults: limits are per "
                    "process meanwhile",
                    BREAKER_COOLDOWN_S,
                    self._faults,
                )
            self._open_until = time.monotonic() + BREAKER_COOLDOWN_S

    async def _admit_redis(self, client_id: str, token: str) -> Decision | None:
        """The shared decision, or ``None`` when Redis is skipped or faults."""
        if not self._allow():
            return None
        interval_ms = 1000.0 / self.rate_per_s if self.rate_per_s > 0 else 0.0
        try:
            self._client()
            code, wait_ms = await self._script(
                keys=list(self._keys(client_id)),
                args=[
                    f"{interval_ms:.6f}",
                    self.burst,
                    self.cap,
                    f"{self.lease_ttl_s * 1000.0:.0f}",
                    token,
                ],
            )
        except Exception as exc:  # redis errors, OSError, timeouts: fail open (locally)
            self._failed("admit", exc)
            return None
        self._ok()
        if int(code) == 1:
            return Decision("rate_limited", float(wait_ms) / 1000.0)
        if int(code) == 2:
            return Decision("too_many_concurrent", float(CONCURRENCY_RETRY_S))
        return Decision(None)

    async def aclose(self) -> None:
        """Close the Redis connection pool (idempotent)."""
        client, self._redis, self._script = self._redis, None, None
        if client is not None:
            try:
                await client.aclose()
            except Exception as exc:  # pragma: no cover - closing a dead pool
                self.stats.fault("close", exc)

    def describe(self) -> dict[str, Any]:
        """What a startup line may say (never a key or a digest)."""
        return {
            "api_keys": len(self.digests),
            "rate_limit_per_s": self.rate_per_s,
            "rate_burst": self.burst,
            "max_concurrent_per_client": self.cap,
            "shared": bool(self.redis_url),
            "trusted_proxies": len(self.proxies),
        }


class FairUseMiddleware:
    """Pure ASGI: judge each computation request before the app sees it (see the module
    docstring); pass every other request through untouched."""

    def __init__(self, app: ASGIApp, fair_use: FairUse) -> None:
        self.app = app
        self.fair_use = fair_use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fu = self.fair_use
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not fu.applies(scope):
            # reads of jobs and sweeps are not limited, but with keys they belong to one
            if fu.digests and str(scope.get("path", "")).startswith(OWNED_PREFIXES):
                client = fu.identify(scope)
                if isinstance(client, FastJSONResponse):
                    await client(scope, receive, send)
                    return
                scope = _identified(scope, client)
            await self.app(scope, receive, send)
            return
        client = fu.identify(scope)
        if isinstance(client, FastJSONResponse):
            await client(scope, receive, send)
            return
        scope = _identified(scope, client) if fu.digests else scope
        scope.setdefault("state", {})["fair_use_client"] = client.label
        admitted = await fu.admit(client, scope)
        if isinstance(admitted, FastJSONResponse):
            await admitted(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            await fu.release(admitted)


#: Paths whose records belong to the API key that made them (jobs, sweeps): with keys
#: configured, reading them needs the key too (app/routers/jobs.py compares the owner).
OWNED_PREFIXES: Final = ("/v1/jobs", "/v1/sweeps")


def _identified(scope: Scope, client: Client) -> Scope:
    """``scope`` without the key headers (the key goes no further than here) and with the
    client: ``state["fair_use_client"]`` (its label, for logs) and ``state["client_id"]`` (the
    key's full sha256 digest: the owner of its jobs)."""
    scope = dict(scope)
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in _KEY_HEADERS]
    state = scope.setdefault("state", {})
    state["fair_use_client"] = client.label
    state["client_id"] = client.id
    return scope


def install_fair_use(app: FastAPI, settings: Settings) -> None:
    """Put :class:`FairUseMiddleware` on ``app`` when keys or limits are configured (else
    nothing but ``app.state.fair_use``); close its Redis connection when the app shuts down.

    Idempotent (a second call does nothing). Call it before the middleware that must see its
    401/429 answers (request id, access log): Starlette runs the middleware added last first.
    Raises ``ValueError`` for a malformed ``trusted_proxies``.
    """
    if getattr(app.state, "fair_use", None) is not None:
        return
    fair_use = FairUse(settings)
    app.state.fair_use = fair_use
    if not fair_use.enabled:
        return
    app.add_middleware(FairUseMiddleware, fair_use=fair_use)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        try:
            async with inner(a) as state:
                yield state
        finally:
            await fair_use.aclose()

    app.router.lifespan_context = lifespan
    log.info("fair use: %s", fair_use.describe())


def main(argv: list[str] | None = None) -> int:
    """``python -m app.fairuse new-key``: a random key and its digest; ``digest``: the digest of
    a key read from stdin (so the key is in no shell history)."""
    parser = argparse.ArgumentParser(prog="python -m app.fairuse", description=main.__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("new-key", help="print a new random key and its sha256 digest")
    sub.add_parser("digest", help="print the sha256 digest of the key on stdin")
    args = parser.parse_args(argv)
    if args.cmd == "new-key":
        key = secrets.token_urlsafe(32)
        print(f"key:    {key}\nsha256: {key_digest(key)}")
        print(
            "give the key to the client; put the sha256 in SUSC_API_KEYS_SHA256 (comma-separated)"
        )
        return 0
    key = sys.stdin.readline().strip()
    if not key:
        print("no key on stdin", file=sys.stderr)
        return 2
    print(key_digest(key))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
