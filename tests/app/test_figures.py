"""PNG and SVG figures: ``?format=png|svg`` on the array endpoints and every preset's
``GET /v1/presets/{name}/figure.png|svg``. The images are opened and looked at: the right size,
not blank (pixel variance), and in the SVG the axis labels, Re solid / Im dashed and the failed
checks written on the figure."""

from __future__ import annotations

import copy
import html
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from PIL import Image

from app.presets import all_presets
from app.presets.crystal import FIG6_RATIOS, TC
from app.render import HEIGHT_PX, WIDTH_PX, swept_field
from core.figures import figure_names, lookup, parse_name
from tests.app.snapshot_presets import HEAVY_PRESETS

ENDPOINT_PRESETS = {
    "oscillator": "westerberg-barnett-fig2a",
    "causality": "westerberg-barnett-fig2a-causality",
    "reflectance": "optics-brewster-glass",
    "dispersion": "optics-fig2a-polariton-branches",
    "bands": "haldane-fig4-bands",
    "berry": "haldane-chern-berry",
    "orbital": "haldane-hbn-susceptibility",
}


def assert_png(content: bytes) -> None:
    im = Image.open(io.BytesIO(content))
    assert im.format == "PNG"
    assert im.size == (WIDTH_PX, HEIGHT_PX)
    grey = np.asarray(im.convert("L"), dtype=np.float64)
    # not blank: a white page has std 0; axes, curves and text give a few tens of grey levels
    assert grey.std() > 10.0
    assert (grey < 128).mean() > 0.005  # dark pixels: lines and text were drawn


