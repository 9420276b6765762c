"""The docs: every request example of the OpenAPI document answers 200, and the docs pages load
nothing from another host (issue 14, items 5).

The examples are the presets (app/openapi.py ``add_preset_examples``); two endpoints without a
preset get examples derived from one, and those are checked against the preset's physics here.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

from app.presets import all_presets
from app.schemas.common import FrequencyGrid
from core.oscillators import OscillatorMedium
from tests.app.snapshot_presets import HEAVY_PRESETS

pytestmark = pytest.mark.timeout(600)


def post_examples(doc: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """``(path, media type, example name, value)`` of every POST request example in ``doc``."""
    out = []
    for path, ops in doc["paths"].items():
        op = ops.get("post")
        if op is None:
            continue
        for media, entry in op.get("requestBody", {}).get("content", {}).items():
            for name, ex in entry.get("examples", {}).items():
                out.append((path, media, name, ex["value"]))
    return out


async def test_every_post_operation_has_an_example_for_each_of_its_presets(client):
    doc = (await client.get("/openapi.json")).json()
    examples = post_examples(doc)
    by_path: dict[str, set[str]] = {}
    for path, _, name, _ in examples:
        by_path.setdefault(path, set()).add(name)
    posts = [p for p, ops in doc["paths"].items() if "post" in ops]
    assert posts, "no POST operation in the document"
    for path in posts:
        assert by_path.get(path), f"POST {path} has no request example"
        content = doc["paths"][path]["post"]["requestBody"]["content"]
        assert content["application/json"].get("examples"), path
    for p in all_presets().values():
        entry = doc["paths"][p.endpoint]["post"]["requestBody"]["content"]["application/json"]
        assert entry["examples"][p.name]["value"] == p.body, p.name
        assert entry["examples"][p.name]["summary"] == p.title


async def test_every_request_example_in_the_docs_answers_200(client):
    doc = (await client.get("/openapi.json")).json()
    failures = []
    for path, media, name, value in post_examples(doc):
        if name in HEAVY_PRESETS:  # answered once per session by the snapshot test
            continue
        if path.startswith(("/v1/jobs", "/v1/sweeps")):  # 202 with Redis: tests/app/test_jobs*
            continue
        if media == "application/json":
            r = await client.post(path, json=value)
        else:
            r = await client.post(path, content=value, headers={"content-type": media})
        if r.status_code != 200:
            failures.append(f"{path} [{media}] {name}: {r.status_code} {r.text[:300]}")
            continue
        meta = r.json()["meta"]
        assert meta["checks"], (path, name)  # a real answer, with its verdicts
    assert not failures, "\n".join(failures)


async def test_frequency_grid_schema_examples_are_valid_grids(client):
    """Swagger UI builds a grid example from the schema: it must be one the model accepts."""
    doc = (await client.get("/openapi.json")).json()
    examples = doc["components"]["schemas"]["FrequencyGrid"]["examples"]
    assert {"values" in e for e in examples} == {True, False}  # both forms, never mixed
    body = dict(all_presets()["westerberg-barnett-fig2a"].body)
    for ex in examples:
        grid = FrequencyGrid.model_validate(ex)
        assert grid.size == len(ex.get("values", [])) or grid.size == ex["num"]
        r = await client.post("/v1/oscillator/response", json={**body, "frequencies": ex})
        assert r.status_code == 200, r.text
        assert len(r.json()["frequencies"]) == grid.size


def test_the_mixed_grid_swagger_used_to_generate_is_refused():
    """The defect the schema examples replace: both forms at once is a 422, not a silent pick."""
    with pytest.raises(ValueError, match="not both"):
        FrequencyGrid.model_validate({"start": 0, "stop": 1, "num": 3, "values": [0.5]})


async def test_kramers_kronig_example_gives_back_re_eps_of_the_fig2a_medium(client):
    """The KK example is Im eps of the Fig. 2a medium: eq 6 must return its Re eps (eq 21)."""
    doc = (await client.get("/openapi.json")).json()
    content = doc["paths"]["/v1/causality/kramers-kronig"]["post"]["requestBody"]["content"]
    (example,) = content["application/json"]["examples"].values()
    body = example["value"]
    r = await client.post("/v1/causality/kramers-kronig", json=body)
    assert r.status_code == 200, r.text
    w = np.asarray(body["frequencies"])
    medium = OscillatorMedium.from_transitions(
        all_presets()["westerberg-barnett-fig2a"].body["transitions"]
    )
    eps, _ = medium.eps_mu(w)
    np.testing.assert_allclose(body["imag"], eps.imag, rtol=1e-5, atol=1e-6)  # 6 digits sent
    re_kk = np.asarray(r.json()["real_kk"])
    # 161 points with a 0.05 w_p step across lines of width 0.08-0.36 w_p, and a fitted tail:
    # a few per cent of the amplitude max|eps - 1| is what such a grid allows.
    scale = float(np.max(np.abs(eps - 1)))
    assert np.max(np.abs(re_kk - eps.real)) < 0.05 * scale
    # the CSV example is the same data
    (csv_example,) = content["text/csv"]["examples"].values()
    rows = [ln.split(",") for ln in csv_example["value"].strip().splitlines()[1:]]
    assert [float(a) for a, _ in rows] == body["frequencies"]
    assert [float(b) for _, b in rows] == body["imag"]


async def test_custom_emitter_example_reproduces_the_harmonic_preset(client):
    """The custom-moments example is the harmonic preset's oscillator: same strengths."""
    doc = (await client.get("/openapi.json")).json()
    content = doc["paths"]["/v1/emitters/custom/strengths"]["post"]["requestBody"]["content"]
    (example,) = content["application/json"]["examples"].values()
    preset = all_presets()["emitter-harmonic-isotropic"]
    r1 = await client.post("/v1/emitters/custom/strengths", json=example["value"])
    r2 = await client.post(preset.endpoint, json=preset.body)
    assert r1.status_code == 200 and r2.status_code == 200, (r1.text, r2.text)
    t1, t2 = r1.json()["medium"]["transitions"], r2.json()["medium"]["transitions"]
    assert len(t1) == len(t2) >= 1
    for a, b in zip(t1, t2, strict=True):
        for k in a:
            assert math.isclose(a[k], b[k], rel_tol=1e-12, abs_tol=1e-300), k


