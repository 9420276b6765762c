"""Exports: CSV with units, checks and warnings; Accept negotiation and 406; the NumPy .npz form.

Every computation endpoint is posted with a preset body (the Kramers-Kronig endpoint, which has
no preset, with a Lorentz line) and its CSV and npz answers are compared number by number with
its JSON answer: the numbers are the same floats (shortest round-trip text, complex128), so the
comparisons are to 1e-15 relative. Physics read back from the CSV (R + T + A = 1 of a lossless
stack, chi_2 = sum of its parts) shows the columns are the right quantities, not only there.
"""

from __future__ import annotations

import io
import json
import math
import threading
from typing import Any

import numpy as np
import pytest

from app import formats
from app.formats import NotAcceptable, negotiate, to_csv, to_npz
from app.pool import pack_report, unpack
from app.presets import all_presets
from core.checks import Report, Series
from tests.app.snapshot_presets import HEAVY_PRESETS, VOLATILE_META
from tests.csvutil import column, parse_csv

KK = "/v1/causality/kramers-kronig"


def _kk_body() -> dict[str, Any]:
    w = np.linspace(0.0, 10.0, 401)
    eps = 1.0 + 2.0 / (2.25 - w**2 - 0.2j * w)
    return {"quantity": "epsilon", "frequencies": w.tolist(), "imag": eps.imag.tolist()}


def _one_body_per_endpoint() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for p in all_presets().values():
        if p.name not in HEAVY_PRESETS:
            out.setdefault(p.endpoint, p.bodies[0] if p.bodies else p.body)
    out[KK] = _kk_body()
    # the one endpoint without a preset: the docs' example (the harmonic preset's moments)
    from app.openapi import _custom_emitter_examples

    (example,) = _custom_emitter_examples().values()
    out["/v1/emitters/custom/strengths"] = example["value"]
    return out


BODIES = _one_body_per_endpoint()


def assert_close(a: Any, b: Any, rtol: float = 1e-15) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    scale = np.max(np.abs(b)) if b.size else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def cplx(v: dict[str, Any]) -> np.ndarray:
    return np.asarray(v["real"], dtype=float) + 1j * np.asarray(v["imag"], dtype=float)


# --------------------------------------------------------------------------------------------
# CSV on every endpoint
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", sorted(BODIES))
async def test_every_endpoint_answers_csv_with_units_checks_and_the_json_numbers(client, endpoint):
    body = BODIES[endpoint]
    j = await client.post(endpoint, json=body)
    assert j.status_code == 200, j.text[:300]
    doc = j.json()
    meta = doc["meta"]
    r = await client.post(endpoint, params={"format": "csv"}, json=body)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/csv")
    name = f"{meta['model']}-{meta['parameter_hash'][:12]}.csv"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    comments, header, rows = parse_csv(r.text)

    # every check, with its verdict and kind, and every warning, in the # lines
    checks = {c[1]: c for c in comments if c[0] == "check" and c[1] != "name"}
    assert set(checks) == set(meta["checks"])
    for k, c in meta["checks"].items():
        verdict = {True: "true", False: "false", None: "null"}[c["verdict"]]
        assert checks[k][2:4] == [verdict, c["kind"]]
    assert [c[1] for c in comments if c[0] == "warning"] == [
        " ".join(w.split()) for w in meta["warnings"]
    ]

    if not meta["arrays"]:  # scalar answer: name,value
        assert header == ["name", "value"]
        return
    # every array is there, under its name and with its unit; numbers equal the JSON's
    assert all(len(row) == len(header) for row in rows)
    for k, info in meta["arrays"].items():
        value = doc[k]
        label = k
        if k == "frequencies" and info["axis"] is None:
            label = {"nm": "wavelength", "cm-1": "wavenumber", "eV": "photon energy"}.get(
                info["unit"], "photon energy" if info["unit"] == "hartree" else "frequency"
            )
        suffix = f" [{info['unit']}]"
        if isinstance(value, dict):  # complex: Re and Im columns
            a = cplx(value)
            if a.ndim == 1:
                assert_close(column(header, rows, f"Re {label}{suffix}"), a.real)
                assert_close(column(header, rows, f"Im {label}{suffix}"), a.imag)
            else:
                assert f"Re {label}_0{'_0' * (a.ndim - 2)}{suffix}" in header
        else:
            a = np.asarray(value, dtype=float)
            if a.ndim == 1:
                assert_close(column(header, rows, f"{label}{suffix}"), a)
            else:  # wide layout: one column per trailing index
                flat = a.reshape(a.shape[0], -1)
                for i, idx in enumerate(np.ndindex(*a.shape[1:])):
                    col = label + "".join(f"_{n}" for n in idx) + suffix
                    assert_close(column(header, rows, col), flat[:, i])
    assert len(rows) >= len(doc[next(iter(meta["arrays"]))])


