"""Jobs and sweeps against real processes (issue 13's acceptance): two uvicorn apps and two job
workers (``python -m app.jobs.worker``) on loopback, sharing one real Redis under a namespace of
their own. Every wait is bounded.

Workers beat every 0.3 s and count as dead after 1.5 s (``job_heartbeat_timeout_s``); every
broker call also runs maintenance, so a killed worker's job is redelivered within about 2 s.
"""

from __future__ import annotations

import importlib.util
import math
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis

from app import computations
from app.pool import run_packed, unpack
from app.presets import all_presets
from app.settings import Settings
from tests.app.live import ROOT, Server, Worker, free_port, start_worker, stop, uvicorn_server

pytestmark = pytest.mark.timeout(600)

HEARTBEAT_S = 1.5
#: A killed worker's job must be running again (or failed) within this many seconds.
REDELIVERY_BOUND_S = 3 * HEARTBEAT_S + 15.0
#: The q^2 conductivity of the Fig. 5 model at 6000 photon energies on a 64x64 grid: several
#: seconds of a compute process, and one block (64^2 + its half grid 32^2 < job_block_k_points):
#: a worker killed under it leaves the whole computation to another.
SLOW = {
    "model": {
        "kind": "haldane",
        "t": 3.0,
        "t2": 0.0,
        "phi": 0.0,
        "M": 3.0,
        "a": 1.45,
        "energy_unit": "eV",
        "length_unit": "angstrom",
    },
    "grid": {"n": [64, 64], "shift": 0.5},
    "frequencies": {"start": 0.0, "stop": 12.0, "num": 6000, "unit": "eV"},
    "eta": 0.1,
    "sigma_L": ["xzy"],
}
SLOW_ENDPOINT = "/v1/crystal/q2-conductivity"
SUSCEPTIBILITY = "/v1/crystal/orbital-susceptibility"


