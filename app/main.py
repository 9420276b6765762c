"""Application factory: ``create_app()`` builds the service; ``app`` is what uvicorn serves.

Resources (the cache client, the worker limiter) are created in the lifespan and stored on
``app.state``; nothing is connected at import time.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

import core
from app.cache import make_cache
from app.errors import install_error_handlers, problem_response
from app.fairuse import install_fair_use
from app.hitpath import HitPath
from app.limits import BodySizeLimit, ContentTypeGuard
from app.observability import configure_logging, install_observability, set_jobs_source
from app.openapi import add_preset_examples
from app.pool import ComputePool
from app.responses import FastJSONResponse
from app.routers import (
    causality,
    chiral,
    crystal,
    crystal_response,
    emitters,
    jobs,
    meta,
    molecular,
    molecular_states,
    optics,
    oscillator,
)
from app.service import Service
from app.settings import Settings, get_settings

log = logging.getLogger("app")

STATIC_DIR = Path(__file__).parent / "static"


def plotly_js_path() -> Path | None:
    """``plotly.min.js`` of the installed (pinned) ``plotly`` package, found without importing it;
    ``None`` when the package is missing. The teaching page loads it from this host (no CDN)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


DESCRIPTION = """
Electromagnetic material response from physical models of matter: permittivity eps(w),
permeability mu(w), magnetic susceptibility chi(w), refractive index, reflectance, absorption,
with the checks that say whether the numbers are physical (sum rules, Kramers-Kronig, passivity
Im(eps mu) > 0, origin and gauge independence, convergence).

Conventions: fields vary as exp(-i w t), so passive media have Im eps > 0. Complex arrays are
`{"real": [...], "imag": [...]}`. Computations are `POST` with a JSON body; `?format=csv` returns
the arrays as CSV. Every response has `meta` (model, version, parameter hash, cache status,
elapsed time, checks). Errors are RFC 9457 `application/problem+json`. Ready-made requests that
reproduce the papers' figures: `GET /v1/presets`.
"""


#: Every router of the service, in the order the docs list them (one per endpoint family).
ROUTERS = (
    oscillator.router,
    causality.router,
    optics.router,
    chiral.router,
    emitters.router,
    molecular.router,
    molecular_states.router,
    crystal.router,
    crystal_response.router,
    jobs.router,
    meta.router,
)


def operation_id(route: APIRoute) -> str:
    """The one rule for operation ids: ``<first tag>-<handler name with dashes>``, e.g.
    ``causality-kramers-kronig``; stable as long as the handler keeps its name."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name.replace('_', '-')}"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application. ``settings`` defaults to the environment's (``get_settings()``)."""
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the OpenAPI document (the content-type guard and the metrics' route names read it)
        # takes about a second to build: here, off the event loop, not in the first POST
        await anyio.to_thread.run_sync(app.openapi)
        cache = make_cache(settings)
        pool = ComputePool(settings)
        await pool.start()
        app.state.service = Service(settings, cache, pool)
        # jobs need a Redis (the queue and the records); without one /v1/jobs answers 503
        app.state.jobs = None
        if settings.jobs_redis_url or settings.redis_url:
            from app.jobs.api import JobsService

            app.state.jobs = JobsService(settings, app, cache)
            set_jobs_source(app.state.jobs)
        ok, reason = await cache.ping()
        log.info(
            "cache backend %s: %s", cache.backend, reason if ok else "NOT reachable: " + reason
        )
        try:
            yield
        finally:
            if app.state.jobs is not None:
                set_jobs_source(None)
                await app.state.jobs.close()
            await pool.close()
            await cache.close()

    app = FastAPI(
        title="Susceptibility service",
        version=core.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=FastJSONResponse,
        separate_input_output_schemas=False,
        generate_unique_id_function=operation_id,
        license_info={"name": "MIT"},
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(HitPath)  # innermost: a repeat of a known request is a cache lookup
    app.add_middleware(ContentTypeGuard)  # 415 before the body is parsed
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)  # 413 as it arrives
    install_fair_use(app, settings)  # outside the size limit: a throttled client sends nothing
    install_observability(app, settings)  # wraps the whole stack: every answer has a request id

    for r in ROUTERS:
        app.include_router(r)
    add_preset_examples(app)

    @app.get("/healthz", tags=["health"])
    async def alive() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def ready(request: Request) -> FastJSONResponse:
        """Readiness: the cache backend is reachable and a compute worker is warm (else 503 with
        the reason)."""
        svc: Service = request.app.state.service
        ok, reason = await svc.cache.ping()
        stats = svc.cache.stats
        pool = svc.pool.state()
        body = {
            "status": "ready" if ok and pool.ready else "unavailable",
            "cache": svc.cache.backend,
            "detail": reason,
            "compute": {
                "backend": pool.backend,
                "workers": pool.workers,
                "queue": pool.queue,
                "running": pool.running,
                "queued": pool.queued,
                "ready": pool.ready,
                "detail": pool.detail,
            },
            "cache_stats": {
                "hits": stats.hits,
                "misses": stats.misses,
                "errors": stats.errors,
                "skipped": stats.skipped,
            },
        }
        if not ok:
            return problem_response(
                503,
                "cache-unreachable",
                "Cache backend unreachable",
                reason,
                request,
                errors=[{"field": "", "message": reason, "fix": "check REDIS_URL and Redis"}],
                headers={"Retry-After": "1"},
            )
        if not pool.ready:
            return problem_response(
                503,
                "warming-up",
                "Compute workers not ready",
                pool.detail,
                request,
                errors=[{"field": "", "message": pool.detail, "fix": "retry in a few seconds"}],
                headers={"Retry-After": "1"},
            )
        return FastJSONResponse(body)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse((STATIC_DIR / "swagger.html").read_text())

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse((STATIC_DIR / "redoc.html").read_text())

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> Response:
        path = plotly_js_path()
        if path is None:
            return problem_response(
                404, "not-found", "plotly.js is not installed", "pip install -r requirements.lock"
            )
        return FileResponse(
            path,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(
            "/static/teach.html" if (STATIC_DIR / "teach.html").exists() else "/docs"
        )

    return app


app = create_app()
