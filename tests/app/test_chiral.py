"""HTTP layer of /v1/chiral/*: Cho's Figs. 1-2 from the presets, units, errors, CSV (K. Cho 2007,
arXiv:cond-mat/0611235)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from scipy import constants as sc

from app.presets import all_presets
from tests.conftest import assert_problem
from tests.csvutil import parse_csv

MR = "/v1/chiral/magnetic-resonance"
SS = "/v1/chiral/single-susceptibility"


def preset(name: str) -> dict[str, Any]:
    return copy.deepcopy(all_presets()[name].body)


def c(a: dict[str, list[float]]) -> np.ndarray:
    return np.asarray(a["real"]) + 1j * np.asarray(a["imag"])


def test_presets_cover_both_figures_in_both_assignments():
    names = set(all_presets())
    for fig in ("fig1", "fig2"):
        for a in ("chi-m", "chi-B"):
            assert f"cho-{fig}-{a}" in names
    assert all_presets()["cho-fig2-chi-B"].body["assignment"] == "chi_B"


@pytest.mark.parametrize(
    ("assignment", "window"), [("chi-m", (1.0, 1.001)), ("chi-B", (0.999, 1.0))]
)
async def test_fig1_preset_has_a_backward_branch_inside_the_window(client, assignment, window):
    r = await client.post(MR, json=preset(f"cho-fig1-{assignment}"))
    assert r.status_code == 200, r.text
    j = r.json()
    w = np.asarray(j["frequencies"])
    back = np.asarray(j["backward_wave"])
    k = c(j["wavenumber"])
    assert back.sum() > 300  # the window holds ~400 of the 1201 points
    assert np.all((w[back] > window[0]) & (w[back] < window[1]))
    assert np.all(k.real[back] < 0)  # n < 0 ...
    assert np.all(np.asarray(j["group_index"])[back] > 0)  # ... with v_g > 0
    assert j["meta"]["checks"]["left_handed_window"]["verdict"] is True
    assert j["meta"]["checks"]["left_handed_window"]["details"]["edges"] == pytest.approx(
        list(window)
    )


@pytest.mark.parametrize(
    ("assignment", "w0_at", "dip"),
    [("chi-m", "lower edge", 1.0005), ("chi-B", "upper edge", 0.9995)],
)
async def test_fig2_preset_has_a_zero_reflectance_dip_in_total_reflection(
    client, assignment, w0_at, dip
):
    r = await client.post(MR, json=preset(f"cho-fig2-{assignment}"))
    assert r.status_code == 200, r.text
    j = r.json()
    w = np.asarray(j["frequencies"])
    refl = np.asarray(j["reflectance"])
    n = c(j["refractive_index"])
    far = np.abs(w - 1.0) > 1.2e-3
    assert np.all(refl[far] > 0.99)  # total reflection outside the window
    i = int(np.argmin(refl))
    assert refl[i] < 1e-5 and w[i] == pytest.approx(dip, abs=2e-6)
    assert n[i] == pytest.approx(-1.0, abs=5e-3)  # the dip is where n = -1
    assert j["meta"]["checks"]["left_handed_window"]["details"]["w0_at"] == w0_at


async def test_chi_B_spectrum_is_the_chi_m_spectrum_shifted_down_by_4_pi_b(client):
    """Fig. 2 'almost identical curves': with constant eps_b, mu_B(w) = mu_m(w + 4 pi b) exactly
    (1/(1 - a/(w0 - w - i g)) = 1 + a/(w0 - (w + a) - i g)), so R_B(w) = R_m(w + 4 pi b)."""
    bm, bb = preset("cho-fig2-chi-m"), preset("cho-fig2-chi-B")
    w = np.linspace(0.9985, 1.0005, 401)
    bb["frequencies"] = {"values": w.tolist(), "unit": "model"}
    bm["frequencies"] = {"values": (w + 1e-3).tolist(), "unit": "model"}
    rb, rm = await client.post(MR, json=bb), await client.post(MR, json=bm)
    np.testing.assert_allclose(rb.json()["reflectance"], rm.json()["reflectance"], atol=1e-9)


async def test_physical_units_give_k_in_inverse_metres(client):
    body = preset("cho-fig2-chi-m")
    body.update({"unit": "THz", "w0": 10.0, "four_pi_b": 0.01, "gamma": 1e-5})
    body["frequencies"] = {"start": 9.995, "stop": 10.015, "num": 41, "unit": "THz"}
    r = await client.post(MR, json=body)
    assert r.status_code == 200, r.text
    j = r.json()
    f_hz = np.asarray(j["frequencies"]) * 1e12
    np.testing.assert_allclose(
        c(j["wavenumber"]), c(j["refractive_index"]) * 2 * np.pi * f_hz / sc.c, rtol=1e-12
    )
    assert j["meta"]["units"]["wavenumber"] == "1/m"
    # the same medium seen on a grid in eV gives the same numbers
    ev = np.asarray(j["frequencies"]) * 1e12 * sc.h / sc.e
    r2 = await client.post(MR, json={**body, "frequencies": {"values": ev.tolist(), "unit": "eV"}})
    np.testing.assert_allclose(r2.json()["reflectance"], j["reflectance"], rtol=1e-9, atol=1e-12)


async def test_magnetic_resonance_csv_has_the_columns(client):
    r = await client.post(MR + "?format=csv", json=preset("cho-fig2-chi-B"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    _, header, rows = parse_csv(r.text)
    assert header[:3] == ["frequency [model]", "Re epsilon [1]", "Im epsilon [1]"]
    assert "reflectance [1]" in header and any(h.startswith("Re wavenumber") for h in header)
    assert len(rows) == 2001


@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        ({"b": 1e-4}, None),  # both b and four_pi_b
        ({"assignment": "chi_H"}, "/assignment"),
        ({"gamma": -1.0}, "/gamma"),
        ({"unit": "nm"}, "/unit"),
        ({"eps_b": {"real": -1.0, "imag": -0.1}}, None),
    ],
)
async def test_bad_magnetic_input_is_a_422_problem(client, patch, pointer):
    r = await client.post(MR, json={**preset("cho-fig2-chi-m"), **patch})
    assert_problem(r, 422, pointer)


async def test_undamped_pole_on_the_grid_is_a_422_naming_the_grid(client):
    body = {**preset("cho-fig2-chi-m"), "gamma": 0.0}
    body["frequencies"] = {"values": [0.999, 1.0, 1.0005], "unit": "model"}
    assert_problem(await client.post(MR, json=body), 422, "/frequencies")


async def test_grid_limit_is_a_413(make_client):
    async with make_client(max_grid_points=100) as cl:
        r = await cl.post(MR, json=preset("cho-fig2-chi-m"))
        body = assert_problem(r, 413, "/frequencies")
        assert "max_grid_points" in r.text or body.get("limit_name") == "max_grid_points"


# --------------------------------------------------------------------- single susceptibility


async def test_chiral_preset_splits_circular_waves_and_flips_with_mixed_sign(client):
    body = preset("cho-chiral-vs-dbf")
    r1 = await client.post(SS, json=body)
    assert r1.status_code == 200, r1.text
    j1 = r1.json()
    assert (
        j1["meta"]["checks"]["circular_splitting"]["details"]["max_abs_k_plus_minus_k_minus"] > 0.1
    )
    body["resonances"][0]["mixed"] *= -1
    j2 = (await client.post(SS, json=body)).json()
    np.testing.assert_allclose(j2["rotatory_power"], -np.asarray(j1["rotatory_power"]), atol=1e-14)
    np.testing.assert_allclose(
        j2["circular_dichroism"], -np.asarray(j1["circular_dichroism"]), atol=1e-14
    )
    np.testing.assert_allclose(c(j2["k_plus"]), c(j1["k_minus"]), rtol=1e-13)
    # Biot's law at the low end of the grid: rho ~ (sum g / 2 w_j^2) w^2 (1 + O(w^2))
    w0, rho0 = j1["frequencies"][0], j1["rotatory_power"][0]
    assert rho0 / w0**2 == pytest.approx(0.05, rel=0.05)


async def test_achiral_medium_has_equal_circular_waves_and_matches_eps_mu_with_chi_B(client):
    body = preset("cho-chiral-vs-dbf")
    body["resonances"][0]["mixed"] = 0.0
    body.pop("dbf")
    j = (await client.post(SS, json=body)).json()
    assert j["k_plus"] == j["k_minus"]
    assert j["meta"]["checks"]["achiral_equivalence"]["verdict"] is True
    w = np.asarray(j["frequencies"])
    d = 1.0 - w**2 - 2j * 0.01 * w
    eps_mu = (2.0 + 0.5 / d) / (1.0 - w**2 * 0.02 / d)  # eq 36, written out here
    np.testing.assert_allclose(c(j["n_plus"]) ** 2, eps_mu, rtol=1e-10)


async def test_dbf_comparison_shows_the_double_pole_of_eps_mu(client):
    body = preset("cho-chiral-vs-dbf")
    body["resonances"][0]["gamma"] = 0.0
    delta = np.array([1e-4, 1e-5, 1e-6])
    body["frequencies"] = {"values": (1.0 + delta).tolist(), "unit": "model"}
    j = (await client.post(SS, json=body)).json()
    eps_mu = np.abs(c(j["dbf_eps_mu"]))
    slope = np.polyfit(np.log(delta), np.log(eps_mu), 1)[0]
    assert slope == pytest.approx(-2.0, abs=0.01)
    k = np.abs(c(j["k_plus"]))
    assert k.max() / k.min() < 1.1  # chi_em: k stays finite at the pole
    assert j["meta"]["checks"]["dbf"]["details"]["double_poles"] == [1.0]


@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        (
            {"resonances": [{"omega": 1.0, "e1": 0.5, "m1": 0.02, "mixed": 0.3}]},
            "/resonances/0/mixed",
        ),
        ({"resonances": [{"omega": 1.0, "e1": -0.5}]}, "/resonances/0/e1"),
        ({"resonances": []}, "/resonances"),
        ({"frequencies": {"start": 0.0, "stop": 1.0, "num": 11, "unit": "model"}}, "/frequencies"),
    ],
)
async def test_bad_chiral_input_is_a_422_problem(client, patch, pointer):
    r = await client.post(SS, json={**preset("cho-chiral-vs-dbf"), **patch})
    assert_problem(r, 422, pointer)


async def test_resonance_limit_is_a_413(make_client):
    body = preset("cho-chiral-vs-dbf")
    body["resonances"] = body["resonances"] * 3
    async with make_client(max_transitions=2) as cl:
        assert_problem(await cl.post(SS, json=body), 413, "/resonances")


async def test_unstable_chi_B_strength_is_refused_naming_the_field_given(client):
    body = {**preset("cho-fig2-chi-B"), "line_shape": "lorentz", "four_pi_b": 0.6}
    body["frequencies"] = {"start": 0.5, "stop": 1.5, "num": 11, "unit": "model"}
    r = assert_problem(await client.post(MR, json=body), 422, "/four_pi_b")
    assert "upper half-plane" in r["detail"]
    body.pop("four_pi_b")
    body["b"] = 0.6 / (4 * np.pi)
    assert_problem(await client.post(MR, json=body), 422, "/b")


async def test_single_susceptibility_in_physical_units_gives_si_wavenumbers_and_beta(client):
    """THz medium: n_s solves (1 - m w^2 / D) n^2 - s (g w / D) n - (eps_inf + e / D) = 0 (eq 29
    with k = n w, written out here in the medium unit); k, rho, CD in 1/m are n w / c with
    w = 2 pi f; the Biot-matched DBF beta is sum(g / w_j^2) / (2 eps(0)) in c / (2 pi 1e12 Hz)."""
    om, gam, e1, g, m1, eps_inf = 10.0, 0.3, 20.0, 0.5, 0.01, 1.5
    f = np.array([5.0, 9.5, 10.4, 12.0])
    body = {
        "unit": "THz",
        "eps_inf": eps_inf,
        "resonances": [{"omega": om, "gamma": gam, "e1": e1, "mixed": g, "m1": m1}],
        "frequencies": {"values": f.tolist(), "unit": "THz"},
        "dbf": {"beta": None},
    }
    r = await client.post(SS, json=body)
    assert r.status_code == 200, r.text
    j = r.json()
    d = om**2 - f**2 - 2j * gam * f
    n_ref = {}
    for s in (1, -1):
        roots = [
            np.roots([1.0 - m1 * fi**2 / di, -s * g * fi / di, -(eps_inf + e1 / di)])
            for fi, di in zip(f, d, strict=True)
        ]
        n_ref[s] = np.array([rr[np.argmax(rr.imag)] for rr in roots])
    np.testing.assert_allclose(c(j["n_plus"]), n_ref[1], rtol=1e-10)
    np.testing.assert_allclose(c(j["n_minus"]), n_ref[-1], rtol=1e-10)
    k_si = {s: n_ref[s] * 2 * np.pi * f * 1e12 / sc.c for s in (1, -1)}
    np.testing.assert_allclose(c(j["k_plus"]), k_si[1], rtol=1e-10)
    np.testing.assert_allclose(c(j["k_minus"]), k_si[-1], rtol=1e-10)
    np.testing.assert_allclose(j["rotatory_power"], (k_si[1] - k_si[-1]).real / 2, rtol=1e-9)
    np.testing.assert_allclose(j["circular_dichroism"], 2 * (k_si[1] - k_si[-1]).imag, rtol=1e-9)
    assert j["meta"]["units"]["rotatory_power"] == "rad/m"
    beta_m = (g / om**2) / (2 * (eps_inf + e1 / om**2)) * sc.c / (2 * np.pi * 1e12)
    assert j["meta"]["checks"]["dbf"]["details"]["beta"] == pytest.approx(beta_m, rel=1e-12)
    # giving that beta explicitly (in metres) reproduces the DBF wavenumbers
    r2 = await client.post(SS, json={**body, "dbf": {"beta": beta_m}})
    assert r2.status_code == 200, r2.text
    np.testing.assert_allclose(c(r2.json()["dbf_k_plus"]), c(j["dbf_k_plus"]), rtol=1e-10)
