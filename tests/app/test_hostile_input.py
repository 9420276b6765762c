"""Hostile and broken requests get a 4xx problem that names the input, never a 5xx (issue 12).

The envelope: every 4xx is ``application/problem+json`` with ``errors[]`` and at least one entry
with a ``field`` (a JSON pointer, ``header:<Name>`` or ``query:<name>``; ``""`` for the body or the
request as a whole), never a byte offset posing as a pointer. Bodies that cannot be read are 400
(not UTF-8, nested too deep) or 422 (malformed JSON with line and column; an integer with more
digits than Python converts, naming its field). Bodies over ``max_body_bytes`` are 413 however
they are sent, before the app runs; a body of a media type the operation does not accept is 415.
Numeric faults that escape core are 422, logged at warning level without a traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import numpy as np
import pytest
import scipy.linalg

from app import computations
from app.limits import (
    BodySizeLimit,
    ContentTypeGuard,
    check_array_limits,
    list_fields,
)
from app.main import create_app
from app.presets import all_presets
from app.schemas.crystal import BandsRequest
from app.settings import Settings
from core.errors import LimitExceeded
from tests.conftest import assert_problem

URL = "/v1/oscillator/response"
KK = "/v1/causality/kramers-kronig"
JSON = {"content-type": "application/json"}


def fig2a() -> dict[str, Any]:
    return copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)


@asynccontextmanager
async def guarded_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``create_app`` (thread backend, in-process cache) with both request guards."""
    overrides.setdefault("redis_url", None)
    overrides.setdefault("compute_backend", "thread")
    app = create_app(Settings(**overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


def only_field(pb: dict[str, Any]) -> str:
    fields = [e["field"] for e in pb["errors"]]
    assert len(fields) == 1, fields
    return fields[0]


# -- the guards are installed ------------------------------------------------------------------


def test_create_app_installs_both_request_guards():
    app = create_app(Settings(redis_url=None, compute_backend="thread"))
    classes = [m.cls for m in app.user_middleware]
    assert BodySizeLimit in classes and ContentTypeGuard in classes
    # the size limit is the outer one (judged first): user_middleware lists outermost first
    assert classes.index(BodySizeLimit) < classes.index(ContentTypeGuard)


# -- bodies that cannot be read ----------------------------------------------------------------


async def test_a_body_that_is_not_utf8_is_400_with_line_and_column():
    async with guarded_client() as c:
        raw = b'{"transitions": [{"omega": 1.0}],\n "unit": "mod\xffel"}'
        pb = assert_problem(await c.post(URL, content=raw, headers=JSON), 400)
    assert only_field(pb) == ""
    assert "UTF-8" in pb["detail"] and "line 2, column 14" in pb["detail"]


async def test_very_deep_nesting_is_400_not_a_crash():
    async with guarded_client() as c:
        for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
            pb = assert_problem(await c.post(URL, content=raw, headers=JSON), 400)
            assert only_field(pb) == "" and "nests deeper" in pb["detail"]


async def test_an_integer_of_5000_digits_is_422_naming_its_field():
    async with guarded_client() as c:
        body = fig2a()
        raw = (
            '{"transitions": [{"omega": 1.0}, {"omega": ' + "7" * 5000 + "}], "
            '"frequencies": {"values": [1.0]}}'
        ).encode()
        pb = assert_problem(await c.post(URL, content=raw, headers=JSON), 422)
        assert only_field(pb) == "/transitions/1/omega"
        assert "5000 digits" in pb["errors"][0]["message"]
        # an ordinary large number is a plain validation error of that field
        body["transitions"][0]["omega"] = 10**400
        assert_problem(await c.post(URL, json=body), 422, "/transitions/0/omega")


async def test_malformed_json_names_line_and_column_never_a_byte_offset():
    async with guarded_client() as c:
        raw = b'{"transitions": [{"omega": 1.0}],\n  "frequencies": {"values": [1.0,,]}}'
        pb = assert_problem(await c.post(URL, content=raw, headers=JSON), 422)
    assert only_field(pb) == ""  # the whole body: a pointer /NN would name no field
    assert "line 2, column" in pb["errors"][0]["message"]


# -- size ----------------------------------------------------------------------------------------


async def test_a_chunked_body_over_the_limit_is_413_before_the_app_runs():
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b" " * 1024

    async with guarded_client(max_body_bytes=4096) as c:
        svc = c.app.state.service
        r = await c.post(URL, content=chunks(), headers=JSON)  # no Content-Length: chunked
        pb = assert_problem(r, 413, "")
        assert pb["limit_name"] == "max_body_bytes" and pb["limit"] == 4096
        assert 4096 < pb["requested"] <= 4096 + 1024  # refused as the count passed the limit
        assert svc.computations == 0


async def test_a_declared_length_over_the_limit_is_413_naming_the_header():
    async with guarded_client(max_body_bytes=2048) as c:
        body = fig2a()
        body["frequencies"] = {"values": [0.001 * i for i in range(1, 400)]}
        pb = assert_problem(await c.post(URL, json=body), 413, "header:Content-Length")
        assert pb["limit_name"] == "max_body_bytes"


async def test_a_body_within_the_limit_is_computed_as_usual():
    async with guarded_client(max_body_bytes=64 * 1024) as c:
        r = await c.post(URL, json=fig2a())
        assert r.status_code == 200, r.text


# -- content type --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ctype", ["application/xml", "text/plain", "application/x-www-form-urlencoded", None]
)
async def test_a_json_operation_refuses_other_media_types_with_415(ctype):
    import json

    headers = {} if ctype is None else {"content-type": ctype}
    async with guarded_client() as c:
        r = await c.post(URL, content=json.dumps(fig2a()).encode(), headers=headers)
        pb = assert_problem(r, 415, "header:Content-Type")
    assert r.headers["accept-post"] == "application/json"
    assert pb["media_types"] == ["application/json"]


async def test_json_with_a_suffix_or_charset_is_json():
    async with guarded_client() as c:
        for ctype in ("application/json; charset=utf-8", "application/merge-patch+json"):
            r = await c.post(URL, json=fig2a(), headers={"content-type": ctype})
            assert r.status_code == 200, (ctype, r.text)


async def test_kramers_kronig_accepts_json_and_csv_and_refuses_the_rest():
    text = "frequency,eps2\n" + "".join(f"{0.1 * i},{0.01 * i}\n" for i in range(12))
    async with guarded_client() as c:
        r = await c.post(
            KK + "?quantity=epsilon", content=text, headers={"content-type": "text/csv"}
        )
        assert r.status_code == 200, r.text
        r = await c.post(KK, content=b"<x/>", headers={"content-type": "application/xml"})
        pb = assert_problem(r, 415, "header:Content-Type")
        assert "text/csv" in pb["media_types"] and "application/json" in pb["media_types"]


# -- every 4xx names a field ---------------------------------------------------------------------


async def test_404_and_405_carry_errors_with_a_field():
    async with guarded_client() as c:
        for r, status in ((await c.get("/v1/nowhere"), 404), (await c.get(URL), 405)):
            pb = assert_problem(r, status, "")
            assert pb["errors"][0]["message"] and pb["errors"][0]["fix"]


async def test_a_limit_with_a_huge_requested_count_still_serialises():
    """n_max = 2^64 is over max_emitter_n_max: 413 whose `requested` is a JSON number."""
    async with guarded_client() as c:
        (preset,) = [p for p in all_presets().values() if p.endpoint.endswith("box/strengths")][:1]
        body = {**copy.deepcopy(preset.body), "n_max": 2**64}
        pb = assert_problem(await c.post("/v1/emitters/box/strengths", json=body), 413)
        assert pb["limit_name"] == "max_emitter_n_max" and pb["requested"] > 1e19


# -- numeric faults that escape core -------------------------------------------------------------


def _fault(exc_factory: Any) -> Any:
    def run(body: Any, settings: Any) -> Any:
        exc_factory()

    return run


def _scipy_on_nan() -> None:
    scipy.linalg.eigh(np.array([[np.nan, 0.0], [0.0, 1.0]]))


def _numba_zero_division() -> None:
    raise SystemError("<numba kernel> returned a result with an exception set")


def _overflow() -> None:
    raise FloatingPointError("overflow encountered in multiply")


def _singular() -> None:
    np.linalg.inv(np.zeros((2, 2)))


@pytest.mark.parametrize("fault", [_scipy_on_nan, _numba_zero_division, _overflow, _singular])
async def test_a_numeric_fault_is_422_logged_without_traceback(monkeypatch, caplog, fault):
    comp = computations.get("oscillator-response")
    monkeypatch.setitem(
        computations.REGISTRY, comp.name, dataclasses.replace(comp, run=_fault(fault))
    )
    body = fig2a()
    body["frequencies"]["num"] = 17  # a key no other test computed
    caplog.set_level(logging.WARNING, logger="app.errors")
    async with guarded_client() as c:
        pb = assert_problem(await c.post(URL, json=body), 422, "")
    assert pb["type"].endswith("numerical-range")
    records = [r for r in caplog.records if r.name == "app.errors"]
    assert records and all(r.levelno == logging.WARNING for r in records)
    assert all(r.exc_info is None for r in records)  # no traceback in the log
    assert any(URL in r.getMessage() for r in records)


async def test_a_value_error_of_our_own_code_is_still_a_500(monkeypatch, caplog):
    def bug() -> None:
        raise ValueError("a defect, not a numeric fault")

    comp = computations.get("oscillator-response")
    monkeypatch.setitem(
        computations.REGISTRY, comp.name, dataclasses.replace(comp, run=_fault(bug))
    )
    body = fig2a()
    body["frequencies"]["num"] = 19
    async with guarded_client() as c:
        r = await c.post(URL, json=body)
    assert r.status_code == 500
    assert r.json()["errors"] and "not a numeric fault" not in r.text  # nothing internal leaks


# -- array limits ----------------------------------------------------------------------------


def _request_models() -> list[type]:
    out = []
    for comp in computations.load_all().values():
        if comp.request not in out:
            out.append(comp.request)
    return out


def test_every_list_of_every_request_schema_is_bounded():
    """A static max_length (None here) or a setting that exists and is a positive int."""
    defaults = Settings(redis_url=None)
    models = _request_models()
    assert len(models) >= 10
    for model in models:
        for path, setting in list_fields(model):
            if setting is not None:
                value = getattr(defaults, setting, None)
                assert isinstance(value, int) and value >= 1, (model.__name__, path, setting)


def _bands(points: int) -> BandsRequest:
    return BandsRequest.model_validate(
        {
            "model": {"kind": "haldane", "t": 1.0, "M": 0.2},
            "path": {"points": [{"k": [0.01 * i, 0.0]} for i in range(points)], "num": 200},
        }
    )


def test_path_points_over_max_path_points_are_413_naming_the_list():
    settings = Settings(redis_url=None, max_path_points=10)
    check_array_limits(_bands(10), settings)  # at the limit: fine
    with pytest.raises(LimitExceeded) as info:
        check_array_limits(_bands(11), settings)
    err = info.value
    assert err.limit_name == "max_path_points" and err.limit == 10 and err.requested == 11
    assert err.field == ("path", "points")


def test_nested_lists_are_checked_inside_lists_of_models():
    """optics: a tabulated layer medium inside `layers`, its table bounded by max_grid_points."""
    from app.schemas.optics import ReflectanceRequest

    table = [1.0 + 0.1 * i for i in range(6)]
    body = ReflectanceRequest.model_validate(
        {
            "substrate": {"kind": "constant", "eps": 2.25},
            "layers": [
                {"medium": {"kind": "constant", "eps": 2.0}, "thickness": 0.1},
                {
                    "medium": {"kind": "tabulated", "frequencies": table, "n": table, "k": [0] * 6},
                    "thickness": 0.2,
                },
            ],
            "frequencies": {"values": [1.2, 1.3]},
        }
    )
    check_array_limits(body, Settings(redis_url=None, max_grid_points=6))
    with pytest.raises(LimitExceeded) as info:
        check_array_limits(body, Settings(redis_url=None, max_grid_points=5))
    assert info.value.field == ("layers", 1, "medium", "frequencies")
    assert info.value.limit_name == "max_grid_points"


async def test_path_points_over_the_limit_are_413_over_http():
    async with guarded_client(max_path_points=4) as c:
        body = {
            "model": {"kind": "haldane", "t": 1.0, "M": 0.2},
            "path": {"points": [{"k": [0.1 * i, 0.0]} for i in range(5)], "num": 50},
        }
        pb = assert_problem(await c.post("/v1/crystal/bands", json=body), 413, "/path/points")
        assert pb["limit_name"] == "max_path_points"
