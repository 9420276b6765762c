"""The compute pool: where every computation runs, bounded in number, time and queue.

Two backends behind one interface (:class:`ComputePool`):

- ``process`` (the default for a served app): a pebble ``ProcessPool`` of ``compute_workers``
  spawned processes. A computation that passes its time limit, or whose every requester has gone
  (client disconnect), is *stopped*: pebble terminates the worker process and starts a fresh one,
  so a timed-out request leaves no CPU work behind. Each worker imports the routers, sets numba's
  thread count to its share of the cores and runs :func:`app.warmup.warm_up` before it takes work;
  it is recycled after ``compute_max_tasks`` computations, which also hands memory back to the OS.
- ``thread``: worker threads (anyio). Threads cannot be killed: a timed-out computation is
  abandoned and runs to its end. Used by the in-process test client, where spawning processes
  for every test app would cost seconds, and by scientists embedding the app.

Admission: at most ``compute_workers`` computations run and ``compute_queue`` more wait; beyond
that :class:`PoolFull` (the service answers 503 with Retry-After) rather than an unbounded queue.

What a worker runs is :func:`run_packed`: the registered computation (app/computations.py) by
name on the pickled body and settings, and the packed answer (compressed ``meta\\ndata`` bytes)
back; a :class:`core.errors.CoreError` raised by the computation comes back as itself.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
import zlib
from collections.abc import Callable
from concurrent.futures import CancelledError as FutureCancelled
from dataclasses import dataclass
from typing import Any, Final

import anyio
import numba
import numpy as np
import orjson
from pydantic import BaseModel

from app import computations
from app.observability import set_pool_state
from app.settings import Settings
from app.warmup import warm_up
from core.checks import Report
from core.figures import figures_for

log = logging.getLogger("app.pool")

_ORJSON_OPTS: Final = orjson.OPT_SERIALIZE_NUMPY


#: Added to a worker process's nice value (lower CPU priority than the server process).
WORKER_NICENESS: Final = 5
#: Environment variables that size the BLAS/OpenMP thread pools of a worker process.
BLAS_THREAD_VARIABLES: Final = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class PoolFull(Exception):
    """Every worker is busy and the queue is full."""

    def __init__(self, capacity: int, retry_after_s: int):
        super().__init__(f"compute pool full ({capacity} running or queued)")
        self.capacity = capacity
        self.retry_after_s = retry_after_s


class ComputeTimeout(Exception):
    """The computation passed ``compute_timeout_s`` (it has been stopped, or abandoned on threads)."""


class ComputeCrashed(Exception):
    """The worker process died during the computation (killed, out of memory, a hard crash)."""


def _json_default(obj: Any) -> Any:
    """orjson falls back here for arrays it cannot take natively (non-contiguous views, e.g.
    ``z.real``) and for other numpy types."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


#: Stored answers up to this many bytes are kept as they are, larger ones zlib-compressed: a
#: cached hit of a small answer is then a splice of bytes, not a decompression (17 % of a hit).
STORE_RAW_BYTES: Final = 64 * 1024


def pack_report(report: Report) -> bytes:
    """The stored form of a report: ``meta_json + b"\n" + data_json``, zlib-compressed above
    :data:`STORE_RAW_BYTES` (:func:`unpack` tells the two apart: JSON starts with ``{``, a zlib
    stream with ``x``); ``meta`` is the report's payload meta plus its figure specs."""
    meta, data = report.payload()
    meta["figures"] = [f.to_dict() for f in figures_for(report)]
    meta_bytes = orjson.dumps(meta, default=_json_default, option=_ORJSON_OPTS)
    data_bytes = orjson.dumps(data, default=_json_default, option=_ORJSON_OPTS)
    raw = meta_bytes + b"\n" + data_bytes
    return raw if len(raw) <= STORE_RAW_BYTES else zlib.compress(raw, 1)


def unpack(blob: bytes) -> bytes:
    """``meta_json + b"\n" + data_json`` of a stored answer (:func:`pack_report`)."""
    return blob if blob[:1] == b"{" else zlib.decompress(blob)


def run_packed(name: str, body: BaseModel, settings: Settings) -> bytes:
    """Run computation ``name`` on ``body`` and pack its report (:func:`pack_report`)."""
    return pack_report(computations.get(name).run(body, settings))


def run_block(name: str, body: BaseModel, settings: Settings, index: int, count: int) -> bytes:
    """The partials of block ``index`` of ``count`` of split computation ``name`` (a JSON
    document, :class:`app.computations.Split`)."""
    split = computations.get(name).split
    if split is None:
        raise TypeError(f"computation {name!r} cannot be split")
    return split.block(body, settings, index, count)


def run_reduce(name: str, body: BaseModel, settings: Settings, partials: list[bytes]) -> bytes:
    """The packed report of split computation ``name`` from every block's partials."""
    split = computations.get(name).split
    if split is None:
        raise TypeError(f"computation {name!r} cannot be split")
    return pack_report(split.reduce(body, settings, partials))


def _worker_init(threads: int, warm: bool) -> None:
    """Start-up of one worker process: registry, thread share, compiled kernels."""
    # pebble stops a worker with SIGTERM and installs a Python handler for it, which runs only
    # between bytecodes: inside one long numpy/LAPACK or numba call it waits for the call (then
    # pebble's SIGKILL comes 3 s later). The default action ends the process at once, and there
    # is nothing to clean up: the pool itself asked for the stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # below the server process: a pool of busy workers must never starve the event loop that
    # answers /healthz and cached hits (on a 2-core machine it stalled it for 1.4 s)
    os.nice(WORKER_NICENESS)
    computations.load_all()
    most = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(threads, most)))
    if warm:
        warm_up()


def _ping() -> int:
    return os.getpid()