async def test_csv_of_a_wavelength_grid_says_wavelength_and_conserves_energy(client):
    """The quarter-wave mirror on a nm grid: the first column is `wavelength [nm]`, and the
    lossless stack's R + T + A = 1 holds column by column (energy_s / energy_p checks)."""
    p = all_presets()["optics-quarter-wave-mirror"]
    r = await client.post(p.endpoint + "?format=csv", json=p.body)
    _, header, rows = parse_csv(r.text)
    assert header[:2] == ["wavelength [nm]", "angles [deg]"]
    assert "frequencies" not in ",".join(header)
    for pol in "sp":
        total = sum(column(header, rows, f"{q}_{pol} [1]") for q in "RTA")
        np.testing.assert_allclose(total, 1.0, atol=1e-12)


async def test_dispersion_csv_has_one_column_per_branch(client):
    """All B branches w_j(k) are columns (K rows, padded below the frequency table), equal to
    the JSON's, and every branch column carries the unit of the branches."""
    p = all_presets()["optics-fig2a-polariton-branches"]
    doc = (await client.post(p.endpoint, json=p.body)).json()
    r = await client.post(p.endpoint + "?format=csv", json=p.body)
    _, header, rows = parse_csv(r.text)
    br = doc["branches"]
    omega = cplx(br["omega"])
    assert omega.shape[1] == br["degree"]
    unit = doc["meta"]["units"]["branches.omega"]
    assert_close(
        column(header, rows, f"branches.k [{doc['meta']['units']['branches.k']}]"), br["k"]
    )
    for j in range(br["degree"]):
        assert_close(column(header, rows, f"Re branches.omega_{j} [{unit}]"), omega[:, j].real)
        assert_close(column(header, rows, f"Im branches.omega_{j} [{unit}]"), omega[:, j].imag)
    assert len(rows) == max(len(doc["frequencies"]), len(br["k"]))


async def test_berry_csv_has_the_curvature_map_and_the_chern_numbers(client):
    """The Chern insulator preset: the map (kx, ky, curvature per band) and, as # result lines,
    the integer Chern numbers; curvature of the two bands is opposite (they sum to zero, the
    trace of the Berry curvature over a complete set of bands)."""
    p = all_presets()["haldane-chern-berry"]
    doc = (await client.post(p.endpoint, json=p.body)).json()
    r = await client.post(p.endpoint + "?format=csv", json=p.body)
    comments, header, rows = parse_csv(r.text)
    unit = doc["meta"]["arrays"]["curvature"]["unit"]
    c0 = column(header, rows, f"curvature_0 [{unit}]")
    c1 = column(header, rows, f"curvature_1 [{unit}]")
    assert_close(c0, np.asarray(doc["curvature"])[:, 0])
    np.testing.assert_allclose(c0 + c1, 0.0, atol=1e-9 * np.max(np.abs(c0)) + 1e-12)
    results = {c[1]: c[2] for c in comments if c[0] == "result"}
    assert int(results["chern_occupied"]) == doc["chern_occupied"]
    assert [int(results[f"chern_per_band_{i}"]) for i in range(2)] == doc["chern_per_band"]
    assert doc["chern_occupied"] != 0  # the Chern phase: the map is not trivially zero


