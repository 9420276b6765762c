"""Reports of the crystalline-insulator computations: bands, Berry geometry, orbital susceptibility.

Each public ``*_report`` function runs one computation of :mod:`core.crystal` and returns its
:class:`core.checks.Report`: the arrays (k-points first), the scalar and nested results, and every
check with its verdict, tolerance and warning, written once here as module-level
:class:`~core.checks.CheckSpec` objects. The HTTP API (``/v1/crystal/*``) serialises these reports
as they are, so a scientist who imports :mod:`core.crystal.reports` gets the API's judgements.

Units and conventions
---------------------
Model units (hbar = 1, electron charge q = -1, energies in the model energy unit E_u, lengths in
the model length unit L_u); wavevectors in 1/L_u. ``energy_unit`` and ``length_unit`` only label the
results and, when physical (eV/meV, angstrom/nm), give the SI values of the susceptibility.

Kinds of the checks
-------------------
Every verdict here rests on a k-grid, so every one is ``indicative``: a gap found on grid points is
an upper bound of the true gap (a band touching between grid points is missed); the FHS lattice
Chern number is an integer by construction and equals the Chern number of the bands only when the
grid resolves the Berry curvature; grid halving and the chi_1/chi_2 comparison are estimates.

References
----------
.. [1] :data:`core.references.DUFF_SIPE` (eqs 70-73, 83-84, 93-95, 103-107, Fig. 6).
.. [2] T. Fukui, Y. Hatsugai and H. Suzuki, J. Phys. Soc. Jpn. 74, 1674 (2005),
   doi:10.1143/JPSJ.74.1674 (lattice Chern number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc

from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.crystal import bloch, edges, geometry, susceptibility
from core.crystal.bloch import MAX_K_POINTS
from core.crystal.edges import BandEdges, refine_band_edges
from core.crystal.model import (
    MODEL_NAME,
    MODEL_VERSION,
    TightBindingModel,
)
from core.crystal.susceptibility import GAP_TOL, EdgeSamples, GapInfo
from core.errors import NotAnInsulator

FloatArray = NDArray[np.float64]

#: Energy units with a value in joules (others, e.g. ``"model"``, have no SI conversion).
ENERGY_UNITS_J: Final[dict[str, float]] = {"eV": sc.e, "meV": 1e-3 * sc.e}
#: Length units with a value in metres.
LENGTH_UNITS_M: Final[dict[str, float]] = {"angstrom": 1e-10, "nm": 1e-9}

#: Tolerance of the grid integral of the Kubo curvature against the FHS integer.
CURVATURE_INTEGRAL_TOL: Final = 0.05
#: Tolerance of the FHS lattice sum against its nearest integer (round-off level).
CHERN_INTEGER_TOL: Final = 1e-6
#: Relative change of chi_2 between the grid and the half grid under which it counts converged.
GRID_CONVERGENCE_RTOL: Final = 1e-3
#: Relative difference of chi_1 and chi_2 under which they count equal (trivial insulators).
CHI1_CHI2_RTOL: Final = 1e-4
#: Largest grid (per direction) of the FHS Chern number reported with the susceptibility.
CHERN_GRID_MAX: Final = 120

# ---------------------------------------------------------------------------------------------
# The physical statements, written once
# ---------------------------------------------------------------------------------------------

BAND_GAP: Final = CheckSpec(
    name="gap",
    kind="value",
    equation="min_k E_{N/2}(k) - max_k E_{N/2-1}(k) over the sampled k-points at half filling "
    "(band energies of H(k), Duff & Sipe 2025, eq 95)",
    explanation="The gap between the lower and upper half of the bands on the sampled k-points "
    "(value: indirect gap; details: the smallest direct gap). It is an upper bound of the true "
    "gap: bands can come closer between the samples. No verdict: bands are valid for metals too.",
)

GAP: Final = CheckSpec(
    name="gap",
    kind="indicative",
    equation="E_c,min - E_v,max > tolerance, E_v/E_c the highest occupied / lowest empty band at "
    "the filling, each refined between grid points by a local minimisation in k from the best "
    "grid points (and, for the Haldane model, evaluated at K and K'); an insulator (Duff & Sipe "
    "2025, sec. VIII)",
    explanation="value: the indirect gap on the grid points; details: the refined indirect gap "
    "(gap_refined), the refined smallest direct gap and where it is, and for the Haldane model "
    "the exact direct gaps at K and K' (direct_gap_at). The refined values are still upper "
    "bounds of the true gaps (a local search can miss a minimum), so a pass is indicative. A "
    "failure means the occupied and empty bands overlap in energy: not an insulator at this "
    "filling, and quantities defined for insulators do not apply.",
    tolerance=GAP_TOL,
    warning="the occupied and empty bands overlap in energy (indirect gap {gap_refined:.3g} "
    "refined, {value:.3g} on the grid; smallest direct gap {direct_gap_refined:.3g}): not an "
    "insulator at filling {n_occ}",
)

CHERN_RESOLUTION: Final = CheckSpec(
    name="chern_resolution",
    kind="indicative",
    equation="Delta0 >= C lambda dk^2, C = 1: Delta0 the refined smallest direct gap at the "
    "filling, lambda the largest |eigenvalue| of w_cc - w_vv (band-diagonal Hessians, Duff & Sipe "
    "2025, eq 103) there, dk = max_i |b_i|/n_i the step of the FHS grid (core.crystal.edges)",
    explanation="The lattice (FHS) Chern number reads the sign of the Dirac mass at the plaquette "
    "corners, a grid step from the band edge, where the mass has changed by about lambda dk^2/2; "
    "when the gap is smaller than that the integer can be off by one (Haldane model: every wrong "
    "integer found had Delta0 < 0.2 lambda dk^2). A pass is indicative: it rests on the refined "
    "gap and on this local model of the band edge.",
    tolerance=edges.FHS_RESOLUTION_C,
    warning="the smallest direct gap {value:.3g} (near k = {k_direct}) is below what the "
    "{grid} grid resolves for a Chern number ({resolution:.3g} = lambda dk^2, lambda = "
    "{mass_curvature:.3g}, dk = {grid_step:.3g}; on-grid smallest gap {grid_direct_gap:.3g}): "
    "the Chern number {chern} may be off by one; use a grid of at least {grid_needed} points "
    "per direction",
)

CHERN_INTEGER: Final = CheckSpec(
    name="chern_integer",
    kind="indicative",
    equation="C_raw = (1/2pi) sum_plaquettes F_12 of the occupied bands (Fukui-Hatsugai-Suzuki "
    "2005); |C_raw - round(C_raw)| <= tolerance; C = (1/2pi) int Omega d^2k with the Kubo "
    "curvature of Duff & Sipe 2025, eqs 106-107",
    explanation="The lattice sum is an integer whenever the gap is open on the grid; a "
    "non-integer means ill-defined link variables (a band touching between grid points, or "
    "numbers out of range). A pass does not prove the grid fine enough: the FHS integer is the "
    "bands' Chern number only when no plaquette carries a flux near pi (details: "
    "max_plaquette_flux).",
    tolerance=CHERN_INTEGER_TOL,
    warning="the FHS lattice sum of the occupied bands is {raw:.6g}, not an integer: the Chern "
    "number {chern} is not reliable on this grid",
)

CURVATURE_INTEGRAL: Final = CheckSpec(
    name="curvature_integral",
    kind="indicative",
    equation="(1/2pi) sum_k Omega(k) (2pi)^2/(N_k A_cell) over the occupied bands = C (FHS) "
    "within tolerance; Omega the Kubo curvature from the velocities of Duff & Sipe 2025, eq 106",
    explanation="The grid integral of the Berry curvature converges to the Chern number only "
    "when the grid resolves the curvature; a failure means the curvature map is under-sampled "
    "(typically a small gap: Omega sharply peaked at K or K'), so its picture and its integral "
    "are not quantitative. The FHS Chern number is unaffected.",
    tolerance=CURVATURE_INTEGRAL_TOL,
    warning="the grid integral of the Berry curvature of the occupied bands is {value:.4g}, not "
    "the Chern number {chern}: the curvature peaks within q0 = Delta0/(2v) = {half_width:.3g} of "
    "the band edge near k = {k_direct} (smallest direct gap Delta0 = {direct_gap:.3g}, "
    "velocity v = {velocity:.3g}), while the {grid} grid step is {grid_step:.3g}{on_grid}; the "
    "integral needs about 3 steps per q0, a grid of at least {grid_needed} points per direction "
    "(the FHS Chern number does not need it)",
)

GRID_CONVERGENCE: Final = CheckSpec(
    name="grid_convergence",
    kind="indicative",
    equation="|chi_2(grid) - chi_2(half grid)| / |chi_2(grid)| <= tolerance (chi_2 of Duff & "
    "Sipe 2025, eqs 83-84, on the k-grid and on one of about half its size)",
    explanation="Grid halving estimates the k-sampling error of chi_2; a failure means chi_2 "
    "still changes with the grid (usually a small gap: the integrand is peaked near the band "
    "edges), so its digits beyond the relative change are not converged.",
    tolerance=GRID_CONVERGENCE_RTOL,
    warning="chi_2 changes by {value:.2g} (relative) between the {grid_half} and {grid} grids: "
    "the integrand peaks within q0 = Delta0/(2v) = {half_width:.3g} of the band edge (smallest "
    "direct gap Delta0 = {direct_gap:.3g}), {steps_per_width:.2g} steps of the {grid} grid; "
    "chi_2 is converged to about its relative change only, use a finer grid (the error falls "
    "roughly as the inverse square of the grid size near a transition)",
)

CHI1_EQUALS_CHI2: Final = CheckSpec(
    name="chi1_equals_chi2",
    kind="indicative",
    equation="|chi_1 - chi_2| / |chi_2| <= tolerance in a trivial insulator (C = 0): eqs 70-73 "
    "(chi_1, paper's gauge) equal eqs 83-84 (chi_2) when a smooth periodic gauge exists "
    "(Duff & Sipe 2025, sec. VII and Fig. 6)",
    explanation="Both are sums over the same k-grid; a failure in a trivial insulator means the "
    "grid does not resolve the Berry connections that chi_1 contains (refine the grid). In a "
    "Chern insulator the two differ by construction and no verdict applies.",
    tolerance=CHI1_CHI2_RTOL,
    warning="chi_1 (eqs 70-73) and chi_2 (eqs 83-84) differ by {value:.2g} (relative) in a "
    "trivial insulator: the grid does not resolve the Berry connections (refine it)",
)

#: Note of a Chern insulator's susceptibility (``{chern}`` is its Chern number).
CHERN_GAUGE_NOTE: Final = (
    "Chern insulator (C = {chern}): chi_1 depends on the gauge (no smooth periodic gauge exists); "
    "chi_2 is the gauge-invariant value"
)
#: Note when chi_1 is not evaluated because the grid is too large.
CHI1_SKIPPED_NOTE: Final = (
    "chi_1 skipped: it is evaluated on at most {limit} k-points (setting max_chi1_k_points)"
)

# ---------------------------------------------------------------------------------------------
# Checks of one computation
# ---------------------------------------------------------------------------------------------


def band_gap_check(energies: FloatArray) -> Check:
    """The :data:`BAND_GAP` value of band energies (K, N) at half filling (no verdict).

    ``value`` is the indirect gap on the samples [energy unit]; details ``direct_gap_min`` and
    ``n_occ``. A model with an odd number of bands has no half filling: value ``None``.
    """
    nb = energies.shape[1]
    if nb < 2 or nb % 2:
        return BAND_GAP.judge(
            None,
            explanation=f"{nb} band(s): no half filling, so no gap is reported",
        )
    n = nb // 2
    indirect = float(energies[:, n].min() - energies[:, n - 1].max())
    direct = float((energies[:, n] - energies[:, n - 1]).min())
    return BAND_GAP.value_only(indirect, direct_gap_min=direct, n_occ=n)


def gap_check(info: GapInfo, band_edges: BandEdges | None = None) -> Check:
    """The :data:`GAP` check of a grid scan: ``value`` the indirect gap on the grid [energy unit].

    With ``band_edges`` (the refinement of :func:`core.crystal.edges.refine_band_edges`) the
    verdict is on the refined indirect gap and the refined numbers are in the details.
    """
    refined = band_edges.details() if band_edges is not None else {"gap_refined": info.gap}
    gap = band_edges.indirect_gap if band_edges is not None else info.gap
    refined.setdefault("direct_gap_refined", info.direct_gap_min)
    return GAP.judge(
        gap > GAP_TOL,
        info.gap,
        direct_gap_min=info.direct_gap_min,
        n_occ=info.n_occ,
        **refined,
    )


def require_insulator(band_edges: BandEdges, what: str) -> None:
    """Raise :class:`NotAnInsulator` (422) when the refined indirect gap is <= :data:`GAP_TOL`.

    One rule for ``/berry`` and ``/orbital-susceptibility``: a filling whose occupied and empty
    bands overlap in energy (a metal) gets no insulator quantity, with the filling and the gap.
    """
    gap = band_edges.indirect_gap
    if gap <= GAP_TOL:
        raise NotAnInsulator(
            f"{what} is defined for insulators only: at filling {band_edges.n_occ} (occupied "
            f"bands) the indirect gap is {gap:.3g} (valence maximum {band_edges.valence_max:.6g}, "
            f"conduction minimum {band_edges.conduction_min:.6g}, refined between grid points; "
            f"smallest direct gap {band_edges.direct_gap:.3g}): a metal at this filling",
            gap=float(gap),
            # bands that touch: the model's parameters; bands that overlap in energy: the filling
            field=("model",) if band_edges.direct_gap <= GAP_TOL else ("filling",),
            fix="move away from the gap closing (e.g. |t2 sin phi| = M/(3 sqrt 3) in Haldane)"
            if band_edges.direct_gap <= GAP_TOL
            else "choose a filling (or parameters) with a gap: the occupied bands must lie below "
            "the empty ones at every k",
        )


def chern_resolution_check(band_edges: BandEdges, chern: int, grid: Sequence[int]) -> Check:
    """The :data:`CHERN_RESOLUTION` check of the FHS grid ``grid`` (value: refined direct gap)."""
    return CHERN_RESOLUTION.judge(
        band_edges.fhs_resolved,
        band_edges.direct_gap,
        resolution=band_edges.fhs_resolution,
        mass_curvature=band_edges.mass_curvature,
        grid_step=band_edges.grid_step,
        grid=list(grid),
        grid_direct_gap=band_edges.grid_direct_gap,
        grid_needed=band_edges.fhs_grid_needed,
        k_direct=[round(float(x), 6) for x in band_edges.k_direct],
        chern=chern,
    )


def _edge_details(band_edges: BandEdges, grid_step: float | None = None) -> dict[str, Any]:
    dk = band_edges.grid_step if grid_step is None else grid_step
    on_grid = abs(band_edges.grid_direct_gap - band_edges.direct_gap) <= 1e-9 * max(
        band_edges.direct_gap, 1e-300
    )
    return {
        "half_width": band_edges.half_width,
        "direct_gap": band_edges.direct_gap,
        "velocity": band_edges.velocity,
        "grid_step": dk,
        "steps_per_width": band_edges.half_width / dk,
        "k_direct": [round(float(x), 6) for x in band_edges.k_direct],
        "band_edge_on_grid": bool(on_grid),
        "on_grid": " and the band edge is a grid point (its peak value is sampled)"
        if on_grid
        else "",
        "grid_needed": band_edges.curvature_grid_needed,
    }


def chern_integer_check(raw: float, max_plaquette_flux: float | None = None) -> Check:
    """The :data:`CHERN_INTEGER` check of an FHS lattice sum ``raw``.

    ``value`` is |raw - round(raw)|; details ``raw``, ``chern`` and ``max_plaquette_flux`` (rad).
    """
    chern = int(np.rint(raw)) if np.isfinite(raw) else None
    dev = abs(raw - chern) if chern is not None else float("inf")
    details: dict[str, Any] = {"raw": raw, "chern": chern}
    if max_plaquette_flux is not None:
        details["max_plaquette_flux"] = max_plaquette_flux
    return CHERN_INTEGER.judge(bool(dev < CHERN_INTEGER_TOL), dev, **details)


def curvature_integral_check(
    integral: float, chern: int, grid: Sequence[int], band_edges: BandEdges
) -> Check:
    """The :data:`CURVATURE_INTEGRAL` check: ``integral`` of the occupied bands against ``chern``;
    ``band_edges`` (refined on the same grid) give the curvature half-width for the reason."""
    return CURVATURE_INTEGRAL.judge(
        bool(abs(integral - chern) < CURVATURE_INTEGRAL_TOL),
        integral,
        chern=chern,
        difference=integral - chern,
        grid=list(grid),
        **_edge_details(band_edges),
        note="grid integral of the Kubo curvature; converges to the FHS integer as the grid "
        "resolves the curvature",
    )


def grid_convergence_check(
    chi: float,
    chi_half: float,
    grid: Sequence[int],
    grid_half: Sequence[int],
    band_edges: BandEdges,
) -> Check:
    """The :data:`GRID_CONVERGENCE` check of chi_2 on a grid and its half grid (``band_edges``
    of the grid give the band-edge width for the reason)."""
    rel = abs(chi - chi_half) / max(abs(chi), 1e-300)
    ed = _edge_details(band_edges)
    ed.pop("grid_needed")
    ed.pop("on_grid")
    return GRID_CONVERGENCE.judge(
        bool(rel < GRID_CONVERGENCE_RTOL),
        rel,
        relative_change=rel,
        grid=list(grid),
        grid_half=list(grid_half),
        **ed,
    )


def chi1_chi2_check(chi1: float, chi2: float, chern: int | None, *, resolved: bool = True) -> Check:
    """The :data:`CHI1_EQUALS_CHI2` check; no verdict unless ``chern == 0`` (and the Chern
    number is ``resolved`` on its grid: an unresolved 0 may be a wrong integer)."""
    diff = abs(chi1 - chi2) / max(abs(chi2), 1e-300)
    explanation = None
    if chern != 0:
        if chern is not None:
            explanation = (
                f"Not applicable: in a Chern insulator (C = {chern}) no smooth periodic gauge "
                "exists, so chi_1 depends on the gauge and differs from the gauge-invariant chi_2"
            )
        elif not resolved:
            explanation = (
                "Not applicable: the grid does not resolve the Chern number (chern_resolution), "
                "so it is not known whether the insulator is trivial"
            )
        else:
            explanation = "Not applicable: the Chern number is not known (not a 2D model)"
    return CHI1_EQUALS_CHI2.judge(
        bool(diff < CHI1_CHI2_RTOL) if chern == 0 else None,
        diff,
        explanation=explanation,
        relative_difference=diff,
        chern=chern,
        applies="trivial insulators (C = 0)",
    )


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def _energies(model: TightBindingModel, k: FloatArray) -> FloatArray:
    es = []
    for s in range(0, k.shape[0], bloch.CHUNK_POINTS):
        e, _ = bloch.eigh_batched(
            bloch.bloch_derivatives(model, k[s : s + bloch.CHUNK_POINTS], order=0).h
        )
        es.append(e)
    return np.concatenate(es)


def bands_report(
    model: TightBindingModel,
    *,
    path: Sequence[ArrayLike] | None = None,
    labels: Sequence[str] | None = None,
    frame: Literal["cartesian", "reduced"] = "cartesian",
    num: int = 200,
    grid: Sequence[int] | None = None,
    shift: float = 0.0,
    energy_unit: str = "model",
    length_unit: str = "model",
) -> Report:
    """Band energies E_n(k) along a k-path or on a grid (Duff & Sipe 2025, eq 95).

    Parameters
    ----------
    model
        The tight-binding model.
    path, labels, frame, num
        Path vertices (D components each; Cartesian [1/length_unit] or ``reduced`` coefficients
        of the reciprocal vectors), their labels, and about how many points in all.
    grid, shift
        Instead of a path: points per reciprocal vector and the offset in units of one step.
    energy_unit, length_unit
        Labels of the model's units.

    Returns
    -------
    Report
        Arrays ``distance`` (path only; cumulative length [1/length_unit]), ``kx``, ``ky``
        (``kz``) [1/length_unit], ``band_<n>`` and ``energies`` (K, N) [energy_unit]; results
        ``vertices`` (path only: label and distance of each vertex); check ``gap`` (a value).
    """
    if (path is None) == (grid is None):
        raise ValueError("give exactly one of 'path' and 'grid'")
    inv_l = f"1/{length_unit}"
    arrays: dict[str, Series] = {}
    results: dict[str, Any] = {}
    if path is not None:
        pts = [np.asarray(p, dtype=np.float64) for p in path]
        if frame == "reduced":
            pts = [p @ model.reciprocal for p in pts]
        k, dist, vert = bloch.k_path(pts, num)
        arrays["distance"] = Series(dist, "path length", inv_l)
        names = list(labels) if labels is not None else [""] * len(pts)
        results["vertices"] = [
            {"label": lab, "distance": float(d)} for lab, d in zip(names, vert, strict=True)
        ]
        axis = "distance"
    else:
        assert grid is not None
        k, _ = bloch.monkhorst_grid(model, tuple(grid), shift)
        axis = "kx"
    e = _energies(model, k)
    for a, name in enumerate(("kx", "ky", "kz")[: model.dim]):
        arrays[name] = Series(
            np.ascontiguousarray(k[:, a]),
            f"wavevector component {name}",
            inv_l,
            None if name == axis else axis,
        )
    for b in range(model.norb):
        arrays[f"band_{b}"] = Series(
            np.ascontiguousarray(e[:, b]), f"band energy E_{b}(k)", energy_unit, axis
        )
    arrays["energies"] = Series(e, "band energies E_n(k), one row per k", energy_unit, axis)
    return Report(
        model=MODEL_NAME,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks_of(band_gap_check(e)),
        results=results,
        units={"k": inv_l, "energies": energy_unit, "distance": inv_l},
    )


def berry_report(
    model: TightBindingModel,
    grid: Sequence[int],
    *,
    filling: int | None = None,
    shift: float = 0.0,
    include_maps: bool = True,
    max_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
) -> Report:
    """Chern numbers, gap and (optionally) Berry curvature and quantum metric maps of a 2D model.

    Parameters
    ----------
    model
        A 2D tight-binding model.
    grid, shift
        Points per reciprocal vector (n1, n2) and the offset of the gap scan and the maps (the
        FHS Chern number uses the unshifted grid).
    filling
        Occupied bands (default: half).
    include_maps
        Also return the curvature and metric maps and their grid integrals.

    Returns
    -------
    Report
        Results ``chern_occupied``, ``chern_per_band`` (``None`` where a band touches a
        neighbour), ``chern_raw`` (the lattice sums), ``gap`` and ``direct_gap_min``
        [energy_unit]; with maps, arrays ``kx``, ``ky`` [1/length_unit], ``curvature`` (K, N) and
        ``metric`` (K, 3, N: g^xx, g^xy, g^yy) [length_unit^2] and result ``curvature_integral``
        (N,). Checks ``gap``, ``chern_integer`` and, with maps, ``curvature_integral``.

    Raises
    ------
    NotAnInsulator
        When the direct gap at the filling closes on the grid (FHS is undefined).
    """
    ns = tuple(grid)
    bloch.check_k_points(int(np.prod(ns)), max_k_points)
    band_edges = refine_band_edges(model, ns, filling, shift)
    require_insulator(band_edges, "the Chern number")
    fhs_edges = band_edges if shift == 0.0 else refine_band_edges(model, ns, filling, 0.0)
    ch = geometry.chern_fhs(model, (ns[0], ns[1]), filling=filling, max_k_points=max_k_points)
    info = susceptibility.scan_gap(model, ns, filling, shift)
    results: dict[str, Any] = {
        "chern_occupied": ch.occupied,
        "chern_per_band": [
            int(c) if np.isfinite(r) else None
            for c, r in zip(ch.per_band, ch.per_band_raw, strict=True)
        ],
        "chern_raw": {
            "occupied": ch.occupied_raw,
            "per_band": [float(x) if np.isfinite(x) else None for x in ch.per_band_raw],
        },
        "gap": info.gap,
        "direct_gap_min": info.direct_gap_min,
    }
    checks: list[Check] = [
        gap_check(info, band_edges),
        chern_integer_check(ch.occupied_raw, float(np.abs(ch.curvature_sum).max())),
        chern_resolution_check(fhs_edges, ch.occupied, ns[:2]),
    ]
    arrays: dict[str, Series] = {}
    l2 = f"{length_unit}^2"
    if include_maps:
        maps = geometry.geometry_maps(model, (ns[0], ns[1]), shift=shift, max_k_points=max_k_points)
        inv_l = f"1/{length_unit}"
        arrays["kx"] = Series(np.ascontiguousarray(maps.k[:, 0]), "wavevector k_x", inv_l)
        arrays["ky"] = Series(np.ascontiguousarray(maps.k[:, 1]), "wavevector k_y", inv_l, "kx")
        arrays["curvature"] = Series(
            maps.curvature, "Berry curvature Omega_n(k), one row per k", l2, "kx"
        )
        g = maps.metric
        arrays["metric"] = Series(
            np.stack([g[:, 0, 0], g[:, 0, 1], g[:, 1, 1]], axis=1),
            "quantum metric g^xx, g^xy, g^yy of each band, one block per k",
            l2,
            "kx",
        )
        results["curvature_integral"] = maps.curvature_chern
        integral = float(maps.curvature_chern[: info.n_occ].sum())
        checks.append(curvature_integral_check(integral, ch.occupied, ns[:2], band_edges))
    return Report(
        model=MODEL_NAME,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks_of(*checks),
        results=results,
        units={"curvature": l2, "metric": l2, "gap": energy_unit, "k": f"1/{length_unit}"},
    )


def half_grid(ns: Sequence[int]) -> tuple[int, ...]:
    """The grid of about half the size used by the convergence estimate (even, at least 4)."""
    return tuple(max(4, 2 * round(n / 4)) for n in ns)


# ---------------------------------------------------------------------------------------------
# The orbital susceptibility in blocks of k-points (one computation on several workers)
# ---------------------------------------------------------------------------------------------
#
# The report's Brillouin-zone sums run over two grids, the grid and its half grid. A plan cuts
# each into blocks of rows (first grid axis); :func:`orbital_susceptibility_block` returns the
# partial sums of one block (JSON-able), :func:`orbital_susceptibility_reduce` the report from
# all of them. The single-process report is the one-block plan through the same code, so a split
# report differs from it by the order of the additions only (all verdicts and k-points alike).


class RowBlock(NamedTuple):
    """Grid rows start <= i_0 < stop of the report's ``"grid"`` or of its ``"half"`` grid."""

    grid: Literal["grid", "half"]
    start: int
    stop: int


