"""A displaced, anisotropic particle-in-a-box "molecule": multipole moments about any origin.

One electron (charge ``q = -1`` e, mass ``m = 1`` m_e) in a rectangular box with infinite walls,
side lengths ``L = (Lx, Ly, Lz)`` bohr, centred at ``c`` (bohr) in the laboratory frame. The
eigenstates are products ``|n1 n2 n3>`` of the 1D states

    phi_n(u) = sqrt(2 / L) sin(n pi (u + L/2) / L),   u = x - c_x in [-L/2, L/2],

with energies ``E = (pi^2 / 2 m) sum_a n_a^2 / L_a^2`` hartree (atomic units, hbar = 1). The
ground state is (1, 1, 1); the basis keeps ``n_a = 1..n_max[a]``.

Every moment is computed *about a requested origin O* from closed-form 1D integrals
(:func:`ground_row_integrals_1d`): with ``x - O_x = u + s``, ``s = c_x - O_x``, the elements
``<1| (u + s)^p d^d/du^d |n>`` for ``p = 0..3`` (``d = 0``) and ``p = 0, 1`` (``d = 1``) are
binomial combinations of

    <m|u^p|n>      = L^p [T^cos_p(m - n) - T^cos_p(m + n)],
    <m|u^p d/du|n> = n pi L^(p-1) [T^sin_p(m + n) + T^sin_p(m - n)],
    T^cos_p(c) = int_{-1/2}^{1/2} t^p cos(c pi (t + 1/2)) dt,  T^sin_p likewise with sin,

whose antiderivatives are elementary (``C_p``, ``S_p`` below). 3D elements of a monomial
``prod_a x_a^{p_a} d_a^{d_a}`` factor into products of 1D elements, vectorised over all states.

Operators (the conventions of core.molecular: Anelli et al., core.references.ANELLI_ET_AL,
eqs 8-9 and Table 1):

* ``P_i = q r_i``, ``Q_ij = q r_i r_j``, ``Q_ijk = q r_i r_j r_k`` (primitive, traced moments);
* ``M_i = (q / 2m) l_i`` with ``l = r x p``, ``p = -i d/dr``;
* ``M_ij = (q / 3m) (r_j l_i + l_i r_j) = (q / 3m) (2 r_j l_i + i eps_ijk r_k)`` -- first index the
  angular-momentum component, second the position (so that H_i contains +1/2 grad_j M_ij, eq 9).

The box eigenstates are exact eigenstates of H, so the hypervirial relation
``<s|p|n> = i m w_sn <s|r|n>`` holds element by element (the walls' boundary terms vanish because
``x phi_n`` vanishes at the walls); the translation rules of core.molecular rely on it, and
tests/core/test_molecular_box.py checks them against direct evaluation about a shifted origin.

What a truncated basis does *not* satisfy is completeness: sums over states such as the
Thomas-Reiche-Kuhn rule converge only as the basis grows (their truncation error falls like
n_max^-3), and the origin independence of the Raab-de Lange and covariant constants inherits that
tolerance (docs/molecular.md has the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core import molecular as mol
from core.checks import Report
from core.emitters.box import power_law_cutoff
from core.emitters.report import with_reasons
from core.errors import InvalidInput, LimitExceeded
from core.molecular import MolecularStates

MODEL_NAME: Final = "molecular-box"
MODEL_VERSION: Final = "1.0.0"

#: Largest number of basis states (product of n_max) a box model may use.
MAX_BOX_STATES: Final = 20_000

#: Usable box side lengths [bohr]: energies ~ 1/L^2 and moments up to ~ L^4 stay of ordinary size.
LENGTH_RANGE: Final = (1e-3, 1e4)
#: Largest distance of the box centre or of a shifted origin from the frame origin [bohr].
MAX_DISTANCE: Final = 1e4
#: Usable nonzero linewidths [hartree].
LINEWIDTH_RANGE: Final = (1e-30, 1e3)

CHARGE: Final = -1.0  # electron charge, e
MASS: Final = 1.0  # electron mass, m_e

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]


@dataclass(frozen=True)
class BoxMolecule:
    """One electron in a rectangular box.

    Parameters
    ----------
    lengths : (3,) float
        Side lengths L_a > 0, bohr.
    center : (3,) float
        Position of the box centre in the laboratory frame, bohr.
    n_max : (3,) int
        Number of 1D states kept per axis (>= 1); the basis has prod(n_max) states.
    linewidth : float
        Damping gamma >= 0 given to every excited state, hartree.
    """

    lengths: FloatArray
    center: FloatArray
    n_max: NDArray[np.int64]
    linewidth: float = 0.0

    def __post_init__(self) -> None:
        lengths = np.array(self.lengths, dtype=np.float64, ndmin=1)
        center = np.array(self.center, dtype=np.float64, ndmin=1)
        n_max = np.array(self.n_max, ndmin=1)
        for name, arr in (("lengths", lengths), ("center", center), ("n_max", n_max)):
            if arr.shape != (3,):
                raise InvalidInput(
                    f"'{name}' must have 3 entries (x, y, z), got shape {arr.shape}",
                    field=("box", name),
                    fix="give one value per Cartesian axis",
                )
            if not np.all(np.isfinite(arr.astype(np.float64))):
                raise InvalidInput(f"'{name}' must be finite", field=("box", name))
        if np.any(lengths <= 0):
            raise InvalidInput(
                "box side lengths must be > 0 bohr", field=("box", "lengths"), fix="give L > 0"
            )
        if not np.all(n_max == np.round(n_max)) or np.any(n_max < 1):
            raise InvalidInput(
                "n_max must be integers >= 1", field=("box", "n_max"), fix="give n_max >= 1"
            )
        if not np.isfinite(self.linewidth) or self.linewidth < 0:
            raise InvalidInput(
                "the linewidth must be >= 0 hartree",
                field=("box", "linewidth"),
                fix="give gamma >= 0; a negative width breaks causality",
            )
        lo, hi = LENGTH_RANGE
        if np.any((lengths < lo) | (lengths > hi)):
            raise InvalidInput(
                f"box side lengths {lengths.tolist()} bohr are outside the usable range "
                f"[{lo:g}, {hi:g}] bohr: the excitation energies (~ 1/L^2) and the moments "
                "(~ L^4 and beyond in the rank-4 tensors) would leave floating-point range",
                field=("box", "lengths"),
                fix=f"give {lo:g} <= L <= {hi:g} bohr (a molecule is a few bohr)",
            )
        if np.any(np.abs(center) > MAX_DISTANCE):
            raise InvalidInput(
                f"the box centre {center.tolist()} is more than {MAX_DISTANCE:g} bohr from the "
                "origin: the moments about the origin (~ d^4) would leave floating-point range",
                field=("box", "center"),
                fix=f"give |center| <= {MAX_DISTANCE:g} bohr",
            )
        if not (self.linewidth == 0 or LINEWIDTH_RANGE[0] <= self.linewidth <= LINEWIDTH_RANGE[1]):
            raise InvalidInput(
                f"linewidth {self.linewidth:.3g} hartree is outside the usable range: give 0 or "
                f"{LINEWIDTH_RANGE[0]:g} <= gamma <= {LINEWIDTH_RANGE[1]:g} hartree",
                field=("box", "linewidth"),
                fix=f"give gamma = 0 or {LINEWIDTH_RANGE[0]:g} <= gamma <= "
                f"{LINEWIDTH_RANGE[1]:g} hartree",
            )
        lengths.setflags(write=False)
        center.setflags(write=False)
        nm = n_max.astype(np.int64)
        nm.setflags(write=False)
        object.__setattr__(self, "lengths", lengths)
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "n_max", nm)
        object.__setattr__(self, "linewidth", float(self.linewidth))

    @property
    def size(self) -> int:
        """Number of basis states prod(n_max)."""
        return int(np.prod(self.n_max))


# ---------------------------------------------------------------------------------------------
# Closed-form 1D integrals
# ---------------------------------------------------------------------------------------------

_H: Final = 0.5


def _sin_cos_half_pi(c: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Exact sin(c pi / 2), cos(c pi / 2) for integer c (no rounding from pi)."""
    r = np.mod(c, 4)
    s = np.select([r == 1, r == 3], [1.0, -1.0], 0.0)
    co = np.select([r == 0, r == 2], [1.0, -1.0], 0.0)
    return s, co


