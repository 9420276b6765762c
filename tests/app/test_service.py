"""Service-level behaviour: health, version, docs served offline, OpenAPI spec committed, presets."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.openapi import DEFAULT_PATH, render, spec
from app.presets import all_presets
from tests.app.snapshot_presets import HEAVY_PRESETS

ROOT = Path(__file__).resolve().parents[2]


async def test_healthz_and_readyz_with_memory_cache(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["cache"] == "memory"


async def test_version_lists_package_and_model_versions(client):
    v = (await client.get("/v1/version")).json()
    import core

    assert v["service"] == core.__version__
    assert v["models"]["multipole-oscillator"] == "1.0.0"


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("src", "href", "spec-url") and v:
                self.refs.append(v)


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/static/teach.html"])
async def test_docs_pages_load_nothing_from_another_host(client, page):
    r = await client.get(page)
    assert r.status_code == 200
    p = _Refs()
    p.feed(r.text)
    assert p.refs, "the page references its assets"
    for ref in p.refs:
        assert not re.match(r"^(https?:)?//", ref), f"{page} loads {ref} from another host"
        assert (await client.get(ref)).status_code == 200, ref
    for script in re.findall(r'src="([^"]+\.js)"', r.text):
        js = (await client.get(script)).text
        # Swagger UI's schema validator badge would call an outside server: it is switched off.
        assert "validator.swagger.io" not in js or script.endswith("swagger-ui-bundle.js")
    if page == "/docs":
        init = (await client.get("/static/swagger-init.js")).text
        assert "validatorUrl: null" in init


def test_committed_openapi_spec_matches_the_app():
    committed = DEFAULT_PATH.read_text()
    assert committed == render(spec()), "openapi/openapi.json is stale: run `make openapi`"


def test_openapi_spec_is_valid_and_operation_ids_are_stable():
    from openapi_spec_validator import validate

    doc = spec()
    validate(doc)
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    for path, ops in doc["paths"].items():
        for op in ops.values():
            tag = op["tags"][0]
            assert op["operationId"].startswith(tag + "-"), (path, op["operationId"])


def test_every_computation_documents_problem_responses():
    doc = spec()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "post":
                assert "422" in op["responses"], path
                assert "application/problem+json" in op["responses"]["422"]["content"], path


async def test_presets_list_and_detail(client):
    listing = (await client.get("/v1/presets")).json()
    names = [p["name"] for p in listing]
    assert "westerberg-barnett-fig2a" in names
    d = (await client.get("/v1/presets/westerberg-barnett-fig2a")).json()
    assert d["endpoint"] == "/v1/oscillator/response" and d["body"]["transitions"]


@pytest.mark.parametrize("name", sorted(set(all_presets()) - HEAVY_PRESETS))
async def test_every_preset_body_is_accepted_by_its_endpoint(client, name):
    p = all_presets()[name]
    bodies = p.bodies or [p.body]
    for b in bodies[:3]:
        r = await client.post(p.endpoint, json=copy.deepcopy(b))
        assert r.status_code == 200, (name, r.text[:500])
        assert "meta" in r.json()


def test_core_imports_without_the_web_stack():
    import subprocess
    import sys

    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'fastapi','pydantic','pydantic_settings','redis','starlette','httpx','uvicorn','app'}:\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_error_pointer_skips_union_member_names_not_in_the_body():
    from app.errors import _body_path

    body = {"medium": {"kind": "constant", "eps": {"real": 1.0}}, "layers": [{"d": 1}]}
    # pydantic reports ("medium", "constant", "eps", "imag") for a tagged union member
    assert _body_path(["medium", "constant", "eps", "imag"], body) == ["medium", "eps", "imag"]
    assert _body_path(["layers", 0, "function-after[check()]", "d"], body) == ["layers", 0, "d"]
    assert _body_path(["missing_field"], body) == ["missing_field"]


def test_non_contiguous_arrays_serialise():

    import numpy as np

    from app.pool import pack_report, unpack
    from core.checks import Report

    z = np.arange(4) + 1j * np.arange(4)
    rep = Report(model="m", version="1", results={"a": z.real, "b": z.imag[::2]})
    raw = unpack(pack_report(rep))
    meta, data = raw.split(b"\n", 1)
    assert data == b'{"a":[0.0,1.0,2.0,3.0],"b":[0.0,2.0]}'
    assert meta == b'{"checks":{},"warnings":[],"units":{},"arrays":{},"figures":[]}'


async def test_csv_of_an_answer_with_tensor_arrays_flattens_them(client):
    """The material constants carry (F, 3, 3) tensors: CSV holds one column per component, one
    row per frequency, never a 500."""
    from app.presets import all_presets
    from tests.csvutil import parse_csv

    p = all_presets()["anelli-box-origin-report"]
    r = await client.post(p.endpoint + "?format=csv", json=p.body)
    assert r.status_code == 200, r.text[:300]
    _, header, rows = parse_csv(r.text)
    j = (await client.post(p.endpoint, json=p.body)).json()
    assert header[0] == "photon energy [hartree]" and len(rows) == len(j["frequencies"])
    assert all(len(row) == len(header) for row in rows)
    tensor = [h for h in header if h.startswith("Re magnetizability_")]
    assert len(tensor) == 9  # 3 x 3 components of the (F, 3, 3) tensor
    import numpy as np

    from tests.csvutil import column

    xx = np.asarray(j["magnetizability"]["real"])[:, 0, 0]
    np.testing.assert_allclose(column(header, rows, tensor[0]), xx, rtol=1e-15)


async def test_big_answers_are_spliced_off_the_event_loop_with_the_same_bytes(client, monkeypatch):
    """A stored answer over SPLICE_INLINE_BYTES is decompressed and spliced in a worker thread;
    the body is the same JSON either way."""
    import threading

    import app.service as service
    from app.presets import all_presets

    p = all_presets()["westerberg-barnett-fig2a"]
    first = (await client.post(p.endpoint, json=p.body)).json()  # stored
    seen: list[bool] = []
    real = service._json_body

    def spy(blob: bytes, extra: dict[str, object]) -> bytes:
        seen.append(threading.current_thread() is threading.main_thread())
        return real(blob, extra)

    monkeypatch.setattr(service, "_json_body", spy)
    monkeypatch.setattr(service, "SPLICE_INLINE_BYTES", 0)
    hit = (await client.post(p.endpoint, json=p.body)).json()
    assert seen == [False]  # off the loop's thread
    for k in ("cache", "elapsed_ms"):
        first["meta"].pop(k), hit["meta"].pop(k)
    assert hit == first
