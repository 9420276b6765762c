"""Jobs and sweeps: computations that outlive a request, on a distributed task queue.

- :mod:`app.jobs.store`: the job records in Redis (submissions, shared computations, results,
  sweeps) and the atomic transitions between their states (Lua scripts).
- :mod:`app.jobs.queue`: the Dramatiq broker on Redis and the two actors (a job, a block of a
  split Brillouin-zone sum); the app only sends messages.
- :mod:`app.jobs.worker`: the worker process (``python -m app.jobs.worker``): it runs each
  message's computation in its own stoppable compute pool (app/pool.py) and records the outcome.
- :mod:`app.jobs.sweeps`: a base body and JSON pointers with values, fanned out into jobs, and
  the series of scalar results and checks read back.

Guarantees (docs/jobs.md has the whole story): a submission is acknowledged (202) only once its
record and its message are in Redis; a message is acknowledged by a worker only after the outcome
is recorded, so a worker that dies mid-job (SIGKILL, out of memory, the machine gone) leaves it to
another worker after ``job_heartbeat_timeout_s``; a job is started at most ``job_max_attempts``
times, then failed with the reason; execution is at least once and results are idempotent (the
same body gives the same bytes, stored under its cache key).
"""
