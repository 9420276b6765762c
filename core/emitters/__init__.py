"""First-principles transition strengths of emitters (Westerberg & Barnett 2025, App. B, eq 24,
Fig. 2b).

An emitter (particle in a box, harmonic oscillator, or user-given moments) -> transition moments
p^{ge}, (p r)^{ge}, (p r r)^{ge} (B21-B24) -> rank-4 tensors (B41-B44) -> isotropic average (B52)
-> strengths Delta_edip, Delta_mdip, Delta_quad, Delta_dipoct, Delta_dia (B57-B61) -> the
oscillator medium of eq 21 (:mod:`core.oscillators`) -> eps, mu, chi, with diagnostics: TRK,
the sum rule eq 26, eps(0), mu(0), Langevin (B82) and Van Vleck references, passivity.

Units: natural units hbar = c = eps0 = 1 in the user's frequency unit [w] (the paper: w_p):
mass in [w], lengths in 1/[w], density in [w]^3, charge dimensionless. Strengths come out in that
unit (e_dip, m_dip, dia in [w]^2; quad, dip_oct dimensionless); w_p = sqrt(rho0 q^2 / m) is
reported. The corrected forms of B57-B62 and why are in :mod:`core.emitters.strengths`.

Entry points: :func:`box_emitter`, :func:`harmonic_emitter`, :func:`custom_emitter` and
:func:`box_convergence`; :func:`emitter_report` (:mod:`core.emitters.report`) turns a result into
the typed report with its checks. Limits (``max_n_max``, ``max_states``) are checked before any work.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from core.checks import Report
from core.emitters.analysis import EmitterResult, Reference, analyse, convergence_table
from core.emitters.box import (
    VAN_VLECK_REFERENCE_N,
    box_ground_r2,
    box_moments,
    box_van_vleck,
    check_box,
    power_law_cutoff,
)
from core.emitters.custom import custom_moments
from core.emitters.harmonic import harmonic_ground_r2, harmonic_moments, harmonic_van_vleck
from core.emitters.report import convergence_errors, emitter_report, with_reasons
from core.emitters.strengths import (
    EmitterParams,
    Strengths,
    TransitionMoments,
    angular_momentum,
    check_limits,
    isotropic_average,
    langevin_chi,
    rank4_numerators,
    transition_strengths,
    transverse_coefficient,
    van_vleck_chi,
)

MODEL_VERSION: Final = "1.0.0"
#: Model names (cache keys, GET /v1/version) of the three emitter kinds.
MODEL_VERSIONS: Final[dict[str, str]] = {
    "emitter-box": MODEL_VERSION,
    "emitter-harmonic": MODEL_VERSION,
    "emitter-custom": MODEL_VERSION,
}

#: Default caps (the app passes its settings instead).
DEFAULT_MAX_N_MAX: Final = 30
DEFAULT_MAX_STATES: Final = 30**3

__all__ = [
    "EmitterParams",
    "EmitterResult",
    "Reference",
    "Strengths",
    "TransitionMoments",
    "angular_momentum",
    "box_convergence",
    "box_emitter",
    "box_reasons",
    "box_reference",
    "check_limits",
    "custom_emitter",
    "emitter_report",
    "harmonic_emitter",
    "isotropic_average",
    "rank4_numerators",
    "transition_strengths",
    "transverse_coefficient",
]


def box_reference(lengths: ArrayLike, params: EmitterParams) -> Reference:
    """Langevin from the exact ground-state <r^2>; Van Vleck as a converged direct 2D sum."""
    r2 = box_ground_r2(lengths)
    vv, err = box_van_vleck(lengths, params)
    return Reference(
        r2=r2,
        chi_langevin=-params.omega_p2 * r2 / 6.0,
        chi_van_vleck=vv,
        van_vleck_error=err,
        source=(
            "box: <r^2> closed form; Van Vleck sum over |L^ge|^2 to n = "
            f"{VAN_VLECK_REFERENCE_N} per axis"
        ),
    )


def box_emitter(
    lengths: ArrayLike,
    params: EmitterParams,
    n_max: int,
    *,
    merge: bool = True,
    frequencies: ArrayLike | None = None,
    max_n_max: int | None = DEFAULT_MAX_N_MAX,
    max_states: int | None = DEFAULT_MAX_STATES,
) -> EmitterResult:
    """Particle in a box (eq 24) with all states 1 <= n_a <= n_max: strengths and diagnostics.

    Parameters
    ----------
    lengths : (3,) float
        Lx, Ly, Lz in 1/[w].
    params : EmitterParams
        Mass, charge, density, common linewidth.
    n_max : int
        Quantum numbers per axis up to n_max (n_max^3 - 1 excited states).
    merge : bool
        Merge degenerate transitions (summing their strengths).
    frequencies : (N,) float, optional
        Grid for the passivity scan (default: automatic).
    max_n_max, max_states : int or None
        Limits (LimitExceeded before any work); None disables.
    """
    check_limits(n_max=int(n_max), max_n_max=max_n_max)
    check_limits(states=int(n_max) ** 3 - 1, max_states=max_states)
    check_box(lengths, params.mass, int(n_max))
    moments = box_moments(lengths, params.mass, n_max)
    return analyse(
        moments, params, box_reference(lengths, params), merge=merge, frequencies=frequencies
    )


def box_convergence(
    lengths: ArrayLike,
    params: EmitterParams,
    n_values: ArrayLike,
    *,
    max_n_max: int | None = DEFAULT_MAX_N_MAX,
    max_states: int | None = DEFAULT_MAX_STATES,
) -> list[dict[str, float | int | bool | str | None]]:
    """Diagnostics (TRK, eq 26, chi(0) vs Langevin + Van Vleck, ...) for each n in ``n_values``."""
    ns = np.asarray(n_values, dtype=np.int64).reshape(-1)
    top = int(np.max(ns))
    check_limits(n_max=top, max_n_max=max_n_max)
    check_limits(states=top**3 - 1, max_states=max_states)
    moments = box_moments(lengths, params.mass, top)
    return convergence_table(moments, params, box_reference(lengths, params), ns)


def box_reasons(
    report: Report,
    lengths: ArrayLike,
    params: EmitterParams,
    n_max: int,
    tolerance: float,
    *,
    max_n_max: int | None = DEFAULT_MAX_N_MAX,
) -> Report:
    """The box's report with the reason of each failed check: how far the basis is from the
    tolerance and the n_max that closes it.

    Every convergence residual of the box (``trk_sum``, ``langevin``, ``van_vleck``,
    ``chi_static_reference``, ``sum_rule_26``; :func:`core.emitters.report.convergence_errors`)
    falls as n_max^-3 (:mod:`core.emitters.box`); the residuals at ``n_max`` and ``n_max - 2``
    give the local exponent and :func:`core.emitters.box.power_law_cutoff` the cutoff that reaches
    ``tolerance``. ``multipole_ordering`` and ``passive`` get the long-wavelength reason: the
    expansion behind eq 21 needs w L << 1, and the failing transitions (the gain) lie where
    w max(L) > 1. Nothing is recomputed when every check passes.
    """
    failed = report.failed
    if not failed:
        return report
    tol = float(tolerance)
    ls = np.asarray(lengths, dtype=np.float64).reshape(-1)
    l_max = float(np.max(ls))
    d = report.results["diagnostics"]
    errs = convergence_errors(d)
    n_lo = int(n_max) - 2
    lower: dict[str, float] = {}
    lower_row: dict[str, float | int | bool | str | None] = {}
    if n_lo >= 2:
        lower_row = box_convergence(ls, params, [n_lo], max_n_max=None, max_states=None)[0]
        lower = convergence_errors(lower_row)
    reasons: dict[str, str] = {}
    for name, r in errs.items():
        if name not in failed or not r > tol:
            continue
        r_lo = lower.get(name, 0.0)
        need, p = power_law_cutoff(int(n_max), r, n_lo, r_lo, tol)
        at_lower = f" (n_max = {n_lo}: {r_lo:.2g})" if lower else ""
        text = (
            f"the n_max = {n_max} basis closes it to {r:.2g}{at_lower}; the box converges as "
            f"n_max^-3 (here n_max^-{p:.2g}), so raise n_max to {need} for tolerance = {tol:.3g}"
        )
        if max_n_max is not None and need > max_n_max:
            reach = r * (int(n_max) / max_n_max) ** p
            text += (
                f", beyond the limit max_n_max = {max_n_max}: the most it reaches is about "
                f"{reach:.2g}, so ask for tolerance >= {reach:.2g}"
            )
        reasons[name] = text
    if "multipole_ordering" in failed:
        c = failed["multipole_ordering"]
        idx = list(c.details.get("failing", []))
        w_fail = [float(report.results["medium"]["transitions"][i]["omega"]) for i in idx]
        text = (
            f"those transitions (w_eg = {', '.join(f'{w:.4g}' for w in w_fail)}) have w_eg "
            f"max(lengths) = {', '.join(f'{w * l_max:.3g}' for w in w_fail)} > 1, where the "
            "long-wavelength (multipole) expansion behind eqs 21 and 25 no longer holds"
        )
        if lower_row and lower_row.get("multipole_ordering_violations") == 0:
            text += f"; with n_max = {n_lo} eq 25 holds for every transition"
        reasons["multipole_ordering"] = text
    if "passive" in failed:
        c = failed["passive"]
        ivs = c.details.get("non_passive_intervals", [])
        if ivs:
            start = min(float(iv["start"]) for iv in ivs)
            text = (
                f"the gain starts at w = {start:.4g}, above 1/max(lengths) = {1.0 / l_max:.4g}, "
                "where the long-wavelength (multipole) expansion behind eq 21 no longer holds"
            )
            grid = c.details.get("samplings", {}).get("grid")
            if grid is not None and grid.get("verdict"):
                text += "; on the request's frequencies the medium is passive"
            reasons["passive"] = text
    return with_reasons(report, reasons)


def harmonic_emitter(
    frequencies: ArrayLike,
    params: EmitterParams,
    *,
    merge: bool = True,
    scan_frequencies: ArrayLike | None = None,
) -> EmitterResult:
    """Harmonic-oscillator emitter (isotropic: one frequency; anisotropic: three), exact."""
    moments = harmonic_moments(frequencies, params.mass)
    r2 = harmonic_ground_r2(frequencies, params.mass)
    ref = Reference(
        r2=r2,
        chi_langevin=-params.omega_p2 * r2 / 6.0,
        chi_van_vleck=harmonic_van_vleck(frequencies, params),
        source="harmonic oscillator: exact <r^2> and Van Vleck sum",
    )
    return analyse(moments, params, ref, merge=merge, frequencies=scan_frequencies)


def custom_emitter(
    omega: ArrayLike,
    p: ArrayLike,
    pr: ArrayLike,
    prr: ArrayLike,
    rr_ground: ArrayLike,
    params: EmitterParams,
    *,
    merge: bool = True,
    frequencies: ArrayLike | None = None,
    max_states: int | None = DEFAULT_MAX_STATES,
) -> EmitterResult:
    """User-given moments (validated by :func:`core.emitters.custom.custom_moments`)."""
    moments = custom_moments(omega, p, pr, prr, rr_ground, max_states=max_states)
    ref = Reference(
        r2=float(np.trace(moments.rr_ground)),
        chi_langevin=langevin_chi(moments.rr_ground, params),
        chi_van_vleck=van_vleck_chi(moments.omega, angular_momentum(moments), params),
        source="custom: Langevin from the given <r r>; Van Vleck from the given (p r) moments",
    )
    return analyse(
        moments, params, ref, merge=merge, frequencies=frequencies, basis_field=("transitions",)
    )
