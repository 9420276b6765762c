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


@lru_cache
def get_settings() -> Settings:
    """The process settings, read once from the environment (override in tests)."""
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]
