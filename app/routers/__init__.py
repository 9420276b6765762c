"""One router per domain. Every module here exposing ``router`` is mounted by app.main, in name order."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter


def discover() -> list[APIRouter]:
    """The ``router`` of each module in this package, sorted by module name."""
    out = []
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        r = getattr(module, "router", None)
        if isinstance(r, APIRouter):
            out.append(r)
    return out
