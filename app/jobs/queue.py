"""The Dramatiq broker on Redis and the job actors (README, "Choosing the queue library").

A message carries only ids (the computation id, and a block's index): the body and everything
else are in the job records (app/jobs/store.py). The app declares the actors to send messages;
the worker process (app/jobs/worker.py) declares the same actors with a :class:`Handler` that
runs them. Delivery:

- the Redis broker moves a fetched message into the worker's ack set and removes it only when
  the actor returns (acknowledge after completion);
- a worker whose heartbeat is older than ``job_heartbeat_timeout_s`` is dead: during broker
  maintenance (``job_maintenance_per_million`` of the calls) its unacknowledged messages go back
  to the queue. Dramatiq's Redis consumer beats only when it fetches, which it does not while
  its prefetch is full (a long job): the worker beats from its own thread
  (:func:`beat`), else a long job would be redelivered while it still runs;
- an actor that raises (Redis unreachable while recording an outcome) is retried by Dramatiq's
  Retries middleware with backoff, ``job_max_attempts`` times; the computation itself never
  raises out of the actor (its failures are recorded as the job's reason).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries

from app.settings import Settings

#: The queue every job message goes to.
QUEUE: Final = "susc"
RUN_JOB: Final = "susc_run_job"
RUN_BLOCK: Final = "susc_run_block"


class Handler(Protocol):
    """What runs the actors in a worker process."""

    def run_job(self, cid: str) -> None: ...
    def run_block(self, cid: str, index: int, count: int) -> None: ...


def make_broker(settings: Settings) -> RedisBroker:
    """The broker of the jobs Redis (``JOBS_REDIS_URL``, else ``REDIS_URL``)."""
    url = settings.jobs_redis_url or settings.redis_url
    if not url:
        raise RuntimeError("jobs need Redis: set REDIS_URL or JOBS_REDIS_URL")
    broker = RedisBroker(
        url=url,
        namespace=settings.job_namespace + ":dramatiq",
        heartbeat_timeout=int(settings.job_heartbeat_timeout_s * 1000),
        maintenance_chance=settings.job_maintenance_per_million,
        middleware=[
            Retries(max_retries=settings.job_max_attempts, min_backoff=500, max_backoff=30_000)
        ],
        socket_timeout=10,
        socket_connect_timeout=5,
    )
    return broker


def _unhandled(*args: Any) -> None:  # the app process never runs a message
    raise RuntimeError("job actors run in worker processes (python -m app.jobs.worker)")


def declare(broker: RedisBroker, handler: Handler | None = None) -> dict[str, dramatiq.Actor]:
    """The two actors on ``broker``; ``handler`` runs them (``None`` in the app: send only)."""
    run_job: Callable[..., None] = handler.run_job if handler else _unhandled
    run_block: Callable[..., None] = handler.run_block if handler else _unhandled
    actors = {}
    for name, fn in ((RUN_JOB, run_job), (RUN_BLOCK, run_block)):
        actors[name] = dramatiq.Actor(
            fn,
            broker=broker,
            actor_name=name,
            queue_name=QUEUE,
            priority=0,
            options={},
        )
    return actors


def beat(broker: RedisBroker) -> None:
    """One heartbeat of this process's broker id (a queue-size call; every broker call beats,
    and some also run the maintenance that requeues dead workers' messages)."""
    broker.do_qsize(QUEUE)


def queue_depth(broker: RedisBroker) -> int:
    """Messages waiting in the queue (not yet fetched by a worker)."""
    return int(broker.do_qsize(QUEUE))


def drop_queued(broker: RedisBroker, message_ids: list[str]) -> int:
    """Remove not-yet-fetched messages from the queue (a cancelled queued job): the ids are the
    broker's ``redis_message_id``s. Uses the key layout documented in Dramatiq's dispatch.lua
    (``<namespace>:<queue>`` list and ``.msgs`` hash). Returns how many were removed."""
    client = broker.client
    qkey = f"{broker.namespace}:{QUEUE}"
    n = 0
    for mid in message_ids:
        n += int(client.lrem(qkey, 0, mid))
        client.hdel(qkey + ".msgs", mid)
    return n
