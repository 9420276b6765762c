"""The registry of computations (app/computations.py): every computation endpoint is one named,
picklable computation whose body holds everything its answer depends on.

A worker process gets a computation's name, the validated body and the settings, pickled; it
looks the computation up by name and runs it. These tests prove, for every preset body, that this
trip changes nothing: the body and the settings survive pickling exactly (so the worker's key
material is the server's), the checks pass and the report the computation gives in-process has
the verdicts and warnings of the HTTP answer. They also check that every ``POST`` route under
``/v1`` has exactly one computation named by its operation id, that a domain error raised in a
worker comes back with every field of its problem document, and (the Kramers-Kronig wrapper
body) that what a CSV reader found, the column roles and the notes on ignored columns, is part of
the cache key, so a cached hit carries the warning of its miss.

The reference spectrum is a damped Lorentz line written here in closed form,
eps(w) = 1 + 2 / (1.5^2 - w^2 - 0.2 i w) (exp(-i w t): Im eps > 0, eps_inf = 1).
"""

from __future__ import annotations

import pickle
import threading
from typing import Any

import numpy as np
import orjson
import pytest
from pydantic import BaseModel

from app import computations
from app.cache import cache_key
from app.computations import ROUTER_MODULES, Computation
from app.errors import core_error_response
from app.main import create_app
from app.presets import all_presets
from app.routers import causality
from app.schemas.causality import KramersKronigComputation
from app.settings import Settings
from core.errors import (
    ConvergenceError,
    CoreError,
    InvalidInput,
    LimitExceeded,
    NotAnInsulator,
    PoleOnGrid,
)
from tests.app.snapshot_presets import HEAVY_PRESETS, preset_bodies

#: POST routes that submit or manage work rather than compute an answer (no computation).
JOB_PREFIXES = ("/v1/jobs", "/v1/sweeps")

SETTINGS = Settings(redis_url=None, compute_backend="thread")


def _post_operations() -> dict[str, str]:
    """Path -> operation id of every computation ``POST`` under /v1, as the app documents it."""
    spec = create_app(SETTINGS).openapi()
    return {
        path: ops["post"]["operationId"]
        for path, ops in spec["paths"].items()
        if "post" in ops and path.startswith("/v1/") and not path.startswith(JOB_PREFIXES)
    }


OPERATIONS = _post_operations()


def computation_body(comp: Computation[Any], body: dict[str, Any]) -> BaseModel:
    """The body ``comp`` gets for a JSON request ``body``, validated as its route does."""
    if comp.request is KramersKronigComputation:
        return causality.parse_kk_body(orjson.dumps(body), "application/json", {})
    return comp.request.model_validate(body)


def _verdicts(checks: dict[str, Any]) -> dict[str, bool | None]:
    return {name: c["verdict"] for name, c in checks.items()}


# --------------------------------------------------------------------------------------------
# Routes <-> registry
# --------------------------------------------------------------------------------------------


def test_every_post_route_has_exactly_one_computation_named_by_its_operation_id():
    registry = computations.load_all()
    assert OPERATIONS, "no POST routes under /v1 found"
    ids = list(OPERATIONS.values())
    assert len(set(ids)) == len(ids), "two routes share an operation id"
    missing = sorted(i for i in ids if i not in registry)
    assert not missing, f"routes without a registered computation: {missing}"
    orphans = sorted(set(registry) - set(ids))
    assert not orphans, f"computations without a route: {orphans}"
    for name, comp in registry.items():
        assert comp.name == name
        # a worker process finds it by importing the router modules (load_all)
        assert comp.run.__module__ in ROUTER_MODULES, (name, comp.run.__module__)
        assert computations.get(name) is comp


# --------------------------------------------------------------------------------------------
# Every preset body: pickled, checked and run in-process == the HTTP answer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [pytest.param(endpoint, body, id=case) for case, endpoint, body in preset_bodies()],
)
async def test_preset_body_survives_pickling_and_runs_to_the_http_verdicts(
    client, endpoint: str, body: dict[str, Any]
):
    assert endpoint in OPERATIONS, f"preset endpoint {endpoint} is not a computation route"
    comp = computations.get(OPERATIONS[endpoint])
    validated = computation_body(comp, body)

    sent_body, sent_settings = pickle.loads(pickle.dumps((validated, SETTINGS)))
    assert sent_body == validated and sent_settings == SETTINGS
    # the worker's key material is exactly the server's
    assert sent_body.model_dump_json() == validated.model_dump_json()

    comp.precheck(sent_body, sent_settings)
    if body in [all_presets()[n].body for n in HEAVY_PRESETS]:
        return  # validated and pickled; its run is the snapshot's (once per session)
    report = comp.run(sent_body, sent_settings)
    meta, _ = report.payload()

    r = await client.post(endpoint, json=body)
    assert r.status_code == 200, r.text[:400]
    answer = r.json()["meta"]
    assert (answer["model"], answer["model_version"]) == (comp.model, comp.version)
    # the cache key is made of the computation's name, model, version and this exact body
    expected = cache_key(comp.name, comp.model, comp.version, validated.model_dump_json().encode())
    assert answer["parameter_hash"] == expected
    assert _verdicts(meta["checks"]) == _verdicts(answer["checks"])
    assert meta["warnings"] == answer["warnings"]


