"""The multipole oscillator medium (Westerberg & Barnett 2025, eqs 20-26): analytic real parts
next to their Kramers-Kronig reconstructions, static-limit integrals and sum rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import HIGH_FREQUENCY_VALUE, FloatArray, Method
from core.causality.grids import resonance_grid
from core.causality.kk import kramers_kronig
from core.causality.signs import PassivityReport, passivity_report
from core.causality.static import StaticLimitIntegral, static_limit_integral
from core.causality.sumrules import SumRule, f_sum_rule
from core.checks import Check
from core.errors import InvalidInput, LimitExceeded
from core.oscillators import OscillatorMedium, evaluate, static_limits, sum_rule_check


@dataclass(frozen=True)
class QuantityCheck:
    """Re f of the model next to its KK reconstruction from Im f, on the user's grid (M,).

    ``assumed_high_frequency_value`` is the f_inf the transform uses (0 for chi, 1 for eps and mu:
    vacuum at high frequency, eq 26); ``model_high_frequency_value`` is the model's own limit.
    ``static_integral`` is (2/pi) int Im f / w (eqs 7, 10) and ``static_expected`` = f(0) - f_inf
    with the assumed f_inf. ``consistent`` compares the max error with rtol * scale plus the
    numerical error estimate.
    """

    quantity: str
    re_analytic: FloatArray
    re_kk: FloatArray
    error: FloatArray
    max_error: float
    scale: float
    error_estimate: FloatArray
    assumed_high_frequency_value: float
    model_high_frequency_value: float
    static_value: float
    static_integral: StaticLimitIntegral
    static_expected: float
    consistent: bool


@dataclass(frozen=True)
class OscillatorCausality:
    """Causality report for a multipole oscillator medium (eqs 20-26).

    ``eq26`` is the :data:`core.oscillators.SUM_RULE_26` check (``eq26_residual``, ``eq26_scale``
    and ``eq26_holds`` are its numbers); ``grid`` is the internal integration grid and
    ``im_eps_mu`` Im(eps mu) on it (what :data:`core.passivity.PASSIVITY` judges); ``passivity``
    says where Im eps, Im mu and Im(eps mu) are negative there.
    """

    frequencies: FloatArray
    checks: dict[str, QuantityCheck]
    sum_rules: dict[str, SumRule]
    eq26_residual: float
    eq26_scale: float
    eq26_holds: bool
    passivity: PassivityReport
    internal_points: int
    reasons: tuple[str, ...]
    eq26: Check
    grid: FloatArray
    im_eps_mu: FloatArray


def oscillator_causality(
    medium: OscillatorMedium,
    w: ArrayLike,
    *,
    rtol: float = 1e-3,
    background: int = 8000,
    per_width: float = 16.0,
    method: Method = "auto",
    max_points: int | None = None,
) -> OscillatorCausality:
    """KK reconstructions, static-limit integrals and sum rules of an oscillator medium.

    Parameters
    ----------
    medium : core.oscillators.OscillatorMedium
        All linewidths must be > 0 (an undamped line has a delta-function Im f that no grid holds).
    w : (M,) float
        The user's frequencies (>= 0, same unit as the medium); results are reported there.
    rtol : float
        Tolerance of the verdicts relative to each response's amplitude.
    background, per_width : see :func:`resonance_grid` (the internal grid, which contains ``w``).
    max_points : int, optional
        The ``max_kk_points`` limit on the internal grid.

    Returns
    -------
    OscillatorCausality

    Notes
    -----
    Transformed: chi = 1 - 1/mu (eq 23) with chi_inf = 0; eps with eps_inf = 1; mu with mu_inf = 1
    (i.e. chi_m = mu - 1). With eq 26 violated (residual r), 1/mu(inf) = 1 + r, so chi(inf) = -r
    and mu(inf) = 1/(1 + r): the reconstructions miss Re chi and Re mu by those constants and the
    static integrals give chi(0) + r and mu(0) - 1/(1 + r) instead of chi(0) and mu(0) - 1.
    Closed forms checked (module ``core.oscillators``):
    (2/pi) int Im chi / w = sum_e (Delta_mdip / w_eg^2 + Delta_quad - Delta_dipoct) (no Delta_dia:
    the instantaneous diamagnetic term leaves no trace in the absorption; eq 26 fixes it);
    int w Im eps dw = (pi/2) sum_e Delta_edip; lim w Im chi = 2 sum_e gamma_e (Delta_quad -
    Delta_dipoct), the slow 1/w decay the tail model has to carry.
    """
    if not isinstance(medium, OscillatorMedium):
        raise TypeError("medium must be an OscillatorMedium")
    if np.any(medium.gamma <= 0):
        i = int(np.argmax(medium.gamma <= 0))
        raise InvalidInput(
            "a causality check needs every linewidth > 0: an undamped line absorbs only at one "
            "frequency (a delta function), which no tabulated spectrum can hold",
            field=("transitions", i, "gamma"),
            fix="give the transition a small linewidth gamma > 0",
        )
    wu = np.array(w, dtype=np.float64, ndmin=1)
    if wu.ndim != 1 or wu.size == 0 or not np.all(np.isfinite(wu)) or np.any(wu < 0):
        raise InvalidInput("frequencies must be finite and >= 0", field=("frequencies",))
    grid = resonance_grid(
        medium.omega, medium.gamma, extra=wu, background=background, per_width=per_width
    )
    if max_points is not None and grid.shape[0] > max_points:
        raise LimitExceeded(
            f"the internal grid needs {grid.shape[0]} points (the grid plus every line resolved); "
            f"the limit is {max_points}",
            limit_name="max_kk_points",
            limit=max_points,
            requested=grid.shape[0],
            field=("frequencies",),
            fix="ask for fewer frequencies or a medium with fewer transitions",
        )
    pos = np.searchsorted(grid, wu)
    pos = np.clip(pos, 0, grid.shape[0] - 1)
    resp = evaluate(medium, grid)
    with np.errstate(all="ignore"):
        finite = np.isfinite(resp.epsilon).all() and np.isfinite(resp.mu).all()
    if not finite:
        raise InvalidInput(
            "eps or mu of this medium is not finite on the integration grid (mu has a pole where "
            "1/mu = 0, or the strengths are out of floating-point range)",
            field=("transitions",),
            fix="check the strengths: 1 + sum Delta_dia/w_eg^2 + ... must not vanish, and all "
            "numbers should be of ordinary size in the medium's units",
        )
    lim = static_limits(medium)
    eq26 = sum_rule_check(medium)  # the one eq-26 statement
    resid = float(eq26.value or 0.0)
    scale26 = float(eq26.details["scale"])
    holds = bool(eq26.verdict)
    inv_mu_inf = 1.0 + resid
    model_inf = {
        "chi": -resid,
        "epsilon": 1.0,
        "mu": (1.0 / inv_mu_inf) if inv_mu_inf != 0 else float("inf"),
    }
    statics = {
        "chi": lim["chi_static"],
        "epsilon": lim["eps_static"],
        "mu": lim["mu_static"],
    }
    funcs = {"chi": resp.chi, "epsilon": resp.epsilon, "mu": resp.mu}
    checks: dict[str, QuantityCheck] = {}
    reasons: list[str] = []
    for name, fz in funcs.items():
        finf = HIGH_FREQUENCY_VALUE[name]
        kk = kramers_kronig(grid, fz.imag, high_frequency_value=finf, method=method)
        st = static_limit_integral(grid, fz.imag)
        re_a = fz.real[pos]
        re_k = kk.values[pos]
        err = np.abs(re_k - re_a)
        amp = float(max(np.abs(fz.real - finf).max(), np.abs(fz.imag).max()))
        est = kk.error_estimate[pos]
        ok = bool(np.all(err <= rtol * amp + est))
        expected = statics[name] - finf
        checks[name] = QuantityCheck(
            quantity=name,
            re_analytic=re_a,
            re_kk=re_k,
            error=err,
            max_error=float(err.max()),
            scale=amp,
            error_estimate=est,
            assumed_high_frequency_value=finf,
            model_high_frequency_value=float(model_inf[name]),
            static_value=float(statics[name]),
            static_integral=st,
            static_expected=float(expected),
            consistent=ok,
        )
    # Sum rules.
    fsum = f_sum_rule(grid, resp.epsilon.imag)
    fsum = SumRule(
        name="f-sum",
        value=fsum.value,
        expected=0.5 * np.pi * float(np.sum(medium.e_dip)),
        tail=fsum.tail,
        truncation_estimate=fsum.truncation_estimate,
        discretisation_estimate=fsum.discretisation_estimate,
        unit="[w]^2",
        note="int_0^inf w Im eps dw = (pi/2) sum_e Delta_edip",
        extra=fsum.extra,
    )
    st_chi = checks["chi"].static_integral
    absorption = float(np.sum(medium.m_dip / medium.omega**2 + medium.quad - medium.dip_oct))
    slow = 2.0 * float(np.sum(medium.gamma * (medium.quad - medium.dip_oct)))
    tf = st_chi.tail_fit
    w_top = float(grid[-1])
    tail_c1 = float(tf.coeffs[0]) * w_top if tf.powers[0] == 1 else 0.0
    st_mu = checks["mu"].static_integral
    rules = {
        "f_sum": fsum,
        "chi_static_eq7": SumRule(
            name="chi_static_eq7",
            value=st_chi.value,
            expected=lim["chi_static"],
            tail=st_chi.tail,
            truncation_estimate=st_chi.truncation_estimate,
            discretisation_estimate=st_chi.discretisation_estimate,
            unit="1",
            note="(2/pi) int Im chi / w = chi(0), which needs chi(inf) = 0, i.e. eq 26",
        ),
        "mu_static_eq10": SumRule(
            name="mu_static_eq10",
            value=st_mu.value,
            expected=lim["mu_static"] - 1.0,
            tail=st_mu.tail,
            truncation_estimate=st_mu.truncation_estimate,
            discretisation_estimate=st_mu.discretisation_estimate,
            unit="1",
            note="(2/pi) int Im mu / w = mu(0) - 1, which needs mu(inf) = 1, i.e. eq 26",
        ),
        "chi_absorption": SumRule(
            name="chi_absorption",
            value=st_chi.value,
            expected=absorption,
            tail=st_chi.tail,
            truncation_estimate=st_chi.truncation_estimate,
            discretisation_estimate=st_chi.discretisation_estimate,
            unit="1",
            note=(
                "(2/pi) int Im chi / w = sum_e (Delta_mdip / w_eg^2 + Delta_quad - Delta_dipoct): "
                "causality alone; Delta_dia does not appear"
            ),
        ),
        "chi_tail": SumRule(
            name="chi_tail",
            value=tail_c1,
            expected=slow,
            tail=0.0,
            truncation_estimate=abs(float(tf.coeffs[-1])) * w_top if len(tf.coeffs) > 1 else 0.0,
            discretisation_estimate=0.0,
            unit="[w]",
            note="lim w Im chi(w) = 2 sum_e gamma_e (Delta_quad - Delta_dipoct) (fitted at w_max)",
        ),
    }
    if not holds:
        reasons.append(
            f"eq 26 is violated: sum_e Delta_dia/w_eg^2 + Delta_quad - Delta_dipoct = {resid:.6g}, "
            f"so 1/mu(inf) = {inv_mu_inf:.6g}: mu(inf) = {model_inf['mu']:.6g} and "
            f"chi(inf) = {-resid:.6g} instead of 1 and 0"
        )
        reasons.append(
            "the Kramers-Kronig reconstruction assumes chi(inf) = 0 and mu(inf) = 1 (vacuum at "
            f"high frequency), so Re chi comes out shifted by {resid:.6g} and the static-limit "
            f"integral gives chi(0) - chi(inf) = {st_chi.value:.6g} instead of chi(0) = "
            f"{lim['chi_static']:.6g}"
        )
    for name, chk in checks.items():
        if not chk.consistent and holds:
            reasons.append(
                f"{name}: KK reconstruction differs from the model by {chk.max_error:.3g} "
                f"(tolerance {rtol:g} x {chk.scale:.3g} plus the numerical estimate): the model's "
                f"{name} may not be analytic in the upper half-plane"
            )
    pas = passivity_report(grid, resp.epsilon, resp.mu)
    return OscillatorCausality(
        frequencies=wu,
        checks=checks,
        sum_rules=rules,
        eq26_residual=resid,
        eq26_scale=scale26,
        eq26_holds=holds,
        passivity=pas,
        internal_points=int(grid.shape[0]),
        reasons=tuple(reasons),
        eq26=eq26,
        grid=grid,
        im_eps_mu=(resp.epsilon * resp.mu).imag,
    )
