"""What an operator sees of the service: Prometheus metrics, structured logs, request ids.

Request ids
    Every HTTP request gets an id: the client's ``X-Request-ID`` when it is 1-128 characters of
    ``[A-Za-z0-9._-]``, else a fresh one (32 random hex digits). It is returned as the ``X-Request-ID``
    response header (also on 500s and on every 4xx), held in :data:`request_id_var` while the
    request runs (so every log line written for it carries it, also from worker threads: anyio
    copies the context), and written in the access-log line.

Logs (:func:`configure_logging`)
    ``log_format=json``: one JSON object per line on stderr::

        {"ts": "2025-01-31T12:00:00.123Z", "level": "info", "logger": "app.access",
         "msg": "POST /v1/oscillator/response 200 3.1 ms", "request_id": "9f...",
         "method": "POST", "route": "/v1/oscillator/response", "status": 200,
         "duration_ms": 3.104, "client": "10.0.0.7", "cache": "hit", ...}

    ``ts`` is UTC (ISO 8601, milliseconds); extra fields of a record (``log.info(..., extra=)``)
    become keys; a traceback is the ``exc`` key, and only the unexpected-error (500) path logs
    one: 4xx are answers, not faults. ``log_format=text`` writes the same records as
    ``ts LEVEL logger [request_id] msg``. uvicorn's own loggers are routed through the same
    handler, and uvicorn's access log is replaced by ours (one line per request, written when
    the response has been sent).

Metrics (``GET /metrics``, Prometheus text exposition; OpenMetrics when the scraper asks)
    ========================================= ==========================================
    ``susc_http_request_duration_seconds``     histogram{route, method, status}: time from the
                                               request to the last byte of the response;
                                               ``route`` is the route *template*
                                               (``/v1/crystal/bands``), ``unmatched`` for paths
                                               no route serves
    ``susc_http_requests_in_progress``         gauge: requests being served
    ``susc_cache_events_total``                counter{event}: hit, miss, error, skipped, set
    ``susc_compute_seconds``                   histogram{model, outcome}: wall time of one
                                               computation (ok, error, timeout, cancelled)
    ``susc_pool_queued`` / ``_running`` /      gauges: computations waiting / running /
    ``_capacity``                              admitted at most (workers + queue)
    ``susc_pool_saturation``                   gauge: (running + queued) / capacity; at 1 the
                                               next computation is refused with 503
    ``susc_rejections_total``                  counter{reason}: requests refused before any
                                               work (rate_limited, pool_full, ...)
    ``susc_build_info``                        gauge{version} = 1
    ========================================= ==========================================

    Without ``PROMETHEUS_MULTIPROC_DIR`` the registry also carries the client's process, platform
    and GC collectors.

Multiprocess mode (``uvicorn --workers N``)
    Each worker process has its own counters; to see the sum, set ``PROMETHEUS_MULTIPROC_DIR``
    to a directory the workers share *before* they start. prometheus-client then keeps every
    metric in a memory-mapped file per process there, and ``/metrics`` (served by whichever
    worker the scrape lands on) aggregates all of them with ``MultiProcessCollector``: counters
    and histograms summed over every process that ever ran, gauges summed (``livesum``) or
    maximised (``livemax``: saturation, build info) over the live ones. The files of a process
    that has gone are dropped from the live gauges when it shuts down cleanly and, for one that
    was killed, at the next scrape (its pid no longer exists).

    **The launcher empties the directory at start-up**, never the app (a worker that wiped it
    would erase its siblings' counters)::

        # Makefile (make run): PROM_DIR ?= /tmp/susc-prometheus-$(PORT)
        mkdir -p "$(PROM_DIR)" && find "$(PROM_DIR)" -mindepth 1 -delete
        PROMETHEUS_MULTIPROC_DIR="$(PROM_DIR)" uvicorn app.main:app --workers N ...
        # Dockerfile: ENV PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus, and the CMD does the same
        # on every container start (a restarted container keeps its files):
        sh -c 'mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && find "$PROMETHEUS_MULTIPROC_DIR" \
               -mindepth 1 -delete && exec uvicorn app.main:app ...'

    (``find -delete`` rather than ``rm -rf`` of the directory: it also works when the directory
    is a tmpfs mount point.) The directory must be local to the machine (one per container): the
    pids in its file names are checked against the local process table.

Wiring (``app/main.py``): ``configure_logging(settings)`` once per process, then
``install_observability(app, settings)`` in ``create_app`` (any point: it wraps the whole
middleware stack). The service calls the metric hooks (:func:`record_cache`,
:func:`record_compute`, :func:`set_pool_state`, :func:`record_rejection`).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import core
from app.settings import Settings

__all__ = [
    "ObservabilityMiddleware",
    "configure_logging",
    "install_observability",
    "log_startup",
    "metrics_text",
    "record_cache",
    "record_compute",
    "record_rejection",
    "request_id_var",
    "set_pool_state",
    "startup_line",
]

log = logging.getLogger("app")
access_log = logging.getLogger("app.access")

#: The id of the request being served (``None`` outside a request).
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

REQUEST_ID_HEADER = b"x-request-id"
_REQUEST_ID_OK = re.compile(rb"[A-Za-z0-9._-]{1,128}")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Latency buckets, seconds: from a cached hit (sub-millisecond) to the compute time limit.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip
#: Compute-time buckets, seconds.
COMPUTE_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
)  # fmt: skip

CACHE_EVENTS = ("hit", "miss", "error", "skipped", "set")
COMPUTE_OUTCOMES = ("ok", "error", "timeout", "cancelled")


def new_request_id() -> str:
    """A fresh request id: 32 lowercase hex digits, 128 random bits (``os.urandom``: a fifth
    of the cost of ``uuid4().hex``, the same randomness less the 6 fixed version bits)."""
    return os.urandom(16).hex()


def valid_request_id(value: bytes) -> bool:
    """Whether a client's ``X-Request-ID`` is kept: 1-128 characters of ``[A-Za-z0-9._-]``
    (anything else could forge log lines or blow up their size, and gets a fresh id)."""
    return _REQUEST_ID_OK.fullmatch(value) is not None


# -- metrics ---------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    """The shared metrics directory of multiprocess mode, or ``None`` (single process)."""
    return os.environ.get(_MULTIPROC_ENV) or None


@dataclass
class _Metrics:
    """The metric objects, built on first use (not at import: a compute-pool worker process
    that imports this module and never records anything leaves no files behind)."""

    latency: Any
    in_progress: Any
    cache_events: Any
    compute: Any
    pool_queued: Any
    pool_running: Any
    pool_capacity: Any
    pool_saturation: Any
    rejections: Any
    build_info: Any
    #: label values -> child metric, so the hot path skips ``labels()`` (a lock and a dict)
    latency_children: dict[tuple[str, str, int], Any]
    cache_children: dict[str, Any]


_metrics: _Metrics | None = None


def metrics() -> _Metrics:
    """The process's metric objects (created in the default registry on the first call)."""
    global _metrics
    if _metrics is None:
        mp_dir = multiprocess_dir()
        if mp_dir:  # the launcher empties it; here it only has to exist
            Path(mp_dir).mkdir(parents=True, exist_ok=True)

        m = _Metrics(
            latency=Histogram(
                "susc_http_request_duration_seconds",
                "Time from the request to the last byte of its response, seconds.",
                ("route", "method", "status"),
                buckets=LATENCY_BUCKETS,
            ),
            in_progress=Gauge(
                "susc_http_requests_in_progress",
                "HTTP requests being served.",
                multiprocess_mode="livesum",
            ),
            cache_events=Counter(
                "susc_cache_events",
                "Cache lookups and writes: hit, miss, error (backend fault), skipped (backend "
                "bypassed, e.g. circuit open), set.",
                ("event",),
            ),
            compute=Histogram(
                "susc_compute_seconds",
                "Wall time of one computation in the compute pool, seconds.",
                ("model", "outcome"),
                buckets=COMPUTE_BUCKETS,
            ),
            pool_queued=Gauge(
                "susc_pool_queued",
                "Computations waiting for a worker.",
                multiprocess_mode="livesum",
            ),
            pool_running=Gauge(
                "susc_pool_running", "Computations running.", multiprocess_mode="livesum"
            ),
            pool_capacity=Gauge(
                "susc_pool_capacity",
                "Computations admitted at most at once (workers + queue).",
                multiprocess_mode="livesum",
            ),
            pool_saturation=Gauge(
                "susc_pool_saturation",
                "(running + queued) / capacity of the most loaded process; 1 means the next "
                "computation is refused with 503.",
                multiprocess_mode="livemax",
            ),
            rejections=Counter(
                "susc_rejections",
                "Requests refused before any work, by reason (rate_limited, pool_full, ...).",
                ("reason",),
            ),
            build_info=Gauge(
                "susc_build_info",
                "Version of the service (value 1).",
                ("version",),
                multiprocess_mode="livemax",
            ),
            latency_children={},
            cache_children={},
        )
        m.build_info.labels(core.__version__).set(1)
        _metrics = m
    return _metrics