# -- no request to another host ----------------------------------------------------------------

URL_ATTR = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_from_this_host(client, page):
    r = await client.get(page)
    assert r.status_code == 200
    html = r.text
    urls = URL_ATTR.findall(html)
    assert urls, "the page loads nothing?"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url}"
        assert (await client.get(url)).status_code == 200, url
    # the Content-Security-Policy refuses images, fonts, fetches and scripts from other hosts
    csp = re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
    assert csp, f"{page} has no Content-Security-Policy"
    policy = dict((d.split()[0], d.split()[1:]) for d in csp.group(1).split(";") if d.strip())
    for directive in ("img-src", "font-src", "connect-src", "script-src", "style-src"):
        sources = policy[directive]
        assert all(s.startswith("'") or s in ("data:", "blob:") for s in sources), (
            directive,
            sources,
        )


async def test_redoc_drops_the_cdn_logo_of_its_bundle(client):
    """The vendored Redoc bundle shows a logo from cdn.redoc.ly; the page rewrites foreign image
    addresses before the browser fetches them (checked in a browser by tests/e2e)."""
    bundle = (await client.get("/static/vendor/redoc/redoc.standalone.js")).text
    html = (await client.get("/redoc")).text
    if "https://cdn.redoc.ly" in bundle:
        assert "HTMLImageElement.prototype" in html and "foreign(value)" in html


async def test_swagger_init_disables_the_online_validator(client):
    js = (await client.get("/static/swagger-init.js")).text
    assert re.search(r"validatorUrl:\s*null", js)
    assert not re.search(r"https?://", js)
