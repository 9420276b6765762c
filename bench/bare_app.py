"""The bare-FastAPI ceiling of a cached hit, for bench/bench_hitpath.py.

A FastAPI app with nothing but what serving a stored answer needs: it accepts the same POST
(reads the body, does not parse it) and answers the same JSON bytes the service answers for a
cached hit, either from memory or with one ``GET`` from Redis (``redis.asyncio``, the client the
service uses). No validation, no key, no middleware: what the service costs beyond this is the
price of its pipeline (validation, key, conditional, lookup, meta splice, logging, metrics).

Run it under uvicorn like the service::

    BARE_ANSWER_FILE=/tmp/answer.json BARE_REDIS_URL=redis://127.0.0.1:6390/0 \\
        uvicorn bench.bare_app:app --port 8101

Routes: ``POST /memory`` (the bytes of ``BARE_ANSWER_FILE``, read once at start-up) and
``POST /redis`` (the value of ``BARE_REDIS_KEY``, default ``bench:hitpath:answer``, on every
request; 503 when it is missing). Both also answer at the service's path
``/v1/oscillator/response`` with the mode of ``BARE_MODE`` (``memory`` or ``redis``), so the same
wrk script drives both apps.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

#: Redis key of the stored answer (the benchmark writes it).
DEFAULT_KEY = "bench:hitpath:answer"


def create_app() -> FastAPI:
    """The bare app, configured from the environment (``BARE_*``)."""
    answer_file = os.environ.get("BARE_ANSWER_FILE")
    redis_url = os.environ.get("BARE_REDIS_URL")
    key = os.environ.get("BARE_REDIS_KEY", DEFAULT_KEY)
    mode = os.environ.get("BARE_MODE", "memory")
    answer = Path(answer_file).read_bytes() if answer_file else b"{}"
    headers = {"X-Cache": "hit"}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if redis_url:
            import redis.asyncio as aioredis

            app.state.redis = aioredis.Redis.from_url(redis_url)
        else:
            app.state.redis = None
        try:
            yield
        finally:
            if app.state.redis is not None:
                await app.state.redis.aclose()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    async def from_memory(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json", headers=headers)

    async def from_redis(request: Request) -> Response:
        await request.body()
        value = await request.app.state.redis.get(key)
        if value is None:
            return Response(b'{"detail":"no stored answer"}', status_code=503)
        return Response(value, media_type="application/json", headers=headers)

    app.add_api_route("/memory", from_memory, methods=["POST"])
    app.add_api_route("/redis", from_redis, methods=["POST"])
    app.add_api_route(
        "/v1/oscillator/response",
        from_redis if mode == "redis" else from_memory,
        methods=["POST"],
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
