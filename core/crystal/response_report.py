"""Reports of the frequency-dependent crystal response (Duff & Sipe, secs. VI-VII; Fig. 5).

Two reports, each with its checks (verdicts, tolerances and warnings are written here once):

* :func:`q2_conductivity_report`: sigma_L^{izj}(w) and sigma_K^{i(ljk)}(w) of
  :func:`core.crystal.response.q2_conductivity` (gauge invariant at every k), and optionally the
  paper's chi_M(w) of eq 74;
* :func:`magnetic_susceptibility_report`: chi_M^zz(w) of eq 74 with its parts, in the paper's
  gauge (the tensor is gauge dependent at w != 0, which is the paper's point).

Units: as :mod:`core.crystal.response` (hbar = e = 1, c -> 1; chi and sigma_L per unit area in
e^2 E_u L_u^2 / hbar^2, per unit volume for 3D models with B along z; hbar w and eta in E_u).
Sign convention stated in every response: sigma_L^{xzy}(0) = -chi^zz_static (eq 16 at w = 0;
-c chi in Gaussian units).

Blocks. Every Brillouin-zone sum of a report runs over the grid or its half grid (the
convergence and parity checks), so each report is written as partial sums over blocks of grid
rows (``*_block``: JSON-able dicts) and a reduction (``*_reduce``) that builds the report and
its checks from all of them; the plan (which rows a block holds) is
:func:`core.crystal.reports.orbital_susceptibility_plan`, a function of the grid sizes and the
block count only. The single-process report is the one-block plan through the same code, so a
split report differs from it by the order of the floating-point additions only. The one global
quantity a block needs, the parity test frequency (half the smallest direct gap of the half
grid), is found by every half-grid block from the band energies of the whole half grid (one
diagonalisation per point, a small fraction of the kernel's 13 per point and frequency work).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.crystal import response, susceptibility
from core.crystal.bloch import MAX_K_POINTS, check_k_points
from core.crystal.model import MODEL_NAME, TightBindingModel
from core.crystal.reports import (
    half_grid,
    orbital_susceptibility_block_count,
    orbital_susceptibility_plan,
)
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
Chi2Method = Literal["two_band", "quadrature"]

#: Version of the response computations (part of every cache key).
RESPONSE_VERSION: Final = "1.1.0"

STATIC_RTOL: Final = 1e-6
FSUM_RTOL: Final = 1e-8
PARITY_RTOL: Final = 1e-8
CONVERGENCE_RTOL: Final = 1e-3
CHI_STATIC_RTOL: Final = 1e-8

#: The sign and unit convention, stated in every response.
SIGN_CONVENTION: Final = (
    "J^i = -sigma_L^{ilj} dB^l/dx^j - sigma_K^{iljk} K^{ljk} (eqs 11-12, exp(-i w t)); "
    "sigma_L^{xzy}(0) = -chi^zz_static and sigma_L^{yzx}(0) = +chi^zz_static (eq 16 at w = 0; "
    "-c chi in Gaussian units, -chi in the SI form used here); chi < 0 is diamagnetic, so a "
    "positive sigma_L^{xzy} is the diamagnetic sign"
)

STATIC_LIMIT: Final = CheckSpec(
    name="static_limit",
    kind="indicative",
    equation="sigma_L^{xzy}(0) = -chi^zz_static and sigma_L^{yzx}(0) = +chi^zz_static (Duff & "
    "Sipe eq 16 at w = 0, where only chi_M survives; chi_static = chi_2 of eqs 83-84 on the "
    "same k-grid)",
    explanation="The w = 0 limit of the q^2 current response must be the static orbital "
    "susceptibility; both are sums over the same grid that converge to the same integral, so a "
    "failure means the grid does not resolve the integrand (or a broken model).",
    tolerance=STATIC_RTOL,
    warning="sigma_L(0) differs from -chi_static by {value:.2g} (relative) on the {grid} grid: "
    "the k-grid does not resolve the response; refine it",
)

FSUM: Final = CheckSpec(
    name="f_sum_rule",
    kind="indicative",
    equation="K^{ab}(q = 0, w = 0) = -(1/A) sum_n f_n int d^2E_n/dk_a dk_b = 0 (the Hessian, "
    "velocity and Berry-connection sum rules of Duff & Sipe eqs 103, 106, 107: w_nn + "
    "sum_m 2 Re v_nm v_mn / (E_n - E_m) = d^2 E_n)",
    explanation="A uniform static vector potential is a gauge transformation: the diamagnetic "
    "and paramagnetic parts must cancel. The residual (relative to the diamagnetic part) "
    "measures the grid's error of a periodic total derivative; a failure means the grid is too "
    "coarse for this model.",
    tolerance=FSUM_RTOL,
    warning="the f-sum rule residual is {value:.2g} of the diamagnetic term on the {grid} grid: "
    "refine the grid",
)

PARITY: Final = CheckSpec(
    name="frequency_parity",
    kind="bound",
    equation="time-reversal symmetry (t2 = 0 in the Haldane model), hbar w below the gap, "
    "0+ -> 0: sigma_L(w) = sigma_L(-w) and sigma_K(w) = -sigma_K(-w) (Duff & Sipe sec. VI.I; the "
    "printed sigma_L^{ilj}(w) = sigma_L^{ijl}(-w) swaps the indices by a typo: B along z with "
    "in-plane currents has no ijl partner in 2D)",
    explanation="Evaluated on the half grid at +-w = +-gap/2 (gap: its smallest direct gap) "
    "with 0+ = 0 on a grid symmetric under k -> -k; the relation also pairs k with k + q, an "
    "integration by parts the grid does to exponential accuracy (for a 3D model whose a3 has an "
    "in-plane part, only as n_z resolves the interlayer terms). A failure in a "
    "time-reversal-symmetric model means the grid is too coarse or the symmetry is broken.",
    tolerance=PARITY_RTOL,
    warning="the t2 = 0 frequency parity fails by {value:.2g} (relative)",
)

CHI_PARITY: Final = CheckSpec(
    name="frequency_parity",
    kind="bound",
    equation="time-reversal symmetry, hbar w below the gap, 0+ -> 0: chi_M(w) = chi_M(-w) "
    "(Duff & Sipe sec. VI.I)",
    explanation="Evaluated on the half grid at +-gap/2 (gap: its smallest direct gap) with "
    "0+ = 0; a failure in a time-reversal-symmetric model means the implementation of eq 74 "
    "broke the symmetry.",
    tolerance=PARITY_RTOL,
    warning="chi_M(w) = chi_M(-w) fails by {value:.2g} (relative)",
)

CHI_STATIC: Final = CheckSpec(
    name="static_limit",
    kind="indicative",
    equation="chi_M(w = 0) = chi_static (Duff & Sipe eq 74 at w = 0 -> eqs 70-73; compared "
    "with chi_2 of eqs 83-84 on the same k-grid)",
    explanation="Eq 74 at w = 0 is eqs 70-73, which equal the explicitly gauge-invariant chi_2 "
    "in trivial insulators; a failure means the grid does not resolve the Berry connections or "
    "the gauge is singular (Chern phase).",
    tolerance=CHI_STATIC_RTOL,
    warning="chi_M(0) differs from chi_static by {value:.2g} (relative): refine the grid, or the "
    "model is a Chern insulator whose gauge is singular",
)

CONVERGENCE: Final = CheckSpec(
    name="grid_convergence",
    kind="indicative",
    equation="max_w |X(grid) - X(half grid)| / max_w |X(grid)| <= tolerance for every reported "
    "component X",
    explanation="Grid halving estimates the k-sampling error; with a small 0+ the resonances "
    "need many k-points per 0+ / (band velocity), so a failure means the spectra are not "
    "converged to their relative change.",
    tolerance=CONVERGENCE_RTOL,
    warning="the response changes by {value:.2g} (relative) between the {grid_half} and {grid} "
    "grids: refine the grid or increase 0+",
)

CHERN_NOTE: Final = (
    "Chern insulator (C = {chern}): the multipole theory presupposes a trivial insulator (sec. "
    "II.B); the Kubo kernel is still defined, but the paper's decomposition does not apply and "
    "chi_M(w) has no smooth gauge"
)
GAUGE_NOTE: Final = (
    "chi_M(w != 0) of eq 74 is not gauge invariant (sec. VI): these numbers are in the paper's "
    "gauge (eqs 98-101); only sigma_L and sigma_K are physical"
)


THREE_D_NOTE: Final = (
    "3D model: B along z, in-plane currents and field gradients only (i, j in {x, y}); the sum "
    "runs over the 3D grid (kz a parameter of each term) and chi, sigma_L are per unit volume"
)


def has_time_reversal(model: TightBindingModel) -> bool:
    """True when H(k)* = H(-k) (spinless time reversal: all hoppings and on-sites real)."""
    return bool(np.all(np.abs(np.imag(model.hop_amplitude)) <= 1e-14))


def _rel(a: complex | NDArray[Any], b: complex | NDArray[Any]) -> float:
    den = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / den


def _chi_unit(model: TightBindingModel, energy_unit: str, length_unit: str) -> str:
    per = "area" if model.dim == 2 else "volume"
    return f"e^2 E_u L_u^2 / hbar^2 per unit {per} (E_u = {energy_unit}, L_u = {length_unit})"


# ---------------------------------------------------------------------------------------------
# Blocks of grid rows (one report on several workers)
# ---------------------------------------------------------------------------------------------


def response_block_count(grid: Sequence[int], block_k_points: int) -> int:
    """Blocks of about ``block_k_points`` k-points for a report on ``grid`` (sizes only): 1 when
    the grid and its half grid together hold at most that many points, else blocks of the grid
    plus blocks of the half grid (:func:`core.crystal.reports.orbital_susceptibility_block_count`,
    the same plan)."""
    return orbital_susceptibility_block_count(tuple(grid), block_k_points)


def _test_frequency(
    model: TightBindingModel, half: tuple[int, ...], filling: int | None, shift: float
) -> float:
    """hbar w of the parity check: half the smallest direct gap on the half grid's points (every
    kernel denominator there is at least twice as large)."""
    info = susceptibility.scan_gap(model, half, filling, shift)
    return 0.5 * float(info.direct_gap_min)


def _pieces(
    ns: tuple[int, ...], half: tuple[int, ...], partials: Sequence[Mapping[str, Any]]
) -> dict[str, list[Mapping[str, Any]]]:
    """The pieces of every block, by grid ("grid", "half"), in block order."""
    out: dict[str, list[Mapping[str, Any]]] = {"grid": [], "half": []}
    for part in partials:
        if list(part["grid"]) != list(ns) or list(part["half"]) != list(half):
            raise ValueError(f"partials of the grid {part['grid']}, not of {list(ns)}")
        for piece in part["pieces"]:
            out[piece["grid"]].append(piece)
    return out


def _plan_rows(ns: tuple[int, ...], index: int, count: int) -> list[tuple[str, tuple[int, int]]]:
    plan = orbital_susceptibility_plan(ns, count)
    if not 0 <= index < count:
        raise ValueError(f"block {index} of {count}")
    return [(blk.grid, (blk.start, blk.stop)) for blk in plan[index]]


def _half_test_frequency(pieces: Sequence[Mapping[str, Any]]) -> float:
    found = {float(p["test_frequency"]) for p in pieces}
    if len(found) != 1:
        raise ValueError(f"half-grid blocks at different test frequencies {sorted(found)}")
    return found.pop()


# ---------------------------------------------------------------------------------------------
# sigma_L, sigma_K (and optionally chi_M)
# ---------------------------------------------------------------------------------------------


def _q2_setup(
    model: TightBindingModel,
    grid: Sequence[int],
    sigma_l: Sequence[str],
    sigma_k: Sequence[str],
    max_k_points: int,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[str, ...], Chi2Method]:
    """Grid, half grid, the sigma_L components evaluated (xzy always, for the static check) and
    the chi_2 method, after the size and component checks."""
    ns = response.grid_sizes(model, grid)
    check_k_points(int(np.prod(ns)), max_k_points)
    if not tuple(sigma_l) and not tuple(sigma_k):
        raise InvalidInput(
            "ask for at least one component", field=("sigma_L",), fix='e.g. "sigma_L": ["xzy"]'
        )
    method = susceptibility.chi2_method(model)
    susceptibility.check_chi2_size(model, ns, method, max_k_points)
    static_l = tuple(dict.fromkeys((*sigma_l, "xzy")))
    return ns, half_grid(ns), static_l, method


def _with(w: FloatArray, eta: float, extra: Sequence[float]) -> tuple[FloatArray, FloatArray]:
    """The requested frequencies (broadening eta) followed by ``extra`` ones at 0+ = 0."""
    return (
        np.concatenate([w, np.asarray(extra, dtype=np.float64)]),
        np.concatenate([np.full(w.shape, float(eta)), np.zeros(len(extra))]),
    )


def q2_conductivity_block(
    model: TightBindingModel,
    grid: Sequence[int],
    omega: FloatArray,
    eta: float,
    index: int,
    count: int,
    *,
    sigma_l: Sequence[str] = ("xzy",),
    sigma_k: Sequence[str] = (),
    include_chi_m: bool = False,
    shift: float = 0.5,
    filling: int | None = None,
    max_k_points: int = MAX_K_POINTS,
) -> dict[str, Any]:
    """The partial sums of block ``index`` of ``count`` of :func:`q2_conductivity_report`.

    Parameters as the report. Returns a JSON-able dict: ``grid``, ``half`` and one entry of
    ``pieces`` per row block: on the grid the kernel sums at the requested frequencies and at
    w = 0 (:class:`core.crystal.response.Q2Partial`), the chi_2 sums
    (:class:`core.crystal.susceptibility.Chi2Partial`) and, when asked, the chi_M sums
    (:class:`core.crystal.response.ChiMPartial`); on the half grid the kernel sums at the
    requested frequencies and at +-``test_frequency`` (0+ = 0).
    """
    ns, half, static_l, method = _q2_setup(model, grid, sigma_l, sigma_k, max_k_points)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    kw: dict[str, Any] = {"sigma_l": static_l, "sigma_k": tuple(sigma_k), "filling": filling}
    pieces: list[dict[str, Any]] = []
    for which, rows in _plan_rows(ns, index, count):
        if which == "grid":
            w_all, eta_all = _with(w, eta, [0.0])
            q2 = response.q2_partial(
                model, ns, rows, w_all, eta=eta_all, shift=shift, max_k_points=max_k_points, **kw
            )
            c2 = susceptibility.chi2_partial(
                model,
                ns,
                rows,
                filling=filling,
                shift=shift,
                method=method,
            )
            cm = None
            if include_chi_m:
                cm = response.chi_m_partial(
                    model,
                    ns,
                    rows,
                    w,
                    eta=float(eta),
                    filling=filling,
                    shift=shift,
                    max_k_points=max_k_points,
                ).to_dict()
            pieces.append({"grid": which, "q2": q2.to_dict(), "chi2": c2.to_dict(), "chi_m": cm})
        else:
            wp = _test_frequency(model, half, filling, shift)
            w_h, eta_h = _with(w, eta, [wp, -wp])
            q2 = response.q2_partial(model, half, rows, w_h, eta=eta_h, shift=shift, **kw)
            pieces.append({"grid": which, "q2": q2.to_dict(), "test_frequency": wp})
    return {"grid": list(ns), "half": list(half), "pieces": pieces}


def q2_conductivity_reduce(
    model: TightBindingModel,
    grid: Sequence[int],
    omega: FloatArray,
    eta: float,
    partials: Sequence[Mapping[str, Any]],
    *,
    sigma_l: Sequence[str] = ("xzy",),
    sigma_k: Sequence[str] = (),
    include_chi_m: bool = False,
    frequencies: FloatArray | None = None,
    frequency_unit: str = "model",
    filling: int | None = None,
    max_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
    chern: int | None = None,
) -> Report:
    """The report of :func:`q2_conductivity_report` from the partials of every block.

    ``partials``: the dicts of :func:`q2_conductivity_block` (or their JSON round trip) of all
    blocks of one plan, in block order; the other parameters as in the report and equal to
    those the blocks had. Raises as the report does (gap, touching bands), and ``ValueError``
    when the partials are not those of one plan over this grid.
    """
    ns, half, static_l, _ = _q2_setup(model, grid, sigma_l, sigma_k, max_k_points)
    sl, sk = tuple(sigma_l), tuple(sigma_k)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    nw = w.shape[0]
    pieces = _pieces(ns, half, partials)
    kw: dict[str, Any] = {"sigma_l": static_l, "sigma_k": sk, "filling": filling}
    w_all, eta_all = _with(w, eta, [0.0])
    r = response.q2_reduce(
        model,
        ns,
        w_all,
        [response.Q2Partial.from_dict(p["q2"]) for p in pieces["grid"]],
        eta=eta_all,
        max_k_points=max_k_points,
        **kw,
    )
    chi_s = susceptibility.chi2_reduce(
        model, ns, [susceptibility.Chi2Partial.from_dict(p["chi2"]) for p in pieces["grid"]]
    )
    wp = _half_test_frequency(pieces["half"])
    w_h, eta_h = _with(w, eta, [wp, -wp])
    rh = response.q2_reduce(
        model,
        half,
        w_h,
        [response.Q2Partial.from_dict(p["q2"]) for p in pieces["half"]],
        eta=eta_h,
        **kw,
    )
    # checks
    # sigma_L^{izj}(0) = -chi eps^{ij}: xzy -> -chi, yzx -> +chi, xzx = yzy = 0
    expect = {"xzy": -chi_s.chi, "yzx": chi_s.chi, "xzx": 0.0, "yzy": 0.0}
    s0 = {c: complex(r.sigma_l[c][nw]) for c in static_l}
    static_err = max(abs(s0[c] - expect[c]) / max(abs(chi_s.chi), 1e-300) for c in static_l)
    grid_label = "x".join(map(str, ns))
    checks: list[Check] = [
        STATIC_LIMIT.judge(
            static_err <= STATIC_RTOL,
            static_err,
            grid=grid_label,
            sigma_l_xzy_0=s0["xzy"].real,
            chi_static=chi_s.chi,
        )
    ]
    fsum = float(np.max(np.abs(r.k0_static))) / max(r.diamagnetic_scale, 1e-300)
    checks.append(FSUM.judge(fsum <= FSUM_RTOL, fsum, grid=grid_label))
    # parity residuals relative to the scale of each tensor (components that vanish by symmetry
    # would otherwise turn rounding into a large relative number)
    par = 0.0
    for table, comps, sign in ((rh.sigma_l, static_l, 1.0), (rh.sigma_k, sk, -1.0)):
        if comps:
            scale = max(max(abs(table[c][nw]), abs(table[c][nw + 1])) for c in comps)
            diff = max(abs(table[c][nw] - sign * table[c][nw + 1]) for c in comps)
            par = max(par, diff / max(scale, 1e-300))
    if has_time_reversal(model):
        checks.append(PARITY.judge(par <= PARITY_RTOL, par, test_frequency=wp))
    else:
        checks.append(
            PARITY.judge(
                None,
                par,
                explanation="the model breaks time reversal (complex hoppings): the parity "
                "relations of sec. VI.I do not apply; the value is reported for information",
                test_frequency=wp,
            )
        )
    conv = 0.0
    for table, half_table, comps in ((r.sigma_l, rh.sigma_l, sl), (r.sigma_k, rh.sigma_k, sk)):
        if comps:
            scale = max(float(np.max(np.abs(table[c][:nw]))) for c in comps)
            diff = max(float(np.max(np.abs(table[c][:nw] - half_table[c][:nw]))) for c in comps)
            conv = max(conv, diff / max(scale, 1e-300))
    checks.append(
        CONVERGENCE.judge(
            conv <= CONVERGENCE_RTOL,
            conv,
            grid=grid_label,
            grid_half="x".join(map(str, half)),
        )
    )
    notes: list[str] = []
    if chern:
        notes.append(CHERN_NOTE.format(chern=chern))
    if model.dim == 3:
        notes.append(THREE_D_NOTE)
    axis = np.asarray(w if frequencies is None else frequencies, dtype=np.float64)
    chi_unit = _chi_unit(model, energy_unit, length_unit)
    arrays: dict[str, Series] = {
        "frequencies": Series(axis, "photon energy hbar w", frequency_unit)
    }
    for c in sl:
        arrays[f"sigma_L_{c}"] = Series(
            r.sigma_l[c][:nw], f"sigma_L^{{{c}}}(w), eqs 16/89", chi_unit, axis="frequencies"
        )
    for c in sk:
        arrays[f"sigma_K_{c}"] = Series(
            r.sigma_k[c][:nw],
            f"sigma_K^{{{c}}}(w), eqs 17/91",
            f"{chi_unit} / (E_u / hbar)",
            axis="frequencies",
        )
    results: dict[str, Any] = {
        "chi_static": chi_s.chi,
        "sigma_L_static": {c: s0[c].real for c in static_l},
        "gap": chi_s.gap.gap,
        "direct_gap": r.gap,
        "grid": list(ns),
        "eta": float(eta),
        "q_step": r.q_step,
        "sign_convention": SIGN_CONVENTION,
        "convergence": {"grid_half": list(half), "relative_change": conv},
        "method": "q^2 coefficient of the current response of the Peierls tight-binding model "
        "(gauge invariant at every k); see docs/crystal-response.md",
    }
    if include_chi_m:
        pcm = [p["chi_m"] for p in pieces["grid"]]
        if any(p is None for p in pcm):
            raise ValueError("a block of the grid has no chi_M sums")
        cm = response.chi_m_reduce(
            model,
            ns,
            w,
            [response.ChiMPartial.from_dict(p) for p in pcm],
            eta=float(eta),
            max_k_points=max_k_points,
        )
        arrays["chi_M"] = Series(
            cm.chi, "chi_M^zz(w), eq 74 (paper's gauge)", chi_unit, "frequencies"
        )
        for p, v in cm.parts.items():
            arrays[f"chi_M_{p}"] = Series(v, f"chi_M^zz part {p}, eq 74", chi_unit, "frequencies")
        notes.append(GAUGE_NOTE)
    units = {
        "chi_static": chi_unit,
        "sigma_L_static": chi_unit,
        "gap": energy_unit,
        "direct_gap": energy_unit,
        "eta": energy_unit,
        "q_step": f"1/{length_unit}",
    }
    return Report(
        model=MODEL_NAME,
        version=RESPONSE_VERSION,
        arrays=arrays,
        checks=checks_of(*checks),
        notes=tuple(notes),
        results=results,
        units=units,
    )


def q2_conductivity_report(
    model: TightBindingModel,
    grid: Sequence[int],
    omega: FloatArray,
    eta: float,
    *,
    sigma_l: Sequence[str] = ("xzy",),
    sigma_k: Sequence[str] = (),
    include_chi_m: bool = False,
    frequencies: FloatArray | None = None,
    frequency_unit: str = "model",
    shift: float = 0.5,
    filling: int | None = None,
    max_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
    chern: int | None = None,
) -> Report:
    """sigma_L(w), sigma_K(w) of an insulator (2D, or 3D with B along z) with the static-limit,
    f-sum, parity and convergence checks (see the module notes).

    Parameters
    ----------
    omega : (W,) float
        hbar w in the model energy unit.
    eta : float
        hbar 0+ in the model energy unit.
    frequencies, frequency_unit
        The request's grid as given (echoed as the axis); default ``omega``.
    chern : int, optional
        The Chern number of the occupied bands, when known (adds a note when non-zero).

    Notes
    -----
    The one-block plan: :func:`q2_conductivity_block` over the whole grid and half grid, then
    :func:`q2_conductivity_reduce`, the code a split (several workers) runs.
    """
    part = q2_conductivity_block(
        model,
        grid,
        omega,
        eta,
        0,
        1,
        sigma_l=sigma_l,
        sigma_k=sigma_k,
        include_chi_m=include_chi_m,
        shift=shift,
        filling=filling,
        max_k_points=max_k_points,
    )
    return q2_conductivity_reduce(
        model,
        grid,
        omega,
        eta,
        [part],
        sigma_l=sigma_l,
        sigma_k=sigma_k,
        include_chi_m=include_chi_m,
        frequencies=frequencies,
        frequency_unit=frequency_unit,
        filling=filling,
        max_k_points=max_k_points,
        energy_unit=energy_unit,
        length_unit=length_unit,
        chern=chern,
    )


# ---------------------------------------------------------------------------------------------
# chi_M(w) of eq 74
# ---------------------------------------------------------------------------------------------


def _chi_setup(
    model: TightBindingModel, grid: Sequence[int], max_k_points: int
) -> tuple[tuple[int, ...], tuple[int, ...], Chi2Method]:
    ns = response.grid_sizes(model, grid)
    check_k_points(int(np.prod(ns)), max_k_points)
    method = susceptibility.chi2_method(model)
    susceptibility.check_chi2_size(model, ns, method, max_k_points)
    return ns, half_grid(ns), method


def magnetic_susceptibility_block(
    model: TightBindingModel,
    grid: Sequence[int],
    omega: FloatArray,
    eta: float,
    index: int,
    count: int,
    *,
    shift: float = 0.5,
    filling: int | None = None,
    max_k_points: int = MAX_K_POINTS,
) -> dict[str, Any]:
    """The partial sums of block ``index`` of ``count`` of :func:`magnetic_susceptibility_report`.

    On the grid: the chi_M sums at the requested frequencies and at w = 0 (0+ = 0) and the
    chi_2 sums; on the half grid: the chi_M sums at the requested frequencies and at
    +-``test_frequency`` (0+ = 0). JSON-able, as :func:`q2_conductivity_block`.
    """
    ns, half, method = _chi_setup(model, grid, max_k_points)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    pieces: list[dict[str, Any]] = []
    for which, rows in _plan_rows(ns, index, count):
        if which == "grid":
            w_all, eta_all = _with(w, eta, [0.0])
            cm = response.chi_m_partial(
                model,
                ns,
                rows,
                w_all,
                eta=eta_all,
                filling=filling,
                shift=shift,
                max_k_points=max_k_points,
            )
            c2 = susceptibility.chi2_partial(
                model,
                ns,
                rows,
                filling=filling,
                shift=shift,
                method=method,
            )
            pieces.append({"grid": which, "chi_m": cm.to_dict(), "chi2": c2.to_dict()})
        else:
            wp = _test_frequency(model, half, filling, shift)
            w_h, eta_h = _with(w, eta, [wp, -wp])
            cm = response.chi_m_partial(
                model, half, rows, w_h, eta=eta_h, filling=filling, shift=shift
            )
            pieces.append({"grid": which, "chi_m": cm.to_dict(), "test_frequency": wp})
    return {"grid": list(ns), "half": list(half), "pieces": pieces}


def magnetic_susceptibility_reduce(
    model: TightBindingModel,
    grid: Sequence[int],
    omega: FloatArray,
    eta: float,
    partials: Sequence[Mapping[str, Any]],
    *,
    frequencies: FloatArray | None = None,
    frequency_unit: str = "model",
    max_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
    chern: int | None = None,
) -> Report:
    """The report of :func:`magnetic_susceptibility_report` from the partials of every block
    (as :func:`q2_conductivity_reduce`)."""
    ns, half, _ = _chi_setup(model, grid, max_k_points)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    nw = w.shape[0]
    pieces = _pieces(ns, half, partials)
    w_all, eta_all = _with(w, eta, [0.0])
    cm = response.chi_m_reduce(
        model,
        ns,
        w_all,
        [response.ChiMPartial.from_dict(p["chi_m"]) for p in pieces["grid"]],
        eta=eta_all,
        max_k_points=max_k_points,
    )
    assert cm.gap_info is not None
    chi_s = susceptibility.chi2_reduce(
        model, ns, [susceptibility.Chi2Partial.from_dict(p["chi2"]) for p in pieces["grid"]]
    )
    wp = _half_test_frequency(pieces["half"])
    w_h, eta_h = _with(w, eta, [wp, -wp])
    ch = response.chi_m_reduce(
        model,
        half,
        w_h,
        [response.ChiMPartial.from_dict(p["chi_m"]) for p in pieces["half"]],
        eta=eta_h,
    )
    err = _rel(cm.chi[nw], chi_s.chi)
    checks: list[Check] = [
        CHI_STATIC.judge(err <= CHI_STATIC_RTOL, err, chi_m_0=cm.chi[nw].real, chi_static=chi_s.chi)
    ]
    par = _rel(ch.chi[nw], ch.chi[nw + 1])
    if has_time_reversal(model):
        checks.append(CHI_PARITY.judge(par <= PARITY_RTOL, par, test_frequency=wp))
    else:
        checks.append(
            CHI_PARITY.judge(
                None,
                par,
                explanation="the model breaks time reversal: sec. VI.I does not apply",
                test_frequency=wp,
            )
        )
    conv = _rel(ch.chi[:nw], cm.chi[:nw])
    checks.append(
        CONVERGENCE.judge(
            conv <= CONVERGENCE_RTOL,
            conv,
            grid="x".join(map(str, ns)),
            grid_half="x".join(map(str, half)),
        )
    )
    notes = [GAUGE_NOTE]
    if chern:
        notes.append(CHERN_NOTE.format(chern=chern))
    if model.dim == 3:
        notes.append(THREE_D_NOTE)
    chi_unit = _chi_unit(model, energy_unit, length_unit)
    axis = np.asarray(w if frequencies is None else frequencies, dtype=np.float64)
    arrays: dict[str, Series] = {
        "frequencies": Series(axis, "photon energy hbar w", frequency_unit),
        "chi_M": Series(cm.chi[:nw], "chi_M^zz(w), eq 74", chi_unit, "frequencies"),
    }
    for p, v in cm.parts.items():
        arrays[f"chi_M_{p}"] = Series(v[:nw], f"chi_M^zz part {p}, eq 74", chi_unit, "frequencies")
    return Report(
        model=MODEL_NAME,
        version=RESPONSE_VERSION,
        arrays=arrays,
        checks=checks_of(*checks),
        notes=tuple(notes),
        results={
            "chi_static": chi_s.chi,
            "gap": cm.gap_info.gap,
            "grid": list(ns),
            "eta": float(eta),
            "gauge_min_modulus": cm.min_modulus,
            "convergence": {"grid_half": list(half), "relative_change": conv},
            "sign_convention": SIGN_CONVENTION,
        },
        units={"chi_static": chi_unit, "gap": energy_unit, "eta": energy_unit},
    )


def magnetic_susceptibility_report(
    model: TightBindingModel,
    grid: Sequence[int],
    omega: FloatArray,
    eta: float,
    *,
    frequencies: FloatArray | None = None,
    frequency_unit: str = "model",
    shift: float = 0.5,
    filling: int | None = None,
    max_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
    chern: int | None = None,
) -> Report:
    """chi_M^zz(w) of eq 74 with its parts, the static-limit, parity and convergence checks
    (2D, or 3D with B along z). The one-block plan: :func:`magnetic_susceptibility_block`, then
    :func:`magnetic_susceptibility_reduce`."""
    part = magnetic_susceptibility_block(
        model, grid, omega, eta, 0, 1, shift=shift, filling=filling, max_k_points=max_k_points
    )
    return magnetic_susceptibility_reduce(
        model,
        grid,
        omega,
        eta,
        [part],
        frequencies=frequencies,
        frequency_unit=frequency_unit,
        max_k_points=max_k_points,
        energy_unit=energy_unit,
        length_unit=length_unit,
        chern=chern,
    )
