"""Reports of the frequency-dependent crystal response (Duff & Sipe, secs. VI-VII; Fig. 5).

Two reports, each with its checks (verdicts, tolerances and warnings are written here once):

* :func:`q2_conductivity_report`: sigma_L^{izj}(w) and sigma_K^{i(ljk)}(w) of
  :func:`core.crystal.response.q2_conductivity` (gauge invariant at every k), and optionally the
  paper's chi_M(w) of eq 74;
* :func:`magnetic_susceptibility_report`: chi_M^zz(w) of eq 74 with its parts, in the paper's
  gauge (the tensor is gauge dependent at w != 0, which is the paper's point).

Units: as :mod:`core.crystal.response` (hbar = e = 1, c -> 1; chi and sigma_L per unit area in
e^2 E_u L_u^2 / hbar^2; hbar w and eta in E_u). Sign convention stated in every response:
sigma_L^{xzy}(0) = -chi^zz_static (eq 16 at w = 0; -c chi in Gaussian units).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.crystal import response, susceptibility
from core.crystal.bloch import MAX_K_POINTS, check_k_points
from core.crystal.model import MODEL_NAME, TightBindingModel
from core.crystal.reports import half_grid
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]

#: Version of the response computations (part of every cache key).
RESPONSE_VERSION: Final = "1.0.0"

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
    explanation="Evaluated at +-w = +-gap/2 with 0+ = 0 on a grid symmetric under k -> -k; a "
    "failure in a time-reversal-symmetric model means the implementation broke the symmetry.",
    tolerance=PARITY_RTOL,
    warning="the t2 = 0 frequency parity fails by {value:.2g} (relative)",
)

CHI_PARITY: Final = CheckSpec(
    name="frequency_parity",
    kind="bound",
    equation="time-reversal symmetry, hbar w below the gap, 0+ -> 0: chi_M(w) = chi_M(-w) "
    "(Duff & Sipe sec. VI.I)",
    explanation="Evaluated at +-gap/2 with 0+ = 0; a failure in a time-reversal-symmetric model "
    "means the implementation of eq 74 broke the symmetry.",
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


def has_time_reversal(model: TightBindingModel) -> bool:
    """True when H(k)* = H(-k) (spinless time reversal: all hoppings and on-sites real)."""
    return bool(np.all(np.abs(np.imag(model.hop_amplitude)) <= 1e-14))


def _rel(a: complex | NDArray[Any], b: complex | NDArray[Any]) -> float:
    den = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / den


def _test_frequency(gap: float) -> float:
    return 0.5 * gap


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
    """sigma_L(w), sigma_K(w) of a 2D insulator with the static-limit, f-sum, parity and
    convergence checks (see the module notes).

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
    """
    ns = tuple(int(x) for x in grid)
    check_k_points(int(np.prod(ns)), max_k_points)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    sl, sk = tuple(sigma_l), tuple(sigma_k)
    if not sl and not sk:
        raise InvalidInput(
            "ask for at least one component", field=("sigma_L",), fix='e.g. "sigma_L": ["xzy"]'
        )
    static_l = tuple(dict.fromkeys((*sl, "xzy")))
    # the requested grid (eta) and w = 0 (eta = 0) on the grid; the half grid adds +-gap/2
    # (eta = 0) for the parity check (exact on any grid symmetric under k -> -k)
    w_all = np.concatenate([w, [0.0]])
    eta_all = np.concatenate([np.full(w.shape, float(eta)), [0.0]])
    r = response.q2_conductivity(
        model,
        ns,
        w_all,
        eta=eta_all,
        sigma_l=static_l,
        sigma_k=sk,
        filling=filling,
        shift=shift,
        max_k_points=max_k_points,
    )
    nw = w.shape[0]
    chi_s = susceptibility.chi_2(model, ns, filling=filling, shift=shift, max_k_points=max_k_points)
    half = half_grid(ns)
    wp = _test_frequency(r.gap)
    rh = response.q2_conductivity(
        model,
        half,
        np.concatenate([w, [wp, -wp]]),
        eta=np.concatenate([np.full(w.shape, float(eta)), [0.0, 0.0]]),
        sigma_l=static_l,
        sigma_k=sk,
        filling=filling,
        shift=shift,
    )
    # checks
    # sigma_L^{izj}(0) = -chi eps^{ij}: xzy -> -chi, yzx -> +chi, xzx = yzy = 0
    expect = {"xzy": -chi_s.chi, "yzx": chi_s.chi, "xzx": 0.0, "yzy": 0.0}
    s0 = {c: complex(r.sigma_l[c][nw]) for c in static_l}
    static_err = max(abs(s0[c] - expect[c]) / max(abs(chi_s.chi), 1e-300) for c in static_l)
    checks: list[Check] = [
        STATIC_LIMIT.judge(
            static_err <= STATIC_RTOL,
            static_err,
            grid="x".join(map(str, ns)),
            sigma_l_xzy_0=s0["xzy"].real,
            chi_static=chi_s.chi,
        )
    ]
    fsum = float(np.max(np.abs(r.k0_static))) / max(r.diamagnetic_scale, 1e-300)
    checks.append(FSUM.judge(fsum <= FSUM_RTOL, fsum, grid="x".join(map(str, ns))))
    trs = has_time_reversal(model)
    # parity residuals relative to the scale of each tensor (components that vanish by symmetry
    # would otherwise turn rounding into a large relative number)
    par = 0.0
    for table, comps, sign in ((rh.sigma_l, static_l, 1.0), (rh.sigma_k, sk, -1.0)):
        if comps:
            scale = max(max(abs(table[c][nw]), abs(table[c][nw + 1])) for c in comps)
            diff = max(abs(table[c][nw] - sign * table[c][nw + 1]) for c in comps)
            par = max(par, diff / max(scale, 1e-300))
    if trs:
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
            grid="x".join(map(str, ns)),
            grid_half="x".join(map(str, half)),
        )
    )
    notes: list[str] = []
    if chern:
        notes.append(CHERN_NOTE.format(chern=chern))
    axis = np.asarray(w if frequencies is None else frequencies, dtype=np.float64)
    chi_unit = f"e^2 E_u L_u^2 / hbar^2 per unit area (E_u = {energy_unit}, L_u = {length_unit})"
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
        cm = response.chi_m_paper(
            model, ns, w, eta=float(eta), filling=filling, shift=shift, max_k_points=max_k_points
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
    """chi_M^zz(w) of eq 74 with its parts, the static-limit, parity and convergence checks."""
    ns = tuple(int(x) for x in grid)
    check_k_points(int(np.prod(ns)), max_k_points)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    info = susceptibility.scan_gap(model, ns, filling, shift)
    susceptibility.require_gap(info, "chi_M(w)")
    wp = _test_frequency(info.direct_gap_min)
    w_all = np.concatenate([w, [0.0, wp, -wp]])
    eta_all = np.concatenate([np.full(w.shape, float(eta)), np.zeros(3)])
    cm = response.chi_m_paper(
        model, ns, w_all, eta=eta_all, filling=filling, shift=shift, max_k_points=max_k_points
    )
    nw = w.shape[0]
    chi_s = susceptibility.chi_2(model, ns, filling=filling, shift=shift, max_k_points=max_k_points)
    half = half_grid(ns)
    ch = response.chi_m_paper(model, half, w, eta=float(eta), filling=filling, shift=shift)
    err = _rel(cm.chi[nw], chi_s.chi)
    checks: list[Check] = [
        CHI_STATIC.judge(err <= CHI_STATIC_RTOL, err, chi_m_0=cm.chi[nw].real, chi_static=chi_s.chi)
    ]
    par = _rel(cm.chi[nw + 1], cm.chi[nw + 2])
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
    conv = _rel(ch.chi, cm.chi[:nw])
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
    chi_unit = f"e^2 E_u L_u^2 / hbar^2 per unit area (E_u = {energy_unit}, L_u = {length_unit})"
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
            "gap": info.gap,
            "grid": list(ns),
            "eta": float(eta),
            "gauge_min_modulus": cm.min_modulus,
            "convergence": {"grid_half": list(half), "relative_change": conv},
            "sign_convention": SIGN_CONVENTION,
        },
        units={"chi_static": chi_unit, "gap": energy_unit, "eta": energy_unit},
    )
