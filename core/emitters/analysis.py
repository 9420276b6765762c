"""From moments to an oscillator medium, with the diagnostics that say whether to trust it.

Diagnostics (all dimensionless unless stated; w_p^2 = rho0 q^2 / m):

* ``trk_sum`` = sum_e Delta_edip / w_p^2; 1 for a complete basis (TRK, B26). ``trk_residual`` =
  1 - trk_sum.
* ``sum_rule_residual`` = sum_e Delta_dia / w_eg^2 + Delta_quad - Delta_dipoct (eq 26, from
  :func:`core.oscillators.sum_rule_residual`), with ``sum_rule_scale`` the sum of the magnitudes
  of its terms; mu(w -> inf) = 1 / (1 + residual).
* ``eps_static``, ``mu_static``, ``chi_static`` from the strengths (eq 22).
* ``chi_langevin`` = -w_p^2 <r^2> / 6 from the ground state directly (B82) vs
  ``chi_dia_strengths`` = -sum_e Delta_dia / w_eg^2;
  ``chi_van_vleck`` from the magnetic-dipole moments directly (converged reference for the box,
  exact for the oscillator) vs ``chi_van_vleck_strengths`` = sum_e Delta_mdip / w_eg^2;
  ``chi_static_reference`` = chi_langevin + chi_van_vleck, ``chi_static_error`` = chi_static -
  reference.
* Passivity, computed (not assumed): eq 25 per transition (``multipole_ordering_violations``), and
  on a frequency scan (the user's grid, or 0 < w <= 1.25 max w_eg plus every w_eg) the minima of
  Im eps, Im(eps mu) and Im mu, and ``first_non_passive_frequency`` the lowest scan frequency
  where Im eps or Im(eps mu) < 0 (None if none). These numbers describe the scan alone and carry
  no verdict: the one passivity verdict (over the user's grid and the scan together, the statement
  of :mod:`core.passivity`) is :func:`core.emitters.report.emitter_report`'s ``passive``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.emitters.strengths import (
    EmitterParams,
    Strengths,
    TransitionMoments,
    drop_zero,
    merge_degenerate,
    transition_strengths,
)
from core.errors import InvalidInput
from core.oscillators import (
    OscillatorMedium,
    evaluate,
    multipole_ordering,
    static_limits,
    sum_rule_residual,
)

FloatArray = NDArray[np.float64]

#: Points of the automatic passivity scan (besides one point at every w_eg).
SCAN_POINTS: Final = 2000

#: Tolerance on Im eps and Im(eps mu) in the passivity verdict, relative to max |Im eps|.
PASSIVITY_RTOL: Final = 1e-12

#: What the automatic scan samples, in words (the scope of its passivity verdict).
AUTOMATIC_SCAN_SCOPE: Final = (
    f"automatic scan 0 < w <= 1.25 max w_eg ({SCAN_POINTS} points) plus every w_eg"
)
GIVEN_SCAN_SCOPE: Final = "the given scan frequencies (w = 0 dropped)"


@dataclass(frozen=True)
class Reference:
    """Strength-free values that the strengths should reproduce as the basis grows.

    ``chi_langevin`` (B82, from <r^2>), ``chi_van_vleck`` (direct sum over magnetic-dipole
    moments), ``van_vleck_error`` an estimate of the error of the latter (0 when exact), and
    ``source`` a short note on how they were obtained.
    """

    r2: float
    chi_langevin: float
    chi_van_vleck: float
    van_vleck_error: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class EmitterResult:
    """The medium built from an emitter, its per-transition data and its diagnostics."""

    params: EmitterParams
    strengths: Strengths
    medium: OscillatorMedium
    diagnostics: dict[str, float | int | bool | str | None]
    states: int = 0
    scan: dict[str, FloatArray] = field(default_factory=dict)
    scan_scope: str = ""


def prepare(strengths: Strengths, *, merge: bool = True, drop_forbidden: bool = True) -> Strengths:
    """Drop symmetry-forbidden transitions (all strengths exactly 0) and merge degenerate ones."""
    s = drop_zero(strengths) if drop_forbidden else strengths
    return merge_degenerate(s) if merge else s


def passivity_scan(
    medium: OscillatorMedium, frequencies: ArrayLike | None = None
) -> dict[str, FloatArray]:
    """eps, mu on the scan grid: the user's ``frequencies`` or the automatic one (module doc)."""
    if frequencies is None:
        top = 1.25 * float(np.max(medium.omega))
        w = np.linspace(0.0, top, SCAN_POINTS + 1)[1:]
        if np.all(medium.gamma > 0):
            w = np.union1d(w, medium.omega)
        else:  # stay off undamped poles
            w = w[np.min(np.abs(w[:, None] - medium.omega[None, :]), axis=1) > 1e-9 * top]
    else:
        w = np.asarray(frequencies, dtype=np.float64).reshape(-1)
        w = w[w != 0.0]
    r = evaluate(medium, w)
    return {
        "frequencies": w,
        "im_eps": r.epsilon.imag,
        "im_mu": r.mu.imag,
        "im_eps_mu": r.eps_mu.imag,
    }