def svg_texts(content: bytes) -> tuple[ET.Element, str]:
    """The parsed SVG and every string drawn in it (text is drawn as paths; matplotlib keeps
    each string as a comment beside its glyphs)."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(content, parser=parser)
    assert root.tag.endswith("svg")
    comments = [html.unescape(el.text or "") for el in root.iter() if el.tag is ET.Comment]
    return root, "\n".join(comments)


def assert_svg(content: bytes, labels: list[str]) -> str:
    root, text = svg_texts(content)
    assert root.get("width", "").startswith(f"{WIDTH_PX * 72 // 100}")  # 9 in at 72 pt/in
    for lab in labels:
        assert lab in text, f"{lab!r} not drawn; texts: {text[:400]}"
    return text


def body(name: str) -> dict[str, Any]:
    return copy.deepcopy(all_presets()[name].body)


@pytest.mark.parametrize("kind", list(ENDPOINT_PRESETS))
async def test_array_endpoints_answer_png_and_svg_with_labelled_axes(client, kind: str) -> None:
    p = all_presets()[ENDPOINT_PRESETS[kind]]
    r = await client.post(p.endpoint, json=body(p.name))
    assert r.status_code == 200, r.text
    meta = r.json()["meta"]
    assert meta["figures"], f"{kind}: no figure spec"
    png = await client.post(p.endpoint + "?format=png", json=body(p.name))
    assert png.status_code == 200, png.text
    assert png.headers["content-type"].startswith("image/png")
    assert_png(png.content)
    svg = await client.post(p.endpoint + "?format=svg", json=body(p.name))
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    f = meta["figures"][0]
    x = f["x"]["label"] if f["x"]["name"] else f["traces"][0]["label"]
    assert_svg(svg.content, [x, f["y_label"], f["title"]])


def _spec(f: dict[str, Any]) -> dict[str, Any]:
    """A duck-typed figure for :func:`figure_names` from its JSON form."""

    class A:
        def __init__(self, d: dict[str, Any] | None) -> None:
            self.name = "" if d is None else d["name"]

    return {
        "x": A(f["x"]),
        "traces": [A(t) for t in f["traces"]],
        "y": None if f["y"] is None else A(f["y"]),
        "z": None if f["z"] is None else A(f["z"]),
    }


async def test_every_preset_figure_is_an_image_of_its_answers_arrays(client) -> None:
    for name, p in all_presets().items():
        if name in HEAVY_PRESETS:  # drawn by the same code as the light ones of its endpoint
            continue
        r = await client.get(f"/v1/presets/{name}/figure.png")
        assert r.status_code == 200, (name, r.text[:300])
        assert r.headers["content-type"] == "image/png"
        assert_png(r.content)
        # the figure computed through the service: the preset's answer is now a cache hit
        a = await client.post(p.endpoint, json=copy.deepcopy((p.bodies or [p.body])[0]))
        assert a.headers["x-cache"] == "hit", name
        j = a.json()
        assert j["meta"]["figures"], name
        for f in j["meta"]["figures"]:  # every name a figure reads exists in the answer
            for n in figure_names(type("F", (), _spec(f))()):  # type: ignore[arg-type]
                v = lookup(j, n)
                _, col = parse_name(n)
                assert col is None or np.asarray(v).ndim == 2, (name, n)
        s = await client.get(f"/v1/presets/{name}/figure.svg")
        assert s.status_code == 200, (name, s.text[:300])
        f0 = j["meta"]["figures"][0]
        labels = [f0["y_label"]] + ([f0["x"]["label"]] if f0["x"]["name"] and not p.bodies else [])
        text = assert_svg(s.content, [p.title[:40], *labels])
        if name in SVG_PRESETS:
            if name == "haldane-fig6-sweep":  # Fig. 6: chi_1 and chi_2 against t2
                for lab in ("model.t2 [eV]", "χ_1 (eqs 70-73)", "χ_2 (eqs 83-84)"):
                    assert lab in text


SVG_PRESETS = {
    "haldane-fig6-sweep",
    "haldane-fig4-bands",
    "cho-fig2-chi-m",
    "optics-quarter-wave-mirror",
}


async def test_re_is_solid_and_im_dashed_and_failed_checks_are_written(client) -> None:
    r = await client.get("/v1/presets/westerberg-barnett-fig2a/figure.svg")
    root, text = svg_texts(r.content)
    styles = [
        el.get("style", "")
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag.endswith("path")
    ]
    assert any("stroke-dasharray" in s for s in styles), "no dashed (Im) curve"
    assert "Re ε" in text and "Im ε" in text
    # the Fig. 2a medium is not passive in its tail (docs/oscillator.md): the figure says so
    j = (await client.post("/v1/oscillator/response", json=body("westerberg-barnett-fig2a"))).json()
    failed = [k for k, c in j["meta"]["checks"].items() if c["verdict"] is False]
    assert "passive" in failed
    assert "✗ passive" in text


def test_fig6_sweep_runs_over_t2_sin_phi_over_t_c() -> None:
    p = all_presets()["haldane-fig6-sweep"]
    path, xs, unit = swept_field(p.bodies)
    assert path == "model.t2" and unit == "eV"
    # t2 sin(phi) / t_c = ratio with t_c = M / (3 sqrt 3), M = 3 eV, phi = pi/2
    assert np.allclose(np.asarray(xs) / (3.0 * TC), FIG6_RATIOS, rtol=1e-12)


async def test_unknown_preset_figure_is_a_404_problem(client) -> None:
    r = await client.get("/v1/presets/no-such-figure/figure.png")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert re.search("no preset named", r.json()["detail"])


@pytest.mark.parametrize("n", [[1, 1], [1, 2], [2, 1], [1, 5], [5, 1]])
async def test_maps_on_tiny_or_one_line_k_grids_are_drawn_not_a_500(client, n):
    """No triangulation exists for fewer than 3 points or a collinear grid: points are drawn."""
    model = {"kind": "haldane", "t": 1, "t2": 0.1, "phi": 1.5707963, "M": 0.2, "a": 1}
    for fmt in ("png", "svg"):
        r = await client.post(
            f"/v1/crystal/berry?format={fmt}", json={"model": model, "grid": {"n": n}}
        )
        assert r.status_code == 200, r.text[:300]
        assert r.headers["content-type"].startswith("image/")
