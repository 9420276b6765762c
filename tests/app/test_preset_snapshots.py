"""Every preset body: its answer is what it was before the checks moved into core reports, and it
validates against its endpoint's response model.

The snapshot (tests/app/snapshots/presets.json.gz, written by tests/app/snapshot_presets.py before
the refactor) is compared number by number: every number of the old answer must be in the new one
at the same place, equal to 1e-12 relative. Places may move in only two ways, both listed here:

* the numbers behind a check moved into the check's ``details`` object (``meta.checks.X.k`` ->
  ``meta.checks.X.details.k``);
* a verdict given twice was removed from the data (:data:`REMOVED`);
* a duplicated or contradictory check was merged into another (:data:`MERGED`), or renamed
  (:data:`RENAMED`); each entry says why. A key is ``"name"`` (every endpoint) or
  ``"model:name"`` (only answers of that model, ``meta.model`` of the old answer).

Text (equations, explanations, warnings) may change; every old unit must still be there. Array
entries are judged against the largest entry of their array, scalars against themselves (the
quantities in ROUNDOFF_KEYS against their largest numeric sibling, those in RELATIVE_KEYS to 1e-12
absolute), and the numbers behind a check
(residuals, relative deviations) to 1e-12 absolute or relative: round-off of near-cancelling
quantities differs between CPUs and compiles.
"""

from __future__ import annotations

import contextvars
import copy
import gzip
import json
import math
from typing import Any

import numpy as np
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.main import ROUTERS
from tests.app.snapshot_presets import SNAPSHOT, VOLATILE_META, preset_bodies

RTOL = 1e-12

#: Old ``meta.checks`` entries merged into another check: old name -> (new name, why). The old
#: entry's numbers are not compared (the merged check carries its own, tested in its domain).
MERGED: dict[str, tuple[str, str]] = {
    "origin_independence": (
        "origin_independence_raab_de_lange",
        "molecular: one check per definition (raab_de_lange and covariant judged, multipole a "
        "value: origin dependent by construction); the per-definition A/T/U/X verdicts are in "
        "each check's details.per_quantity",
    ),
    # oscillator + emitters (one static statement, one eq-26 verdict, one passivity verdict):
    "mu_static": (
        "static_limits",
        "oscillator/emitters: eps(0), mu(0), chi(0) were three value checks beside the emitters' "
        "static_limits holding the same numbers; now one static_limits value check (details)",
    ),
    "chi_static": ("static_limits", "see mu_static"),
    "eps_static": ("static_limits", "see mu_static"),
    "high_frequency_limit": (
        "sum_rule_26",
        "its verdict was eq 26's verdict again (mu(inf) = 1 iff eq 26 holds); the top-of-grid "
        "eps and mu are now sum_rule_26.details.high_frequency",
    ),
    "passive_scan": (
        "passive",
        "emitters: passivity on the automatic scan and on the grid were two verdicts on one "
        "statement that contradicted each other (Fig. 2b: no / yes); one passive check covers "
        "both, details.samplings and each interval's sampled_on say what was found where",
    ),
    # Qualified "model:name" keys (the old answer's meta.model): the same old name is a rename
    # in one endpoint and a merge in another.
    "emitter-box:passive": (
        "passive",
        "emitters: the grid-only verdict (yes) is merged with the scan's (no): Im(eps mu) < 0 "
        "from w ~ 84 w_p on the scan, so the one verdict is no",
    ),
    "emitter-box:sum_rule_residual": (
        "sum_rule_26",
        "emitters: eq 26 was judged twice, with 1e-9 and with the user's tolerance; the user's "
        "tolerance is the right one (a truncated basis closes eq 26 only to the convergence "
        "tolerance asked for, like TRK), so one sum_rule_26 with it",
    ),
    "emitter-harmonic:sum_rule_residual": ("sum_rule_26", "see emitter-box:sum_rule_residual"),
}

