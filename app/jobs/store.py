"""Job records in Redis and their transitions, each one atomic (a Lua script).

Three kinds of record, under the prefix ``<job_namespace>:`` of the jobs Redis:

- a **submission** ``job:<id>`` (what a client holds): its own random id (144 bits from
  :func:`secrets.token_urlsafe`, never derived from the body), the endpoint, the owner (the API
  key's label when keys are configured), whether it was cancelled, and the computation it wants;
- a **computation** ``comp:<cid>``: one run of one body (its cache key), shared by every
  submission of the same body while it is queued or running (``active:<cache key>`` -> cid), with
  its state, attempts, timestamps, progress, failure reason and the set of submissions that still
  want it (``comp:<cid>:subs``); a split computation also keeps its blocks' partials;
- the **result** ``result:<cache key>``: the stored answer (app/pool.py ``pack_report``), kept
  ``job_ttl_s`` (the cache may be an evicting Redis; this one is not);

and a **sweep** ``sweep:<id>``: its axes, points and the submission id of each point.

States of a computation: ``queued -> running -> done | failed | cancelled``; ``running ->
queued`` when no worker has touched it for :data:`REQUEUE_IDLE_S` (its worker died and
Dramatiq redelivers the message: :meth:`JobStore.requeue_idle`). A submission's status is its
computation's, or ``cancelled`` once it withdrew. A computation is cancelled (and stopped) only
when its last submission withdraws.

The sorted sets ``state:queued`` and ``state:running`` (score: last touch, unix seconds) give
the metrics their counts and the requeue its candidates; ``stats`` counts every outcome.

Single Redis (or a Sentinel/managed primary), not Redis Cluster: the scripts build key names from
the prefix.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

import orjson

from app.settings import Settings

#: States a computation can be in.
QUEUED: Final = "queued"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
STATES: Final = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
FINISHED: Final = frozenset({DONE, FAILED, CANCELLED})

#: Bits of randomness of a job or sweep id (token_urlsafe of 18 bytes: 24 characters).
ID_BYTES: Final = 18


def new_id() -> str:
    """An unguessable id (144 random bits, URL-safe)."""
    return secrets.token_urlsafe(ID_BYTES)


def requeue_idle_s(settings: Settings) -> float:
    """A running computation no worker has touched for this long is back in the queue (its
    worker is dead; running ones are touched every ``job_heartbeat_timeout_s / 5``)."""
    return 3.0 * settings.job_heartbeat_timeout_s + 5.0


# Lua: KEYS[1] = active:<key>, KEYS[2] = job:<sid>
# ARGV: prefix, new cid, sid, now, ttl, name, key, model, version, body, endpoint, owner, sweep
_SUBMIT = """
local P = ARGV[1]
local cid = redis.call('GET', KEYS[1])
local created = 0
if cid then
  local st = redis.call('HGET', P .. 'comp:' .. cid, 'state')
  if st ~= 'queued' and st ~= 'running' then cid = false end
end
if not cid then
  cid = ARGV[2]
  created = 1
  local ck = P .. 'comp:' .. cid
  redis.call('HSET', ck, 'key', ARGV[7], 'name', ARGV[6], 'model', ARGV[8], 'version', ARGV[9],
    'body', ARGV[10], 'state', 'queued', 'attempts', 0, 'created', ARGV[4], 'progress', '')
  redis.call('EXPIRE', ck, ARGV[5])
  redis.call('SET', KEYS[1], cid, 'EX', ARGV[5])
  redis.call('ZADD', P .. 'state:queued', ARGV[4], cid)
  redis.call('HINCRBY', P .. 'stats', 'submitted', 1)
