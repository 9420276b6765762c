"""The registry of computations: every synchronous computation endpoint, by name.

A computation is what one ``POST`` computes, written as two plain functions of the *validated*
request body and the settings:

- ``check(body, settings)``: the cheap limit checks (sizes against the settings, 413 naming the
  setting; obviously inconsistent shapes, 422). It runs on the request path before the cache
  lookup, so a request over a limit is refused before any work and even when the pool is full.
  It must only look at lengths and scalars, never walk big arrays.
- ``estimate(body, settings) -> int`` (optional): the bytes the computation will hold at its
  peak (its arrays and its answer), from sizes only; above ``max_request_memory_bytes`` the
  request is refused with 413 before any work.
- ``run(body, settings) -> Report``: everything else (building the medium or model, the
  computation, the report of core). It runs in the compute pool (app/pool.py): a worker *process*
  in production, so it must be a module-level function, and the body and settings travel pickled.

Both raise :class:`core.errors.CoreError` for bad input; it reaches the client as problem+json.

Routes register their computations with :func:`computation` and hand them to
:meth:`app.service.Service.respond`; a worker process finds them by name in :data:`REGISTRY`
after :func:`load_all` (the routers import the registry, never the reverse). The name is the
route's operation id (``<tag>-<handler name with dashes>``), so a job or a sweep can name the
endpoint it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.limits import check_array_limits
from app.settings import Settings
from core.checks import Report
from core.errors import LimitExceeded

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Split(Generic[B]):
    """A computation whose work is a sum over independent blocks (a Brillouin-zone sum split
    into k-point blocks), so a job can run its blocks on several workers (app/jobs) and reduce.

    - ``plan(body, settings) -> int``: the number of blocks (1: not worth splitting), from sizes
      only (``settings.job_block_k_points`` is the target size of one block).
    - ``block(body, settings, index, count) -> bytes``: the partial sums of block ``index`` of
      ``count`` (JSON: floats round-trip exactly).
    - ``reduce(body, settings, partials) -> Report``: the report from every block's partials, in
      block order: the same report, checks included, as ``run`` gives, to rounding.

    All three are module-level functions (they run in worker processes).
    """

    plan: Callable[[B, Settings], int]
    block: Callable[[B, Settings, int, int], bytes]
    reduce: Callable[[B, Settings, list[bytes]], Report]


@dataclass(frozen=True)
class Computation(Generic[B]):
    """One registered computation (see the module docstring)."""

    name: str
    request: type[B]
    run: Callable[[B, Settings], Report]
    model: str
    version: str
    check: Callable[[B, Settings], None] | None = None
    estimate: Callable[[B, Settings], int] | None = None
    #: where the client's request sits in the body (the Kramers-Kronig body wraps it as
    #: ``request``): the array limits name fields relative to it
    request_path: tuple[str, ...] = ()
    #: set when the work can be split into blocks run on several workers (:class:`Split`)
    split: Split[B] | None = None

    def precheck(self, body: B, settings: Settings) -> None:
        """The array-length limits of the schema (app/limits.py), the cheap limit checks, then
        the memory estimate against ``max_request_memory_bytes`` (all 413 naming the setting)."""
        request: BaseModel = body
        for attr in self.request_path:
            request = getattr(request, attr)
        check_array_limits(request, settings)
        if self.check is not None:
            self.check(body, settings)
        if self.estimate is not None:
            need = self.estimate(body, settings)
            limit = settings.max_request_memory_bytes
            if need > limit:
                raise LimitExceeded(
                    f"this request needs about {need / 2**20:.0f} MiB of memory; the limit is "
                    f"{limit / 2**20:.0f} MiB",
                    limit_name="max_request_memory_bytes",
                    limit=limit,
                    requested=need,
                    fix="ask for fewer points (frequencies, k-points, branches) per request, or "
                    "split it into several requests (a sweep)",
                )


#: Every computation of the service, by name (filled as the router modules are imported).
REGISTRY: dict[str, Computation[Any]] = {}

#: The modules that register computations (imported by :func:`load_all`).
ROUTER_MODULES: tuple[str, ...] = (
    "app.routers.oscillator",
    "app.routers.causality",
    "app.routers.optics",
    "app.routers.chiral",
    "app.routers.emitters",
    "app.routers.molecular",
    "app.routers.molecular_states",
    "app.routers.crystal",
    "app.routers.crystal_response",
)


def computation(
    name: str,
    request: type[B],
    *,
    model: str,
    version: str,
    check: Callable[[B, Settings], None] | None = None,
    estimate: Callable[[B, Settings], int] | None = None,
    request_path: tuple[str, ...] = (),
    split: Split[B] | None = None,
) -> Callable[[Callable[[B, Settings], Report]], Computation[B]]:
    """Register ``run`` under ``name``::

        @computation("oscillator-response", OscillatorResponseRequest,
                     model=osc.MODEL_NAME, version=osc.MODEL_VERSION, check=_limits)
        def oscillator_response(body: OscillatorResponseRequest, settings: Settings) -> Report:
            ...

    The decorated name is then the :class:`Computation` (pass it to ``Service.respond``).
    """

    def register(run: Callable[[B, Settings], Report]) -> Computation[B]:
        if name in REGISTRY and REGISTRY[name].run is not run:
            existing = REGISTRY[name].run
            if (existing.__module__, existing.__qualname__) != (run.__module__, run.__qualname__):
                raise RuntimeError(f"computation {name!r} is registered twice")
        comp = Computation(
            name, request, run, model, version, check, estimate, request_path, split
        )
        REGISTRY[name] = comp
        return comp

    return register


def load_all() -> dict[str, Computation[Any]]:
    """Import every router module (registering its computations) and return the registry."""
    for module in ROUTER_MODULES:
        importlib.import_module(module)
    return REGISTRY


def get(name: str) -> Computation[Any]:
    """The computation ``name`` (``KeyError`` when there is none)."""
    if name not in REGISTRY:
        load_all()
    return REGISTRY[name]