def _observe_request(route: str, method: str, status: int, seconds: float) -> None:
    m = _metrics or metrics()
    key = (route, method, status)
    child = m.latency_children.get(key)
    if child is None:
        child = m.latency_children[key] = m.latency.labels(route, method, str(status))
    child.observe(seconds)


_LABEL_OK = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _label(value: str) -> str:
    """A caller-supplied label value kept to ``[A-Za-z0-9_.:-]{1,64}``, else ``other`` (label
    values come from code, not from requests; this only keeps a bug from exploding them)."""
    return value if _LABEL_OK.fullmatch(value) else "other"


def record_cache(event: str) -> None:
    """Count one cache event: ``hit``, ``miss``, ``error``, ``skipped`` or ``set`` (anything
    else is counted as ``other``). Cheap; safe on the event loop."""
    m = _metrics or metrics()
    child = m.cache_children.get(event)
    if child is None:
        child = m.cache_events.labels(event if event in CACHE_EVENTS else "other")
        m.cache_children[event] = child
    child.inc()


def record_compute(model: str, seconds: float, outcome: str) -> None:
    """Observe one computation of ``model`` that took ``seconds`` (wall time, s) and ended
    ``ok``, ``error``, ``timeout`` or ``cancelled``."""
    m = _metrics or metrics()
    m.compute.labels(_label(model), outcome if outcome in COMPUTE_OUTCOMES else "other").observe(
        max(0.0, seconds)
    )


