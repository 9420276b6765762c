"""HTTP layer of /v1/oscillator/response: caching, ETag, canonical keys, units, problem+json."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import numpy as np
import pytest

from app.presets import all_presets
from tests.conftest import assert_problem
from tests.csvutil import column, parse_csv

URL = "/v1/oscillator/response"


def fig2a() -> dict[str, Any]:
    return copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)


def c(a: dict[str, list[float]]) -> np.ndarray:
    return np.asarray(a["real"]) + 1j * np.asarray(a["imag"])


async def test_second_identical_request_is_a_cache_hit_with_same_etag(client):
    r1 = await client.post(URL, json=fig2a())
    r2 = await client.post(URL, json=fig2a())
    assert r1.status_code == r2.status_code == 200
    assert (r1.headers["x-cache"], r2.headers["x-cache"]) == ("miss", "hit")
    assert r1.json()["meta"]["cache"] == "miss" and r2.json()["meta"]["cache"] == "hit"
    assert r1.headers["etag"] == r2.headers["etag"]
    assert r1.json()["epsilon"] == r2.json()["epsilon"]


async def test_if_none_match_on_post_follows_rfc9110_412_without_computing(client):
    # RFC 9110 13.1.2: a false If-None-Match condition on a method other than GET/HEAD is 412
    r1 = await client.post(URL, json=fig2a())
    svc = client.app.state.service
    before = svc.computations
    r2 = await client.post(URL, json=fig2a(), headers={"If-None-Match": r1.headers["etag"]})
    assert_problem(r2, 412, "header:If-None-Match")
    assert r2.headers["etag"] == r1.headers["etag"]
    weak = await client.post(URL, json=fig2a(), headers={"If-None-Match": "W/" + r1.headers["etag"]})
    assert weak.status_code == 412
    assert svc.computations == before
    r3 = await client.post(URL, json=fig2a(), headers={"If-None-Match": '"other"'})
    assert r3.status_code == 200


async def test_if_none_match_star_is_412_only_when_the_answer_exists(client):
    body = fig2a()
    body["frequencies"]["num"] = 37  # never computed before in this app
    svc = client.app.state.service
    first = await client.post(URL, json=body, headers={"If-None-Match": "*"})
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    assert svc.computations == 1
    again = await client.post(URL, json=body, headers={"If-None-Match": "*"})
    assert_problem(again, 412, "header:If-None-Match")
    assert svc.computations == 1


async def test_bodies_one_ulp_apart_get_their_own_answers_and_etags(client):
    import math

    body = fig2a()
    other = fig2a()
    w = other["transitions"][0]["omega"]
    other["transitions"][0]["omega"] = math.nextafter(w, math.inf)
    a = await client.post(URL, json=body)
    b = await client.post(URL, json=other)
    assert (a.headers["x-cache"], b.headers["x-cache"]) == ("miss", "miss")
    assert a.headers["etag"] != b.headers["etag"]
    assert a.json()["meta"]["parameter_hash"] != b.json()["meta"]["parameter_hash"]


async def test_key_ignores_field_order_and_int_vs_float(client):
    body = fig2a()
    shuffled = {k: body[k] for k in reversed(list(body))}
    shuffled["transitions"] = [dict(reversed(list(t.items()))) for t in body["transitions"]]
    as_ints = {**body, "frequencies": {"start": 0, "stop": 4, "num": 801, "unit": "model"}}
    r1 = await client.post(URL, json=body)
    r2 = await client.post(URL, json=shuffled)
    r3 = await client.post(URL, json=as_ints)
    assert r1.headers["x-cache"] == "miss"
    assert r2.headers["x-cache"] == "hit" and r3.headers["x-cache"] == "hit"
    assert len({r.json()["meta"]["parameter_hash"] for r in (r1, r2, r3)}) == 1


async def test_same_physics_in_different_units_gives_same_numbers(client):
    # One medium in THz; the same grid given in THz, in Hz, in eV and as vacuum wavelengths.
    medium = {
        "unit": "THz",
        "transitions": [
            {"omega": 100.0, "gamma": 2.0, "e_dip": 5000.0, "dip_oct": 0.1},
            {"omega": 300.0, "gamma": 3.0, "quad": 0.01, "dia": 900.0 * 0.09},
        ],
    }
    f_thz = np.linspace(50.0, 400.0, 71)
    grids = {
        "THz": f_thz,
        "Hz": f_thz * 1e12,
        "eV": f_thz * 1e12 * 2 * np.pi * 6.582119569509066e-16,
        "nm": 2 * np.pi * 299792458.0 / (f_thz * 1e12 * 2 * np.pi) * 1e9,
    }
    out = {}
    for unit, pts in grids.items():
        r = await client.post(
            URL, json={**medium, "frequencies": {"values": pts.tolist(), "unit": unit}}
        )
        assert r.status_code == 200, r.text
        out[unit] = r.json()
        assert np.allclose(out[unit]["frequencies"], pts, rtol=1e-15)  # echoed in its own unit
    for unit in ("Hz", "eV", "nm"):
        for q in ("epsilon", "mu", "refractive_index"):
            np.testing.assert_allclose(c(out[unit][q]), c(out["THz"][q]), rtol=1e-9)


async def test_same_medium_in_scaled_units_gives_same_eps(client):
    # Strengths scale as [w]^2 (e_dip, m_dip, dia) or not at all (quad, dip_oct): eq 21.
    thz = {
        "omega": 100.0,
        "gamma": 2.0,
        "e_dip": 5000.0,
        "m_dip": 30.0,
        "quad": 0.01,
        "dip_oct": 0.2,
        "dia": 70.0,
    }
    s = 2 * np.pi * 1e12  # rad/s per THz
    rad = {
        k: (v * s**2 if k in ("e_dip", "m_dip", "dia") else v * s if k in ("omega", "gamma") else v)
        for k, v in thz.items()
    }
    grid = {"start": 10.0, "stop": 300.0, "num": 51, "unit": "THz"}
    r1 = await client.post(URL, json={"unit": "THz", "transitions": [thz], "frequencies": grid})
    r2 = await client.post(URL, json={"unit": "rad/s", "transitions": [rad], "frequencies": grid})
    for q in ("epsilon", "inverse_mu"):
        np.testing.assert_allclose(c(r2.json()[q]), c(r1.json()[q]), rtol=1e-10)
    assert r1.json()["meta"]["checks"]["static_limits"]["details"]["mu_static"] == pytest.approx(
        r2.json()["meta"]["checks"]["static_limits"]["details"]["mu_static"], rel=1e-12
    )


async def test_csv_has_header_and_the_json_numbers(client):
    rj = (await client.post(URL, json=fig2a())).json()
    rc = await client.post(URL + "?format=csv", json=fig2a())
    assert rc.status_code == 200 and rc.headers["content-type"].startswith("text/csv")
    _, header, rows = parse_csv(rc.text)
    assert header[:3] == ["frequency [model]", "Re epsilon [1]", "Im epsilon [1]"]
    assert len(rows) == 801 and all(len(r) == len(header) for r in rows)
    # the same numbers as JSON (repr round trip: equal to rounding)
    np.testing.assert_allclose(column(header, rows, "Im mu [1]"), rj["mu"]["imag"], rtol=1e-15)
    np.testing.assert_allclose(
        column(header, rows, "reflectance [1]"), rj["reflectance"], rtol=1e-15
    )


async def test_nonlocal_permittivity_only_with_k(client):
    r = (await client.post(URL, json=fig2a())).json()
    assert r.get("epsilon_nonlocal") is None
    body = {**fig2a(), "k": 0.5, "frequencies": {"values": [0.5, 1.5, 2.5]}}
    r = (await client.post(URL, json=body)).json()
    w = np.array([0.5, 1.5, 2.5])
    expect = c(r["epsilon"]) + (0.25 / w**2) * (1 - c(r["inverse_mu"]))
    np.testing.assert_allclose(c(r["epsilon_nonlocal"]), expect, rtol=1e-14)


async def test_concurrent_identical_misses_compute_once(client):
    body = {**fig2a(), "frequencies": {"start": 0.0, "stop": 40.0, "num": 20_000}}
    svc = client.app.state.service
    before = svc.computations
    rs = await asyncio.gather(*(client.post(URL, json=body) for _ in range(6)))
    assert all(r.status_code == 200 for r in rs)
    assert svc.computations - before == 1
    assert len({r.json()["meta"]["parameter_hash"] for r in rs}) == 1


# ------------------------------------------------------------------ bad input -> problem+json


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["transitions"][0].update(omega=-1.0), "/transitions/0/omega"),
        (lambda b: b["transitions"][1].update(gamma=-0.1), "/transitions/1/gamma"),
        (lambda b: b.update(transitions=[]), "/transitions"),
        (lambda b: b.update(frequencies={"values": [-1.0, 2.0]}), "/frequencies"),
        (lambda b: b.update(frequencies={"start": 0, "stop": 1}), "/frequencies"),
        (
            lambda b: b.update(frequencies={"values": [1.0], "unit": "furlongs"}),
            "/frequencies/unit",
        ),
        (lambda b: b["transitions"][0].update(colour="red"), "/transitions/0/colour"),
        (lambda b: b.update(unit="nm"), "/unit"),
        (lambda b: b.update(k=-1.0), "/k"),
        (lambda b: b.update(frequencies={"values": [1.0], "unit": "THz"}), "/frequencies/unit"),
    ],
)
async def test_bad_input_is_422_naming_the_field(client, mutate, field):
    body = fig2a()
    body["transitions"] = [dict(t) for t in body["transitions"]]
    mutate(body)
    body_pb = assert_problem(await client.post(URL, json=body), 422, field)
    assert all(e["message"] for e in body_pb["errors"])


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_are_422(client, token):
    raw = f'{{"transitions": [{{"omega": 1.0, "gamma": {token}}}], "frequencies": {{"values": [1.0]}}}}'
    r = await client.post(URL, content=raw, headers={"content-type": "application/json"})
    assert_problem(r, 422, "/transitions/0/gamma")


async def test_malformed_json_is_422(client):
    r = await client.post(
        URL, content=b'{"transitions": [', headers={"content-type": "application/json"}
    )
    assert_problem(r, 422)


async def test_lossless_pole_on_grid_is_422_that_says_so(client):
    body = {
        "transitions": [{"omega": 1.0, "gamma": 0.0, "e_dip": 1.0}],
        "frequencies": {"values": [0.5, 1.0]},
    }
    pb = assert_problem(await client.post(URL, json=body), 422, "/frequencies")
    assert "pole" in pb["detail"] and pb["type"].endswith("pole-on-grid")
    body["frequencies"] = {"values": [0.5, 1.0 + 1e-6]}
    assert (await client.post(URL, json=body)).status_code == 200


async def test_grid_over_limit_is_413_naming_the_limit(make_client):
    async with make_client(max_grid_points=100) as cl:
        body = {**fig2a(), "frequencies": {"start": 0, "stop": 1, "num": 101}}
        pb = assert_problem(await cl.post(URL, json=body), 413, "/frequencies/num")
        assert (
            pb["limit_name"] == "max_grid_points" and pb["limit"] == 100 and pb["requested"] == 101
        )


async def test_default_grid_limit_is_200000(client):
    body = {**fig2a(), "frequencies": {"start": 0, "stop": 1, "num": 200_001}}
    pb = assert_problem(await client.post(URL, json=body), 413)
    assert pb["limit"] == 200_000


async def test_too_many_transitions_is_413(make_client):
    async with make_client(max_transitions=2) as cl:
        pb = assert_problem(await cl.post(URL, json=fig2a()), 413, "/transitions")
        assert pb["limit_name"] == "max_transitions"


async def test_oversized_body_is_413(make_client):
    async with make_client(max_body_bytes=2048) as cl:
        body = {**fig2a(), "frequencies": {"values": [float(i) for i in range(1000)]}}
        pb = assert_problem(await cl.post(URL, json=body), 413)
        assert pb["limit_name"] == "max_body_bytes"


async def test_404_and_405_are_problem_json(client):
    assert_problem(await client.get("/v1/nothing-here"), 404)
    assert_problem(await client.get(URL), 405)
    assert_problem(await client.get("/v1/presets/no-such-preset"), 404)


async def test_computation_over_time_limit_is_503_problem(make_client):
    async with make_client(compute_timeout_s=0.001) as cl:
        body = {**fig2a(), "frequencies": {"start": 0.0, "stop": 50.0, "num": 200_000}}
        pb = assert_problem(await cl.post(URL, json=body), 503)
        assert pb["limit_name"] == "compute_timeout_s"


# ------------------------------------------------------------------ derived optics, units


async def test_absorption_coefficient_is_2_w_im_n_over_c_in_inverse_metres(client):
    # THz medium: alpha [1/m] = 2 (2 pi f) Im n / c with c = 299 792 458 m/s (literal, not the
    # code's constant); in model units alpha = 2 w Im n (c = 1).
    med = {"unit": "THz", "transitions": [{"omega": 100.0, "gamma": 3.0, "e_dip": 4000.0}]}
    f = np.array([50.0, 100.0, 150.0])
    r = (
        await client.post(URL, json={**med, "frequencies": {"values": f.tolist(), "unit": "THz"}})
    ).json()
    n = c(r["refractive_index"])
    expect = 2 * (2 * np.pi * f * 1e12) * n.imag / 299_792_458.0
    np.testing.assert_allclose(r["absorption_coefficient"], expect, rtol=1e-12)
    assert r["meta"]["units"]["absorption_coefficient"] == "1/m"
    rm = (await client.post(URL, json=fig2a())).json()
    w = np.asarray(rm["frequencies"])
    np.testing.assert_allclose(
        rm["absorption_coefficient"], 2 * w * c(rm["refractive_index"]).imag, rtol=1e-14
    )


async def test_nonmagnetic_reflectance_is_the_fresnel_index_formula(client):
    # mu = 1: R = |(n - 1)/(n + 1)|^2 with n = sqrt(eps), Im n >= 0, written out independently.
    body = {
        "transitions": [{"omega": 1.0, "gamma": 0.05, "e_dip": 3.0}],
        "frequencies": {"start": 0.1, "stop": 3.0, "num": 59},
    }
    r = (await client.post(URL, json=body)).json()
    eps = c(r["epsilon"])
    n = np.sqrt(eps)
    n = np.where(n.imag < 0, -n, n)
    np.testing.assert_allclose(c(r["refractive_index"]), n, rtol=1e-13)
    np.testing.assert_allclose(
        r["reflectance"], np.abs((n - 1) / (n + 1)) ** 2, rtol=1e-12, atol=1e-15
    )
    assert np.all(c(r["refractive_index"]).imag >= 0)


async def test_lossless_left_handed_band_has_negative_index_and_positive_impedance(client):
    # gamma = 0, Delta_edip = 1, Delta_dipoct = 0.5 at w_eg = 1. At w = 1.2 (eq 21):
    # eps = 1 + 1/(1 - 1.44) < 0 and 1/mu = 1 + 0.5 * 1.44/(1 - 1.44) < 0: a lossless
    # left-handed medium. Im n = 0, so the branch is fixed by Re(n/mu) > 0: n = -sqrt(eps mu).
    body = {
        "transitions": [{"omega": 1.0, "gamma": 0.0, "e_dip": 1.0, "dip_oct": 0.5}],
        "frequencies": {"values": [1.2]},
    }
    r = (await client.post(URL, json=body)).json()
    eps = 1 + 1 / (1 - 1.44)
    mu = 1 / (1 + 0.5 * 1.44 / (1 - 1.44))
    assert eps < 0 and mu < 0
    n = c(r["refractive_index"])[0]
    assert n.imag == 0.0
    assert n.real == pytest.approx(-np.sqrt(eps * mu), rel=1e-13)
    z = c(r["impedance"])[0]
    assert z.real == pytest.approx(np.sqrt(mu / eps), rel=1e-13) and z.real > 0
    assert r["reflectance"][0] == pytest.approx(((z.real - 1) / (z.real + 1)) ** 2, rel=1e-12)


async def test_nonlocal_permittivity_in_physical_units_uses_c_k_over_w(client):
    # k in 1/m with a THz medium: eps' = eps + (c k / w)^2 (1 - 1/mu), w in rad/s.
    med = {
        "unit": "THz",
        "transitions": [
            {
                "omega": 100.0,
                "gamma": 3.0,
                "e_dip": 4000.0,
                "dip_oct": 0.05,
                "quad": 0.01,
                "dia": 100.0,
            }
        ],
    }
    f = np.array([60.0, 120.0])
    k = 1.5e6
    r = (
        await client.post(
            URL, json={**med, "k": k, "frequencies": {"values": f.tolist(), "unit": "THz"}}
        )
    ).json()
    w = 2 * np.pi * f * 1e12
    expect = c(r["epsilon"]) + (299_792_458.0 * k / w) ** 2 * (1 - c(r["inverse_mu"]))
    np.testing.assert_allclose(c(r["epsilon_nonlocal"]), expect, rtol=1e-12)
