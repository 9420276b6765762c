"""Fair use (app/fairuse.py): one client over its rate or concurrency cap gets 429 with an honest
Retry-After while other clients keep being served; API keys (401 without a valid one, never
logged); the Redis-backed limits are shared by several app instances and fail open when Redis is
down.

The Redis server is the machine's Redis on 127.0.0.1:6379 (or $TEST_REDIS_URL); when that is not
reachable and `redis-server` is on PATH, a private one is started on a free port. When CI=true
and neither works, the Redis tests fail; elsewhere they skip. They never fake Redis. Each test
uses its own key prefix (``fair_use_redis_prefix``).

The concurrency tests hold requests in flight on a test route that waits for an event, so "in
flight" is a fact of the test, not a race against a computation's speed.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import math
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import ValidationError

from app.fairuse import (
    FairUseMiddleware,
    LocalLimiter,
    address_client,
    install_fair_use,
    key_digest,
    main,
    parse_networks,
)
from app.main import create_app
from app.presets import all_presets
from app.settings import Settings
from tests.app.live import free_port
from tests.conftest import assert_problem

URL = "/v1/oscillator/response"
SLOW = "/v1/test-fair-use/slow"
A, B = "203.0.113.7", "198.51.100.9"  # two clients (documentation addresses, RFC 5737)


def small_body() -> dict[str, Any]:
    body = copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)
    body["frequencies"]["num"] = 8
    return body


# ---------------------------------------------------------------------------- Redis




@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    p = f"susc-test-fair:{uuid.uuid4().hex}:"
    yield p
    import redis

    r = redis.Redis.from_url(redis_url)
    for k in r.scan_iter(match=p + "*", count=500):
        r.unlink(k)
    r.close()


# ---------------------------------------------------------------------------- apps and clients


class Gate:
    """Requests to SLOW wait here until :meth:`open`; ``started`` counts those waiting."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.started = 0

    async def wait_started(self, n: int) -> None:
        for _ in range(500):
            if self.started >= n:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{n} slow requests never started ({self.started} did)")


