"""Acceptance of issue 12 against real processes on loopback: uvicorn with its worker processes,
and a private redis-server that the tests hang and kill.

- three at-limit requests in flight: /healthz keeps answering in < 0.5 s, each big request ends
  within its time limit + 5 s, and the worker processes that ran them are gone within 2 s;
- Redis hung, then killed, then restarted during a burst: every answer is 200 or a deliberate
  503, every 200 carries the right numbers, /readyz says 503 while Redis is down and recovers.
"""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.presets import all_presets
from tests.app.live import descendants, private_redis, uvicorn_server
from tests.app.test_pool import slow_bands_body

pytestmark = pytest.mark.redis

OSC = "/v1/oscillator/response"
BANDS = "/v1/crystal/bands"


def fig2a(num: int = 801) -> dict[str, Any]:
    body = copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)
    body["frequencies"]["num"] = num
    return body


async def _watch_health(client: httpx.AsyncClient, stop: asyncio.Event) -> list[float]:
    """Latencies of /healthz, one every 50 ms until ``stop``."""
    out: list[float] = []
    while not stop.is_set():
        t0 = time.perf_counter()
        r = await client.get("/healthz")
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200
        await asyncio.sleep(0.05)
    return out


async def test_three_at_limit_requests_leave_healthz_fast_and_stop_on_time(tmp_path: Path) -> None:
    limit_s = 3.0
    env = {
        "SUSC_COMPUTE_TIMEOUT_S": str(limit_s),
        "SUSC_COMPUTE_WORKERS": "2",
        "SUSC_COMPUTE_QUEUE": "2",
        "SUSC_COMPUTE_WARM_UP": "false",
    }
    with uvicorn_server(tmp_path, env) as server:
        workers_before = descendants(server.proc.pid)
        async with server.client() as client, server.client() as health:
            stop = asyncio.Event()
            watcher = asyncio.create_task(_watch_health(health, stop))
            await asyncio.sleep(0.2)

            async def big(i: int) -> tuple[int, float]:
                t0 = time.perf_counter()
                r = await client.post(BANDS, json=slow_bands_body(onsite=0.1 + 0.01 * i))
                return r.status_code, time.perf_counter() - t0

            results = await asyncio.gather(*(big(i) for i in range(3)))
            last_answer = time.monotonic()
            stop.set()
            latencies = await watcher
        for status, took in results:
            assert status == 503  # each is stopped at the limit (they need tens of seconds)
            assert took < limit_s + 5.0
        assert max(latencies) < 0.5, f"/healthz took up to {max(latencies):.3f} s"
        # the worker processes that ran them are terminated (fresh ones replace them)
        workers = workers_before - _long_lived(workers_before)
        assert len(workers) == 2, workers_before
        while time.monotonic() < last_answer + 2.0 and workers & descendants(server.proc.pid):
            await asyncio.sleep(0.05)
        assert not workers & descendants(server.proc.pid), "a stopped computation still runs"


def _close(a: dict[str, list[float]], b: dict[str, list[float]], rtol: float = 1e-12) -> bool:
    """Two complex arrays equal to ``rtol`` of their largest entry (during a Redis fault the
    answer is recomputed, maybe by another worker process: not held to the last bit)."""
    top = max(abs(v) for part in ("real", "imag") for v in b[part]) or 1.0
    return all(
        abs(x - y) <= rtol * top
        for part in ("real", "imag")
        for x, y in zip(a[part], b[part], strict=True)
    )


def _long_lived(pids: set[int]) -> set[int]:
    """Helpers of multiprocessing that are not workers (the resource tracker): they stay."""
    out = set()
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" in cmd:
            out.add(pid)
    return out