async def test_orbital_susceptibility_csv_is_name_value_and_its_parts_add_up(client):
    """Scalars only: a name,value CSV whose names carry the unit; chi_2 is the sum of its
    parts by operator content (eqs 83-84), read back from the CSV."""
    p = all_presets()["haldane-hbn-susceptibility"]
    doc = (await client.post(p.endpoint, json=p.body)).json()
    r = await client.post(p.endpoint, params={"format": "csv"}, json=p.body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    comments, header, rows = parse_csv(r.text)
    assert header == ["name", "value"]
    values = {k.split(" [", 1)[0]: float(v) for k, v in rows if v not in ("null", "true", "false")}
    names = {k.split(" [", 1)[0]: k for k, _ in rows}
    unit = doc["meta"]["units"]["chi"]
    assert names["chi_2.total"] == f"chi_2.total [{unit}]"
    assert values["chi_2.total"] == doc["chi_2"]["total"]
    parts = sum(v for k, v in values.items() if k.startswith("chi_2.parts."))
    assert parts == pytest.approx(values["chi_2.total"], rel=1e-12)
    assert values["si.chi_2"] == doc["si"]["chi_2"]
    assert names["si.chi_2"].endswith(f"[{doc['si']['unit']}]")
    assert any(c[0] == "check" and c[1] == "grid_convergence" for c in comments)


def test_csv_of_non_finite_entries_writes_nan_and_the_finite_check_says_so():
    """A report with a NaN: the entry is `nan` (JSON null), and the failed finite_values check
    and its warning are in the # lines."""
    rep = Report(
        model="m",
        version="1",
        arrays={
            "frequencies": Series(np.array([1.0, 2.0, 3.0]), "frequency", "THz"),
            "eps": Series(np.array([1 + 1j, np.nan, 2 - 0j]), "eps", "1", "frequencies"),
        },
    )
    meta_b, data_b = unpack(pack_report(rep)).split(b"\n", 1)
    meta = json.loads(meta_b)
    text, mtype = formats.encode("csv", meta, data_b)
    assert mtype.startswith("text/csv")
    comments, header, rows = parse_csv(str(text))
    assert header == ["frequency [THz]", "Re eps [1]", "Im eps [1]"]
    assert rows[1][1:] == ["nan", "0.0"] and rows[0] == ["1.0", "1.0", "1.0"]
    assert ["check", "finite_values", "false", "bound", "1.0"] in comments
    assert any(c[0] == "warning" and "not finite" in c[1] for c in comments)


def test_csv_pads_a_shorter_table_and_keeps_records_out():
    meta = {"arrays": {"x": {"quantity": "x", "unit": "s", "axis": None}}, "units": {"k": "m"}}
    data = {
        "x": [0.0, 1.0, 2.0],
        "k": [5.0, 6.0],
        "w": [[1.0, 2.0], [3.0, 4.0]],
        "records": [{"a": 1}],
        "g": 0.5,
    }
    _, header, rows = parse_csv(to_csv(data, meta))
    # k is 1-D and of another length, but w (2-D, same length) makes the pair a table
    assert header == ["x [s]", "k [m]", "w_0", "w_1"]
    assert rows == [["0.0", "5.0", "1.0", "2.0"], ["1.0", "6.0", "3.0", "4.0"], ["2.0", "", "", ""]]


# --------------------------------------------------------------------------------------------
# Content negotiation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, "json"),
        ("", "json"),
        ("*/*", "json"),
        ("application/json", "json"),
        ("text/csv", "csv"),
        ("text/csv; charset=utf-8", "csv"),
        ("text/*", "csv"),
        ("application/x-npz", "npz"),
        ("text/csv;q=0.5, application/json", "json"),
        ("application/json;q=0.2, text/csv;q=0.9", "csv"),
        ("application/x-npz, text/csv", "npz"),  # equal quality: the client's first
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "json"),  # browser
        ("*/*, application/json;q=0", "csv"),  # json refused explicitly
    ],
)
def test_negotiate_picks_the_best_acceptable_format(accept, fmt):
    assert negotiate(accept, ("json", "csv", "npz")) == fmt


@pytest.mark.parametrize("accept", ["application/xml", "text/csv;q=0", "image/png", "text/html"])
def test_negotiate_refuses_what_is_not_offered(accept):
    with pytest.raises(NotAcceptable):
        negotiate(accept, ("json", "csv", "npz"))


async def test_accept_text_csv_gives_the_csv_and_the_query_wins(client):
    body = BODIES["/v1/oscillator/response"]
    url = "/v1/oscillator/response"
    by_query = await client.post(url, params={"format": "csv"}, json=body)
    by_accept = await client.post(url, json=body, headers={"accept": "text/csv"})
    assert by_accept.status_code == 200 and by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_query.text
    assert by_accept.headers["etag"] == by_query.headers["etag"]
    assert "accept" in by_accept.headers["vary"].lower()
    wins = await client.post(
        url, params={"format": "json"}, json=body, headers={"accept": "text/csv"}
    )
    assert wins.headers["content-type"].startswith("application/json")
    assert "content-disposition" not in wins.headers
    npz = await client.post(url, json=body, headers={"accept": "application/x-npz"})
    assert npz.headers["content-type"] == "application/x-npz"
    assert npz.headers["content-disposition"].endswith('.npz"')
    # one ETag per representation; a CSV ETag matches the CSV only (a POST whose If-None-Match
    # matches is 412, RFC 9110 13.1.2)
    tags = {by_query.headers["etag"], wins.headers["etag"], npz.headers["etag"]}
    assert len(tags) == 3
    hit = await client.post(
        url, json=body, headers={"accept": "text/csv", "if-none-match": by_query.headers["etag"]}
    )
    assert hit.status_code == 412
    miss = await client.post(url, json=body, headers={"if-none-match": by_query.headers["etag"]})
    assert miss.status_code == 200 and miss.headers["content-type"].startswith("application/json")


