"""The compute pool with real worker processes: answers equal the thread backend's, a time limit
or a client that leaves stops the worker, a full pool is 503 with Retry-After, identical misses
share one computation and one requester leaving does not stop it for the others.

The apps here run the ASGI app directly with a hand-written ``receive`` so that a client
disconnect can be simulated exactly (``http.disconnect`` after the body)."""

from __future__ import annotations

import asyncio
import copy
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.presets import all_presets
from app.settings import Settings

OSC = "/v1/oscillator/response"
BANDS = "/v1/crystal/bands"


def slow_bands_body(n_orb: int = 32, n_k: int = 1000, onsite: float = 0.1) -> dict[str, Any]:
    """A chain of ``n_orb`` orbitals per cell on an ``n_k`` x ``n_k`` grid: a dense eigenproblem
    per k-point, tens of seconds (within every limit, so only the time limit can stop it)."""
    orbitals = [{"position": [i / n_orb, 0.0], "onsite": onsite * i} for i in range(n_orb)]
    hoppings = [
        {
            "from": i,
            "to": (i + 1) % n_orb,
            "R": [1 if i == n_orb - 1 else 0, 0],
            "amplitude": {"real": 1.0},
        }
        for i in range(n_orb)
    ] + [{"from": i, "to": i, "R": [0, 1], "amplitude": {"real": 0.5}} for i in range(n_orb)]
    return {
        "model": {
            "kind": "tight_binding",
            "lattice": [[1.0, 0.0], [0.0, 1.0]],
            "orbitals": orbitals,
            "hoppings": hoppings,
        },
        "grid": {"n": [n_k, n_k], "shift": 0.0},
    }


def fig2a() -> dict[str, Any]:
    return copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)


def child_pids() -> set[int]:
    """Pids of this process's live children (the pool's workers among them)."""
    me = os.getpid()
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out


@asynccontextmanager
async def process_app(**overrides: Any) -> AsyncIterator[FastAPI]:
    """An app on the process backend (warm-up off: these tests are about stopping work), with
    its lifespan running and its first worker ready."""
    settings = Settings(
        **{"redis_url": None, "compute_backend": "process", "compute_warm_up": False, **overrides}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        deadline = time.monotonic() + 60
        while not app.state.service.pool.ready:
            assert time.monotonic() < deadline, app.state.service.pool.state()
            await asyncio.sleep(0.05)
        yield app


async def post(
    app: FastAPI, path: str, body: dict[str, Any], *, leave_after: float | None = None
) -> tuple[int, dict[str, str], bytes]:
    """POST through the ASGI interface; ``leave_after``: the client disconnects after so many
    seconds (status 499 then means the service noticed)."""
    raw = orjson.dumps(body)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "root_path": "",
    }
    done = asyncio.Event()
    sent_body = False
    status = 0
    headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": raw, "more_body": False}
        if leave_after is not None:
            await asyncio.sleep(leave_after)
        else:
            await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.update({k.decode(): v.decode() for k, v in message.get("headers", [])})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    return status, headers, b"".join(chunks)