def orbital_susceptibility_block_count(grid: Sequence[int], block_k_points: int) -> int:
    """Blocks of about ``block_k_points`` k-points for the report on ``grid`` (sizes only).

    1 when the grid and its half grid together hold at most ``block_k_points`` points (not worth
    splitting); otherwise ceil(N_k / block_k_points) blocks of the grid plus those of the half
    grid, at most one per row.
    """
    if block_k_points < 1:
        raise ValueError("block_k_points must be positive")
    ns = tuple(grid)
    half = half_grid(ns)
    pm, ph = int(np.prod(ns)), int(np.prod(half))
    if pm + ph <= block_k_points:
        return 1
    return min(ns[0], -(-pm // block_k_points)) + min(half[0], -(-ph // block_k_points))


def _row_cuts(rows: int, count: int) -> list[tuple[int, int]]:
    return [(i * rows // count, (i + 1) * rows // count) for i in range(count)]


def orbital_susceptibility_plan(
    grid: Sequence[int], count: int
) -> tuple[tuple[RowBlock, ...], ...]:
    """The ``count`` blocks of the report on ``grid``, a function of the sizes and count only.

    ``count`` = 1: one block, the whole grid and the whole half grid. Otherwise the half grid
    gets round(count x its share of the k-points) blocks (at least 1) and the grid the rest,
    each cut into rows as evenly as integers allow; the grid's blocks come first.
    """
    ns = tuple(grid)
    half = half_grid(ns)
    if count == 1:
        return ((RowBlock("grid", 0, ns[0]), RowBlock("half", 0, half[0])),)
    if not 2 <= count <= ns[0] + half[0]:
        raise ValueError(f"{count} blocks for {ns[0]} + {half[0]} grid rows")
    pm, ph = int(np.prod(ns)), int(np.prod(half))
    nh = min(half[0], count - 1, max(1, round(count * ph / (pm + ph))))
    nm = min(ns[0], count - nh)
    nh = count - nm
    return tuple(
        [(RowBlock("grid", a, b),) for a, b in _row_cuts(ns[0], nm)]
        + [(RowBlock("half", a, b),) for a, b in _row_cuts(half[0], nh)]
    )


def _chi2_sizes(
    model: TightBindingModel, ns: tuple[int, ...], half: tuple[int, ...], max_k_points: int
) -> Literal["two_band", "quadrature"]:
    """The chi_2 evaluation of the report, after the size limits of both grids (413)."""
    method = susceptibility.chi2_method(model)
    susceptibility.check_chi2_size(model, ns, method, max_k_points)
    susceptibility.check_chi2_size(model, half, method)
    return method


def _chi1_evaluated(
    model: TightBindingModel, ns: tuple[int, ...], include_chi1: bool, max_chi1_k_points: int
) -> bool:
    return include_chi1 and model.dim == 2 and int(np.prod(ns)) <= max_chi1_k_points


def orbital_susceptibility_block(
    model: TightBindingModel,
    grid: Sequence[int],
    index: int,
    count: int,
    *,
    filling: int | None = None,
    shift: float = 0.5,
    include_chi1: bool = True,
    max_k_points: int = MAX_K_POINTS,
    max_chi1_k_points: int = MAX_K_POINTS,
) -> dict[str, Any]:
    """The partial sums of block ``index`` of the ``count`` of :func:`orbital_susceptibility_plan`.

    Parameters as :func:`orbital_susceptibility_report`. Returns a JSON-able dict (ints, floats,
    lists; nan and inf only where a closed gap makes the reduction refuse the grid anyway):
    ``grid``, ``half`` and one entry of ``pieces`` per row block, with the chi_2 sums and
    band-edge samples (:class:`core.crystal.susceptibility.Chi2Partial`) and, on the grid when
    chi_1 is evaluated, the chi_1 sums (:class:`core.crystal.susceptibility.Chi1Partial`).
    """
    ns = tuple(grid)
    half = half_grid(ns)
    method = _chi2_sizes(model, ns, half, max_k_points)
    plan = orbital_susceptibility_plan(ns, count)
    if not 0 <= index < count:
        raise ValueError(f"block {index} of {count}")
    with_chi1 = _chi1_evaluated(model, ns, include_chi1, max_chi1_k_points)
    pieces: list[dict[str, Any]] = []
    for blk in plan[index]:
        rows = (blk.start, blk.stop)
        c2 = susceptibility.chi2_partial(
            model,
            ns if blk.grid == "grid" else half,
            rows,
            filling=filling,
            shift=shift,
            method=method,
        )
        c1 = None
        # a block whose direct gap closes is refused by the reduction; eq 107 would divide by 0
        if blk.grid == "grid" and with_chi1 and c2.edges.gap_info().direct_gap_min > GAP_TOL:
            c1 = susceptibility.chi1_partial(
                model,
                ns,
                rows,
                n_occ=c2.edges.n_occ,
                orbitals=susceptibility.gauge_orbitals(model),
                shift=shift,
            ).to_dict()
        pieces.append({"grid": blk.grid, "chi2": c2.to_dict(), "chi1": c1})
    return {"grid": list(ns), "half": list(half), "pieces": pieces}


def _refined_edges(
    model: TightBindingModel, ns: tuple[int, ...], shift: float, samples: EdgeSamples
) -> BandEdges:
    """:func:`core.crystal.edges.refine_band_edges` of the grid from its band-edge samples.

    The same local minimisations from the same start points (the grid points with the smallest
    direct gaps, highest E_v, lowest E_c, ties to the lower index), the Haldane K and K' values,
    and the velocity and mass curvature at the smallest direct gap; only the grid pass is done by
    the blocks. Cost: 3 x ``starts`` boxed L-BFGS-B runs, independent of the grid size.
    """
    size = np.asarray(ns, dtype=np.float64)

    def red(entries: Sequence[tuple[int, float]]) -> FloatArray:
        idx = np.array([i for i, _ in entries], dtype=np.int64)
        return (np.stack(np.unravel_index(idx, ns), axis=-1) + shift) / size

    return edges.refine_from_starts(
        model,
        ns,
        samples.n_occ,
        direct=red(samples.direct),
        grid_direct=(red(samples.direct[:1])[0], samples.direct[0][1]),
        valence=red(samples.valence),
        conduction=red(samples.conduction),
        grid_valence_max=samples.valence[0][1],
        grid_conduction_min=samples.conduction[0][1],
    )


def orbital_susceptibility_reduce(
    model: TightBindingModel,
    grid: Sequence[int],
    partials: Sequence[Mapping[str, Any]],
    *,
    filling: int | None = None,
    shift: float = 0.5,
    include_chi1: bool = True,
    max_k_points: int = MAX_K_POINTS,
    max_chi1_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
) -> Report:
    """The report of :func:`orbital_susceptibility_report` from the partials of every block.

    ``partials``: the dicts of :func:`orbital_susceptibility_block` (or their JSON round trip)
    of all blocks of one plan, in block order; the other parameters as in the report and equal
    to those the blocks had. Done here, on the whole grid but at a cost independent of its size:
    the merge of the sums and band-edge samples, the band-edge refinement from the samples
    (:func:`_refined_edges`), the FHS Chern number and its resolution on the grid capped at
    :data:`CHERN_GRID_MAX` per direction.

    Raises
    ------
    NotAnInsulator
        When the gap at the filling closes (refined between grid points).
    ValueError
        When the partials are not those of one plan over this grid.
    """
    ns = tuple(grid)
    half = half_grid(ns)
    _chi2_sizes(model, ns, half, max_k_points)
    pieces: dict[str, list[Mapping[str, Any]]] = {"grid": [], "half": []}
    for part in partials:
        if list(part["grid"]) != list(ns) or list(part["half"]) != list(half):
            raise ValueError(f"partials of the grid {part['grid']}, not of {list(ns)}")
        for piece in part["pieces"]:
            pieces[piece["grid"]].append(piece)
    c2 = [susceptibility.Chi2Partial.from_dict(p["chi2"]) for p in pieces["grid"]]
    c2h = [susceptibility.Chi2Partial.from_dict(p["chi2"]) for p in pieces["half"]]
    samples = EdgeSamples.merge([c.edges for c in c2])
    band_edges = _refined_edges(model, ns, shift, samples)
    require_insulator(band_edges, "the orbital susceptibility")
    r2 = susceptibility.chi2_reduce(model, ns, c2)
    r2h = susceptibility.chi2_reduce(model, half, c2h)
    conv = grid_convergence_check(r2.chi, r2h.chi, ns, half, band_edges)
    rel = conv.details["relative_change"]
    notes: list[str] = []
    chern = None
    chern_check: Check | None = None
    if model.dim == 2:
        chern_grid = (min(ns[0], CHERN_GRID_MAX), min(ns[1], CHERN_GRID_MAX))
        chern = geometry.chern_fhs(model, chern_grid, filling=filling).occupied
        # the same resolution criterion /berry applies: a Chern number the grid cannot resolve
        # is not trusted (and chi_1 = chi_2 is then not judged on it)
        chern_check = chern_resolution_check(
            refine_band_edges(model, chern_grid, filling, 0.0), chern, chern_grid
        )
    results: dict[str, Any] = {
        "chi_2": {"total": r2.chi, "parts": r2.parts},
        "chi_1": None,
        "magnetization": r2.magnetization,
        "chern_occupied": chern,
        "gap": r2.gap.gap,
        "grid": list(ns),
        "convergence": {"grid_half": list(half), "chi_2_half": r2h.chi, "relative_change": rel},
    }
    checks: list[Check] = [gap_check(r2.gap, band_edges), conv]
    if chern_check is not None:
        checks.append(chern_check)
    chern_known = chern if chern_check is None or chern_check.verdict is not False else None
    if include_chi1 and model.dim == 2:
        if not _chi1_evaluated(model, ns, include_chi1, max_chi1_k_points):
            notes.append(CHI1_SKIPPED_NOTE.format(limit=max_chi1_k_points))
        else:
            if any(p["chi1"] is None for p in pieces["grid"]):
                raise ValueError("a block of the grid has no chi_1 sums")
            c1 = [susceptibility.Chi1Partial.from_dict(p["chi1"]) for p in pieces["grid"]]
            r1 = susceptibility.chi1_reduce(model, ns, c1, r2.gap)
            results["chi_1"] = {
                "total": r1.chi,
                "parts": r1.parts,
                "gauge_min_modulus": r1.extra["gauge_min_modulus"],
            }
            checks.append(
                chi1_chi2_check(
                    r1.chi, r2.chi, chern_known, resolved=chern_known is not None or chern is None
                )
            )
            if chern:
                notes.append(CHERN_GAUGE_NOTE.format(chern=chern))
    if energy_unit in ENERGY_UNITS_J and length_unit in LENGTH_UNITS_M and model.dim == 2:
        e_j = ENERGY_UNITS_J[energy_unit]
        scale = susceptibility.to_si(1.0, e_j, LENGTH_UNITS_M[length_unit])
        chi1 = results["chi_1"]
        results["si"] = {
            "chi_2": r2.chi * scale,
            "chi_1": chi1["total"] * scale if chi1 else None,
            "unit": "A^2 m^2 / J (per unit area; = J T^-2 m^-2)",
            "magnetization": r2.magnetization * sc.e * e_j / sc.hbar,
            "magnetization_unit": "A (magnetic moment per unit area)",
        }
    units = {
        "chi": f"e^2 E_u L_u^2 / hbar^2 per unit area (E_u = {energy_unit}, L_u = {length_unit})",
        "magnetization": "e E_u / hbar",
        "gap": energy_unit,
    }
    return Report(
        model=MODEL_NAME,
        version=MODEL_VERSION,
        checks=checks_of(*checks),
        notes=tuple(notes),
        results=results,
        units=units,
    )


def orbital_susceptibility_report(
    model: TightBindingModel,
    grid: Sequence[int],
    *,
    filling: int | None = None,
    shift: float = 0.5,
    include_chi1: bool = True,
    max_k_points: int = MAX_K_POINTS,
    max_chi1_k_points: int = MAX_K_POINTS,
    energy_unit: str = "model",
    length_unit: str = "model",
) -> Report:
    """Static orbital magnetic susceptibility chi^zz of an insulator (spinless, T = 0), with its checks.

    Parameters
    ----------
    model
        Tight-binding model (2D, or 3D with B along z; chi_1 and the Chern number are 2D only).
    grid, shift
        Points per reciprocal vector and the offset in units of one step.
    filling
        Occupied bands (default: half).
    include_chi1
        Also evaluate chi_1 (eqs 70-73); skipped with a note above ``max_chi1_k_points``.
    max_k_points
        Limit of the chi_2 grid.
    energy_unit, length_unit
        The model's units; physical ones (eV/meV, angstrom/nm) add the ``si`` result.

    Returns
    -------
    Report
        Results ``chi_2`` (total and parts, eqs 83-84), ``chi_1`` (eqs 70-73 in the paper's
        gauge, or ``None``), ``magnetization``, ``chern_occupied`` (2D), ``gap`` [energy_unit],
        ``grid``, ``convergence`` and, in physical units, ``si``. chi per unit area in
        e^2 E_u L_u^2 / hbar^2, M^z in e E_u / hbar. Checks ``gap``, ``grid_convergence`` and,
        when chi_1 is evaluated, ``chi1_equals_chi2``; notes for a skipped chi_1 and for the gauge
        dependence of chi_1 in a Chern insulator.

    Raises
    ------
    NotAnInsulator
        When the gap at the filling closes on the grid.

    Notes
    -----
    The one-block plan: :func:`orbital_susceptibility_block` over the whole grid and half grid,
    then :func:`orbital_susceptibility_reduce`, the code a split (several workers) runs.
    """
    part = orbital_susceptibility_block(
        model,
        grid,
        0,
        1,
        filling=filling,
        shift=shift,
        include_chi1=include_chi1,
        max_k_points=max_k_points,
        max_chi1_k_points=max_chi1_k_points,
    )
    return orbital_susceptibility_reduce(
        model,
        grid,
        [part],
        filling=filling,
        shift=shift,
        include_chi1=include_chi1,
        max_k_points=max_k_points,
        max_chi1_k_points=max_chi1_k_points,
        energy_unit=energy_unit,
        length_unit=length_unit,
    )