def _cp_sp(p: int, c: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """C_p = int_{-1/2}^{1/2} t^p cos(kappa t) dt, S_p = ... sin(kappa t) dt with kappa = c pi."""
    cf = c.astype(np.float64)
    zero = c == 0
    kap = np.where(zero, 1.0, cf * np.pi)
    sn, cs = _sin_cos_half_pi(c)  # sin(kappa h), cos(kappa h), h = 1/2
    h = _H
    if p == 0:
        cp = np.where(zero, 2.0 * h, 2.0 * sn / kap)
        sp = np.zeros_like(kap)
    elif p == 1:
        cp = np.zeros_like(kap)
        sp = np.where(zero, 0.0, 2.0 * (-h * cs / kap + sn / kap**2))
    elif p == 2:
        cp = np.where(
            zero,
            2.0 * h**3 / 3.0,
            2.0 * (h**2 * sn / kap + 2.0 * h * cs / kap**2 - 2.0 * sn / kap**3),
        )
        sp = np.zeros_like(kap)
    elif p == 3:
        cp = np.zeros_like(kap)
        sp = np.where(
            zero,
            0.0,
            2.0
            * (
                -(h**3) * cs / kap
                + 3.0 * h**2 * sn / kap**2
                + 6.0 * h * cs / kap**3
                - 6.0 * sn / kap**4
            ),
        )
    else:  # pragma: no cover - internal
        raise ValueError("p must be 0..3")
    return cp, sp


def _t_cos_sin(p: int, c: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """T^cos_p(c) and T^sin_p(c) = int t^p {cos, sin}(c pi (t + 1/2)) dt over [-1/2, 1/2]."""
    cp, sp = _cp_sp(p, c)
    sn, cs = _sin_cos_half_pi(c)
    tcos = cs * cp - sn * sp
    tsin = cs * sp + sn * cp
    return tcos, tsin


def ground_row_integrals_1d(length: float, shift: float, n_max: int) -> dict[str, FloatArray]:
    """1D ground-row elements <1| (u + s)^p (d/du)^d |n>, n = 1..n_max, closed form.

    Parameters
    ----------
    length
        Box side L, bohr.
    shift
        s = c - O: position of the box centre relative to the origin of the moments, bohr.
    n_max
        Number of states.

    Returns
    -------
    dict
        Keys ``"x0".."x3"`` for p = 0..3 without derivative (bohr^p) and ``"d0"``, ``"d1"`` for
        ``<1|d/du|n>`` and ``<1|(u + s) d/du|n>`` (bohr^-1 and 1); each (n_max,) real.
    """
    n = np.arange(1, n_max + 1, dtype=np.int64)
    m = 1
    central_x = []
    for p in range(4):
        tc_minus, _ = _t_cos_sin(p, m - n)
        tc_plus, _ = _t_cos_sin(p, m + n)
        central_x.append(length**p * (tc_minus - tc_plus))
    central_d = []
    for p in range(2):
        _, ts_plus = _t_cos_sin(p, m + n)
        _, ts_minus = _t_cos_sin(p, m - n)
        central_d.append(n * np.pi * length ** (p - 1) * (ts_plus + ts_minus))
    binom = ((1.0,), (1.0, 1.0), (1.0, 2.0, 1.0), (1.0, 3.0, 3.0, 1.0))
    out: dict[str, FloatArray] = {}
    for p in range(4):
        acc = np.zeros(n_max)
        for r in range(p + 1):
            acc = acc + binom[p][r] * shift ** (p - r) * central_x[r]
        out[f"x{p}"] = acc
    out["d0"] = central_d[0]
    out["d1"] = central_d[1] + shift * central_d[0]
    return out


# ---------------------------------------------------------------------------------------------
# 3D moments
# ---------------------------------------------------------------------------------------------

_LEVI: Final = np.zeros((3, 3, 3))
for _i, _j, _k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
    _LEVI[_i, _j, _k] = 1.0
    _LEVI[_i, _k, _j] = -1.0


def box_states(box: BoxMolecule) -> tuple[NDArray[np.int64], FloatArray]:
    """Quantum numbers (S, 3) and energies (S,) hartree of the basis, ground state first.

    States are ordered as numpy's C order over (n1, n2, n3); the ground state (1, 1, 1) is index 0.
    """
    _check_size(box)
    grids = np.meshgrid(*[np.arange(1, int(k) + 1) for k in box.n_max], indexing="ij")
    qn = np.stack([g.reshape(-1) for g in grids], axis=1).astype(np.int64)
    e = (np.pi**2 / (2.0 * MASS)) * np.sum(qn.astype(np.float64) ** 2 / box.lengths**2, axis=1)
    return qn, e


def _check_size(box: BoxMolecule) -> None:
    if box.size > MAX_BOX_STATES:
        raise LimitExceeded(
            f"the box basis has {box.size} states, more than the limit {MAX_BOX_STATES}",
            limit_name="max_box_states",
            limit=MAX_BOX_STATES,
            requested=box.size,
            field=("box", "n_max"),
            fix="lower n_max",
        )


class _Monomials:
    """Ground-row 3D elements of monomials prod_a x_a^{p_a} (d/dx_a)^{d_a}, (S,) each."""

    def __init__(self, box: BoxMolecule, origin: FloatArray):
        self.one_d = [
            ground_row_integrals_1d(
                float(box.lengths[a]), float(box.center[a] - origin[a]), int(box.n_max[a])
            )
            for a in range(3)
        ]

    def __call__(self, powers: tuple[int, int, int], derivs: tuple[int, int, int]) -> FloatArray:
        f = []
        for a in range(3):
            key = f"d{powers[a]}" if derivs[a] else f"x{powers[a]}"
            f.append(self.one_d[a][key])
        return np.einsum("i,j,k->ijk", f[0], f[1], f[2]).reshape(-1)


def _r_monomial(idx: tuple[int, ...]) -> tuple[int, int, int]:
    p = [0, 0, 0]
    for i in idx:
        p[i] += 1
    return (p[0], p[1], p[2])


def box_ground_row(box: BoxMolecule, origin: ArrayLike = (0.0, 0.0, 0.0)) -> dict[str, NDArray]:
    """Ground-row matrix elements <0|O|s> of every moment about ``origin``, all S states.

    Returns
    -------
    dict
        ``P`` (S, 3), ``Q`` (S, 3, 3), ``O`` (S, 3, 3, 3), ``M`` (S, 3), ``Mq`` (S, 3, 3) complex,
        in atomic units (e a0^n; magnetic moments in e hbar / m_e = 2 mu_B and e hbar a0 / m_e),
        and ``energies`` (S,) hartree. Index 0 is the ground state: its entries are the permanent
        moments (<0|P|0> etc.).
    """
    o = np.asarray(origin, dtype=np.float64).reshape(3)
    mono = _Monomials(box, o)
    _, energies = box_states(box)
    s = box.size
    q, m = CHARGE, MASS
    nil = (0, 0, 0)
    # <0| r_i |s>, <0| r_i r_j |s>, <0| r_i r_j r_k |s>
    r1 = np.stack([mono(_r_monomial((i,)), nil) for i in range(3)], axis=1)
    r2 = np.empty((s, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            r2[:, i, j] = r2[:, j, i] = mono(_r_monomial((i, j)), nil)
    r3 = np.empty((s, 3, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            for k in range(j, 3):
                v = mono(_r_monomial((i, j, k)), nil)
                for perm in {(i, j, k), (i, k, j), (j, i, k), (j, k, i), (k, i, j), (k, j, i)}:
                    r3[(slice(None), *perm)] = v

    # <0| r_a d_b |s> (a != b) and <0| r_j r_a d_b |s> (a != b)
    def r_d(ridx: tuple[int, ...], b: int) -> FloatArray:
        p = list(_r_monomial(ridx))
        d = [0, 0, 0]
        d[b] = 1
        return mono((p[0], p[1], p[2]), (d[0], d[1], d[2]))

    # l_i = -i eps_iab r_a d_b ; r_j l_i = -i eps_iab r_j r_a d_b
    l_row = np.zeros((s, 3), dtype=np.complex128)
    rl_row = np.zeros((s, 3, 3), dtype=np.complex128)  # [:, j, i] = <0| r_j l_i |s>
    for i, a, b in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        l_row[:, i] = -1j * (r_d((a,), b) - r_d((b,), a))
        for j in range(3):
            rl_row[:, j, i] = -1j * (r_d((j, a), b) - r_d((j, b), a))
    out: dict[str, NDArray] = {
        "energies": energies,
        "P": (q * r1).astype(np.complex128),
        "Q": (q * r2).astype(np.complex128),
        "O": (q * r3).astype(np.complex128),
        "M": (q / (2.0 * m)) * l_row,
    }
    # M_ij = (q / 3m) (2 r_j l_i + i eps_ijk r_k): i angular momentum, j position
    mq = 2.0 * np.transpose(rl_row, (0, 2, 1)) + 1j * np.einsum("ijk,sk->sij", _LEVI, r1)
    out["Mq"] = (q / (3.0 * m)) * mq
    return out


def box_molecular_states(box: BoxMolecule, origin: ArrayLike = (0.0, 0.0, 0.0)) -> MolecularStates:
    """The box as a :class:`core.molecular.MolecularStates`, every moment about ``origin``.

    Excitation energies w_s0 = E_s - E_0 of the S - 1 excited states, each with the box's
    linewidth; the ground-state first and second moments sum_e <r_i>, sum_e <r_i r_j> (bohr,
    bohr^2) about the same origin, one electron.
    """
    o = np.asarray(origin, dtype=np.float64).reshape(-1)
    if o.shape == (3,) and not np.all(np.abs(o) <= MAX_DISTANCE):
        raise InvalidInput(
            f"the origin {o.tolist()} is more than {MAX_DISTANCE:g} bohr away: the moments about "
            "it (~ d^4) would leave floating-point range",
            field=("origin_shift",),
            fix=f"give |origin_shift| <= {MAX_DISTANCE:g} bohr",
        )
    row = box_ground_row(box, origin)
    e = row["energies"]
    q = CHARGE
    return MolecularStates(
        energies=e[1:] - e[0],
        linewidths=np.full(e.shape[0] - 1, box.linewidth),
        P=row["P"][1:],
        Q=row["Q"][1:],
        O=row["O"][1:],
        M=row["M"][1:],
        Mq=row["Mq"][1:],
        ground_first_moment=np.real(row["P"][0]) / q,
        ground_second_moment=np.real(row["Q"][0]) / q,
        n_electrons=1.0,
        charge=q,
        mass=MASS,
    )


def box_origin_reasons(
    report: Report,
    box: BoxMolecule,
    shift: ArrayLike,
    omega: ArrayLike,
    *,
    direction: ArrayLike = (0.0, 0.0, 1.0),
    definitions: tuple[str, ...] = mol.DEFINITIONS,
    index: complex = 1.0,
    tolerance: float = mol.ORIGIN_RTOL,
    max_states: int = MAX_BOX_STATES,
) -> Report:
    """``report`` (of :func:`core.molecular.material_constants_report` for ``box`` shifted by
    ``shift``) with the reason of each failed origin-independence check: the
    basis-incompleteness residual and the n_max that brings it under ``tolerance``.

    The change of the Raab-de Lange and covariant constants under a shift is the incompleteness
    of the sum over states, which for the box falls as n_max^-3 like the Thomas-Reiche-Kuhn
    residual (module docstring); the residual at n_max - 2 per axis gives the local exponent and
    :func:`core.emitters.box.power_law_cutoff` the cutoff (tests/core/test_molecular_box.py
    checks that it closes the residual). Nothing is recomputed when the checks pass.
    """
    judged = {
        mol.ORIGIN_INDEPENDENCE[d].name: d
        for d in definitions
        if mol.ORIGIN_INDEPENDENCE[d].kind != "value"
    }
    failed = {n: c for n, c in report.failed.items() if n in judged}
    if not failed:
        return report
    w = np.asarray(omega, dtype=np.float64)
    sigma = np.asarray(direction, dtype=np.float64)
    n = int(np.max(box.n_max))
    lower = np.maximum(box.n_max - 2, 1)
    n_lo = int(np.max(lower))
    rel_lo: dict[str, float] = {}
    if n_lo < n and int(np.prod(lower)) > 1:
        small = BoxMolecule(box.lengths, box.center, lower, box.linewidth)
        s0 = box_molecular_states(small)
        s1 = box_molecular_states(small, np.asarray(shift, dtype=np.float64))
        t0 = mol.molecular_tensors(s0, w, max_states=max(s0.size, 1))
        t1 = mol.molecular_tensors(s1, w, max_states=max(s1.size, 1))
        rep = mol.origin_report(t0, t1, sigma, tuple(judged.values()), index)
        rel_lo = {
            d: max(rep[d]["A"]["relative_change"], rep[d]["X"]["relative_change"])
            for d in judged.values()
        }
    trk = report.checks.get("thomas_reiche_kuhn")
    reasons: dict[str, str] = {}
    for name, c in failed.items():
        d = judged[name]
        r = float(c.value or 0.0)
        r_lo = rel_lo.get(d, 0.0)
        need, p = power_law_cutoff(n, r, n_lo, r_lo, tolerance)
        new = [int(v) + need - n for v in box.n_max]
        states = int(np.prod(new))
        at_lower = f" (n_max = {[int(v) for v in lower]}: {r_lo:.2g})" if rel_lo else ""
        trk_text = (
            f", {r / trk.value:.2g} x its Thomas-Reiche-Kuhn residual {trk.value:.2g}"
            if trk is not None and trk.value
            else ""
        )
        text = (
            f"that change is the basis-incompleteness residual of the n_max = "
            f"{[int(v) for v in box.n_max]} basis{at_lower}{trk_text}; it falls as n_max^-3 (here "
            f"n_max^-{p:.2g}), so raise n_max to {new} ({states} states) for origin_tolerance = "
            f"{tolerance:.3g}"
        )
        if states - 1 > max_states:
            text += f", beyond the limit of {max_states} states: loosen origin_tolerance instead"
        reasons[name] = text
    return with_reasons(report, reasons)
