"""The typed reports of the causality endpoints, with every check written once.

:func:`kramers_kronig_report` (tabulated data: Kramers-Kronig in both directions, the static-limit
integral, the f-sum and the sign of Im f) and :func:`oscillator_causality_report` (the multipole
oscillator medium: analytic Re f next to its reconstruction, static limits, sum rules, eq 26 and
passivity) return a :class:`core.checks.Report`; the HTTP API serialises it as it is, so a
scientist who calls these functions gets the API's verdicts and warnings.

Each verdict, tolerance and warning text is a module-level :class:`core.checks.CheckSpec` below;
eq 26 is :data:`core.oscillators.SUM_RULE_26` and passivity :data:`core.passivity.PASSIVITY`
(written once for every domain, reused here). Frequencies: the tabulated endpoint accepts any
linear unit or ``nm`` (vacuum wavelength, converted to rad/s for the transforms and back for the
output); the oscillator report works in the medium's unit and reports in the user's.

References
----------
:data:`core.references.WESTERBERG_BARNETT` (eqs 5-7, 10, 20-26); L. D. Landau and
E. M. Lifshitz, Electrodynamics of Continuous Media, section 123 (f-sum).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.causality.consistency import discrepancy
from core.causality.conventions import (
    HIGH_FREQUENCY_VALUE,
    MODEL_VERSIONS,
    FloatArray,
    LowFrequency,
    Method,
    Quantity,
    TailModel,
)
from core.causality.drude import CONDUCTOR_SLOPE, DrudeTail
from core.causality.grids import check_grid
from core.causality.kk import KKResult, kramers_kronig
from core.causality.oscillator import OscillatorCausality, oscillator_causality
from core.causality.static import NegativeBand, StaticLimitIntegral, static_limit_integral
from core.causality.sumrules import SumRule, f_sum_rule
from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import ConvergenceError, InvalidInput
from core.oscillator_report import Sampling, multipole_ordering_check, tail_reason
from core.oscillators import SUM_RULE_26, OscillatorMedium, evaluate
from core.passivity import PASSIVITY, intervals_in, negative_intervals, passivity_check
from core.units import from_angular, identity, is_physical, to_angular

KK_MODEL: Final = "causality-kramers-kronig"
OSC_MODEL: Final = "causality-oscillator"

#: Internal-grid budget of the oscillator report (points per linewidth are reduced to stay within).
OSC_GRID_BUDGET: Final = 400_000
#: Tolerance of the oscillator report's verdicts, relative to each response's amplitude (KK
#: reconstruction) or to the expected value (sum rules); the numerical estimates are added.
OSC_RTOL: Final = 1e-3

_WB = "Westerberg & Barnett 2025"

# ---------------------------------------------------------------------------------------------
# Tabulated data (POST /v1/causality/kramers-kronig)
# ---------------------------------------------------------------------------------------------

#: Real and imaginary part given: each reconstructed from the other and compared pointwise.
KK_CONSISTENCY: Final = CheckSpec(
    name="kramers_kronig",
    kind="indicative",
    equation=f"|f_KK(w_i) - f(w_i)| <= rtol max|f - f_inf| + truncation_i + 2 discretisation_i + "
    f"low_edge_i at "
    f"every w_i but w_max, Re f_KK from Im f (eq 6) and Im f_KK from Re f (eq 5) ({_WB}); "
    "details.real / details.imag hold each direction",
    explanation="A part reconstructed from the other misses the given data by more than the "
    "estimated numerical error: the pair is not the boundary value of a causal response with this "
    "f_inf (a constant offset in Re f means f_inf is wrong), or the spectrum lacks structure the "
    "estimates cannot see. The estimates come from grid halving, other tail models and other "
    "continuations below the grid: indicative.",
    warning="{misses}, beyond the tolerance ({tolerance:g} x {scale:.3g} plus the truncation and "
    "discretisation estimates): the pair is not causal with f_inf = {high_frequency_value:g}"
    "{hint}, or the spectrum is missing structure the estimates cannot see",
)

#: How much of each reconstruction comes from the tail model beyond the last frequency.
KK_TAIL: Final = CheckSpec(
    name="kk_tail",
    kind="indicative",
    equation="max_w |tail part of f_KK(w)| <= rtol max|f - f_inf|: the continuation beyond w_max "
    "(Im f ~ 1/w, 1/w^3; Re f - f_inf ~ 1/w^2, 1/w^4, fitted to the top quarter) is a small part "
    "of the reconstruction",
    explanation="A large tail contribution means the reconstruction rests on an assumed "
    "continuation of the data beyond the last frequency rather than on the data; its uncertainty "
    "is in the truncation estimate, which is itself an estimate.",
    warning="the tail beyond the last frequency contributes up to {value:.3g} to {parts} (tail "
    "model '{tail_model}'); a spectrum extending further would need less of it",
)

#: The static-limit integral of Im f against the tabulated Re f(0).
KK_STATIC_LIMIT: Final = CheckSpec(
    name="static_limit",
    kind="indicative",
    equation=f"f(0) - f_inf = (2/pi) int_0^inf Im f(w)/w dw ({_WB}, eq 7; eq 10 for mu), judged "
    "as |f_inf + integral - Re f(0)| <= rtol max|f - f_inf| + error estimate when Re f(0) is "
    "tabulated",
    explanation="The absorption does not add up to the tabulated static value: f_inf is wrong, "
    "absorption outside the tabulated range is missing, or the pair is not causal. The error "
    "estimate (tail models, grid halving) is indicative.",
    warning="the static-limit integral gives f(0) = {implied_static_value:.6g} but the tabulated "
    "Re f(0) = {given_static_value:.6g} (tolerance {tolerance:g} x {scale:.3g} plus "
    "{error_estimate:.3g}): f_inf = {high_frequency_value:g} is wrong, or absorption outside the "
    "tabulated range is missing",
)
#: The continuation below the lowest tabulated frequency (w_0 > 0).
KK_LOW_EDGE: Final = CheckSpec(
    name="kk_low_edge",
    kind="indicative",
    equation="max_w low_edge_estimate(w) <= rtol max|f - f_inf|: below w_0 Im f is continued "
    "linearly to Im f(0) = 0 (insulator) or as a Drude term i 4 pi sigma_dc / w ... fitted at the "
    "low edge plus a remainder linear to 0 (conductor; eq 6 of the Drude term in closed form, "
    "Re eps_D - 1 = -w_p^2/(w^2 + gamma^2)), Re f flat; the estimate sums the changes under the "
    "other continuations (two-term power law, Drude refits, pure dc term; for an insulator "
    "continuation of conductor-like data the Drude continuation and its own estimate)",
    explanation="The reconstruction near and below the lowest tabulated frequencies depends on "
    "how the spectrum continues below it, which the data do not show: the returned "
    "error estimate there is the spread of plausible continuations, tested to cover the true "
    "error on Lorentz and Drude + Lorentz spectra, not a guarantee.",
    warning="below the lowest frequency {lowest_frequency:.6g} {unit} the data are continued as "
    "'{model}'{why}; that continuation moves {parts} by up to {value:.3g} at {worst_frequency:.6g} "
    "{unit} (tolerance {tolerance:g} x {scale:.3g}), the error estimate there includes it: "
    "{advice}",
)

#: The dc-conductivity term of Im eps, which eq 5 cannot recover from Re eps.
KK_DC_TERM: Final = CheckSpec(
    name="dc_conductivity",
    kind="indicative",
    equation="Im eps(w) = 4 pi sigma_dc / w - (2w/pi) P int_0^inf (Re eps - 1)/(w'^2 - w^2) dw' "
    "(conductor form of eq 5 of " + _WB + "; Landau & Lifshitz sec. 123; Gaussian convention, "
    "sigma_dc in the frequency unit): the dc term has no real part, so Im eps from Re eps lacks it "
    "unless sigma_dc is given or taken from Im eps",
    explanation="Im eps reconstructed from Re eps misses 4 pi sigma_dc / w for a conductor: at "
    "low frequencies it can be wrong by orders of magnitude. Re eps below 1 at the lowest "
    "frequency is the sign used (a passive insulator has eps(0) >= 1 by eq 7): indicative.",
    warning="Re eps = {lowest_real:.6g} < 1 at the lowest frequency {lowest_frequency:.6g} {unit} "
    "looks like a conductor, and Im eps from Re eps (eq 5) cannot contain its dc term "
    "4 pi sigma_dc / w: imag_kk lacks it; give sigma_dc (Gaussian, in {sigma_unit}) or send "
    "Im eps too",
)


#: The f-sum of tabulated Im eps: a number, no verdict (w_p is not known for tabulated data).
F_SUM_VALUE: Final = CheckSpec(
    name="f_sum",
    kind="value",
    equation="int_0^inf w Im eps(w) dw = (pi/2) w_p^2 (f-sum, Landau & Lifshitz sec. 123); "
    "details.effective_plasma_frequency = sqrt(2 value / pi)",
    explanation="The f-sum of the tabulated Im eps and the plasma frequency it implies; compare "
    "it with the electron density of the material.",
)

_NO_SIGN_RULE = (
    f"No verdict: Im chi and Im mu may be negative in a passive medium ({_WB}, section IV.A); "
    "passivity needs Im(eps mu) > 0, which one tabulated chi or mu does not determine."
)


def _to_working(
    frequencies: FloatArray, unit: str, fname: str
) -> tuple[FloatArray, NDArray[np.intp] | None]:
    """Frequencies in a linear unit (nm converted to rad/s), and the permutation back (or None)."""
    x = np.asarray(frequencies, dtype=np.float64)
    if unit != "nm":
        return x, None
    if np.any(x <= 0):
        i = int(np.argmax(x <= 0))
        raise InvalidInput("wavelengths must be > 0", field=(fname, i))
    d = np.diff(x)
    if x.shape[0] > 1 and not (np.all(d > 0) or np.all(d < 0)):
        bad = (
            int(np.argmax(d == 0))
            if np.any(d == 0)
            else int(np.argmax(np.sign(d) != np.sign(d[0])))
        )
        raise InvalidInput(
            "wavelengths must be strictly monotonic (no repeats)",
            field=(fname, bad + 1),
            fix="sort the rows and remove duplicates",
        )
    w = np.asarray(to_angular(x, "nm"), dtype=np.float64)
    if w.shape[0] > 1 and w[1] < w[0]:
        perm = np.arange(w.shape[0])[::-1]
        return w[perm], perm
    return w, None


def _finite(name: str, a: FloatArray) -> FloatArray:
    if not np.all(np.isfinite(a)):
        raise ConvergenceError(
            f"{name} came out non-finite", field=(), fix="check the data for extreme values"
        )
    return a


def _band_list(
    bands: tuple[NegativeBand, ...], back: Callable[[FloatArray], FloatArray]
) -> list[dict[str, float]]:
    out = []
    for b in bands:
        lo, hi = sorted(float(v) for v in back(np.array([b.lo, b.hi])))
        out.append({"start": lo, "stop": hi, "contribution": b.contribution})
    return out


def static_limit_result(
    st: StaticLimitIntegral, finf: float, back: Callable[[FloatArray], FloatArray]
) -> dict[str, Any]:
    """The JSON form of a static-limit integral (bands in the output unit via ``back``)."""
    return {
        "value": st.value,
        "positive": st.positive,
        "negative": st.negative,
        "tail": st.tail,
        "error_estimate": st.error_estimate,
        "implied_static_value": finf + st.value,
        "negative_bands": _band_list(st.bands, back),
    }


def sum_rule_result(r: SumRule) -> dict[str, Any]:
    """The JSON form of a :class:`SumRule`."""
    return {
        "value": r.value,
        "expected": r.expected,
        "error_estimate": r.error_estimate,
        "tail": r.tail,
        "unit": r.unit,
        "note": r.note,
    }


def kramers_kronig_report(
    frequencies: ArrayLike,
    real: ArrayLike | None = None,
    imag: ArrayLike | None = None,
    *,
    quantity: Quantity,
    unit: str = "model",
    high_frequency_value: float | None = None,
    tail: TailModel = "fit",
    rtol: float = 1e-3,
    method: Method = "auto",
    anchor: tuple[float, float | None] | None = None,
    max_points: int | None = None,
    names: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    low_frequency: LowFrequency = "auto",
    sigma_dc: float | None = None,
) -> Report:
    """Kramers-Kronig transforms, static-limit integral, f-sum and sign of tabulated f(w).

    Parameters
    ----------
    frequencies : (N,) float
        Strictly increasing frequencies >= 0 in ``unit`` (any linear unit), or strictly
        monotonic vacuum wavelengths for ``unit == "nm"`` (converted to rad/s internally).
    real, imag : (N,) float, optional
        Re f and Im f on ``frequencies`` (dimensionless); at least one.
    quantity : {"chi", "epsilon", "mu", "refractive_index"}
        What f is; sets the default f_inf (:data:`HIGH_FREQUENCY_VALUE`) and the sign rule.
    high_frequency_value : float, optional
        f(w -> inf), dimensionless.
    tail, method : see :func:`core.causality.kramers_kronig`.
    rtol : float
        Verdict tolerance relative to the response amplitude max|f - f_inf| (and |Im f|).
    anchor : (w_a, value or None), optional
        Singly subtracted KK at w_a (in ``unit``); with both parts the value comes from the data,
        with one part it is the known value of the reconstructed part.
    max_points : int, optional
        The ``max_kk_points`` limit.
    names : mapping, optional
        Role (``frequencies``, ``real``, ``imag``) -> the input's field or column name (error
        paths name it).
    notes : sequence of str
        Warnings about the input to carry in the report (e.g. ignored CSV columns).
    low_frequency : {"auto", "insulator", "drude"}
        Continuation of Im f below a lowest frequency > 0 (:func:`core.causality.kramers_kronig`);
        ``drude`` and ``auto``'s conductor detection apply to ``epsilon`` only (other quantities
        are continued as insulators, with the Drude alternative in the error estimate).
    sigma_dc : float, optional
        dc conductivity of an ``epsilon`` (Gaussian: Im eps contains 4 pi sigma_dc / w), in
        ``unit`` (rad/s for ``nm``); fixes the Drude term of Re-from-Im and is added to
        Im-from-Re.

    Returns
    -------
    Report
        Arrays on the input grid, in its unit and order: ``frequencies``, the given parts, then
        per reconstructed part ``<part>_kk``, ``<part>_kk_tail``, ``<part>_kk_error_estimate``
        (and, with both parts, ``<part>_discrepancy``, ``<part>_tolerance``). Results:
        ``static_limit`` and (eps) ``f_sum``, ``low_frequency`` (the continuation below the grid, the
        Drude parameters and sigma_dc). Checks: :data:`KK_CONSISTENCY`, :data:`KK_TAIL`,
        :data:`KK_LOW_EDGE`, (eps with the real part) :data:`KK_DC_TERM`,
        :data:`KK_STATIC_LIMIT`, :data:`F_SUM_VALUE`, ``passive`` (:data:`PASSIVITY`).

    Notes
    -----
    Eq 6: Re f(w) = f_inf + (2/pi) P int_0^inf w' Im f(w') / (w'^2 - w^2) dw'; eq 5:
    Im f(w) = -(2w/pi) P int_0^inf (Re f(w') - f_inf) / (w'^2 - w^2) dw'; eq 7 (eq 10 for mu):
    f(0) - f_inf = (2/pi) int_0^inf Im f / w dw (:data:`core.references.WESTERBERG_BARNETT`).
    """
    roles = dict(names or {})
    fname = roles.get("frequencies", "frequencies")
    freq_in = np.asarray(frequencies, dtype=np.float64)
    w, perm = _to_working(freq_in, unit, fname)
    given_parts = {k: v for k, v in (("real", real), ("imag", imag)) if v is not None}
    if not given_parts:
        raise InvalidInput("give 'real', 'imag' or both", field=())
    cols = [(roles.get(k, k), v) for k, v in given_parts.items()]
    w, arrays = check_grid(w, *cols, max_points=max_points, freq_name=fname)
    if perm is not None:
        arrays = [a[perm] for a in arrays]
    parts = dict(zip(given_parts, arrays, strict=True))
    finf = (
        HIGH_FREQUENCY_VALUE[quantity]
        if high_frequency_value is None
        else float(high_frequency_value)
    )
    if perm is None:
        back: Callable[[FloatArray], FloatArray] = identity

        def user(a: FloatArray) -> FloatArray:
            return a
    else:
        p = perm

        def back(x: FloatArray) -> FloatArray:
            return np.asarray(from_angular(np.asarray(x), "nm"))

        def user(a: FloatArray) -> FloatArray:
            return a[p]  # p is its own inverse (a reversal)

    both = len(parts) == 2
    anchor_w: float | None = None
    if anchor is not None:
        a_freq, a_val = anchor
        anchor_w = float(to_angular(np.array([a_freq]), "nm")[0]) if unit == "nm" else float(a_freq)
        if both and a_val is not None:
            raise InvalidInput(
                "with both parts given, the anchor value is taken from the data",
                field=("anchor", "value"),
                fix="leave out anchor.value (or send one part only)",
            )
        if not both and a_val is None:
            raise InvalidInput(
                "anchor.value is needed: the known value of the reconstructed part at w_a",
                field=("anchor", "value"),
                fix="give the value, or drop the anchor",
            )

    if quantity != "epsilon" and (sigma_dc is not None or low_frequency == "drude"):
        raise InvalidInput(
            "the Drude low-frequency model and sigma_dc apply to quantity 'epsilon' only",
            field=("sigma_dc",) if sigma_dc is not None else ("low_frequency",),
            fix="drop sigma_dc / use low_frequency 'auto' or 'insulator', or send epsilon",
        )
    lf_used: LowFrequency = low_frequency if quantity == "epsilon" else "insulator"
    sigma_unit = "rad/s" if unit == "nm" else unit
    results_lf: dict[str, Any] = {}
    low_checks: list[tuple[str, KKResult]] = []

    amps = [float(np.abs(parts["real"] - finf).max())] if "real" in parts else []
    amps += [float(np.abs(parts["imag"]).max())] if "imag" in parts else []
    scale = max(*amps, 1e-300)
    unit_of = {"real": "1", "imag": "1"}
    series: dict[str, Series] = {
        "frequencies": Series(freq_in, "frequency w (or vacuum wavelength for nm)", unit)
    }
    for k, a in parts.items():
        series[k] = Series(
            user(a), f"{'Re' if k == 'real' else 'Im'} {quantity} as given", "1", "frequencies"
        )
    kk_details: dict[str, Any] = {"rtol": rtol, "scale": scale, "high_frequency_value": finf}
    verdicts: list[bool] = []
    misses: list[str] = []
    worst = 0.0
    tail_max = 0.0
    tail_parts: list[str] = []
    tail_models: list[str] = []

    for src, direction, out in (("imag", "re_from_im", "real"), ("real", "im_from_re", "imag")):
        if src not in parts:
            continue
        anchor_pair = None
        if anchor_w is not None and anchor is not None:
            val = anchor[1] if not both else float(np.interp(anchor_w, w, parts[out]))
            anchor_pair = (anchor_w, float(val))  # type: ignore[arg-type]
        sig = sigma_dc
        done = dict(low_checks)
        if direction == "im_from_re" and sig is None and "real_kk" in done:
            d_im = done["real_kk"].drude
            sig = d_im.sigma_dc if d_im is not None and quantity == "epsilon" else None
        res = kramers_kronig(
            w,
            parts[src],
            direction=direction,  # type: ignore[arg-type]
            high_frequency_value=finf,
            tail=tail,
            anchor=anchor_pair,
            method=method,
            max_points=max_points,
            values_name=roles.get(src, src),
            low_frequency=lf_used if direction == "re_from_im" else "auto",
            sigma_dc=sig,
        )
        low_checks.append((f"{out}_kk", res))
        sym = "Re" if out == "real" else "Im"
        series[f"{out}_kk"] = Series(
            user(_finite(f"{out}_kk", res.values)),
            f"{sym} {quantity} reconstructed from the other part (eq {6 if out == 'real' else 5})",
            "1",
            "frequencies",
        )
        series[f"{out}_kk_tail"] = Series(
            user(res.tail_part), f"tail-model part of {out}_kk", "1", "frequencies"
        )
        series[f"{out}_kk_error_estimate"] = Series(
            user(res.error_estimate),
            f"truncation + discretisation estimate of {out}_kk",
            "1",
            "frequencies",
        )
        entry: dict[str, Any] = {
            "method": res.method,
            "max_tail_contribution": float(np.abs(res.tail_part).max()),
            "max_truncation_estimate": float(res.truncation_estimate.max()),
            "max_discretisation_estimate": float(res.discretisation_estimate.max()),
            "tail": {
                "model": res.tail.model,
                "powers": list(res.tail.powers),
                "coefficients_at_w_max": list(res.tail.coeffs),
                "fit_window": sorted(float(v) for v in back(np.array(res.tail.window))),
            },
            "low_frequency_extension": res.low_frequency_extension,
            "low_frequency": res.low_frequency,
            "max_low_edge_estimate": float(np.max(res.low_edge_estimate))
            if res.low_edge_estimate is not None
            else 0.0,
        }
        if res.anchor is not None and anchor is not None:
            entry["anchor"] = {"frequency": anchor[0], "value": res.anchor[1]}
        if entry["max_tail_contribution"] > rtol * scale:
            tail_parts.append(f"{out}_kk")
            tail_models.append(res.tail.model)
        tail_max = max(tail_max, entry["max_tail_contribution"])
        if both:
            d = discrepancy(res, parts[out], scale, rtol)
            series[f"{out}_discrepancy"] = Series(
                user(d.discrepancy), f"|{out}_kk - {out}|", "1", "frequencies"
            )
            series[f"{out}_tolerance"] = Series(
                user(d.tolerance), f"tolerance of {out}_discrepancy", "1", "frequencies"
            )
            at = float(back(np.array([d.worst_frequency]))[0])
            entry.update(
                {
                    "verdict": d.consistent,
                    "max_discrepancy": d.max_discrepancy,
                    "worst_frequency": at,
                }
            )
            verdicts.append(d.consistent)
            worst = max(worst, d.max_discrepancy)
            if not d.consistent:
                misses.append(
                    f"{out} reconstructed from {src} misses the given {out} by "
                    f"{d.max_discrepancy:.3g} at {at:.6g} {unit}"
                )
        kk_details[out] = entry
    hint = (
        " (a constant offset means the high-frequency value is wrong)"
        if any(m.startswith("real") for m in misses)
        else ""
    )
    checks: dict[str, Check] = {}
    checks["kramers_kronig"] = KK_CONSISTENCY.judge(
        all(verdicts) if both else None,
        worst if both else None,
        tolerance=rtol,
        explanation=None
        if both
        else "No verdict: one part was given, so there is nothing to compare the reconstruction "
        "with; details hold its error estimates.",
        misses="; ".join(misses),
        hint=hint,
        **kk_details,
    )
    checks["kk_tail"] = KK_TAIL.judge(
        not tail_parts,
        tail_max,
        tolerance=rtol,
        scale=scale,
        parts=" and ".join(tail_parts),
        tail_model="', '".join(dict.fromkeys(tail_models)),
    )

    checks["kk_low_edge"] = _low_edge_check(
        low_checks, w, back, unit, rtol, scale, quantity, lf_used
    )
    if quantity == "epsilon" and "real" in parts:
        checks["dc_conductivity"] = _dc_check(
            low_checks, w, parts, back, unit, sigma_dc, sigma_unit
        )
    results_lf = _low_frequency_result(low_checks, w, back, lf_used, sigma_unit)

    results: dict[str, Any] = {"low_frequency": results_lf}
    units: dict[str, str] = dict(unit_of)
    units["sigma_dc"] = sigma_unit
    report_notes = list(notes)
    if "imag" in parts:
        st = static_limit_integral(
            w, parts["imag"], tail=tail, values_name=roles.get("imag", "imag")
        )
        results["static_limit"] = static_limit_result(st, finf, back)
        sdet: dict[str, Any] = {
            "implied_static_value": finf + st.value,
            "error_estimate": st.error_estimate,
            "scale": scale,
            "high_frequency_value": finf,
        }
        verdict: bool | None = None
        why: str | None = (
            "No verdict: Re f(0) is not tabulated (send the real part with a row at w = 0 to "
            "compare); the value is the integral."
        )
        if "real" in parts and w[0] == 0.0:
            given0 = float(parts["real"][0])
            sdet["given_static_value"] = given0
            verdict = bool(abs(finf + st.value - given0) <= rtol * scale + st.error_estimate)
            why = None
        if quantity == "chi":
            sdet["diamagnetic"] = bool(st.value + finf < 0)
        if results_lf.get("drude") is not None:
            why = (
                "No verdict: the data are conductor-like (Drude continuation below the grid), and "
                "a conductor has no static limit: Im eps / w ~ 4 pi sigma_dc / w^2 makes the "
                "integral diverge; the value is that of the tabulated range alone."
            )
            verdict = None
        checks["static_limit"] = KK_STATIC_LIMIT.judge(
            verdict, st.value, tolerance=rtol, explanation=why, **sdet
        )
        if quantity == "epsilon":
            fs = f_sum_rule(w, parts["imag"], values_name=roles.get("imag", "imag"))
            fs_unit = "(rad/s)^2" if unit == "nm" else f"({unit})^2"
            results["f_sum"] = {
                "value": fs.value,
                "expected": None,
                "error_estimate": fs.error_estimate,
                "tail": fs.tail,
                "unit": fs_unit,
                "note": fs.note,
            }
            units["f_sum"] = fs_unit
            checks["f_sum"] = F_SUM_VALUE.value_only(
                fs.value,
                effective_plasma_frequency=fs.extra["effective_plasma_frequency"],
                unit=fs_unit,
            )
            if fs.note:
                report_notes.append(fs.note)
        checks[PASSIVITY.name] = _tabulated_passivity(quantity, w, parts, back)

    return Report(
        model=KK_MODEL,
        version=MODEL_VERSIONS[KK_MODEL],
        arrays=series,
        checks=checks_of(*checks.items()),
        notes=tuple(report_notes),
        results=results,
        units=units,
    )


def _drude_json(d: DrudeTail | None) -> dict[str, Any] | None:
    return None if d is None else d.as_dict()


def _low_frequency_result(
    items: Sequence[tuple[str, KKResult]],
    w: FloatArray,
    back: Callable[[FloatArray], FloatArray],
    requested: str,
    sigma_unit: str,
) -> dict[str, Any]:
    """The JSON form of the continuation below the grid (``results.low_frequency``)."""
    by = dict(items)
    re_kk = by.get("real_kk")
    im_kk = by.get("imag_kk")
    main = re_kk if re_kk is not None else im_kk
    assert main is not None
    lowest = float(back(np.array([w[0]]))[0])
    # sigma_dc is in the grid's unit (Im eps = 4 pi sigma_dc / w with w the grid value); the
    # Gaussian conductivity proper is per second of *angular* frequency: for cycle units (Hz,
    # THz, cm-1) the two differ by 2 pi, so the answer also gives it in s^-1.
    per_s = float(to_angular(np.array([1.0]), sigma_unit)[0]) if is_physical(sigma_unit) else None
    sig = None
    if re_kk is not None and re_kk.drude is not None:
        sig = re_kk.drude.sigma_dc
    elif im_kk is not None and im_kk.drude is not None:
        sig = im_kk.drude.sigma_dc
    return {
        "requested": requested,
        "sigma_dc_gaussian_per_second": None if per_s is None or sig is None else sig * per_s,
        "model": main.low_frequency,
        "lowest_frequency": lowest,
        "low_edge_slope": None if re_kk is None else re_kk.low_edge_slope,
        "conductor_like": None if re_kk is None else re_kk.conductor_like,
        "conductor_slope": CONDUCTOR_SLOPE,
        "drude": None if re_kk is None else _drude_json(re_kk.drude),
        "dc_term_in_imag_kk": None if im_kk is None else _drude_json(im_kk.drude),
        "convention": "Gaussian: Im eps contains 4 pi sigma_dc / w with w the grid value; "
        f"sigma_dc, damping and plasma_frequency in {sigma_unit} (for a cycle unit, Hz, THz or "
        "cm-1, this sigma_dc is the Gaussian conductivity / (2 pi) in that unit: "
        "sigma_dc_gaussian_per_second is the conductivity proper); Drude eps_D - 1 = "
        "-w_p^2/(w (w + i gamma)), w_p^2 = 4 pi sigma_dc gamma",
    }


def _low_edge_check(
    items: Sequence[tuple[str, KKResult]],
    w: FloatArray,
    back: Callable[[FloatArray], FloatArray],
    unit: str,
    rtol: float,
    scale: float,
    quantity: str,
    requested: str,
) -> Check:
    """:data:`KK_LOW_EDGE` over both reconstructions."""
    lowest = float(back(np.array([w[0]]))[0])
    if w[0] == 0.0:
        return KK_LOW_EDGE.judge(
            True, 0.0, tolerance=rtol, scale=scale, lowest_frequency=lowest, model="none"
        )
    worst, at, parts, model = 0.0, float(w[0]), [], "insulator"
    conductor = False
    for name, res in items:
        est = res.low_edge_estimate if res.low_edge_estimate is not None else np.zeros_like(w)
        i = int(np.argmax(est))
        if est[i] > rtol * scale:
            parts.append(name)
        if est[i] >= worst:
            worst, at = float(est[i]), float(w[i])
        if name == "real_kk":
            model = res.low_frequency
            conductor = bool(res.conductor_like)
    at_user = float(back(np.array([at]))[0])
    why = "" if "real_kk" in dict(items) else " (Re f flat below it)"
    if model == "insulator" and conductor:
        why = (
            " (Im f linear to 0 at w = 0) although w Im f tends to a positive constant there, "
            "like a conductor's"
        )
        advice = (
            "use low_frequency 'auto' or 'drude', or give sigma_dc"
            if quantity == "epsilon"
            else "the Drude continuation applies to epsilon: send eps, or extend the data to "
            "lower frequencies"
        )
    elif model == "drude":
        why = " (a Drude term fitted at the low edge)"
        advice = "extend the data to lower frequencies, or give sigma_dc"
    else:
        advice = "extend the data to lower frequencies"
    return KK_LOW_EDGE.judge(
        not parts,
        worst,
        tolerance=rtol,
        scale=scale,
        lowest_frequency=lowest,
        worst_frequency=at_user,
        unit=unit,
        model=model,
        requested=requested,
        conductor_like=conductor,
        why=why,
        parts=" and ".join(parts) or "the reconstruction",
        advice=advice,
    )


def _dc_check(
    items: Sequence[tuple[str, KKResult]],
    w: FloatArray,
    parts: Mapping[str, FloatArray],
    back: Callable[[FloatArray], FloatArray],
    unit: str,
    sigma_dc: float | None,
    sigma_unit: str,
) -> Check:
    """:data:`KK_DC_TERM`: is the dc term of Im eps accounted for in Im from Re?"""
    by = dict(items)
    im_kk = by["imag_kk"]
    lowest = float(back(np.array([w[0]]))[0])
    lowest_real = float(parts["real"][0])
    common: dict[str, Any] = {
        "lowest_frequency": lowest,
        "lowest_real": lowest_real,
        "unit": unit,
        "sigma_unit": sigma_unit,
    }
    used = im_kk.drude.sigma_dc if im_kk.drude is not None else 0.0
    if sigma_dc is not None:
        return KK_DC_TERM.judge(True, used, source="given", **common)
    if "imag" in parts:
        src = "imag" if im_kk.drude is not None else "none: Im eps is not conductor-like"
        return KK_DC_TERM.judge(True, used, source=src, **common)
    if lowest_real < 1.0:
        return KK_DC_TERM.judge(False, None, source="missing", **common)
    return KK_DC_TERM.judge(
        None,
        None,
        explanation="No verdict: Re eps >= 1 at the lowest frequency shows no sign of a "
        "conductor, but a dc term 4 pi sigma_dc / w of Im eps cannot be excluded from Re eps "
        "alone; give sigma_dc if the medium conducts.",
        source="missing",
        **common,
    )


def _tabulated_passivity(
    quantity: str,
    w: FloatArray,
    parts: Mapping[str, FloatArray],
    back: Callable[[FloatArray], FloatArray],
) -> Check:
    """:data:`PASSIVITY` of tabulated data: eps (with mu = 1) and n judge Im(eps mu); chi and mu
    alone cannot (their imaginary part may be negative in a passive medium)."""
    im = parts["imag"]
    ivs = intervals_in(negative_intervals(w, im), back)
    if quantity == "epsilon":
        chk = passivity_check(
            w, im, to_output=back, scope="Im eps sampled on the tabulated grid, with mu = 1"
        )
    elif quantity == "refractive_index":
        if "real" in parts:
            # sign(Re n) Im(n^2) = 2 |n| kappa: a left-handed index (n < 0) that decays passes
            y = 2.0 * np.abs(parts["real"]) * im
            scope = "sign(n) Im(n^2) = 2 |n| kappa sampled on the tabulated grid"
        else:
            y = im
            scope = "Im n sampled on the tabulated grid (the sign of Im(n^2) where Re n > 0)"
        chk = passivity_check(w, y, to_output=back, scope=scope)
    else:
        return PASSIVITY.judge(None, explanation=_NO_SIGN_RULE, negative_imag_intervals=ivs)
    return dataclasses.replace(chk, details={**chk.details, "negative_imag_intervals": ivs})


# ---------------------------------------------------------------------------------------------
# The oscillator medium (POST /v1/causality/oscillator)
# ---------------------------------------------------------------------------------------------

#: The model's Re f against its Kramers-Kronig reconstruction from Im f (chi, eps, mu).
OSC_KK: Final = CheckSpec(
    name="kk_reconstruction",
    kind="indicative",
    equation=f"max_w |Re f(w) - Re f_KK(w)| <= rtol max|f - f_inf| + error estimate, f_KK from "
    f"Im f by eq 6 with f_inf = 0 (chi), 1 (eps, mu: vacuum at high frequency) ({_WB}, eqs 6, "
    "21-23); judged on the user's grid, integrals on an internal grid that resolves every line",
    explanation="The model's real part is not the Kramers-Kronig transform of its imaginary part "
    "with the vacuum high-frequency value: f(inf) is not the vacuum value (eq 26 violated) or the "
    "model is not analytic in the upper half-plane. The error estimate is indicative.",
    tolerance=OSC_RTOL,
    warning="{quantity}: the Kramers-Kronig reconstruction differs from the model by {value:.3g} "
    "(tolerance {tolerance:g} x {scale:.3g} plus the numerical estimate): {cause}",
)


def _rule_spec(name: str, equation: str, explanation: str, what: str) -> CheckSpec:
    return CheckSpec(
        name=name,
        kind="indicative",
        equation=equation + "; judged as |value - expected| <= rtol max(|expected|, 1e-12) + "
        "error estimate",
        explanation=explanation,
        tolerance=OSC_RTOL,
        warning=what + " = {value:.6g}, expected {expected:.6g} (tolerance {tolerance:g} relative "
        "plus the estimate {error_estimate:.3g}): {cause}",
    )


F_SUM_RULE: Final = _rule_spec(
    "f_sum",
    "int_0^inf w Im eps(w) dw = (pi/2) sum_e Delta_edip (f-sum, Landau & Lifshitz sec. 123, with "
    f"eq 21 of {_WB})",
    "The absorption of eps does not add up to the electric-dipole strengths: the internal grid or "
    "the tail model misses part of it.",
    "the f-sum int w Im eps dw",
)
CHI_STATIC_EQ7: Final = _rule_spec(
    "chi_static_eq7",
    f"(2/pi) int_0^inf Im chi(w)/w dw = chi(0) - chi(inf) = chi(0) ({_WB}, eq 7 with eqs 22-23 "
    "and chi(inf) = 0, i.e. eq 26)",
    "The absorption of chi does not give the static chi(0): with eq 26 violated chi(inf) != 0 and "
    "the integral gives chi(0) - chi(inf); otherwise the integration misses absorption.",
    "(2/pi) int Im chi / w",
)
MU_STATIC_EQ10: Final = _rule_spec(
    "mu_static_eq10",
    f"(2/pi) int_0^inf Im mu(w)/w dw = mu(0) - 1 ({_WB}, eq 10 with mu(inf) = 1, i.e. eq 26)",
    "The absorption of mu does not give mu(0) - 1: with eq 26 violated mu(inf) != 1; otherwise "
    "the integration misses absorption.",
    "(2/pi) int Im mu / w",
)
CHI_ABSORPTION: Final = _rule_spec(
    "chi_absorption",
    "(2/pi) int_0^inf Im chi(w)/w dw = sum_e (Delta_mdip / w_eg^2 + Delta_quad - Delta_dipoct) "
    f"({_WB}, eqs 7 and 21-23: causality alone; Delta_dia does not appear)",
    "The absorption of chi does not match its closed form, which holds whether or not eq 26 does: "
    "the internal grid or the tail model misses part of it.",
    "(2/pi) int Im chi / w",
)
CHI_TAIL: Final = _rule_spec(
    "chi_tail",
    "lim_{w -> inf} w Im chi(w) = 2 sum_e gamma_e (Delta_quad - Delta_dipoct) (the w^2 terms of "
    f"eq 21 of {_WB}), fitted at the top of the internal grid",
    "The slow 1/w decay of Im chi is not what the tail model carries: the static-limit integral "
    "of chi rests on a wrong continuation.",
    "lim w Im chi (fitted)",
)

#: Sum-rule key of :func:`core.causality.oscillator_causality` -> its statement.
OSC_RULES: Final[dict[str, CheckSpec]] = {
    "f_sum": F_SUM_RULE,
    "chi_static_eq7": CHI_STATIC_EQ7,
    "mu_static_eq10": MU_STATIC_EQ10,
    "chi_absorption": CHI_ABSORPTION,
    "chi_tail": CHI_TAIL,
}

_MISSED = "the internal grid or the tail model misses part of the absorption"


def oscillator_causality_report(
    medium: OscillatorMedium,
    w: ArrayLike,
    *,
    frequencies: ArrayLike | None = None,
    unit: str = "model",
    medium_unit: str = "model",
    to_output: Callable[[FloatArray], FloatArray] | None = None,
    rtol: float = OSC_RTOL,
    per_width: float | None = None,
    method: Method = "auto",
    max_points: int | None = None,
) -> Report:
    """Analytic Re chi, eps, mu of an oscillator medium next to their KK reconstructions.

    Parameters
    ----------
    medium : core.oscillators.OscillatorMedium
        All linewidths > 0.
    w : (M,) float
        The grid in the medium's unit (>= 0).
    frequencies : (M,) float, optional
        The same grid in the user's unit (echoed as the first array; default ``w``).
    unit, medium_unit : str
        The user's unit (of ``frequencies``) and the medium's (of the transitions).
    to_output : callable, optional
        Medium unit -> user unit (band and interval edges are reported in it).
    rtol : float
        Tolerance of the verdicts (:data:`OSC_RTOL`).
    per_width : float, optional
        Points per linewidth of the internal grid; default min(16, max(1, OSC_GRID_BUDGET /
        (60 M))) for M transitions, which bounds the grid near :data:`OSC_GRID_BUDGET` points.
    method, max_points : see :func:`core.causality.oscillator_causality`.

    Returns
    -------
    Report
        Arrays ``frequencies``, then per quantity ``<q>_real``, ``<q>_real_kk``, ``<q>_imag``;
        results ``static_limits``, ``sum_rules``, ``internal_points``. Checks ``chi``,
        ``epsilon``, ``mu`` (:data:`OSC_KK`), ``sum_rule_26``
        (:data:`core.oscillators.SUM_RULE_26`), the sum rules of :data:`OSC_RULES` and
        ``passive`` (:data:`PASSIVITY` from eps and mu on the internal grid; details also give
        where Im eps and Im mu are negative).

    Notes
    -----
    With eq 26 violated (residual r), 1/mu(inf) = 1 + r: chi(inf) = -r and mu(inf) = 1/(1 + r),
    so the reconstructions of Re chi and Re mu are off by those constants and eqs 7 and 10 miss
    chi(0) and mu(0) - 1 (:data:`core.references.WESTERBERG_BARNETT`, eqs 7, 10, 22, 23, 26).
    """
    back = to_output if to_output is not None else identity
    wv = np.array(w, dtype=np.float64, ndmin=1)
    if per_width is None:
        size = int(medium.omega.size)
        per_width = float(min(16.0, max(1.0, OSC_GRID_BUDGET / (60.0 * size))))
    rep: OscillatorCausality = oscillator_causality(
        medium, wv, rtol=rtol, per_width=per_width, method=method, max_points=max_points
    )
    resp = evaluate(medium, wv)
    imag = {"chi": resp.chi.imag, "epsilon": resp.epsilon.imag, "mu": resp.mu.imag}
    sym = {"chi": "chi", "epsilon": "eps", "mu": "mu"}
    freq_out = wv if frequencies is None else np.asarray(frequencies, dtype=np.float64)
    series: dict[str, Series] = {"frequencies": Series(freq_out, "frequency w", unit)}
    holds = rep.eq26_holds
    resid = rep.eq26_residual
    mu_inf = float(rep.eq26.details["mu_infinity"])
    eq26_cause = (
        f"eq 26 fails (residual {resid:.6g}), so chi(inf) = {-resid:.6g} and mu(inf) = "
        f"{mu_inf:.6g} instead of the 0 and 1 the transform assumes; make the transitions' "
        "dia / omega^2, quad and dip_oct strengths cancel (sum_rule_26)"
    )
    checks: dict[str, Check] = {}
    statics: dict[str, Any] = {}
    for name, chk in rep.checks.items():
        s = sym[name]
        series[f"{name}_real"] = Series(
            chk.re_analytic, f"Re {s}(w) of the model", "1", "frequencies"
        )
        series[f"{name}_real_kk"] = Series(
            chk.re_kk, f"Re {s}(w) from Im {s} by eq 6", "1", "frequencies"
        )
        series[f"{name}_imag"] = Series(imag[name], f"Im {s}(w) of the model", "1", "frequencies")
        cause = (
            eq26_cause
            if not holds and name != "epsilon"
            else f"the model's {name} may not be analytic in the upper half-plane"
        )
        checks[name] = OSC_KK.judge(
            chk.consistent,
            chk.max_error,
            tolerance=rtol,
            quantity=name,
            cause=cause,
            max_error=chk.max_error,
            scale=chk.scale,
            assumed_high_frequency_value=chk.assumed_high_frequency_value,
            model_high_frequency_value=chk.model_high_frequency_value + 0.0,
            static_integral=chk.static_integral.value,
            static_expected=chk.static_expected,
        )
        statics[name] = static_limit_result(
            chk.static_integral, chk.assumed_high_frequency_value, back
        )
    checks[SUM_RULE_26.name] = rep.eq26
    for key, r in rep.sum_rules.items():
        if r.expected is None:
            continue
        cause = eq26_cause if not holds and key in ("chi_static_eq7", "mu_static_eq10") else _MISSED
        checks[key] = OSC_RULES[key].judge(
            abs(r.value - r.expected) <= rtol * max(abs(r.expected), 1e-12) + r.error_estimate,
            r.value,
            tolerance=rtol,
            expected=r.expected,
            error_estimate=r.error_estimate,
            cause=cause,
        )
    checks[PASSIVITY.name] = _oscillator_passivity(medium, rep, back)
    return Report(
        model=OSC_MODEL,
        version=MODEL_VERSIONS[OSC_MODEL],
        arrays=series,
        checks=checks_of(*checks.items()),
        results={
            "static_limits": statics,
            "sum_rules": {k: sum_rule_result(r) for k, r in rep.sum_rules.items()},
            "internal_points": rep.internal_points,
        },
        units={"transitions": medium_unit},
    )


def _oscillator_passivity(
    medium: OscillatorMedium, rep: OscillatorCausality, back: Callable[[FloatArray], FloatArray]
) -> Check:
    """:data:`PASSIVITY` (the full statement, from eps and mu) on the internal grid, with the
    signs of Im eps and Im mu."""
    top = float(back(np.array([rep.grid[-1]]))[0])
    r = evaluate(medium, rep.grid)
    chk = passivity_check(
        rep.grid,
        eps=r.epsilon,
        mu=r.mu,
        to_output=back,
        scope=f"eps and mu sampled on the internal grid of {rep.internal_points} points up to "
        f"{top:.6g}",
    )
    extra: dict[str, Any] = {}
    for name in ("epsilon", "mu", "eps_mu"):
        sr = rep.passivity.reports.get(name)
        if sr is not None:
            extra[f"min_im_{name}"] = sr.min_imag
            extra[f"negative_im_{name}_intervals"] = intervals_in(list(sr.negative_intervals), back)
    chk = dataclasses.replace(chk, details={**chk.details, **extra})
    if chk.verdict is False:
        # the same reason the oscillator endpoint gives (its tail crossover, with numbers)
        order = multipole_ordering_check(medium)
        why = tail_reason(medium, [Sampling("grid", rep.grid, back, chk.details["scope"])], order)
        if why is None and order.verdict is False:
            why = (
                f"eq 25 fails for transition(s) {order.details['failing']}: their dip_oct "
                "strength times omega^2 reaches e_dip, which means gain at the resonance"
            )
        if why:
            chk = dataclasses.replace(chk, warning=f"{(chk.warning or '').rstrip('. ')}; {why}")
    return chk
