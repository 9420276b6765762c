"""Real service processes on loopback for the acceptance tests: uvicorn (with its compute pool
of worker processes) and, where a test needs to kill or hang it, a private redis-server.

Everything is bounded in time: a server that is not ready in :data:`READY_TIMEOUT_S` fails the
test, and every process started here is killed when its context ends."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Pids of every live descendant of ``pid`` (from /proc)."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parent[int(stat.parent.name)] = int(fields[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parent.items() if p in frontier} - out
        out |= frontier
    return out


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def uvicorn_server(
    tmp_path: Path, env: dict[str, str] | None = None, workers: int = 1, wait_ready: bool = True
) -> Iterator[Server]:
    """``uvicorn app.main:app`` on a free loopback port with ``env`` added (SUSC_* settings)."""
    port = free_port()
    log = tmp_path / f"uvicorn-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SUSC_REDIS_URL")}
    full_env = {**inherited, "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout-graceful-shutdown",
        "5",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        if wait_ready:
            wait_until_ready(server)
        yield server
    finally:
        stop(proc)


def wait_until_ready(server: Server, timeout_s: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"uvicorn exited ({server.proc.returncode}):\n{server.log_text()[-3000:]}")
        try:
            if httpx.get(server.url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"not ready in {timeout_s} s:\n{server.log_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after 10 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(5)


@dataclass
class RedisProcess:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hang(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(5)

    def restart(self) -> None:
        self.proc = _start_redis(self.port)


def _start_redis(port: int) -> subprocess.Popen[bytes]:
    exe = shutil.which("redis-server")
    assert exe
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    proc.kill()
    pytest.fail("redis-server did not start")


@contextmanager
def private_redis() -> Iterator[RedisProcess]:
    """A redis-server of the test's own (to kill and hang); fails under CI=true without one."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server is needed for the Redis fault tests (CI=true)")
        pytest.skip("redis-server not installed")
    port = free_port()
    r = RedisProcess(port, _start_redis(port))
    try:
        yield r
    finally:
        try:
            r.resume()
        except ProcessLookupError:
            pass
        if r.proc.poll() is None:
            r.kill()


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its compute processes at once (a machine lost mid-job)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(5)


def start_worker(tmp_path: Path, env: dict[str, str], timeout_s: float = READY_TIMEOUT_S) -> Worker:
    """``python -m app.jobs.worker`` with ``env`` (SUSC_* settings), once it logs that it is
    ready (its compute pool warm). The caller stops it (:func:`stop` or :meth:`Worker.kill`)."""
    log = tmp_path / f"worker-{free_port()}.log"
    inherited = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SUSC_REDIS_URL")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.jobs.worker"],
            cwd=ROOT,
            env={**inherited, "PYTHONUNBUFFERED": "1", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(proc, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"worker exited ({proc.returncode}):\n{worker.log_text()[-3000:]}")
        if "job worker ready" in worker.log_text():
            return worker
        time.sleep(0.1)
    stop(proc)
    pytest.fail(f"worker not ready in {timeout_s} s:\n{worker.log_text()[-3000:]}")


@contextmanager
def job_workers(tmp_path: Path, env: dict[str, str], n: int = 1) -> Iterator[list[Worker]]:
    """``n`` job worker processes (started one after the other), stopped at the end."""
    workers: list[Worker] = []
    try:
        for _ in range(n):
            workers.append(start_worker(tmp_path, env))
        yield workers
    finally:
        for w in workers:
            stop(w.proc)
