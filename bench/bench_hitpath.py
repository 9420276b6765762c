"""Benchmark: the cached-hit path against the bare-FastAPI ceiling, cold computations, peak RSS.

python bench/bench_hitpath.py [--duration 10] [--connections 64] [--rounds 3] [--skip-cold] [--skip-rss]
                              [--matrix] [--src DIR] [--record]

Everything runs on loopback in one invocation, side by side, with real uvicorn processes on free
ports and a private ``redis-server`` (its own port, no persistence; the machine's Redis is not
touched):

1. **Hit path.** Four servers: the service with its in-process cache, the service with Redis,
   and the two bare apps of bench/bare_app.py (the same answer bytes from memory, and from the
   same Redis with one ``GET``). The service's cache is warmed with one POST of the Fig. 2a
   preset (``westerberg-barnett-fig2a``) at 120 points; the bare apps serve exactly the bytes
   the service answered. Each is driven by ``wrk`` (a POST Lua script, ``--connections``
   connections, ``--duration`` seconds) one after the other, in ``--rounds`` interleaved rounds
   (so that a change of the machine's load touches every server); the median round's
   requests/s, p50 and p99 and the ratios service / bare are printed. After each service run the service's ``/readyz`` cache
   counters prove every request was a hit (misses still 1). With ``--pin`` (the default) the
   server runs on the first CPUs and wrk on the last one, so the load generator does not take
   the server's core.
2. **Server settings** (``--matrix``): the in-process-cache hit path under the event loop / HTTP
   parser combinations (asyncio or uvloop, h11 or httptools) and with 1 and 2 uvicorn workers.
3. **Cold computations** (unless ``--skip-cold``): p50/p99 latency of requests that all miss
   (each body differs from the others by 1e-9 relative in one number), for the Fig. 2a preset at
   120 points and for a 400 x 400 Chern number (``/v1/crystal/berry``, Haldane preset), with 1
   and 2 uvicorn workers, ``--cold-concurrency`` requests in flight.
4. **Peak RSS** (unless ``--skip-rss``): the summed resident memory of the service's process tree
   (uvicorn and its compute workers), sampled every 50 ms, while 4 at-limit dispersion requests
   (``max_dispersion_k_points`` k points x the most branches ``max_dispersion_values`` allows)
   run at once.

``--src DIR`` serves the service from another checkout (e.g. ``git archive <commit>`` unpacked
in /tmp) with this repository's virtual environment, to measure before and after a change in one
run. ``--record`` appends the Markdown tables to bench/README.md with the machine and the date.
Targets (issue 12; printed, never asserted in tests): hit >= 0.7 of the bare in-memory ceiling
with the in-process cache, >= 0.8 of the bare Redis ceiling with Redis, p99 < 15 ms at 64
connections.

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and ``redis-server``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.presets import all_presets

PRESET = "westerberg-barnett-fig2a"
CHERN_PRESET = "haldane-chern-berry"
HIT_POINTS = 120
CHERN_N = 400
ENDPOINT = "/v1/oscillator/response"
TARGET_MEMORY_RATIO = 0.7
TARGET_REDIS_RATIO = 0.8
TARGET_P99_MS = 15.0

#: The production server options measured here (make run, the Dockerfile and compose use them).
SERVER_OPTS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")

WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("BENCH_BODY_FILE"), "rb"):read("*a")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nBENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
"""


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))


def taskset(cpus: Sequence[int] | None) -> list[str]:
    if not cpus or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", ",".join(str(c) for c in cpus)]


