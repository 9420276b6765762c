"""The request pipeline every computation endpoint shares: check -> key -> conditional ->
cache -> compute (shared, bounded, stoppable) -> respond.

A route handler receives its validated body (pydantic) and calls :meth:`Service.respond` with the
registered :class:`app.computations.Computation`. This module then

1. negotiates the representation (``?format=`` wins, else ``Accept``; nothing acceptable is 406
   before any work) and runs the computation's cheap limit checks (413/422 before any work);
2. derives the cache key from the *exact* body (``model_dump_json``: shortest round-trip float
   repr, so bodies one ulp apart get their own keys, and ``1`` and ``1.0`` one key after
   validation), the computation's name, model and version, and the payload format; the ETag is
   the key plus the representation;
3. evaluates ``If-None-Match`` as RFC 9110 section 13.1.2 says for a method other than GET/HEAD: a
   matching entity tag, or ``*`` when the answer exists, makes the condition false and the answer
   412 Precondition Failed (with the ETag), and nothing is computed;
4. looks the key up (``X-Cache: hit``); on a miss, identical concurrent misses share one
   computation: in this process through the in-flight table, across processes through a short
   cache lock (Redis ``SET NX PX``; the others wait for the stored answer). The computation runs in
   the compute pool (app/pool.py: worker processes that are stopped on timeout); when every
   request waiting for it has gone (client disconnect), it is stopped too. A full pool is 503 with
   Retry-After, a timeout 503 naming ``compute_timeout_s``;
5. answers JSON (``meta`` first; the stored data bytes spliced in, never parsed; big answers are
   streamed while they are decompressed, so memory stays at the compressed size) or another
   representation (app/formats.py: CSV, NumPy .npz, figures), encoded in a worker thread and
   cached beside the answer (key ``<key>:<fmt>``).

Each representation has its own ETag (key + format), answers carry ``Vary: Accept``, and every
non-JSON answer a ``Content-Disposition`` attachment named
``<model>-<first 12 of the parameter hash>.<ext>``. The stored answer (``meta\ndata``, compressed when big) holds
the report's checks, warnings and notes, so a hit says exactly what the miss said.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Final, cast, get_args

import anyio
import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from app.cache import Cache, cache_key
from app.computations import Computation
from app.errors import problem_response
from app.formats import (
    NotAcceptable,
    OutputFormat,
    available_formats,
    encode,
    filename,
    media_type,
    negotiate,
)
from app.hitpath import Known, KnownRequests
from app.observability import record_cache, record_compute, record_rejection
from app.pool import ComputeCrashed, ComputePool, ComputeTimeout, PoolFull, unpack
from app.responses import FastJSONResponse
from app.settings import Settings

log = logging.getLogger("app.service")

FormatQuery = Annotated[
    OutputFormat,
    Query(
        description="The representation: "
        + ", ".join(f"`{f}`" for f in get_args(OutputFormat))
        + ". `csv`: the arrays as columns with units in the header row, the checks and warnings "
        "as `#` lines first; `npz`: every array for numpy.load (meta as JSON inside). Without "
        "it, the `Accept` header decides (text/csv, application/x-npz, application/json, ...); "
        "this parameter wins over it.",
    ),
]


#: Bodies declared larger than this are serialised for the key in a worker thread.
KEY_INLINE_BODY_BYTES: Final = 64 * 1024
#: How often a request that lost the cross-process lock looks for the winner's answer, seconds.
LOCK_POLL_S: Final = 0.05


class ClientGone(Exception):
    """Every byte of the answer would go to a closed connection."""


@dataclass
class _Shared:
    """One computation in flight in this process and the number of requests waiting for it."""

    task: asyncio.Task[bytes]
    waiters: int = 0


class Service:
    """Per-app state: settings, cache, compute pool and the in-flight table."""

    def __init__(self, settings: Settings, cache: Cache, pool: ComputePool | None = None):
        self.settings = settings
        self.cache = cache
        self.pool = pool or ComputePool(settings)
        #: threads that encode representations (CSV, npz, figures) off the event loop
        self.limiter = anyio.CapacityLimiter(settings.compute_threads)
        self._inflight: dict[str, _Shared] = {}
        #: request digests already answered -> their key (the fast path of app/hitpath.py)
        self.known = KnownRequests(settings.hit_path_entries)
        self.computations = 0  # count of computations actually run (tests read it)

    async def respond(
        self,
        request: Request,
        comp: Computation[Any],
        body: BaseModel,
        *,
        fmt: OutputFormat = "json",
    ) -> Response:
        t0 = time.perf_counter()
        negotiated = self.negotiate(request, fmt)
        if isinstance(negotiated, Response):
            return negotiated
        fmt = negotiated
        comp.precheck(body, self.settings)  # CoreError -> 413/422 problem+json, before any work
        key = await self._key(request, comp, body)
        etag = _etag(key, fmt)
        conditional = request.headers.get("if-none-match")
        if conditional and _etag_listed(conditional, etag):
            return _precondition_failed(request, etag)

        blob = await self.cache.get(key)
        status = "hit"
        if conditional and conditional.strip() == "*" and blob is not None:
            return _precondition_failed(request, etag)
        if blob is None:
            status = "miss"
            self.cache.stats.misses += 1
            record_cache("miss")
            try:
                blob = await self._compute_shared(request, comp, body, key)
            except PoolFull as exc:
                record_rejection("pool_full")
                return problem_response(
                    503,
                    "compute-busy",
                    "Compute pool full",
                    f"all {self.settings.compute_workers} workers are busy and "
                    f"{self.settings.compute_queue} computations are waiting; retry in "
                    f"{exc.retry_after_s} s",
                    request,
                    errors=[_busy_error(exc.retry_after_s)],
                    headers={"Retry-After": str(exc.retry_after_s)},
                    limit_name="compute_queue",
                    limit=self.settings.compute_queue,
                )
            except ComputeTimeout:
                return problem_response(
                    503,
                    "compute-timeout",
                    "Computation took too long",
                    f"the computation exceeded compute_timeout_s = {self.settings.compute_timeout_s} s "
                    "and was stopped; ask for fewer points or a smaller model",
                    request,
                    errors=[
                        {
                            "field": "",
                            "message": "the computation was stopped at the time limit",
                            "fix": "ask for fewer points, a coarser grid or a smaller model",
                        }
                    ],
                    limit_name="compute_timeout_s",
                    limit=self.settings.compute_timeout_s,
                )
            except ComputeCrashed as exc:
                return problem_response(
                    503,
                    "compute-crashed",
                    "Computation failed",
                    f"{exc}; it may have run out of memory: ask for fewer points",
                    request,
                    errors=[_busy_error(1)],
                    headers={"Retry-After": "1"},
                )
            except ClientGone:
                return Response(status_code=499)  # nobody reads it (nginx's "client closed")
        else:
            self.cache.stats.hits += 1
            record_cache("hit")
        return await self.answer(request, comp, key, blob, status, fmt, t0)

    def negotiate(self, request: Request, fmt: OutputFormat) -> OutputFormat | Response:
        """The representation asked for: ``?format=`` wins, else ``Accept`` (406 when nothing
        acceptable)."""
        if "format" in request.query_params:
            return fmt
        try:
            return cast(OutputFormat, negotiate(request.headers.get("accept"), available_formats()))
        except NotAcceptable as exc:
            return _not_acceptable(request, exc)

    async def answer(
        self,
        request: Request,
        comp: Computation[Any],
        key: str,
        blob: bytes,
        status: str,
        fmt: OutputFormat,
        t0: float,
    ) -> Response:
        """The response for the stored answer ``blob`` of ``key`` in ``fmt`` (``status``: the
        X-Cache value), exactly as the computation's endpoint gives it (jobs use it too)."""
        etag = _etag(key, fmt)
        headers = {"ETag": etag, "X-Cache": status, "Vary": "Accept"}
        ident = {"model": comp.model, "model_version": comp.version, "parameter_hash": key}
        if fmt != "json":
            headers["Content-Disposition"] = (
                f'attachment; filename="{filename(comp.model, key, fmt)}"'
            )
            # the encoded representation is cached beside the answer (key:fmt): a repeated
            # download of a big CSV or npz is bytes, not a decode and re-encode; its meta has
            # no per-request fields (cache, elapsed_ms: those are in the headers)
            rep_key = f"{key}:{fmt}"
            packed = await self.cache.get(rep_key) if status == "hit" else None
            if packed is not None:
                content, mtype = await anyio.to_thread.run_sync(
                    _unpack_representation, packed, limiter=self.limiter
                )
            else:
                # decoding and re-encoding grow with the answer: never on the event loop
                content, mtype, fresh = await anyio.to_thread.run_sync(
                    _encode_representation, fmt, blob, ident, limiter=self.limiter
                )
                await self.cache.set(rep_key, fresh, self.settings.cache_ttl_s)
            return Response(content, media_type=mtype, headers=headers)
        digest = request.scope.get("state", {}).get("request_digest")
        if digest is not None:  # the next identical request takes the fast path
            self.known.put(digest, Known(key, etag, comp.model, comp.version))
        extra = {**ident, "cache": status, "elapsed_ms": round((time.perf_counter() - t0) * 1e3, 3)}
        return await _json_response(blob, extra, headers)

    async def send_hit(
        self, scope: Scope, receive: Receive, send: Send, known: Known, blob: bytes, t0: float
    ) -> None:
        """Answer a known request's cached ``blob`` as :meth:`respond` would (app/hitpath.py)."""
        headers = {"ETag": known.etag, "X-Cache": "hit", "Vary": "Accept"}
        extra = {
            "model": known.model,
            "model_version": known.version,
            "parameter_hash": known.key,
            "cache": "hit",
            "elapsed_ms": round((time.perf_counter() - t0) * 1e3, 3),
        }
        response = await _json_response(blob, extra, headers)
        await response(scope, receive, send)

    async def _key(self, request: Request, comp: Computation[Any], body: BaseModel) -> str:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > KEY_INLINE_BODY_BYTES:
            exact = await anyio.to_thread.run_sync(body.model_dump_json)
        else:
            exact = body.model_dump_json()
        return cache_key(comp.name, comp.model, comp.version, exact.encode())

    async def _compute_shared(
        self, request: Request, comp: Computation[Any], body: BaseModel, key: str
    ) -> bytes:
        """The answer of ``key``, computed once however many requests ask for it at once; the
        computation is stopped when every one of them has gone."""
        shared = self._inflight.get(key)
        if shared is None:
            shared = _Shared(asyncio.create_task(self._compute_and_store(comp, body, key)))
            self._inflight[key] = shared
            shared.task.add_done_callback(functools.partial(self._finished, key, shared))
        shared.waiters += 1
        watcher = asyncio.create_task(_disconnected(request))
        try:
            done, _ = await asyncio.wait(
                {shared.task, watcher}, return_when=asyncio.FIRST_COMPLETED
            )
            if shared.task in done:
                return shared.task.result()
            raise ClientGone()
        finally:
            watcher.cancel()
            shared.waiters -= 1
            if shared.waiters == 0 and not shared.task.done():
                shared.task.cancel()  # nobody wants it any more: stop the worker

    def _finished(self, key: str, shared: _Shared, task: asyncio.Task[bytes]) -> None:
        if self._inflight.get(key) is shared:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: the waiters re-raise it themselves

    async def _compute_and_store(self, comp: Computation[Any], body: BaseModel, key: str) -> bytes:
        ttl_ms = int((self.settings.compute_timeout_s + 5) * 1000)
        token = await self.cache.acquire(key, ttl_ms)
        deadline = time.monotonic() + self.settings.compute_timeout_s
        while token is None:  # another process computes it: wait for its answer
            await asyncio.sleep(LOCK_POLL_S)
            blob = await self.cache.get(key)
            if blob is not None:
                return blob
            if time.monotonic() > deadline:
                raise ComputeTimeout("waited for another process's computation")
            if not await self.cache.locked(key):  # it gave up or died: compute here
                token = await self.cache.acquire(key, ttl_ms)
        try:
            t0, outcome = time.perf_counter(), "error"
            try:
                blob = await self.pool.run(comp.name, body, self.settings)
                outcome = "ok"
            except PoolFull:
                outcome = ""  # nothing ran
                raise
            except ComputeTimeout:
                outcome = "timeout"
                raise
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            finally:
                if outcome:
                    record_compute(comp.model, time.perf_counter() - t0, outcome)
            self.computations += 1
            await self.cache.set(key, blob, self.settings.cache_ttl_s)
            self.cache.stats.sets += 1
            record_cache("set")
            return blob
        finally:
            await self.cache.release(key, token)