async def wait_for_exit(pids: set[int], within_s: float) -> set[int]:
    """The pids of ``pids`` that exited within ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        gone = pids - child_pids()
        if gone:
            return gone
        await asyncio.sleep(0.05)
    return pids - child_pids()


async def test_a_worker_process_answers_as_the_thread_backend() -> None:
    thread = create_app(Settings(redis_url=None, compute_backend="thread"))
    async with thread.router.lifespan_context(thread):
        s1, _, b1 = await post(thread, OSC, fig2a())
    async with process_app() as app:
        s2, h2, b2 = await post(app, OSC, fig2a())
    assert s1 == s2 == 200 and h2["x-cache"] == "miss"
    one, two = orjson.loads(b1), orjson.loads(b2)
    assert one["meta"]["parameter_hash"] == two["meta"]["parameter_hash"]
    # same code, same inputs; another process may pick other SIMD paths: compare to rounding
    for part in ("real", "imag"):
        a, b = one["epsilon"][part], two["epsilon"][part]
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 1e-12 * max(map(abs, a))
    assert {k: v["verdict"] for k, v in one["meta"]["checks"].items()} == {
        k: v["verdict"] for k, v in two["meta"]["checks"].items()
    }


async def test_a_domain_error_in_a_worker_is_the_same_problem_json() -> None:
    body = fig2a()
    body["transitions"][0]["gamma"] = 0.0  # an undamped line, and w = omega_0 on the grid
    body["frequencies"] = {"start": 0.5, "stop": 1.5, "num": 3, "unit": "model"}
    thread = create_app(Settings(redis_url=None, compute_backend="thread"))
    async with thread.router.lifespan_context(thread):
        s1, _, b1 = await post(thread, OSC, body)
    async with process_app() as app:
        s2, _, b2 = await post(app, OSC, body)
    assert s1 == s2 and 400 <= s1 < 500, (s1, b1)
    assert orjson.loads(b1) == orjson.loads(b2)


async def test_the_time_limit_stops_the_worker_process() -> None:
    async with process_app(compute_timeout_s=1.5, compute_workers=1) as app:
        before = child_pids()
        t0 = time.monotonic()
        status, _, raw = await post(app, BANDS, slow_bands_body())
        took = time.monotonic() - t0
        assert status == 503, raw[:300]
        problem = orjson.loads(raw)
        assert problem["limit_name"] == "compute_timeout_s" and problem["errors"]
        assert took < 1.5 + 2.0
        # the worker that ran it is terminated (pebble starts a fresh one)
        assert await wait_for_exit(before, within_s=2.0)


async def test_a_client_that_leaves_stops_its_computation() -> None:
    async with process_app(compute_timeout_s=60, compute_workers=1) as app:
        before = child_pids()
        status, _, _ = await post(app, BANDS, slow_bands_body(), leave_after=0.5)
        assert status == 499
        assert await wait_for_exit(before, within_s=2.0)
        # and the pool serves the next request with a fresh worker
        status, _, _ = await post(app, OSC, fig2a())
        assert status == 200


async def test_one_of_two_identical_requests_leaving_does_not_stop_the_other() -> None:
    body = slow_bands_body(n_orb=8, n_k=400)  # about a second
    async with process_app(compute_timeout_s=120, compute_workers=1) as app:
        svc = app.state.service
        leaver = asyncio.create_task(post(app, BANDS, body, leave_after=0.05))
        stayer = asyncio.create_task(post(app, BANDS, body))
        s_leave, _, _ = await leaver
        s_stay, _, raw = await stayer
        assert s_leave == 499
        assert s_stay == 200, raw[:300]
        assert svc.computations == 1


async def test_a_full_pool_is_503_with_retry_after_naming_the_queue() -> None:
    async with process_app(compute_timeout_s=30, compute_workers=1, compute_queue=0) as app:
        busy = asyncio.create_task(post(app, BANDS, slow_bands_body(), leave_after=3.0))
        await asyncio.sleep(0.3)
        status, headers, raw = await post(app, BANDS, slow_bands_body(onsite=0.2))
        assert status == 503
        assert int(headers["retry-after"]) >= 1
        problem = orjson.loads(raw)
        assert problem["limit_name"] == "compute_queue" and problem["errors"][0]["fix"]
        await busy


@pytest.mark.parametrize("n", [2])
async def test_identical_concurrent_misses_compute_once(n: int) -> None:
    body = slow_bands_body(n_orb=8, n_k=200)
    async with process_app(compute_timeout_s=60) as app:
        results = await asyncio.gather(*(post(app, BANDS, body) for _ in range(n)))
        assert [s for s, _, _ in results] == [200] * n
        assert app.state.service.computations == 1
        assert len({orjson.loads(b)["meta"]["parameter_hash"] for _, _, b in results}) == 1
