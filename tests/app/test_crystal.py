"""HTTP layer of /v1/crystal/*: bands, Berry/Chern, orbital susceptibility, limits, presets."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from app.presets import all_presets
from tests.conftest import assert_problem

TC = 1.0 / (3.0 * math.sqrt(3.0))


def haldane(t2: float, M: float, **kw: Any) -> dict[str, Any]:
    return {"kind": "haldane", "t": 1.0, "t2": t2, "phi": 0.5 * math.pi, "M": M, **kw}


def haldane_as_hoppings(t2: float, M: float) -> dict[str, Any]:
    """The same Haldane model written out as a general hopping list (eq 94, a = 1)."""
    s3 = math.sqrt(3.0)
    hops = [
        {"from": 0, "to": 1, "R": r, "amplitude": {"real": -1.0}}
        for r in ([0, 0], [0, -1], [1, -1])
    ]
    for r in ([-1, 1], [0, -1], [1, 0]):
        hops.append({"from": 0, "to": 0, "R": r, "amplitude": {"real": 0.0, "imag": t2}})
        hops.append({"from": 1, "to": 1, "R": r, "amplitude": {"real": 0.0, "imag": -t2}})
    return {
        "kind": "tight_binding",
        "lattice": [[s3, 0.0], [s3 / 2, 1.5]],
        "orbitals": [{"position": [0.0, 0.0], "onsite": M}, {"position": [0.0, 1.0], "onsite": -M}],
        "hoppings": hops,
    }


async def test_haldane_path_bands_have_the_dirac_gap_at_K(client):
    body = copy.deepcopy(all_presets()["haldane-fig4-bands"].body)
    r = await client.post("/v1/crystal/bands", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    e = np.asarray(d["energies"])
    labels = [v["label"] for v in d["vertices"]]
    assert labels == ["G", "K", "M", "K'", "G"]
    # gap at K: 2 |M - 3 sqrt3 t2| (eq 94), the minimum along the path
    gap = e[:, 1] - e[:, 0]
    assert gap.min() == pytest.approx(2 * abs(0.2 - 3 * math.sqrt(3) * 0.04), abs=2e-3)
    assert d["meta"]["units"]["energies"] == "model"
    csv = await client.post("/v1/crystal/bands?format=csv", json=body)
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith(
        "distance,kx,ky,band_0,band_1"
    )


async def test_general_hopping_list_reproduces_the_haldane_shortcut(client):
    grid = {"n": [24, 24], "shift": 0.5}
    a = await client.post("/v1/crystal/bands", json={"model": haldane(0.13, 0.4), "grid": grid})
    b = await client.post(
        "/v1/crystal/bands", json={"model": haldane_as_hoppings(0.13, 0.4), "grid": grid}
    )
    assert a.status_code == b.status_code == 200, b.text
    np.testing.assert_allclose(a.json()["energies"], b.json()["energies"], atol=1e-12)


@pytest.mark.parametrize(("ratio", "chern"), [(0.5, 0), (-0.5, 0), (1.5, 1), (-1.5, -1)])
async def test_berry_endpoint_gives_the_haldane_phase_diagram(client, ratio, chern):
    M = 0.6
    r = await client.post(
        "/v1/crystal/berry", json={"model": haldane(ratio * TC * M, M), "grid": {"n": [36, 36]}}
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["chern_occupied"] == chern
    assert d["chern_per_band"] == [chern, -chern]
    assert d["meta"]["checks"]["chern_integer"]["verdict"] is True
    assert len(d["curvature"]) == 36 * 36 and len(d["metric"][0]) == 3


async def test_gap_closing_gets_422_not_an_insulator_with_the_gap(client):
    body = {"model": haldane(TC * 0.9, 0.9), "grid": {"n": [30, 30]}}  # K is on a 30x30 grid
    r = await client.post("/v1/crystal/berry", json=body)
    p = assert_problem(r, 422, "/model")
    assert p["type"].endswith("not-an-insulator") and abs(p["gap"]) < 1e-9
    r = await client.post(
        "/v1/crystal/orbital-susceptibility",
        json={"model": haldane(0.0, 0.0), "grid": {"n": [30, 30]}},
    )
    assert_problem(r, 422, "/model")


async def test_susceptibility_trivial_phase_chi1_equals_chi2_and_is_converged(client):
    body = copy.deepcopy(all_presets()["haldane-hbn-susceptibility"].body)
    r = await client.post("/v1/crystal/orbital-susceptibility", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["chern_occupied"] == 0
    assert d["chi_2"]["total"] < 0
    assert d["chi_1"]["total"] == pytest.approx(d["chi_2"]["total"], rel=1e-8)
    assert d["meta"]["checks"]["chi1_equals_chi2"]["verdict"] is True
    assert d["meta"]["checks"]["grid_convergence"]["verdict"] is True
    assert d["convergence"]["relative_change"] < 1e-6
    # scaling: chi = t a^2 x (value at t = M = 1, a = 1) = 3 eV x (1.45 A)^2 x (-0.0439696) e^2 / hbar^2
    assert d["chi_2"]["total"] == pytest.approx(3 * 1.45**2 * -0.04396959, rel=1e-5)
    assert d["si"]["chi_2"] < 0 and d["si"]["unit"].startswith("A^2 m^2 / J")


async def test_fig6_sweep_preset_reproduces_the_paper_qualitatively(client):
    preset = all_presets()["haldane-fig6-sweep"]
    picks = {0.0: None, 0.9: None, 1.05: None, 2.0: None}
    ratios = [0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 1.05, 1.1, 1.25, 1.5, 2.0]
    assert len(preset.bodies) == len(ratios)
    for r_, body in zip(ratios, preset.bodies, strict=True):
        if r_ in picks:
            resp = await client.post(preset.endpoint, json=body)
            assert resp.status_code == 200, resp.text
            picks[r_] = resp.json()
    chi0 = abs(picks[0.0]["chi_1"]["total"])
    trivial = [picks[0.0], picks[0.9]]
    for d in trivial:
        assert d["chern_occupied"] == 0
        assert d["chi_1"]["total"] == pytest.approx(
            d["chi_2"]["total"], rel=1e-3
        )  # 160x160 near t_c
    assert picks[0.9]["chi_2"]["total"] < -5 * chi0  # grows towards the transition
    inside = picks[1.05]
    assert inside["chern_occupied"] == 1
    assert (
        inside["chi_1"]["total"] > 0 > inside["chi_2"]["total"]
    )  # chi_1 flips, chi_2 stays diamagnetic
    assert any("gauge" in w for w in inside["meta"]["warnings"])
    assert picks[2.0]["chi_2"]["total"] < 0


async def test_limits_are_413_naming_the_setting(make_client):
    async with make_client(max_k_points=1000, max_bands=1, max_hoppings=2) as c:
        r = await c.post(
            "/v1/crystal/berry", json={"model": haldane(0.1, 1.0), "grid": {"n": [40, 40]}}
        )
        p = assert_problem(r, 413, "/grid/n")
        assert p["limit_name"] == "max_k_points" and p["limit"] == 1000
        r = await c.post(
            "/v1/crystal/bands",
            json={"model": haldane_as_hoppings(0.1, 1.0), "grid": {"n": [4, 4]}},
        )
        p = assert_problem(r, 413, "/model/orbitals")
        assert p["limit_name"] == "max_bands"


async def test_bad_models_are_422_with_field_pointers(client):
    m = haldane_as_hoppings(0.1, 1.0)
    m["hoppings"][0]["to"] = 5
    r = await client.post("/v1/crystal/bands", json={"model": m, "grid": {"n": [4, 4]}})
    assert_problem(r, 422, "/model/hoppings/0/to")
    m = haldane_as_hoppings(0.1, 1.0)
    m["orbitals"][1]["position"] = [0.0, 1.0, 2.0]
    r = await client.post("/v1/crystal/bands", json={"model": m, "grid": {"n": [4, 4]}})
    assert_problem(r, 422, "/model/orbitals/1/position")
    r = await client.post("/v1/crystal/bands", json={"model": haldane(0.1, 1.0)})
    assert r.status_code == 422
    r = await client.post(
        "/v1/crystal/berry", json={"model": haldane(0.1, 1.0), "grid": {"n": [8, 8]}, "filling": 2}
    )
    assert_problem(r, 422, "/filling")


async def test_second_identical_request_is_a_cache_hit(client):
    body = {
        "model": haldane(0.1, 1.0),
        "grid": {"n": [40, 40], "shift": 0.5},
        "include_chi1": False,
    }
    r1 = await client.post("/v1/crystal/orbital-susceptibility", json=body)
    r2 = await client.post("/v1/crystal/orbital-susceptibility", json=body)
    assert (r1.headers["x-cache"], r2.headers["x-cache"]) == ("miss", "hit")
    assert r1.json()["chi_2"] == r2.json()["chi_2"]
