"""Service settings from the environment (pydantic-settings).

Every variable has the prefix ``SUSC_`` (e.g. ``SUSC_MAX_GRID_POINTS=500000``); the two that
deployment tooling conventionally sets also work without it: ``REDIS_URL`` and ``CACHE_TTL_S``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from fastapi import Depends
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one service process. Limits are named in the 413 errors they cause."""

    model_config = SettingsConfigDict(env_prefix="SUSC_", extra="ignore", frozen=True)

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SUSC_REDIS_URL", "REDIS_URL"),
        description="Redis URL (redis://host:port/db). Unset: the in-process LRU cache.",
    )
    cache_ttl_s: int = Field(
        default=24 * 3600,
        ge=1,
        le=30 * 24 * 3600,
        validation_alias=AliasChoices("SUSC_CACHE_TTL_S", "CACHE_TTL_S"),
        description="Time to live of every cache entry, seconds.",
    )
    cache_key_prefix: str = Field(
        default="susc:v1:",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Prefix of the cache's Redis keys (deployments sharing one Redis keep "
        "apart by it).",
    )
    redis_timeout_s: float = Field(
        default=0.5, gt=0, le=30, description="Socket timeout of each Redis command, seconds."
    )
    memory_cache_items: int = Field(default=512, ge=0, le=1_000_000, description="LRU entries.")
    memory_cache_bytes: int = Field(
        default=256 * 2**20, ge=0, description="Bound on the LRU's stored (compressed) bytes."
    )
    compute_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that encode answers (CSV, npz, figures) and, with compute_backend "
        "= thread, run computations, off the event loop.",
    )
    compute_backend: Literal["process", "thread"] = Field(
        default="process",
        description="Where computations run: `process` (worker processes that are stopped when "
        "a request times out or its client leaves) or `thread` (threads of this process: "
        "cheaper to start, but a timed-out computation runs to its end).",
    )
    compute_workers: int = Field(
        default=2,
        ge=1,
        le=256,
        description="Computations that run at once (worker processes or threads); each gets "
        "cores / compute_workers numba threads.",
    )
    compute_queue: int = Field(
        default=8,
        ge=0,
        le=10_000,
        description="Computations that may wait for a worker; beyond it, 503 with Retry-After.",
    )
    compute_max_tasks: int = Field(
        default=200,
        ge=0,
        description="A worker process is replaced after this many computations (0: never); "
        "gives memory back to the system.",
    )
    compute_warm_up: bool = Field(
        default=True,
        description="Compile every numba kernel in each worker process before it takes work "
        "(/readyz answers 503 until one worker is warm).",
    )
    hit_path_entries: int = Field(
        default=10_000,
        ge=0,
        le=10_000_000,
        description="Requests remembered by the cached-hit fast path (app/hitpath.py): a repeat "
        "of one is answered from the cache without parsing its body again. 0: off.",
    )
    max_request_memory_bytes: int = Field(
        default=2 * 2**30,
        ge=2**20,
        description="Estimated memory of one computation (its arrays and its answer) above "
        "which the request is refused with 413 before any work.",
    )
    compute_timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="A request whose computation takes longer gets 503.",
    )
    max_body_bytes: int = Field(
        default=32 * 2**20, ge=1024, description="Largest accepted request body, bytes (413 above)."
    )
    max_grid_points: int = Field(
        default=200_000, ge=2, description="Most frequency (or wavelength) points in one request."
    )
    max_transitions: int = Field(
        default=1_000, ge=1, description="Most transitions of an oscillator medium."
    )
    max_kk_points: int = Field(
        default=2**21, ge=16, description="Most points of a tabulated spectrum for Kramers-Kronig."
    )
    max_layers: int = Field(default=1_000, ge=1, description="Most layers of a multilayer stack.")
    max_angles: int = Field(
        default=1_000, ge=1, description="Most angles of incidence per request."
    )
    max_dispersion_k_points: int = Field(
        default=20_000, ge=1, description="Most wavenumbers of a real-k dispersion request."
    )
    max_dispersion_values: int = Field(
        default=4_000_000,
        ge=1,
        description="Most (k point x branch) values of one dispersion answer.",
    )
    max_emitter_n_max: int = Field(
        default=24, ge=1, description="Largest quantum number per axis of a box emitter."
    )
    max_emitter_states: int = Field(
        default=15_000, ge=1, description="Most excited states of an emitter model."
    )
    max_molecular_states: int = Field(
        default=4_000, ge=1, description="Most excited states of a molecular sum over states."
    )
    max_molecular_frequencies: int = Field(
        default=4_000,
        ge=1,
        description="Most frequencies of a molecular request (each carries rank-4 tensors).",
    )
    max_k_points: int = Field(
        default=1_000_000, ge=1, description="Most k-points of a crystal k-grid or path."
    )
    max_chi1_k_points: int = Field(
        default=160_000,
        ge=1,
        description="Largest k-grid on which chi_1 (the gauge-dependent eqs 70-73) is also evaluated; "
        "beyond it only chi_2 is returned, with a warning.",
    )
    max_bands: int = Field(
        default=64, ge=1, description="Most orbitals (bands) of a tight-binding model."
    )
    max_hoppings: int = Field(
        default=20_000, ge=1, description="Most hoppings of a tight-binding model."
    )

    # --- observability (app/observability.py) -------------------------------------------
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="Log lines as one JSON object each (ts, level, logger, msg, request_id, "
        "extra fields) or as plain text.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe level written to the log."
    )
    access_log: bool = Field(
        default=True,
        description="One log line per request (method, route, status, duration_ms, "
        "request_id, client, cache); replaces uvicorn's access log.",
    )
    metrics_enabled: bool = Field(
        default=True,
        description="Serve Prometheus metrics at GET /metrics (multiprocess mode when "
        "PROMETHEUS_MULTIPROC_DIR is set).",
    )
    # --- end observability --------------------------------------------------------------

    # --- fair use (app/fairuse.py) ------------------------------------------------------
    api_keys_sha256: str = Field(
        default="",
        pattern=r"^\s*([0-9a-fA-F]{64}(\s*,\s*[0-9a-fA-F]{64})*)?\s*$",
        description="Comma-separated sha256 hex digests of the accepted API keys (never the "
        "keys; `python -m app.fairuse new-key` makes a key and its digest). Empty: no keys, "
        "clients are told apart by address. Set: every POST under /v1/ needs `X-API-Key: <key>` "
        "or `Authorization: Bearer <key>` (401 otherwise), and each key is one client.",
    )
    rate_limit_per_s: float = Field(
        default=0.0,
        ge=0,
        le=1e6,
        description="Computation requests (POST under /v1/) per second of one client, sustained "
        "(GCRA token bucket; shared by all processes through Redis when REDIS_URL is set). "
        "0: no rate limit. Over it: 429 with Retry-After.",
    )
    rate_burst: int = Field(
        default=20,
        ge=1,
        le=1_000_000,
        description="Requests one client may send at once before rate_limit_per_s spaces them "
        "(the bucket's size).",
    )
    max_concurrent_per_client: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="Computation requests of one client in progress at once (shared through "
        "Redis when REDIS_URL is set). 0: no cap. Over it: 429 with Retry-After.",
    )
    trusted_proxies: str = Field(
        default="",
        max_length=10_000,
        description="Comma-separated addresses or networks (CIDR) of reverse proxies whose "
        "X-Forwarded-For names the client. Empty: the client is the peer address.",
    )
    fair_use_redis_prefix: str = Field(
        default="susc:fair:",
        min_length=1,
        max_length=200,
        description="Prefix of the Redis keys of the rate limit and the concurrency leases.",
    )
    # --- end fair use -------------------------------------------------------------------

    # --- quantum chemistry (core/quantum_chem.py, POST /v1/molecular/states) -------------
    max_qc_atoms: int = Field(
        default=24, ge=1, le=500, description="Most atoms of a quantum-chemistry molecule."
    )
    max_qc_basis: int = Field(
        default=200,
        ge=1,
        le=5_000,
        description="Most basis functions of a quantum-chemistry calculation (benzene in "
        "aug-cc-pVDZ has 192).",
    )
    max_qc_states: int = Field(
        default=4_000,
        ge=1,
        le=100_000,
        description="Most excited states one calculation returns (keep it <= "
        "max_molecular_states, so the states can be posted to the material-constants endpoint).",
    )
    max_qc_dense: int = Field(
        default=4_000,
        ge=1,
        le=100_000,
        description="Largest occupied x virtual excitation space diagonalised densely (all "
        "states); larger spaces give the lowest qc_iterative_states states, truncation reported.",
    )
    qc_iterative_states: int = Field(
        default=32,
        ge=1,
        le=1_000,
        description="States kept by the iterative (Davidson) solver when the space is too large "
        "to diagonalise densely.",
    )
    qc_time_limit_s: float = Field(
        default=110.0,
        gt=0,
        le=3600,
        description="Time limit of one quantum-chemistry calculation, seconds (checked during "
        "the SCF and between stages; 413 naming it). Keep it below compute_timeout_s.",
    )
    qc_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="OpenMP threads of one PySCF calculation (pyscf.lib.num_threads).",
    )
    qc_memory_mb: int = Field(
        default=4_000,
        ge=100,
        le=1_000_000,
        description="PySCF's max_memory and the bound on the dense response matrices, MB.",
    )
    # --- end quantum chemistry ----------------------------------------------------------

    # --- array limits (app/limits.py check_array_limits) -------------------------------
    max_array_items: int = Field(
        default=100_000,
        ge=1,
        le=100_000_000,
        description="Most entries of any request list that has no static bound and no limit of "
        "its own (413 naming the list).",
    )
    max_path_points: int = Field(
        default=1_000,
        ge=2,
        le=1_000_000,
        description="Most vertices of a k-path (/v1/crystal/bands `path.points`); the points "
        "between vertices are bounded by max_k_points.",
    )
    # --- end array limits ---------------------------------------------------------------

    # --- crystal response (issue 15: /v1/crystal/magnetic-susceptibility, q2-conductivity) --
    max_response_work: int = Field(
        default=1_500_000_000,
        ge=1,
        le=10**13,
        description="Most work units of one /v1/crystal/q2-conductivity or "
        "magnetic-susceptibility request: k-points x (frequencies + 32) x bands^2, times 8 for "
        "chi_M(w) of eq 74 (band jets up to third k-derivatives). The Fig. 5 preset (800x800, "
        "200 frequencies, 2 bands) is 5.5e8; about 1e9 units take 20 s on 2 cores (413 naming "
        "this setting above it).",
    )
    # --- end crystal response -------------------------------------------------------------

    # --- jobs and sweeps (app/jobs: the Dramatiq queue on Redis, issue 13) ----------------
    jobs_redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SUSC_JOBS_REDIS_URL", "JOBS_REDIS_URL"),
        description="Redis of the job queue, the job records and the jobs' results (unset: "
        "REDIS_URL). Give it persistence (AOF) and `maxmemory-policy noeviction`: an evicting "
        "or forgetful Redis loses queued jobs. The cache may be a separate, evicting Redis.",
    )
    job_namespace: str = Field(
        default="susc-jobs",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Prefix of every Redis key of the job queue and the job records.",
    )
    job_ttl_s: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        le=90 * 24 * 3600,
        description="Time to live of job and sweep records and of their results, seconds "
        "(a finished job's result is kept at least this long, whatever cache_ttl_s says).",
    )
    job_timeout_s: float = Field(
        default=3600.0,
        gt=0,
        le=7 * 24 * 3600,
        description="Time limit of one job's computation on a worker, seconds (the worker "
        "process is stopped at it and the job fails with this reason).",
    )
    job_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Starts of one job before it is failed: a job whose worker dies (killed, "
        "out of memory) is run again on another worker up to this many times in all.",
    )
    job_heartbeat_timeout_s: float = Field(
        default=15.0,
        gt=0.2,
        le=3600,
        description="A worker silent for this long is dead and its unfinished jobs go back to "
        "the queue (workers beat every job_heartbeat_timeout_s / 5, also during long jobs).",
    )
    job_maintenance_per_million: int = Field(
        default=100_000,
        ge=1,
        le=1_000_000,
        description="Share (per million broker calls) of calls that also requeue dead workers' "
        "jobs (Dramatiq's maintenance_chance). Each idle worker polls about once a second.",
    )
    job_worker_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="Jobs one worker process runs at once (0: compute_workers); each runs in "
        "that process's compute pool.",
    )
    job_queue_limit: int = Field(
        default=10_000,
        ge=1,
        le=10_000_000,
        description="Most queued jobs; a submission beyond it is 503 with Retry-After.",
    )
    job_block_k_points: int = Field(
        default=160_000,
        ge=16,
        le=100_000_000,
        description="Target k-points of one block when a job splits a Brillouin-zone sum into "
        "blocks that run on several workers (an 800x800 grid: 4 blocks and its half grid 1).",
    )
    max_sweep_points: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Most points (bodies) of one sweep (413 naming it).",
    )
    job_worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of a worker process's own Prometheus /metrics (job durations, "
        "outcomes). 0: none.",
    )
    # --- end jobs and sweeps ------------------------------------------------------------


@lru_cache
def get_settings() -> Settings:
    """The process settings, read once from the environment (override in tests)."""
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]
