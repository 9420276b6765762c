"""Jobs and sweeps over HTTP: ``/v1/jobs`` and ``/v1/sweeps`` (app/jobs has the machinery).

Every job and sweep id is a capability: only its holder can read or cancel it (with API keys
configured, only the key that submitted it: others get 404, as for an unknown id).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from app.errors import COMPUTE_RESPONSES, _problems, problem_response
from app.jobs.api import RETRY_AFTER_S, JobsService, JobsUnavailable, QueueFull, iso
from app.jobs.sweeps import expand, preset_axes, series_csv
from app.presets import all_presets
from app.schemas.jobs import JobRequest, JobStatus, SweepRequest, SweepStatus
from app.service import (
    KEY_INLINE_BODY_BYTES,
    SPLICE_INLINE_BYTES,
    FormatQuery,
    Service,
    _json_body,
)
from core.errors import InvalidInput

router = APIRouter(prefix="/v1", tags=["jobs"])

JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    **{k: v for k, v in COMPUTE_RESPONSES.items() if k != 200},
    **_problems(
        (404, "No such job or sweep (or it belongs to another API key, or it expired)."),
        (409, "The job is not done yet (Retry-After), or already finished (cancel)."),
        (410, "The job is done but its answer has expired (job_ttl_s)."),
        (
            503,
            "Jobs need Redis and it cannot be reached, or job_queue_limit jobs are queued "
            "(Retry-After).",
        ),
    ),
}


def _jobs(request: Request) -> JobsService:
    jobs: JobsService | None = getattr(request.app.state, "jobs", None)
    if jobs is None:
        raise JobsUnavailable("jobs need Redis: set REDIS_URL (or JOBS_REDIS_URL)")
    return jobs


def _owner(request: Request) -> str:
    """The API key's full sha256 digest when keys are configured (app/fairuse.py puts it in the
    request state), else '' (then the unguessable id is the only secret)."""
    if not request.app.state.settings.api_keys_sha256.strip():
        return ""
    return str(request.scope.get("state", {}).get("client_id", ""))


def unavailable(request: Request, exc: Exception) -> Response:
    if isinstance(exc, QueueFull):
        limit = request.app.state.settings.job_queue_limit
        return problem_response(
            503,
            "queue-full",
            "Job queue full",
            f"{limit} jobs are queued (job_queue_limit); retry in {RETRY_AFTER_S} s",
            request,
            errors=[{"field": "", "message": "the queue is full", "fix": "retry later"}],
            headers={"Retry-After": str(RETRY_AFTER_S)},
            limit_name="job_queue_limit",
            limit=limit,
        )
    return problem_response(
        503,
        "jobs-unavailable",
        "Jobs unavailable",
        str(exc),
        request,
        errors=[{"field": "", "message": str(exc), "fix": "check REDIS_URL / JOBS_REDIS_URL"}],
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _not_found(request: Request, what: str, ident: str) -> Response:
    return problem_response(
        404,
        "not-found",
        f"No such {what}",
        f"no {what} {ident!r}: ids are only known to their submitter, and records expire "
        "after job_ttl_s",
        request,
        errors=[{"field": f"path:{what}_id", "message": "unknown id", "fix": "check the id"}],
    )


def _status_doc(rec: dict[str, Any]) -> dict[str, Any]:
    sid = rec["id"]
    return {
        "id": sid,
        "endpoint": rec["endpoint"],
        "status": rec["status"],
        "progress": rec["progress"],
        "attempts": rec["attempts"],
        "shared": rec["shared"],
        "created_at": iso(rec["created_at"]),
        "started_at": iso(rec["started_at"]),
        "finished_at": iso(rec["finished_at"]),
        "error": {"reason": rec["reason"]} if rec["status"] in ("failed", "expired") else None,
        "links": {"self": f"/v1/jobs/{sid}", "result": f"/v1/jobs/{sid}/result"},
    }


async def _status_response(
    jobs: JobsService, rec: dict[str, Any], status_code: int = 200
) -> Response:
    doc = _status_doc(rec)
    head = orjson.dumps(doc)[:-1]
    blob = await jobs.result_blob(rec) if rec["status"] == "done" else None
    if blob is None:
        body = head + b',"result":null}'
    else:  # the synchronous answer's bytes, spliced in (never parsed)
        extra = {"parameter_hash": rec["key"], "cache": "hit", "elapsed_ms": 0.0}
        # decompressing grows with the answer: off the event loop unless it is small
        if len(blob) <= SPLICE_INLINE_BYTES:
            result = _json_body(blob, extra)
        else:
            result = await anyio.to_thread.run_sync(_json_body, blob, extra)
        body = head + b',"result":' + result + b"}"
    headers = {"Location": doc["links"]["self"]} if status_code == 202 else None
    if rec["status"] in ("queued", "running"):
        headers = {**(headers or {}), "Retry-After": "1"}
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def _job_examples() -> dict[str, Any]:
    hbn = all_presets()["haldane-hbn-susceptibility"]
    return {
        "orbital-susceptibility": {
            "summary": "The orbital susceptibility of the hBN-like Haldane model, as a job",
            "value": {"endpoint": hbn.endpoint, "body": hbn.body},
        }
    }


def _sweep_examples() -> dict[str, Any]:
    hbn = all_presets()["haldane-hbn-susceptibility"]
    return {
        "t2-across-the-transition": {
            "summary": "chi_1 and chi_2 against t2 across the Haldane transition",
            "value": {
                "endpoint": hbn.endpoint,
                "body": hbn.body,
                "axes": [{"pointer": "/model/t2", "values": [0.0, 0.3, 0.6, 0.9]}],
            },
        },
        "fig6-preset": {
            "summary": "The bodies of the Duff & Sipe Fig. 6 preset as one sweep",
            "value": {"preset": "haldane-fig6-sweep"},
        },
    }


@router.post("/jobs", status_code=202, response_model=JobStatus, responses=JOB_RESPONSES)
async def submit_job(
    body: Annotated[JobRequest, Body(openapi_examples=_job_examples())], request: Request
) -> Response:
    """Run any synchronous computation as a job: 202 with the job (and ``Location``).

    The body is validated exactly as the endpoint validates it (fields named under ``/body``).
    Identical bodies share one computation while it is queued or running, but every submission
    gets its own unguessable id; cancelling one withdraws only it. An answer that exists already
    makes the job ``done`` at once. The answer lands in the cache: the synchronous request for
    the same body afterwards is a hit.
    """
    try:
        jobs = _jobs(request)
        comp = jobs.resolve(body.endpoint)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > KEY_INLINE_BODY_BYTES:  # off the event loop
            model, key = await anyio.to_thread.run_sync(jobs.validate, comp, body.body)
        else:
            model, key = jobs.validate(comp, body.body)
        sid = await jobs.submit(comp, model, key, owner=_owner(request))
        rec = await jobs.read(sid, _owner(request))
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)
    assert rec is not None
    return await _status_response(jobs, rec, 202)


@router.get("/jobs/{job_id}", response_model=JobStatus, responses=JOB_RESPONSES)
async def get_job(job_id: str, request: Request) -> Response:
    """A job's status, progress, attempts and timestamps; when done, ``result`` is the same
    JSON as the synchronous endpoint's answer (other representations: ``links.result``)."""
    try:
        jobs = _jobs(request)
        rec = await jobs.read(job_id, _owner(request))
        if rec is None:
            return _not_found(request, "job", job_id)
        return await _status_response(jobs, rec)
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)