@asynccontextmanager
async def fair_app(**overrides: Any) -> AsyncIterator[FastAPI]:
    """The service app with fair use installed (idempotent: also right once create_app installs
    it itself) and a slow test route; its lifespan runs for the duration."""
    overrides.setdefault("redis_url", None)
    overrides.setdefault("compute_backend", "thread")
    settings = Settings(**overrides)
    app = create_app(settings)
    install_fair_use(app, settings)
    gate = Gate()
    app.state.gate = gate

    @app.post(SLOW, include_in_schema=False)
    async def slow() -> dict[str, bool]:
        gate.started += 1
        await gate.event.wait()
        return {"ok": True}

    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI, address: str) -> httpx.AsyncClient:
    """An HTTP client of ``app`` whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def assert_429(resp: httpx.Response, kind: str, limit_name: str) -> int:
    """A 429 problem of ``kind`` naming ``limit_name``; returns its Retry-After (seconds)."""
    body = assert_problem(resp, 429, "")
    assert body["type"] == f"urn:susceptibility:problem:{kind}"
    assert body["limit_name"] == limit_name
    assert body["errors"] and body["errors"][0]["fix"]
    retry = resp.headers["retry-after"]
    assert retry.isdigit() and int(retry) >= 1, retry  # RFC 9110 10.2.3: whole seconds
    return int(retry)


# ---------------------------------------------------------------------------- the algorithm


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_admits_at_most_burst_plus_rate_times_window_in_every_window():
    # GCRA bound: in any window of length W at most B + W * rate requests pass, and a client
    # that keeps asking gets exactly the long-run rate (B + floor(elapsed * rate) in all).
    rate, burst = 5.0, 3
    clock = FakeClock()
    lim = LocalLimiter(rate, burst, cap=0, clock=clock)
    t0, step, admitted = clock.t, 0.01, []
    for i in range(1000):  # 10 s of a request every 10 ms
        clock.t = t0 + i * step
        if lim.admit("a").reason is None:
            admitted.append(clock.t - t0)
    for w in (0.2, 0.5, 1.0, 3.3):
        worst = max(sum(1 for t in admitted if s <= t < s + w) for s in admitted)
        assert worst <= burst + math.ceil(w * rate), (w, worst)
    assert len(admitted) == burst + math.floor((999 * step) * rate + 1e-9)


def test_retry_after_is_exactly_when_the_next_token_arrives():
    rate, burst = 2.0, 4
    clock = FakeClock()
    lim = LocalLimiter(rate, burst, cap=0, clock=clock)
    assert all(lim.admit("a").reason is None for _ in range(burst))  # a full bucket at once
    refused = lim.admit("a")
    assert refused.reason == "rate_limited"
    assert refused.wait_s == pytest.approx(1 / rate)  # one token per 1/rate s
    clock.t += refused.wait_s * (1 - 1e-9)
    assert lim.admit("a").reason == "rate_limited"  # a moment too early
    clock.t += refused.wait_s * 2e-9
    assert lim.admit("a").reason is None
    assert lim.admit("b").reason is None  # another client has its own bucket


def test_a_refused_request_takes_no_token_and_a_slot_comes_back_on_release():
    clock = FakeClock()
    lim = LocalLimiter(1.0, 1, cap=1, clock=clock)
    assert lim.admit("a").reason is None
    assert lim.admit("a").reason == "rate_limited"
    clock.t += 1.0
    v = lim.admit("a")
    assert v.reason == "too_many_concurrent" and v.wait_s == 1.0
    lim.release("a")
    assert lim.in_flight("a") == 0
    assert lim.admit("a").reason is None  # the refused one above did not spend the token


# ---------------------------------------------------------------------------- who is the client


def test_client_is_the_peer_unless_a_trusted_proxy_forwarded_the_request():
    proxies = parse_networks("10.0.0.0/8, 192.0.2.1")

    def scope(peer: str, xff: str | None) -> dict[str, Any]:
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return {"client": (peer, 1234), "headers": headers}

    # untrusted peer: its own X-Forwarded-For is not believed
    assert address_client(scope(A, "1.1.1.1"), proxies).id == f"ip:{A}"
    # through two trusted proxies: the right-most hop that is not a proxy; the left part of
    # the header (written by the client) is ignored
    forwarded = scope("10.1.2.3", f"6.6.6.6, {B}, 10.9.9.9")
    assert address_client(forwarded, proxies).id == f"ip:{B}"
    assert address_client(scope("192.0.2.1", f"{B}:5555"), proxies).id == f"ip:{B}"
    assert address_client(scope("10.1.2.3", None), proxies).id == "ip:10.1.2.3"
    # an IPv6 client is its /64: rotating through the host's own /64 does not make new clients
    one = address_client(scope("2001:db8:1:2::1", None), ())
    other = address_client(scope("2001:db8:1:2:ffff::9", None), ())
    assert one.id == other.id == "ip6:2001:db8:1:2::/64"
    assert address_client(scope("::ffff:" + A, None), ()).id == f"ip:{A}"
    with pytest.raises(ValueError, match="trusted_proxies"):
        parse_networks("10.0.0.0/8, not-a-network")


def test_settings_take_only_digests_of_keys():
    digest = key_digest("k" * 40)
    Settings(api_keys_sha256=f"{digest}, {digest.upper()}")
    with pytest.raises(ValidationError):
        Settings(api_keys_sha256="k" * 40)  # a key itself is refused: only its sha256


def test_new_key_prints_a_random_key_and_its_sha256(capsys):
    assert main(["new-key"]) == 0
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines()[:2])
    key, digest = lines["key"].strip(), lines["sha256"].strip()
    assert len(key) >= 40 and digest == hashlib.sha256(key.encode()).hexdigest()


def test_fair_use_is_off_by_default_and_costs_nothing():
    settings = Settings(redis_url=None, compute_backend="thread")
    app = create_app(settings)
    install_fair_use(app, settings)
    assert not app.state.fair_use.enabled
    assert all(m.cls is not FairUseMiddleware for m in app.user_middleware)


# ---------------------------------------------------------------------------- over HTTP


async def _rate_limited_client_does_not_block_another(app: FastAPI, other_app: FastAPI) -> None:
    """Burst 3 at 0.5/s: A's 4th request at once is 429, B is served (on ``other_app``)."""
    async with client(app, A) as a, client(other_app, B) as b, client(app, "192.0.2.50") as c:
        assert (await c.post(URL, json=small_body())).status_code == 200  # A's are cache hits
        for _ in range(3):
            assert (await a.post(URL, json=small_body())).status_code == 200
        t_refused = time.monotonic()
        refused = await a.post(URL, json=small_body())
        retry = assert_429(refused, "rate-limited", "rate_limit_per_s")
        assert retry <= 2  # the next token arrives within 1/rate = 2 s
        for _ in range(3):
            assert (await b.post(URL, json=small_body())).status_code == 200
        # GET endpoints are never limited
        assert (await a.get("/healthz")).status_code == 200
        assert (await a.get("/v1/presets")).status_code == 200
        # honest: after Retry-After seconds A is admitted again
        await asyncio.sleep(max(0.0, retry - (time.monotonic() - t_refused)))
        assert (await a.post(URL, json=small_body())).status_code == 200


