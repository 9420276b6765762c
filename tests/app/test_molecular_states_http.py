"""HTTP layer of POST /v1/molecular/states (core.quantum_chem via PySCF): the answer, its checks,
canonical cache keys, 413s naming the limit, 422s naming the field, and the states fed into the
material-constants endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import numpy as np
import pytest

from app.main import create_app
from app.schemas.molecular_states import MolecularStatesResponse
from app.settings import Settings
from core import quantum_chem as qc
from tests.conftest import assert_problem

STATES = "/v1/molecular/states"
CONSTANTS = "/v1/molecular/material-constants"

WATER_XYZ = "O 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692"


def water_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"molecule": {"xyz": WATER_XYZ}, "basis": "6-31g"}
    body.update(over)
    return body


@asynccontextmanager
async def qc_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A test app (threads, in-process cache) that serves /v1/molecular/states."""
    overrides.setdefault("redis_url", None)
    overrides.setdefault("compute_backend", "thread")
    app = create_app(Settings(**overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_states_of_water_with_checks_and_a_valid_response_model() -> None:
    async with qc_client() as c:
        r = await c.post(STATES, json=water_body(origin_shift=[0.0, 1.0, 0.0]))
        assert r.status_code == 200, r.text
        data = r.json()
        MolecularStatesResponse.model_validate(data)
        checks = data["meta"]["checks"]
        assert {"thomas_reiche_kuhn", "time_even", "gauge_agreement"} <= set(checks)
        assert checks["origin_residual_explained"]["verdict"] is True
        assert checks["time_even"]["verdict"] is True
        # every state of the 5 x 8 space, sorted, in the material-constants input format
        assert data["excitation_space"]["space_size"] == 40 == len(data["states"]["energies"])
        e = np.asarray(data["excitation_energies"])
        assert np.all(np.diff(e) >= 0) and e[0] > 0
        assert len(data["states"]["electric_octupole"]["real"][0][0][0]) == 3
        assert data["meta"]["model"] == qc.MODEL_NAME


async def test_equal_molecules_share_one_cache_entry() -> None:
    """XYZ text in angstrom, atoms in bohr with other letter case, '6-31G' vs '6-31g': one key."""
    atoms = [
        {"symbol": s.lower(), "position": [float(v) * qc.BOHR_PER_ANGSTROM for v in xyz]}
        for s, *xyz in (ln.split() for ln in WATER_XYZ.splitlines())
    ]
    async with qc_client() as c:
        r1 = await c.post(STATES, json=water_body(basis="6-31G"))
        r2 = await c.post(
            STATES, json=water_body(molecule={"atoms": atoms, "unit": "bohr"}, basis=" 6-31g")
        )
        assert r1.status_code == r2.status_code == 200
        assert r1.headers["x-cache"] == "miss" and r2.headers["x-cache"] == "hit"
        assert r1.headers["etag"] == r2.headers["etag"]
        r3 = await c.post(STATES, json=water_body(basis="sto-3g"))
        assert r3.headers["x-cache"] == "miss"


@pytest.mark.parametrize(
    ("setting", "value", "body", "field"),
    [
        ("max_qc_atoms", 2, {}, "/molecule/atoms"),
        ("max_qc_basis", 10, {}, "/basis"),
        ("max_qc_states", 5, {"n_states": 8}, "/n_states"),
    ],
)
async def test_work_limits_are_413_naming_the_setting(
    setting: str, value: int, body: dict[str, Any], field: str
) -> None:
    async with qc_client(**{setting: value}) as c:
        r = await c.post(STATES, json=water_body(**body))
        problem = assert_problem(r, 413, field)
        assert problem["limit_name"] == setting


async def test_time_limit_is_413_naming_it() -> None:
    async with qc_client(qc_time_limit_s=1e-4) as c:
        r = await c.post(STATES, json=water_body(basis="aug-cc-pvdz"))
        assert assert_problem(r, 413)["limit_name"] == "qc_time_limit_s"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"molecule": {"xyz": "O 0 0 0\nH 0 0 0.97"}}, "/molecule/charge"),  # 9 electrons
        ({"molecule": {"xyz": "Qq 0 0 0"}}, "/molecule/atoms/0/symbol"),
        ({"molecule": {"xyz": "O 0 0"}}, "/molecule/xyz"),
        ({"basis": "no-such-basis"}, "/basis"),
        ({"method": "dft"}, None),
        ({"method": "dft", "functional": "no-such-xc"}, "/functional"),
    ],
)
async def test_bad_input_is_422_naming_the_field(over: dict[str, Any], field: str | None) -> None:
    async with qc_client() as c:
        r = await c.post(STATES, json=water_body(**over))
        assert_problem(r, 422, field)


async def test_states_feed_the_material_constants_endpoint() -> None:
    """The answer's `states` posted as they are: the static polarizability of the sum over
    states comes back as alpha_isotropic(w -> 0), and the origin-shift report runs on them."""
    async with qc_client() as c:
        r = await c.post(STATES, json=water_body())
        data = r.json()
        body = {
            "states": data["states"],
            "frequencies": {"values": [1e-4, 0.05, 0.1], "unit": "hartree"},
            "origin_shift": [0.0, 1.0, 0.0],
            "include_tensors": False,
        }
        r2 = await c.post(CONSTANTS, json=body)
        assert r2.status_code == 200, r2.text
        out = r2.json()
        alpha0 = np.trace(np.asarray(data["static"]["polarizability"])) / 3
        assert out["alpha_isotropic"]["real"][0] == pytest.approx(alpha0, rel=1e-4)
        assert out["meta"]["checks"]["static_limit"]["verdict"] is True
        assert out["meta"]["checks"]["time_even"]["verdict"] is True