def set_pool_state(queued: int, running: int, capacity: int) -> None:
    """Publish the compute pool's state: computations ``queued`` and ``running`` now, and the
    ``capacity`` it admits at most (workers + queue; beyond it requests get 503)."""
    m = _metrics or metrics()
    m.pool_queued.set(queued)
    m.pool_running.set(running)
    m.pool_capacity.set(capacity)
    m.pool_saturation.set((queued + running) / capacity if capacity > 0 else 0.0)


def record_rejection(reason: str) -> None:
    """Count a request refused before any work (``rate_limited``, ``pool_full``, ...; a reason
    outside ``[A-Za-z0-9_.:-]{1,64}`` is counted as ``other``)."""
    (_metrics or metrics()).rejections.labels(_label(reason)).inc()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


_LIVE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def reap_dead_processes(path: str) -> list[int]:
    """Drop the live-gauge files of processes that no longer exist (killed workers never call
    ``mark_process_dead``); their counters and histograms stay in the totals. Returns the pids
    dropped."""
    dead = set()
    for name in os.listdir(path):
        match = _LIVE_FILE.fullmatch(name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            dead.add(int(match.group(1)))
    for pid in dead:
        multiprocess.mark_process_dead(pid, path)
    return sorted(dead)


def mark_this_process_dead() -> None:
    """At a clean shutdown in multiprocess mode: remove this process's live gauges."""
    mp_dir = multiprocess_dir()
    if mp_dir and os.path.isdir(mp_dir):
        multiprocess.mark_process_dead(os.getpid(), mp_dir)


def metrics_text(accept: str | None = None) -> tuple[bytes, str]:
    """The exposition (body, content type) of every metric of this service (all processes in
    multiprocess mode), in the format ``accept`` asks for (Prometheus text by default)."""
    metrics()
    encoder, content_type = choose_encoder(accept or "")
    mp_dir = multiprocess_dir()
    if mp_dir:
        reap_dead_processes(mp_dir)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=mp_dir)
        return encoder(registry), content_type
    return encoder(REGISTRY), content_type


# -- the job queue's metrics (app/jobs) ----------------------------------------------------

_jobs_source: Any = None


def set_jobs_source(source: Any) -> None:
    """The app's :class:`app.jobs.api.JobsService` (``None``: no job metrics)."""
    global _jobs_source
    _jobs_source = source