end
local subs = P .. 'comp:' .. cid .. ':subs'
redis.call('SADD', subs, ARGV[3])
redis.call('EXPIRE', subs, ARGV[5])
redis.call('HSET', KEYS[2], 'cid', cid, 'key', ARGV[7], 'name', ARGV[6], 'endpoint', ARGV[11],
  'owner', ARGV[12], 'sweep', ARGV[13], 'created', ARGV[4], 'cancelled', 0)
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {cid, created}
"""

# the common end of a computation: state, timestamps, indexes, the active pointer, the count
_END = """
local function finish(P, cid, state, now, reason)
  local ck = P .. 'comp:' .. cid
  redis.call('HSET', ck, 'state', state, 'finished', now, 'reason', reason)
  redis.call('ZREM', P .. 'state:queued', cid)
  redis.call('ZREM', P .. 'state:running', cid)
  local key = redis.call('HGET', ck, 'key')
  if key and redis.call('GET', P .. 'active:' .. key) == cid then
    redis.call('DEL', P .. 'active:' .. key)
  end
  redis.call('HINCRBY', P .. 'stats', state, 1)
end
"""

# KEYS[1] = job:<sid>; ARGV: prefix, sid, now
_CANCEL = (
    _END
    + """
local P = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local cid = redis.call('HGET', KEYS[1], 'cid')
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return {'already', ''} end
if not cid or cid == '' then return {'finished', 'done'} end
local ck = P .. 'comp:' .. cid
local st = redis.call('HGET', ck, 'state')
if st ~= 'queued' and st ~= 'running' then return {'finished', st or 'expired'} end
redis.call('HSET', KEYS[1], 'cancelled', 1, 'cancelled_at', ARGV[3])
redis.call('SREM', ck .. ':subs', ARGV[2])
if redis.call('SCARD', ck .. ':subs') == 0 then
  finish(P, cid, 'cancelled', ARGV[3], 'cancelled: no submission wants it any more')
  return {'stopped', st}
end
return {'withdrawn', st}
"""
)

# ARGV: prefix, cid, now, worker, max attempts
_START = (
    _END
    + """
local P = ARGV[1]
local cid = ARGV[2]
local ck = P .. 'comp:' .. cid
local st = redis.call('HGET', ck, 'state')
if st ~= 'queued' and st ~= 'running' then return {'skip', st or 'expired'} end
local n = redis.call('HINCRBY', ck, 'attempts', 1)
if n > tonumber(ARGV[5]) then
  finish(P, cid, 'failed', ARGV[3], 'started ' .. (n - 1) .. ' times (job_max_attempts) and ' ..
    'never finished: its worker died each time (killed, out of memory, or the machine lost)')
  return {'failed', tostring(n)}
end
redis.call('HSET', ck, 'state', 'running', 'worker', ARGV[4])
if not redis.call('HGET', ck, 'started') then redis.call('HSET', ck, 'started', ARGV[3]) end
redis.call('ZREM', P .. 'state:queued', cid)
redis.call('ZADD', P .. 'state:running', ARGV[3], cid)
return {'run', tostring(n)}
"""
)

# ARGV: prefix, cid, now, state (done|failed), reason, result blob ('' unless done), ttl
_FINISH = (
    _END
    + """
local P = ARGV[1]
local cid = ARGV[2]
local ck = P .. 'comp:' .. cid
local st = redis.call('HGET', ck, 'state')
if st ~= 'queued' and st ~= 'running' then return st or 'expired' end
if ARGV[4] == 'done' then
  local key = redis.call('HGET', ck, 'key')
  redis.call('SET', P .. 'result:' .. key, ARGV[6], 'EX', ARGV[7])
  redis.call('HSET', ck, 'progress', 1)
end
finish(P, cid, ARGV[4], ARGV[3], ARGV[5])
return 'ok'
"""
)

# ARGV: prefix, now, idle seconds, limit
_REQUEUE_IDLE = """
local P = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', P .. 'state:running', 0, ARGV[2] - ARGV[3],
  'LIMIT', 0, ARGV[4])
for _, cid in ipairs(ids) do
  local ck = P .. 'comp:' .. cid
  redis.call('ZREM', P .. 'state:running', cid)
  if redis.call('HGET', ck, 'state') == 'running' then
    redis.call('HSET', ck, 'state', 'queued', 'worker', '')
    redis.call('ZADD', P .. 'state:queued', ARGV[2], cid)
  end