async def test_redis_hung_killed_and_restarted_during_a_burst(tmp_path: Path) -> None:
    with private_redis() as redis:
        env = {
            "REDIS_URL": redis.url,
            "SUSC_REDIS_TIMEOUT_S": "0.2",
            "SUSC_COMPUTE_WARM_UP": "false",
            "SUSC_COMPUTE_QUEUE": "64",
        }
        with uvicorn_server(tmp_path, env) as server:
            async with server.client() as client:
                expected: dict[int, Any] = {}
                for num in range(101, 111):  # reference answers while Redis is healthy
                    r = await client.post(OSC, json=fig2a(num))
                    assert r.status_code == 200
                    expected[num] = r.json()["epsilon"]
                statuses: list[int] = []
                wrong: list[int] = []

                async def burst(seconds: float) -> None:
                    end = time.monotonic() + seconds
                    i = 0
                    while time.monotonic() < end:
                        nums = [101 + (i + j) % 10 for j in range(8)]
                        rs = await asyncio.gather(*(client.post(OSC, json=fig2a(n)) for n in nums))
                        for n, r in zip(nums, rs, strict=True):
                            statuses.append(r.status_code)
                            if r.status_code == 200 and not _close(
                                r.json()["epsilon"], expected[n]
                            ):
                                wrong.append(n)
                        i += 1

                redis.hang()
                await burst(2.0)
                hung_ready = await client.get("/readyz")
                redis.resume()
                redis.kill()
                await burst(1.5)
                down_ready = await client.get("/readyz")
                redis.restart()
                recovered = None
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    r = await client.get("/readyz")
                    if r.status_code == 200:
                        recovered = r
                        break
                    await asyncio.sleep(0.2)
                await burst(1.0)
        assert statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
        assert statuses.count(200) > 0.9 * len(statuses)
        assert not wrong
        assert hung_ready.status_code == 503 and down_ready.status_code == 503
        assert recovered is not None and recovered.json()["cache"] == "redis"


def _metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of the samples ``name{labels...}`` of a Prometheus exposition."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


async def test_identical_misses_compute_once_across_two_server_processes(tmp_path: Path) -> None:
    # two uvicorn workers (separate processes, separate in-flight tables) behind one Redis:
    # the short lock makes all but one wait for the stored answer
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    body = slow_bands_body(n_orb=8, n_k=250)
    with private_redis() as redis:
        env = {
            "REDIS_URL": redis.url,
            "SUSC_COMPUTE_WARM_UP": "false",
            "SUSC_COMPUTE_WORKERS": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        with uvicorn_server(tmp_path, env, workers=2) as server:
            clients = [server.client(timeout=120) for _ in range(6)]
            try:
                answers = await asyncio.gather(*(c.post(BANDS, json=body) for c in clients))
                async with server.client() as c:
                    metrics = (await c.get("/metrics")).text
            finally:
                for c in clients:
                    await c.aclose()
    assert [r.status_code for r in answers] == [200] * 6
    assert len({r.json()["meta"]["parameter_hash"] for r in answers}) == 1
    runs = _metric_sum(metrics, "susc_compute_seconds_count", outcome="ok")
    assert runs == 1, metrics[-2000:]


async def test_a_client_over_its_caps_gets_429_while_another_is_served(tmp_path: Path) -> None:
    import hashlib

    keys = {"a": "key-of-client-a-" + "0" * 32, "b": "key-of-client-b-" + "1" * 32}
    digests = ",".join(hashlib.sha256(k.encode()).hexdigest() for k in keys.values())
    env = {
        "SUSC_API_KEYS_SHA256": digests,
        "SUSC_RATE_LIMIT_PER_S": "0.01",  # a token per 100 s: the burst is all there is
        "SUSC_RATE_BURST": "3",
        "SUSC_MAX_CONCURRENT_PER_CLIENT": "1",
        "SUSC_COMPUTE_TIMEOUT_S": "3",
        "SUSC_COMPUTE_WARM_UP": "false",
    }
    with uvicorn_server(tmp_path, env) as server:
        async with server.client() as c:

            def as_(who: str) -> dict[str, str]:
                return {"X-API-Key": keys[who]}

            assert (await c.post(OSC, json=fig2a(61))).status_code == 401  # no key
            slow = asyncio.create_task(c.post(BANDS, json=slow_bands_body(), headers=as_("a")))
            await asyncio.sleep(1.0)
            busy = await c.post(OSC, json=fig2a(62), headers=as_("a"))
            other = await c.post(OSC, json=fig2a(63), headers=as_("b"))
            assert busy.status_code == 429 and int(busy.headers["retry-after"]) >= 1
            assert busy.json()["limit_name"] == "max_concurrent_per_client"
            assert other.status_code == 200
            assert (await slow).status_code == 503  # stopped at its time limit
            statuses = [
                (await c.post(OSC, json=fig2a(64 + i), headers=as_("a"))).status_code
                for i in range(3)
            ]
            assert statuses == [200, 200, 429]  # the burst of 3: the slow one and two more
            limited = await c.post(OSC, json=fig2a(70), headers=as_("a"))
            assert limited.json()["limit_name"] == "rate_limit_per_s"
            assert int(limited.headers["retry-after"]) >= 1
            assert (await c.post(OSC, json=fig2a(71), headers=as_("b"))).status_code == 200
        assert keys["a"] not in server.log_text() and keys["b"] not in server.log_text()
