"""Band edges between grid points: refined gaps and the grid resolution of the FHS Chern number.

A gap found on grid points is an upper bound of the true gap: bands can come closer between the
samples. :func:`refine_band_edges` starts local minimisations in k (L-BFGS-B, all starts in one
vectorised objective, each start boxed to +-1 grid step around its grid point) from the grid
points with the smallest direct gap, the highest valence and the lowest conduction energy, with
the analytic gradients dE_n/dk = v_nn (Hellmann-Feynman, velocities of Duff & Sipe 2025, eq 106).
The refined values are still upper bounds of the true minima (the minimiser can miss a minimum),
so they are *indicative*. For the Haldane model the gaps at K and K' (where the Dirac mass sits,
Duff & Sipe 2025, eqs 93-94 and the text after eq 94: 2|M -+ 3 sqrt3 t2 sin phi|) are evaluated
too; those are exact values at those points.

FHS resolution criterion
------------------------
Near a band edge k0 the two bands are a massive Dirac cone, H ~ (m + q.A.q/2) s_z + v q.s,
gap Delta0 = 2|m|. The lattice method (Fukui, Hatsugai, Suzuki 2005) reads the sign of the Dirac
mass from the eigenvectors at the plaquette corners, a distance q ~ dk from k0, where the mass is
m + O(lambda q^2 / 2) with lambda the largest eigenvalue modulus of the band-diagonal Hessian
difference w_cc - w_vv at k0 (eq 103; for the Haldane model at K, the curvature of f_z). When
Delta0 < lambda dk^2 the corner mass can have the wrong sign and the lattice Chern number is off
by one. On the Haldane model (M/t = 0.05 to 4, |t2 sin phi| / t_c = 1.0005 to 2, grids 5 to 101
with K off the grid) every wrong FHS integer has Delta0 / (lambda dk^2) <= 0.19 and every one with
Delta0 / (lambda dk^2) >= 0.22 is right; the ratio Delta0 / (v dk) with the velocity v is not a
criterion (wrong integers up to 1.3). A Dirac point at the centre of a 60-degree plaquette has
mean-square corner distance dk^2/2, so the threshold there is about 0.5. The criterion used is
Delta0 < :data:`FHS_RESOLUTION_C` lambda dk^2 with C = 1 (twice the worst geometry estimate, five
times the largest failure found), dk the largest grid step |b_i| / n_i.

The curvature integral resolves the curvature peak only when dk is below its half-width
q0 = Delta0 / (2 v) (v = sqrt((|v^x_cv|^2 + |v^y_cv|^2)/2) the interband velocity at k0): it needs
about :data:`CURVATURE_STEPS_PER_WIDTH` grid steps per half-width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from core.crystal.bloch import (
    CHUNK_POINTS,
    bloch_derivatives,
    eigh_batched,
    monkhorst_grid,
    occupied_count,
    to_band_basis,
)
from core.crystal.model import TightBindingModel, haldane_high_symmetry_points

FloatArray = NDArray[np.float64]

#: Grid points each refinement starts from (per quantity: direct gap, valence max, conduction min).
STARTS: Final = 6
#: The FHS integer counts as resolved when Delta0 >= FHS_RESOLUTION_C * lambda * dk^2.
FHS_RESOLUTION_C: Final = 1.0
#: Grid steps per curvature half-width Delta0 / (2 v) for a curvature integral within 0.05.
CURVATURE_STEPS_PER_WIDTH: Final = 3.0


@dataclass(frozen=True)
class BandEdges:
    """Refined band edges of the occupied/empty split (model units; k in 1/length).

    ``direct_gap`` is min over grid, refinement and exact points; ``exact_points`` maps a label
    (``"K"``, ``"K'"``) to the direct gap there (Haldane model only).
    """

    n_occ: int
    grid_direct_gap: float
    direct_gap: float
    k_direct: FloatArray
    valence_max: float
    conduction_min: float
    velocity: float
    mass_curvature: float
    grid_step: float
    reciprocal_length: float
    exact_points: dict[str, float] = field(default_factory=dict)

    @property
    def indirect_gap(self) -> float:
        """Refined conduction minimum minus refined valence maximum."""
        return self.conduction_min - self.valence_max

    @property
    def fhs_resolution(self) -> float:
        """lambda dk^2: the smallest gap at which the FHS integer is resolved (energy)."""
        return FHS_RESOLUTION_C * self.mass_curvature * self.grid_step**2

    @property
    def fhs_resolved(self) -> bool:
        return self.direct_gap >= self.fhs_resolution

    @property
    def fhs_grid_needed(self) -> int:
        """Points per direction at which Delta0 = C lambda dk^2."""
        if self.mass_curvature <= 0 or self.direct_gap <= 0:
            return 0
        return math.ceil(
            self.reciprocal_length
            * math.sqrt(FHS_RESOLUTION_C * self.mass_curvature)
            / math.sqrt(self.direct_gap)
        )

    @property
    def half_width(self) -> float:
        """q0 = Delta0 / (2 v): half-width of the curvature peak (1/length)."""
        return self.direct_gap / (2 * self.velocity) if self.velocity > 0 else math.inf

    @property
    def curvature_grid_needed(self) -> int:
        """Points per direction with CURVATURE_STEPS_PER_WIDTH steps per half-width."""
        if not math.isfinite(self.half_width) or self.half_width <= 0:
            return 0
        return math.ceil(CURVATURE_STEPS_PER_WIDTH * self.reciprocal_length / self.half_width)

    def details(self) -> dict[str, object]:
        """The numbers for a check's details (JSON-able)."""
        out: dict[str, object] = {
            "direct_gap_refined": self.direct_gap,
            "k_direct_gap_refined": [float(x) for x in self.k_direct],
            "gap_refined": self.indirect_gap,
        }
        if self.exact_points:
            out["direct_gap_at"] = dict(self.exact_points)
        return out


