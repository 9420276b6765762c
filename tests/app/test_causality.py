"""HTTP layer of /v1/causality: KK on tabulated data (JSON and CSV) and the oscillator check.

References are closed forms written here (a damped Lorentz line) and the oscillator model's
closed-form static limits (eqs 22, 23, 26).
"""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import numpy as np
import pytest

from app.presets import all_presets
from tests.conftest import assert_problem

KK = "/v1/causality/kramers-kronig"
OSC = "/v1/causality/oscillator"
CSV_HEADERS = {"content-type": "text/csv"}


def lorentz_eps(w: np.ndarray) -> np.ndarray:
    """eps = 1 + 2 / (1.5^2 - w^2 - 2 i w 0.1): passive, eps_inf = 1, eps(0) = 1 + 2/2.25."""
    return 1.0 + 2.0 / (2.25 - w**2 - 0.2j * w)


def to_csv(header: str, *cols: np.ndarray) -> str:
    rows = (",".join(repr(float(v)) for v in row) for row in zip(*cols, strict=True))
    return header + "\n" + "\n".join(rows) + "\n"


def grid(n: int = 4001, top: float = 15.0) -> np.ndarray:
    return np.linspace(0.0, top, n)


def fig2a(name: str = "westerberg-barnett-fig2a-causality") -> dict[str, Any]:
    return copy.deepcopy(all_presets()[name].body)


# --------------------------------------------------------------------------------------------
# Tabulated data
# --------------------------------------------------------------------------------------------


async def test_csv_round_trip_eps2_gives_eps1_back(client):
    w = grid()
    eps = lorentz_eps(w)
    body = to_csv("frequency,eps2", w, eps.imag)
    r = await client.post(KK, content=body, headers=CSV_HEADERS)
    assert r.status_code == 200, r.text
    j = r.json()
    eps1 = np.asarray(j["real_kk"])
    inner = w < 0.9 * w[-1]
    assert np.max(np.abs(eps1 - eps.real)[inner]) < 1e-3 * np.abs(eps - 1).max()
    # The reported error estimate covers the actual error everywhere but the last point.
    est = np.asarray(j["real_kk_error_estimate"])
    assert np.all(np.abs(eps1 - eps.real)[:-1] <= est[:-1] + 1e-4 * np.abs(eps - 1).max())
    # Static limit (eq 7 for eps): eps(0) = 1 + 2/2.25.
    assert j["static_limit"]["implied_static_value"] == pytest.approx(1 + 2 / 2.25, rel=1e-4)
    # f-sum: int w Im eps = (pi/2) * 2.
    assert j["f_sum"]["value"] == pytest.approx(np.pi, rel=1e-3)
    assert j["meta"]["checks"]["passive"]["verdict"] is True


async def test_csv_and_json_give_the_same_numbers(client):
    w = grid(801, 10.0)
    eps = lorentz_eps(w)
    rj = await client.post(
        KK, json={"quantity": "epsilon", "frequencies": w.tolist(), "imag": eps.imag.tolist()}
    )
    text = to_csv("w,imag", w, eps.imag)
    rc = await client.post(KK + "?quantity=epsilon", content=text, headers=CSV_HEADERS)
    assert rj.status_code == rc.status_code == 200
    np.testing.assert_allclose(rc.json()["real_kk"], rj.json()["real_kk"], rtol=1e-13, atol=1e-14)


async def test_consistent_pair_passes_and_an_offset_real_part_fails_with_a_reason(client):
    w = grid()
    eps = lorentz_eps(w)
    body = {
        "quantity": "epsilon",
        "frequencies": w.tolist(),
        "real": eps.real.tolist(),
        "imag": eps.imag.tolist(),
    }
    ok = (await client.post(KK, json=body)).json()
    assert ok["meta"]["checks"]["kramers_kronig"]["verdict"] is True
    bad = {**body, "real": (eps.real + 0.05).tolist()}
    r = (await client.post(KK, json=bad)).json()
    chk = r["meta"]["checks"]["kramers_kronig"]
    assert chk["verdict"] is False and chk["details"]["real"]["verdict"] is False
    assert chk["details"]["real"]["max_discrepancy"] == pytest.approx(0.05, rel=0.05)
    assert any("high-frequency value" in m for m in r["meta"]["warnings"])