end
return #ids
"""

# ARGV: prefix, cid, now: a queued computation whose block starts is running again
_RESUME = """
local P = ARGV[1]
local ck = P .. 'comp:' .. ARGV[2]
if redis.call('HGET', ck, 'state') ~= 'queued' then return 0 end
redis.call('HSET', ck, 'state', 'running')
redis.call('ZREM', P .. 'state:queued', ARGV[2])
redis.call('ZADD', P .. 'state:running', ARGV[3], ARGV[2])
return 1
"""

# ARGV: prefix, cid, index, partial, count, ttl, worker -> number of blocks stored
_PART = """
local P = ARGV[1]
local ck = P .. 'comp:' .. ARGV[2]
local st = redis.call('HGET', ck, 'state')
if st ~= 'queued' and st ~= 'running' then return -1 end
redis.call('HSET', ck .. ':parts', ARGV[3], ARGV[4])
redis.call('EXPIRE', ck .. ':parts', ARGV[6])
redis.call('SADD', ck .. ':workers', ARGV[7])
redis.call('EXPIRE', ck .. ':workers', ARGV[6])
local n = redis.call('HLEN', ck .. ':parts')
redis.call('HSET', ck, 'progress', n / tonumber(ARGV[5]))
redis.call('ZADD', P .. 'state:running', 'XX', redis.call('TIME')[1], ARGV[2])
return n
"""


@dataclass(frozen=True)
class Computed:
    """What a worker needs of a computation record."""

    cid: str
    name: str
    key: str
    model: str
    body: bytes
    state: str
    attempts: int
    blocks: int


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else ("" if v is None else str(v))


def _b(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


def _f(v: Any) -> float | None:
    s = _s(v)
    return float(s) if s else None


class JobStore:
    """The job records of one jobs Redis (redis.asyncio; every method may raise redis errors:
    the callers answer 503 on the app side, and retry through Dramatiq on the worker side)."""

    def __init__(self, settings: Settings, client: Any | None = None):
        import redis.asyncio as aioredis

        url = settings.jobs_redis_url or settings.redis_url
        if not url:
            raise RuntimeError("jobs need Redis: set REDIS_URL or JOBS_REDIS_URL")
        self.settings = settings
        self.url = url
        self.prefix = settings.job_namespace + ":"
        self.redis = client or aioredis.Redis.from_url(
            url, socket_timeout=max(5.0, settings.redis_timeout_s), socket_connect_timeout=5.0
        )
        self._submit = self.redis.register_script(_SUBMIT)
        self._cancel = self.redis.register_script(_CANCEL)
        self._start = self.redis.register_script(_START)
        self._finish = self.redis.register_script(_FINISH)
        self._requeue = self.redis.register_script(_REQUEUE_IDLE)
        self._part = self.redis.register_script(_PART)
        self._resume = self.redis.register_script(_RESUME)

    async def close(self) -> None:
        await self.redis.aclose()

    def k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @property
    def ttl(self) -> int:
        return self.settings.job_ttl_s

    # -- submissions -------------------------------------------------------------------------

    async def queued_count(self) -> int:
        return int(await self.redis.zcard(self.k("state", QUEUED)))

    async def submit(
        self,
        *,
        name: str,
        key: str,
        model: str,
        version: str,
        body: bytes,
        endpoint: str,
        owner: str = "",
        sweep: str = "",
    ) -> tuple[str, str, bool]:
        """A new submission of ``body``: ``(job id, computation id, created)``; ``created`` is
        false when an identical computation was already queued or running (it is shared)."""
        sid = new_id()
        cid, created = await self._submit(
            keys=[self.k("active", key), self.k("job", sid)],
            args=[
                self.prefix,
                new_id(),
                sid,
                repr(time.time()),
                self.ttl,
                name,
                key,
                model,
                version,
                body,
                endpoint,
                owner,
                sweep,
            ],
        )
        return sid, _s(cid), bool(int(created))

    async def submit_done(
        self, *, name: str, key: str, endpoint: str, owner: str = "", sweep: str = ""
    ) -> str:
        """A submission whose answer exists already (``result:<key>`` holds it): done at once."""
        sid = new_id()
        now = repr(time.time())
        jk = self.k("job", sid)
        async with self.redis.pipeline(transaction=True) as p:
            p.hset(
                jk,
                mapping={
                    "cid": "",
                    "key": key,
                    "name": name,
                    "endpoint": endpoint,
                    "owner": owner,
                    "sweep": sweep,
                    "created": now,
                    "finished": now,
                    "cancelled": 0,
                },
            )
            p.expire(jk, self.ttl)
            p.hincrby(self.k("stats"), "cached", 1)
            await p.execute()
        return sid

    async def fail_unsent(self, cid: str, reason: str) -> None:
        """Fail a computation whose message could not be sent."""
        await self._finish(args=[self.prefix, cid, repr(time.time()), FAILED, reason, "", self.ttl])

    async def cancel(self, sid: str) -> tuple[str, str]:
        """Withdraw submission ``sid``: ``(outcome, state before)``; outcome ``stopped`` (it was
        the last submission: the computation is cancelled), ``withdrawn`` (others still want it),
        ``already``, ``finished`` or ``missing``."""
        out, st = await self._cancel(
            keys=[self.k("job", sid)], args=[self.prefix, sid, repr(time.time())]
        )
        return _s(out), _s(st)

    async def submission(self, sid: str) -> dict[str, Any] | None:
        """The submission ``sid`` with its computation's state merged in (``None``: unknown)."""
        raw = await self.redis.hgetall(self.k("job", sid))
        if not raw:
            return None
        job = {_s(a): _s(b) for a, b in raw.items()}
        return (await self.merge([job]))[0]

    async def submissions(self, sids: list[str]) -> list[dict[str, Any] | None]:
        """:meth:`submission` of many ids in two round trips."""
        async with self.redis.pipeline(transaction=False) as p:
            for sid in sids:
                p.hgetall(self.k("job", sid))
            raws = await p.execute()
        jobs = [{_s(a): _s(b) for a, b in raw.items()} if raw else None for raw in raws]
        merged = await self.merge([j for j in jobs if j is not None])
        it = iter(merged)
        return [next(it) if j is not None else None for j in jobs]

    async def merge(self, jobs: list[dict[str, str]]) -> list[dict[str, Any]]:
        fields = ("state", "attempts", "reason", "started", "finished", "progress", "created")
        async with self.redis.pipeline(transaction=False) as p:
            for job in jobs:
                if job["cid"]:
                    p.hmget(self.k("comp", job["cid"]), *fields)
            rows = iter(await p.execute())
        out: list[dict[str, Any]] = []
        for job in jobs:
            rec: dict[str, Any] = {
                "id": None,
                "cid": job["cid"],
                "name": job["name"],
                "endpoint": job["endpoint"],
                "key": job["key"],
                "owner": job.get("owner", ""),
                "sweep": job.get("sweep", ""),
                "created_at": _f(job.get("created")),
                "started_at": None,
                "finished_at": None,
                "attempts": 0,
                "progress": None,
                "reason": "",
                "shared": False,
            }
            if not job["cid"]:  # answered from a stored result at submission
                rec.update(status=DONE, finished_at=_f(job.get("finished")), progress=1.0)
            else:
                st, att, reason, started, finished, progress, _ = (_s(v) for v in next(rows))
                rec.update(
                    status=st or "expired",
                    attempts=int(att or 0),
                    reason=reason,
                    started_at=_f(started),
                    finished_at=_f(finished),
                    progress=_f(progress),
                )
                if st == "":
                    rec["reason"] = "the computation's record has expired (job_ttl_s)"
            if job.get("cancelled") == "1":
                rec.update(
                    status=CANCELLED,
                    finished_at=_f(job.get("cancelled_at")),
                    reason="cancelled by its submitter",
                )
            out.append(rec)
        return out

    async def result(self, key: str) -> bytes | None:
        blob = await self.redis.get(self.k("result", key))
        return _b(blob) if blob is not None else None

    async def keep_result(self, key: str, blob: bytes) -> None:
        await self.redis.set(self.k("result", key), blob, ex=self.ttl)

    # -- worker side ------------------------------------------------------------------------

    async def computation(self, cid: str) -> Computed | None:
        raw = await self.redis.hmget(
            self.k("comp", cid), "name", "key", "model", "body", "state", "attempts", "blocks"
        )
        if raw[0] is None:
            return None
        name, key, model, body, state, attempts, blocks = raw
        return Computed(
            cid,
            _s(name),
            _s(key),
            _s(model),
            _b(body),
            _s(state),
            int(_s(attempts) or 0),
            int(_s(blocks) or 0),
        )

    async def state(self, cid: str) -> str:
        return _s(await self.redis.hget(self.k("comp", cid), "state")) or "expired"

    async def start(self, cid: str, worker: str) -> tuple[str, int | str]:
        """Count one start of ``cid`` on ``worker``: ``("run", attempt)``, ``("skip", state)``
        (finished or cancelled: nothing to do), or ``("failed", attempt)`` (too many starts)."""
        out, n = await self._start(
            args=[
                self.prefix,
                cid,
                repr(time.time()),
                worker,
                self.settings.job_max_attempts,
            ]
        )
        return _s(out), _s(n)

    async def finish(self, cid: str, state: str, reason: str = "", blob: bytes = b"") -> str:
        """Record the end of ``cid`` (``done`` with its answer, or ``failed`` with the reason);
        ``ok``, or the state it already had (finished elsewhere, or cancelled)."""
        return _s(
            await self._finish(
                args=[self.prefix, cid, repr(time.time()), state, reason, blob, self.ttl]
            )
        )

    async def touch(self, cids: list[str]) -> None:
        """The running computations ``cids`` are alive (their worker beats)."""
        if cids:
            now = time.time()
            await self.redis.zadd(self.k("state", RUNNING), dict.fromkeys(cids, now), xx=True)

    async def requeue_idle(self) -> int:
        """Running computations no worker has touched for :func:`requeue_idle_s` go back to
        ``queued`` (their message is redelivered by Dramatiq): a job is never ``running``
        without a live worker for long."""
        return int(
            await self._requeue(
                args=[self.prefix, repr(time.time()), requeue_idle_s(self.settings), 100]
            )
        )

    async def set_blocks(self, cid: str, count: int) -> None:
        await self.redis.hset(self.k("comp", cid), mapping={"blocks": count, "progress": 0.0})

    async def resume(self, cid: str) -> bool:
        """A block of ``cid`` starts: a split computation put back to ``queued`` (no worker
        touched it while its blocks waited in the queue) is ``running`` again. Atomic, so a
        cancel in between is never overwritten."""
        return bool(int(await self._resume(args=[self.prefix, cid, repr(time.time())])))

    async def block_attempt(self, cid: str, index: int) -> int:
        ak = self.k("comp", cid, "battempts")
        n = int(await self.redis.hincrby(ak, str(index), 1))
        await self.redis.expire(ak, self.ttl)
        return n

    async def has_part(self, cid: str, index: int) -> bool:
        return bool(await self.redis.hexists(self.k("comp", cid, "parts"), str(index)))

    async def put_part(self, cid: str, index: int, count: int, partial: bytes, worker: str) -> int:
        """Store block ``index``'s partials (computed by ``worker``, recorded in the set
        ``comp:<cid>:workers``): the number of blocks stored (-1: the computation is finished
        or cancelled)."""
        return int(
            await self._part(args=[self.prefix, cid, index, partial, count, self.ttl, worker])
        )

    async def parts(self, cid: str, count: int) -> list[bytes] | None:
        """Every block's partials in block order, or ``None`` while some are missing."""
        raw = await self.redis.hmget(self.k("comp", cid, "parts"), *[str(i) for i in range(count)])
        if any(v is None for v in raw):
            return None
        return [_b(v) for v in raw]

    # -- sweeps -----------------------------------------------------------------------------

    async def put_sweep(self, swid: str, record: dict[str, Any]) -> None:
        sk = self.k("sweep", swid)
        await self.redis.set(sk, orjson.dumps(record), ex=self.ttl)

    async def sweep(self, swid: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.k("sweep", swid))
        return orjson.loads(raw) if raw is not None else None

    # -- metrics ----------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        """Computations queued and running now, and every outcome so far (``stats``)."""
        async with self.redis.pipeline(transaction=False) as p:
            p.zcard(self.k("state", QUEUED))
            p.zcard(self.k("state", RUNNING))
            p.hgetall(self.k("stats"))
            queued, running, stats = await p.execute()
        out = {QUEUED: int(queued), RUNNING: int(running)}
        for a, b in stats.items():
            out[_s(a)] = int(_s(b))
        return out
