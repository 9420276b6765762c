"""Typed results of the physics: :class:`Check`, :class:`Series` and :class:`Report`.

Every computation in core ends in a :class:`Report`: named arrays, each with the quantity it is,
its unit and the axis it varies along; scalar and nested results; the checks that say whether the
numbers can be trusted; and warnings. The HTTP API serialises a report as it is (``meta.checks``,
``meta.warnings``, ``meta.units`` and the data), so a scientist who imports ``core`` gets exactly
the judgements the API gives.

Checks
------
A physical statement is written once, as a module-level :class:`CheckSpec` in the domain module
that owns it (eq 26 in :mod:`core.oscillators`, passivity in :mod:`core.causality`, ...): its name,
the equation it tests, whether its verdict is a *bound* or *indicative*, the tolerance, what a
failure means in plain language, and the warning a failure produces. :meth:`CheckSpec.judge` makes
the :class:`Check` of one computation. Kinds:

``bound``
    The verdict is a proof within the stated tolerance: the statement holds (or fails) for these
    numbers, e.g. an exact sum rule evaluated in closed form, a sign found on the grid.
``indicative``
    The verdict rests on an estimate (an error estimate from grid halving, a scan of a finite
    frequency range, a comparison with a truncated reference): it points the right way on the cases
    the tests cover but is not a guarantee.
``value``
    No verdict (``verdict`` is ``None``): numbers worth reporting, e.g. a static limit.

Conventions of the JSON form (:meth:`Report.payload`): a complex array is
``{"real": [...], "imag": [...]}``; a complex number ``{"real", "imag"}``; numpy arrays stay numpy
arrays (the web layer serialises them without copying); non-finite floats become ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

import numpy as np
from numpy.typing import NDArray

CheckKind = Literal["bound", "indicative", "value"]
CHECK_KINDS: Final[tuple[str, ...]] = get_args(CheckKind)


@dataclass(frozen=True)
class Check:
    """The verdict on one physical statement for one computation.

    Attributes
    ----------
    verdict
        ``True`` (holds), ``False`` (fails) or ``None`` (no verdict applies: ``kind == "value"``,
        or the statement could not be tested on this input; ``explanation`` then says why).
    kind
        ``bound``, ``indicative`` or ``value`` (module docstring).
    equation
        The statement tested and where it comes from (paper and equation number).
    explanation
        One plain-language sentence: what a failing verdict means for the user's numbers.
    value
        The number the verdict is about (a residual, an error, a minimum), if there is one.
    tolerance
        The tolerance ``value`` is judged against, if any (its meaning is in ``equation``).
    details
        The other numbers behind the verdict (JSON-able: floats, ints, bools, str, lists, dicts).
    warning
        The warning text a failure produces (``None`` when the check passed); a report adds it to
        its warnings, so the two always agree.
    name
        The name of the spec that made it (the key under which reports list it).
    """

    verdict: bool | None
    kind: CheckKind
    equation: str
    explanation: str
    value: float | None = None
    tolerance: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    warning: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CHECK_KINDS:
            raise ValueError(f"check kind {self.kind!r} not in {CHECK_KINDS}")
        if self.kind == "value" and self.verdict is not None:
            raise ValueError("a 'value' check carries no verdict")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``meta.checks[name]`` of the API); ``warning`` is the reason a failed
        check gives (also in ``meta.warnings``), ``None`` otherwise."""
        return {
            "verdict": self.verdict,
            "kind": self.kind,
            "value": jsonable(self.value),
            "tolerance": jsonable(self.tolerance),
            "equation": self.equation,
            "explanation": self.explanation,
            "warning": self.warning,
            "details": {k: jsonable(v) for k, v in self.details.items()},
        }


