"""HTTP fixtures: an app on the in-process cache, and an async client bound to it (no sockets).

The apps of these fixtures compute in threads (``compute_backend="thread"``): spawning worker
processes for every test app would cost seconds each. The process pool has its own tests
(tests/app/test_pool.py) and the preset answers are computed through it once per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
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
