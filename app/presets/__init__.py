"""Preset registry: ready request bodies that reproduce the papers' figures.

Each module in this package defines ``PRESETS: list[Preset]``; they are collected here in module
order. ``GET /v1/presets`` lists them and ``GET /v1/presets/{name}`` returns one; posting its ``body``
to its ``endpoint`` reproduces the figure (tests/app/test_presets.py posts every preset).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Preset:
    """One ready request. ``body`` is what to POST to ``endpoint`` (or, for a sweep, ``bodies``)."""

    name: str
    title: str
    source: str
    endpoint: str
    body: dict[str, Any]
    description: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)


@lru_cache
def all_presets() -> dict[str, Preset]:
    """Every preset by name, from every module of this package (names must be unique)."""
    out: dict[str, Preset] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for p in getattr(module, "PRESETS", []):
            if p.name in out:
                raise RuntimeError(f"duplicate preset name {p.name!r}")
            out[p.name] = p
    return out