async def test_an_unacceptable_accept_is_406_naming_the_formats_before_any_work(client):
    url = "/v1/optics/dispersion"
    before = client.app.state.service.computations
    r = await client.post(url, json=BODIES[url], headers={"accept": "application/xml"})
    assert r.status_code == 406
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["status"] == 406 and "application/xml" in p["detail"]
    assert set(p["formats"]) >= {"json", "csv", "npz"}
    assert set(p["media_types"]) >= {"application/json", "text/csv", "application/x-npz"}
    assert "text/csv" in p["errors"][0]["fix"]
    assert client.app.state.service.computations == before


# --------------------------------------------------------------------------------------------
# NPZ
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    ["/v1/oscillator/response", "/v1/optics/dispersion", "/v1/crystal/berry", KK],
)
async def test_npz_round_trip_equals_the_json_answer(client, endpoint):
    body = BODIES[endpoint]
    doc = (await client.post(endpoint, json=body)).json()
    r = await client.post(endpoint, params={"format": "npz"}, json=body)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-npz"
    z = np.load(io.BytesIO(r.content))  # no allow_pickle needed: nothing is an object array
    meta = json.loads(str(z["meta"]))
    for k in VOLATILE_META:
        meta.pop(k, None)
        doc["meta"].pop(k, None)
    assert meta == doc["meta"]
    for k in doc["meta"]["arrays"]:
        v = doc[k]
        if isinstance(v, dict):
            assert z[k].dtype == np.complex128
            assert_close(z[k], cplx(v))
        else:
            assert_close(z[k].astype(float), np.asarray(v, dtype=float))
    rest = json.loads(str(z["results"]))
    if endpoint == "/v1/optics/dispersion":
        br = doc["branches"]
        assert z["branches.omega"].shape == (len(br["k"]), br["degree"])
        assert_close(z["branches.omega"], cplx(br["omega"]))
        assert rest["branches"]["degree"] == br["degree"]
    if endpoint == "/v1/crystal/berry":
        assert z["metric"].shape == np.asarray(doc["metric"]).shape
        assert rest["chern_occupied"] == doc["chern_occupied"]


def test_npz_keeps_nan_and_bool_and_leaves_records_in_json():
    meta = {"arrays": {}, "checks": {}}
    data = {
        "a": [1.0, None, 3.0],
        "b": [True, False],
        "c": {"real": [1.0], "imag": [2.0]},
        "rec": [{"x": 1}],
        "s": "text",
    }
    z = np.load(io.BytesIO(to_npz(meta, data)))
    assert math.isnan(z["a"][1]) and z["a"][2] == 3.0
    assert z["b"].dtype == np.bool_ and z["c"][0] == 1 + 2j
    assert json.loads(str(z["results"])) == {"rec": [{"x": 1}], "s": "text"}


# --------------------------------------------------------------------------------------------
# Off the event loop
# --------------------------------------------------------------------------------------------


async def test_encoding_runs_in_a_worker_thread(client, monkeypatch):
    seen: list[int] = []
    original = formats.ENCODERS["csv"]

    def spy(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
        seen.append(threading.get_ident())
        return original(meta, data)

    monkeypatch.setitem(formats.ENCODERS, "csv", spy)
    url = "/v1/oscillator/response"
    r = await client.post(url, params={"format": "csv"}, json=BODIES[url])
    assert r.status_code == 200
    assert seen and seen[0] != threading.get_ident()


async def test_a_repeated_download_is_served_from_the_representation_cache(client, monkeypatch):
    calls: list[str] = []
    original = formats.ENCODERS["npz"]

    def spy(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
        calls.append("npz")
        return original(meta, data)

    monkeypatch.setitem(formats.ENCODERS, "npz", spy)
    url = "/v1/oscillator/response"
    first = await client.post(url, params={"format": "npz"}, json=BODIES[url])
    second = await client.post(url, params={"format": "npz"}, json=BODIES[url])
    assert second.headers["x-cache"] == "hit" and second.content == first.content
    assert second.headers["content-type"] == "application/x-npz"
    assert calls == ["npz"]  # encoded once
    # the stored meta has no per-request fields, so the cached bytes never lie about them
    meta = json.loads(str(np.load(io.BytesIO(second.content))["meta"]))
    assert "cache" not in meta and "elapsed_ms" not in meta
    assert meta["parameter_hash"].startswith(first.headers["content-disposition"][-17:-5])


def test_malformed_q_values_are_ignored_not_nan() -> None:
    """RFC 9110: a malformed qvalue is ignored (the range keeps q = 1), never compared as NaN
    nor turned into a veto (q = 0)."""
    assert negotiate("text/csv;q=nan, application/json;q=0.5") == "csv"
    assert negotiate("text/csv;;;q") == "csv"
    assert negotiate("application/json;q=0.5, text/csv;q=inf") == "csv"
    assert negotiate("text/csv;q=0.2, application/json;q=nan") == "json"