def _bands(model: TightBindingModel, k: FloatArray, order: int):
    bd = bloch_derivatives(model, k, order=order)
    e, u = eigh_batched(bd.h)
    v = to_band_basis(u, bd.dh) if bd.dh is not None else None
    w = to_band_basis(u, bd.d2h) if bd.d2h is not None else None
    return e, v, w


def _grid_pair(
    model: TightBindingModel, ns: tuple[int, ...], nocc: int, shift: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    red = monkhorst_grid(model, ns, shift)[1]
    ev, ec = [], []
    for s in range(0, red.shape[0], CHUNK_POINTS):
        e, _, _ = _bands(model, red[s : s + CHUNK_POINTS] @ model.reciprocal, 0)
        ev.append(e[:, nocc - 1])
        ec.append(e[:, nocc])
    return red, np.concatenate(ev), np.concatenate(ec)


def _minimise(
    model: TightBindingModel,
    x0: FloatArray,
    step: FloatArray,
    nocc: int,
    kind: str,
) -> tuple[FloatArray, FloatArray]:
    """Local minima in reduced k of Delta^2 (``"direct"``), -E_v or E_c from starts x0 (S, D)."""
    s_n, dim = x0.shape
    rec = model.reciprocal

    def fun(flat: FloatArray) -> tuple[float, FloatArray]:
        x = flat.reshape(s_n, dim)
        e, v, _ = _bands(model, x @ rec, 1)
        assert v is not None
        gv = np.real(v[:, :, nocc - 1, nocc - 1])  # (S, D) dE_v/dk
        gc = np.real(v[:, :, nocc, nocc])
        if kind == "direct":
            d = e[:, nocc] - e[:, nocc - 1]
            f, g = d * d, 2 * d[:, None] * (gc - gv)
        elif kind == "valence":
            f, g = -e[:, nocc - 1], -gv
        else:
            f, g = e[:, nocc], gc
        return float(f.sum()), (g @ rec.T).ravel()

    lo = (x0 - step).ravel()
    hi = (x0 + step).ravel()
    res = optimize.minimize(
        fun,
        x0.ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(lo, hi, strict=True)),
        options={"ftol": 1e-22, "gtol": 1e-13, "maxiter": 300},
    )
    x = res.x.reshape(s_n, dim)
    e, _, _ = _bands(model, x @ rec, 0)
    return x, e


