"""The Redis cache against a real Redis (DESIGN.md "Cache"), and failing open when Redis is not there.

The server is the machine's Redis on 127.0.0.1:6379 (or $TEST_REDIS_URL); when that is not
reachable and `redis-server` is on PATH, the tests start a private one on a free port. When CI=true
and neither works, they fail; elsewhere they skip. They never fake Redis.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from app.cache import RedisCache, cache_key
from app.presets import all_presets
from app.settings import Settings
from tests.app.conftest import running_client
from tests.app.live import free_port

pytestmark = pytest.mark.redis

URL = "/v1/oscillator/response"




@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[RedisCache]:
    c = RedisCache(redis_url, prefix=f"susc-test:{uuid.uuid4().hex}:")
    yield c
    await c.clear()
    await c.close()


def body() -> dict:
    import copy

    return copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)


async def test_redis_set_get_round_trip_with_ttl(cache: RedisCache):
    key = cache_key("test-endpoint", "m", "1", b"{\"a\":1.0}")
    assert await cache.get(key) is None
    await cache.set(key, b"\x00payload", ttl_s=30)
    assert await cache.get(key) == b"\x00payload"
    ttl = await cache._redis.ttl(cache.prefix + key)
    assert 0 < ttl <= 30
    assert cache.stats.errors == 0


async def test_redis_entry_expires(cache: RedisCache):
    await cache.set("k", b"v", ttl_s=1)
    await asyncio.sleep(1.2)
    assert await cache.get("k") is None


async def test_clear_uses_scan_and_only_touches_own_prefix(cache: RedisCache, redis_url: str):
    other = RedisCache(redis_url, prefix=f"susc-test-other:{uuid.uuid4().hex}:")
    try:
        for i in range(5):
            await cache.set(f"k{i}", b"v", 30)
        await other.set("k", b"v", 30)
        assert await cache.clear() == 5
        assert await other.get("k") == b"v"
    finally:
        await other.clear()
        await other.close()


async def test_two_app_instances_share_results_through_redis(redis_url: str):
    settings = Settings(redis_url=redis_url, compute_backend="thread")
    b = body()
    b["frequencies"]["num"] = 777 + (uuid.uuid4().int % 1000)  # a key no earlier run stored
    async with running_client(settings) as a1, running_client(settings) as a2:
        assert a1.app.state.service.cache.backend == "redis"
        r1 = await a1.post(URL, json=b)
        r2 = await a2.post(URL, json=b)
        assert (r1.headers["x-cache"], r2.headers["x-cache"]) == ("miss", "hit")
        assert r1.json()["mu"] == r2.json()["mu"]
        ready = await a1.get("/readyz")
        assert ready.status_code == 200 and ready.json()["cache"] == "redis"
        await a1.app.state.service.cache.clear()


async def test_identical_misses_in_two_app_instances_compute_once(redis_url: str):
    # two processes' worth of services (separate in-flight tables) behind one Redis: the short
    # lock makes the second wait for the first one's answer instead of computing it again
    settings = Settings(redis_url=redis_url, compute_backend="thread")
    b = body()
    b["frequencies"] = {"start": 0.0, "stop": 4.0, "num": 150_000 + uuid.uuid4().int % 1000}
    b["frequencies"]["unit"] = "model"
    async with running_client(settings) as a1, running_client(settings) as a2:
        s1, s2 = a1.app.state.service, a2.app.state.service
        r1, r2 = await asyncio.gather(a1.post(URL, json=b), a2.post(URL, json=b))
        assert r1.status_code == r2.status_code == 200
        assert s1.computations + s2.computations == 1
        assert sorted([r1.headers["x-cache"], r2.headers["x-cache"]]) == ["miss", "miss"]
        assert r1.json()["mu"] == r2.json()["mu"]
        key = r1.json()["meta"]["parameter_hash"]
        assert not await s1.cache.locked(key)  # released after the store
        await s1.cache.clear()


async def test_a_lock_is_released_only_by_its_holder(cache: RedisCache):
    mine = await cache.acquire("k", ttl_ms=5000)
    assert mine is not None
    assert await cache.acquire("k", ttl_ms=5000) is None  # held
    await cache.release("k", "not-the-token")
    assert await cache.locked("k")
    await cache.release("k", mine)
    assert not await cache.locked("k")
    short = await cache.acquire("k2", ttl_ms=50)  # a holder that died: the lock expires
    assert short is not None
    await asyncio.sleep(0.15)
    assert not await cache.locked("k2")


async def test_unreachable_redis_still_answers_200_and_counts_the_fault():
    settings = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_timeout_s=0.2, compute_backend="thread")
    async with running_client(settings) as c:
        r = await c.post(URL, json=body())
        assert r.status_code == 200 and r.headers["x-cache"] == "miss"
        assert r.json()["meta"]["checks"]["diamagnetic"]["verdict"] is True
        stats = c.app.state.service.cache.stats
        assert stats.errors >= 2  # the failed get and the failed set
        ready = await c.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"].startswith("application/problem+json")
        assert "unreachable" in ready.json()["detail"]


async def test_redis_that_fails_mid_request_still_answers_200():
    # A server that accepts connections and drops them: the Redis protocol breaks mid-command.
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", redis_timeout_s=0.5, compute_backend="thread")
        async with running_client(settings) as c:
            r = await c.post(URL, json=body())
            assert r.status_code == 200
            assert c.app.state.service.cache.stats.errors >= 1
            assert c.app.state.service.cache.stats.last_error
    finally:
        server.close()
        await server.wait_closed()


async def test_a_hung_redis_costs_a_few_timeouts_not_two_per_request():
    """A server that accepts and never answers: after BREAKER_FAULTS timeouts the circuit opens
    and requests stop waiting on Redis (issue 12: throughput fell 280 -> 15 req/s)."""

    from app.cache import BREAKER_FAULTS

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", redis_timeout_s=0.2, compute_backend="thread")
        async with running_client(settings) as c:
            t0 = time.perf_counter()
            for i in range(12):
                b = body()
                b["frequencies"]["num"] = 50 + i
                r = await c.post(URL, json=b)
                assert r.status_code == 200
            elapsed = time.perf_counter() - t0
            stats = c.app.state.service.cache.stats
            assert stats.errors == BREAKER_FAULTS  # then the circuit opened
            assert stats.skipped >= 2 * 12 - BREAKER_FAULTS - 1
            # without the breaker: 12 requests x (get + set) x 0.2 s = 4.8 s of timeouts
            assert elapsed < 0.2 * BREAKER_FAULTS + 2.0
    finally:
        server.close()


async def test_the_circuit_closes_when_redis_answers_again(redis_url: str):
    from app.cache import BREAKER_FAULTS

    cache = RedisCache(redis_url, timeout_s=0.5, cooldown_s=0.2)
    try:
        for _ in range(BREAKER_FAULTS):
            cache._failed("get", ConnectionError("simulated"))
        assert cache.circuit_open
        await cache.set("k-breaker", b"v", 10)  # skipped while open
        assert cache.stats.skipped == 1
        await asyncio.sleep(0.25)  # cooldown over: the next call probes the real Redis
        await cache.set("k-breaker", b"v", 10)
        assert not cache.circuit_open and await cache.get("k-breaker") == b"v"
    finally:
        await cache.clear()
        await cache.close()
