"""HTTP layer of /v1/crystal/q2-conductivity and /v1/crystal/magnetic-susceptibility (issue 15)."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest

from app.computations import get
from app.presets import all_presets
from app.schemas.crystal_response import (
    MagneticSusceptibilityRequest,
    MagneticSusceptibilityResponse,
    Q2ConductivityRequest,
    Q2ConductivityResponse,
)
from app.settings import Settings
from tests.conftest import assert_problem
from tests.core.test_crystal_response_split import _same_report
from tests.csvutil import column, parse_csv


def body(**kw: Any) -> dict[str, Any]:
    """The Fig. 5 model on a small grid (fast): t = M = 3 eV, t2 = 0."""
    b = copy.deepcopy(all_presets()["duff-sipe-fig5"].body)
    b["grid"] = {"n": [40, 40], "shift": 0.5}
    b["frequencies"] = {"start": 0.0, "stop": 10.0, "num": 11, "unit": "eV"}
    b.update(kw)
    return b


async def test_q2_conductivity_static_limit_sign_and_checks(client):
    r = await client.post("/v1/crystal/q2-conductivity", json=body(sigma_K=["xxxx"]))
    assert r.status_code == 200, r.text
    d = r.json()
    Q2ConductivityResponse.model_validate(d)
    chi = d["chi_static"]
    assert chi < 0  # diamagnetic
    # eq 16 at w = 0: sigma_L^{xzy}(0) = -chi_static
    assert d["sigma_L_static"]["xzy"] == pytest.approx(-chi, rel=1e-8)
    s = np.asarray(d["sigma_L_xzy"]["real"])
    assert s[0] == pytest.approx(-chi, rel=1e-2)  # 0+ = 100 meV shifts w = 0 slightly
    checks = d["meta"]["checks"]
    for name in ("static_limit", "f_sum_rule", "frequency_parity", "grid_convergence"):
        assert name in checks
    assert checks["static_limit"]["verdict"] is True
    assert checks["frequency_parity"]["verdict"] is True
    assert "sigma_L^{xzy}(0) = -chi^zz_static" in d["sign_convention"]
    assert "sigma_K_xxxx" in d


async def test_q2_conductivity_csv_and_png(client):
    csv = await client.post("/v1/crystal/q2-conductivity?format=csv", json=body())
    assert csv.status_code == 200, csv.text
    _, header, rows = parse_csv(csv.text)
    assert header[0] == "photon energy [eV]"
    assert len(column(header, rows, "photon energy [eV]")) == 11
    assert any("Re sigma_L_xzy" in h for h in header)
    png = await client.post("/v1/crystal/q2-conductivity?format=png", json=body())
    assert png.status_code == 200, png.text[:300]
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


async def test_magnetic_susceptibility_static_limit_and_gauge_note(client):
    b = body()
    del b["sigma_L"]
    r = await client.post("/v1/crystal/magnetic-susceptibility", json=b)
    assert r.status_code == 200, r.text
    d = r.json()
    MagneticSusceptibilityResponse.model_validate(d)
    assert d["meta"]["checks"]["static_limit"]["verdict"] is True
    assert any("not gauge invariant" in w for w in d["meta"]["warnings"])
    for part in ("chi_M_occ", "chi_M_vv", "chi_M_itinerant", "chi_M_geo", "chi_M_atomic"):
        assert part in d


async def test_oversized_work_is_413_naming_the_limit(make_client):
    async with make_client(max_response_work=1000) as c:
        r = await c.post("/v1/crystal/q2-conductivity", json=body())
        problem = assert_problem(r, 413)
        assert "max_response_work" in r.text, problem


async def test_model_units_need_model_frequencies(client):
    b = body()
    b["model"]["energy_unit"] = "model"
    r = await client.post("/v1/crystal/q2-conductivity", json=b)
    assert_problem(r, 422, "/frequencies/unit")


async def test_unknown_component_is_422(client):
    r = await client.post("/v1/crystal/q2-conductivity", json=body(sigma_L=["xyz"]))
    assert_problem(r, 422)


async def test_gapless_model_is_refused_with_the_gap(client):
    b = body()
    b["model"]["M"] = 0.0  # graphene: the gap closes at K
    b["grid"] = {"n": [30, 30], "shift": 0.0}
    r = await client.post("/v1/crystal/q2-conductivity", json=b)
    assert r.status_code == 422, r.text


# --- 3D models (B along z) ---------------------------------------------------------------------

SPACING = 3.35  # layer spacing c [angstrom] (graphite-like)


def layered_spec(
    a: float = 1.45, t: float = 3.0, M: float = 3.0, tz: float = 0.0
) -> dict[str, Any]:
    """The Fig. 5 layer (Haldane, t2 = 0; eq 94's bonds and lattice) stacked along z with
    spacing SPACING, an A-A hopping tz between layers; eV and angstrom."""
    s3 = np.sqrt(3.0)
    hops: list[dict[str, Any]] = [
        {"from": 0, "to": 1, "R": [*r, 0], "amplitude": {"real": -t}}
        for r in ([0, 0], [0, -1], [1, -1])
    ]
    if tz:
        hops.append({"from": 0, "to": 0, "R": [0, 0, 1], "amplitude": {"real": tz}})
    return {
        "kind": "tight_binding",
        "lattice": [[s3 * a, 0.0, 0.0], [0.5 * s3 * a, 1.5 * a, 0.0], [0.0, 0.0, SPACING]],
        "orbitals": [
            {"position": [0.0, 0.0, 0.0], "onsite": M},
            {"position": [0.0, a, 0.0], "onsite": -M},
        ],
        "hoppings": hops,
        "energy_unit": "eV",
        "length_unit": "angstrom",
    }


async def test_decoupled_layers_give_the_layer_response_per_spacing(client):
    """A 3D stack without interlayer hopping: chi and sigma_L per volume = the layer's per area
    divided by c (the same per-k terms, kz summed over), and the note says what is in-plane."""
    r2 = await client.post("/v1/crystal/q2-conductivity", json=body())
    r3 = await client.post(
        "/v1/crystal/q2-conductivity",
        json=body(model=layered_spec(), grid={"n": [40, 40, 2], "shift": 0.5}),
    )
    assert r2.status_code == 200, r2.text
    assert r3.status_code == 200, r3.text
    d2, d3 = r2.json(), r3.json()
    Q2ConductivityResponse.model_validate(d3)
    assert SPACING * d3["chi_static"] == pytest.approx(d2["chi_static"], rel=1e-12)
    for part in ("real", "imag"):
        s2 = np.asarray(d2["sigma_L_xzy"][part])
        s3 = np.asarray(d3["sigma_L_xzy"][part])
        np.testing.assert_allclose(SPACING * s3, s2, rtol=0, atol=1e-12 * np.max(np.abs(s2)))
    assert "per unit volume" in d3["meta"]["units"]["sigma_L_xzy"]
    assert any("in-plane" in w for w in d3["meta"]["warnings"])
    assert d3["meta"]["checks"]["static_limit"]["verdict"] is True


async def test_3d_magnetic_susceptibility_static_limit(client):
    """With interlayer hopping: chi_M(0) (eq 74) = chi_2 on the same 3D grid."""
    b = body(model=layered_spec(tz=0.4), grid={"n": [30, 30, 4], "shift": 0.5})
    del b["sigma_L"]
    r = await client.post("/v1/crystal/magnetic-susceptibility", json=b)
    assert r.status_code == 200, r.text
    d = r.json()
    MagneticSusceptibilityResponse.model_validate(d)
    assert d["meta"]["checks"]["static_limit"]["verdict"] is True
    assert d["meta"]["checks"]["frequency_parity"]["verdict"] is True
    assert d["chi_static"] < 0


async def test_grid_of_the_wrong_dimension_is_422(client):
    r = await client.post(
        "/v1/crystal/q2-conductivity", json=body(model=layered_spec(), grid={"n": [40, 40]})
    )
    assert_problem(r, 422, "/grid/n")
    r = await client.post("/v1/crystal/q2-conductivity", json=body(grid={"n": [40, 40, 2]}))
    assert_problem(r, 422, "/grid/n")


# --- split into k-point blocks (a job on several workers) --------------------------------------


def _settings(block_k_points: int = 160_000) -> Settings:
    return Settings(redis_url=None, compute_backend="thread", job_block_k_points=block_k_points)


@pytest.mark.parametrize(
    ("name", "request_type"),
    [
        ("crystal-q2-conductivity", Q2ConductivityRequest),
        ("crystal-magnetic-susceptibility", MagneticSusceptibilityRequest),
    ],
)
def test_the_response_computations_split_like_their_single_run(name, request_type):
    """plan = 1 for the small grid, 5 for the 800 x 800 preset; the blocks (JSON bytes, run here
    last first) reduce to the run's report (tests/core/test_crystal_response_split.py has the
    tolerances)."""
    comp = get(name)
    assert comp.split is not None
    for f in (comp.split.plan, comp.split.block, comp.split.reduce):
        assert pickle.loads(pickle.dumps(f)) is f  # module-level: workers find them
    raw = body(sigma_K=["xxxx"]) if name == "crystal-q2-conductivity" else body()
    if name != "crystal-q2-conductivity":
        del raw["sigma_L"]
    small = request_type.model_validate(raw)
    assert comp.split.plan(small, _settings()) == 1
    preset = request_type.model_validate({**raw, "grid": {"n": [800, 800], "shift": 0.5}})
    assert comp.split.plan(preset, _settings()) == 4 + 1
    settings = _settings(700)  # 40^2 + 20^2 points: 3 blocks of the grid, 1 of the half grid
    count = comp.split.plan(small, settings)
    assert count == 3 + 1
    partials = {i: comp.split.block(small, settings, i, count) for i in reversed(range(count))}
    report = comp.split.reduce(small, settings, [partials[i] for i in range(count)])
    _same_report(report, comp.run(small, settings))
    assert report.checks["static_limit"].verdict is True
