"""Every preset passes its own checks or explains each failure (issue 11, items 4-5).

Every preset body (a sweep's every body, :func:`tests.app.snapshot_presets.preset_bodies`) is
POSTed; for every check whose verdict is ``false`` the answer must carry the reason:

* a non-empty ``warning`` on the check, the same text in ``meta.warnings``;
* the reason is specific: it contains a number, and it names a field of the request body that the
  user can change (``n_max``, ``origin_tolerance``, ``line_shape``, ``frequencies``, ...), as a
  whole word.

And no preset answer holds a non-finite number: no ``null`` in a data array, no passing verdict on
a value that is not finite.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from tests.app.snapshot_presets import preset_bodies

CASES = preset_bodies()

#: Body keys too generic to count as "the parameter to change" when they appear in a sentence.
GENERIC_KEYS = frozenset({"unit", "real", "imag", "values"})

#: Presets of other domains whose failing checks do not yet give a specific reason: case id ->
#: owning domain. Each is a strict xfail, so the entry must go once its owner fixes the reason.
IN_PROGRESS: dict[str, str] = {}


def _keys(x: Any) -> set[str]:
    """Every key of a JSON body, at any depth."""
    if isinstance(x, dict):
        out = {str(k) for k in x}
        for v in x.values():
            out |= _keys(v)
        return out
    if isinstance(x, list):
        out = set()
        for v in x:
            out |= _keys(v)
        return out
    return set()


def names_a_field(text: str, body: dict[str, Any]) -> bool:
    """Whether ``text`` names a key of ``body`` as a whole word (generic keys excluded)."""
    return any(
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(k)}(?![A-Za-z0-9_])", text)
        for k in _keys(body) - GENERIC_KEYS
    )


def unexplained_failures(doc: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """The failed checks of an answer whose reason is missing, not in meta.warnings, or not
    specific (no number, or no field of the body named)."""
    meta = doc["meta"]
    out = []
    for name, c in meta["checks"].items():
        if c["verdict"] is not False:
            continue
        w = c.get("warning")
        if not isinstance(w, str) or not w.strip():
            out.append(f"{name}: no warning")
        elif w not in meta["warnings"]:
            out.append(f"{name}: warning not in meta.warnings")
        elif not re.search(r"\d", w):
            out.append(f"{name}: the reason has no number: {w!r}")
        elif not names_a_field(w, body):
            out.append(f"{name}: the reason names no field of the request to change: {w!r}")
    return out


def _nonfinite_paths(x: Any, path: str = "") -> list[str]:
    """Paths of ``null`` entries inside numeric lists of the data (not of meta), and of lists that
    hold only nulls. (A null scalar result is allowed: it means "not computed", e.g. chi_1 when
    it was not asked for; a non-finite computed scalar becomes a failed check in core.)"""
    out: list[str] = []
    if isinstance(x, dict):
        for k, v in x.items():
            out += _nonfinite_paths(v, f"{path}/{k}")
    elif isinstance(x, list):
        # a null beside numbers, or a list of nulls only (an all-NaN array)
        if any(v is None for v in x) and (
            all(v is None for v in x)
            or any(isinstance(v, int | float) and not isinstance(v, bool) for v in x)
        ):
            out.append(path)
        for i, v in enumerate(x):
            if isinstance(v, list | dict):
                out += _nonfinite_paths(v, f"{path}/{i}")
    return out


@pytest.fixture(scope="module")
def answers(preset_answers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Today's answer to every preset body (computed once per session, tests/app/conftest.py)."""
    return preset_answers