@router.get(
    "/jobs/{job_id}/result",
    responses={**JOB_RESPONSES, 200: {"description": "The synchronous endpoint's answer."}},
)
async def get_job_result(job_id: str, request: Request, format: FormatQuery = "json") -> Response:
    """The answer of a done job, exactly as its endpoint gives it (``?format=`` or ``Accept``:
    JSON, CSV, npz, figures); 409 with Retry-After while it is not done."""
    t0 = time.perf_counter()
    try:
        jobs = _jobs(request)
        rec = await jobs.read(job_id, _owner(request))
        if rec is None:
            return _not_found(request, "job", job_id)
        svc: Service = request.app.state.service
        fmt = svc.negotiate(request, format)
        if isinstance(fmt, Response):
            return fmt
        if rec["status"] != "done":
            return _not_done(request, rec)
        blob = await jobs.result_blob(rec)
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)
    if blob is None:
        return problem_response(
            410,
            "result-expired",
            "Result expired",
            "the job is done but its answer is no longer stored (job_ttl_s); submit it again",
            request,
        )
    comp = jobs.resolve(rec["name"])
    return await svc.answer(request, comp, rec["key"], blob, "hit", fmt, t0)


def _not_done(request: Request, rec: dict[str, Any]) -> Response:
    st = rec["status"]
    fix = "retry after Retry-After" if st in ("queued", "running") else "read the job's error"
    return problem_response(
        409,
        "job-not-done",
        "Job not done",
        f"the job is {st}" + (f": {rec['reason']}" if rec["reason"] else ""),
        request,
        errors=[{"field": "path:job_id", "message": f"status {st}", "fix": fix}],
        headers={"Retry-After": "1"} if st in ("queued", "running") else None,
        job_status=st,
    )


@router.delete("/jobs/{job_id}", response_model=JobStatus, responses=JOB_RESPONSES)
async def cancel_job(job_id: str, request: Request) -> Response:
    """Cancel this submission: a queued job leaves the queue, a running one is stopped (its
    worker process is killed) — unless another submission still wants the same computation,
    which then runs on to its result for that one. 409 when the job has already finished."""
    try:
        jobs = _jobs(request)
        rec = await jobs.read(job_id, _owner(request))
        if rec is None:
            return _not_found(request, "job", job_id)
        outcome, _ = await jobs.cancel(job_id)
        rec = await jobs.read(job_id, _owner(request))
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)
    if rec is None:
        return _not_found(request, "job", job_id)
    if outcome == "finished":
        return problem_response(
            409,
            "job-finished",
            "Job already finished",
            f"the job is {rec['status']}; there is nothing to cancel",
            request,
            errors=[{"field": "path:job_id", "message": f"status {rec['status']}", "fix": None}],
            job_status=rec["status"],
        )
    return await _status_response(jobs, rec)