async def test_client_over_its_rate_gets_429_with_retry_after_while_another_is_served():
    async with fair_app(rate_limit_per_s=0.5, rate_burst=3) as app:
        await _rate_limited_client_does_not_block_another(app, app)
        assert app.state.fair_use.stats.rate_limited == 1


@pytest.mark.redis
async def test_redis_rate_limit_429_with_retry_after_while_another_is_served(redis_url, prefix):
    async with fair_app(
        rate_limit_per_s=0.5, rate_burst=3, redis_url=redis_url, fair_use_redis_prefix=prefix
    ) as app:
        fu = app.state.fair_use
        await _rate_limited_client_does_not_block_another(app, app)
        assert fu.stats.redis_faults == 0 and fu.stats.rate_limited == 1
        # the shared state forgets a client once its bucket is full again: TTL <= B / rate
        import redis

        r = redis.Redis.from_url(redis_url)
        rate_key = fu._keys(f"ip:{A}")[0]
        assert 0 < r.pttl(rate_key) <= 3 / 0.5 * 1000
        r.close()
    assert fu._redis is None  # closed at shutdown


async def _concurrency_cap_holds(app: FastAPI, other_app: FastAPI, cap: int) -> None:
    gate: Gate = app.state.gate
    async with client(app, A) as a, client(other_app, A) as a2, client(other_app, B) as b:
        held = [asyncio.create_task(a.post(SLOW)) for _ in range(cap)]
        await gate.wait_started(cap)
        refused = await a2.post(URL, json=small_body())  # same client, maybe another process
        assert assert_429(refused, "too-many-concurrent", "max_concurrent_per_client") == 1
        assert refused.json()["limit"] == cap
        served = await b.post(URL, json=small_body())  # another client is not held up
        assert served.status_code == 200, served.text
        gate.event.set()
        assert [(await t).status_code for t in held] == [200] * cap
        again = await a2.post(URL, json=small_body())  # the slots were given back
        assert again.status_code == 200, again.text


async def test_concurrency_cap_refuses_the_next_request_of_the_same_client_only():
    async with fair_app(max_concurrent_per_client=2) as app:
        await _concurrency_cap_holds(app, app, cap=2)
        assert app.state.fair_use.local.in_flight(f"ip:{A}") == 0


@pytest.mark.redis
async def test_redis_concurrency_cap_refuses_the_same_client_only(redis_url, prefix):
    async with fair_app(
        max_concurrent_per_client=2, redis_url=redis_url, fair_use_redis_prefix=prefix
    ) as app:
        await _concurrency_cap_holds(app, app, cap=2)


@pytest.mark.redis
async def test_redis_limits_are_shared_by_two_app_instances(redis_url, prefix):
    # two apps = two uvicorn workers: what one admitted counts in the other
    limits = dict(
        rate_limit_per_s=0.2,
        rate_burst=3,
        max_concurrent_per_client=1,
        redis_url=redis_url,
        fair_use_redis_prefix=prefix,
    )
    async with fair_app(**limits) as one, fair_app(**limits) as two:
        await _concurrency_cap_holds(one, two, cap=1)
    async with fair_app(**{**limits, "fair_use_redis_prefix": prefix + "rate:"}) as one:
        async with fair_app(**{**limits, "fair_use_redis_prefix": prefix + "rate:"}) as two:
            async with client(one, A) as a1, client(two, A) as a2, client(two, B) as b2:
                assert (await a1.post(URL, json=small_body())).status_code == 200
                assert (await a2.post(URL, json=small_body())).status_code == 200
                assert (await a1.post(URL, json=small_body())).status_code == 200
                assert_429(
                    await a2.post(URL, json=small_body()), "rate-limited", "rate_limit_per_s"
                )
                assert (await b2.post(URL, json=small_body())).status_code == 200
            assert one.state.fair_use.stats.redis_faults == 0
            assert two.state.fair_use.stats.redis_faults == 0


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) in self._seen:  # reached through two of the loggers it is on
            return
        self._seen.add(id(record))
        self.lines.append(self.format(record) + repr(record.__dict__))


@pytest.fixture
def all_logs() -> Iterator[_LogCapture]:
    """Every record of every logger at DEBUG (also loggers that do not propagate)."""
    cap = _LogCapture()
    loggers = [logging.getLogger(), *map(logging.getLogger, ("app", "uvicorn", "httpx"))]
    old = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(cap)
        lg.setLevel(logging.DEBUG)
    yield cap
    for lg, level in old:
        lg.removeHandler(cap)
        lg.setLevel(level)


