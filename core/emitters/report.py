"""The report of an emitter medium: strengths, diagnostics and the checks that judge them.

:func:`emitter_report` turns an :class:`~core.emitters.analysis.EmitterResult` (box, harmonic
oscillator or user-given moments) into the :class:`core.checks.Report` that
``POST /v1/emitters/{box,harmonic,custom}/strengths`` answers: the oscillator medium's arrays on
the user's grid (when one is given, :func:`core.oscillator_report.oscillator_report`), the
strengths in the input format of ``/v1/oscillator/response``, every diagnostic number, and one
check per physical statement.

Checks
------
The checks of the oscillator medium (:mod:`core.oscillator_report`: ``sum_rule_26``,
``static_limits``, ``diamagnetic``, ``passive``, ``multipole_ordering`` and, with a grid,
``negative_im_mu_intervals``), judged with the user's ``tolerance`` for eq 26 (the basis is
truncated, so eq 26 closes only to the convergence tolerance the user asks for, not to rounding)
and with ``passive`` covering both the user's grid and the automatic scan; and the convergence
checks of the basis, each against the same ``tolerance``:

``trk_sum`` (:data:`TRK_SUM`, bound)
    sum_e Delta_edip = w_p^2 (TRK, eq B26).
``langevin`` (:data:`LANGEVIN`, bound)
    -sum_e Delta_dia / w_eg^2 against the Langevin chi of the ground state (eq B82).
``van_vleck`` (:data:`VAN_VLECK`, indicative)
    sum_e Delta_mdip / w_eg^2 against the Van Vleck chi summed directly over |L^ge|^2.
``chi_static_reference`` (:data:`CHI_STATIC_REFERENCE`, indicative)
    chi(0) of the strengths against Langevin + Van Vleck computed directly.

Units: natural units hbar = c = eps0 = 1 in the user's frequency unit [w] (:mod:`core.emitters`).

References
----------
:data:`core.references.WESTERBERG_BARNETT` (Appendix B, eqs B21-B82; eqs 21-26).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike

from core.checks import Check, CheckSpec, Report, checks_of
from core.emitters.analysis import PASSIVITY_RTOL, EmitterResult
from core.oscillator_report import OutputGrid, Sampling, medium_checks, oscillator_report
from core.oscillators import STRENGTHS

#: Units of the quantities of an emitter report that are not arrays.
UNITS: Final[dict[str, str]] = {
    "omega_p": "w (the request's frequency unit)",
    "transitions": "model (omega, gamma in w; e_dip, m_dip, dia in w^2; quad, dip_oct in 1)",
    "chi": "1 (M = chi B)",
}

#: Diagnostics copied into each row of a convergence table.
ROW_KEYS: Final[tuple[str, ...]] = (
    "n_max",
    "states",
    "transitions",
    "trk_residual",
    "sum_rule_residual",
    "chi_static",
    "chi_static_error",
    "chi_dia_strengths",
    "chi_van_vleck_strengths",
    "mu_static",
    "multipole_ordering_violations",
)

TRK_SUM: Final = CheckSpec(
    name="trk_sum",
    kind="bound",
    equation="sum_e Delta_edip = w_p^2 (Thomas-Reiche-Kuhn sum rule, Westerberg & Barnett 2025, "
    "eq B26); value = sum_e Delta_edip / w_p^2, judged as |1 - value| <= tolerance",
    explanation="A basis that misses part of the dipole oscillator strength gives an eps that is "
    "not converged: raise the cutoff (n_max) or add the missing excited states.",
    warning="basis incomplete for the dipole sum rule: sum Delta_edip = {value:.6g} w_p^2 (TRK "
    "wants 1); raise n_max",
)

LANGEVIN: Final = CheckSpec(
    name="langevin",
    kind="bound",
    equation="-sum_e Delta_dia / w_eg^2 = chi_Langevin = -rho0 q^2 <r^2> / (6 m) (Westerberg & "
    "Barnett 2025, eq B82); value = their difference, judged as |value| <= tolerance "
    "|chi_Langevin|",
    explanation="The diamagnetic strengths do not add up to the Langevin susceptibility of the "
    "ground state: the basis misses diamagnetic strength, so mu(0) and eq 26 are not converged.",
    warning="diamagnetic strengths give chi = {chi_dia_strengths:.6g}, the ground state's "
    "Langevin chi is {chi_langevin:.6g}: the basis is not converged at the requested tolerance",
)

VAN_VLECK: Final = CheckSpec(
    name="van_vleck",
    kind="indicative",
    equation="sum_e Delta_mdip / w_eg^2 = chi_VanVleck = w_p^2 sum_e |L^ge|^2 / (6 m w_eg) "
    "(Westerberg & Barnett 2025, App. B); value = their difference, judged as |value| <= "
    "tolerance (|chi_Langevin| + |chi_VanVleck|). The reference is a direct sum (converged with "
    "an error estimate for the box, exact for the harmonic oscillator, from the given moments "
    "for a custom emitter)",
    explanation="The magnetic-dipole strengths do not reproduce the Van Vleck (paramagnetic) "
    "susceptibility: the basis misses magnetic-dipole strength, so mu(0) is not converged.",
    warning="magnetic-dipole strengths give chi = {chi_van_vleck_strengths:.6g}, the direct Van "
    "Vleck sum {chi_van_vleck:.6g}: the basis is not converged at the requested tolerance",
)

CHI_STATIC_REFERENCE: Final = CheckSpec(
    name="chi_static_reference",
    kind="indicative",
    equation="chi(0) = 1 - 1/mu(0) of the strengths (eq 22) = chi_Langevin + chi_VanVleck "
    "computed directly (Westerberg & Barnett 2025, eq B82 and App. B); value = chi(0) - "
    "reference, judged as |value| <= tolerance (|chi_Langevin| + |chi_VanVleck|)",
    explanation="The static susceptibility of the medium differs from its direct value by more "
    "than the tolerance: the basis is not converged for mu(0).",
    warning="chi(0) = {chi_static:.6g} from the strengths vs {reference:.6g} (Langevin + Van "
    "Vleck computed directly): the basis is not converged at the requested tolerance",
)


def convergence_errors(diagnostics: Mapping[str, Any]) -> dict[str, float]:
    """The relative residual of each convergence statement, as its check judges it against the
    tolerance: ``trk_sum`` |1 - sum Delta_edip / w_p^2|, ``langevin`` |chi_dia - chi_L| / |chi_L|,
    ``van_vleck`` and ``chi_static_reference`` relative to |chi_L| + |chi_VV|, ``sum_rule_26``
    |residual| / scale (eq 26). All dimensionless; keys are the check names."""
    d = diagnostics
    lang = float(d["chi_langevin"])
    vv = float(d["chi_van_vleck"])
    scale = max(abs(lang) + abs(vv), 1e-300)
    return {
        "trk_sum": abs(float(d["trk_residual"])),
        "langevin": abs(float(d["chi_dia_strengths"]) - lang) / max(abs(lang), 1e-300),
        "van_vleck": abs(float(d["chi_van_vleck_strengths"]) - vv) / scale,
        "chi_static_reference": abs(float(d["chi_static_error"])) / scale,
        "sum_rule_26": abs(float(d["sum_rule_residual"])) / max(float(d["sum_rule_scale"]), 1e-300),
    }


def with_reasons(report: Report, reasons: Mapping[str, str]) -> Report:
    """``report`` with the reason ``reasons[name]`` appended to the warning of each failed check
    ``name`` (the check's warning and ``meta.warnings`` stay one text)."""
    checks = dict(report.checks)
    for name, why in reasons.items():
        c = checks.get(name)
        if c is None or c.verdict is not False or not why:
            continue
        base = (c.warning or name).rstrip(". ")
        checks[name] = dataclasses.replace(c, warning=f"{base}; {why}")
    return dataclasses.replace(report, checks=checks)


def basis_checks(diagnostics: Mapping[str, Any], tolerance: float) -> dict[str, Check]:
    """The convergence checks of the basis (:data:`TRK_SUM`, :data:`LANGEVIN`,
    :data:`VAN_VLECK`, :data:`CHI_STATIC_REFERENCE`) from the diagnostics of
    :func:`core.emitters.analysis.diagnose`, each against the relative ``tolerance``."""
    d = diagnostics
    tol = float(tolerance)
    lang = float(d["chi_langevin"])
    vv = float(d["chi_van_vleck"])
    scale = abs(lang) + abs(vv)
    lang_err = float(d["chi_dia_strengths"]) - lang
    vv_err = float(d["chi_van_vleck_strengths"]) - vv
    static_err = float(d["chi_static_error"])
    return checks_of(
        (
            "trk_sum",
            TRK_SUM.judge(
                abs(float(d["trk_residual"])) <= tol,
                d["trk_sum"],
                tolerance=tol,
                residual=d["trk_residual"],
            ),
        ),
        (
            "langevin",
            LANGEVIN.judge(
                abs(lang_err) <= tol * abs(lang),
                lang_err,
                tolerance=tol,
                chi_langevin=lang,
                chi_dia_strengths=d["chi_dia_strengths"],
                r2_ground=d["r2_ground"],
            ),
        ),
        (
            "van_vleck",
            VAN_VLECK.judge(
                abs(vv_err) <= tol * scale,
                vv_err,
                tolerance=tol,
                chi_van_vleck=vv,
                chi_van_vleck_strengths=d["chi_van_vleck_strengths"],
                reference_error=d["chi_van_vleck_error"],
                scale=scale,
            ),
        ),
        (
            "chi_static_reference",
            CHI_STATIC_REFERENCE.judge(
                abs(static_err) <= tol * scale,
                static_err,
                tolerance=tol,
                chi_static=d["chi_static"],
                reference=d["chi_static_reference"],
                error=static_err,
                scale=scale,
                source=d["reference_source"],
            ),
        ),
    )


def _scan_sampling(res: EmitterResult) -> list[Sampling]:
    w = res.scan.get("frequencies")
    if w is None or w.size == 0:
        return []
    return [Sampling("scan", w, lambda x: np.asarray(x), res.scan_scope or "scan")]


def _passivity_tol(res: EmitterResult) -> float:
    im_eps = res.scan.get("im_eps")
    if im_eps is None or im_eps.size == 0:
        return 0.0
    return PASSIVITY_RTOL * max(float(np.max(np.abs(im_eps))), 1e-300)


def emitter_report(
    res: EmitterResult,
    *,
    model: str,
    version: str,
    tolerance: float = 1e-3,
    w: ArrayLike | None = None,
    grid: OutputGrid | None = None,
    convergence: Sequence[Mapping[str, Any]] | None = None,
) -> Report:
    """Strengths, diagnostics and checks of an emitter medium, with its response on a grid.

    Parameters
    ----------
    res
        The emitter's strengths, oscillator medium and diagnostics (:func:`core.emitters.box_emitter`,
        :func:`~core.emitters.harmonic_emitter`, :func:`~core.emitters.custom_emitter`).
    model, version
        Model name and version of the report (``emitter-box``, ...).
    tolerance
        Relative tolerance of the convergence verdicts: TRK, eq 26, Langevin, Van Vleck and chi(0)
        against its direct value (a truncated basis closes them only to this tolerance).
    w : (N,) float, optional
        A grid in the emitter's unit [w]; with ``grid`` the report carries eps, mu, chi, n, Z, R
        and alpha on it as :func:`core.oscillator_report.oscillator_report` does.
    grid
        The grid as the user gave it (required with ``w``).
    convergence
        Rows of :func:`core.emitters.box_convergence` (reduced to :data:`ROW_KEYS`).

    Returns
    -------
    Report
        Arrays (with a grid): those of the oscillator report. Results: ``omega_p`` [w], ``medium``
        (``{"unit": "model", "transitions": [...]}``, the input of ``/v1/oscillator/response``),
        ``states`` (labels, degeneracy), ``diagnostics`` (every number of
        :func:`core.emitters.analysis.diagnose`), ``convergence``. Checks: module docstring; the
        ``passive`` verdict covers the grid and the automatic scan together.
    """
    tol = float(tolerance)
    scan = _scan_sampling(res)
    ptol = _passivity_tol(res)
    if (w is None) != (grid is None):
        raise ValueError("give both w and grid, or neither")
    if w is not None and grid is not None:
        base = oscillator_report(
            res.medium,
            w,
            grid,
            medium_unit="model",
            model=model,
            version=version,
            sum_rule_tolerance=tol,
            extra_samplings=scan,
            passivity_tol=ptol,
        )
        arrays = dict(base.arrays)
        med_checks = dict(base.checks)
        notes = base.notes
    else:
        arrays = {}
        med_checks, notes = medium_checks(
            res.medium, scan, sum_rule_tolerance=tol, passivity_tol=ptol
        )
    checks = checks_of(*basis_checks(res.diagnostics, tol).items(), *med_checks.items())
    s = res.strengths
    transitions = [
        {
            "omega": float(s.omega[i]),
            "gamma": float(res.medium.gamma[i]),
            **{k: float(getattr(s, k)[i]) for k in STRENGTHS},
        }
        for i in range(s.size)
    ]
    results: dict[str, Any] = {
        "omega_p": res.params.omega_p,
        "medium": {"unit": "model", "transitions": transitions},
        "states": {
            "labels": None if s.labels is None else s.labels.tolist(),
            "degeneracy": s.degeneracy.tolist(),
        },
        "diagnostics": dict(res.diagnostics),
        "convergence": None
        if convergence is None
        else [{k: r[k] for k in ROW_KEYS} for r in convergence],
    }
    return Report(
        model=model,
        version=version,
        arrays=arrays,
        checks=checks,
        notes=notes,
        results=results,
        units=UNITS,
    )


__all__ = [
    "CHI_STATIC_REFERENCE",
    "LANGEVIN",
    "ROW_KEYS",
    "TRK_SUM",
    "UNITS",
    "VAN_VLECK",
    "basis_checks",
    "convergence_errors",
    "emitter_report",
    "with_reasons",
]
