"""The report of a multipole oscillator medium on a frequency grid (Westerberg & Barnett, eqs 20-26).

:func:`oscillator_report` is what ``POST /v1/oscillator/response`` answers: eps, mu, 1/mu, chi,
eps mu, the refractive index n, the impedance Z, the normal-incidence reflectance R and the
absorption coefficient on the grid, with the checks that say whether the numbers describe a
physical medium. :func:`medium_checks` gives the same checks for any set of frequency samplings
(the emitter reports of :mod:`core.emitters.report` add their automatic scan to the user's grid).

Units and conventions
---------------------
Frequencies ``w`` are in the medium's linear unit (``medium_unit``); the user's grid may be in any
unit of :mod:`core.units` (a vacuum wavelength included): :class:`OutputGrid` carries its points in
that unit and the map from the medium's unit back to it, so every frequency a check reports
(interval edges, the minimum of Im(eps mu), the top of the grid) is in the unit the user reads.
Fields vary as exp(-i w t); passivity is the one statement of :mod:`core.passivity` (Im mu < 0
allowed where the wave is still absorbed).

Checks (one per physical statement)
-----------------------------------
``sum_rule_26``
    :data:`core.oscillators.SUM_RULE_26` (bound); its details add the response at the top of the
    grid next to the exact limit mu(inf) = 1 / (1 + residual).
``static_limits``
    :data:`STATIC_LIMITS` (value): eps(0) (eq 21), mu(0) (eq 22), chi(0) = 1 - 1/mu(0).
``diamagnetic``
    :data:`core.oscillators.DIAMAGNETIC` (bound): chi(0) = 1 - 1/mu(0) < 0.
``passive``
    :data:`core.passivity.PASSIVITY` (indicative): the passivity statement on every sampling.
``negative_im_mu_intervals``
    :data:`NEGATIVE_IM_MU` (value): where Im mu < 0 (allowed, eq 25).
``multipole_ordering``
    :data:`MULTIPOLE_ORDERING` (bound): eq 25 per transition.

This module imports :mod:`core.optics` (index, impedance, reflectance), which imports
:mod:`core.oscillators`; :mod:`core.oscillators` itself stays free of optics.

References
----------
:data:`core.references.WESTERBERG_BARNETT`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc

from core import oscillators as osc
from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import InvalidInput
from core.optics import half_space_index, impedance, normal_reflectance
from core.passivity import (
    PASSIVITY,
    intervals_in,
    negative_intervals,
    passivity_check,
    passivity_indicator,
)
from core.units import identity, is_physical, linear_scale

FloatArray = NDArray[np.float64]
ToOutput = Callable[[FloatArray], FloatArray]

#: The static limits: numbers, no verdict (the verdict on mu(0) is :data:`osc.DIAMAGNETIC`).
STATIC_LIMITS: Final = CheckSpec(
    name="static_limits",
    kind="value",
    equation="eps(0) = 1 + sum_e Delta_edip / w_eg^2 (eq 21 at w = 0), mu(0) = 1 / (1 + sum_e "
    "(Delta_dia - Delta_mdip) / w_eg^2) (eq 22), chi(0) = 1 - 1/mu(0) (eq 23) (Westerberg & "
    "Barnett 2025)",
    explanation="The static response of the medium, reported for reference; no verdict.",
)

#: Where Im mu < 0: allowed (Westerberg & Barnett 2025, sec. IV.A), so a value, not a verdict.
NEGATIVE_IM_MU: Final = CheckSpec(
    name="negative_im_mu_intervals",
    kind="value",
    equation="intervals of the grid where Im mu(w) < 0, edges refined by root finding; allowed "
    "where Im(eps mu) > 0 (Westerberg & Barnett 2025, sec. IV.A and eq 25)",
    explanation="Im mu < 0 is how a causal medium is diamagnetic at low frequency; it is not a "
    "failure as long as Im(eps mu) stays positive (the `passive` check).",
)

#: Eq 25 per transition: a closed-form inequality on the strengths, so a bound.
MULTIPOLE_ORDERING: Final = CheckSpec(
    name="multipole_ordering",
    kind="bound",
    equation="Delta_dipoct w_eg^2 < Delta_edip for every transition with dipole-octopole strength "
    "(Westerberg & Barnett 2025, eq 25)",
    explanation="Where eq 25 fails the resonant Im(eps mu) at w_eg is negative: the medium shows "
    "gain at that transition, which means the multipole (long-wavelength, w_eg * size << 1) "
    "expansion behind eq 21 no longer holds for it.",
    warning="eq 25 fails for transition(s) {failing}: Delta_dipoct w_eg^2 >= Delta_edip means "
    "gain at w_eg",
)

#: The note added when Im(eps mu) < 0 somewhere although eq 25 holds for every transition.
TAIL_NOTE: Final = (
    "Eq 25 guarantees Im(eps mu) > 0 only at the dipole-octopole resonances themselves; away from "
    "them the dipole-octopole absorption (~ w^2 Delta_dipoct, decaying as 1/w) can outweigh the "
    "electric-dipole absorption (decaying as 1/w^3), beyond multipole_ordering.tail_crossover, "
    "where the multipole expansion behind eq 21 no longer holds."
)

GRID_SCOPE: Final = "sampled on the request grid"

#: The explanation of ``passive`` for a medium without linewidths.
UNDAMPED_EXPLANATION: Final = (
    "Every linewidth is zero, so Im(eps mu) vanishes between the poles and the absorption (or "
    "gain) sits at the poles: the verdict is that of eq 25 at each pole (multipole_ordering) "
    "together with the sampled values. A failure means gain at a resonance."
)


@dataclass(frozen=True)
class OutputGrid:
    """The frequency grid as the user gave it.

    Attributes
    ----------
    points : (N,) float
        The grid in its own unit and order (echoed as the ``frequencies`` array).
    unit : str
        Its unit (a :data:`core.units.FrequencyUnit`).
    to_output : callable
        Map from the medium's unit to ``unit`` (a wavelength grid reverses the order).
    """

    points: FloatArray
    unit: str
    to_output: ToOutput


@dataclass(frozen=True)
class Sampling:
    """Frequencies on which passivity is judged.

    Attributes
    ----------
    name : str
        Short name (``"grid"``, ``"scan"``): the key of this sampling in the check's details.
    w : (N,) float
        The frequencies in the medium's unit.
    to_output : callable
        Map from the medium's unit to the unit the sampling is reported in.
    scope : str
        What was sampled, in words.
    """

    name: str
    w: FloatArray
    to_output: ToOutput
    scope: str


def _at(medium: osc.OscillatorMedium, what: str) -> Callable[[float], float]:
    """The passivity indicator (``what="passivity"``, :func:`core.passivity.passivity_indicator`)
    or Im mu (``"im_mu"``) at one frequency (root finding)."""

    def f(x: float) -> float:
        rr = osc.evaluate(medium, np.array([x]), backend="numpy")
        if what == "passivity":
            return float(passivity_indicator(rr.epsilon, rr.mu)[0])
        return float(rr.mu.imag[0])

    return f


def passivity(
    medium: osc.OscillatorMedium, samplings: Sequence[Sampling], *, tol: float = 0.0
) -> Check:
    """The one :data:`core.passivity.PASSIVITY` check over every sampling.

    Parameters
    ----------
    medium
        The oscillator medium.
    samplings
        One or more :class:`Sampling` (the request grid, an automatic scan, ...). Frequencies at
        w = 0 are kept (Im(eps mu) = 0 there exactly).
    tol
        Values of the indicator >= -tol count as non-negative (absolute, dimensionless).

    Returns
    -------
    Check
        ``verdict``: the full statement (Im eps >= 0 and (Im mu >= 0 or sign(Re mu) Im(eps mu)
        >= 0), :func:`core.passivity.passivity_indicator` >= -tol) on every sampling; for
        emitters of ordinary strengths (Delta_edip >= 0, Re mu > 0) it is Im(eps mu) >= -tol.
        ``value``: the smallest indicator found. Details: ``min_im_eps_mu`` (the smallest
        Im(eps mu)), ``at_frequency`` (where, in the unit of the sampling
        that holds the minimum), ``non_passive_intervals`` (every interval, each with
        ``sampled_on``), ``n_intervals``, ``scope``, and, with more than one sampling,
        ``samplings``: per sampling its own minimum, where, intervals and scope.
    """
    if not samplings:
        raise ValueError("passivity needs at least one sampling")
    refine = _at(medium, "passivity")
    parts: list[tuple[str, Check]] = []
    min_em: dict[str, float] = {}
    for s in samplings:
        w = np.asarray(s.w, dtype=np.float64).reshape(-1)
        if w.size == 0:
            continue
        r = osc.evaluate(medium, w)
        c = passivity_check(
            w, eps=r.epsilon, mu=r.mu, refine=refine, to_output=s.to_output, scope=s.scope, tol=tol
        )
        parts.append((s.name, c))
        min_em[s.name] = float(r.eps_mu.imag.min())
    if not parts:
        raise ValueError("every sampling is empty")
    if len(parts) == 1:
        name, c = parts[0]
        ivs = sorted(
            ({**iv, "sampled_on": name} for iv in c.details["non_passive_intervals"]),
            key=lambda iv: iv["start"],
        )
        return PASSIVITY.judge(
            c.verdict,
            c.value,
            tolerance=tol,
            **{**c.details, "non_passive_intervals": ivs, "min_im_eps_mu": min_em[name]},
        )
    name_min, c_min = min(parts, key=lambda p: float(p[1].value or 0.0))
    intervals = [
        {**iv, "sampled_on": name} for name, c in parts for iv in c.details["non_passive_intervals"]
    ]
    per = {
        name: {
            "verdict": c.verdict,
            "min_im_eps_mu": min_em[name],
            "at_frequency": c.details["at_frequency"],
            "non_passive_intervals": c.details["non_passive_intervals"],
            "scope": c.details["scope"],
        }
        for name, c in parts
    }
    return PASSIVITY.judge(
        all(c.verdict for _, c in parts),
        c_min.value,
        tolerance=tol,
        min_im_eps_mu=min(min_em.values()),
        at_frequency=c_min.details["at_frequency"],
        at_sampling=name_min,
        non_passive_intervals=intervals,
        n_intervals=len(intervals),
        scope="; ".join(f"{name}: {c.details['scope']}" for name, c in parts),
        samplings=per,
    )


def multipole_ordering_check(medium: osc.OscillatorMedium) -> Check:
    """The :data:`MULTIPOLE_ORDERING` check (eq 25).

    ``value`` = number of transitions where eq 25 fails. Details: ``per_transition`` (bool each),
    ``failing`` (their indices), ``violations`` (their number) and ``tail_crossover``:
    sqrt(Delta_edip / Delta_dipoct) per transition [medium unit] (``None`` without dipole-octopole
    strength), above which the dipole-octopole tail of that transition outgrows its dipole tail.
    """
    ordering = osc.multipole_ordering(medium)
    crossover = [
        float(np.sqrt(e / d)) if d > 0 and e > 0 else None
        for e, d in zip(medium.e_dip, medium.dip_oct, strict=True)
    ]
    failing = [int(i) for i in np.flatnonzero(~ordering)]
    return MULTIPOLE_ORDERING.judge(
        bool(ordering.all()),
        float(len(failing)),
        per_transition=[bool(x) for x in ordering],
        failing=failing,
        violations=len(failing),
        tail_crossover=crossover,
    )


def tail_reason(
    medium: osc.OscillatorMedium,
    samplings: Sequence[Sampling],
    order: Check,
    tol: float = 0.0,
) -> str | None:
    """Why a medium that satisfies eq 25 at every resonance still shows gain, with numbers.

    Eq 25 makes Im(eps mu) > 0 at the dipole-octopole resonances; above the tail crossover
    w_x = sqrt(Delta_edip / Delta_dipoct) of a transition its dipole-octopole absorption
    (~ Delta_dipoct w^2 Im 1/D_e) outgrows its electric-dipole absorption (~ Delta_edip Im 1/D_e)
    (:func:`multipole_ordering_check`, ``tail_crossover``). When every gain point found lies above
    the smallest crossover, that is the reason, and the strengths to change are named; ``None``
    otherwise (no claim that the samples do not support).
    """
    cross = [(i, x) for i, x in enumerate(order.details.get("tail_crossover", [])) if x is not None]
    if not cross:
        return None
    i_x, w_x = min(cross, key=lambda p: p[1])
    starts = []
    for smp in samplings:
        w = np.asarray(smp.w, dtype=np.float64).reshape(-1)
        if w.size == 0:
            continue
        r = osc.evaluate(medium, w)
        bad = passivity_indicator(r.epsilon, r.mu) < -tol
        if bad.any():
            starts.append((float(w[bad].min()), smp))
    if not starts:
        return None
    w0, smp = min(starts, key=lambda p: p[0])
    if w0 <= w_x:
        return None
    out_w0, out_x = (float(v) for v in smp.to_output(np.array([w0, w_x])))
    return (
        f"eq 25 holds at every resonance, but the gain lies above the tail crossover "
        f"sqrt(e_dip/dip_oct) = {out_x:.4g} of transition {i_x} (first gain near "
        f"{out_w0:.4g}), where its dipole-octopole absorption outgrows its electric-dipole "
        "absorption: there these strengths leave the multipole expansion behind eq 21; a smaller "
        "dip_oct or a larger e_dip moves the crossover up"
    )


def static_limits_check(medium: osc.OscillatorMedium) -> Check:
    """The :data:`STATIC_LIMITS` value check: details ``eps_static``, ``mu_static``, ``chi_static``."""
    return STATIC_LIMITS.value_only(**osc.static_limits(medium))


def medium_checks(
    medium: osc.OscillatorMedium,
    samplings: Sequence[Sampling],
    *,
    sum_rule_tolerance: float | None = None,
    passivity_tol: float = 0.0,
    high_frequency: dict[str, Any] | None = None,
) -> tuple[dict[str, Check], tuple[str, ...]]:
    """The checks of an oscillator medium that need no grid arrays, and the notes they imply.

    Parameters
    ----------
    medium
        The oscillator medium.
    samplings
        Where passivity is judged (no ``passive`` check when empty).
    sum_rule_tolerance
        Relative tolerance of eq 26 (default :data:`core.oscillators.SUM_RULE_RTOL`).
    passivity_tol
        Absolute tolerance on Im(eps mu) (see :func:`passivity`).
    high_frequency
        The response at the top of the grid (``frequency``, ``epsilon``, ``mu``), added to the
        details of ``sum_rule_26`` as ``high_frequency`` next to ``epsilon_infinity`` = 1.

    Returns
    -------
    checks, notes
        ``sum_rule_26``, ``static_limits``, ``diamagnetic``, ``passive`` (with samplings),
        ``multipole_ordering``; the notes: :data:`TAIL_NOTE` when Im(eps mu) < 0 was found
        although eq 25 holds for every transition and no specific tail reason could be given.
    """
    sr = osc.sum_rule_check(medium, sum_rule_tolerance)
    if high_frequency is not None:
        sr = osc.SUM_RULE_26.judge(
            sr.verdict,
            sr.value,
            tolerance=sr.tolerance,
            **sr.details,
            high_frequency={**high_frequency, "epsilon_infinity": 1.0},
        )
    order = multipole_ordering_check(medium)
    pairs: list[tuple[str, Check]] = [
        ("sum_rule_26", sr),
        ("static_limits", static_limits_check(medium)),
        ("diamagnetic", osc.diamagnetism_check(medium)),
    ]
    notes: tuple[str, ...] = ()
    if samplings:
        pas = passivity(medium, samplings, tol=passivity_tol)
        if np.all(medium.gamma == 0.0):
            # Without linewidths Im(eps mu) vanishes off the poles: absorption or gain sits in the
            # poles themselves, where eq 25 decides its sign (sec. IV.B), so sampling alone
            # could not fail.
            pas = PASSIVITY.judge(
                bool(pas.verdict and order.verdict),
                pas.value,
                tolerance=pas.tolerance,
                explanation=UNDAMPED_EXPLANATION,
                **{**pas.details, "scope": f"{pas.details['scope']}; undamped: eq 25 at each pole"},
            )
            if pas.verdict is False and not pas.details["non_passive_intervals"]:
                # the gain sits at the poles: say which, not an interval that was never found
                bad = order.details["failing"]
                pas = dataclasses.replace(
                    pas,
                    warning=f"gain at the undamped resonance(s) of transition(s) {bad}: eq 25 "
                    "(Delta_dipoct w_eg^2 < Delta_edip) fails there, so the medium amplifies at "
                    "those frequencies",
                )
        if pas.verdict is False and order.verdict:
            why = tail_reason(medium, samplings, order, passivity_tol)
            if why:  # the specific reason, with numbers, in the check's own warning
                pas = dataclasses.replace(pas, warning=f"{(pas.warning or '').rstrip('. ')}; {why}")
            else:
                notes = (TAIL_NOTE,)
        pairs.append(("passive", pas))
    pairs.append(("multipole_ordering", order))
    return checks_of(*pairs), notes


def negative_im_mu_check(
    medium: osc.OscillatorMedium, w: FloatArray, im_mu: FloatArray, to_output: ToOutput
) -> Check:
    """The :data:`NEGATIVE_IM_MU` value check on the grid ``w`` (medium unit): details
    ``intervals`` (``[{"start", "stop"}]`` in the output unit) and ``min_im_mu``."""
    order = np.argsort(w, kind="stable")
    ivs = negative_intervals(w[order], im_mu[order], _at(medium, "im_mu"))
    return NEGATIVE_IM_MU.value_only(
        float(np.min(im_mu)), intervals=intervals_in(ivs, to_output), min_im_mu=float(np.min(im_mu))
    )


def oscillator_report(
    medium: osc.OscillatorMedium,
    w: ArrayLike,
    grid: OutputGrid | None = None,
    *,
    medium_unit: str = "model",
    k: float | None = None,
    field: tuple[str | int, ...] = ("frequencies",),
    model: str = osc.MODEL_NAME,
    version: str = osc.MODEL_VERSION,
    sum_rule_tolerance: float | None = None,
    extra_samplings: Sequence[Sampling] = (),
    passivity_tol: float = 0.0,
) -> Report:
    """eps, mu, chi, n, Z, R and alpha of the medium on a grid, with its checks (eqs 20-26).

    Parameters
    ----------
    medium
        The oscillator medium (frequencies in ``medium_unit``).
    w : (N,) float
        The grid in the medium's unit (the same points as ``grid.points``).
    grid
        The grid as the user gave it (echoed; checks report frequencies in its unit). Default:
        ``w`` itself, in ``medium_unit``.
    medium_unit
        The medium's frequency unit: ``model`` (c = 1) or a physical one.
    k
        Wavenumber for eps'(w, k) = eps + (k^2/w^2)(1 - 1/mu) (text after eq 25): in 1/m for a
        physical ``medium_unit``, in units of w_unit/c for ``model``. ``None``: not computed.
    field
        Field path of the grid in the request (for :class:`core.errors.CoreError`).
    model, version
        Model name and version of the report (an emitter report reuses this one).
    sum_rule_tolerance
        Relative tolerance of eq 26 (default :data:`core.oscillators.SUM_RULE_RTOL`).
    extra_samplings
        Further samplings on which ``passive`` is judged besides the grid.
    passivity_tol
        Absolute tolerance on Im(eps mu).

    Returns
    -------
    Report
        Arrays (each (N,), along ``frequencies``): ``frequencies`` [grid unit], ``epsilon``,
        ``mu``, ``inverse_mu``, ``chi``, ``eps_mu``, ``refractive_index``, ``impedance``,
        ``reflectance`` [1], ``absorption_coefficient`` [1/m, or w_unit/c for ``model``], and
        ``epsilon_nonlocal`` when ``k`` is given. Checks: module docstring. Units:
        ``transitions`` (the medium's unit).

    Raises
    ------
    PoleOnGrid
        A grid point on an undamped resonance.
    InvalidInput
        ``k`` given with w = 0 on the grid (eps' is undefined there); a grid frequency beyond
        :data:`core.oscillators.FREQUENCY_RANGE` (field ``field``).
    """
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    if grid is None:
        grid = OutputGrid(points=wv, unit=medium_unit, to_output=identity)
    top = float(np.max(np.abs(wv))) if wv.size else 0.0
    if not top <= osc.FREQUENCY_RANGE[1]:
        raise InvalidInput(
            f"grid frequency {top:.3g} (in the medium's unit) is beyond the usable range "
            f"|w| <= {osc.FREQUENCY_RANGE[1]:.0e}: w^2 and the resonance denominators would leave "
            "floating-point range",
            field=(*field,),
            fix=f"keep the grid within {osc.FREQUENCY_RANGE[1]:.0e} of the medium's unit",
        )
    osc.check_poles(medium, wv, field)
    if k is not None and np.any(wv == 0):
        raise InvalidInput(
            "eps'(w, k) = eps + (k^2/w^2)(1 - 1/mu) is undefined at w = 0",
            field=(*field,),
            fix="drop w = 0 from the grid, or omit k",
        )
    r = osc.evaluate(medium, wv)
    eps_mu = r.eps_mu
    # The index of the half-space the reflectance is of: where the medium has gain, the root
    # continued from the lossless limit (Skaar 2006), as /v1/optics/reflectance does by default;
    # it is the decaying root (Im n >= 0) wherever the medium is passive.
    n = half_space_index(r.epsilon, r.mu, "causal")
    z = impedance(n, r.mu)
    physical = is_physical(medium_unit)
    scale = linear_scale(medium_unit)
    alpha = 2.0 * wv * n.imag * (scale / sc.c if physical else 1.0)
    alpha_unit = "1/m" if physical else f"{medium_unit} frequency unit / c"

    def along(values: NDArray[Any], quantity: str, unit: str = "1") -> Series:
        return Series(values, quantity, unit, axis="frequencies")

    arrays: dict[str, Series] = {
        "frequencies": Series(np.asarray(grid.points, dtype=np.float64), "frequency", grid.unit),
        "epsilon": along(r.epsilon, "permittivity eps(w), eq 21"),
        "mu": along(r.mu, "permeability mu(w) = 1/(1/mu), eq 21"),
        "inverse_mu": along(r.inverse_mu, "inverse permeability 1/mu(w), eq 21"),
        "chi": along(r.chi, "magnetic susceptibility chi = 1 - 1/mu (M = chi B), eq 23"),
        "eps_mu": along(eps_mu, "eps mu (Im > 0: a propagating wave is absorbed)"),
        "refractive_index": along(
            n,
            "refractive index n = sqrt(eps mu): Im n >= 0 where passive, the causal root "
            "(Im n < 0) where the medium has gain (Skaar 2006)",
        ),
        "impedance": along(z, "impedance Z = mu/n relative to vacuum"),
        "reflectance": along(normal_reflectance(z), "normal-incidence reflectance |(Z-1)/(Z+1)|^2"),
        "absorption_coefficient": along(
            alpha, "absorption coefficient 2 w Im n / c (< 0: gain)", alpha_unit
        ),
    }
    if k is not None:
        k_med = k * sc.c / scale if physical else k
        arrays["epsilon_nonlocal"] = along(
            osc.nonlocal_permittivity(wv, k_med, r.epsilon, r.inverse_mu),
            "nonlocal permittivity eps'(w, k) = eps + (k^2/w^2)(1 - 1/mu), text after eq 25",
        )

    to_output = grid.to_output
    top = int(np.argmax(wv))
    grid_sampling = Sampling("grid", wv, to_output, GRID_SCOPE)
    checks, notes = medium_checks(
        medium,
        [grid_sampling, *extra_samplings],
        sum_rule_tolerance=sum_rule_tolerance,
        passivity_tol=passivity_tol,
        high_frequency={
            "frequency": float(to_output(np.array([wv[top]]))[0]),
            "epsilon": complex(r.epsilon[top]),
            "mu": complex(r.mu[top]),
        },
    )
    checks["negative_im_mu_intervals"] = negative_im_mu_check(medium, wv, r.mu.imag, to_output)
    return Report(
        model=model,
        version=version,
        arrays=arrays,
        checks=checks,
        notes=notes,
        units={"transitions": medium_unit},
    )


__all__ = [
    "GRID_SCOPE",
    "MULTIPOLE_ORDERING",
    "NEGATIVE_IM_MU",
    "STATIC_LIMITS",
    "TAIL_NOTE",
    "UNDAMPED_EXPLANATION",
    "OutputGrid",
    "Sampling",
    "medium_checks",
    "multipole_ordering_check",
    "negative_im_mu_check",
    "oscillator_report",
    "passivity",
    "static_limits_check",
]