async def test_api_keys_401_without_a_valid_key_200_with_one_and_never_logged(all_logs):
    k1, k2 = "fair-key-" + uuid.uuid4().hex, "other-key-" + uuid.uuid4().hex
    digests = f"{key_digest(k1)},{key_digest(k2)}"
    async with fair_app(api_keys_sha256=digests, rate_limit_per_s=0.1, rate_burst=2) as app:
        async with client(app, A) as a:
            missing = await a.post(URL, json=small_body())
            assert_problem(missing, 401, "header:X-API-Key")
            assert missing.headers["www-authenticate"].startswith("Bearer")
            wrong = await a.post(URL, json=small_body(), headers={"X-API-Key": k1 + "x"})
            assert_problem(wrong, 401, "header:X-API-Key")
            assert k1 not in wrong.text
            basic = await a.post(URL, json=small_body(), headers={"Authorization": "Basic " + k1})
            assert basic.status_code == 401
            ok = await a.post(URL, json=small_body(), headers={"X-API-Key": k1})
            assert ok.status_code == 200, ok.text
            bearer = await a.post(URL, json=small_body(), headers={"Authorization": "Bearer " + k2})
            assert bearer.status_code == 200, bearer.text
            # each key is its own client, also from one address
            assert (await a.post(URL, json=small_body(), headers={"X-API-Key": k1})).is_success
            over = await a.post(URL, json=small_body(), headers={"X-API-Key": k1})
            assert_429(over, "rate-limited", "rate_limit_per_s")
            assert f"key:{key_digest(k1)[:8]}" in over.json()["detail"]
            assert k1 not in over.text
            other = await a.post(URL, json=small_body(), headers={"Authorization": "Bearer " + k2})
            assert other.status_code == 200
            # GET endpoints need no key
            assert (await a.get("/v1/presets")).status_code == 200
        assert app.state.fair_use.stats.unauthorized == 3
    text = "\n".join(all_logs.lines)
    assert "fair use" in text  # the capture works: the refusals were logged ...
    assert k1 not in text and k2 not in text  # ... without the keys


async def test_the_key_headers_do_not_reach_the_app():
    key = "hidden-" + uuid.uuid4().hex
    async with fair_app(api_keys_sha256=key_digest(key)) as app:

        @app.post("/v1/test-fair-use/echo", include_in_schema=False)
        async def echo(request: Request) -> dict[str, Any]:
            return {"headers": dict(request.headers), "client": request.state.fair_use_client}

        async with client(app, A) as a:
            for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
                r = await a.post("/v1/test-fair-use/echo", headers=headers)
                assert r.status_code == 200
                assert key not in r.text
                assert r.json()["client"] == f"key:{key_digest(key)[:8]}"


async def test_redis_down_requests_are_still_served_and_limited_per_process(all_logs):
    port = free_port()  # nothing listens there
    async with fair_app(
        rate_limit_per_s=0.1,
        rate_burst=3,
        max_concurrent_per_client=2,
        redis_url=f"redis://127.0.0.1:{port}/0",
        redis_timeout_s=0.2,
    ) as app:
        async with client(app, A) as a, client(app, B) as b:
            codes = [(await a.post(URL, json=small_body())).status_code for _ in range(5)]
            assert codes[:3] == [200, 200, 200]  # never a 5xx: fail open ...
            assert codes[3:] == [429, 429]  # ... to this process's limiter
            assert (await b.post(URL, json=small_body())).status_code == 200
        stats = app.state.fair_use.stats
        assert stats.redis_faults >= 1 and stats.redis_skipped >= 1  # the circuit opened
    faults = [line for line in all_logs.lines if "fair-use redis fault" in line]
    assert len(faults) == 1  # at most one line per 10 s


async def test_redis_hung_costs_one_timeout_per_cooldown_not_one_per_request():
    with socket.socket() as hung:  # accepts connections (backlog), never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)
        port = hung.getsockname()[1]
        async with fair_app(
            rate_limit_per_s=100.0,
            rate_burst=100,
            redis_url=f"redis://127.0.0.1:{port}/0",
            redis_timeout_s=0.2,
        ) as app:
            fu = app.state.fair_use
            async with client(app, A) as a:
                for _ in range(3):  # three faults open the circuit
                    assert (await a.post(URL, json=small_body())).status_code == 200
                for _ in range(5):
                    assert (await a.post(URL, json=small_body())).status_code == 200
            # the five after the circuit opened never asked Redis, so never waited for it
            assert fu.stats.redis_faults == 3 and fu.stats.redis_skipped == 5