async def _job_lines(source: Any) -> bytes:
    """``susc_jobs{state}`` (computations queued and running now) ``susc_jobs_total{outcome}``
    (submitted, cached, done, failed, cancelled so far) and ``susc_job_queue_depth`` (messages
    not yet taken by a worker), from the jobs Redis; nothing when it cannot be read."""
    from app.jobs import queue

    try:
        counts = await source.store.counts()
        depth = await anyio.to_thread.run_sync(queue.queue_depth, source.broker)
    except Exception as exc:  # the jobs Redis away: the rest of the metrics still answer
        log.warning("job metrics unavailable: %r", exc)
        return b""
    lines = [
        "# HELP susc_jobs Job computations in each live state now (all app processes agree).",
        "# TYPE susc_jobs gauge",
    ]
    lines += [f'susc_jobs{{state="{st}"}} {counts.get(st, 0)}' for st in ("queued", "running")]
    lines += [
        "# HELP susc_jobs_total Job submissions and computation outcomes so far.",
        "# TYPE susc_jobs_total counter",
    ]
    lines += [
        f'susc_jobs_total{{outcome="{o}"}} {counts.get(o, 0)}'
        for o in ("submitted", "cached", "done", "failed", "cancelled")
    ]
    lines += [
        "# HELP susc_job_queue_depth Job messages waiting for a worker.",
        "# TYPE susc_job_queue_depth gauge",
        f"susc_job_queue_depth {depth}",
    ]
    return ("\n".join(lines) + "\n").encode()


def _with_job_lines(body: bytes, extra: bytes) -> bytes:
    if not extra:
        return body
    if body.rstrip().endswith(b"# EOF"):  # OpenMetrics: the terminator stays last
        return body.rstrip()[: -len(b"# EOF")] + extra + b"# EOF\n"
    return body + extra


# -- the middleware --------------------------------------------------------------------------


class ObservabilityMiddleware:
    """Request id, latency histogram and access-log line of every HTTP request (pure ASGI: the
    response is passed through message by message, never buffered).

    It sits outside Starlette's ``ServerErrorMiddleware`` (see :func:`install_observability`),
    so a 500 also carries ``X-Request-ID`` and is measured. The unexpected-error handler has
    logged that exception with its traceback and request id; it is not re-raised to the server
    once the 500 has been sent (the server would log the traceback a second time, without the id).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        fastapi_app: FastAPI,
        settings: Settings,
        log_startup_line: bool = True,
    ) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.settings = settings
        self.metrics = settings.metrics_enabled
        self.access = settings.access_log
        self.log_startup_line = log_startup_line
        self._paths: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, self._lifespan_send(send))
            else:
                await self.app(scope, receive, send)
            return

        rid: str | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                if valid_request_id(value):
                    rid = value.decode("ascii")
                break
        if rid is None:
            rid = os.urandom(16).hex()
        rid_header = (REQUEST_ID_HEADER, rid.encode("ascii"))
        token = request_id_var.set(rid)
        path = scope.get("path", "")
        root_path = scope.get("root_path", "")
        status = 0
        finished = False
        cache: str | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status, finished, cache
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or ())
                has_id = False
                for name, value in headers:
                    lname = name.lower()
                    if lname == b"x-cache":
                        cache = value.decode("latin-1")
                    elif lname == REQUEST_ID_HEADER:
                        has_id = True
                if not has_id:
                    headers.append(rid_header)
                message["headers"] = headers
            elif kind == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        in_progress = (_metrics or metrics()).in_progress if self.metrics else None
        if in_progress is not None:
            in_progress.inc()
        t0 = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if status == 0:
                status = 500
            if not (finished and status >= 500):
                raise
            # a 500 sent by the error handler, which logged the traceback: not re-raised
        except BaseException:  # cancelled: the client or the server went away
            if status == 0:
                status = 499
            raise
        finally:
            seconds = time.perf_counter() - t0
            if in_progress is not None:
                in_progress.dec()
            try:
                self._finish(scope, path, root_path, rid, status, cache, seconds)
            except Exception:  # observability never fails a request
                log.exception("observability: recording the request failed")
            finally:
                request_id_var.reset(token)

    def _finish(
        self,
        scope: Scope,
        path: str,
        root_path: str,
        rid: str,
        status: int,
        cache: str | None,
        seconds: float,
    ) -> None:
        if status == 0:  # nothing was sent and nothing raised
            status = 499
        method = scope.get("method", "GET")
        method = method if method in _METHODS else "other"
        route = self._route(scope, path, root_path, status)
        if self.metrics:
            _observe_request(route, method, status, seconds)
        if self.access:
            level = logging.INFO if status < 500 else logging.WARNING
            if access_log.isEnabledFor(level):
                ms = seconds * 1e3
                client = scope.get("client")
                short = path[:256]
                # the record is built here, not by Logger.log: that would walk the stack to
                # find the caller (a third of the cost), which is always this line
                record = logging.LogRecord(
                    access_log.name,
                    level,
                    __file__,
                    0,
                    "%s %s %d %.1f ms",
                    (method, short, status, ms),
                    None,
                    "access",
                )
                record.__dict__.update(
                    method=method,
                    route=route,
                    path=short,
                    status=status,
                    duration_ms=round(ms, 3),
                    request_id=rid,
                    client=client[0] if client else None,
                    cache=cache,
                )
                access_log.handle(record)

    def _route(self, scope: Scope, path: str, root_path: str, status: int) -> str:
        """The route template that served the request; ``unmatched`` for paths no route serves
        (never the raw path: its values are unbounded)."""
        route = scope.get("route")
        if route is None:
            # answered before routing (e.g. the 413 of the body-size limit, a 415): the
            # documented paths are matched here; a 404 did pass the router and matched nothing
            if status == 404:
                return "unmatched"
            relative = path[len(root_path) :] if root_path and path.startswith(root_path) else path
            for regex, documented in self._documented_paths():
                if regex.match(relative):
                    return documented
            return "unmatched"
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if not isinstance(template, str):
            return "unmatched"
        if isinstance(route, Mount) and "{" not in template:
            return template + "/{path}"
        return template

    def _documented_paths(self) -> list[tuple[re.Pattern[str], str]]:
        """The path templates of the app's OpenAPI document, compiled once."""
        if self._paths is None:
            try:
                paths = list(self.fastapi_app.openapi().get("paths", {}))
            except Exception:  # a broken schema must not break a response
                log.warning("observability: no OpenAPI paths for route labels", exc_info=True)
                paths = []
            self._paths = [(compile_path(p)[0], p) for p in paths]
        return self._paths

    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete" and self.log_startup_line:
                log_startup(self.settings)
            elif message["type"] == "lifespan.shutdown.complete":
                mark_this_process_dead()
            await send(message)

        return lifespan_send