@dataclass(frozen=True)
class CheckSpec:
    """One physical statement, written once: how it is judged and what a failure means.

    ``warning`` is a :meth:`str.format` template filled with ``value``, ``tolerance`` and the
    details of the check (e.g. ``"sum rule (26) violated (residual {value:.3g})"``).
    """

    name: str
    kind: CheckKind
    equation: str
    explanation: str
    tolerance: float | None = None
    warning: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CHECK_KINDS:
            raise ValueError(f"check kind {self.kind!r} not in {CHECK_KINDS}")

    def judge(
        self,
        verdict: bool | None,
        value: float | None = None,
        *,
        tolerance: float | None = None,
        explanation: str | None = None,
        **details: Any,
    ) -> Check:
        """The :class:`Check` of one computation.

        ``tolerance`` overrides the spec's (a user-chosen tolerance); ``explanation`` overrides the
        spec's sentence where the statement could not be tested (``verdict=None``) and says why.
        A passing verdict on a non-finite ``value`` is turned into a failure with that reason.
        """
        tol = self.tolerance if tolerance is None else tolerance
        verdict = None if verdict is None else bool(verdict)
        if self.kind == "value":
            verdict = None
        elif verdict and value is not None and not math.isfinite(float(np.real(value))):
            # never "fine" about a number that is not a number
            verdict = False
            explanation = (
                f"the value behind this check is not finite ({value}): the computation left "
                "floating-point range, so the statement cannot hold for these numbers"
            )
        text = None
        if verdict is False and self.warning is not None:
            text = self.warning.format(value=value, tolerance=tol, **details)
        elif verdict is False and explanation is not None and self.kind != "value":
            text = f"{self.name}: {explanation}"
        return Check(
            verdict=verdict,
            kind=self.kind,
            equation=self.equation,
            explanation=self.explanation if explanation is None else explanation,
            value=None if value is None else _as_float(value),
            tolerance=tol,
            details=details,
            warning=text,
            name=self.name,
        )

    def value_only(self, value: float | None = None, **details: Any) -> Check:
        """A ``value`` check (no verdict) of this spec."""
        return self.judge(None, value, **details)


@dataclass(frozen=True)
class Series:
    """One named array of a report.

    Attributes
    ----------
    values
        Real or complex numpy array; its first axis runs along ``axis``.
    quantity
        What it is, in words with the symbol (e.g. ``"permittivity eps(w)"``).
    unit
        Its unit (``"1"`` for dimensionless; the frequency unit of the request for grids).
    axis
        Name of the report array this one varies along, or ``None`` if it is an axis itself.
    """

    values: NDArray[Any]
    quantity: str
    unit: str
    axis: str | None = None

    @property
    def is_complex(self) -> bool:
        return bool(np.iscomplexobj(self.values))