#: Where the numbers of a merged check went: old key (as in MERGED) -> (JSON pointers searched in
#: order for each old number, {old number name: new name}). Verdicts of merged checks are not
#: compared (the merge is what changed them); their numbers are.
MOVED: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "mu_static": (("/meta/checks/static_limits/details",), {"value": "mu_static"}),
    "chi_static": (("/meta/checks/static_limits/details",), {"value": "chi_static"}),
    "eps_static": (("/meta/checks/static_limits/details",), {"value": "eps_static"}),
    "high_frequency_limit": (
        ("/meta/checks/sum_rule_26/details/high_frequency", "/meta/checks/sum_rule_26/details"),
        {},
    ),
    "passive_scan": (("/diagnostics",), {}),
    "emitter-box:passive": (("/meta/checks/passive/details/samplings/grid",), {}),
}

#: Data removed from the answers: "model:/json/pointer" -> why. Only verdicts that a check now
#: gives once may be removed.
REMOVED: dict[str, str] = {
    "emitter-box:/diagnostics/passive": "a second passivity verdict (scan only) beside "
    "meta.checks.passive, which judges the grid and the scan together",
    "emitter-harmonic:/diagnostics/passive": "see emitter-box",
}

#: Checks whose verdict changed on purpose: "model:name" -> why. Their numbers are still compared.
VERDICT_CHANGED: dict[str, str] = {
    "cho-single-susceptibility:circular_splitting": "was True by construction for a chiral medium "
    "(a check that could not fail); now no verdict there, judged only for achiral media",
}

#: Arrays whose values changed on purpose where the medium has gain: model -> (arrays, why).
#: They are compared at the frequencies where the old answer's eps and mu are passive
#: (core.passivity), and must differ nowhere else.
CHANGED_AT_GAIN: dict[str, tuple[frozenset[str], str]] = {
    "multipole-oscillator": (
        frozenset({"refractive_index", "impedance", "reflectance", "absorption_coefficient"}),
        "where the medium has gain, n is the root continued from the lossless limit (Skaar "
        "2006), as /v1/optics/reflectance takes by default; it was the decaying root Im n >= 0, "
        "which made alpha > 0 (absorbing) in the amplifying bands",
    ),
}

#: Old check name -> new name (same statement, same numbers, one name across endpoints).
RENAMED: dict[str, str] = {
    # oscillator: the one eq-26 statement has one name, core.oscillators.SUM_RULE_26
    "sum_rule_residual": "sum_rule_26",
    # causality: the one passivity statement has one name, core.passivity.PASSIVITY ("passive")
    "passivity": "passive",
}


def _load() -> dict[str, Any]:
    with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


CASES = preset_bodies()


#: Answers of a self-consistent-field calculation (core.quantum_chem): converged to the SCF
#: tolerance, so equal to ~1e-10 between BLAS builds and thread counts, not 1e-12, with sum-rule
#: deficits that vanish by symmetry at ~1e-11; and the transition moments of each state carry an
#: arbitrary sign (a degenerate pair, an arbitrary rotation), so only what is built from them is
#: compared. model -> (relative tolerance, absolute tolerance, pointers not compared).
SCF_MODELS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "molecular-states-pyscf": (1e-7, 1e-9, ("/states",)),
}

_TOL: contextvars.ContextVar[tuple[float, float]] = contextvars.ContextVar(
    "_TOL", default=(RTOL, 0.0)
)


def _close(a: float, b: float, scale: float) -> bool:
    rtol, atol = _TOL.get()
    return abs(a - b) <= rtol * max(abs(a), abs(b), scale) + atol or a == b


def _scale(x: Any) -> float:
    """Magnitude of the largest number in ``x`` (an array's entries are judged against it, so a
    value that cancels to ~0 in a long array is not held to 1e-12 of itself)."""
    if isinstance(x, bool) or x is None:
        return 0.0
    if isinstance(x, int | float):
        return abs(float(x)) if math.isfinite(x) else 0.0
    if isinstance(x, list):
        return max((_scale(v) for v in x), default=0.0)
    if isinstance(x, dict):
        return max((_scale(v) for v in x.values()), default=0.0)
    return 0.0


