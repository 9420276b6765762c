"""The job worker process: ``python -m app.jobs.worker`` (``make worker``).

One process consumes the job queue with ``job_worker_threads`` Dramatiq worker threads (default
``compute_workers``) and runs each message's computation in its own compute pool (app/pool.py:
``compute_workers`` stoppable processes, numba warm before the first message; the time limit is
``job_timeout_s``). Run as many worker processes as you like, on any machine that reaches the
jobs Redis; each announces itself with one log line ``job worker ready``.

What a message does (app/jobs/store.py has the states):

- ``susc_run_job(cid)``: count a start (too many starts: failed); the stored answer if another
  path computed it meanwhile; else a split computation sends one ``susc_run_block`` per block,
  and any other runs in the pool, polling the record every :data:`CANCEL_POLL_S` to stop the
  process when every submission has withdrawn;
- ``susc_run_block(cid, i, n)``: the partials of block i; the block that completes the set runs
  the reduction (the same checks, over the whole grid) and records the answer.

Every outcome is recorded before the message is acknowledged. SIGTERM/SIGINT: no new messages,
running ones get ``job_shutdown_grace_s``, then the process exits (unfinished messages return to
the queue after ``job_heartbeat_timeout_s``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, Final, TypeVar

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from pydantic import ValidationError

from app import computations
from app.cache import Cache, make_cache
from app.errors import ERROR_TABLE
from app.jobs import queue
from app.jobs.store import DONE, FAILED, FINISHED, JobStore
from app.observability import configure_logging
from app.pool import ComputeCrashed, ComputePool, ComputeTimeout, run_block, run_reduce
from app.settings import Settings, get_settings
from core.errors import CoreError

log = logging.getLogger("app.jobs.worker")

#: How often a running job looks whether it was cancelled, seconds.
CANCEL_POLL_S: Final = 0.25
#: Longest pause of an idle worker between two looks at the queue, milliseconds (Dramatiq backs
#: off up to it): the latency a job can wait in an idle cluster.
IDLE_POLL_MS: Final = 50
#: How long running messages may take to finish after SIGTERM, seconds.
SHUTDOWN_GRACE_S: Final = 20.0

T = TypeVar("T")


class _Cancelled(Exception):
    """Every submission withdrew while the computation ran: it was stopped."""


def _reason(exc: BaseException, settings: Settings) -> str:
    """The failure reason a client reads for ``exc``."""
    if isinstance(exc, CoreError):
        status, _, title = next((s, g, t) for c, s, g, t in ERROR_TABLE if isinstance(exc, c))
        field = "/".join(str(p) for p in exc.field)
        where = f" (field /body/{field})" if field else ""
        fix = f" Fix: {exc.fix}" if exc.fix else ""
        return f"{status} {title}{where}: {exc.message}{fix}"
    if isinstance(exc, ComputeTimeout):
        return (
            f"stopped at the time limit job_timeout_s = {settings.job_timeout_s:g} s; ask for "
            "fewer points or a coarser grid, or raise job_timeout_s"
        )
    if isinstance(exc, ValidationError):
        return f"the stored body no longer validates: {exc.errors()[:3]}"
    return f"internal error ({type(exc).__name__}); it has been logged"


class Runner:
    """Runs the actors of one worker process (:class:`app.jobs.queue.Handler`) on its own
    event loop thread, with its own compute pool, job store and cache client."""

    def __init__(self, settings: Settings, broker: RedisBroker):
        self.settings = settings
        # a job's limit is job_timeout_s: the pool applies compute_timeout_s
        self.pool_settings = settings.model_copy(
            update={"compute_timeout_s": settings.job_timeout_s}
        )
        self.broker = broker
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{broker.broker_id[:8]}"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="jobs-loop", daemon=True)
        self.running: dict[str, int] = {}  # computation id -> messages of it running here
        self.actors: dict[str, dramatiq.Actor] = {}
        self.store: JobStore
        self.cache: Cache
        self.pool: ComputePool
        self._touch_task: asyncio.Task[None] | None = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self, ready_timeout_s: float = 600.0) -> None:
        self._thread.start()
        self._sync(self._start(ready_timeout_s))

    async def _start(self, ready_timeout_s: float) -> None:
        self.store = JobStore(self.settings)
        self.cache = make_cache(self.settings)
        self.pool = ComputePool(self.pool_settings)
        await self.pool.start()
        deadline = time.monotonic() + ready_timeout_s
        while not self.pool.ready:
            if time.monotonic() > deadline:
                raise RuntimeError(f"compute pool not ready: {self.pool.state().detail}")
            await asyncio.sleep(0.1)
        self._touch_task = asyncio.create_task(self._touch_loop())

    def close(self) -> None:
        try:
            self._sync(self._close(), timeout=30.0)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)

    async def _close(self) -> None:
        if self._touch_task is not None:
            self._touch_task.cancel()
        await self.pool.close()
        await self.cache.close()
        await self.store.close()

    def _sync(self, coro: Awaitable[T], timeout: float | None = None) -> T:
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        return fut.result(timeout)

    async def _touch_loop(self) -> None:
        """Every beat: this worker's running computations are alive; computations of dead
        workers go back to queued (their messages are redelivered)."""
        every = self.settings.job_heartbeat_timeout_s / 5
        while True:
            try:
                await self.store.touch(list(self.running))
                n = await self.store.requeue_idle()
                if n:
                    log.warning("%d computations of dead workers are queued again", n)
            except Exception as exc:  # Redis away: the next beat tries again
                log.warning("job store beat failed: %r", exc)
            await asyncio.sleep(every)

    # -- the actors (called on Dramatiq's worker threads) -------------------------------------

    def run_job(self, cid: str) -> None:
        self._sync(self._run_job(cid))

    def run_block(self, cid: str, index: int, count: int) -> None:
        self._sync(self._run_block(cid, index, count))

    async def _send(self, actor: str, *args: Any) -> None:
        await self.loop.run_in_executor(None, lambda: self.actors[actor].send(*args))

    async def _run_job(self, cid: str) -> None:
        rec = await self.store.computation(cid)
        if rec is None:
            log.info("job %s: record expired, nothing to do", cid)
            return
        while True:
            verdict, attempt = await self.store.start(cid, self.worker_id)
            if verdict != "run":
                log.info("job %s: %s (%s)", cid, verdict, attempt)
                return
            comp = computations.get(rec.name)
            try:
                body = comp.request.model_validate_json(rec.body)
            except ValidationError as exc:
                await self.store.finish(cid, FAILED, _reason(exc, self.settings))
                return
            known = await self.store.result(rec.key) or await self.cache.get(rec.key)
            if known is not None:  # a synchronous request (or an earlier run) answered it
                await self.store.finish(cid, DONE, blob=known)
                return
            split = comp.split
            count = split.plan(body, self.settings) if split is not None else 1
            if count > 1:
                await self.store.set_blocks(cid, count)
                for i in range(count):
                    if not await self.store.has_part(cid, i):
                        await self._send(queue.RUN_BLOCK, cid, i, count)
                log.info("job %s: %s split into %d blocks", cid, rec.name, count)
                return
            retry = await self._compute(
                cid,
                rec.model,
                functools.partial(self.pool.run, rec.name, body, self.pool_settings),
                lambda blob: self._done(cid, rec.key, blob),
            )
            if not retry:
                return

    async def _run_block(self, cid: str, index: int, count: int) -> None:
        rec = await self.store.computation(cid)
        if rec is None or rec.state in FINISHED:
            return
        comp = computations.get(rec.name)
        body = comp.request.model_validate_json(rec.body)
        if not await self.store.has_part(cid, index):
            await self.store.resume(cid)
            while True:
                attempt = await self.store.block_attempt(cid, index)
                if attempt > self.settings.job_max_attempts:
                    await self.store.finish(
                        cid,
                        FAILED,
                        f"block {index} of {count} was started {attempt - 1} times "
                        "(job_max_attempts) and never finished: its worker died each time",
                    )
                    return
                retry = await self._compute(
                    cid,
                    rec.model,
                    lambda: self.pool.call(
                        run_block, rec.name, body, self.pool_settings, index, count
                    ),
                    lambda part: self._part(cid, index, count, part),
                )
                if not retry:
                    break
        parts = await self.store.parts(cid, count)
        if parts is None or await self.store.state(cid) in FINISHED:
            return  # other blocks are still running; the last one reduces
        await self._compute(
            cid,
            rec.model,
            lambda: self.pool.call(run_reduce, rec.name, body, self.pool_settings, parts),
            lambda blob: self._done(cid, rec.key, blob),
        )

    async def _part(self, cid: str, index: int, count: int, part: bytes) -> None:
        await self.store.put_part(cid, index, count, part, self.worker_id)

    async def _done(self, cid: str, key: str, blob: bytes) -> None:
        outcome = await self.store.finish(cid, DONE, blob=blob)
        if outcome not in ("ok", DONE):
            log.info("job %s finished as %s meanwhile; its answer is kept anyway", cid, outcome)
        # the synchronous POST of the same body is now a hit (the cache may be another Redis)
        await self.cache.set(key, blob, self.settings.cache_ttl_s)

    async def _compute(
        self,
        cid: str,
        model: str,
        work: Callable[[], Awaitable[bytes]],
        record: Callable[[bytes], Awaitable[None]],
    ) -> bool:
        """Run ``work`` in the pool, stopped when the computation is cancelled, and record its
        outcome (``record`` on success, failed with the reason otherwise). True: the worker
        process died under it, try again (the caller counts the attempt)."""
        self.running[cid] = self.running.get(cid, 0) + 1
        task = asyncio.ensure_future(work())
        t0, outcome = time.perf_counter(), "error"
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL_S)
                if done:
                    break
                if await self.store.state(cid) in FINISHED:  # cancelled (or done elsewhere)
                    task.cancel()
                    outcome = "cancelled"
                    raise _Cancelled()
            blob = task.result()
            outcome = "ok"
            await record(blob)
            return False
        except _Cancelled:
            log.info("job %s: cancelled, its computation was stopped", cid)
            return False
        except ComputeCrashed as exc:
            outcome = "crashed"
            log.warning("job %s: %s; trying again", cid, exc)
            return True
        except Exception as exc:
            outcome = "timeout" if isinstance(exc, ComputeTimeout) else "error"
            if not isinstance(exc, CoreError | ComputeTimeout):
                log.error("job %s failed", cid, exc_info=exc)
            await self.store.finish(cid, FAILED, _reason(exc, self.settings))
            return False
        finally:
            if not task.done():
                task.cancel()
            left = self.running.get(cid, 1) - 1
            if left:
                self.running[cid] = left
            else:
                self.running.pop(cid, None)
            record_job(model, time.perf_counter() - t0, outcome)


# -- worker metrics (its own /metrics when job_worker_metrics_port is set) -------------------

_job_seconds: Any = None


def record_job(model: str, seconds: float, outcome: str) -> None:
    """Observe one job or block run: wall seconds, by model and outcome."""
    if _job_seconds is not None:
        _job_seconds.labels(model[:64], outcome).observe(max(0.0, seconds))


def _serve_metrics(port: int) -> None:
    global _job_seconds
    from prometheus_client import Histogram, start_http_server

    mp_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if mp_dir:  # prometheus_client keeps its values in files there: it must exist
        os.makedirs(mp_dir, exist_ok=True)

    _job_seconds = Histogram(
        "susc_job_seconds",
        "Wall time of one job or block on this worker, seconds, by model and outcome (ok, "
        "error, timeout, cancelled, crashed).",
        ("model", "outcome"),
        buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    )
    start_http_server(port)


def main() -> int:
    """Run one worker process until SIGTERM/SIGINT."""
    settings = get_settings()
    configure_logging(settings)
    computations.load_all()
    broker = queue.make_broker(settings)
    dramatiq.set_broker(broker)
    runner = Runner(settings, broker)
    runner.actors = queue.declare(broker, runner)
    if settings.job_worker_metrics_port:
        _serve_metrics(settings.job_worker_metrics_port)
    runner.start()
    threads = settings.job_worker_threads or settings.compute_workers
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=IDLE_POLL_MS)
    worker.queue_prefetch = threads  # hold no more messages than it runs: others stay free
    worker.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info(
        "job worker ready: id %s, %d threads, %d compute processes, queue %s",
        runner.worker_id,
        threads,
        settings.compute_workers,
        queue.QUEUE,
    )
    every = settings.job_heartbeat_timeout_s / 5
    while not stop.wait(every):
        try:
            queue.beat(broker)
        except Exception as exc:  # Redis away: beat again next time
            log.warning("heartbeat failed: %r", exc)
    log.info("job worker stopping: running jobs get %.0f s", SHUTDOWN_GRACE_S)
    worker.stop(timeout=int(SHUTDOWN_GRACE_S * 1000))
    runner.close()
    broker.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
