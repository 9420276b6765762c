"""The app side of jobs and sweeps: submit, read, cancel (routes in app/routers/jobs.py).

The app never runs a job: it validates the body exactly as the synchronous endpoint does (its
request model and its cheap limit checks, with the fields named under ``/body``), keys it as the
cache does, records a submission and, when no identical computation is queued or running, sends
one message. A body whose answer is stored already is a job that is done at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, Final

import anyio
import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app import computations
from app.cache import Cache, cache_key
from app.computations import Computation
from app.jobs import queue, sweeps
from app.jobs.store import DONE, FINISHED, QUEUED, JobStore, new_id
from app.pool import unpack
from app.settings import Settings
from core.errors import CoreError, InvalidInput, LimitExceeded

log = logging.getLogger("app.jobs")

#: Retry-After of a full queue or an unreachable jobs Redis, seconds.
RETRY_AFTER_S: Final = 5


class JobsUnavailable(Exception):
    """The jobs Redis cannot be reached, or jobs are not configured (503)."""


class QueueFull(Exception):
    """``job_queue_limit`` computations are queued (503 with Retry-After)."""


def iso(t: float | None) -> str | None:
    """RFC 3339 UTC time of a unix time in seconds."""
    if t is None:
        return None
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds")


def prefixed(exc: CoreError, *prefix: str | int) -> CoreError:
    """``exc`` with its field under ``prefix`` (a job's body is the ``body`` member)."""
    exc.field = (*prefix, *exc.field)
    return exc


class JobsService:
    """Submissions and reads of one app process (``app.state.jobs``)."""

    def __init__(self, settings: Settings, app: FastAPI, cache: Cache):
        self.settings = settings
        self.cache = cache
        self.store = JobStore(settings)
        self.broker = queue.make_broker(settings)
        self.actors = queue.declare(self.broker)
        # from the OpenAPI document (built at start-up): path -> operation id of each POST
        reg = _registry()
        self._paths = {
            path: str(ops["post"]["operationId"])
            for path, ops in app.openapi()["paths"].items()
            if "post" in ops and ops["post"].get("operationId") in reg
        }

    async def close(self) -> None:
        await self.store.close()
        await anyio.to_thread.run_sync(self.broker.close)

    # -- validation --------------------------------------------------------------------------

    def resolve(
        self, endpoint: str, field: tuple[str | int, ...] = ("endpoint",)
    ) -> Computation[Any]:
        """The computation of an endpoint path (``/v1/crystal/orbital-susceptibility``) or its
        operation id (``crystal-orbital-susceptibility``)."""
        name = self._paths.get(endpoint.split("?", 1)[0], endpoint)
        reg = _registry()
        if name not in reg:
            raise InvalidInput(
                f"{endpoint!r} is not a computation endpoint of this service",
                field=field,
                fix="use one of " + ", ".join(sorted(self._paths)),
            )
        return reg[name]

    def endpoint_path(self, comp: Computation[Any]) -> str:
        return next((p for p, n in self._paths.items() if n == comp.name), comp.name)

    def validate(
        self, comp: Computation[Any], body: Any, at: tuple[str | int, ...] = ("body",)
    ) -> tuple[BaseModel, str]:
        """The validated body and its cache key; 422/413 naming fields under ``at``."""
        try:
            model = comp.request.model_validate(body)
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *at, *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors, body=_wrap(at, body)) from None
        try:
            comp.precheck(model, self.settings)
        except CoreError as exc:
            raise prefixed(exc, *at) from None
        key = cache_key(comp.name, comp.model, comp.version, model.model_dump_json().encode())
        return model, key

    # -- submissions -------------------------------------------------------------------------

    async def submit(
        self,
        comp: Computation[Any],
        model: BaseModel,
        key: str,
        *,
        owner: str = "",
        sweep: str = "",
    ) -> str:
        """A new job of ``model``; its id. Raises :class:`QueueFull`, :class:`JobsUnavailable`."""
        endpoint = self.endpoint_path(comp)
        try:
            stored = await self.store.result(key)
            if stored is None:
                stored = await self.cache.get(key)
                if stored is not None:  # kept as long as the job: the cache may evict it
                    await self.store.keep_result(key, stored)
            if stored is not None:
                return await self.store.submit_done(
                    name=comp.name, key=key, endpoint=endpoint, owner=owner, sweep=sweep
                )
            if await self.store.queued_count() >= self.settings.job_queue_limit:
                raise QueueFull()
            sid, cid, created = await self.store.submit(
                name=comp.name,
                key=key,
                model=comp.model,
                version=comp.version,
                body=model.model_dump_json().encode(),
                endpoint=endpoint,
                owner=owner,
                sweep=sweep,
            )
        except QueueFull:
            raise
        except Exception as exc:
            log.warning("jobs Redis fault on submit: %r", exc)
            raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        if created:
            try:
                msg = await anyio.to_thread.run_sync(self.actors[queue.RUN_JOB].send, cid)
                await self.store.redis.hset(
                    self.store.k("comp", cid), "msg", str(msg.options.get("redis_message_id", ""))
                )
            except Exception as exc:
                log.warning("job message not sent: %r", exc)
                try:
                    await self.store.fail_unsent(cid, f"its message could not be queued: {exc}")
                finally:
                    raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        return sid

    async def read(self, sid: str, owner: str) -> dict[str, Any] | None:
        """The submission ``sid`` (``None``: unknown, or another key's)."""
        try:
            await self.store.requeue_idle()  # no running job without a live worker, even if
            rec = await self.store.submission(sid)  # every worker is gone
            if rec is not None and rec["cid"]:
                subs = await self.store.redis.scard(self.store.k("comp", rec["cid"], "subs"))
                rec["shared"] = int(subs) > 1
        except Exception as exc:
            raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        if rec is None or rec["owner"] != owner:
            return None
        rec["id"] = sid
        return rec

    async def cancel(self, sid: str) -> tuple[str, str]:
        try:
            outcome, before = await self.store.cancel(sid)
            if outcome == "stopped" and before == QUEUED:
                # a queued job is also taken out of the queue (a running one is stopped by its
                # worker, which polls the record)
                rec = await self.store.redis.hget(self.store.k("job", sid), "cid")
                cid = rec.decode() if isinstance(rec, bytes) else str(rec or "")
                mid = await self.store.redis.hget(self.store.k("comp", cid), "msg")
                if mid:
                    mid_s = mid.decode() if isinstance(mid, bytes) else str(mid)
                    await anyio.to_thread.run_sync(queue.drop_queued, self.broker, [mid_s])
        except Exception as exc:
            raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        return outcome, before

    async def result_blob(self, rec: dict[str, Any]) -> bytes | None:
        if rec["status"] != DONE:
            return None
        try:
            blob = await self.store.result(rec["key"])
        except Exception as exc:
            raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        return blob if blob is not None else await self.cache.get(rec["key"])

    # -- sweeps ------------------------------------------------------------------------------

    async def submit_sweep(
        self,
        comp: Computation[Any],
        points: list[tuple[dict[str, Any], dict[str, Any]]],
        *,
        axes: list[str],
        owner: str,
        preset: str | None,
    ) -> tuple[str, list[str]]:
        """Validate every point first (nothing is queued when one is bad), then submit each."""
        self.check_points(len(points))
        # every point is validated and keyed before any is queued (in a thread: up to
        # max_sweep_points bodies)
        validated = await anyio.to_thread.run_sync(self.validate_points, comp, points)
        swid = new_id()
        sids = [
            await self.submit(comp, model, key, owner=owner, sweep=swid) for model, key in validated
        ]
        record = {
            "endpoint": self.endpoint_path(comp),
            "name": comp.name,
            "axes": axes,
            "values": [v for v, _ in points],
            "jobs": sids,
            "owner": owner,
            "preset": preset,
            "created": time.time(),
        }
        try:
            await self.store.put_sweep(swid, record)
        except Exception as exc:
            raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        return swid, sids

    def validate_points(
        self, comp: Computation[Any], points: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[tuple[BaseModel, str]]:
        """:meth:`validate` of every point of a sweep; the first bad one is a 422 (or 413)
        naming the point and its values."""
        validated = []
        for i, (values, body) in enumerate(points):
            try:
                validated.append(self.validate(comp, body))
            except RequestValidationError as exc:
                first = exc.errors()[0]
                where = "/" + "/".join(str(p) for p in first["loc"][2:])
                raise InvalidInput(
                    f"point {i} (values {values}) is not a valid body: {where}: {first['msg']}",
                    field=("axes",),
                    fix="sweep values the endpoint accepts (its schema is at /docs)",
                ) from None
            except CoreError as exc:
                exc.message = f"point {i} (values {values}): {exc.message}"
                raise
        return validated

    def check_points(self, n: int) -> None:
        """413 naming ``max_sweep_points`` for a sweep of ``n`` points."""
        if n > self.settings.max_sweep_points:
            raise LimitExceeded(
                f"this sweep has {n} points; the limit is {self.settings.max_sweep_points}",
                limit_name="max_sweep_points",
                limit=self.settings.max_sweep_points,
                requested=n,
                field=("axes",),
                fix="sweep fewer values, or split the sweep into several",
            )

    async def read_sweep(self, swid: str, owner: str) -> dict[str, Any] | None:
        try:
            await self.store.requeue_idle()
            rec = await self.store.sweep(swid)
            if rec is None or rec["owner"] != owner:
                return None
            subs = await self.store.submissions(rec["jobs"])
            keys = [s["key"] for s in subs if s is not None and s["status"] == DONE]
            blobs = dict(zip(keys, [await self.store.result(k) for k in keys], strict=True))
        except Exception as exc:
            raise JobsUnavailable(f"{type(exc).__name__}: {exc}") from None
        points = await anyio.to_thread.run_sync(_points, rec, subs, blobs)
        counts = {s: 0 for s in ("queued", "running", "done", "failed", "cancelled", "expired")}
        for p in points:
            counts[p["status"]] = counts.get(p["status"], 0) + 1
        total = len(points)
        finished = sum(counts[s] for s in FINISHED) + counts["expired"]
        if finished < total:
            status = "running" if counts["running"] or finished else "queued"
        elif counts["done"] == total:
            status = "done"
        elif counts["cancelled"] == total:
            status = "cancelled"
        else:
            status = "failed"
        progress = sum(
            1.0 if p["status"] in FINISHED else (p["progress"] or 0.0) for p in points
        ) / max(1, total)
        return {
            "id": swid,
            "endpoint": rec["endpoint"],
            "preset": rec.get("preset"),
            "axes": rec["axes"],
            "status": status,
            "progress": progress,
            "counts": counts,
            "created_at": iso(rec.get("created")),
            "points": points,
        }


def _points(
    rec: dict[str, Any], subs: list[dict[str, Any] | None], blobs: dict[str, bytes | None]
) -> list[dict[str, Any]]:
    """Each point of a sweep: its values, job, status and, when done, scalars and checks."""
    out = []
    for i, (values, sid, sub) in enumerate(zip(rec["values"], rec["jobs"], subs, strict=True)):
        pt: dict[str, Any] = {
            "index": i,
            "values": values,
            "job": sid,
            "status": sub["status"] if sub else "expired",
            "progress": sub["progress"] if sub else None,
            "error": {"reason": sub["reason"]} if sub and sub["status"] == "failed" else None,
            "scalars": None,
            "checks": None,
            "units": None,
        }
        blob = blobs.get(sub["key"]) if sub and sub["status"] == DONE else None
        if blob is not None:
            meta_b, data_b = unpack(blob).split(b"\n", 1)
            meta, data = orjson.loads(meta_b), orjson.loads(data_b)
            pt["scalars"] = sweeps.scalars(data)
            pt["checks"] = sweeps.check_statuses(meta)
            pt["units"] = meta.get("units") or None
        out.append(pt)
    return out


def _registry() -> dict[str, Computation[Any]]:
    return computations.REGISTRY if computations.REGISTRY else computations.load_all()


def _wrap(at: tuple[str | int, ...], body: Any) -> Any:
    """The body as it sits in the request (``{"body": ...}``), for the error pointers of
    app/errors.py."""
    doc: Any = body
    for part in reversed(at):
        doc = {part: doc}
    return doc