async def test_acausal_pair_fails(client):
    w = grid()
    eps = lorentz_eps(w)
    body = {
        "quantity": "epsilon",
        "frequencies": w.tolist(),
        "real": eps.real.tolist(),
        "imag": (-eps.imag).tolist(),  # exp(+i w t) response: gain and acausal for exp(-i w t)
    }
    r = (await client.post(KK, json=body)).json()
    assert r["meta"]["checks"]["kramers_kronig"]["verdict"] is False
    assert r["meta"]["checks"]["passive"]["verdict"] is False


async def test_wavelength_grid_gives_the_same_reconstruction_as_frequency(client):
    # The same spectrum tabulated against angular frequency (rad/s) and vacuum wavelength (nm).
    w = np.geomspace(1e13, 2e16, 3000)
    eps = 1.0 + (3e15) ** 2 / ((2e15) ** 2 - w**2 - 2j * w * 1e14)
    lam = 2 * np.pi * 299792458.0 / w * 1e9
    r1 = await client.post(
        KK,
        json={
            "quantity": "epsilon",
            "unit": "rad/s",
            "frequencies": w.tolist(),
            "imag": eps.imag.tolist(),
        },
    )
    r2 = await client.post(
        KK,
        json={
            "quantity": "epsilon",
            "unit": "nm",
            "frequencies": lam.tolist(),
            "imag": eps.imag.tolist(),
        },
    )
    assert r1.status_code == r2.status_code == 200, r2.text
    np.testing.assert_allclose(r2.json()["real_kk"], r1.json()["real_kk"], rtol=1e-8, atol=1e-10)
    assert r2.json()["frequencies"] == lam.tolist()


async def test_csv_output_has_the_reconstruction_as_a_column(client):
    w = grid(401, 10.0)
    eps = lorentz_eps(w)
    body = {"quantity": "epsilon", "frequencies": w.tolist(), "imag": eps.imag.tolist()}
    rc = await client.post(KK + "?format=csv", json=body)
    assert rc.status_code == 200 and rc.headers["content-type"].startswith("text/csv")
    # '#' lines are the CSV's metadata (app/formats.py); headers may carry ' [unit]'
    rows = [r for r in csv.reader(io.StringIO(rc.text)) if r and not r[0].startswith("#")]
    assert [h.split(" [")[0] for h in rows[0][1:3]] == ["imag", "real_kk"]
    assert len(rows) == 402
    # the column is the reconstruction itself, row by row: the JSON numbers, and eps1 of the
    # Lorentz line (closed form) within the tolerance the KK verdict uses (twice the
    # discretisation estimate: on this coarse grid, 4 points per linewidth, the O(h^2)
    # estimate alone falls short by up to 1.7x next to the line)
    col = np.array([float(r[2]) for r in rows[1:]])
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], w, rtol=1e-15)
    j = (await client.post(KK, json=body)).json()
    np.testing.assert_allclose(col, j["real_kk"], rtol=1e-15)
    est = np.asarray(j["real_kk_error_estimate"])
    assert np.all(np.abs(col - eps.real)[:-1] <= 2 * est[:-1] + 1e-4 * np.abs(eps - 1).max())


async def test_refractive_index_from_n_k_columns(client):
    w = grid(3001, 20.0)
    n = np.sqrt(lorentz_eps(w))  # passive branch: Im n > 0
    text = to_csv("frequency,n,k", w, n.real, n.imag)
    r = await client.post(KK, content=text, headers=CSV_HEADERS)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["meta"]["checks"]["kramers_kronig"]["verdict"] is True
    # n_inf = 1: each part of n = sqrt(eps) is reconstructed from the other (closed form here)
    inner = w < 0.9 * w[-1]
    amp = np.abs(n - 1).max()
    assert np.max(np.abs(np.asarray(j["real_kk"]) - n.real)[inner]) < 1e-3 * amp
    assert np.max(np.abs(np.asarray(j["imag_kk"]) - n.imag)[inner]) < 1e-3 * amp
    # n(0) = sqrt(1 + 2/2.25) from the static-limit integral (eq 7 applied to n)
    assert j["static_limit"]["implied_static_value"] == pytest.approx(
        np.sqrt(1 + 2 / 2.25), rel=1e-4
    )
    # the time-reversed (exp(+i w t)) index is neither causal nor passive
    bad = to_csv("frequency,n,k", w, n.real, -n.imag)
    jb = (await client.post(KK, content=bad, headers=CSV_HEADERS)).json()
    assert jb["meta"]["checks"]["kramers_kronig"]["verdict"] is False
    assert jb["meta"]["checks"]["passive"]["verdict"] is False


# --------------------------------------------------------------------------------------------
# Oscillator medium (Fig. 2a)
# --------------------------------------------------------------------------------------------