def diagnose(
    strengths: Strengths,
    medium: OscillatorMedium,
    params: EmitterParams,
    reference: Reference,
    scan: dict[str, FloatArray] | None = None,
) -> dict[str, float | int | bool | str | None]:
    """All diagnostics of the module docstring for one medium."""
    wp2 = params.omega_p2
    trk = float(np.sum(strengths.e_dip)) / wp2
    res, scale = sum_rule_residual(medium)
    st = static_limits(medium)
    chi_dia = -float(np.sum(strengths.dia / strengths.omega**2))
    chi_vv = float(np.sum(strengths.m_dip / strengths.omega**2))
    ref_static = reference.chi_langevin + reference.chi_van_vleck
    ordering = multipole_ordering(medium)
    out: dict[str, float | int | bool | str | None] = {
        "omega_p": params.omega_p,
        "transitions": int(strengths.size),
        "trk_sum": trk,
        "trk_residual": 1.0 - trk,
        "sum_rule_residual": res,
        "sum_rule_scale": scale,
        "mu_infinity": 1.0 / (1.0 + res) if res != -1.0 else float("inf"),
        "eps_static": st["eps_static"],
        "mu_static": st["mu_static"],
        "chi_static": st["chi_static"],
        "r2_ground": reference.r2,
        "chi_langevin": reference.chi_langevin,
        "chi_dia_strengths": chi_dia,
        "chi_van_vleck": reference.chi_van_vleck,
        "chi_van_vleck_error": reference.van_vleck_error,
        "chi_van_vleck_strengths": chi_vv,
        "chi_static_reference": ref_static,
        "chi_static_error": st["chi_static"] - ref_static,
        "reference_source": reference.source,
        "multipole_ordering_violations": int(np.count_nonzero(~ordering)),
    }
    if scan is not None and scan["frequencies"].size:
        im_eps, im_em = scan["im_eps"], scan["im_eps_mu"]
        tol = PASSIVITY_RTOL * max(float(np.max(np.abs(im_eps))), 1e-300)
        out.update(
            {
                "min_im_eps": float(np.min(im_eps)),
                "min_im_eps_mu": float(np.min(im_em)),
                "min_im_mu": float(np.min(scan["im_mu"])),
                "scan_points": int(scan["frequencies"].size),
                "scan_max_frequency": float(np.max(scan["frequencies"])),
            }
        )
        bad = (im_eps < -tol) | (im_em < -tol)
        out["first_non_passive_frequency"] = (
            float(np.min(scan["frequencies"][bad])) if bad.any() else None
        )
    return out


def analyse(
    moments: TransitionMoments,
    params: EmitterParams,
    reference: Reference,
    *,
    merge: bool = True,
    frequencies: ArrayLike | None = None,
    scan: bool = True,
    basis_field: tuple[str | int, ...] = ("n_max",),
) -> EmitterResult:
    """Strengths (B57-B61), the eq-21 medium and its diagnostics for one set of moments."""
    raw = transition_strengths(moments, params)
    s = prepare(raw, merge=merge)
    if s.size == 0:
        raise InvalidInput(
            "no transition couples to the ground state: every strength is zero",
            field=basis_field,
            fix="enlarge the basis or check the moments",
        )
    medium = s.medium(params.linewidth)
    sc = passivity_scan(medium, frequencies) if scan else None
    diag = diagnose(s, medium, params, reference, sc)
    return EmitterResult(
        params=params,
        strengths=s,
        medium=medium,
        diagnostics=diag,
        states=moments.size,
        scan=sc or {},
        scan_scope=""
        if sc is None
        else (AUTOMATIC_SCAN_SCOPE if frequencies is None else GIVEN_SCAN_SCOPE),
    )


def convergence_table(
    moments: TransitionMoments,
    params: EmitterParams,
    reference: Reference,
    n_values: ArrayLike,
) -> list[dict[str, float | int | bool | str | None]]:
    """Diagnostics versus the per-axis cutoff n for n in ``n_values`` (one strength pass).

    ``moments`` must carry ``labels`` (quantum numbers) and contain every state with all labels
    <= max(n_values); the rows use the states with all labels <= n. No passivity scan (cheap).
    """
    if moments.labels is None:
        raise ValueError("convergence_table needs labelled moments")
    raw = transition_strengths(moments, params)
    labels = raw.labels if raw.labels is not None else np.zeros((raw.size, 3), dtype=np.int64)
    rows = []
    for n in np.asarray(n_values, dtype=np.int64).reshape(-1):
        mask = np.all(labels <= n, axis=1)
        s = prepare(raw.select(mask))
        if s.size == 0:
            continue
        medium = s.medium(params.linewidth)
        row: dict[str, float | int | bool | str | None] = {
            "n_max": int(n),
            "states": int(np.count_nonzero(mask)),
        }
        row.update(diagnose(s, medium, params, reference, None))
        rows.append(row)
    return rows
