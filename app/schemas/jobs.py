"""Request and response models of /v1/jobs and /v1/sweeps (app/routers/jobs.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobStatusName = Literal["queued", "running", "done", "failed", "cancelled", "expired"]


class JobRequest(BaseModel):
    """A computation to run as a job: what its synchronous endpoint would be posted."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(
        max_length=200,
        description="The synchronous endpoint's path (`/v1/crystal/orbital-susceptibility`) or "
        "its operation id (`crystal-orbital-susceptibility`).",
        examples=["/v1/crystal/orbital-susceptibility"],
    )
    body: dict[str, Any] = Field(
        description="The body that endpoint takes (validated as it would be: errors name "
        "fields under /body)."
    )


class JobError(BaseModel):
    reason: str = Field(description="Why the job failed or ended, in words, with the fix.")


class JobLinks(BaseModel):
    self: str
    result: str = Field(description="The answer in any representation of the endpoint.")


class JobStatus(BaseModel):
    """A job: one submission (its own id; identical submissions share one computation)."""

    id: str = Field(description="The job id: 144 random bits, never derived from the body.")
    endpoint: str
    status: JobStatusName = Field(
        description="queued -> running -> done | failed | cancelled; `expired`: the records "
        "outlived job_ttl_s."
    )
    progress: float | None = Field(
        description="0..1 where the computation reports it (split Brillouin-zone sums: blocks "
        "done / blocks), else null until done (1)."
    )
    attempts: int = Field(description="Starts of its computation (a dead worker's job restarts).")
    shared: bool = Field(description="Other submissions want the same computation.")
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: JobError | None
    links: JobLinks
    result: dict[str, Any] | None = Field(
        description="When done: the same JSON as the synchronous endpoint's answer."
    )


class SweepAxis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pointer: str = Field(
        pattern=r"^(/[^/]*)+$",
        max_length=300,
        description="JSON pointer (RFC 6901) into the base body, e.g. `/model/t2`.",
    )
    values: list[Any] = Field(min_length=1, max_length=10_000)


class SweepRequest(BaseModel):
    """A base body and axes, or a preset with several bodies (each body a point)."""

    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(
        default=None,
        max_length=200,
        description="A preset with several bodies (GET /v1/presets), e.g. "
        "`haldane-fig6-sweep`; then leave out endpoint, body and axes.",
    )
    endpoint: str | None = Field(default=None, max_length=200)
    body: dict[str, Any] | None = None
    axes: list[SweepAxis] = Field(default_factory=list, max_length=8)
    mode: Literal["grid", "zip"] = Field(
        default="grid",
        description="`grid`: every combination of the axes' values (first axis slowest); "
        "`zip`: the i-th value of every axis.",
    )


class SweepPoint(BaseModel):
    index: int
    values: dict[str, Any] = Field(description="Swept value by pointer.")
    job: str
    status: JobStatusName
    progress: float | None
    error: JobError | None
    scalars: dict[str, float] | None = Field(
        description="Every number of the answer outside arrays, by JSON pointer (e.g. "
        "`/chi_1/total`)."
    )
    checks: dict[str, Literal["ok", "failed", "indicative"]] | None
    units: dict[str, str] | None


class SweepStatus(BaseModel):
    id: str
    endpoint: str
    preset: str | None
    axes: list[str]
    status: JobStatusName
    progress: float
    counts: dict[str, int]
    created_at: str | None
    points: list[SweepPoint]
