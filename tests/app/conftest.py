"""HTTP fixtures: an app on the in-process cache, and an async client bound to it (no sockets).

The apps of these fixtures compute in threads (``compute_backend="thread"``): spawning worker
processes for every test app would cost seconds each. The process pool has its own tests
(tests/app/test_pool.py) and the preset answers are computed through it once per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings


@asynccontextmanager
async def running_client(settings: Settings | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to a fresh app (lifespan run) over ASGI, no sockets."""
    app = create_app(settings or Settings(redis_url=None, compute_backend="thread"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """Client of an app with default settings and the in-process cache."""
    async with running_client() as c:
        yield c


@pytest.fixture
def make_client() -> Callable[..., Any]:
    """Factory: ``async with make_client(max_grid_points=10) as c: ...`` (settings overrides)."""

    def factory(**overrides: Any) -> Any:
        overrides.setdefault("redis_url", None)
        overrides.setdefault("compute_backend", "thread")
        return running_client(Settings(**overrides))

    return factory


@pytest.fixture(scope="session")
def preset_answers() -> dict[str, dict[str, Any]]:
    """Today's answer to every preset body, computed once per test session."""
    import asyncio

    from tests.app.snapshot_presets import answers_of_every_preset

    return asyncio.run(answers_of_every_preset())


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real Redis: the machine's at 127.0.0.1:6379 (or $TEST_REDIS_URL), else a redis-server
    started on a free port. With CI=true and neither, the test fails; elsewhere it skips. Never a
    fake."""
    import os
    import shutil
    import subprocess
    import time

    from tests.app.live import free_port

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if _redis_reachable(url):
        yield url
        return
    exe = shutil.which("redis-server")
    if exe:
        port = free_port()
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            for _ in range(100):
                if _redis_reachable(url):
                    break
                time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            proc.wait(5)
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no Redis reachable at {url} and no redis-server to start (CI=true)")
    pytest.skip("no Redis available")