def _params(cases: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    out = []
    for case, _, _ in cases:
        domain = IN_PROGRESS.get(case)
        marks = (
            [pytest.mark.xfail(strict=True, reason=f"owned by {domain}, in progress")]
            if domain
            else []
        )
        out.append(pytest.param(case, marks=marks, id=case))
    return out


@pytest.mark.parametrize("case", _params(CASES))
def test_every_failed_check_of_a_preset_gives_a_specific_reason(
    case: str, answers: dict[str, dict[str, Any]]
) -> None:
    body = next(b for c, _, b in CASES if c == case)
    bad = unexplained_failures(answers[case], body)
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("case", [c for c, _, _ in CASES])
def test_no_preset_answer_holds_a_non_finite_number(
    case: str, answers: dict[str, dict[str, Any]]
) -> None:
    doc = answers[case]
    assert _nonfinite_paths({k: v for k, v in doc.items() if k != "meta"}) == []
    for name, c in doc["meta"]["checks"].items():
        if c["verdict"] is True and c["value"] is not None:
            assert math.isfinite(c["value"]), name


def test_the_reason_rule_rejects_vague_and_accepts_specific_warnings() -> None:
    body = {"n_max": 6, "frequencies": {"start": 0, "unit": "model"}}

    def doc(w: str | None) -> dict[str, Any]:
        return {
            "meta": {
                "checks": {"x": {"verdict": False, "warning": w}},
                "warnings": [w] if w else [],
            }
        }

    assert unexplained_failures(doc("raise n_max to 16 for 1e-3"), body) == []
    assert unexplained_failures(doc("the basis is not converged: raise n_max"), body)  # no number
    assert unexplained_failures(doc("residual 3e-3; use a finer grid"), body)  # no field named
    assert unexplained_failures(doc("residual 3e-3 in this unit"), body)  # 'unit' is generic
    assert unexplained_failures(doc("residual 3e-3 at n_maximum"), body)  # not a whole word
    assert unexplained_failures(doc(None), body)
    missing = doc("raise n_max to 16")
    missing["meta"]["warnings"] = []
    assert unexplained_failures(missing, body) == ["x: warning not in meta.warnings"]


def _with(name: str, edit: Any) -> tuple[str, dict[str, Any]]:
    import copy

    from app.presets import all_presets

    p = all_presets()[name]
    body = copy.deepcopy(p.body)
    edit(body)
    return p.endpoint, body


#: Inputs of extreme size (issue 11 item 5): each is refused with 422 at the field to change.
EXTREME: list[tuple[str, str, Any, str]] = [
    (
        "osc-omega-1e-186",
        "westerberg-barnett-fig2a",
        lambda b: b["transitions"][0].update(omega=1e-186),
        "/transitions/0/omega",
    ),
    (
        "osc-omega-1e-160",
        "westerberg-barnett-fig2a",
        lambda b: b["transitions"][0].update(omega=1e-160),
        "/transitions/0/omega",
    ),
    (
        "osc-omega-1e200",
        "westerberg-barnett-fig2a",
        lambda b: b["transitions"][0].update(omega=1e200),
        "/transitions/0/omega",
    ),
    (
        "osc-gamma-denormal",
        "westerberg-barnett-fig2a",
        lambda b: b["transitions"][0].update(gamma=5e-324),
        "/transitions/0/gamma",
    ),
    (
        "osc-gamma-huge",
        "westerberg-barnett-fig2a",
        lambda b: b["transitions"][0].update(gamma=1e300),
        "/transitions/0/gamma",
    ),
    (
        "osc-e-dip-overflow",
        "westerberg-barnett-fig2a",
        lambda b: b["transitions"][0].update(e_dip=1e308),
        "/transitions/0/e_dip",
    ),
    (
        "osc-grid-1e160",
        "westerberg-barnett-fig2a",
        lambda b: b.update(frequencies={"start": 0, "stop": 1e160, "num": 11, "unit": "model"}),
        "/frequencies",
    ),
    ("box-mass-huge", "westerberg-barnett-fig2b", lambda b: b.update(mass=1e300), "/density"),
    ("box-density-huge", "westerberg-barnett-fig2b", lambda b: b.update(density=1e300), "/density"),
    ("box-gamma-huge", "westerberg-barnett-fig2b", lambda b: b.update(gamma=1e300), "/gamma"),
    (
        "box-lengths-tiny",
        "westerberg-barnett-fig2b",
        lambda b: b.update(lengths=[1e-200] * 3),
        "/lengths",
    ),
    (
        "harmonic-w-tiny",
        "emitter-harmonic-isotropic",
        lambda b: b.update(oscillator_frequencies=[1e-200]),
        "/oscillator_frequencies/0",
    ),
    (
        "harmonic-w-huge",
        "emitter-harmonic-isotropic",
        lambda b: b.update(oscillator_frequencies=[1e200]),
        "/oscillator_frequencies/0",
    ),
    (
        "molecule-lengths-huge",
        "anelli-box-origin-report",
        lambda b: b["box"].update(lengths=[1e100] * 3),
        "/box/lengths",
    ),
    (
        "molecule-center-huge",
        "anelli-box-origin-report",
        lambda b: b["box"].update(center=[1e200, 0.0, 0.0]),
        "/box/center",
    ),
    (
        "molecule-shift-huge",
        "anelli-box-origin-report",
        lambda b: b.update(origin_shift=[1e200, 0.0, 0.0]),
        "/origin_shift",
    ),
    (
        "molecule-linewidth-huge",
        "anelli-box-origin-report",
        lambda b: b["box"].update(linewidth=1e300),
        "/box/linewidth",
    ),
    (
        "molecule-linewidth-denormal",
        "anelli-box-refractive-index",
        lambda b: b["box"].update(linewidth=5e-324),
        "/box/linewidth",
    ),
]


@pytest.mark.parametrize(
    ("case", "preset", "edit", "pointer"), EXTREME, ids=[e[0] for e in EXTREME]
)
async def test_an_input_of_extreme_size_is_422_at_its_field_with_the_usable_range(
    case: str, preset: str, edit: Any, pointer: str, client: Any
) -> None:
    endpoint, body = _with(preset, edit)
    r = await client.post(endpoint, json=body)
    assert r.status_code == 422, (case, r.status_code, r.text[:300])
    errs = r.json()["errors"]
    assert [e["field"] for e in errs] == [pointer]
    assert re.search(r"\de[+-]?\d|\d", errs[0]["fix"] or ""), errs[0]  # the range, in numbers
