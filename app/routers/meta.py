"""Service metadata: version and presets."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

import core.causality
import core.chiral
import core.crystal
import core.emitters
import core.molecular
import core.optics
import core.oscillators
from app.errors import PROBLEM_RESPONSES
from app.presets import all_presets
from app.service import json_response
from core import references

router = APIRouter(prefix="/v1", tags=["meta"])

#: The core modules that define models (``MODEL_NAME``/``MODEL_VERSION`` or ``MODEL_VERSIONS``).
_MODEL_MODULES: tuple[ModuleType, ...] = (
    core.oscillators,
    core.causality,
    core.optics,
    core.chiral,
    core.emitters,
    core.molecular,
    core.crystal,
)


def model_versions() -> dict[str, str]:
    """``MODEL_NAME -> MODEL_VERSION`` of each core module that defines models."""
    out: dict[str, str] = {}
    for mod in _MODEL_MODULES:
        versions = getattr(mod, "MODEL_VERSIONS", None)
        if isinstance(versions, dict):
            out.update({str(k): str(v) for k, v in versions.items()})
        elif hasattr(mod, "MODEL_NAME") and hasattr(mod, "MODEL_VERSION"):
            out[str(mod.MODEL_NAME)] = str(mod.MODEL_VERSION)
    return dict(sorted(out.items()))


class VersionInfo(BaseModel):
    service: str = Field(description="Package version.")
    models: dict[str, str] = Field(description="Each model's version (part of its cache keys).")
    references: dict[str, str] = Field(
        description="The papers the models implement: key -> authors, title, year and arXiv id."
    )


class PresetSummary(BaseModel):
    name: str
    title: str
    source: str
    endpoint: str


class PresetDetail(PresetSummary):
    description: str = ""
    body: dict[str, Any] = Field(description="Ready request body: POST it to `endpoint`.")
    bodies: list[dict[str, Any]] = Field(
        default_factory=list, description="For a sweep: one body per point, in order."
    )


@router.get("/version", response_model=VersionInfo)
async def version() -> Any:
    """Package version and each model's version."""
    return json_response(
        {"service": core.__version__, "models": model_versions(), "references": references.ALL}
    )


@router.get("/presets", response_model=list[PresetSummary])
async def presets() -> Any:
    """Ready request bodies that reproduce the papers' figures."""
    return json_response(
        [
            {"name": p.name, "title": p.title, "source": p.source, "endpoint": p.endpoint}
            for p in all_presets().values()
        ]
    )


@router.get(
    "/presets/{name}",
    response_model=PresetDetail,
    responses={404: PROBLEM_RESPONSES[422] | {"description": "No such preset."}},
)
async def preset(name: str) -> Any:
    """One preset: `{name, title, source, endpoint, body}`. POST `body` to `endpoint`."""
    p = all_presets().get(name)
    if p is None:
        from fastapi import HTTPException

        raise HTTPException(
            404, f"no preset named {name!r}; GET /v1/presets lists them: {', '.join(all_presets())}"
        )
    return json_response(
        {
            "name": p.name,
            "title": p.title,
            "source": p.source,
            "endpoint": p.endpoint,
            "description": p.description,
            "body": p.body,
            "bodies": p.bodies,
        }
    )