@dataclass
class Server:
    """One uvicorn process (and its children) on a loopback port."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    ready_path: str = "/readyz"
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, logdir: Path) -> None:
        self.log = logdir / f"{self.name}.log"
        fh = self.log.open("wb")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=self.cwd, stdout=fh, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout_s: float = 300.0) -> float:
        """Seconds until ``ready_path`` answers 200 (the compute workers are warm)."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout_s:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.tail()}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s: {self.tail()}")

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def uvicorn_cmd(
    app: str,
    port: int,
    *,
    workers: int = 1,
    loop: str = "uvloop",
    http: str = "httptools",
    cpus: Sequence[int] | None = None,
) -> list[str]:
    cmd = [*taskset(cpus), sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--loop", loop, "--http", http, "--no-access-log"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    return cmd


def service(
    name: str,
    src: Path,
    *,
    redis_url: str | None = None,
    workers: int = 1,
    loop: str = "uvloop",
    http: str = "httptools",
    cpus: Sequence[int] | None = None,
    extra_env: dict[str, str] | None = None,
    numba_cache: Path | None = None,
) -> Server:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("REDIS_URL", None)
    env.pop("SUSC_REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
    env.update(extra_env or {})
    cmd = uvicorn_cmd("app.main:app", port, workers=workers, loop=loop, http=http, cpus=cpus)
    return Server(name, cmd, env, src, port)


def bare(
    name: str,
    mode: str,
    answer: Path,
    redis_url: str,
    cpus: Sequence[int] | None,
    *,
    workers: int = 1,
    loop: str = "uvloop",
    http: str = "httptools",
) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BARE_MODE": mode,
        "BARE_ANSWER_FILE": str(answer),
        "BARE_REDIS_URL": redis_url,
    }
    cmd = uvicorn_cmd("bench.bare_app:app", port, workers=workers, loop=loop, http=http, cpus=cpus)
    return Server(name, cmd, env, ROOT, port, ready_path="/healthz")


@contextlib.contextmanager
def private_redis(logdir: Path) -> Iterator[str]:
    """A redis-server of our own on a free loopback port (no persistence); its URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is needed (apt-get install -y redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=(logdir / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def redis_set(url: str, key: str, value: bytes) -> None:
    import redis

    r = redis.Redis.from_url(url)
    r.set(key, value)
    r.close()


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


def post(url: str, body: bytes, timeout_s: float = 600.0) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            doc: dict[str, Any] = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        doc = json.loads(exc.read())
    return doc


def fig2a_body(points: int = HIT_POINTS, rel: float = 0.0) -> dict[str, Any]:
    body = copy.deepcopy(all_presets()[PRESET].body)
    body["frequencies"]["num"] = points
    body["frequencies"]["stop"] = body["frequencies"]["stop"] * (1.0 + rel)
    return body


def chern_body(n: int = CHERN_N, rel: float = 0.0) -> dict[str, Any]:
    body = copy.deepcopy(all_presets()[CHERN_PRESET].body)
    body["grid"]["n"] = [n, n]
    body["model"]["t"] = body["model"]["t"] * (1.0 + rel)
    return body


def at_limit_dispersion_body(rel: float = 0.0) -> dict[str, Any]:
    """``max_dispersion_k_points`` k points and as many transitions as
    ``max_dispersion_values`` allows (the stress case of issue 12)."""
    import numpy as np

    from app.settings import Settings
    from core import dispersion as disp
    from core import oscillators as osc

    s = Settings()
    nk = s.max_dispersion_k_points
    m = 1
    while True:  # the most transitions whose polynomial degree keeps nk x degree in the limit
        nxt = m + 1
        ones = np.ones(nxt)
        med = osc.OscillatorMedium(
            omega=1.0 + 0.01 * np.arange(nxt, dtype=np.float64),
            gamma=0.01 * ones,
            e_dip=0.1 * ones,
            m_dip=0.0 * ones,
            quad=0.0 * ones,
            dip_oct=0.0 * ones,
            dia=0.0 * ones,
        )
        if nk * disp.rational_form(med).degree > s.max_dispersion_values:
            break
        m = nxt
    transitions = [
        {"omega": (1.0 + 0.01 * i) * (1.0 + rel), "gamma": 0.01, "e_dip": 0.1} for i in range(m)
    ]
    return {
        "medium": {"kind": "oscillator", "unit": "model", "transitions": transitions},
        "k": {"start": 0.05, "stop": 6.0, "num": nk, "unit": "model"},
    }


def wrk(
    url: str,
    body_file: Path,
    lua: Path,
    *,
    connections: int,
    threads: int,
    duration_s: int,
    cpus: Sequence[int] | None,
) -> dict[str, Any]:
    cmd = [*taskset(cpus), "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s"]
    cmd += ["--timeout", "10s", "-s", str(lua), url]
    out = subprocess.run(
        cmd,
        env={**os.environ, "BENCH_BODY_FILE": str(body_file)},
        capture_output=True,
        text=True,
        timeout=duration_s + 60,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    res: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    return res


async def _cold(url: str, bodies: list[bytes], concurrency: int) -> tuple[list[float], list[int]]:
    import httpx

    lat: list[float] = []
    codes: list[int] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=600.0, limits=limits) as client:

        async def one() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                t0 = time.perf_counter()
                r = await client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                await r.aread()
                lat.append(time.perf_counter() - t0)
                codes.append(r.status_code)

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return lat, codes


def cold(url: str, bodies: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    raw = [json.dumps(b).encode() for b in bodies]
    t0 = time.perf_counter()
    lat, codes = asyncio.run(_cold(url, raw, concurrency))
    wall = time.perf_counter() - t0
    lat_ms = sorted(x * 1e3 for x in lat)
    return {
        "n": len(lat_ms),
        "p50_ms": pct(lat_ms, 50),
        "p99_ms": pct(lat_ms, 99),
        "rps": len(lat_ms) / wall,
        "non200": sum(c != 200 for c in codes),
        "codes": sorted(set(codes)),
    }


def _problem_type(body: bytes) -> str:
    """The ``type`` of a problem+json body (its last URN or path segment), or ``""``."""
    try:
        doc = json.loads(body[:100_000])
    except ValueError:
        return ""
    return re.split(r"[/:]", str(doc.get("type", "")))[-1] if isinstance(doc, dict) else ""


def pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[int(i)]


# ---------------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------------


def tree_pids(pid: int) -> list[int]:
    out = [pid]
    i = 0
    while i < len(out):
        p = out[i]
        i += 1
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    out += [int(c) for c in f.read().split()]
    return out


def rss_bytes(pid: int) -> int:
    total = 0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError), open(f"/proc/{p}/status") as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    total += int(ln.split()[1]) * 1024
    return total


@dataclass
class PeakRSS:
    pid: int
    peak: int = 0
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> PeakRSS:
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            v = rss_bytes(self.pid)
            self.samples.append(v)
            self.peak = max(self.peak, v)
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


# ---------------------------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------------------------


def misses_of(srv: Server) -> tuple[int, int]:
    stats = get_json(srv.url + "/readyz").get("cache_stats", {})
    return int(stats.get("hits", -1)), int(stats.get("misses", -1))


def hit_path(args: argparse.Namespace, tmp: Path, redis_url: str) -> dict[str, Any]:
    ncpu = cpu_count()
    server_cpus = list(range(max(1, ncpu - 1))) if args.pin else None
    wrk_cpus = [ncpu - 1] if args.pin else None
    body = json.dumps(fig2a_body()).encode()
    body_file = tmp / "body.json"
    body_file.write_bytes(body)
    lua = tmp / "post.lua"
    lua.write_text(WRK_LUA)

    svc_mem = service("service-memory", args.src, cpus=server_cpus, numba_cache=args.numba_cache)
    svc_red = service(
        "service-redis",
        args.src,
        redis_url=redis_url,
        cpus=server_cpus,
        numba_cache=args.numba_cache,
    )
    servers = [svc_mem, svc_red]
    for s in servers:
        s.start(tmp)
    try:
        ready = {s.name: s.wait_ready() for s in servers}
        answers = {}
        for s in servers:
            st, hdr, _ = post(s.url + ENDPOINT, body)
            assert st == 200 and hdr.get("x-cache", hdr.get("X-Cache")) == "miss", (st, hdr)
            st, hdr, ans = post(s.url + ENDPOINT, body)
            assert st == 200 and hdr.get("x-cache", hdr.get("X-Cache")) == "hit", (st, hdr)
            answers[s.name] = ans
        answer = tmp / "answer.json"
        answer.write_bytes(answers["service-memory"])
        redis_set(redis_url, "bench:hitpath:answer", answers["service-redis"])
        bare_mem = bare("bare-memory", "memory", answer, redis_url, server_cpus)
        bare_red = bare("bare-redis", "redis", answer, redis_url, server_cpus)
        for s in (bare_mem, bare_red):
            s.start(tmp)
            ready[s.name] = s.wait_ready()
        servers += [bare_mem, bare_red]
        results: dict[str, Any] = {"answer_bytes": len(answers["service-memory"]), "ready_s": ready}
        runs: dict[str, list[dict[str, Any]]] = {}
        for rnd in range(args.rounds):  # interleaved rounds: a change of load hits every server
            for s in (bare_mem, svc_mem, bare_red, svc_red):
                before = misses_of(s) if s.name.startswith("service") else None
                res = wrk(
                    s.url + ENDPOINT,
                    body_file,
                    lua,
                    connections=args.connections,
                    threads=args.threads,
                    duration_s=args.duration,
                    cpus=wrk_cpus,
                )
                if before is not None:
                    after = misses_of(s)
                    res["all_hits"] = (
                        after[1] == before[1] and after[0] - before[0] >= res["requests"]
                    )
                runs.setdefault(s.name, []).append(res)
                print(
                    f"  round {rnd + 1} {s.name}: {res['rps']:.0f} req/s, p50 "
                    f"{res['p50_us'] / 1e3:.1f} ms, p99 {res['p99_us'] / 1e3:.1f} ms, errors "
                    f"{res['errors']}, non-2xx {res['non2xx']}",
                    flush=True,
                )
        for name, rs in runs.items():  # the median round of each server (by req/s)
            med = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
            results[name] = {
                **med,
                "rounds": len(rs),
                "all_hits": all(r.get("all_hits", True) for r in rs) if "service" in name else "-",
                "errors": sum(r["errors"] for r in rs),
                "non2xx": sum(r["non2xx"] for r in rs),
            }
        return results
    finally:
        for s in servers:
            s.stop()


def settings_matrix(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    ncpu = cpu_count()
    body_file = tmp / "body.json"
    lua = tmp / "post.lua"
    body = body_file.read_bytes()
    rows = []
    combos = [
        ("asyncio", "h11", 1, True),
        ("asyncio", "httptools", 1, True),
        ("uvloop", "h11", 1, True),
        ("uvloop", "httptools", 1, True),
        ("uvloop", "httptools", 1, False),
        ("uvloop", "httptools", 2, False),
    ]
    for loop, http, workers, pin in combos:
        pinned = pin and args.pin
        s = service(
            f"matrix-{loop}-{http}-{workers}-{'pin' if pinned else 'free'}",
            args.src,
            workers=workers,
            loop=loop,
            http=http,
            cpus=list(range(max(1, ncpu - 1))) if pinned else None,
            numba_cache=args.numba_cache,
        )
        s.start(tmp)
        answer = tmp / "matrix-answer.json"
        try:
            s.wait_ready()
            for _ in range(2 * workers):  # each worker's own cache gets the answer
                answer.write_bytes(post(s.url + ENDPOINT, body)[2])
            res = wrk(
                s.url + ENDPOINT,
                body_file,
                lua,
                connections=args.connections,
                threads=args.threads,
                duration_s=args.duration,
                cpus=[ncpu - 1] if pinned else None,
            )
        finally:
            s.stop()
        # the bare in-memory app under the same server settings: what they do for the ceiling
        b = bare(
            f"matrix-bare-{loop}-{http}-{workers}",
            "memory",
            answer,
            "",
            list(range(max(1, ncpu - 1))) if pinned else None,
            workers=workers,
            loop=loop,
            http=http,
        )
        b.start(tmp)
        try:
            b.wait_ready()
            res_bare = wrk(
                b.url + ENDPOINT,
                body_file,
                lua,
                connections=args.connections,
                threads=args.threads,
                duration_s=args.duration,
                cpus=[ncpu - 1] if pinned else None,
            )
        finally:
            b.stop()
        row = {"loop": loop, "http": http, "workers": workers, "pinned": pinned, **res}
        row["bare"] = res_bare
        rows.append(row)
        print(
            f"  {loop}/{http} x{workers} {'pinned' if pinned else 'shared cpus'}: service "
            f"{res['rps']:.0f} req/s, p99 {res['p99_us'] / 1e3:.1f} ms; bare "
            f"{res_bare['rps']:.0f} req/s, p99 {res_bare['p99_us'] / 1e3:.1f} ms",
            flush=True,
        )
    return rows


def cold_runs(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for workers in (1, 2):
        s = service(f"cold-{workers}", args.src, workers=workers, numba_cache=args.numba_cache)
        s.start(tmp)
        try:
            s.wait_ready()
            # warm every worker's first-request path (imports) off the books
            for i in range(4 * workers):
                post(s.url + ENDPOINT, json.dumps(fig2a_body(rel=-1e-9 * (i + 1))).encode())
            cases = [
                (
                    "Fig. 2a, 120 points",
                    ENDPOINT,
                    [fig2a_body(rel=1e-9 * i) for i in range(args.cold_n)],
                ),
                (
                    f"Chern {CHERN_N}x{CHERN_N}",
                    "/v1/crystal/berry",
                    [chern_body(rel=1e-9 * i) for i in range(args.chern_n)],
                ),
            ]
            for name, path, bodies in cases:
                res = cold(s.url + path, bodies, args.cold_concurrency)
                rows.append(
                    {"case": name, "workers": workers, "concurrency": args.cold_concurrency, **res}
                )
                print(
                    f"  cold {name} x{workers}: p50 {res['p50_ms']:.1f} ms, p99 "
                    f"{res['p99_ms']:.1f} ms, {res['rps']:.2f} req/s, codes {res['codes']}",
                    flush=True,
                )
        finally:
            s.stop()
    return rows


def rss_run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    s = service("rss", args.src, numba_cache=args.numba_cache)
    s.start(tmp)
    try:
        s.wait_ready()
        assert s.proc is not None
        idle = rss_bytes(s.proc.pid)
        bodies = [at_limit_dispersion_body(rel=1e-9 * i) for i in range(4)]
        raw = [json.dumps(b).encode() for b in bodies]
        t0 = time.perf_counter()
        with PeakRSS(s.proc.pid) as peak:
            results: list[tuple[int, dict[str, str], bytes]] = [(0, {}, b"")] * 4

            def go(i: int) -> None:
                results[i] = post(s.url + "/v1/optics/dispersion", raw[i])

            threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        wall = time.perf_counter() - t0
        time.sleep(2.0)
        after = rss_bytes(s.proc.pid)
        out = {
            "transitions": len(bodies[0]["medium"]["transitions"]),
            "k_points": bodies[0]["k"]["num"],
            "codes": [r[0] for r in results],
            "answer_mb": [round(len(r[2]) / 2**20, 1) for r in results],
            "refusals": sorted({_problem_type(r[2]) for r in results if r[0] != 200} - {""}),
            "idle_mb": idle / 2**20,
            "peak_mb": peak.peak / 2**20,
            "after_mb": after / 2**20,
            "wall_s": wall,
        }
        print(
            f"  rss: idle {out['idle_mb']:.0f} MB, peak {out['peak_mb']:.0f} MB, after "
            f"{out['after_mb']:.0f} MB, codes {out['codes']}, answers {out['answer_mb']} MB, "
            f"{wall:.1f} s",
            flush=True,
        )
        return out
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for mod in ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "pydantic"):
        with contextlib.suppress(Exception):
            versions.append(f"{mod} {__import__(mod).__version__}")
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}, {cpu_count()} CPUs, {mem:.0f} GiB, Python {platform.python_version()}, "
        f"{', '.join(versions)}, {wrk_v.split(' [')[0]}; load average {load}"
    )


def markdown(args: argparse.Namespace, res: dict[str, Any]) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Run of {now}" + (f" ({args.label})" if args.label else ""),
        "",
        f"Machine: {machine()}. `python bench/bench_hitpath.py --duration {args.duration} "
        f"--connections {args.connections} --rounds {args.rounds}`"
        + (f", service from `{args.src}`" if args.src != ROOT else "")
        + (", server pinned to the first CPUs and wrk to the last" if args.pin else "")
        + ".",
        "",
    ]
    hp = res.get("hit")
    if hp:
        lines += [
            f"Cached hit, POST of the Fig. 2a preset at {HIT_POINTS} points "
            f"({hp['answer_bytes'] / 1024:.0f} KiB answer), {args.connections} connections, "
            f"1 uvicorn worker, {' '.join(SERVER_OPTS)}; the median of {args.rounds} "
            f"interleaved rounds of {args.duration} s per server (errors: all rounds):",
            "",
            "| server | req/s | p50 ms | p99 ms | errors | all hits | ratio |",
            "|---|---:|---:|---:|---:|---|---:|",
        ]
        pairs = {"service-memory": "bare-memory", "service-redis": "bare-redis"}
        for name in ("bare-memory", "service-memory", "bare-redis", "service-redis"):
            r = hp[name]
            ratio = r["rps"] / hp[pairs[name]]["rps"] if name in pairs else 1.0
            lines.append(
                f"| {name} | {r['rps']:.0f} | {r['p50_us'] / 1e3:.1f} | {r['p99_us'] / 1e3:.1f} | "
                f"{r['errors'] + r['non2xx']} | {r.get('all_hits', '-')} | {ratio:.2f} |"
            )
        mem_ratio = hp["service-memory"]["rps"] / hp["bare-memory"]["rps"]
        red_ratio = hp["service-redis"]["rps"] / hp["bare-redis"]["rps"]
        p99 = max(hp["service-memory"]["p99_us"], hp["service-redis"]["p99_us"]) / 1e3

        def verdict(ok: bool) -> str:
            return "**met**" if ok else "**not met**"

        lines += [
            "",
            f"Targets: in-process cache >= {TARGET_MEMORY_RATIO} of bare in-memory: "
            f"{mem_ratio:.2f} {verdict(mem_ratio >= TARGET_MEMORY_RATIO)}; Redis >= "
            f"{TARGET_REDIS_RATIO} of bare Redis: {red_ratio:.2f} "
            f"{verdict(red_ratio >= TARGET_REDIS_RATIO)}; p99 < {TARGET_P99_MS} ms: {p99:.1f} ms "
            f"{verdict(p99 < TARGET_P99_MS)}.",
            "",
        ]
    if res.get("matrix"):
        lines += [
            "Server settings, in-process-cache hit path, the service and the bare in-memory app "
            "(one run each):",
            "",
            "| loop | http | uvicorn workers | CPUs | service req/s | p50 ms | p99 ms | "
            "bare req/s | bare p99 ms |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|",
        ]
        for r in res["matrix"]:
            cpus = "server 1 CPU, wrk 1 CPU" if r["pinned"] else "shared with wrk"
            lines.append(
                f"| {r['loop']} | {r['http']} | {r['workers']} | {cpus} | {r['rps']:.0f} | "
                f"{r['p50_us'] / 1e3:.1f} | {r['p99_us'] / 1e3:.1f} | {r['bare']['rps']:.0f} | "
                f"{r['bare']['p99_us'] / 1e3:.1f} |"
            )
        lines.append("")
    if res.get("cold"):
        lines += [
            "Cold computations (every body unique; shared CPUs):",
            "",
            "| case | uvicorn workers | in flight | requests | p50 ms | p99 ms | req/s | non-200 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in res["cold"]:
            lines.append(
                f"| {r['case']} | {r['workers']} | {r['concurrency']} | {r['n']} | "
                f"{r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['rps']:.2f} | {r['non200']} |"
            )
        lines.append("")
    if res.get("rss"):
        r = res["rss"]
        lines += [
            f"Peak RSS of the service's process tree (uvicorn + compute workers) with 4 at-limit "
            f"dispersion requests at once ({r['transitions']} transitions x {r['k_points']} k "
            f"points each): idle {r['idle_mb']:.0f} MB, peak {r['peak_mb']:.0f} MB, 2 s after "
            f"{r['after_mb']:.0f} MB; statuses {r['codes']} (refused: "
            f"{', '.join(r['refusals']) or 'none'}), answers {r['answer_mb']} MB, "
            f"{r['wall_s']:.0f} s.",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--rounds", type=int, default=3, help="interleaved wrk rounds per server")
    p.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin server/wrk")
    p.add_argument("--matrix", action="store_true", help="also compare server settings")
    p.add_argument("--skip-hit", action="store_true")
    p.add_argument("--skip-cold", action="store_true")
    p.add_argument("--skip-rss", action="store_true")
    p.add_argument("--cold-n", type=int, default=100, help="Fig. 2a cold requests")
    p.add_argument("--chern-n", type=int, default=8, help="Chern 400x400 cold requests")
    p.add_argument("--cold-concurrency", type=int, default=4)
    p.add_argument("--src", type=Path, default=ROOT, help="checkout to serve the service from")
    p.add_argument("--numba-cache", type=Path, default=None, help="NUMBA_CACHE_DIR of the service")
    p.add_argument("--label", default="", help="a label for the recorded run")
    p.add_argument("--record", action="store_true", help="append the tables to bench/README.md")
    p.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = p.parse_args()
    args.src = args.src.resolve()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install -y wrk)")
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hitpath-") as td:
        tmp = Path(td)
        with private_redis(tmp) as redis_url:
            if not args.skip_hit:
                print("hit path:", flush=True)
                res["hit"] = hit_path(args, tmp, redis_url)
            if args.matrix:
                if args.skip_hit:
                    (tmp / "body.json").write_bytes(json.dumps(fig2a_body()).encode())
                    (tmp / "post.lua").write_text(WRK_LUA)
                print("server settings:", flush=True)
                res["matrix"] = settings_matrix(args, tmp)
        if not args.skip_cold:
            print("cold computations:", flush=True)
            res["cold"] = cold_runs(args, tmp)
        if not args.skip_rss:
            print("peak RSS:", flush=True)
            res["rss"] = rss_run(args, tmp)
    md = markdown(args, res)
    print()
    print(md)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str))
    if args.record:
        readme = ROOT / "bench" / "README.md"
        with readme.open("a") as f:
            f.write("\n" + md + "\n")


if __name__ == "__main__":
    main()
