"""The request pipeline every computation endpoint shares: key -> 304 / cache -> compute -> respond.

A route handler validates its body (pydantic), checks sizes against the settings, and calls
:meth:`Service.respond` with the canonical parameters and a *synchronous* compute function. This
module then

1. derives the cache key (app/cache.py) and the ETag (key + representation); a matching
   ``If-None-Match`` gets 304 before any work;
2. looks the key up in the cache (``X-Cache: hit``), else computes in a worker thread (never on
   the event loop), with identical concurrent misses in this process sharing one computation;
3. stores the result compressed with the configured TTL and answers JSON (``meta`` first) or
   another representation (app/formats.py: CSV, NumPy .npz, figures), encoded in a worker thread.

The representation: ``?format=`` wins; without it the ``Accept`` header is negotiated
(:func:`app.formats.negotiate`: ``text/csv``, ``application/x-npz``, ``application/json``, and the
image types where a figure encoder exists); nothing acceptable is 406 problem+json naming the
formats the endpoint can give, before any work. Each representation has its own ETag (key +
format), answers carry ``Vary: Accept``, and every non-JSON answer a ``Content-Disposition``
attachment named ``<model>-<first 12 of the parameter hash>.<ext>``. An encoded representation is
cached beside the answer (key ``<key>:<fmt>``, same TTL), so a repeated download of a big CSV or
npz is bytes, not a decode and re-encode.

The compute function returns the :class:`core.checks.Report` of the computation; its
:meth:`~core.checks.Report.payload` gives the model-specific part of ``meta`` (``checks``,
``warnings``, ``units``) and the data (numpy arrays are serialised by orjson without copies).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import zlib
from collections.abc import Callable
from typing import Annotated, Any, Final, cast, get_args

import anyio
import numpy as np
import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response

from app.cache import Cache, cache_key
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
from app.responses import FastJSONResponse
from app.settings import Settings
from core.checks import Report
from core.figures import figures_for

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


_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY


class Service:
    """Per-app state: settings, cache, the thread limiter and the in-flight table."""

    def __init__(self, settings: Settings, cache: Cache):
        self.settings = settings
        self.cache = cache
        self.limiter = anyio.CapacityLimiter(settings.compute_threads)
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self.computations = 0  # count of computations actually run (tests read it)

    async def respond(
        self,
        request: Request,
        *,
        model: str,
        version: str,
        params: Any,
        compute: Callable[[], Report],
        fmt: OutputFormat = "json",
    ) -> Response:
        t0 = time.perf_counter()
        offered = available_formats()
        if "format" not in request.query_params:
            try:
                fmt = cast(OutputFormat, negotiate(request.headers.get("accept"), offered))
            except NotAcceptable as exc:
                return _not_acceptable(request, exc)
        key = cache_key(model, version, params)
        etag = '"' + hashlib.sha256(f"{key}:{fmt}".encode()).hexdigest()[:40] + '"'
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(
                status_code=304,
                headers={"ETag": etag, "X-Cache": "revalidated", "Vary": "Accept"},
            )

        blob = await self.cache.get(key)
        status = "hit"
        if blob is None:
            status = "miss"
            self.cache.stats.misses += 1
            try:
                blob = await self._compute_once(key, compute)
            except TimeoutError:
                return problem_response(
                    503,
                    "compute-timeout",
                    "Computation took too long",
                    f"the computation exceeded compute_timeout_s = {self.settings.compute_timeout_s} s; "
                    "ask for fewer points or a smaller model",
                    request,
                    limit_name="compute_timeout_s",
                    limit=self.settings.compute_timeout_s,
                )
        else:
            self.cache.stats.hits += 1

        headers = {"ETag": etag, "X-Cache": status, "Vary": "Accept"}
        ident = {"model": model, "model_version": version, "parameter_hash": key}
        if fmt != "json":
            headers["Content-Disposition"] = f'attachment; filename="{filename(model, key, fmt)}"'
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
        extra = {**ident, "cache": status, "elapsed_ms": round((time.perf_counter() - t0) * 1e3, 3)}
        if len(blob) <= SPLICE_INLINE_BYTES:
            body = _json_body(blob, extra)
        else:  # decompressing and splicing grow with the answer: not on the event loop
            body = await anyio.to_thread.run_sync(_json_body, blob, extra)
        return Response(body, media_type="application/json", headers=headers)

    async def _compute_once(self, key: str, compute: Callable[[], Report]) -> bytes:
        fut = self._inflight.get(key)
        if fut is not None:  # an identical miss is already computing: share it
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            with anyio.fail_after(self.settings.compute_timeout_s):
                # abandon_on_cancel: the time limit answers 503 at once; the thread finishes on its own
                blob = await anyio.to_thread.run_sync(
                    _run_and_pack, compute, limiter=self.limiter, abandon_on_cancel=True
                )
            self.computations += 1
            fut.set_result(blob)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            self._inflight.pop(key, None)
        await self.cache.set(key, blob, self.settings.cache_ttl_s)
        self.cache.stats.sets += 1
        return blob


#: Stored answers up to this many (compressed) bytes are spliced on the event loop (a few
#: microseconds); larger ones in a worker thread, so one big answer never stalls the others.
SPLICE_INLINE_BYTES: Final = 64 * 1024


def _json_body(blob: bytes, extra_meta: dict[str, Any]) -> bytes:
    """The JSON answer from a stored blob: its meta updated with ``extra_meta``, the data bytes
    spliced in as they are (never parsed)."""
    raw = zlib.decompress(blob)
    meta_bytes, data_bytes = raw.split(b"\n", 1)
    meta = orjson.loads(meta_bytes)
    meta.update(extra_meta)
    return b'{"meta":' + orjson.dumps(meta) + b"," + data_bytes[1:]


def _encode_representation(
    fmt: str, blob: bytes, ident: dict[str, str]
) -> tuple[bytes, str, bytes]:
    """(content, media type, compressed cache entry) of the stored answer ``blob`` in ``fmt``."""
    meta_bytes, data_bytes = zlib.decompress(blob).split(b"\n", 1)
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


def _json_default(obj: Any) -> Any:
    """orjson falls back here for arrays it cannot take natively (non-contiguous views, e.g.
    ``z.real``) and for other numpy types."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _run_and_pack(compute: Callable[[], Report]) -> bytes:
    report = compute()
    meta, data = report.payload()
    meta["figures"] = [f.to_dict() for f in figures_for(report)]
    meta_bytes = orjson.dumps(meta, default=_json_default, option=_ORJSON_OPTS)
    data_bytes = orjson.dumps(data, default=_json_default, option=_ORJSON_OPTS)
    return zlib.compress(meta_bytes + b"\n" + data_bytes, 1)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or ("W/" + etag) in tags


def get_service(request: Request) -> Service:
    """The app's :class:`Service` (built in the lifespan)."""
    svc: Service = request.app.state.service
    return svc


ServiceDep = Annotated[Service, Depends(get_service)]


def json_response(data: Any, status_code: int = 200) -> FastJSONResponse:
    """A plain JSON response (listings, version) serialised with orjson."""
    return FastJSONResponse(data, status_code=status_code)