def install_observability(
    app: FastAPI, settings: Settings, *, log_startup_line: bool = True
) -> None:
    """Add request ids, metrics and access logs to ``app``, and ``GET /metrics``.

    The middleware is placed *outside* Starlette's ``ServerErrorMiddleware`` (by wrapping the
    app's middleware stack) so that unexpected errors are measured and answered with their
    request id too. When the ASGI lifespan starts, :func:`startup_line` is logged (unless
    ``log_startup_line`` is false); when it ends, multiprocess live gauges of this process are
    removed. Call once per app, before it serves (idempotent)."""
    if getattr(app.state, "observability_installed", False):
        return
    app.state.observability_installed = True
    build_stack = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return ObservabilityMiddleware(
            build_stack(), fastapi_app=app, settings=settings, log_startup_line=log_startup_line
        )

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]

    if settings.metrics_enabled:
        metrics()

        async def prometheus_metrics(request: Request) -> Response:
            """Prometheus metrics of this service (all worker processes in multiprocess mode),
            and the job queue's (read from its Redis, so every app process tells the same)."""
            body, content_type = await anyio.to_thread.run_sync(
                metrics_text, request.headers.get("accept")
            )
            if _jobs_source is not None:
                body = _with_job_lines(body, await _job_lines(_jobs_source))
            return Response(body, media_type=content_type)

        app.add_api_route("/metrics", prometheus_metrics, methods=["GET"], include_in_schema=False)


# -- logging ---------------------------------------------------------------------------------

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI copy of msg
    "request_id",
    "taskName",
}


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (from :data:`request_id_var`, ``None`` outside a request) to
    every record that has none. Put it on a *handler*: handler filters see the records of every
    logger that propagates to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


_ts_cache: tuple[int, str] = (-1, "")


