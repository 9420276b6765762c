"""HTTP layer of /v1/emitters/*: first-principles strengths, diagnostics, limits, errors."""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import numpy as np
import pytest

from app.presets import all_presets
from tests.conftest import assert_problem
from tests.csvutil import parse_csv

BOX = "/v1/emitters/box/strengths"
HARMONIC = "/v1/emitters/harmonic/strengths"
CUSTOM = "/v1/emitters/custom/strengths"


def fig2b() -> dict[str, Any]:
    return copy.deepcopy(all_presets()["westerberg-barnett-fig2b"].body)


def c(a: dict[str, list[float]]) -> np.ndarray:
    return np.asarray(a["real"]) + 1j * np.asarray(a["imag"])


def harmonic_body(freqs: list[float], grid: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "oscillator_frequencies": freqs,
        "mass": 40.0,
        "charge": 0.5,
        "density": 300.0,
        "gamma": 0.07,
    }
    if grid:
        body["frequencies"] = {"start": 0.0, "stop": 5.0, "num": 251, "unit": "model"}
    return body


async def test_fig2b_preset_is_a_weakly_diamagnetic_medium(client):
    r = await client.post(BOX, json=fig2b())
    assert r.status_code == 200, r.text
    j = r.json()
    assert math.isclose(j["omega_p"], 1.0, rel_tol=1e-14)
    checks = j["meta"]["checks"]
    assert checks["diamagnetic"]["verdict"] is True
    assert 0.9999 < checks["static_limits"]["details"]["mu_static"] < 1.0
    # passivity is computed and reported with the numbers behind it: one verdict over the grid
    # and the automatic scan, each sampling's own result in the details
    ps = checks["passive"]
    scan = ps["details"]["samplings"]["scan"]
    assert isinstance(scan["verdict"], bool) and scan["min_im_eps_mu"] is not None
    diag = j["diagnostics"]
    assert (scan["verdict"] is False) == (diag["first_non_passive_frequency"] is not None)
    # on the preset's own grid (w <= 40) the medium is passive ...
    assert ps["details"]["samplings"]["grid"]["verdict"] is True
    assert all(iv["sampled_on"] == "scan" for iv in ps["details"]["non_passive_intervals"])
    # ... but not on the scan beyond it (eq 25 fails at high levels), so the one verdict is no
    assert scan["verdict"] is False and ps["verdict"] is False
    first = min(iv["start"] for iv in ps["details"]["non_passive_intervals"])
    assert first == pytest.approx(diag["first_non_passive_frequency"], rel=1e-2)
    assert len(j["frequencies"]) == 801 and len(j["epsilon"]["real"]) == 801


