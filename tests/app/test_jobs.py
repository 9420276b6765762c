"""Jobs and sweeps in-process: validation and errors of /v1/jobs and /v1/sweeps, the sweep
expansion and series, and the job records' transitions on a real Redis (no workers here: those
are in tests/app/test_jobs_live.py)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.jobs import sweeps
from app.jobs.store import JobStore
from app.presets import all_presets
from app.settings import Settings
from core.errors import InvalidInput

SUSCEPTIBILITY = "/v1/crystal/orbital-susceptibility"
BASE = {
    "model": {"kind": "haldane", "t": 1.0, "t2": 0.0, "phi": 1.5707963267948966, "M": 1.0},
    "grid": {"n": [24, 24]},
}


def _settings(redis_url: str, **kw: Any) -> Settings:
    ns = "test-jobs-unit-" + uuid.uuid4().hex[:8]
    return Settings(
        redis_url=redis_url,
        compute_backend="thread",
        job_namespace=ns,
        cache_key_prefix=ns + ":cache:",
        **kw,
    )


# -- sweeps: pure functions ----------------------------------------------------------------------


def test_grid_mode_is_the_product_first_axis_slowest_and_zip_pairs() -> None:
    axes = [("/model/t2", [0.0, 0.1]), ("/model/M", [1.0, 2.0, 3.0])]
    grid = sweeps.expand(BASE, axes, "grid")
    assert [v for v, _ in grid] == [
        {"/model/t2": a, "/model/M": b} for a in (0.0, 0.1) for b in (1.0, 2.0, 3.0)
    ]
    assert grid[4][1]["model"]["t2"] == 0.1 and grid[4][1]["model"]["M"] == 2.0
    assert BASE["model"]["t2"] == 0.0  # the base body is not modified
    zipped = sweeps.expand(BASE, [("/model/t2", [0.0, 0.1]), ("/model/M", [1.0, 2.0])], "zip")
    assert [v for v, _ in zipped] == [
        {"/model/t2": 0.0, "/model/M": 1.0},
        {"/model/t2": 0.1, "/model/M": 2.0},
    ]
    with pytest.raises(InvalidInput, match="one length"):
        sweeps.expand(BASE, axes, "zip")


def test_pointers_follow_rfc6901_and_name_what_is_missing() -> None:
    doc: dict[str, Any] = {"a/b": {"m~n": [1, 2]}, "grid": {"n": [4, 4]}}
    sweeps.set_pointer(doc, "/a~1b/m~0n/1", 7, ("axes", 0, "pointer"))
    assert doc["a/b"]["m~n"] == [1, 7]
    assert sweeps.get_pointer(doc, "/a~1b/m~0n/1") == 7
    sweeps.set_pointer(doc, "/grid/shift", 0.0, ("axes", 0, "pointer"))  # a new optional member
    assert doc["grid"]["shift"] == 0.0
    with pytest.raises(InvalidInput) as e:
        sweeps.set_pointer(doc, "/model/t2", 1.0, ("axes", 1, "pointer"))
    assert e.value.field == ("axes", 1, "pointer") and "/model" in e.value.message
    with pytest.raises(InvalidInput, match="no element"):
        sweeps.set_pointer(doc, "/grid/n/5", 1, ("axes", 0, "pointer"))


def test_a_preset_with_several_bodies_sweeps_where_they_differ() -> None:
    preset = all_presets()["haldane-fig6-sweep"]
    axes = sweeps.preset_axes(preset.bodies)
    assert [p for p, _ in axes] == ["/model/t2"]
    assert axes[0][1] == [b["model"]["t2"] for b in preset.bodies]


def test_scalars_are_the_numbers_outside_arrays_and_checks_keep_their_verdicts() -> None:
    data = {"chi_2": {"total": -0.5, "parts": {"a": 1, "b": True}}, "grid": [4, 4], "gap": 2.0}
    assert sweeps.scalars(data) == {"/chi_2/total": -0.5, "/chi_2/parts/a": 1, "/gap": 2.0}
    meta = {"checks": {"x": {"verdict": True}, "y": {"verdict": False}, "z": {"verdict": None}}}
    assert sweeps.check_statuses(meta) == {"x": "ok", "y": "failed", "z": "indicative"}
    csv = sweeps.series_csv(
        "S",
        SUSCEPTIBILITY,
        [
            {
                "index": 0,
                "values": {"/model/t2": 0.1},
                "status": "done",
                "scalars": {"/gap": 2.0},
                "checks": {"x": "ok"},
                "units": {"gap": "eV"},
            },
            {"index": 1, "values": {"/model/t2": 0.2}, "status": "failed", "scalars": None},
        ],
    )
    lines = csv.splitlines()
    assert "# unit of gap: eV" in lines
    assert lines[-3:] == [
        "index,/model/t2,status,/gap,check:x",
        "0,0.1,done,2.0,ok",
        "1,0.2,failed,,",
    ]


# -- HTTP: validation before anything is queued ------------------------------------------------


async def test_without_redis_jobs_are_503_with_the_reason(make_client: Callable[..., Any]) -> None:
    async with make_client() as c:
        r = await c.post("/v1/jobs", json={"endpoint": SUSCEPTIBILITY, "body": BASE})
        assert r.status_code == 503
        assert "REDIS_URL" in r.json()["detail"]
        assert r.headers["retry-after"]


@pytest.mark.redis
async def test_job_bodies_are_validated_as_the_endpoint_validates_them(
    redis_url: str, make_client: Callable[..., Any]
) -> None:
    s = _settings(redis_url)
    async with make_client(**s.model_dump(exclude={"redis_url"}), redis_url=redis_url) as c:
        bad = {**BASE, "model": {**BASE["model"], "t": "x"}}
        r = await c.post("/v1/jobs", json={"endpoint": SUSCEPTIBILITY, "body": bad})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["/body/model/t"]
        r = await c.post("/v1/jobs", json={"endpoint": "/v1/nope", "body": BASE})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "/endpoint"
        assert SUSCEPTIBILITY in r.json()["errors"][0]["fix"]
        huge = {**BASE, "grid": {"n": [100_000, 100_000]}}
        r = await c.post("/v1/jobs", json={"endpoint": SUSCEPTIBILITY, "body": huge})
        assert r.status_code == 413
        assert r.json()["errors"][0]["field"].startswith("/body/grid")
        # operation ids name endpoints too
        r = await c.post(
            "/v1/jobs", json={"endpoint": "crystal-orbital-susceptibility", "body": BASE}
        )
        assert r.status_code == 202, r.text
        assert r.json()["endpoint"] == SUSCEPTIBILITY


@pytest.mark.redis
async def test_sweeps_are_bounded_and_every_point_is_checked_first(
    redis_url: str, make_client: Callable[..., Any]
) -> None:
    s = _settings(redis_url, max_sweep_points=4)
    async with make_client(**s.model_dump(exclude={"redis_url"}), redis_url=redis_url) as c:
        axes = [
            {"pointer": "/model/t2", "values": [0.0, 0.1, 0.2]},
            {"pointer": "/model/M", "values": [1, 2]},
        ]
        r = await c.post(
            "/v1/sweeps", json={"endpoint": SUSCEPTIBILITY, "body": BASE, "axes": axes}
        )
        assert r.status_code == 413 and r.json()["limit_name"] == "max_sweep_points"
        axes = [{"pointer": "/model/t2", "values": [0.0, "x"]}]
        r = await c.post(
            "/v1/sweeps", json={"endpoint": SUSCEPTIBILITY, "body": BASE, "axes": axes}
        )
        assert r.status_code == 422 and "point 1" in r.json()["detail"]
        store = c.app.state.jobs.store  # type: ignore[attr-defined]
        assert await store.queued_count() == 0  # the valid point 0 was not queued either
        axes = [{"pointer": "/nope/t2", "values": [0.0]}]
        r = await c.post(
            "/v1/sweeps", json={"endpoint": SUSCEPTIBILITY, "body": BASE, "axes": axes}
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "/axes/0/pointer"
        r = await c.post("/v1/sweeps", json={"preset": "haldane-hbn-susceptibility"})
        assert r.status_code == 422 and "haldane-fig6-sweep" in r.json()["errors"][0]["fix"]


# -- the records' transitions on a real Redis ---------------------------------------------------


@pytest.mark.redis
async def test_shared_computation_lives_until_its_last_submission_withdraws(redis_url: str) -> None:
    st = JobStore(_settings(redis_url))
    try:
        args = dict(name="n", key="k" * 64, model="m", version="1", body=b"{}", endpoint="/e")
        a, cid, created = await st.submit(**args)
        b, cid_b, created_b = await st.submit(**args)
        assert created and not created_b and cid == cid_b and a != b
        assert await st.cancel(a) == ("withdrawn", "queued")
        assert (await st.submission(a))["status"] == "cancelled"  # type: ignore[index]
        assert (await st.submission(b))["status"] == "queued"  # type: ignore[index]
        assert await st.cancel(b) == ("stopped", "queued")
        assert await st.state(cid) == "cancelled"
        assert await st.cancel(b) == ("already", "")
        # a new submission of the same body after the cancel gets a new computation
        _, cid_c, created_c = await st.submit(**args)
        assert created_c and cid_c != cid
        assert await st.start(cid_c, "w1") == ("run", "1")
        assert await st.finish(cid_c, "done", blob=b"answer") == "ok"
        assert await st.result("k" * 64) == b"answer"
        assert await st.finish(cid_c, "failed", "late") == "done"  # the first outcome stays
        counts = await st.counts()
        assert counts["done"] == 1 and counts["cancelled"] == 1 and counts["queued"] == 0
    finally:
        await _clear(st)
        await st.close()


@pytest.mark.redis
async def test_starts_are_counted_and_a_silent_worker_gives_its_job_back(redis_url: str) -> None:
    s = _settings(redis_url, job_max_attempts=2, job_heartbeat_timeout_s=0.5)
    st = JobStore(s)
    try:
        _, cid, _ = await st.submit(
            name="n", key="q" * 64, model="m", version="1", body=b"{}", endpoint="/e"
        )
        assert await st.start(cid, "w1") == ("run", "1")
        # no beat: after 3 * 0.5 + 5 s it is queued again
        await st.redis.zadd(st.k("state", "running"), {cid: 0.0})
        assert await st.requeue_idle() == 1
        assert await st.state(cid) == "queued"
        assert await st.start(cid, "w2") == ("run", "2")
        verdict, n = await st.start(cid, "w3")  # a third start: more than job_max_attempts
        assert verdict == "failed" and n == "3"
        rec = await st.computation(cid)
        assert rec is not None and rec.state == "failed"
        assert not await st.resume(cid)  # a finished computation stays finished
        # a split computation whose blocks waited untouched is running again when one starts
        _, cid2, _ = await st.submit(
            name="n", key="s" * 64, model="m", version="1", body=b"{}", endpoint="/e"
        )
        assert await st.start(cid2, "w1") == ("run", "1")
        await st.redis.zadd(st.k("state", "running"), {cid2: 0.0})
        assert await st.requeue_idle() == 1 and await st.state(cid2) == "queued"
        assert await st.resume(cid2) and await st.state(cid2) == "running"
        assert (await st.counts())["running"] == 1
        assert not math.isnan(float((await st.redis.hget(st.k("comp", cid), "finished")).decode()))
    finally:
        await _clear(st)
        await st.close()


async def _clear(st: JobStore) -> None:
    async for k in st.redis.scan_iter(match=st.prefix + "*", count=500):
        await st.redis.unlink(k)


@pytest.mark.redis
async def test_with_api_keys_a_job_belongs_to_its_key_and_counts_against_its_rate(
    redis_url: str, make_client: Callable[..., Any]
) -> None:
    from app.fairuse import key_digest

    keys = ["key-a-" + uuid.uuid4().hex, "key-b-" + uuid.uuid4().hex]
    s = _settings(
        redis_url,
        api_keys_sha256=",".join(key_digest(k) for k in keys),
        rate_limit_per_s=0.01,
        rate_burst=2,
        fair_use_redis_prefix="test-fair-" + uuid.uuid4().hex[:8] + ":",
    )
    a, b = ({"X-API-Key": k} for k in keys)
    async with make_client(**s.model_dump(exclude={"redis_url"}), redis_url=redis_url) as c:
        job = {"endpoint": SUSCEPTIBILITY, "body": BASE}
        r = await c.post("/v1/jobs", json=job, headers=a)
        assert r.status_code == 202, r.text
        jid = r.json()["id"]
        assert (await c.get(f"/v1/jobs/{jid}", headers=a)).status_code == 200
        assert (await c.get(f"/v1/jobs/{jid}", headers=b)).status_code == 404  # not B's
        assert (await c.get(f"/v1/jobs/{jid}")).status_code == 401  # no key at all
        assert (await c.delete(f"/v1/jobs/{jid}", headers=b)).status_code == 404
        # submissions are computation requests: the key's burst of 2 is spent after the second
        assert (await c.post("/v1/jobs", json=job, headers=a)).status_code == 202
        r = await c.post("/v1/jobs", json=job, headers=a)
        assert r.status_code == 429 and r.headers["retry-after"]
        assert (await c.post("/v1/jobs", json=job, headers=b)).status_code == 202  # B is not A
        # the records hold the key's digest, never the key
        store = c.app.state.jobs.store  # type: ignore[attr-defined]
        raw = await store.redis.hgetall(store.k("job", jid))
        assert raw[b"owner"].decode() == "key:" + key_digest(keys[0])
        assert all(keys[0].encode() not in v for v in raw.values())
        await _clear(store)


@pytest.mark.redis
async def test_the_documented_examples_are_accepted(
    redis_url: str, make_client: Callable[..., Any]
) -> None:
    s = _settings(redis_url)
    async with make_client(**s.model_dump(exclude={"redis_url"}), redis_url=redis_url) as c:
        doc = (await c.get("/openapi.json")).json()
        seen = 0
        for path in ("/v1/jobs", "/v1/sweeps"):
            content = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
            for ex in content["examples"].values():
                r = await c.post(path, json=ex["value"])
                assert r.status_code == 202, (path, r.text[:300])
                seen += 1
        assert seen == 3
        await _clear(c.app.state.jobs.store)  # type: ignore[attr-defined]