async def _json_response(blob: bytes, extra: dict[str, Any], headers: dict[str, str]) -> Response:
    """The JSON answer of a stored blob: spliced on the loop when small, in a thread when
    bigger, streamed while decompressed when big."""
    if len(blob) <= SPLICE_INLINE_BYTES:
        return Response(_json_body(blob, extra), media_type="application/json", headers=headers)
    if len(blob) <= STREAM_ABOVE_BYTES:  # decompressing grows with the answer: off the loop
        body_bytes = await anyio.to_thread.run_sync(_json_body, blob, extra)
        return Response(body_bytes, media_type="application/json", headers=headers)
    # big answers are decompressed chunk by chunk (in the thread pool) as they are sent
    return StreamingResponse(
        _json_chunks(blob, extra), media_type="application/json", headers=headers
    )


async def _disconnected(request: Request) -> None:
    """Returns when the client has closed the connection (the body has been read already, so the
    next ASGI message is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _etag(key: str, fmt: str) -> str:
    """The entity tag of representation ``fmt`` of the answer ``key``."""
    return '"' + hashlib.sha256(f"{key}:{fmt}".encode()).hexdigest()[:40] + '"'


def _busy_error(retry_after_s: int) -> dict[str, str]:
    return {
        "field": "",
        "message": "the service has no free compute worker now",
        "fix": f"retry after {retry_after_s} s (Retry-After)",
    }


def _precondition_failed(request: Request, etag: str) -> Response:
    return problem_response(
        412,
        "precondition-failed",
        "Precondition failed",
        "If-None-Match matches the answer to this request (RFC 9110 13.1.2: a POST whose "
        "If-None-Match condition is false is not performed); the representation you hold is "
        "current",
        request,
        errors=[
            {
                "field": "header:If-None-Match",
                "message": f"matches the current ETag {etag}",
                "fix": "use the representation you have, or send the request without If-None-Match",
            }
        ],
        headers={"ETag": etag, "Vary": "Accept"},
    )


#: Stored answers up to this many (compressed) bytes are spliced on the event loop (a few
#: microseconds); larger ones in a worker thread, so one big answer never stalls the others.
SPLICE_INLINE_BYTES: Final = 64 * 1024
#: Stored answers above this many (compressed) bytes are streamed as they are decompressed.
STREAM_ABOVE_BYTES: Final = 1024 * 1024
#: Decompressed bytes per streamed chunk.
STREAM_CHUNK_BYTES: Final = 1024 * 1024


def _json_body(blob: bytes, extra_meta: dict[str, Any]) -> bytes:
    """The JSON answer from a stored blob: ``extra_meta`` appended to its meta object and the
    data bytes spliced in, neither parsed (the stored meta never holds the per-request keys)."""
    raw = unpack(blob)
    cut = raw.index(b"\n")
    return _envelope(raw[:cut], extra_meta) + raw[cut + 2 :]


def _envelope(meta_bytes: bytes, extra_meta: dict[str, Any]) -> bytes:
    """``{"meta":{<stored meta>,<extra>},`` : the answer up to its first data key."""
    return b'{"meta":' + meta_bytes[:-1] + b"," + orjson.dumps(extra_meta)[1:] + b","


def _json_chunks(blob: bytes, extra_meta: dict[str, Any]) -> Iterator[bytes]:
    """:func:`_json_body` in chunks of at most about :data:`STREAM_CHUNK_BYTES`, decompressed as
    they are sent (a sync iterator: Starlette runs each step in the thread pool)."""
    d = zlib.decompressobj()
    src = blob

    def pull() -> bytes:
        nonlocal src
        out = d.decompress(src, STREAM_CHUNK_BYTES)
        src = d.unconsumed_tail
        return out if src else out + d.flush()

    head = pull()
    while b"\n" not in head and src:
        head += pull()
    meta_bytes, pending = head.split(b"\n", 1)
    yield _envelope(meta_bytes, extra_meta)
    first = True  # the data object's own "{" is dropped: the envelope continues it
    while True:
        if pending and first:
            pending, first = pending[1:], False
        if pending:
            yield pending
        if not src:
            return
        pending = pull()


def _encode_representation(
    fmt: str, blob: bytes, ident: dict[str, str]
) -> tuple[bytes, str, bytes]:
    """(content, media type, compressed cache entry) of the stored answer ``blob`` in ``fmt``."""
    meta_bytes, data_bytes = unpack(blob).split(b"\n", 1)
    meta = {**orjson.loads(meta_bytes), **ident}
    content, mtype = encode(fmt, meta, data_bytes)
    raw = content.encode() if isinstance(content, str) else content
    return raw, mtype, zlib.compress(mtype.encode() + b"\n" + raw, 1)


def _unpack_representation(packed: bytes) -> tuple[bytes, str]:
    mtype, content = zlib.decompress(packed).split(b"\n", 1)
    return content, mtype.decode()


def _not_acceptable(request: Request, exc: NotAcceptable) -> Response:
    names = ", ".join(f"{f} ({media_type(f)})" for f in exc.offered)
    return problem_response(
        406,
        "not-acceptable",
        "No acceptable representation",
        f"this endpoint cannot answer Accept: {exc.accept}; it gives {names}",
        request,
        errors=[
            {
                "field": "",
                "message": f"Accept: {exc.accept} matches none of {names}",
                "fix": "send Accept with one of "
                + ", ".join(media_type(f) for f in exc.offered)
                + ", or ask with ?format= one of "
                + ", ".join(exc.offered),
            }
        ],
        headers={"Vary": "Accept"},
        formats=list(exc.offered),
        media_types=[media_type(f) for f in exc.offered],
    )


def _etag_listed(header: str, etag: str) -> bool:
    """Whether ``etag`` is among the entity tags of an If-None-Match value (weak comparison, RFC
    9110 8.8.3.2). ``*`` is judged by the caller (it depends on whether the answer exists)."""
    tags = [t.strip() for t in header.split(",")]
    return etag in tags or ("W/" + etag) in tags


async def get_service(request: Request) -> Service:
    """The app's :class:`Service` (built in the lifespan). ``async``: FastAPI runs a plain
    ``def`` dependency in the thread pool, two thread switches on every cached hit."""
    svc: Service = request.app.state.service
    return svc


ServiceDep = Annotated[Service, Depends(get_service)]


def json_response(data: Any, status_code: int = 200) -> FastJSONResponse:
    """A plain JSON response (listings, version) serialised with orjson."""
    return FastJSONResponse(data, status_code=status_code)