#: Results that are round-off noise when the physics makes them vanish (the orbital magnetisation
#: of a time-reversal-symmetric Haldane model is ~1e-18 beside chi ~ 1).
ROUNDOFF_KEYS = frozenset({"magnetization"})

#: Objects whose entries are the parts of one sum (chi_1 = vv + occ + geo): a part that vanishes
#: by symmetry (chi_VV of a time-reversal-symmetric model, ~1e-34 beside parts ~0.1) is judged
#: against its siblings, as the sum is.
PARTS = "/parts"

#: Relative differences of two near-equal numbers (a k-grid convergence estimate, chi_1 against
#: chi_2): their round-off is ~1e-16 absolute, so they are judged to 1e-12 absolute.
RELATIVE_KEYS = frozenset({"relative_change", "relative_difference"})


def _sibling_scale(d: dict[str, Any]) -> float:
    """Largest magnitude among the direct numeric entries of an object: a quantity that is
    round-off noise beside its siblings (a Haldane magnetisation of 1e-18 beside chi ~ 1; numba's
    fastmath kernels reorder sums on every recompile) is judged against them, not against itself."""
    vals = [
        abs(float(v)) for v in d.values() if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return max((v for v in vals if math.isfinite(v)), default=0.0)


def compare(old: Any, new: Any, path: str, errors: list[str], scale: float = 0.0) -> None:
    """Append to ``errors`` every number, bool or data string of ``old`` missing or different in
    ``new``."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            errors.append(f"{path}: was an object, now {type(new).__name__}")
            return
        s = max(scale, _scale(old)) if set(old) == {"real", "imag"} else scale
        for k, v in old.items():
            if k not in new:
                errors.append(f"{path}/{k}: missing")
                continue
            # round-off quantities are judged against their largest numeric sibling
            ks = max(s, _sibling_scale(old)) if k in ROUNDOFF_KEYS or path.endswith(PARTS) else s
            ks = max(ks, 1.0) if k in RELATIVE_KEYS else ks
            compare(v, new[k], f"{path}/{k}", errors, ks)
    elif isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            errors.append(f"{path}: list length {len(old)} -> {_len(new)}")
            return
        s = max(scale, _scale(old))
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            compare(a, b, f"{path}/{i}", errors, s)
    elif isinstance(old, bool) or old is None or isinstance(old, str):
        if old != new:
            errors.append(f"{path}: {old!r} -> {new!r}")
    elif isinstance(old, int | float):
        if isinstance(new, bool) or not isinstance(new, int | float):
            errors.append(f"{path}: {old!r} -> {new!r}")
        elif not _close(float(old), float(new), scale):
            errors.append(f"{path}: {old!r} -> {new!r}")


def _at(doc: Any, pointer: str) -> Any:
    node = doc
    for p in pointer.strip("/").split("/"):
        node = node.get(p) if isinstance(node, dict) else None
    return node


def _compare_moved(
    check: dict[str, Any],
    new: dict[str, Any],
    moved: tuple[tuple[str, ...], dict[str, str]],
    path: str,
    errors: list[str],
) -> None:
    """Every number of a merged check, found where :data:`MOVED` says it went."""
    pointers, renames = moved
    for k, v in check.items():
        if k in ("verdict", "equation") or isinstance(v, str):
            continue
        target = renames.get(k, k)
        for ptr in pointers:
            node = _at(new, ptr)
            if isinstance(node, dict) and target in node:
                compare(v, node[target], f"{path}/{k}", errors, scale=1.0)
                break
        else:
            errors.append(f"{path}/{k}: not found at {pointers}")


def _compare_passive_points(
    old_data: dict[str, Any], new: dict[str, Any], names: frozenset[str], errors: list[str]
) -> None:
    """Compare ``names`` only where the old answer's medium is passive, and take them out of
    ``old_data`` (the rest of the answer is compared as usual)."""
    from core.passivity import passivity_indicator

    def arr(v: Any) -> np.ndarray:
        if isinstance(v, dict):
            return np.asarray(v["real"], dtype=float) + 1j * np.asarray(v["imag"], dtype=float)
        return np.asarray(v, dtype=float)

    passive = passivity_indicator(arr(old_data["epsilon"]), arr(old_data["mu"])) >= 0
    for name in names:
        if name not in old_data:
            continue
        a, b = arr(old_data.pop(name)), arr(new[name])
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        bad = np.abs(a - b) > RTOL * np.maximum(np.maximum(np.abs(a), np.abs(b)), scale)
        if np.any(bad & passive):
            errors.append(f"/{name}: changed at {int(np.sum(bad & passive))} passive point(s)")


def _drop(doc: dict[str, Any], pointer: str) -> None:
    """Remove the entry at a JSON pointer from a nested dict, in place (a no-op if absent)."""
    *parents, last = pointer.strip("/").split("/")
    node: Any = doc
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(last, None)


def _len(x: Any) -> Any:
    return len(x) if isinstance(x, list) else type(x).__name__


def compare_answer(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Differences between an old and a new answer, under the rules of the module docstring."""
    rtol, atol, skipped = SCF_MODELS.get(old["meta"].get("model", ""), (RTOL, 0.0, ()))
    if skipped:
        old, new = copy.deepcopy(old), copy.deepcopy(new)
        for ptr in skipped:
            _drop(old, ptr)
            _drop(new, ptr)
    token = _TOL.set((rtol, atol))
    try:
        return _compare_answer(old, new)
    finally:
        _TOL.reset(token)


def _compare_answer(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    old_meta, new_meta = dict(old["meta"]), dict(new["meta"])
    old_checks = old_meta.pop("checks", {})
    new_checks = new_meta.get("checks", {})
    model = old_meta.get("model", "")
    for name, check in old_checks.items():
        qualified = f"{model}:{name}"
        merged = MERGED.get(qualified) or MERGED.get(name)
        if merged is not None:
            if merged[0] not in new_checks:
                errors.append(f"/meta/checks/{name}: merged into {merged[0]}, which is missing")
            moved = MOVED.get(qualified) or MOVED.get(name)
            if moved is not None:
                _compare_moved(check, new, moved, f"/meta/checks/{name}", errors)
            continue
        new_name = RENAMED.get(f"{model}:{name}", RENAMED.get(name, name))
        if new_name not in new_checks:
            errors.append(f"/meta/checks/{name}: missing")
            continue
        nc = new_checks[new_name]
        flat = {**nc.get("details", {}), **{k: v for k, v in nc.items() if k != "details"}}
        # snapshots taken after issue 10 hold typed checks (details nested) like today's answers
        was = {**check.get("details", {}), **{k: v for k, v in check.items() if k != "details"}}
        for k, v in was.items():
            if k == "equation" or isinstance(v, str):
                continue  # texts may be improved
            if k == "verdict" and f"{model}:{name}" in VERDICT_CHANGED:
                continue
            if k not in flat:
                errors.append(f"/meta/checks/{name}/{k}: missing (not in the check or its details)")
            else:
                # the numbers behind a check are residuals and relative deviations: judged to
                # 1e-12 absolute or relative, whichever is larger (a relative change of 1e-14 is
                # the round-off of the two numbers it compares, and numba's fastmath kernels
                # reorder those sums on every recompile)
                compare(v, flat[k], f"/meta/checks/{name}/{k}", errors, scale=1.0)
    old_meta.pop("warnings", None)
    for k, unit in old_meta.pop("units", {}).items():
        if new_meta.get("units", {}).get(k) != unit:
            errors.append(f"/meta/units/{k}: {unit!r} -> {new_meta.get('units', {}).get(k)!r}")
    for k in VOLATILE_META:
        old_meta.pop(k, None)
    old_meta.pop("parameter_hash", None)  # the key may change with a model version
    old_meta.pop("model_version", None)
    compare(old_meta, new_meta, "/meta", errors)
    old_data = copy.deepcopy({k: v for k, v in old.items() if k != "meta"})
    if model in CHANGED_AT_GAIN and "epsilon" in old_data and "mu" in old_data:
        _compare_passive_points(old_data, new, CHANGED_AT_GAIN[model][0], errors)
    for key in REMOVED:
        m, _, ptr = key.partition(":")
        if m == model:
            _drop(old_data, ptr)
    new_data = {k: v for k, v in new.items() if k != "meta"}
    compare(old_data, new_data, "", errors)
    return errors


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    return _load()


@pytest.fixture(scope="module")
def answers(preset_answers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Today's answer to every preset body (computed once per session, tests/app/conftest.py)."""
    return preset_answers


def test_the_snapshot_covers_every_preset_body(snapshot: dict[str, Any]) -> None:
    assert sorted(snapshot) == sorted(case for case, _, _ in CASES)


@pytest.mark.parametrize("case", [c for c, _, _ in CASES])
def test_preset_answer_matches_the_snapshot_to_1e12(
    case: str, snapshot: dict[str, Any], answers: dict[str, dict[str, Any]]
) -> None:
    errors = compare_answer(snapshot[case]["response"], answers[case])
    assert not errors, f"{len(errors)} differences, first: " + "; ".join(errors[:8])


def _response_models() -> dict[str, type[BaseModel]]:
    """Path -> response model of every POST route of the service's routers."""
    out = {}
    for router in ROUTERS:
        for r in router.routes:
            if isinstance(r, APIRoute) and "POST" in r.methods and r.response_model is not None:
                out[r.path] = r.response_model
    return out


@pytest.mark.parametrize("case", [c for c, _, _ in CASES])
def test_preset_answer_validates_against_its_response_model(
    case: str, answers: dict[str, dict[str, Any]]
) -> None:
    endpoint = next(e for c, e, _ in CASES if c == case)
    model = _response_models()[endpoint]
    model.model_validate(answers[case])
    checks = answers[case]["meta"]["checks"]
    assert checks, "a computation answer carries its checks"


def test_comparison_catches_a_changed_number_and_a_lost_check() -> None:
    old = {"meta": {"checks": {"a": {"verdict": True, "value": 1.0}}}, "x": [1.0, 2.0]}
    same = {
        "meta": {"checks": {"a": {"verdict": True, "details": {"value": 1.0 + 1e-15}}}},
        "x": [1.0, 2.0],
    }
    assert compare_answer(old, same) == []
    moved = {"meta": {"checks": {"a": {"verdict": True, "value": 1.0}}}, "x": [1.0, 2.0 + 1e-9]}
    assert compare_answer(old, moved) == ["/x/1: 2.0 -> 2.000000001"]
    lost = {"meta": {"checks": {}}, "x": [1.0, 2.0]}
    assert compare_answer(old, lost) == ["/meta/checks/a: missing"]
    drifted = {"meta": {"checks": {"a": {"verdict": True, "value": 1.0 + 1e-9}}}, "x": [1.0, 2.0]}
    assert len(compare_answer(old, drifted)) == 1
    flipped = {"meta": {"checks": {"a": {"verdict": False, "value": 1.0}}}, "x": [1.0, 2.0]}
    assert compare_answer(old, flipped) == ["/meta/checks/a/verdict: True -> False"]


def test_scf_answers_are_compared_to_their_convergence_not_to_rounding() -> None:
    def answer(x: float, sign: float) -> dict[str, Any]:
        return {
            "meta": {"model": "molecular-states-pyscf", "checks": {}},
            "static": {"polarizability": [x, 1.0]},
            "states": {"electric_dipole": {"real": [[sign * 0.3, 0.0, 0.0]]}},
        }

    assert compare_answer(answer(9.0, 1.0), answer(9.0 + 3e-9, -1.0)) == []  # a state's sign
    assert compare_answer(answer(9.0, 1.0), answer(9.0 + 1e-5, 1.0)) != []
    other = answer(9.0, 1.0)
    other["meta"]["model"] = "multipole-oscillator"
    assert compare_answer(other, {**other, "static": {"polarizability": [9.0 + 3e-9, 1.0]}}) != []