@dataclass
class PoolState:
    """What the pool is doing now (for /readyz and the metrics)."""

    backend: str
    workers: int
    queue: int
    running: int
    queued: int
    ready: bool
    detail: str


class ComputePool:
    """Admission, time limit and stop of computations (see the module docstring)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.backend = settings.compute_backend
        self.workers = settings.compute_workers
        self.capacity = settings.compute_workers + settings.compute_queue
        self._active = 0  # running or queued, admitted by this pool
        self._running = 0
        self._limiter = anyio.CapacityLimiter(settings.compute_workers)
        self._pool: Any = None
        self._ready = self.backend == "thread"
        self._ready_detail = "threads need no warm-up" if self._ready else "starting"
        self._warm_task: asyncio.Task[None] | None = None
        self._publish()

    def _publish(self) -> None:
        """The pool's gauges (queued, running, capacity) for /metrics."""
        st = self.state()
        set_pool_state(st.queued, st.running, self.capacity)

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the worker processes (no-op for threads); readiness follows in the background."""
        if self.backend != "process":
            return
        import pebble

        ctx = multiprocessing.get_context("spawn")
        cores = os.cpu_count() or 1
        threads = max(1, cores // self.workers)
        # BLAS pools are sized when numpy loads, before any initializer runs: a spawned worker
        # takes them from the environment it inherits (set here only where the operator has not)
        for var in BLAS_THREAD_VARIABLES:
            os.environ.setdefault(var, str(threads))
        self._pool = pebble.ProcessPool(
            max_workers=self.workers,
            max_tasks=self.settings.compute_max_tasks,
            initializer=_worker_init,
            initargs=(threads, self.settings.compute_warm_up),
            context=ctx,
        )
        self._warm_task = asyncio.create_task(self._become_ready())

    async def _become_ready(self) -> None:
        """Ready once a worker has started and warmed up (its first task can only run after its
        initializer: a ping that returns proves one worker is warm)."""
        t0 = time.perf_counter()
        try:
            fut = self._pool.schedule(_ping)
            await asyncio.wrap_future(fut)
        except Exception as exc:  # a worker that cannot start: not ready, and say why
            self._ready_detail = f"compute workers failed to start: {type(exc).__name__}: {exc}"
            log.error("%s", self._ready_detail)
            return
        self._ready = True
        self._ready_detail = (
            f"{self.workers} worker processes, warm in {time.perf_counter() - t0:.1f} s"
        )
        log.info("compute pool ready: %s", self._ready_detail)

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop the workers: running computations are terminated (their requests are gone)."""
        if self._warm_task is not None and not self._warm_task.done():
            self._warm_task.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()
            await anyio.to_thread.run_sync(pool.join, grace_s)

    # -- state -----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._ready

    def state(self) -> PoolState:
        return PoolState(
            backend=self.backend,
            workers=self.workers,
            queue=self.settings.compute_queue,
            running=self._running if self.backend == "thread" else min(self._active, self.workers),
            queued=max(0, self._active - self.workers),
            ready=self._ready,
            detail=self._ready_detail,
        )

    def retry_after_s(self) -> int:
        """A Retry-After for a full pool: about one typical computation, at least 1 s."""
        return max(1, min(30, int(self.settings.compute_timeout_s // 20) or 1))

    # -- running ---------------------------------------------------------------------------

    async def run(self, name: str, body: BaseModel, settings: Settings) -> bytes:
        """The packed answer of computation ``name``. Raises :class:`PoolFull` (nothing
        started), :class:`ComputeTimeout`, :class:`ComputeCrashed`, the computation's own
        exception, or ``asyncio.CancelledError`` when the caller is cancelled (the computation
        is then stopped: the worker process is terminated)."""
        return await self.call(run_packed, name, body, settings)

    async def call(self, fn: Callable[..., bytes], *args: Any) -> bytes:
        """``fn(*args)`` in the pool, with :meth:`run`'s admission, time limit and stop; ``fn`` is
        a module-level function returning bytes (:func:`run_packed`, :func:`run_block`,
        :func:`run_reduce`)."""
        if self._active >= self.capacity:
            raise PoolFull(self.capacity, self.retry_after_s())
        self._active += 1
        self._publish()
        try:
            with anyio.fail_after(self.settings.compute_timeout_s):
                if self.backend == "process":
                    return await self._run_process(fn, args)
                return await self._run_thread(fn, args)
        except TimeoutError as exc:
            raise ComputeTimeout(str(exc)) from None
        finally:
            self._active -= 1
            self._publish()

    async def _run_thread(self, fn: Callable[..., bytes], args: tuple[Any, ...]) -> bytes:
        async with self._limiter:
            self._running += 1
            self._publish()
            try:
                # abandon_on_cancel: the time limit answers at once; the thread finishes alone
                return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
            finally:
                self._running -= 1
                self._publish()

    async def _run_process(self, fn: Callable[..., bytes], args: tuple[Any, ...]) -> bytes:
        import pebble

        if self._pool is None:
            raise ComputeCrashed("the compute pool is not running")
        # pebble's own timeout is a backstop (it counts from the start on a worker); the
        # request's limit, queue wait included, is the anyio deadline around this call
        fut = self._pool.schedule(fn, args=args, timeout=self.settings.compute_timeout_s)
        try:
            return await asyncio.wrap_future(fut)
        except asyncio.CancelledError:
            fut.cancel()  # queued: dropped; running: the worker process is terminated
            raise
        except FutureCancelled:
            raise asyncio.CancelledError() from None
        except pebble.ProcessExpired as exc:
            raise ComputeCrashed(f"the worker process died (exit code {exc.exitcode})") from None
        except TimeoutError:
            raise ComputeTimeout("stopped by the worker time limit") from None