def refine_band_edges(
    model: TightBindingModel,
    grid: tuple[int, ...],
    filling: int | None = None,
    shift: float = 0.0,
    starts: int = STARTS,
) -> BandEdges:
    """Refine the direct gap, valence maximum and conduction minimum between grid points.

    Parameters
    ----------
    model
        The tight-binding model.
    grid, shift
        The k-grid (points per reciprocal vector) and its offset in steps.
    filling
        Occupied bands (default half).

    Returns
    -------
    BandEdges
        Refined values (each the best of the grid, the refinement and, for the Haldane model, K
        and K'), the interband velocity and mass curvature at the smallest direct gap, and the
        grid step max_i |b_i| / n_i.
    """
    nocc = occupied_count(model, filling)
    ns = tuple(grid)
    red, ev, ec = _grid_pair(model, ns, nocc, shift)
    m = min(starts, red.shape[0])
    dgrid = ec - ev
    i0 = int(np.argmin(dgrid))
    return refine_from_starts(
        model,
        ns,
        nocc,
        direct=red[np.argsort(dgrid)[:m]],
        grid_direct=(red[i0], float(dgrid[i0])),
        valence=red[np.argsort(-ev)[:m]],
        conduction=red[np.argsort(ec)[:m]],
        grid_valence_max=float(ev.max()),
        grid_conduction_min=float(ec.min()),
    )


def refine_from_starts(
    model: TightBindingModel,
    grid: tuple[int, ...],
    nocc: int,
    *,
    direct: FloatArray,
    grid_direct: tuple[FloatArray, float],
    valence: FloatArray,
    conduction: FloatArray,
    grid_valence_max: float,
    grid_conduction_min: float,
) -> BandEdges:
    """The second half of :func:`refine_band_edges`, from the grid's results: local
    minimisations from the start points (reduced coordinates: the grid points with the smallest
    direct gaps, the highest E_v, the lowest E_c), the Haldane K and K' values, and the interband
    velocity and mass curvature at the smallest direct gap. ``grid_direct`` is the grid's
    smallest direct gap and its point; the grid's extremes bound the refined ones. A split
    Brillouin-zone sum (core/crystal/reports.py) gathers these from its blocks. Cost: 3 x the
    number of starts boxed L-BFGS-B runs, independent of the grid size."""
    step = 1.0 / np.asarray(grid, dtype=np.float64)
    cand_k: list[FloatArray] = []
    cand_gap: list[float] = []
    x, e = _minimise(model, direct, step, nocc, "direct")
    cand_k += [xi @ model.reciprocal for xi in x]
    cand_gap += list(e[:, nocc] - e[:, nocc - 1])
    cand_k.append(grid_direct[0] @ model.reciprocal)
    cand_gap.append(grid_direct[1])
    exact: dict[str, float] = {}
    vmax, cmin = grid_valence_max, grid_conduction_min
    if model.name == "haldane" and model.dim == 2:
        hs = haldane_high_symmetry_points(float(model.positions[1, 1]))
        ek, _, _ = _bands(model, np.stack([hs["K"], hs["Kp"]]), 0)
        for i, (label, key) in enumerate((("K", "K"), ("K'", "Kp"))):
            exact[label] = float(ek[i, nocc] - ek[i, nocc - 1])
            cand_k.append(hs[key])
            cand_gap.append(exact[label])
        vmax = max(vmax, float(ek[:, nocc - 1].max()))
        cmin = min(cmin, float(ek[:, nocc].min()))
    j = int(np.argmin(cand_gap))
    k0 = np.asarray(cand_k[j], dtype=np.float64)
    _, e_v = _minimise(model, valence, step, nocc, "valence")
    _, e_c = _minimise(model, conduction, step, nocc, "conduction")
    vmax = max(vmax, float(e_v[:, nocc - 1].max()))
    cmin = min(cmin, float(e_c[:, nocc].min()))
    _, v0, w0 = _bands(model, k0[None, :], 2)
    assert v0 is not None and w0 is not None
    vcv = v0[0, :, nocc, nocc - 1]
    vel = float(np.sqrt(np.sum(np.abs(vcv[:2]) ** 2) / min(2, model.dim)))
    dw = np.real(w0[0, :, :, nocc, nocc] - w0[0, :, :, nocc - 1, nocc - 1])
    lam = float(np.abs(np.linalg.eigvalsh(0.5 * (dw + dw.T))).max())
    blen = np.linalg.norm(model.reciprocal, axis=1)
    return BandEdges(
        n_occ=nocc,
        grid_direct_gap=grid_direct[1],
        direct_gap=float(cand_gap[j]),
        k_direct=k0,
        valence_max=vmax,
        conduction_min=cmin,
        velocity=vel,
        mass_curvature=lam,
        grid_step=float((blen / np.asarray(grid)).max()),
        reciprocal_length=float(blen.max()),
        exact_points=exact,
    )