async def test_the_returned_medium_posts_unchanged_to_the_oscillator_endpoint(client):
    body = fig2b()
    j = (await client.post(BOX, json=body)).json()
    medium = {**j["medium"], "frequencies": body["frequencies"]}
    r = await client.post("/v1/oscillator/response", json=medium)
    assert r.status_code == 200, r.text
    # Two endpoints, one medium: equal to rounding (not bit-exact: other code paths, other CPUs).
    np.testing.assert_allclose(c(r.json()["epsilon"]), c(j["epsilon"]), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(c(r.json()["mu"]), c(j["mu"]), rtol=1e-13, atol=1e-14)


async def test_isotropic_oscillator_closes_every_sum_rule_over_http(client):
    body = harmonic_body([1.3])
    r = await client.post(HARMONIC, json=body)
    assert r.status_code == 200, r.text
    j = r.json()
    checks = j["meta"]["checks"]
    for name in ("trk_sum", "sum_rule_26", "langevin", "van_vleck", "chi_static_reference"):
        assert checks[name]["verdict"] is True, name
    r2 = 3 / (2 * body["mass"] * 1.3)
    langevin = -body["density"] * body["charge"] ** 2 * r2 / (6 * body["mass"])
    assert math.isclose(checks["static_limits"]["details"]["chi_static"], langevin, rel_tol=1e-12)
    # eps is one Lorentzian of strength w_p^2
    w = np.asarray(j["frequencies"])
    wp2 = body["density"] * body["charge"] ** 2 / body["mass"]
    expected = 1 + wp2 / (1.3**2 - w**2 - 2j * w * body["gamma"])
    np.testing.assert_allclose(c(j["epsilon"]), expected, rtol=1e-13)


async def test_custom_moments_of_the_oscillator_reproduce_the_oscillator(client):
    from core.emitters.harmonic import harmonic_moments

    body = harmonic_body([0.8, 1.3, 2.1], grid=False)
    mo = harmonic_moments(body["oscillator_frequencies"], body["mass"])
    keep = np.flatnonzero(
        np.any(mo.p != 0, axis=1)
        | np.any(mo.pr != 0, axis=(1, 2))
        | np.any(mo.prr != 0, axis=(1, 2, 3))
    )
    transitions = [
        {
            "omega": float(mo.omega[e]),
            "p": {"real": mo.p[e].real.tolist(), "imag": mo.p[e].imag.tolist()},
            "pr": {"real": mo.pr[e].real.tolist(), "imag": mo.pr[e].imag.tolist()},
            "prr": {"imag": mo.prr[e].imag.tolist()},  # real part omitted: zero
        }
        for e in keep
    ]
    custom = {
        **{k: body[k] for k in ("mass", "charge", "density", "gamma")},
        "transitions": transitions,
        "rr_ground": mo.rr_ground.tolist(),
    }
    r1 = await client.post(CUSTOM, json=custom)
    r2 = await client.post(HARMONIC, json=body)
    assert r1.status_code == 200, r1.text
    t1, t2 = r1.json()["medium"]["transitions"], r2.json()["medium"]["transitions"]
    assert len(t1) == len(t2)
    for a, b in zip(t1, t2, strict=True):
        for k in a:
            assert math.isclose(a[k], b[k], rel_tol=1e-12, abs_tol=1e-300), k
    assert r1.json()["meta"]["checks"]["chi_static_reference"]["verdict"] is True


async def test_convergence_table_shrinks_the_trk_and_sum_rule_residuals(client):
    body = {**fig2b(), "n_max": 10, "convergence": True}
    del body["frequencies"]
    j = (await client.post(BOX, json=body)).json()
    rows = j["convergence"]
    assert [r["n_max"] for r in rows] == list(range(2, 11))
    trk = [r["trk_residual"] for r in rows]
    res = [abs(r["sum_rule_residual"]) for r in rows]
    # odd cutoffs add no dipole-allowed level (p^ge needs an even n), so TRK only steps at even n
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(trk))
    assert trk[-1] < trk[0] / 40  # ~ n^-3
    even = res[::2]  # n = 2, 4, ..., 10
    assert all(a > b for a, b in itertools.pairwise(even))
    assert rows[-1]["trk_residual"] == pytest.approx(
        j["diagnostics"]["trk_residual"], rel=1e-12, abs=1e-15
    )


async def test_second_identical_request_is_a_cache_hit(client):
    r1 = await client.post(BOX, json=fig2b())
    r2 = await client.post(BOX, json=fig2b())
    assert (r1.headers["x-cache"], r2.headers["x-cache"]) == ("miss", "hit")
    assert r1.headers["etag"] == r2.headers["etag"]


async def test_csv_has_one_row_per_grid_point(client):
    r = await client.post(BOX, params={"format": "csv"}, json=fig2b())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    comments, header, rows = parse_csv(r.text)
    assert header[:3] == ["frequency [model]", "Re epsilon [1]", "Im epsilon [1]"]
    assert len(rows) == 801
    assert any(c[:2] == ["check", "trk_sum"] for c in comments)  # the verdicts reach CSV users


async def test_csv_without_a_grid_is_a_422_naming_frequencies(client):
    body = fig2b()
    del body["frequencies"]
    r = await client.post(BOX, params={"format": "csv"}, json=body)
    assert_problem(r, 422, "/frequencies")


