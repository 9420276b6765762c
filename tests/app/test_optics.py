"""HTTP layer of /v1/optics/reflectance and /v1/optics/dispersion: physics through the API, units,
the shared medium union, limits and problem+json."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from scipy import constants as sc

from app.presets import all_presets
from tests.conftest import assert_problem
from tests.csvutil import column, parse_csv

REFL = "/v1/optics/reflectance"
DISP = "/v1/optics/dispersion"

FIG2A_TRANSITIONS = [
    {"omega": 1.0, "gamma": 0.18, "e_dip": 2.0, "dip_oct": 65 / 64},
    {"omega": 2.0, "gamma": 0.05, "m_dip": 1 / 16},
    {"omega": 3.0, "gamma": 0.04, "quad": 1 / 64, "dia": 9.0},
]


def cx(a: dict[str, Any]) -> np.ndarray:
    return np.asarray(a["real"], dtype=float) + 1j * np.asarray(a["imag"], dtype=float)


async def test_glass_interface_brewster_and_energy_conservation(client):
    th_b = float(np.degrees(np.arctan(1.5)))
    body = {
        "substrate": {"kind": "constant", "eps": 2.25},
        "angles": [0.0, 30.0, th_b],
        "frequencies": {"values": [1.0, 2.0], "unit": "model"},
    }
    r = await client.post(REFL, json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["meta"]["shape"] == {"angles": 3, "frequencies": 2, "order": "angle-major"}
    assert d["angles"] == [0.0, 0.0, 30.0, 30.0, th_b, th_b]
    R_s, R_p, T_s = map(np.asarray, (d["R_s"], d["R_p"], d["T_s"]))
    np.testing.assert_allclose(R_s[:2], 0.04, rtol=1e-13)  # ((1 - 1.5) / (1 + 1.5))^2
    assert np.all(R_p[4:] < 1e-25)
    np.testing.assert_allclose(R_s + T_s, 1.0, atol=1e-13)
    assert (
        d["meta"]["checks"]["energy_s"]["verdict"]
        and d["meta"]["checks"]["energy_p"]["details"]["lossless"]
    )


async def test_csv_has_one_row_per_angle_and_frequency(client):
    body = {
        "substrate": {"kind": "constant", "eps": {"real": 2.0, "imag": 0.5}},
        "angles": [10.0, 20.0],
        "polarization": "p",
        "frequencies": {"start": 1.0, "stop": 3.0, "num": 5},
    }
    r = await client.post(REFL + "?format=csv", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    comments, header, rows = parse_csv(r.text)
    assert "R_p [1]" in header and "Re r_p [1]" in header and "R_s [1]" not in header
    assert len(rows) == 2 * 5
    # the checks reach a CSV user too
    assert ["check", "energy_p", "true", "bound"] == comments[2][:4]
    # R + T + A = 1 row by row
    r_, t_, a_ = (column(header, rows, f"{q}_p [1]") for q in "RTA")
    np.testing.assert_allclose(r_ + t_ + a_, 1.0, atol=1e-12)


async def test_quarter_wave_mirror_in_nanometres_matches_closed_form(client):
    lam, nh, nl, ns, pairs = 600.0, 2.3, 1.38, 1.52, 5
    layers = []
    for _ in range(pairs):
        layers.append({"medium": {"kind": "constant", "eps": nh**2}, "thickness": lam / 4 / nh})
        layers.append({"medium": {"kind": "constant", "eps": nl**2}, "thickness": lam / 4 / nl})
    body = {
        "layers": layers,
        "substrate": {"kind": "constant", "eps": ns**2},
        "length_unit": "nm",
        "polarization": "s",
        "frequencies": {"values": [lam], "unit": "nm"},
    }
    r = await client.post(REFL, json=body)
    assert r.status_code == 200, r.text
    y = (nh / nl) ** (2 * pairs) * ns
    np.testing.assert_allclose(r.json()["R_s"][0], ((1 - y) / (1 + y)) ** 2, rtol=1e-12)
    # the same stack in model units: w = 2 pi (c / lambda), thickness in c / w_unit = lambda / (2 pi)
    model = copy.deepcopy(body)
    model["length_unit"] = "model"
    for layer in model["layers"]:
        layer["thickness"] *= 2 * np.pi / lam
    model["frequencies"] = {"values": [1.0], "unit": "model"}
    r2 = await client.post(REFL, json=model)
    np.testing.assert_allclose(r2.json()["R_s"][0], r.json()["R_s"][0], rtol=1e-12)


async def test_oscillator_substrate_agrees_with_the_oscillator_endpoint(client):
    pre = copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)
    pre["frequencies"] = {"start": 0.1, "stop": 4.0, "num": 40, "unit": "model"}
    ref = (await client.post("/v1/oscillator/response", json=pre)).json()["reflectance"]
    body = {
        "substrate": {"kind": "oscillator", "unit": "model", "transitions": pre["transitions"]},
        "polarization": "s",
        "frequencies": pre["frequencies"],
    }
    # both endpoints take the causal root (Skaar 2006) where the medium has gain
    c = (await client.post(REFL, json=body)).json()
    np.testing.assert_allclose(c["R_s"], ref, rtol=1e-10)
    # the decay branch (Im n >= 0 everywhere) differs exactly where the medium has gain (the
    # Im mu < 0 bands of the dipole-octopole term), which the passive check lists
    d = (await client.post(REFL, json={**body, "gain_branch": "decay"})).json()
    w = np.asarray(c["frequencies"])
    ivs = c["meta"]["checks"]["passive"]["details"]["per_medium"]["substrate"]
    assert c["meta"]["checks"]["passive"]["verdict"] is False and ivs
    gain = np.zeros(w.size, dtype=bool)
    for iv in ivs:
        gain |= (w >= iv["start"]) & (w <= iv["stop"])
    np.testing.assert_allclose(np.asarray(d["R_s"])[~gain], np.asarray(ref)[~gain], rtol=1e-10)
    assert np.all(np.abs(np.asarray(d["R_s"])[gain] - np.asarray(ref)[gain]) > 1e-6)
    assert c["meta"]["checks"]["energy_s"]["details"]["gain_branch"] == "causal"


@pytest.mark.parametrize("deg", [0.0, 45.0])
async def test_gain_half_space_reports_gain_and_its_branch_through_the_api(client, deg):
    body = {
        "substrate": {"kind": "constant", "eps": {"real": 2.0, "imag": -0.1}},
        "angles": [deg],
        "frequencies": {"values": [1.0], "unit": "model"},
    }
    causal = (await client.post(REFL, json=body)).json()
    decay = (await client.post(REFL, json={**body, "gain_branch": "decay"})).json()
    q = np.sqrt(2.0 - 0.1j - np.sin(np.radians(deg)) ** 2)  # causal root: Re q > 0, Im q < 0
    c0 = np.cos(np.radians(deg))
    for d, root in ((causal, q), (decay, -q)):
        np.testing.assert_allclose(d["R_s"][0], abs((c0 - root) / (c0 + root)) ** 2, rtol=1e-12)
        checks = d["meta"]["checks"]
        assert checks["passive"]["verdict"] is False
        assert checks["passive"]["details"]["media"] == ["substrate"]
        assert checks["passive"]["details"]["non_passive_intervals"] == [
            {"start": 1.0, "stop": 1.0}
        ]
        for pol in ("s", "p"):
            e = checks[f"energy_{pol}"]
            assert e["verdict"] is None and e["details"]["balance"] == "gain"
        assert any(
            "media with gain" in w and "interface conserves" in w for w in d["meta"]["warnings"]
        )
    assert causal["meta"]["checks"]["energy_s"]["details"]["gain_branch"] == "causal"
    assert decay["meta"]["checks"]["energy_p"]["details"]["gain_branch"] == "decay"
    assert causal["R_s"][0] < 0.1 and decay["R_s"][0] > 1 and decay["T_s"][0] < 0


async def test_tabulated_nk_equals_constant_and_refuses_extrapolation(client):
    grid = {"values": [1.5, 2.5], "unit": "eV"}
    tab = {"kind": "tabulated", "unit": "eV", "frequencies": [1.0, 2.0, 3.0],
           "n": [1.5, 1.5, 1.5], "k": [0.2, 0.2, 0.2]}  # fmt: skip
    const = {"kind": "constant", "eps": {"real": 1.5**2 - 0.04, "imag": 2 * 1.5 * 0.2}}
    a = await client.post(REFL, json={"substrate": tab, "angles": [40.0], "frequencies": grid})
    b = await client.post(REFL, json={"substrate": const, "angles": [40.0], "frequencies": grid})
    assert a.status_code == b.status_code == 200, a.text
    np.testing.assert_allclose(a.json()["R_p"], b.json()["R_p"], rtol=1e-12)
    bad = await client.post(
        REFL, json={"substrate": tab, "frequencies": {"values": [3.5], "unit": "eV"}}
    )
    assert_problem(bad, 422, "/substrate/frequencies")


async def test_cho_chi_B_medium_is_reflectionless_where_n_is_minus_one(client):
    s = 0.01
    med = {"kind": "magnetic-resonance", "eps_b": -1.0, "assignment": "chi_B", "w0": 1.0,
           "four_pi_b": s, "gamma": 1e-7}  # fmt: skip
    r = await client.post(REFL, json={"substrate": med, "frequencies": {"values": [1 - s / 2]}})
    assert r.status_code == 200, r.text
    assert r.json()["R_s"][0] < 1e-8
    assert any("left-handed" in w for w in r.json()["meta"]["warnings"])


async def test_reflectance_input_errors_name_the_field(client, make_client):
    glass = {"kind": "constant", "eps": 2.25}
    osc = {"kind": "oscillator", "unit": "model", "transitions": FIG2A_TRANSITIONS}
    r = await client.post(REFL, json={"substrate": osc, "frequencies": {"values": [1.0], "unit": "THz"}, "length_unit": "m"})  # fmt: skip
    assert_problem(r, 422, "/substrate/unit")
    one = [{"medium": glass, "thickness": 1.0}]
    r = await client.post(REFL, json={"layers": one, "substrate": glass, "frequencies": {"values": [1.0], "unit": "THz"}})  # fmt: skip
    assert_problem(r, 422, "/length_unit")
    r = await client.post(REFL, json={"substrate": glass, "angles": [90.0], "frequencies": {"values": [1.0]}})  # fmt: skip
    assert_problem(r, 422, "/angles")
    r = await client.post(REFL, json={"substrate": {"kind": "glass"}, "frequencies": {"values": [1.0]}})  # fmt: skip
    assert_problem(r, 422)
    lossless = {"kind": "oscillator", "transitions": [{"omega": 1.0, "e_dip": 2.0}]}
    r = await client.post(REFL, json={"substrate": lossless, "frequencies": {"values": [0.5, 1.0]}})  # fmt: skip
    assert_problem(r, 422, "/frequencies")
    layers = [{"medium": glass, "thickness": 1.0}] * 3
    async with make_client(max_layers=2) as small:
        r = await small.post(REFL, json={"layers": layers, "substrate": glass, "frequencies": {"values": [1.0]}})  # fmt: skip
        body = assert_problem(r, 413, "/layers")
        assert "max_layers" in r.text and body["status"] == 413


# ---------------------------------------------------------------------- dispersion


async def test_fig2a_branches_satisfy_eq9_and_reveal_a_growing_photon_branch(client):
    body = {
        "medium": {"kind": "oscillator", "unit": "model", "transitions": FIG2A_TRANSITIONS},
        "k": {"start": 0.2, "stop": 20.0, "num": 200, "unit": "model"},
    }
    r = await client.post(DISP, json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    br, checks = d["branches"], d["meta"]["checks"]
    assert (
        br["degree"] == 8 and len(br["omega"]["real"]) == 200 and len(br["omega"]["real"][0]) == 8
    )
    assert (
        checks["roots"]["verdict"] and checks["roots"]["details"]["max_relative_residual"] < 1e-10
    )
    assert (
        checks["sum_rule_eq9"]["verdict"]
        and checks["sum_rule_eq9"]["details"]["max_relative_deviation"] < 1e-12
    )
    np.testing.assert_allclose(br["sum_rule"], 1.0, atol=1e-12)
    # damped dipole-octopole terms: the photon branch (and the one between w = 2 and 3 near
    # k ~ 2) grow, the photon one at ~ sum gamma (dip_oct - quad) = 0.182 (one +-w pair each)
    assert (
        not checks["stability"]["verdict"]
        and checks["stability"]["details"]["growing_branches"] == 4
    )
    assert any("Im w > 0" in w for w in d["meta"]["warnings"])
    assert 0.17 < checks["stability"]["details"]["max_imag_omega"] < 0.19
    lossless = copy.deepcopy(body)
    for t in lossless["medium"]["transitions"]:
        t["gamma"] = 0.0
    r2 = await client.post(DISP, json=lossless)
    c2 = r2.json()["meta"]["checks"]
    assert c2["stability"]["verdict"] and abs(c2["stability"]["details"]["max_imag_omega"]) < 1e-12


async def test_dispersion_on_a_frequency_grid_gives_k_and_the_left_handed_band(client):
    medium = {"kind": "oscillator", "transitions": [
        {"omega": 1.0, "gamma": 1e-3, "e_dip": 3.0}, {"omega": 1.8, "gamma": 1e-3, "m_dip": 1.0}]}  # fmt: skip
    r = await client.post(DISP, json={"medium": medium, "frequencies": {"start": 1.05, "stop": 2.5, "num": 300}})  # fmt: skip
    assert r.status_code == 200, r.text
    d = r.json()
    w = np.asarray(d["frequencies"])
    n = cx(d["refractive_index"])
    np.testing.assert_allclose(cx(d["wavenumber"]), w * n, rtol=1e-13)
    (iv,) = [
        i
        for i in d["meta"]["checks"]["left_handed"]["details"]["intervals"]
        if i["stop"] - i["start"] > 0.1
    ]
    assert abs(iv["start"] - np.sqrt(2.24)) < 2e-2 and abs(iv["stop"] - 1.8) < 2e-2
    inside = (w > 1.55) & (w < 1.75)
    assert np.all(n.real[inside] < 0) and all(np.asarray(d["left_handed"])[inside])


async def test_tabulated_medium_dispersion_on_a_wavelength_grid(client):
    tab = {"kind": "tabulated", "unit": "nm", "frequencies": [400.0, 500.0, 800.0],
           "n": [1.6, 1.6, 1.6], "k": [0.0, 0.0, 0.0]}  # fmt: skip
    body = {"medium": tab, "frequencies": {"values": [450.0, 600.0], "unit": "nm"}}
    r = await client.post(DISP, json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    np.testing.assert_allclose(cx(d["refractive_index"]), 1.6, rtol=1e-12)
    np.testing.assert_allclose(d["v_phase"], 1 / 1.6, rtol=1e-12)
    np.testing.assert_allclose(d["v_group"], 1 / 1.6, rtol=1e-6)  # no dispersion: v_g = v_p
    # k = 2 pi n / lambda, in 1/m
    np.testing.assert_allclose(
        cx(d["wavenumber"]).real, 2 * np.pi * 1.6 / (np.array([450.0, 600.0]) * 1e-9), rtol=1e-12
    )


async def test_physical_units_constant_medium_branch_is_the_light_line(client):
    body = {
        "medium": {"kind": "constant", "eps": 4.0},
        "k": {"values": [1.0, 2.0], "unit": "1/um"},
        "omega_unit": "THz",
    }
    r = await client.post(DISP, json=body)
    assert r.status_code == 200, r.text
    om = cx({k: np.asarray(v) for k, v in r.json()["branches"]["omega"].items()})
    expected = sc.c * np.array([1e6, 2e6]) / 2 / (2 * np.pi * 1e12)  # w = c k / n, in THz
    np.testing.assert_allclose(np.sort(om.real, axis=1)[:, 1], expected, rtol=1e-12)


async def test_dispersion_errors_and_limits(client, make_client):
    tab = {"kind": "tabulated", "frequencies": [1.0, 2.0], "eps": {"real": [2, 2], "imag": [0, 0]}}
    r = await client.post(DISP, json={"medium": tab, "k": {"values": [1.0]}})
    assert_problem(r, 422, "/medium/kind")
    osc = {"kind": "oscillator", "transitions": FIG2A_TRANSITIONS}
    r = await client.post(DISP, json={"medium": osc})
    assert_problem(r, 422)
    r = await client.post(DISP, json={"medium": osc, "k": {"values": [1.0], "unit": "1/m"}})
    assert_problem(r, 422, "/k/unit")
    async with make_client(max_dispersion_k_points=10) as small:
        r = await small.post(DISP, json={"medium": osc, "k": {"start": 0.1, "stop": 1, "num": 11}})
        assert_problem(r, 413, "/k")
        assert "max_dispersion_k_points" in r.text


async def test_optics_presets_run_and_reproduce_their_closed_forms(client):
    presets = {k: p for k, p in all_presets().items() if p.endpoint.startswith("/v1/optics")}
    assert len(presets) >= 3
    for p in presets.values():
        r = await client.post(p.endpoint, json=p.body)
        assert r.status_code == 200, (p.name, r.text)
    d = (await client.post(REFL, json=presets["optics-quarter-wave-mirror"].body)).json()
    i = d["frequencies"].index(550.0)  # first block: normal incidence
    y = (2.3 / 1.38) ** 16 * 1.52
    np.testing.assert_allclose(d["R_s"][i], ((1 - y) / (1 + y)) ** 2, rtol=1e-12)
    b = (await client.post(REFL, json=presets["optics-brewster-glass"].body)).json()
    assert int(np.argmin(b["R_p"])) == 56


async def _const_reflectance(client, eps: complex, mu: complex, f: float, unit: str, angles):
    body = {
        "substrate": {
            "kind": "constant",
            "eps": {"real": eps.real, "imag": eps.imag},
            "mu": {"real": mu.real, "imag": mu.imag},
        },
        "angles": angles,
        "frequencies": {"values": [f], "unit": unit},
    }
    r = await client.post(REFL, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_physical_unit_media_scale_every_strength_with_its_dimension(client):
    # The reflectance route converts every medium to rad/s: frequencies and dampings scale by s,
    # e_dip, m_dip, dia and the background strengths by s^2, dip_oct and quad not at all. Written
    # out here in the medium's own unit (eq 21 of W&B; Cho eq 44 plus a Lorentz background), the
    # dimensionless eps and mu must be those of a constant medium at each frequency.
    angles = [0.0, 50.0]
    osc = {"kind": "oscillator", "unit": "eV", "transitions": [
        {"omega": 1.5, "gamma": 0.1, "e_dip": 2.0, "m_dip": 0.1, "dip_oct": 0.05},
        {"omega": 3.0, "gamma": 0.2, "quad": 0.02, "dia": 0.9}]}  # fmt: skip
    mr = {"kind": "magnetic-resonance", "unit": "THz", "eps_b": 1.0, "assignment": "chi_m",
          "w0": 10.0, "four_pi_b": 0.5, "gamma": 0.2,
          "background": [{"omega": 8.0, "gamma": 0.3, "strength": 30.0}]}  # fmt: skip
    cases = [
        (osc, "eV", np.array([1.0, 1.4, 2.0])),
        (mr, "THz", np.array([9.0, 10.2, 11.0])),
    ]
    for med, unit, f in cases:
        if med["kind"] == "oscillator":
            d = [1.5**2 - f**2 - 2j * 0.1 * f, 3.0**2 - f**2 - 2j * 0.2 * f]
            eps = 1.0 + 2.0 / d[0]
            inv_mu = 1.0 + 0.9 / 3.0**2 - 0.1 / d[0] + f**2 * (0.05 / d[0] - 0.02 / d[1])
            mu = 1.0 / inv_mu
        else:
            eps = 1.0 + 30.0 / (8.0**2 - f**2 - 2j * 0.3 * f)
            mu = 1.0 + 0.5 / (10.0 - f - 0.2j)
        r = await client.post(
            REFL,
            json={
                "substrate": med,
                "angles": angles,
                "frequencies": {"values": f.tolist(), "unit": unit},
            },
        )
        assert r.status_code == 200, r.text
        got = r.json()
        for j, fj in enumerate(f):
            ref = await _const_reflectance(
                client, complex(eps[j]), complex(mu[j]), float(fj), unit, angles
            )
            for key in ("R_s", "R_p", "T_s", "T_p"):
                np.testing.assert_allclose(
                    np.asarray(got[key])[j :: len(f)], ref[key], rtol=1e-10, atol=1e-14
                )


@pytest.mark.parametrize(
    "medium",
    [
        {"kind": "constant", "eps": 0.0},
        {"kind": "magnetic-resonance", "eps_b": 0.0, "assignment": "chi_m", "w0": 1.0,
         "four_pi_b": 0.01, "gamma": 0.01},
    ],
)  # fmt: skip
async def test_branches_of_a_medium_with_zero_background_permittivity_are_not_a_500(client, medium):
    r = await client.post(DISP, json={"medium": medium, "k": {"values": [0.5, 1.0]}})
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert_problem(r, r.status_code, "/medium")