def _env(redis_url: str, ns: str, **extra: str) -> dict[str, str]:
    return {
        "SUSC_REDIS_URL": redis_url,
        "SUSC_JOB_NAMESPACE": ns,
        "SUSC_CACHE_KEY_PREFIX": ns + ":cache:",
        "SUSC_COMPUTE_WORKERS": "1",
        "SUSC_COMPUTE_WARM_UP": "false",
        "SUSC_COMPUTE_BACKEND": "thread",  # the apps' own synchronous requests
        "SUSC_JOB_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_S),
        "SUSC_JOB_MAINTENANCE_PER_MILLION": "1000000",
        "SUSC_JOB_BLOCK_K_POINTS": "6400",
        "SUSC_LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class Cluster:
    apps: list[Server]
    workers: list[Worker]
    env: dict[str, str]
    ns: str
    redis: redis.Redis
    tmp: Path
    metrics_ports: list[int]

    def client(self, i: int = 0) -> httpx.Client:
        return httpx.Client(base_url=self.apps[i].url, timeout=60)

    def comp(self, job_id: str) -> dict[str, str]:
        cid = self.redis.hget(f"{self.ns}:job:{job_id}", "cid")
        raw = self.redis.hgetall(f"{self.ns}:comp:{cid.decode()}") if cid else {}
        return {k.decode(): v.decode(errors="replace") for k, v in raw.items() if k != b"body"}

    def worker_of(self, job_id: str) -> Worker:
        pid = int(self.comp(job_id)["worker"].split(":")[1])
        return next(w for w in self.workers if w.proc.pid == pid)


@pytest.fixture(scope="module")
def cluster(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("jobs")
    ns = "test-jobs-" + uuid.uuid4().hex[:10]
    env = _env(redis_url, ns)
    r = redis.Redis.from_url(redis_url)
    with uvicorn_server(tmp, env) as a, uvicorn_server(tmp, env) as b:
        ports = [free_port(), free_port()]
        workers = [
            start_worker(tmp, {**env, "SUSC_JOB_WORKER_METRICS_PORT": str(port)}) for port in ports
        ]
        c = Cluster([a, b], workers, env, ns, r, tmp, ports)
        try:
            yield c
        finally:
            for w in c.workers:
                stop(w.proc)
            for k in r.scan_iter(match=ns + ":*", count=1000):
                r.unlink(k)


def wait_for(
    client: httpx.Client, job_id: str, states: tuple[str, ...], timeout_s: float = 120.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    doc: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        doc = r.json()
        if doc["status"] in states:
            return doc
        time.sleep(0.1)
    pytest.fail(f"job {job_id} not {states} in {timeout_s} s: {doc}")


def submit(client: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/jobs", json={"endpoint": endpoint, "body": body})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/jobs/{r.json()['id']}"
    return r.json()


def in_process(endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    """The synchronous computation of ``body``, here in the test process (no cache, no queue)."""
    name = {
        SUSCEPTIBILITY: "crystal-orbital-susceptibility",
        SLOW_ENDPOINT: "crystal-q2-conductivity",
        "/v1/oscillator/response": "oscillator-response",
    }[endpoint]
    comp = computations.get(name)
    meta, data = unpack(run_packed(name, comp.request.model_validate(body), Settings())).split(
        b"\n", 1
    )
    return {"meta": orjson.loads(meta), **orjson.loads(data)}


#: Results that are themselves relative differences of nearly equal sums (the grid-convergence
#: estimate |chi - chi_half| / |chi| ~ 1e-15 for a converged grid): rounding changes them by
#: ~1e-16 absolute, so they are compared to this absolute tolerance instead.
ABSOLUTE = {"relative_change": 1e-12}


def assert_close(a: Any, b: Any, rtol: float = 1e-12, path: str = "") -> None:
    """Equal JSON trees, numbers to ``rtol`` relative (of the larger magnitude, with 1e-300),
    the keys of :data:`ABSOLUTE` to their absolute tolerance."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a:
            assert_close(a[k], b[k], rtol, f"{path}/{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, rtol, f"{path}/{i}")
    elif isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float) and isinstance(b, int | float), path
        atol = ABSOLUTE.get(path.rsplit("/", 1)[-1], 1e-300) if rtol else 0.0
        assert math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or a == b, (path, a, b)
    else:
        assert a == b, (path, a, b)


def _data(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "meta"}


# -- results -----------------------------------------------------------------------------------


def test_a_job_result_equals_the_synchronous_result(cluster: Cluster) -> None:
    p = all_presets()["westerberg-barnett-fig2a"]
    with cluster.client(0) as a, cluster.client(1) as b:
        job = submit(a, p.endpoint, p.body)
        assert job["status"] in ("queued", "running", "done")
        done = wait_for(b, job["id"], ("done", "failed"))  # read through the other app
        assert done["status"] == "done", done
        assert done["attempts"] == 1 and done["progress"] == 1.0
        ref = in_process(p.endpoint, p.body)
        assert_close(_data(done["result"]), _data(ref))
        assert done["result"]["meta"]["checks"] == ref["meta"]["checks"]
        # the answer landed in the cache: the synchronous request is a hit, with the same bytes
        sync = b.post(p.endpoint, json=p.body)
        assert sync.headers["x-cache"] == "hit"
        assert_close(_data(sync.json()), _data(done["result"]), rtol=0.0)
        # every representation of the endpoint, from the job
        csv_job = a.get(f"/v1/jobs/{job['id']}/result", params={"format": "csv"})
        csv_sync = b.post(p.endpoint, json=p.body, params={"format": "csv"})
        assert csv_job.status_code == 200 and csv_job.headers["content-type"].startswith("text/csv")
        assert csv_job.text == csv_sync.text
        assert csv_job.headers["etag"] == csv_sync.headers["etag"]
        metrics = a.get("/metrics").text
        assert 'susc_jobs_total{outcome="done"}' in metrics and "susc_job_queue_depth" in metrics
        # job durations per model, from the worker that ran it
        runs = 0.0
        for port in cluster.metrics_ports:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            for line in text.splitlines():
                if line.startswith("susc_job_seconds_count{") and 'outcome="ok"' in line:
                    assert 'model="multipole-oscillator"' in line
                    runs += float(line.rsplit(" ", 1)[1])
        assert runs == 1.0


def test_a_sweep_gives_the_synchronous_result_of_every_point(cluster: Cluster) -> None:
    base = {
        "model": {"kind": "haldane", "t": 1.0, "t2": 0.0, "phi": 1.5707963267948966, "M": 1.0},
        "grid": {"n": [48, 48], "shift": 0.5},
        "include_chi1": True,
    }
    values = [0.0, 0.05, 0.1]
    with cluster.client(1) as c:
        r = c.post(
            "/v1/sweeps",
            json={
                "endpoint": SUSCEPTIBILITY,
                "body": base,
                "axes": [{"pointer": "/model/t2", "values": values}],
            },
        )
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        assert r.headers["location"] == f"/v1/sweeps/{sid}"
        deadline = time.monotonic() + 120
        while (doc := c.get(f"/v1/sweeps/{sid}").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, doc
            time.sleep(0.2)
        assert doc["status"] == "done" and doc["progress"] == 1.0, doc
        assert doc["axes"] == ["/model/t2"]
        for pt, t2 in zip(doc["points"], values, strict=True):
            assert pt["values"] == {"/model/t2": t2}
            body = {**base, "model": {**base["model"], "t2": t2}}
            ref = in_process(SUSCEPTIBILITY, body)
            assert math.isclose(pt["scalars"]["/chi_2/total"], ref["chi_2"]["total"], rel_tol=1e-12)
            assert math.isclose(pt["scalars"]["/chi_1/total"], ref["chi_1"]["total"], rel_tol=1e-12)
            assert pt["checks"]["grid_convergence"] in ("ok", "failed")
        csv = c.get(f"/v1/sweeps/{sid}", params={"format": "csv"}).text
        rows = [ln for ln in csv.splitlines() if not ln.startswith("#")]
        header = rows[0].split(",")
        assert header[:3] == ["index", "/model/t2", "status"] and "/chi_2/total" in header
        col = header.index("/chi_2/total")
        for row, pt in zip(rows[1:], doc["points"], strict=True):
            assert float(row.split(",")[col]) == pt["scalars"]["/chi_2/total"]


def test_the_fig6_preset_runs_as_one_sweep_with_the_chi1_chi2_series(cluster: Cluster) -> None:
    preset = all_presets()["haldane-fig6-sweep"]
    with cluster.client(0) as c:
        r = c.post("/v1/sweeps", json={"preset": "haldane-fig6-sweep"})
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        deadline = time.monotonic() + 400
        while (doc := c.get(f"/v1/sweeps/{sid}").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, doc["counts"]
            time.sleep(0.5)
    assert doc["status"] == "done", doc["counts"]
    assert len(doc["points"]) == len(preset.bodies) == 11
    assert "/model/t2" in doc["axes"]
    tc = 3.0 / (3.0 * math.sqrt(3.0))  # t2 sin(phi) at which the gap closes (M = 3 eV)
    chi0 = abs(doc["points"][0]["scalars"]["/chi_1/total"])
    for pt in doc["points"]:
        x = pt["values"]["/model/t2"] / tc
        chi1, chi2 = pt["scalars"]["/chi_1/total"], pt["scalars"]["/chi_2/total"]
        if x < 0.9:  # trivial phase: the two forms agree (the chi1_equals_chi2 check)
            assert math.isclose(chi1, chi2, rel_tol=1e-6), (x, chi1, chi2)
            assert chi2 < 0  # diamagnetic
        if x > 1.1:  # Chern phase: chi_2 stays diamagnetic
            assert chi2 < 0, (x, chi2)
    # the lab script runs the same preset as one sweep (answered from the stored results now)
    spec = importlib.util.spec_from_file_location("fig6_sweep", ROOT / "examples" / "fig6_sweep.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    with cluster.client(1) as c:
        rows = example.main(c, cluster.tmp / "fig6.png")
    assert [r["chi_2"] for r in rows] == [p["scalars"]["/chi_2/total"] for p in doc["points"]]
    assert (cluster.tmp / "fig6.png").read_bytes()[:4] == b"\x89PNG"
    # the point at t2 = 0 is the chi_0 the figure is normalised by
    assert chi0 > 0
    assert math.isclose(
        doc["points"][0]["scalars"]["/chi_1/total"],
        in_process(SUSCEPTIBILITY, preset.bodies[0])["chi_1"]["total"],
        rel_tol=1e-12,
    )


def test_a_split_brillouin_zone_sum_over_two_workers_equals_one_process(cluster: Cluster) -> None:
    body = {
        "model": {"kind": "haldane", "t": 1.0, "t2": 0.1, "phi": 1.2, "M": 0.8},
        "grid": {"n": [400, 400], "shift": 0.5},
        "include_chi1": True,
    }
    with cluster.client(0) as c:
        job = submit(c, SUSCEPTIBILITY, body)
        done = wait_for(c, job["id"], ("done", "failed"), 240)
    assert done["status"] == "done", done
    comp = cluster.comp(job["id"])
    blocks = int(comp["blocks"])
    assert blocks >= 10  # 400^2 k-points in blocks of ~6400, and the half grid
    workers = cluster.redis.smembers(f"{cluster.ns}:comp:{_cid(cluster, job['id'])}:workers")
    assert len(workers) == 2, workers  # both workers computed blocks
    ref = in_process(SUSCEPTIBILITY, body)
    assert_close(_data(done["result"]), _data(ref), rtol=1e-12)
    assert {k: v["verdict"] for k, v in done["result"]["meta"]["checks"].items()} == {
        k: v["verdict"] for k, v in ref["meta"]["checks"].items()
    }


def _cid(cluster: Cluster, job_id: str) -> str:
    return cluster.redis.hget(f"{cluster.ns}:job:{job_id}", "cid").decode()


# -- ids, sharing, cancelling ------------------------------------------------------------------


def test_job_ids_are_random_and_private(cluster: Cluster) -> None:
    p = all_presets()["westerberg-barnett-fig2a"]
    body = {**p.body, "frequencies": {**p.body["frequencies"], "num": 77}}
    with cluster.client(0) as c:
        ids = {submit(c, p.endpoint, body)["id"] for _ in range(3)}
        assert len(ids) == 3  # one body, three submissions, three ids
        for i in ids:
            assert len(i) == 24  # 18 random bytes, URL-safe: 144 bits
            assert i not in str(cluster.comp(i))  # not derived from the body or its key
        missing = c.get("/v1/jobs/" + "A" * 24)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert c.delete("/v1/jobs/" + "B" * 24).status_code == 404


def test_identical_submissions_share_one_computation_and_cancel_separately(
    cluster: Cluster,
) -> None:
    body = {**SLOW, "eta": 0.1 + 1e-9}
    with cluster.client(0) as a, cluster.client(1) as b:
        first = submit(a, SLOW_ENDPOINT, body)
        second = submit(b, SLOW_ENDPOINT, body)
        assert first["id"] != second["id"]
        assert _cid(cluster, first["id"]) == _cid(cluster, second["id"])
        assert a.get(f"/v1/jobs/{first['id']}").json()["shared"] is True
        wait_for(a, first["id"], ("running",), 60)
        cancelled = a.delete(f"/v1/jobs/{first['id']}")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        done = wait_for(b, second["id"], ("done", "failed"), 240)
        assert done["status"] == "done", done
        assert done["attempts"] == 1
        assert a.get(f"/v1/jobs/{first['id']}").json()["status"] == "cancelled"
        # a finished job cannot be cancelled
        assert b.delete(f"/v1/jobs/{second['id']}").status_code == 409


def test_cancel_stops_a_running_job_and_removes_a_queued_one(cluster: Cluster) -> None:
    bodies = [{**SLOW, "eta": 0.1 + k * 1e-9} for k in (2, 3, 4)]
    with cluster.client(0) as c:
        running = [submit(c, SLOW_ENDPOINT, b)["id"] for b in bodies[:2]]
        for j in running:
            wait_for(c, j, ("running",), 60)
        queued = submit(c, SLOW_ENDPOINT, bodies[2])["id"]  # both workers are busy
        time.sleep(0.5)
        assert c.get(f"/v1/jobs/{queued}").json()["status"] == "queued"
        r = c.delete(f"/v1/jobs/{queued}")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        t0 = time.monotonic()
        r = c.delete(f"/v1/jobs/{running[0]}")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        worker = cluster.worker_of(running[0])
        # the freed worker takes new work at once: a small job is done long before the slow
        # one would have ended
        p = all_presets()["westerberg-barnett-fig2a"]
        small = submit(
            c, p.endpoint, {**p.body, "frequencies": {**p.body["frequencies"], "num": 91}}
        )
        wait_for(c, small["id"], ("done",), 30)
        assert time.monotonic() - t0 < 20
        assert worker.proc.poll() is None  # the worker lives on; only its computation stopped
        comp = cluster.comp(queued)
        assert comp["state"] == "cancelled" and comp["attempts"] == "0"  # it never ran
        c.delete(f"/v1/jobs/{running[1]}")


# -- workers dying -----------------------------------------------------------------------------


def test_a_job_whose_worker_is_killed_completes_on_another(cluster: Cluster) -> None:
    body = {**SLOW, "eta": 0.1 + 5e-9}
    with cluster.client(0) as c:
        job = submit(c, SLOW_ENDPOINT, body)
        wait_for(c, job["id"], ("running",), 60)
        victim = cluster.worker_of(job["id"])
        victim.kill()  # SIGKILL: the worker and its compute process, mid-job
        cluster.workers.remove(victim)
        t0 = time.monotonic()
        while (comp := cluster.comp(job["id"])).get("attempts") != "2":
            assert time.monotonic() - t0 < REDELIVERY_BOUND_S, comp
            time.sleep(0.2)
        done = wait_for(c, job["id"], ("done", "failed"), 240)
        assert done["status"] == "done", done
        assert done["attempts"] == 2
    cluster.workers.append(start_worker(cluster.tmp, cluster.env))  # for the tests after


def test_a_job_that_kills_every_worker_fails_with_a_reason(redis_url: str, tmp_path: Path) -> None:
    ns = "test-jobs-" + uuid.uuid4().hex[:10]
    env = _env(redis_url, ns, SUSC_JOB_MAX_ATTEMPTS="1")
    r = redis.Redis.from_url(redis_url)
    with uvicorn_server(tmp_path, env) as app:
        first = start_worker(tmp_path, env)
        second = start_worker(tmp_path, env)
        try:
            with httpx.Client(base_url=app.url, timeout=60) as c:
                job = submit(c, SLOW_ENDPOINT, {**SLOW, "eta": 0.1 + 6e-9})
                wait_for(c, job["id"], ("running",), 60)
                cid = r.hget(f"{ns}:job:{job['id']}", "cid").decode()
                pid = int(r.hget(f"{ns}:comp:{cid}", "worker").decode().split(":")[1])
                victim = first if first.proc.pid == pid else second
                victim.kill()
                failed = wait_for(c, job["id"], ("failed", "done"), REDELIVERY_BOUND_S + 10)
                assert failed["status"] == "failed"
                assert "job_max_attempts" in failed["error"]["reason"]
                assert "worker died" in failed["error"]["reason"]
        finally:
            for w in (first, second):
                stop(w.proc)
            for k in r.scan_iter(match=ns + ":*", count=1000):
                r.unlink(k)


def test_a_worker_stops_cleanly_on_sigterm(cluster: Cluster) -> None:
    extra = start_worker(cluster.tmp, cluster.env)
    t0 = time.monotonic()
    extra.proc.send_signal(signal.SIGTERM)
    assert extra.proc.wait(timeout=30) == 0
    assert time.monotonic() - t0 < 30
    assert "job worker stopping" in extra.log_text()