# --------------------------------------------------------------------------------------------
# Domain errors raised in a worker come back whole
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        CoreError("plain", field=("a", 0), fix="do this"),
        InvalidInput("bad width", field=("transitions", 2, "gamma"), fix="give gamma > 0"),
        LimitExceeded(
            "too many points",
            limit_name="max_grid_points",
            limit=100,
            requested=1000,
            field=("frequencies", "num"),
            fix="ask for fewer points",
        ),
        PoleOnGrid("pole on the grid", field=("frequencies",)),
        NotAnInsulator("gap closes", gap=1e-9, field=("model",), fix="open the gap"),
        ConvergenceError("did not converge"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_core_error_survives_a_pickle_round_trip_with_every_field(exc: CoreError):
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert vars(back) == vars(exc) and str(back) == str(exc)
    # the client gets the same problem document from the worker's error as from the original
    assert core_error_response(back).body == core_error_response(exc).body


def test_an_error_raised_by_a_computation_is_pickled_back_with_its_field():
    comp = computations.get("crystal-bands")
    body = comp.request.model_validate(
        {
            "model": {
                "kind": "tight_binding",
                "lattice": [[1.0, 0.0], [0.0, 1.0]],
                "orbitals": [{"position": [0.0, 0.0], "onsite": 0.0}],
                "hoppings": [
                    {"from": 0, "to": 0, "R": [1, 0, 0], "amplitude": {"real": 1.0, "imag": 0.0}}
                ],
            },
            "grid": {"n": [4, 4]},
        }
    )
    with pytest.raises(InvalidInput) as info:
        comp.run(*pickle.loads(pickle.dumps((body, SETTINGS))))
    back = pickle.loads(pickle.dumps(info.value))
    assert back.field == ("model", "hoppings", 0, "R")
    assert core_error_response(back).body == core_error_response(info.value).body


# --------------------------------------------------------------------------------------------
# Kramers-Kronig: what the CSV reader found is part of the key; big bodies parse off the loop
# --------------------------------------------------------------------------------------------

KK = "/v1/causality/kramers-kronig"


def _lorentz_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    w = np.linspace(0.0, 15.0, n)
    return w, 1.0 + 2.0 / (2.25 - w**2 - 0.2j * w)


def _csv(w: np.ndarray, eps: np.ndarray, extra: bool) -> str:
    head = "frequency,eps1,eps2" + (",temperature" if extra else "")
    rows = [
        f"{x!r},{e.real!r},{e.imag!r}" + (",300.0" if extra else "")
        for x, e in zip(w.tolist(), eps.tolist(), strict=True)
    ]
    return head + "\n" + "\n".join(rows) + "\n"


async def test_a_cached_kk_hit_keeps_the_warning_about_an_ignored_csv_column(client):
    w, eps = _lorentz_table(4001)
    headers = {"content-type": "text/csv"}
    miss = await client.post(KK, content=_csv(w, eps, extra=True), headers=headers)
    hit = await client.post(KK, content=_csv(w, eps, extra=True), headers=headers)
    assert miss.status_code == hit.status_code == 200, miss.text[:400]
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
    for r in (miss, hit):
        assert any("'temperature'" in t for t in r.json()["meta"]["warnings"])

    # the same numbers without the ignored column: another body, so another key, no warning
    clean = await client.post(KK, content=_csv(w, eps, extra=False), headers=headers)
    assert clean.headers["x-cache"] == "miss"
    assert clean.json()["meta"]["parameter_hash"] != miss.json()["meta"]["parameter_hash"]
    assert not any("'temperature'" in t for t in clean.json()["meta"]["warnings"])
    # an ignored column changes no number of the answer
    assert clean.json()["real_kk"] == miss.json()["real_kk"]
    # ... which is Kramers-Kronig (eq 6): eps1 from eps2 matches the closed form away from the
    # truncated top of the range
    inner = w < 0.9 * w[-1]
    eps1 = np.asarray(miss.json()["real_kk"])
    assert np.max(np.abs(eps1 - eps.real)[inner]) < 1e-3 * np.abs(eps - 1).max()


async def test_kk_bodies_over_64_kib_are_parsed_in_a_worker_thread(client, monkeypatch):
    parsed_in: list[bool] = []
    parse = causality.parse_kk_body

    def recording(raw: bytes, ctype: str, given: dict[str, Any]) -> KramersKronigComputation:
        parsed_in.append(threading.current_thread() is threading.main_thread())
        return parse(raw, ctype, given)

    monkeypatch.setattr(causality, "parse_kk_body", recording)
    w, eps = _lorentz_table(4001)
    big_json = {"quantity": "epsilon", "frequencies": w.tolist(), "imag": eps.imag.tolist()}
    small_json = {**big_json, "frequencies": w[:200].tolist(), "imag": eps.imag[:200].tolist()}
    big_csv = _csv(w, eps, extra=False)
    assert len(orjson.dumps(big_json)) > causality.KK_INLINE_BODY_BYTES
    assert len(big_csv.encode()) > causality.KK_INLINE_BODY_BYTES

    r_small = await client.post(KK, json=small_json)
    r_json = await client.post(KK, json=big_json)
    r_csv = await client.post(KK, content=big_csv, headers={"content-type": "text/csv"})
    assert [r.status_code for r in (r_small, r_json, r_csv)] == [200, 200, 200]
    assert parsed_in == [True, False, False]  # small: on the loop; big JSON and CSV: a thread


async def test_a_wrong_kk_content_type_is_still_415(client):
    r = await client.post(KK, content=b"<xml/>", headers={"content-type": "application/xml"})
    assert r.status_code == 415
    assert r.headers["content-type"].startswith("application/problem+json")