async def test_fig2a_kk_and_static_limit_reproduce_the_diamagnet(client):
    r = await client.post(OSC, json=fig2a())
    assert r.status_code == 200, r.text
    j = r.json()
    chk = j["meta"]["checks"]
    assert chk["chi"]["verdict"] and chk["chi"]["value"] / chk["chi"]["details"]["scale"] < 1e-3
    chi0 = 1 / 64 - 1  # eq 23 at w = 0: sum (m_dip - dia) / w_eg^2
    assert chk["chi"]["details"]["static_integral"] == pytest.approx(chi0, rel=1e-3)
    st = j["static_limits"]["chi"]
    main = [b for b in st["negative_bands"] if b["start"] < 1.0 < b["stop"]]
    assert len(main) == 1 and main[0]["contribution"] < 0.8 * st["negative"]
    assert chk["sum_rule_26"]["verdict"] is True
    np.testing.assert_allclose(
        j["chi_real_kk"], j["chi_real"], atol=1e-3 * chk["chi"]["details"]["scale"]
    )


async def test_fig2a_violating_eq26_shows_the_mismatch_and_says_why(client):
    r = await client.post(OSC, json=fig2a("westerberg-barnett-fig2a-eq26-violated"))
    assert r.status_code == 200, r.text
    j = r.json()
    chk = j["meta"]["checks"]
    resid = 8 / 9 + 1 / 64 - 65 / 64
    assert chk["sum_rule_26"]["verdict"] is False
    assert chk["chi"]["verdict"] is False
    assert chk["chi"]["details"]["model_high_frequency_value"] == pytest.approx(-resid)
    assert chk["chi_static_eq7"]["verdict"] is False
    assert chk["chi_static_eq7"]["value"] == pytest.approx(1 / 64 - 8 / 9 + resid, rel=1e-3)
    assert any("eq 26" in m and "mu(inf)" in m for m in j["meta"]["warnings"])


async def test_oscillator_undamped_line_is_422(client):
    body = fig2a()
    body["transitions"][1]["gamma"] = 0.0
    assert_problem(await client.post(OSC, json=body), 422, "/transitions/1/gamma")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def kk_body(**over: Any) -> dict[str, Any]:
    w = np.linspace(0.0, 5.0, 20)
    b: dict[str, Any] = {
        "quantity": "epsilon",
        "frequencies": w.tolist(),
        "imag": lorentz_eps(w).imag.tolist(),
    }
    b.update(over)
    return b


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (kk_body(frequencies=[0.0, 1, 1, 2, 3, 4, 5, 6, 7, 8]), "/frequencies/2"),
        (kk_body(frequencies=[0.0, 2, 1, 3, 4, 5, 6, 7, 8, 9]), "/frequencies/2"),
        (kk_body(imag=[0.0, 1.0]), "/imag"),
        (kk_body(frequencies=[0.0, 1, 2], imag=[0.0, 1, 2]), "/frequencies"),
        (kk_body(imag=None), ""),
        (kk_body(quantity="temperature"), "/quantity"),
        (kk_body(tail="exponential"), "/tail"),
        (kk_body(frequencies=[-1.0, *range(19)]), "/frequencies/0"),
        (kk_body(anchor={"frequency": 99.0, "value": 1.0}), "/anchor"),
        (kk_body(anchor={"frequency": 1.0}), "/anchor/value"),
    ],
)
async def test_bad_tabulated_input_is_422_naming_the_problem(client, body, field):
    if body.get("imag") is None:
        body.pop("imag")
    pb = assert_problem(await client.post(KK, json=body), 422, field or None)
    assert all(e["message"] for e in pb["errors"])


async def test_mismatched_lengths_message_names_both_lengths(client):
    pb = assert_problem(await client.post(KK, json=kk_body(imag=[0.0] * 19)), 422, "/imag")
    assert "19" in pb["detail"] and "20" in pb["detail"]


@pytest.mark.parametrize("token", ["NaN", "Infinity"])
async def test_non_finite_json_values_are_422(client, token):
    raw = (
        '{"quantity": "chi", "frequencies": [0, 1, 2, 3, 4, 5, 6, 7], '
        f'"imag": [0, 1, 2, 3, 4, 5, 6, {token}]}}'
    )
    r = await client.post(KK, content=raw, headers={"content-type": "application/json"})
    assert_problem(r, 422, "/imag/7")