# -- sweeps ------------------------------------------------------------------------------------


@router.post("/sweeps", status_code=202, response_model=SweepStatus, responses=JOB_RESPONSES)
async def submit_sweep(
    body: Annotated[SweepRequest, Body(openapi_examples=_sweep_examples())], request: Request
) -> Response:
    """Fan a base body out over JSON pointers and their values (or a preset's bodies) as jobs:
    202 with the sweep (``Location``). Every point is validated before any is queued."""
    try:
        jobs = _jobs(request)
        if body.preset is not None:
            preset = all_presets().get(body.preset)
            if preset is None or len(preset.bodies) < 2:
                raise InvalidInput(
                    f"{body.preset!r} is not a preset with several bodies",
                    field=("preset",),
                    fix="use one of "
                    + ", ".join(n for n, p in all_presets().items() if len(p.bodies) > 1),
                )
            if body.endpoint or body.body or body.axes:
                raise InvalidInput(
                    "a preset sweep takes no endpoint, body or axes",
                    field=("preset",),
                    fix="send only the preset, or leave it out",
                )
            comp = jobs.resolve(preset.endpoint, ("preset",))
            found = preset_axes(preset.bodies)
            axes = [p for p, _ in found]
            points = [({p: vals[i] for p, vals in found}, b) for i, b in enumerate(preset.bodies)]
        else:
            if body.endpoint is None or body.body is None or not body.axes:
                raise InvalidInput(
                    "a sweep needs endpoint, body and at least one axis (or a preset)",
                    field=("axes",) if body.endpoint and body.body is not None else ("endpoint",),
                    fix='e.g. {"endpoint": "/v1/crystal/orbital-susceptibility", "body": {...}, '
                    '"axes": [{"pointer": "/model/t2", "values": [0, 0.1]}]}',
                )
            comp = jobs.resolve(body.endpoint)
            axes = [a.pointer for a in body.axes]
            n = 1
            for a in body.axes:
                n = n * len(a.values) if body.mode == "grid" else len(a.values)
            if n > request.app.state.settings.max_sweep_points:
                jobs.check_points(n)
            # copies of the base body, one per point: grows with the request, so in a thread
            points = await anyio.to_thread.run_sync(
                expand, body.body, [(a.pointer, a.values) for a in body.axes], body.mode
            )
        swid, _ = await jobs.submit_sweep(
            comp, points, axes=axes, owner=_owner(request), preset=body.preset
        )
        doc = await jobs.read_sweep(swid, _owner(request))
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)
    assert doc is not None
    return Response(
        orjson.dumps(doc),
        status_code=202,
        media_type="application/json",
        headers={"Location": f"/v1/sweeps/{swid}"},
    )


@router.get(
    "/sweeps/{sweep_id}",
    response_model=SweepStatus,
    responses={**JOB_RESPONSES, 200: {"content": {"text/csv": {}}}},
)
async def get_sweep(sweep_id: str, request: Request, format: str = "json") -> Response:
    """A sweep's progress and, per point, its swept values, status, scalar results (every
    number of the answer outside arrays, by JSON pointer) and check statuses; ``?format=csv``
    (or ``Accept: text/csv``): the series as CSV, one row per point."""
    try:
        jobs = _jobs(request)
        doc = await jobs.read_sweep(sweep_id, _owner(request))
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)
    if doc is None:
        return _not_found(request, "sweep", sweep_id)
    wants_csv = format == "csv" or (
        "format" not in request.query_params and "text/csv" in request.headers.get("accept", "")
    )
    if format not in ("json", "csv"):
        raise InvalidInput(
            f"format {format!r} is not offered for sweeps",
            field=("query", "format"),
            fix="use json or csv",
        )
    if wants_csv:
        text = await anyio.to_thread.run_sync(series_csv, sweep_id, doc["endpoint"], doc["points"])
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="sweep-{sweep_id[:12]}.csv"'},
        )
    return Response(orjson.dumps(doc), media_type="application/json")


@router.delete("/sweeps/{sweep_id}", response_model=SweepStatus, responses=JOB_RESPONSES)
async def cancel_sweep(sweep_id: str, request: Request) -> Response:
    """Cancel every unfinished job of the sweep (each as ``DELETE /v1/jobs/{id}`` would)."""
    try:
        jobs = _jobs(request)
        doc = await jobs.read_sweep(sweep_id, _owner(request))
        if doc is None:
            return _not_found(request, "sweep", sweep_id)
        for pt in doc["points"]:
            if pt["status"] in ("queued", "running"):
                await jobs.cancel(pt["job"])
        doc = await jobs.read_sweep(sweep_id, _owner(request))
    except (JobsUnavailable, QueueFull) as exc:
        return unavailable(request, exc)
    return Response(orjson.dumps(doc), media_type="application/json")