def _utc_ts(record: logging.LogRecord) -> str:
    """``record.created`` as ISO 8601 UTC with milliseconds (``2025-01-31T12:00:00.123Z``);
    the seconds part is formatted once per second."""
    global _ts_cache
    second = int(record.created)
    cached_second, prefix = _ts_cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _ts_cache = (second, prefix)
    return f"{prefix}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``,
    ``request_id``, every extra field of the record, and ``exc`` (the traceback) when the
    record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _utc_ts(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in out and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(out, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        except TypeError:  # e.g. an int beyond 64 bits: fall back to the standard library
            return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    """``ts LEVEL logger [request_id] msg`` (UTC timestamps), tracebacks below."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_ts(record)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get() or "-"
        return super().format(record)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (a test runner swaps
    it; a handler bound to the old stream would write to a closed file)."""

    _ours: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    """Send every log record of the process (ours, uvicorn's, libraries') to stderr as JSON or
    text (``settings.log_format``) at ``settings.log_level``, each with its request id.

    Idempotent: a second call replaces the handler of the first. Handlers others put on the root
    logger (a test runner's) are left alone. uvicorn's handlers are removed (its records
    propagate to ours) and its access log is silenced: :class:`ObservabilityMiddleware` writes
    one line per request instead (turn it off with ``access_log=false``)."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_ours", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(settings.log_level)
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    uvicorn_access.disabled = True


# -- the startup line ------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"key|secret|password|passwd|token|credential", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"pass|secret|token|key", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with the password of its user info and any secret-looking query value replaced
    by ``***`` (``redis://:s3cret@redis:6379/0`` -> ``redis://:***@redis:6379/0``)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
        query = parts.query
        if query:
            query = urlencode(
                [(k, "***" if _SECRET_QUERY.search(k) else v) for k, v in parse_qsl(query)],
                safe="*",
            )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<unparsable url>"


def _shown(name: str, value: Any) -> Any:
    """A settings value as it may be logged: secrets by name only say whether they are set."""
    if _SECRET_NAME.search(name):
        if value is None or value == "" or value == () or value == []:
            return "unset"
        if isinstance(value, list | tuple | set | frozenset | dict):
            return f"{len(value)} set"
        return "set"
    if hasattr(value, "get_secret_value"):  # pydantic SecretStr/SecretBytes
        return "set"
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    return value


_GROUPS: dict[str, tuple[str, ...]] = {
    "cache": (
        "redis_url",
        "cache_ttl_s",
        "redis_timeout_s",
        "memory_cache_items",
        "memory_cache_bytes",
    ),
    "compute": (
        "compute_backend",
        "compute_workers",
        "compute_queue",
        "compute_threads",
        "compute_timeout_s",
        "compute_max_tasks",
        "compute_warm_up",
    ),
    "logs": ("log_format", "log_level", "access_log", "metrics_enabled"),
}


def startup_summary(settings: Settings) -> dict[str, Any]:
    """The settings that matter, grouped, secrets redacted (:func:`startup_line` prints it).
    Settings not listed in a group (e.g. rate limits added later) appear under ``other``."""
    values = {name: _shown(name, getattr(settings, name)) for name in type(settings).model_fields}
    out: dict[str, Any] = {"version": core.__version__, "pid": os.getpid()}
    for group, names in _GROUPS.items():
        out[group] = {n: values.pop(n) for n in names if n in values}
    out["cache"]["backend"] = "redis" if settings.redis_url else "memory"
    out["limits"] = {n: values.pop(n) for n in sorted(values) if n.startswith("max_")}
    out["metrics_mode"] = f"multiprocess ({multiprocess_dir()})" if multiprocess_dir() else "single"
    out["other"] = values
    return out


def startup_line(settings: Settings) -> str:
    """One line with the settings that matter: version, cache backend and redacted Redis URL,
    compute backend, workers and time limit, limits, logging and metrics mode. Never a secret:
    settings named like keys, tokens or passwords only say whether they are set, URLs lose their
    passwords."""
    s = startup_summary(settings)
    c, p = s["cache"], s["compute"]
    cache = (
        f"redis {c['redis_url']} (timeout {c['redis_timeout_s']} s)"
        if c["backend"] == "redis"
        else f"memory ({c['memory_cache_items']} items, {c['memory_cache_bytes']} B)"
    )
    limits = " ".join(f"{k.removeprefix('max_')}={v}" for k, v in s["limits"].items())
    other = " ".join(f"{k}={v}" for k, v in s["other"].items())
    lg = s["logs"]
    return (
        f"susceptibility service {s['version']} pid {s['pid']} | cache {cache}, ttl "
        f"{c['cache_ttl_s']} s | compute {p['compute_backend']} x{p['compute_workers']} queue "
        f"{p['compute_queue']} timeout {p['compute_timeout_s']} s threads {p['compute_threads']} "
        f"| limits {limits} | logs {lg['log_format']} {lg['log_level']} access_log "
        f"{lg['access_log']} | metrics {'on' if lg['metrics_enabled'] else 'off'} "
        f"{s['metrics_mode']}" + (f" | {other}" if other else "")
    )


def log_startup(settings: Settings) -> None:
    """Log :func:`startup_line` once (logger ``app``, ``event="startup"``, the grouped
    settings as the ``settings`` field of the JSON line)."""
    log.info(
        startup_line(settings), extra={"event": "startup", "settings": startup_summary(settings)}
    )
