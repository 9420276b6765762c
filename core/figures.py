"""How each report is drawn: :class:`Figure` specs, one list per report model.

A figure names report arrays (or 1-D entries of ``results``) by key, so it can be drawn from a
:class:`core.checks.Report` or from the API's JSON answer alike (the web layer renders PNG/SVG from
the stored answer; the teaching page draws the same specs in the browser). Conventions: a complex
array is drawn as two traces, its real part solid and its imaginary part dashed; ``x`` is the axis
the series vary along; ``ticks`` label positions on x (the vertices of a k-path).

:func:`figures_for` returns the figures of a report; :data:`FIGURES` maps a report model name to
the function that builds them (a model without an entry has no figure).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from core import chiral, molecular, optics, oscillators
from core.checks import Report
from core.crystal import model as crystal
from core.emitters import MODEL_VERSIONS as EMITTER_MODELS

FigureKind = Literal["spectrum", "bands", "map", "dispersion", "angular", "sweep"]
FIGURE_KINDS: Final[tuple[str, ...]] = get_args(FigureKind)
Scale = Literal["linear", "log"]
Part = Literal["real", "imag", "value"]


@dataclass(frozen=True)
class Axis:
    """One axis: the array it reads (``name``), its label and unit, and its scale."""

    name: str
    label: str
    unit: str
    scale: Scale = "linear"


@dataclass(frozen=True)
class Trace:
    """One curve (or, in a ``map``, the colour values): the array ``name`` and which part of it."""

    name: str
    label: str
    part: Part = "value"


@dataclass(frozen=True)
class Figure:
    """One panel.

    Attributes
    ----------
    kind
        ``spectrum`` (series against frequency or wavelength), ``bands`` (energies along a
        labelled k-path), ``map`` (a k-space map: ``z`` on the ``x`` x ``y`` grid), ``dispersion``
        (branches w(k)), ``angular`` (R/T/A against angle), ``sweep`` (scalars against a swept
        parameter).
    title
        The panel title.
    x, y_label, y_unit, y_scale
        The x axis, and the label, unit and scale of the y axis.
    traces
        The curves drawn against x.
    y
        For a map: its second axis; ``z``: the colour values.
    ticks
        Labelled positions on x: ``(position, label)``.
    """

    kind: FigureKind
    title: str
    x: Axis
    y_label: str
    y_unit: str
    traces: tuple[Trace, ...] = ()
    y_scale: Scale = "linear"
    y: Axis | None = None
    z: Trace | None = None
    ticks: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in FIGURE_KINDS:
            raise ValueError(f"figure kind {self.kind!r} not in {FIGURE_KINDS}")
        if self.kind == "map" and (self.y is None or self.z is None):
            raise ValueError("a map needs a y axis and z values")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``meta.figures[i]`` of the API)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "x": vars(self.x),
            "y_label": self.y_label,
            "y_unit": self.y_unit,
            "y_scale": self.y_scale,
            "traces": [vars(t) for t in self.traces],
            "y": None if self.y is None else vars(self.y),
            "z": None if self.z is None else vars(self.z),
            "ticks": [list(t) for t in self.ticks],
        }


# ------------------------------------------------------------------------------------------------
# Names: an array of the report, or a dotted path into its results, with an optional column
# ------------------------------------------------------------------------------------------------

_COLUMN = re.compile(r"^(?P<path>[^\[\]]+)(?:\[(?P<col>\d+)\])?$")


def parse_name(name: str) -> tuple[tuple[str, ...], int | None]:
    """``"branches.omega"`` -> ``(("branches", "omega"), None)``; ``"curvature[0]"`` ->
    ``(("curvature",), 0)``: a dotted path into the answer and the column of a 2-D array."""
    m = _COLUMN.match(name)
    if m is None:
        raise ValueError(f"not a figure array name: {name!r}")
    col = m.group("col")
    return tuple(m.group("path").split(".")), None if col is None else int(col)


def lookup(source: Mapping[str, Any], name: str) -> Any:
    """The entry ``name`` (:func:`parse_name`) of ``source`` (a report's arrays and results, or
    the API's JSON answer), without its column index; ``KeyError`` when absent."""
    path, _ = parse_name(name)
    value: Any = source
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise KeyError(name)
        value = value[key]
    return value


def figure_names(fig: Figure) -> tuple[str, ...]:
    """Every array name ``fig`` reads (its axes, traces and colour values)."""
    names = [fig.x.name, *(t.name for t in fig.traces)]
    if fig.y is not None:
        names.append(fig.y.name)
    if fig.z is not None:
        names.append(fig.z.name)
    return tuple(n for n in names if n)


def report_source(report: Report) -> dict[str, Any]:
    """What figure names resolve against: the report's array values and its results."""
    return {**{k: s.values for k, s in report.arrays.items()}, **report.results}


# ------------------------------------------------------------------------------------------------
# Builders
# ------------------------------------------------------------------------------------------------

_GREEK = {"G": "Γ", "Gamma": "Γ", "GAMMA": "Γ", "g": "Γ"}


def _is_log_grid(w: NDArray[Any]) -> bool:
    """A grid drawn on a log axis: positive, at least 3 points, spanning more than a decade, with
    a constant ratio between neighbours (a ``spacing: log`` grid)."""
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.size < 3 or not np.all(np.isfinite(w)) or np.any(w <= 0):
        return False
    ratio = w[1:] / w[:-1]
    span = float(w.max() / w.min())
    return span > 10.0 and bool(np.allclose(ratio, ratio[0], rtol=1e-6))


def _freq_axis(r: Report, name: str = "frequencies") -> Axis:
    s = r.arrays[name]
    label = "vacuum wavelength λ" if s.unit == "nm" else "frequency ω"
    return Axis(name, label, s.unit, "log" if _is_log_grid(s.values) else "linear")


def _traces(r: Report, name: str, label: str) -> tuple[Trace, ...]:
    """A complex array as Re (solid) and Im (dashed) traces; a real one as one trace."""
    if name not in r.arrays:
        return ()
    if r.arrays[name].is_complex:
        return (Trace(name, f"Re {label}", "real"), Trace(name, f"Im {label}", "imag"))
    return (Trace(name, label),)


def _unit_of(r: Report, *names: str) -> str:
    units = {r.arrays[n].unit for n in names if n in r.arrays}
    return units.pop() if len(units) == 1 else ""


def _spectrum(
    r: Report, title: str, y_label: str, names: Sequence[tuple[str, str]]
) -> Figure | None:
    """A spectrum panel, or ``None`` when the answer has no frequency grid or none of the arrays
    (an emitter answer without a grid, a dispersion answer on a k grid only)."""
    traces = tuple(t for n, lab in names for t in _traces(r, n, lab))
    if "frequencies" not in r.arrays or not traces:
        return None
    return Figure(
        "spectrum", title, _freq_axis(r), y_label, _unit_of(r, *(n for n, _ in names)), traces
    )


def oscillator_figures(r: Report) -> tuple[Figure | None, ...]:
    """eps and mu (eq 21), and chi = 1 - 1/mu (eq 23), against frequency: the multipole
    oscillator medium and the emitters' media (W&B Fig. 2)."""
    return (
        _spectrum(
            r, "permittivity and permeability (eq 21)", "ε, μ", [("epsilon", "ε"), ("mu", "μ")]
        ),
        _spectrum(r, "magnetic susceptibility χ = 1 - 1/μ (eq 23)", "χ", [("chi", "χ")]),
    )


_KK_SYMBOL = {"chi": "χ", "epsilon": "ε", "mu": "μ"}


def causality_oscillator_figures(r: Report) -> tuple[Figure | None, ...]:
    """Per quantity: Re of the model, Re from Im by Kramers-Kronig (eq 6) and Im of the model."""
    out = []
    for q, sym in _KK_SYMBOL.items():
        if f"{q}_real" not in r.arrays:
            continue
        traces: tuple[Trace, ...] = (
            Trace(f"{q}_real", f"Re {sym} (model)", "real"),
            Trace(f"{q}_real_kk", f"Re {sym} from Im {sym} (eq 6)", "real"),
            Trace(f"{q}_imag", f"Im {sym} (model)", "imag"),
        )
        traces = tuple(t for t in traces if t.name in r.arrays)
        out.append(
            Figure(
                "spectrum",
                f"{sym}(ω): the model and its Kramers-Kronig transform",
                _freq_axis(r),
                sym,
                _unit_of(r, *(t.name for t in traces)),
                traces,
            )
        )
    return tuple(out)


def kramers_kronig_figures(r: Report) -> tuple[Figure | None, ...]:
    """The given parts and their reconstructions by eqs 5-6, against frequency or wavelength."""
    sym = "f"
    for part in ("real", "imag"):
        if part in r.arrays:
            sym = r.arrays[part].quantity.split(" as given")[0].split(" ", 1)[-1]
    named = (
        ("real", f"Re {sym} (given)", "real"),
        ("real_kk", f"Re {sym} from Im (eq 6)", "real"),
        ("imag", f"Im {sym} (given)", "imag"),
        ("imag_kk", f"Im {sym} from Re (eq 5)", "imag"),
    )
    traces = tuple(Trace(n, lab, p) for n, lab, p in named if n in r.arrays)  # type: ignore[arg-type]
    return (
        Figure(
            "spectrum",
            f"{sym}: given and reconstructed by Kramers-Kronig",
            _freq_axis(r),
            sym,
            "1",
            traces,
        ),
    )


def reflectance_figures(r: Report) -> tuple[Figure | None, ...]:
    """R, T, A of a stack: against angle at one frequency, else against frequency or
    wavelength (one curve per angle: the rows of each angle form one sweep)."""
    f = np.asarray(r.arrays["frequencies"].values)
    ang = np.asarray(r.arrays["angles"].values)
    names = [
        (f"{q}_{pol}", f"{q} {pol}")
        for pol in ("s", "p")
        for q in ("R", "T", "A")
        if f"{q}_{pol}" in r.arrays
        # A = 1 - R - T is drawn where the stack absorbs (a lossless stack's A is round-off)
        and (q != "A" or float(np.max(np.abs(r.arrays[f"A_{pol}"].values))) > 1e-6)
    ]
    traces = tuple(Trace(n, lab) for n, lab in names)
    if np.unique(f).size == 1 and np.unique(ang).size > 1:
        fu = r.arrays["frequencies"].unit
        at = "wavelength" if fu == "nm" else "frequency"
        return (
            Figure(
                "angular",
                f"reflectance, transmittance, absorptance at {at} {float(f[0]):.4g} {fu}",
                Axis("angles", "angle of incidence θ", "deg"),
                "R, T, A",
                "1",
                traces,
            ),
        )
    angles = ", ".join(f"{a:g}" for a in dict.fromkeys(ang.tolist()))
    return (
        Figure(
            "spectrum",
            f"reflectance, transmittance, absorptance at θ = {angles} deg",
            _freq_axis(r),
            "R, T, A",
            "1",
            traces,
        ),
    )


def dispersion_figures(r: Report) -> tuple[Figure | None, ...]:
    """The complex branches w_j(k) (Re solid, Im dashed) and the index n(w) of the medium."""
    out: list[Figure | None] = []
    br = r.results.get("branches")
    if isinstance(br, Mapping) and "k" in br and "omega" in br:
        out.append(
            Figure(
                "dispersion",
                "polariton branches ω_j(k) of k² = ω² ε(ω) μ(ω)",
                Axis("branches.k", "wavenumber k", str(r.units.get("branches.k", ""))),
                "ω",
                str(r.units.get("branches.omega", "")),
                (
                    Trace("branches.omega", "Re ω_j(k)", "real"),
                    Trace("branches.omega", "Im ω_j(k)", "imag"),
                ),
            )
        )
    out.append(_spectrum(r, "refractive index n(ω)", "n", [("refractive_index", "n")]))
    return tuple(out)


def magnetic_resonance_figures(r: Report) -> tuple[Figure | None, ...]:
    """Cho's magnetic resonance (eqs 44-47): mu(w), the wavenumber k(w) and the normal-incidence
    reflectance, each in its own panel (Figs. 1-2)."""
    return (
        _spectrum(r, "permeability μ(ω) (eq 46 or 47)", "μ", [("mu", "μ")]),
        _spectrum(r, "wavenumber k = n ω / c", "k", [("wavenumber", "k")]),
        _spectrum(r, "normal-incidence reflectance", "R", [("reflectance", "R")]),
    )


def single_susceptibility_figures(r: Report) -> tuple[Figure | None, ...]:
    """Cho's chiral medium: the indices n_+- (eq 29) and the rotatory power, with the
    Drude-Born-Fedorov comparison (eq 43) where it was computed."""
    return (
        _spectrum(r, "helicity indices n± (eq 29)", "n", [("n_plus", "n₊"), ("n_minus", "n₋")]),
        _spectrum(
            r,
            "rotatory power (Re k₊ - Re k₋)/2",
            "rotatory power",
            [("rotatory_power", "single susceptibility"), ("dbf_rotatory_power", "DBF (eq 43)")],
        ),
    )


def molecular_figures(r: Report) -> tuple[Figure | None, ...]:
    """Anelli et al.: the refractive indices of eq 57, or the isotropic polarizability and
    magnetizability (Table 1) and the absorption coefficient (eq 40)."""
    if "n1" in r.arrays:
        return (
            _spectrum(r, "refractive indices (eq 57)", "n", [("n1", "n₁"), ("n2", "n₂")]),
            _spectrum(
                r,
                "absorption 2 (ω/c) Im n",
                "absorption",
                [("absorption_1", "from n₁"), ("absorption_2", "from n₂")],
            ),
        )
    return tuple(
        _spectrum(r, title, sym, [(name, sym)])
        for name, title, sym in (
            ("alpha_isotropic", "isotropic polarizability tr(α)/3", "α"),
            ("chi_isotropic", "isotropic magnetizability tr(χ)/3", "χ"),
            ("absorption_coefficient", "absorption coefficient (eq 40)", "absorption"),
        )
        if name in r.arrays
    )


def _band_names(r: Report) -> list[str]:
    return sorted((n for n in r.arrays if re.fullmatch(r"band_\d+", n)), key=lambda n: int(n[5:]))


def tight_binding_figures(r: Report) -> tuple[Figure | None, ...]:
    """Bands along a labelled k-path (Γ/K/M ticks), a k-space map (Berry curvature of the lowest
    band, or the lowest band on a grid), or, for the orbital susceptibility (scalars), a
    ``sweep`` of chi_1 and chi_2 (drawn against the swept parameter when a preset has several
    bodies)."""
    if "distance" in r.arrays:
        bands = _band_names(r)
        ticks = tuple(
            (float(v["distance"]), _GREEK.get(str(v["label"]), str(v["label"])))
            for v in r.results.get("vertices", [])
        )
        return (
            Figure(
                "bands",
                "band energies along the k-path",
                Axis("distance", "k-path", r.arrays["distance"].unit),
                "E",
                _unit_of(r, *bands),
                tuple(Trace(b, f"E_{b[5:]}") for b in bands),
                ticks=ticks,
            ),
        )
    if "kx" in r.arrays and "ky" in r.arrays:
        ku = r.arrays["kx"].unit
        if "curvature" in r.arrays:
            z = Trace("curvature[0]", f"Ω_0 [{r.arrays['curvature'].unit}]")
            title = "Berry curvature of the lowest band"
        else:
            bands = _band_names(r)
            if not bands:
                return ()
            z = Trace(bands[0], f"E_0 [{r.arrays[bands[0]].unit}]")
            title = "lowest band on the k grid"
        return (
            Figure(
                "map",
                title,
                Axis("kx", "k_x", ku),
                "k_y",
                ku,
                y=Axis("ky", "k_y", ku),
                z=z,
            ),
        )
    if "chi_2" in r.results:
        unit = str(r.units.get("chi", ""))
        traces = [Trace("chi_2.total", "χ_2 (eqs 83-84)")]
        if r.results.get("chi_1") is not None:
            traces.insert(0, Trace("chi_1.total", "χ_1 (eqs 70-73)"))
        return (
            Figure(
                "sweep",
                "orbital susceptibility χ^zz",
                Axis("", "swept parameter", ""),
                "χ",
                unit,
                tuple(traces),
            ),
        )
    return ()


#: Report model name -> the function that builds its figures.
FIGURES: dict[str, Callable[[Report], tuple[Figure | None, ...]]] = {
    oscillators.MODEL_NAME: oscillator_figures,
    **dict.fromkeys(EMITTER_MODELS, oscillator_figures),
    "causality-oscillator": causality_oscillator_figures,
    "causality-kramers-kronig": kramers_kronig_figures,
    optics.MODEL_NAME_REFLECTANCE: reflectance_figures,
    optics.MODEL_NAME_DISPERSION: dispersion_figures,
    chiral.MODEL_NAME_MAGNETIC: magnetic_resonance_figures,
    chiral.MODEL_NAME_CHIRAL: single_susceptibility_figures,
    molecular.MODEL_NAME: molecular_figures,
    crystal.MODEL_NAME: tight_binding_figures,
}


def figures_for(report: Report) -> tuple[Figure, ...]:
    """The figures of ``report`` (empty when its model has none; a panel whose arrays the answer
    does not hold is left out)."""
    build = FIGURES.get(report.model)
    return () if build is None else tuple(f for f in build(report) if f is not None)


# --- issue 15: frequency-dependent crystal response (core.crystal.response_report) ----------
def crystal_response_figures(r: Report) -> tuple[Figure | None, ...]:
    """sigma_L / sigma_K (Duff & Sipe Fig. 5) and chi_M(w) (eq 74) against photon energy; other
    tight-binding reports fall through to :func:`tight_binding_figures`."""
    sl = [n for n in r.arrays if n.startswith("sigma_L_")]
    sk = [n for n in r.arrays if n.startswith("sigma_K_")]
    if not sl and not sk and "chi_M" not in r.arrays:
        return tight_binding_figures(r)
    return (
        _spectrum(
            r,
            "q² effective conductivity σ_L (eqs 16, 89; Fig. 5)",
            "σ_L",
            [(n, f"σ_L^{n[8:]}") for n in sl],
        ),
        _spectrum(
            r,
            "q² effective conductivity σ_K (eqs 17, 91)",
            "σ_K",
            [(n, f"σ_K^{n[8:]}") for n in sk],
        ),
        _spectrum(r, "magnetic susceptibility χ_M^zz(ω) (eq 74)", "χ_M", [("chi_M", "χ_M")]),
    )


FIGURES[crystal.MODEL_NAME] = crystal_response_figures
# --- end issue 15 ----------------------------------------------------------------------------


# --- issue 16: states of a quantum-chemistry calculation (core.quantum_chem) ----------------
#: core.quantum_chem.MODEL_NAME, spelled here so that drawing does not import PySCF.
QUANTUM_CHEM_MODEL: Final = "molecular-states-pyscf"


def quantum_chem_figures(r: Report) -> tuple[Figure | None, ...]:
    """The oscillator strengths of the excited states, length and velocity form side by side
    (their agreement is the gauge_agreement check; both sum to N_e for a complete basis, TRK)."""
    if "excitation_energies" not in r.arrays:
        return ()
    traces = tuple(
        Trace(n, label)
        for n, label in (
            ("oscillator_strength_length", "f (length form)"),
            ("oscillator_strength_velocity", "f (velocity form)"),
        )
        if n in r.arrays
    )
    return (
        Figure(
            "spectrum",
            "oscillator strengths of the excited states",
            Axis("excitation_energies", "excitation energy", r.arrays["excitation_energies"].unit),
            "f",
            "1",
            traces,
        ),
    )


FIGURES[QUANTUM_CHEM_MODEL] = quantum_chem_figures
# --- end issue 16 ----------------------------------------------------------------------------
