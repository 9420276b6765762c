"""Benchmark: jobs and sweeps against the synchronous calls they replace (issue 13).

python bench/bench_jobs.py [--grid 240] [--small 30] [--record]

Everything runs on loopback in one invocation with real processes: one uvicorn app (thread
compute backend for its own synchronous requests) and ``python -m app.jobs.worker`` processes,
on the machine's Redis under a namespace of their own (deleted at the end):

1. **Fig. 6 sweep** (``haldane-fig6-sweep``, 11 bodies, the grid set to ``--grid`` on each axis):
   the whole sweep as one ``POST /v1/sweeps`` with 1 worker (2 numba threads) and with 2 workers
   (1 numba thread each: the same 2 cores), against the best alternative, the 11 synchronous
   POSTs one after the other (2 numba threads). Every run has fresh bodies (an offset of 1e-12 in
   t, so nothing is a cache hit).
2. **Per-job overhead**: for a small body (the Fig. 2a oscillator preset, a few milliseconds of
   work), the median time from ``POST /v1/jobs`` to ``GET`` seeing ``done`` (polled every 2 ms)
   against the median synchronous POST, ``--small`` fresh bodies each.
3. **Split Brillouin-zone sum**: an 800 x 800 orbital susceptibility (chi_2 only) as one job on
   2 workers (blocks of ``job_block_k_points`` = 160 000), against the synchronous POST.

``--record`` appends the tables to bench/README.md with the machine and the date. Targets are
printed, never asserted: the 2-worker sweep at least 1.6x faster than 1 worker; per-job
overhead under 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.presets import all_presets
from tests.app.live import start_worker, stop, uvicorn_server

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _env(ns: str, **extra: str) -> dict[str, str]:
    return {
        "SUSC_REDIS_URL": REDIS,
        "SUSC_JOB_NAMESPACE": ns,
        "SUSC_CACHE_KEY_PREFIX": ns + ":cache:",
        "SUSC_COMPUTE_WORKERS": "1",
        "SUSC_COMPUTE_BACKEND": "thread",
        "SUSC_LOG_LEVEL": "INFO",  # the workers announce readiness at INFO
        "SUSC_ACCESS_LOG": "false",
        **extra,
    }


def _fresh(body: dict[str, Any], k: int) -> dict[str, Any]:
    model = {**body["model"], "t": body["model"]["t"] * (1 + k * 1e-12)}
    return {**body, "model": model}


def _wait_sweep(c: httpx.Client, sid: str) -> dict[str, Any]:
    while (doc := c.get(f"/v1/sweeps/{sid}").json())["status"] in ("queued", "running"):
        time.sleep(0.05)
    assert doc["status"] == "done", doc["counts"]
    return doc


def _wait_job(c: httpx.Client, jid: str, poll_s: float) -> dict[str, Any]:
    while (doc := c.get(f"/v1/jobs/{jid}").json())["status"] in ("queued", "running"):
        time.sleep(poll_s)
    assert doc["status"] == "done", doc
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=240)
    ap.add_argument("--small", type=int, default=30)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    preset = all_presets()["haldane-fig6-sweep"]
    bodies = [{**b, "grid": {**b["grid"], "n": [args.grid, args.grid]}} for b in preset.bodies]
    small = all_presets()["westerberg-barnett-fig2a"]
    rows: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    ns = "bench-jobs-" + uuid.uuid4().hex[:8]
    base_env = _env(ns)
    run = 0

    with uvicorn_server(tmp, base_env) as app, httpx.Client(base_url=app.url, timeout=600) as c:
        # the synchronous alternative (the app's own thread: 2 numba threads)
        run += 1
        t0 = time.perf_counter()
        for b in bodies:
            c.post(preset.endpoint, json=_fresh(b, run)).raise_for_status()
        t_sync = time.perf_counter() - t0
        sweep_times = {}
        for n_workers, threads in ((1, "2"), (2, "1")):
            env = {**base_env, "NUMBA_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}
            workers = [start_worker(tmp, env, 900) for _ in range(n_workers)]
            try:
                run += 1
                axes = [{"pointer": "/model/t", "values": [bodies[0]["model"]["t"]]}]
                # warm: one small sweep compiles what the workers need
                warm = c.post(
                    "/v1/sweeps",
                    json={
                        "endpoint": preset.endpoint,
                        "body": _fresh(bodies[0], 1000 + run),
                        "axes": axes,
                    },
                )
                _wait_sweep(c, warm.raise_for_status().json()["id"])
                fresh = [_fresh(b, run) for b in bodies]
                t0 = time.perf_counter()
                sids = []
                r = c.post(
                    "/v1/sweeps",
                    json={
                        "endpoint": preset.endpoint,
                        "body": fresh[0],
                        "axes": [{"pointer": "/model", "values": [b["model"] for b in fresh]}],
                    },
                )
                r.raise_for_status()
                sids.append(r.json()["id"])
                doc = _wait_sweep(c, sids[0])
                sweep_times[n_workers] = time.perf_counter() - t0
                assert len(doc["points"]) == len(bodies)
            finally:
                for w in workers:
                    stop(w.proc)
        rows.append(
            f"| Fig. 6 sweep, 11 x {args.grid}^2, chi_1 + chi_2 | {t_sync:.2f} s (11 sync POSTs) "
            f"| {sweep_times[1]:.2f} s (1 worker) | {sweep_times[2]:.2f} s (2 workers) | "
            f"{sweep_times[1] / sweep_times[2]:.2f}x (2 vs 1 worker) |"
        )

        # per-job overhead and the split sum: 2 workers
        workers = [start_worker(tmp, {**base_env, "NUMBA_NUM_THREADS": "1"}, 900) for _ in range(2)]
        try:
            sync_t, job_t = [], []
            for k in range(args.small):
                body = {**small.body, "frequencies": {**small.body["frequencies"], "num": 300 + k}}
                t0 = time.perf_counter()
                c.post(small.endpoint, json=body).raise_for_status()
                sync_t.append(time.perf_counter() - t0)
                body2 = {**body, "frequencies": {**body["frequencies"], "num": 600 + k}}
                t0 = time.perf_counter()
                jid = c.post("/v1/jobs", json={"endpoint": small.endpoint, "body": body2}).json()[
                    "id"
                ]
                _wait_job(c, jid, 0.002)
                job_t.append(time.perf_counter() - t0)
            ms = statistics.median(sync_t) * 1e3, statistics.median(job_t) * 1e3
            rows.append(
                f"| small body (Fig. 2a, ~300 frequencies), median of {args.small} | "
                f"{ms[0]:.1f} ms (sync POST) | {ms[1]:.1f} ms (job, submit to done) | | "
                f"overhead {ms[1] - ms[0]:.1f} ms |"
            )
            big = {
                "model": {"kind": "haldane", "t": 1.0, "t2": 0.1, "phi": 1.2, "M": 0.8},
                "grid": {"n": [800, 800]},
                "include_chi1": False,
            }
            t0 = time.perf_counter()
            c.post("/v1/crystal/orbital-susceptibility", json=big).raise_for_status()
            t_big_sync = time.perf_counter() - t0
            big2 = _fresh(big, 7)
            t0 = time.perf_counter()
            jid = c.post(
                "/v1/jobs", json={"endpoint": "/v1/crystal/orbital-susceptibility", "body": big2}
            ).json()["id"]
            _wait_job(c, jid, 0.02)
            t_big_job = time.perf_counter() - t0
            rows.append(
                f"| 800^2 orbital susceptibility (chi_2, split in blocks) | {t_big_sync:.2f} s "
                f"(sync POST, 2 threads) | {t_big_job:.2f} s (job, 2 workers x 1 thread) | | |"
            )
        finally:
            for w in workers:
                stop(w.proc)

    import redis

    r = redis.Redis.from_url(REDIS)
    for k in r.scan_iter(match=ns + ":*", count=1000):
        r.unlink(k)
    head = "| case | synchronous | jobs | | |\n|---|---|---|---|---|"
    table = head + "\n" + "\n".join(rows)
    print(table)
    if args.record:
        machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        with (ROOT / "bench" / "README.md").open("a") as f:
            f.write(
                f"\n### Jobs (issue 13), {dt.date.today()}, {machine}: "
                f"`python bench/bench_jobs.py --grid {args.grid}`\n\n{table}\n"
            )


if __name__ == "__main__":
    main()