@pytest.mark.parametrize(
    ("text", "query", "field"),
    [
        ("frequency,eps2\n0,0\n1,nan\n2,0\n", "", "/csv/line/3/eps2"),
        ("frequency,eps2\n0,0\n1,abc\n", "", "/csv/line/3/eps2"),
        ("frequency,eps2\n0,0\n1\n", "", "/csv/line/3"),
        ("eps1,eps2\n0,0\n", "", "/csv/line/1"),
        ("frequency,foo\n0,0\n", "", "/csv/line/1"),
        ("frequency,imag\n0,0\n1,0.1\n", "", "query:quantity"),
        ("", "", "/csv"),
        ("frequency,eps2\n" + "\n".join(f"{i},0" for i in range(10)), "?tail=maybe", "query:tail"),
    ],
)
async def test_bad_csv_is_422_naming_line_and_column(client, text, query, field):
    r = await client.post(KK + query, content=text, headers=CSV_HEADERS)
    assert_problem(r, 422, field)


async def test_csv_duplicate_frequency_names_the_column(client):
    text = "omega,eps2\n" + "\n".join(f"{min(i, 5)},0" for i in range(10))
    assert_problem(await client.post(KK, content=text, headers=CSV_HEADERS), 422, "/omega/6")


async def test_query_options_with_a_json_body_are_refused(client):
    assert_problem(await client.post(KK + "?tail=none", json=kk_body()), 422, "query:tail")


async def test_other_media_types_are_415(client):
    r = await client.post(KK, content=b"<xml/>", headers={"content-type": "application/xml"})
    assert_problem(r, 415)


async def test_too_many_points_is_413_naming_the_limit(make_client):
    async with make_client(max_kk_points=16) as c:
        pb = assert_problem(await c.post(KK, json=kk_body()), 413)
        assert pb["limit_name"] == "max_kk_points"


async def test_fig2a_passivity_lists_where_im_mu_and_im_eps_mu_are_negative(client):
    chk = (await client.post(OSC, json=fig2a())).json()["meta"]["checks"]["passive"]
    assert chk["details"]["min_im_epsilon"] >= 0
    # Im mu < 0 through the dipole-octopole line at w = 1 (allowed) ...
    assert any(iv["start"] < 1.0 < iv["stop"] for iv in chk["details"]["negative_im_mu_intervals"])
    # ... while Im(eps mu) > 0 there (eq 25), but not at w = 2.5, where eq 21 gives
    # Im(eps mu) = -0.101 for these numbers (eq 25 only examines w = w_eg).
    em = chk["details"]["negative_im_eps_mu_intervals"]
    assert not any(iv["start"] < 1.0 < iv["stop"] for iv in em)
    assert any(iv["start"] < 2.5 < iv["stop"] for iv in em)
    assert chk["verdict"] is False


async def test_csv_wavelength_column_with_unit_in_the_query(client):
    w = np.geomspace(1e13, 2e16, 6000)
    eps = 1.0 + (3e15) ** 2 / ((2e15) ** 2 - w**2 - 2j * w * 1e14)
    lam = 2 * np.pi * 299792458.0 / w * 1e9
    text = to_csv("wavelength,eps2", lam, eps.imag)
    r = await client.post(KK + "?unit=nm", content=text, headers=CSV_HEADERS)
    assert r.status_code == 200, r.text
    eps1 = np.asarray(r.json()["real_kk"])
    inner = w < 0.9 * w[-1]
    assert np.max(np.abs(eps1 - eps.real)[inner]) < 1e-3 * np.abs(eps - 1).max()