@dataclass(frozen=True)
class Report:
    """The typed result of one computation.

    Attributes
    ----------
    model, version
        Model name and version (part of every cache key and response).
    arrays
        Named :class:`Series`, in order: the first is the primary axis (the grid), the others vary
        along an axis named in ``arrays``. These are the CSV columns of the API.
    checks
        Name -> :class:`Check`; one entry per physical statement.
    notes
        Warnings that belong to no check (a numerical caveat, a clipped request).
    results
        Everything else the computation returns: scalars, small arrays, nested results (JSON-able
        after :func:`jsonable`; complex values allowed).
    units
        Units of quantities that are not arrays (parameters, entries of ``results``).
    """

    model: str
    version: str
    arrays: Mapping[str, Series] = field(default_factory=dict)
    checks: Mapping[str, Check] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    results: Mapping[str, Any] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, s in self.arrays.items():
            if s.axis is not None and s.axis not in self.arrays:
                raise ValueError(
                    f"array {name!r} varies along {s.axis!r}, which is not in the report"
                )
        clash = set(self.arrays) & set(self.results)
        if clash:
            raise ValueError(f"names both an array and a result: {sorted(clash)}")
        bad = {k: n for k, s in self.arrays.items() if (n := _count_nonfinite(s.values))}
        if bad and FINITE.name not in self.checks:
            # never a silent null in an answer: the report says which arrays and how many
            check = FINITE.judge(False, float(sum(bad.values())), arrays=bad)
            object.__setattr__(self, "checks", {**self.checks, FINITE.name: check})

    @property
    def warnings(self) -> tuple[str, ...]:
        """The failure texts of the failed checks, then the notes (each text once)."""
        out = [c.warning for c in self.checks.values() if c.warning]
        out.extend(self.notes)
        return tuple(dict.fromkeys(out))

    @property
    def failed(self) -> dict[str, Check]:
        """The checks whose verdict is ``False``."""
        return {k: c for k, c in self.checks.items() if c.verdict is False}

    @property
    def all_units(self) -> dict[str, str]:
        """Unit of every array, then of the other quantities."""
        return {**{k: s.unit for k, s in self.arrays.items()}, **self.units}

    def payload(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The API's ``(meta part, data)``: ``meta`` holds checks, warnings, units and what each
        array is (quantity, unit, axis); ``data`` the arrays (numpy kept) and results, in the JSON
        conventions of the module docstring."""
        meta = {
            "checks": {k: c.to_dict() for k, c in self.checks.items()},
            "warnings": list(self.warnings),
            "units": self.all_units,
            "arrays": {
                k: {"quantity": a.quantity, "unit": a.unit, "axis": a.axis}
                for k, a in self.arrays.items()
            },
        }
        data: dict[str, Any] = {k: jsonable(s.values) for k, s in self.arrays.items()}
        data.update({k: jsonable(v) for k, v in self.results.items()})
        return meta, data

    def summary(self) -> str:
        """The checks as lines of text (``name: ok|FAILED|- (kind) value tolerance``), then the
        warnings; each check's statement is in its ``equation``."""
        lines = []
        for name, c in self.checks.items():
            mark = {True: "ok", False: "FAILED", None: "-"}[c.verdict]
            val = "" if c.value is None else f" value={c.value:.6g}"
            tol = "" if c.tolerance is None else f" tolerance={c.tolerance:.3g}"
            lines.append(f"{name}: {mark} ({c.kind}){val}{tol}")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


#: Every array of a report is finite; a report with non-finite entries carries this failed check
#: (added by :class:`Report` itself), so an answer never holds a silent null.
FINITE: Final = CheckSpec(
    name="finite_values",
    kind="bound",
    equation="every entry of every array is a finite number; value = number of entries that are "
    "not (NaN or +-inf, null in JSON)",
    explanation="Some numbers left floating-point range (a pole on the grid, an overflow, a "
    "strength or frequency of extreme size): those entries are null and mean nothing.",
    tolerance=0.0,
    warning="{value:.0f} array entries are not finite (null in JSON): {arrays}. They mean a pole "
    "on the grid or numbers beyond floating-point range; move the grid off the pole or use "
    "parameters of ordinary size",
)


def _count_nonfinite(values: NDArray[Any]) -> int:
    a = np.asarray(values)
    if a.dtype.kind not in "fc":
        return 0
    return int(a.size - np.count_nonzero(np.isfinite(a)))


def checks_of(*items: Check | tuple[str, Check]) -> dict[str, Check]:
    """A name -> Check mapping that refuses a name twice (one verdict per statement).

    Each item is a :class:`Check` (keyed by the name of the spec that made it) or a
    ``(name, check)`` pair.
    """
    out: dict[str, Check] = {}
    for item in items:
        name, c = (item.name, item) if isinstance(item, Check) else item
        if not name:
            raise ValueError("a check without a name: give (name, check)")
        if name in out:
            raise ValueError(f"check {name!r} given twice")
        out[name] = c
    return out


def _as_float(x: Any) -> float:
    return float(np.real(x))


def jsonable(x: Any) -> Any:
    """``x`` in the JSON conventions of the API (numpy arrays kept, complex split, NaN -> None)."""
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, Check):
        return x.to_dict()
    if isinstance(x, np.ndarray):
        if np.iscomplexobj(x):
            a = np.asarray(x, dtype=np.complex128)
            return {"real": _finite_array(a.real), "imag": _finite_array(a.imag)}
        if x.dtype.kind == "f":
            return _finite_array(x)
        return x
    if isinstance(x, complex | np.complexfloating):
        return {"real": jsonable(float(x.real)), "imag": jsonable(float(x.imag))}
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    return x


def _finite_array(a: NDArray[Any]) -> Any:
    """A real array as is when finite (the common case, no copy), else a list with ``None``."""
    a = np.ascontiguousarray(a)
    ok = np.isfinite(a)
    if ok.all():
        return a
    return np.where(ok, a, np.array(None, dtype=object)).tolist()
