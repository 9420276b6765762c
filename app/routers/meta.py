"""Service metadata: version and presets."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any, Literal

import anyio
import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

import core.causality
import core.chiral
import core.crystal
import core.emitters
import core.molecular
import core.optics
import core.oscillators
from app.errors import PROBLEM_RESPONSES
from app.presets import Preset, all_presets
from app.render import MEDIA_TYPES, preset_figure, render
from app.service import Service, ServiceDep, json_response
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
    p = _preset_or_404(name)
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


def _preset_or_404(name: str) -> Preset:
    p = all_presets().get(name)
    if p is None:
        raise HTTPException(
            404, f"no preset named {name!r}; GET /v1/presets lists them: {', '.join(all_presets())}"
        )
    return p


async def _post_in_process(request: Request, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    """POST ``body`` to this app's own route ``path`` over ASGI, in process: the route's
    validation, limits, cache and compute pool all apply, as for a client's request."""
    payload = orjson.dumps(body)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"host", b"preset-figure"),
        ],
        "client": None,
        "server": ("preset-figure", 80),
        "state": dict(request.scope.get("state") or {}),
        "app": request.app,
    }
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await asyncio.Event().wait()  # never disconnects: the route finishes first
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(scope, receive, send)
    return status, b"".join(chunks)


async def _preset_figure(
    request: Request, svc: Service, name: str, fmt: Literal["png", "svg"]
) -> Any:
    p = _preset_or_404(name)
    bodies = p.bodies or [p.body]
    # at most as many at once as there are compute workers: a many-body preset (a sweep) must
    # not fill the pool's queue by itself and be refused with 503
    gate = asyncio.Semaphore(svc.settings.compute_workers)

    async def one(b: dict[str, Any]) -> tuple[int, bytes]:
        async with gate:
            return await _post_in_process(request, p.endpoint, b)

    results = await asyncio.gather(*(one(b) for b in bodies))
    for status, content in results:
        if status != 200:  # the route's own problem+json (413, 503, ...)
            return Response(content, status_code=status, media_type="application/problem+json")
    answers = [orjson.loads(content) for _, content in results]
    meta, data = preset_figure(p.title, p.source, bodies, answers)
    image = await anyio.to_thread.run_sync(render, meta, data, fmt, limiter=svc.limiter)
    return Response(image, media_type=MEDIA_TYPES[fmt])


_FIGURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: PROBLEM_RESPONSES[422] | {"description": "No such preset."}
}


@router.get(
    "/presets/{name}/figure.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The figure."},
        **_FIGURE_RESPONSES,
    },
)
async def preset_figure_png(name: str, request: Request, svc: ServiceDep) -> Any:
    """The paper's figure from this preset as a 900x600 PNG: every body computed through the
    API (cache included), a sweep preset drawn as its scalars against the swept parameter."""
    return await _preset_figure(request, svc, name, "png")


@router.get(
    "/presets/{name}/figure.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "The figure."},
        **_FIGURE_RESPONSES,
    },
)
async def preset_figure_svg(name: str, request: Request, svc: ServiceDep) -> Any:
    """The paper's figure from this preset as SVG (see the PNG variant)."""
    return await _preset_figure(request, svc, name, "svg")