@pytest.mark.parametrize("scale", [1e-70, 1e70])
async def test_kk_is_scale_free_and_never_a_500_for_extreme_frequency_units(client, scale):
    # eqs 5-7 are invariant under w -> s w: the reconstruction must not depend on the unit's size
    w = grid(801, 10.0)
    eps = lorentz_eps(w)
    ref = (
        await client.post(KK, json=kk_body(frequencies=w.tolist(), imag=eps.imag.tolist()))
    ).json()
    r = await client.post(
        KK, json=kk_body(frequencies=(w * scale).tolist(), imag=eps.imag.tolist())
    )
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        np.testing.assert_allclose(r.json()["real_kk"], ref["real_kk"], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Conductors (issue 11, item 1): Drude + two Lorentz lines sampled from above w = 0
# ---------------------------------------------------------------------------------------------

WP, GAMMA_D = 1.0, 0.25
SIGMA_DC = WP**2 / (4 * np.pi * GAMMA_D)  # Gaussian: Im eps -> 4 pi sigma_dc / w


def conductor_eps(w: np.ndarray) -> np.ndarray:
    """eps = 1 - 1/(w (w + 0.25 i)) + 1.5/(4 - w^2 - 0.2 i w) + 4/(25 - w^2 - 0.5 i w)."""
    wc = np.asarray(w, dtype=complex)
    return (
        1.0
        - WP**2 / (wc * (wc + 1j * GAMMA_D))
        + 1.5 / (4.0 - wc**2 - 0.2j * wc)
        + 4.0 / (25.0 - wc**2 - 0.5j * wc)
    )


CONDUCTOR_GRIDS = {
    "log-from-1e-3": np.geomspace(1e-3, 100.0, 2000),
    "linear-from-0.01": np.linspace(0.01, 50.0, 5000),
}


@pytest.mark.parametrize("grid_name", sorted(CONDUCTOR_GRIDS))
@pytest.mark.parametrize("option", [{}, {"low_frequency": "drude"}, {"sigma_dc": SIGMA_DC}])
async def test_conductor_real_part_is_right_at_the_lowest_point(client, grid_name, option):
    w = CONDUCTOR_GRIDS[grid_name]
    eps = conductor_eps(w)
    body = {"quantity": "epsilon", "frequencies": w.tolist(), "imag": eps.imag.tolist(), **option}
    r = await client.post(KK, json=body)
    assert r.status_code == 200, r.text
    j = r.json()
    err = np.abs(np.asarray(j["real_kk"]) - eps.real)
    assert np.all(err <= 1e-3 * np.abs(eps).max())
    lf = j["low_frequency"]
    assert lf["model"] == "drude"
    assert lf["drude"]["sigma_dc"] == pytest.approx(SIGMA_DC, rel=1e-4)
    assert j["meta"]["units"]["sigma_dc"] == "model"


async def test_conductor_with_the_insulator_continuation_warns_with_a_big_enough_estimate(client):
    w = CONDUCTOR_GRIDS["linear-from-0.01"]
    eps = conductor_eps(w)
    body = {
        "quantity": "epsilon",
        "frequencies": w.tolist(),
        "imag": eps.imag.tolist(),
        "low_frequency": "insulator",
    }
    j = (await client.post(KK, json=body)).json()
    err0 = abs(j["real_kk"][0] - eps.real[0])
    assert err0 > 10.0  # wrong by hundreds where the answer is about -15
    assert j["real_kk_error_estimate"][0] >= err0
    chk = j["meta"]["checks"]["kk_low_edge"]
    assert chk["verdict"] is False and chk["kind"] == "indicative"
    assert chk["warning"] in j["meta"]["warnings"]


async def test_im_from_re_of_a_conductor_says_it_misses_the_dc_term_or_adds_it(client):
    w = CONDUCTOR_GRIDS["log-from-1e-3"]
    eps = conductor_eps(w)
    body = {"quantity": "epsilon", "frequencies": w.tolist(), "real": eps.real.tolist()}
    j = (await client.post(KK, json=body)).json()
    chk = j["meta"]["checks"]["dc_conductivity"]
    assert chk["verdict"] is False and chk["warning"] in j["meta"]["warnings"]
    assert abs(j["imag_kk"][0] - eps.imag[0]) > 0.5 * 4 * np.pi * SIGMA_DC / w[0]
    j2 = (await client.post(KK, json={**body, "sigma_dc": SIGMA_DC})).json()
    assert j2["meta"]["checks"]["dc_conductivity"]["verdict"] is True
    err = np.abs(np.asarray(j2["imag_kk"]) - eps.imag)
    assert np.all(err <= 1e-3 * np.abs(eps).max())


async def test_csv_takes_the_low_frequency_options_from_the_query(client):
    w = CONDUCTOR_GRIDS["log-from-1e-3"]
    eps = conductor_eps(w)
    text = to_csv("frequency,eps1", w, eps.real)
    r = await client.post(KK + f"?sigma_dc={SIGMA_DC!r}", content=text, headers=CSV_HEADERS)
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["checks"]["dc_conductivity"]["verdict"] is True


async def test_sigma_dc_for_chi_is_422(client):
    w = CONDUCTOR_GRIDS["log-from-1e-3"]
    body = {
        "quantity": "chi",
        "frequencies": w.tolist(),
        "imag": conductor_eps(w).imag.tolist(),
        "sigma_dc": 1.0,
    }
    assert_problem(await client.post(KK, json=body), 422, "/sigma_dc")