async def test_n_max_over_the_cap_is_413_naming_the_limit(make_client):
    async with make_client(max_emitter_n_max=8) as c2:
        r = await c2.post(BOX, json={**fig2b(), "n_max": 9})
    body = assert_problem(r, 413, "/n_max")
    assert body["limit_name"] == "max_emitter_n_max" and body["limit"] == 8


async def test_state_count_over_the_cap_is_413_naming_the_limit(make_client):
    async with make_client(max_emitter_states=100) as c2:
        r = await c2.post(BOX, json={**fig2b(), "n_max": 5})
    body = assert_problem(r, 413, "/n_max")
    assert body["limit_name"] == "max_emitter_states" and body["requested"] == 124


async def test_bad_inputs_are_422_with_the_field(client):
    body = fig2b()
    body["lengths"][1] = -0.1
    assert_problem(await client.post(BOX, json=body), 422, "/lengths/1")
    assert_problem(await client.post(BOX, json={**fig2b(), "charge": 0.0}), 422, "/charge")
    assert_problem(await client.post(BOX, json={**fig2b(), "n_max": 1}), 422, "/n_max")
    grid_thz = {**fig2b(), "frequencies": {"start": 1, "stop": 2, "num": 3, "unit": "THz"}}
    assert_problem(await client.post(BOX, json=grid_thz), 422, "/frequencies/unit")
    two = harmonic_body([1.0, 2.0])
    assert_problem(await client.post(HARMONIC, json=two), 422, "/oscillator_frequencies")


async def test_custom_moment_validation_names_the_entry(client):
    base = {
        "mass": 10.0,
        "charge": 1.0,
        "density": 1.0,
        "transitions": [
            {
                "omega": 1.0,
                "p": {"imag": [0.5, 0.0, 0.0]},
                "prr": {"imag": [[[0, 0, 0], [0, 0.1, 0.2], [0, 0, 0]]] + [[[0] * 3] * 3] * 2},
            }
        ],
        "rr_ground": [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]],
    }
    r = await client.post(CUSTOM, json=base)  # prr_x(y,z) = 0.2 but prr_x(z,y) = 0
    assert_problem(r, 422, "/transitions/0/prr")
    fixed = copy.deepcopy(base)
    fixed["transitions"][0]["prr"]["imag"][0][2][1] = 0.2
    assert (await client.post(CUSTOM, json=fixed)).status_code == 200
    bad_rr = copy.deepcopy(fixed)
    bad_rr["rr_ground"][0][1] = 0.05
    assert_problem(await client.post(CUSTOM, json=bad_rr), 422, "/rr_ground/0/1")
    short = copy.deepcopy(fixed)
    short["transitions"][0]["p"]["imag"] = [0.5, 0.0]
    assert_problem(await client.post(CUSTOM, json=short), 422, "/transitions/0/p/imag")


async def test_too_many_custom_transitions_is_413(make_client):
    t = {"omega": 1.0, "p": {"imag": [0.5, 0, 0]}}
    body = {
        "mass": 10.0,
        "charge": 1.0,
        "density": 1.0,
        "transitions": [t] * 5,
        "rr_ground": [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]],
    }
    async with make_client(max_emitter_states=4) as c2:
        r = await c2.post(CUSTOM, json=body)
    assert assert_problem(r, 413, "/transitions")["limit_name"] == "max_emitter_states"


async def test_custom_emitter_coupling_to_nothing_is_a_422(client):
    body = {
        "mass": 10.0,
        "charge": 1.0,
        "density": 1.0,
        "transitions": [{"omega": 1.0}],  # every moment zero
        "rr_ground": [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]],
    }
    assert_problem(await client.post(CUSTOM, json=body), 422, "/transitions")


async def test_astronomical_box_length_is_a_4xx_not_a_500(client):
    body = {**fig2b(), "lengths": [1e300, 1.0, 1.0], "n_max": 3}
    del body["frequencies"]
    r = await client.post(BOX, json=body)
    assert 400 <= r.status_code < 500, r.text
