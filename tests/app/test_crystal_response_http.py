"""HTTP layer of /v1/crystal/q2-conductivity and /v1/crystal/magnetic-susceptibility (issue 15)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from app.presets import all_presets
from app.schemas.crystal_response import (
    MagneticSusceptibilityResponse,
    Q2ConductivityResponse,
)
from tests.conftest import assert_problem
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
