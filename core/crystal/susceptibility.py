"""Static orbital magnetic susceptibility chi^zz of crystalline insulators (Duff & Sipe, eqs 70-73, 83-84).

Units and conventions
---------------------
Natural units of the model: hbar = 1, electron charge q = -1 (e = 1), energies in the model
energy unit E_u, lengths in the model length unit L_u. chi^zz is per unit area in 2D (per unit
volume in 3D, where B is along z). In SI a 2D value converts as

    chi_SI [A^2 m^2 / J] = chi_nat * e^2 * E_u[J] * L_u[m]^2 / hbar^2          (see ``to_si``),

and the dimensionless 3D susceptibility of a stack of layers with spacing d is mu0 chi_SI / d.
Negative chi is diamagnetic. Spin is not included (spinless models, no Zeeman term).

Three evaluations
-----------------
``chi_2`` (explicitly gauge invariant): the second-order term of the grand potential of the
Peierls Hamiltonian, Omega(B) = Omega_0 - M B - chi B^2 / 2, from the Moyal expansion of the
resolvent (module ``_words``): chi = -2 q^2 Omega_2 with

    Omega_2 = int_BZ d^Dk/(2 pi)^D  oint dz/(2 pi i) (z - mu) tr G2(k, z),

the contour enclosing the occupied energies. In the band basis every word
tr(O_1 G0^m1 ... O_s G0^ms) is a product of matrix elements of the velocity v (eq 106) and the
Hessian w (eq 103) around a closed band-index loop times an exact residue weight, so no diagonal
Berry connection ever appears and each k-point contributes a gauge-invariant number. This is the
purified, manifestly gauge-invariant form the paper calls chi_2 (eqs 83-84); the paper does not
write out the purified terms (its ref. [27]), so this module derives its own (docs/crystal.md) and
reports the parts by operator content: ``velocity`` (four velocities: the interband/Van Vleck-like
part), ``hessian_velocity`` and ``hessian_hessian`` (the occupied-state, atomic-diamagnetism-like
part; two Hessians). Two-band models use closed-form residues; N-band models a Gauss-Legendre
contour quadrature.

``chi_1`` (the paper's eqs 70-73 with the Hessian in place of hbar^2/m): chi_VV + chi_occ + chi_geo
with the "spontaneous magnetisation matrix elements" M_nm of eq 60 and Omega_nm = curl xi_nm.
These contain the diagonal Berry connections xi_nn, so they are evaluated in the paper's gauge
(eqs 98-101 generalised: for band n the orbital component with the largest Brillouin-zone weight
is made real and positive), with xi_nn computed analytically from that gauge condition and
d xi_nm from the sum rule 102 plus eq 86. In a trivial insulator the result does not depend on
the gauge; in a Chern insulator no smooth periodic gauge exists and it does.

``chi_hofstadter`` (independent check): the ground-state energy of the Peierls model on magnetic
supercells at flux p/q per cell, E(phi) fitted in phi^2; exact for the same Hamiltonian and
sharing no formula with the two above.

References: :data:`core.references.DUFF_SIPE`; M. Ogata and H. Fukuyama, J. Phys. Soc. Jpn. 84, 124708
(2015), doi:10.7566/JPSJ.84.124708 (the chi_inter + chi_occ + chi_occ2 decomposition the paper
compares with); M. Koshino and T. Ando, Phys. Rev. B 81, 195431 (2010),
doi:10.1103/PhysRevB.81.195431 (gapped Dirac value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import constants as sc

from core.crystal import _words
from core.crystal.bloch import (
    CHUNK_POINTS,
    MAX_K_POINTS,
    bloch_derivatives,
    check_k_points,
    eigh_batched,
    monkhorst_grid,
    occupied_count,
    to_band_basis,
)
from core.crystal.edges import STARTS
from core.crystal.model import TightBindingModel
from core.errors import InvalidInput, LimitExceeded, NotAnInsulator

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
#: ``u_transform(k, E, U) -> U'``: a change of the eigenvectors' gauge (tests of gauge invariance).
UTransform = Callable[[FloatArray, FloatArray, ComplexArray], ComplexArray]

#: Gap (model energy unit) under which a model counts as gapless.
GAP_TOL: Final = 1e-6
#: Budget of k-points x N^4 for the N-band contour quadrature of chi_2 (~30 s on one core).
QUADRATURE_WORK: Final = 4_000_000

_OP_INDEX: Final = {op: i for i, op in enumerate(_words.OPS)}
PARTS_CHI2: Final[tuple[str, ...]] = ("velocity", "hessian_velocity", "hessian_hessian")


def _word_tables(
    words: dict,
) -> tuple[
    NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], ComplexArray, NDArray[np.int64]
]:
    nw = len(words)
    ops = np.zeros((nw, 4), dtype=np.int64)
    mult = np.zeros((nw, 4), dtype=np.int64)
    length = np.zeros(nw, dtype=np.int64)
    coef = np.zeros(nw, dtype=np.complex128)
    part = np.zeros(nw, dtype=np.int64)
    for i, (w, c) in enumerate(words.items()):
        length[i] = len(w)
        coef[i] = c
        for j, (op, m) in enumerate(w):
            ops[i, j] = _OP_INDEX[op]
            mult[i, j] = m
        part[i] = sum(1 for op, _ in w if len(op) == 2)
    return ops, mult, length, coef, part


_T1 = _word_tables(_words.WORDS_G1)
_T2 = _word_tables(_words.WORDS_G2)


def _combo_tables() -> tuple[
    NDArray[np.int64],
    ComplexArray,
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
]:
    """Flatten the words of tr G2 (parts 0-2) and tr G1 (part 3) into two-band index loops.

    Each entry is one assignment of valence (0) / conduction (1) to the band indices of a word,
    kept only when its residue weight I(p, q) can be non-zero (p >= 1, and q >= 1 or p <= 2).
    """
    parts, coefs, opss, idxs, lens, ps, qs = [], [], [], [], [], [], []
    for words, base in ((_words.WORDS_G2, None), (_words.WORDS_G1, 3)):
        seen: set = set()
        for w, c in words.items():
            # a word and its reverse have conjugate traces (Hermitian operators) and conjugate
            # coefficients, so for the real part one of them with twice the weight suffices
            r = _words.reverse(w)
            if r in seen:
                continue
            seen.add(w)
            if r != w:
                if abs(words[r] - np.conj(c)) > 1e-12:  # pragma: no cover - structural guarantee
                    raise RuntimeError("word table is not closed under reversal")
                c = 2 * c
            s_ = len(w)
            part = base if base is not None else sum(1 for op, _ in w if len(op) == 2)
            for comb in range(1 << s_):
                bits = [(comb >> j) & 1 for j in range(s_)]
                p = sum(m for (op, m), b in zip(w, bits, strict=True) if b == 0)
                q = sum(m for (op, m), b in zip(w, bits, strict=True) if b == 1)
                if p == 0 or (q == 0 and p > 2):
                    continue
                parts.append(part)
                coefs.append(c)
                opss.append([_OP_INDEX[op] for op, _ in w] + [0] * (4 - s_))
                idxs.append(bits + [0] * (4 - s_))
                lens.append(s_)
                ps.append(p)
                qs.append(q)
    return (
        np.array(parts, dtype=np.int64),
        np.array(coefs, dtype=np.complex128),
        np.array(opss, dtype=np.int64),
        np.array(idxs, dtype=np.int64),
        np.array(lens, dtype=np.int64),
        np.array(ps, dtype=np.int64),
        np.array(qs, dtype=np.int64),
    )


_COMBOS = _combo_tables()


def to_si(chi_nat: float, energy_unit_joule: float, length_unit_m: float) -> float:
    """Convert a 2D chi from natural units (hbar = e = 1) to SI, A^2 m^2 / J (= J / T^2 / m^2)."""
    return chi_nat * sc.e**2 * energy_unit_joule * length_unit_m**2 / sc.hbar**2


def dirac_two_valley_chi(v: float, mass: float, valleys: int = 2) -> float:
    """Orbital susceptibility of gapped 2D Dirac cones at half filling (natural units, per area).

    H = v (tau k_x sigma_x + k_y sigma_y) + m sigma_z has Landau levels
    E = +-sqrt(m^2 + 2 n v^2 |B|) (n >= 1) and one level at -+m; summing the filled levels with
    Euler-Maclaurin gives E(B) - E(0) = (|B|/2pi) [(1/2 - s) |m| + v^2 |B| / (12 |m|)] + O(B^3),
    hence chi = -v^2 / (12 pi |m|) per valley (e = hbar = 1; gap 2|m|). SI: -e^2 v^2/(12 pi |m|)
    with v in m/s. Agrees with Koshino & Ando, PRB 81, 195431 (2010): chi = -g e^2 v^2/(6 pi)
    x theta(|m| - |mu|) / (2|m|).
    """
    return -valleys * v * v / (12.0 * np.pi * abs(mass))


# ---------------------------------------------------------------------------------------------
# Gap check
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapInfo:
    """The occupied/empty split of a model on a grid (model energy unit)."""

    n_occ: int
    valence_max: float
    conduction_min: float
    direct_gap_min: float

    @property
    def gap(self) -> float:
        """Indirect (global) gap: conduction minimum minus valence maximum."""
        return self.conduction_min - self.valence_max

    @property
    def mu(self) -> float:
        """Chemical potential in the middle of the gap."""
        return 0.5 * (self.conduction_min + self.valence_max)


def require_gap(info: GapInfo, what: str, field_path: tuple[str | int, ...] = ("model",)) -> None:
    """Raise :class:`NotAnInsulator` when the global gap is below :data:`GAP_TOL`."""
    if info.gap <= GAP_TOL:
        raise NotAnInsulator(
            f"{what} is defined for insulators only: the gap above band {info.n_occ - 1} is "
            f"{info.gap:.3g} on this grid (direct gap minimum {info.direct_gap_min:.3g})",
            gap=float(info.gap),
            field=field_path,
            fix="choose parameters with a gap at this filling (e.g. |t2 sin phi| != M/(3 sqrt 3) "
            "in the Haldane model), or another filling",
        )


# ---------------------------------------------------------------------------------------------
# chi_2: Moyal / Green's-function words with exact residues
# ---------------------------------------------------------------------------------------------

_BINOM: Final = np.array(
    [
        [
            float(np.prod(np.arange(n - k + 1, n + 1)) / np.prod(np.arange(1, k + 1)))
            if k <= n
            else 0.0
            for k in range(16)
        ]
        for n in range(16)
    ]
)

try:  # pragma: no cover - numba is a declared dependency
    import numba

    from core.crystal._wordkernel import eval_words

    @numba.njit(cache=True, fastmath=True)
    def _ipq_tables(delta: float, ta: np.ndarray, tb: np.ndarray, inv: np.ndarray) -> None:
        """Residue weights I[p, q] = A[p, q] + (E_v - mu) B[p, q] of
        oint dz/2pi i (z - mu) (z - E_v)^-p (z - E_c)^-q around E_v, delta = E_c - E_v:

        I[1, 0] = E_v - mu, I[2, 0] = 1, I[p>=3, 0] = I[0, q] = 0 and for p, q >= 1
        I[p, q] = (-1)^q [C(q+p-3, p-2) delta^-(q+p-2) (p >= 2) + (E_v - mu) C(q+p-2, p-1)
        delta^-(q+p-1)] (residue of a pole of order p at E_v). ``inv`` is a scratch buffer.
        """
        size = ta.shape[0]
        inv[0] = 1.0
        r = 1.0 / delta
        for j in range(1, inv.shape[0]):
            inv[j] = inv[j - 1] * r
        for p in range(size):
            for q in range(size):
                ta[p, q] = 0.0
                tb[p, q] = 0.0
        tb[1, 0] = 1.0
        ta[2, 0] = 1.0
        for p in range(1, size):
            for q in range(1, size - p + 1):
                sgn = -1.0 if q % 2 else 1.0
                tb[p, q] = sgn * _BINOM[q + p - 2, p - 1] * inv[q + p - 1]
                if p >= 2:
                    ta[p, q] = sgn * _BINOM[q + p - 3, p - 2] * inv[q + p - 2]

    @numba.njit(cache=True)
    def _binom(n: int, k: int) -> float:
        if k < 0 or k > n:
            return 0.0
        r = 1.0
        for i in range(1, k + 1):
            r = r * (n - k + i) / i
        return r

    @numba.njit(cache=True)
    def _band_ops(u, dh, d2h, ops):
        """ops[o] = U^dagger X_o U for X in (h_x, h_y, h_xx, h_xy, h_yy)."""
        n = u.shape[0]
        tmp = np.empty((n, n), dtype=np.complex128)
        for o in range(5):
            if o == 0:
                x = dh[0]
            elif o == 1:
                x = dh[1]
            elif o == 2:
                x = d2h[0, 0]
            elif o == 3:
                x = d2h[0, 1]
            else:
                x = d2h[1, 1]
            for i in range(n):
                for j in range(n):
                    s = 0j
                    for li in range(n):
                        s += x[i, li] * u[li, j]
                    tmp[i, j] = s
            for i in range(n):
                for j in range(n):
                    s = 0j
                    for li in range(n):
                        s += np.conj(u[li, i]) * tmp[li, j]
                    ops[o, i, j] = s

    @numba.njit(parallel=True, cache=True)
    def _words_quadrature(
        e, u, dh, d2h, mu, nodes, weights, wops, wmult, wlen, wcoef, wpart, nparts, out
    ):
        """N-band: oint dz/2pi i (z - mu) F(z) = (1/2pi) int dw (i w) F(mu + i w) by quadrature."""
        nk = e.shape[0]
        n = e.shape[1]
        nz = nodes.shape[0]
        for k in numba.prange(nk):
            ops = np.empty((5, n, n), dtype=np.complex128)
            _band_ops(u[k], dh[k], d2h[k], ops)
            res = np.empty((nz, n), dtype=np.complex128)
            for li in range(nz):
                for b in range(n):
                    res[li, b] = 1.0 / (mu + 1j * nodes[li] - e[k, b])
            acc = np.zeros(nparts, dtype=np.complex128)
            idx = np.zeros(4, dtype=np.int64)
            for w in range(wops.shape[0]):
                s = wlen[w]
                ncomb = n**s
                tot = 0j
                for c in range(ncomb):
                    cc = c
                    for j in range(s):
                        idx[j] = cc % n
                        cc //= n
                    prod = ops[wops[w, 0], idx[s - 1], idx[0]]
                    for j in range(1, s):
                        prod *= ops[wops[w, j], idx[j - 1], idx[j]]
                    if prod == 0:
                        continue
                    wt = 0j
                    for li in range(nz):
                        f = 1j * nodes[li] * weights[li]
                        for j in range(s):
                            r = res[li, idx[j]]
                            for _m in range(wmult[w, j]):
                                f *= r
                        wt += f
                    tot += prod * wt / (2.0 * np.pi)
                acc[wpart[w]] += wcoef[w] * tot
            for i in range(nparts):
                out[k, i] = acc[i].real

    @numba.njit(parallel=True, cache=True, fastmath=True, error_model="numpy")
    def _fused_two_band(
        nsz,
        row0,
        axis_phase,
        bd,
        bamp,
        bfrom,
        bto,
        onsite,
        e_out,
        e_part,
        e_coef,
        e_ops,
        e_idx,
        e_len,
        e_p,
        e_q,
        out,
        generated,
    ):
        """Two-band chi_2 and M integrands on a grid, H(k) and derivatives built per k from bonds.

        The residue weights are linear in E_v - mu, I = A + (E_v - mu) B, so one pass needs no mu:
        out[i, k] = sum coef prod (A + E_v B) and out[4 + i, k] = sum coef prod B for parts
        i = 0..2 (Omega_2) and 3 (Omega_1, part index 3 in e_part); e_out[k] = (E_v, E_c). The
        caller subtracts mu * out[4 + i] once mu (mid-gap) is known; k runs along the last axis,
        so numpy sums each row pairwise. ``generated`` selects the straight-line word evaluation
        of :mod:`core.crystal._wordkernel` (same entries, faster; generated from ``_COMBOS`` by
        ``scripts/generate_crystal_words.py``, ``make generate``) over the table-driven loop.
        ``nsz`` = (rows, n2, n3) are the grid rows r0 <= i1 < r0 + rows (``row0`` = r0) of the
        grid whose per-axis phases are ``axis_phase``; out and e_out hold those rows' k-points only
        (same order as the grid), so a row block gives bit-for-bit the whole grid's entries.
        Work is split in blocks of k-points so that the small buffers are allocated once a block.
        """
        n1, n2, n3 = nsz[0], nsz[1], nsz[2]
        nk = n1 * n2 * n3
        dim = bd.shape[1]
        nb = bd.shape[0]
        block = 512
        nblk = (nk + block - 1) // block
        ne = e_part.shape[0]
        for blk in numba.prange(nblk):
            x = np.empty((6, 2, 2), dtype=np.complex128)
            u = np.empty((2, 2), dtype=np.complex128)
            ops = np.empty((5, 2, 2), dtype=np.complex128)
            table = np.empty((6, 6))
            table_b = np.empty((6, 6))
            invbuf = np.empty(12)
            acc = np.empty(4)
            accb = np.empty(4)
            vals = np.empty(6, dtype=np.complex128)
            for kk in range(blk * block, min(nk, (blk + 1) * block)):
                i1 = row0 + kk // (n2 * n3)
                i2 = (kk // n3) % n2
                i3 = kk % n3
                # x: 0 H, 1 hx, 2 hy, 3 hxx, 4 hxy, 5 hyy (orbital basis)
                x[:] = 0.0
                x[0, 0, 0] = onsite[0]
                x[0, 1, 1] = onsite[1]
                for b in range(nb):
                    dx = bd[b, 0]
                    dy = bd[b, 1]
                    # e^{i k.d} = prod_r e^{i red_r (b_r . d)}: precomputed per grid axis
                    ph = bamp[b] * axis_phase[0, i1, b] * axis_phase[1, i2, b]
                    if dim == 3:
                        ph *= axis_phase[2, i3, b]
                    i = bfrom[b]
                    j = bto[b]
                    vals[0] = ph
                    vals[1] = 1j * dx * ph
                    vals[2] = 1j * dy * ph
                    vals[3] = -dx * dx * ph
                    vals[4] = -dx * dy * ph
                    vals[5] = -dy * dy * ph
                    for o in range(6):
                        x[o, i, j] += vals[o]
                        x[o, j, i] += np.conj(vals[o])
                # closed-form eigenvectors (same formulas as eigh_batched)
                f0 = 0.5 * (x[0, 0, 0].real + x[0, 1, 1].real)
                fz = 0.5 * (x[0, 0, 0].real - x[0, 1, 1].real)
                fxy = x[0, 1, 0]
                fn = np.sqrt(fz * fz + fxy.real * fxy.real + fxy.imag * fxy.imag)
                ev = f0 - fn
                ec = f0 + fn
                if fz >= 0.0:
                    a = fz + fn
                    up0 = a + 0j
                    up1 = fxy
                    um0 = -np.conj(fxy)
                    um1 = a + 0j
                else:
                    bb = fn - fz
                    up0 = np.conj(fxy)
                    up1 = bb + 0j
                    um0 = -bb + 0j
                    um1 = fxy
                nrm = np.sqrt(abs(up0) ** 2 + abs(up1) ** 2)
                u[0, 0] = um0 / nrm
                u[1, 0] = um1 / nrm
                u[0, 1] = up0 / nrm
                u[1, 1] = up1 / nrm
                for o in range(5):
                    for r in range(2):
                        t0 = x[o + 1, 0, 0] * u[0, r] + x[o + 1, 0, 1] * u[1, r]
                        t1 = x[o + 1, 1, 0] * u[0, r] + x[o + 1, 1, 1] * u[1, r]
                        for c in range(2):
                            ops[o, c, r] = np.conj(u[0, c]) * t0 + np.conj(u[1, c]) * t1
                e_out[kk, 0] = ev
                e_out[kk, 1] = ec
                _ipq_tables(ec - ev, table, table_b, invbuf)
                for p_ in range(6):
                    for q_ in range(6):
                        table[p_, q_] += ev * table_b[p_, q_]
                if generated:
                    eval_words(ops, table, table_b, acc, accb)
                else:
                    acc[:] = 0.0
                    accb[:] = 0.0
                    for t in range(ne):
                        s_ = e_len[t]
                        prod = ops[e_ops[t, 0], e_idx[t, s_ - 1], e_idx[t, 0]]
                        for j in range(1, s_):
                            prod *= ops[e_ops[t, j], e_idx[t, j - 1], e_idx[t, j]]
                        cp = (e_coef[t] * prod).real
                        acc[e_part[t]] += cp * table[e_p[t], e_q[t]]
                        accb[e_part[t]] += cp * table_b[e_p[t], e_q[t]]
                for i in range(4):
                    out[i, kk] = acc[i]
                    out[4 + i, kk] = accb[i]

    @numba.njit(parallel=True, cache=True)
    def _fused_two_band_eig(nsz, shift, rec, bd, bamp, bfrom, bto, onsite, e_out, u_out, want_u):
        """E_v, E_c (e_out (K, 2)) and, if ``want_u``, eigenvectors (u_out (K, 2, 2), columns) of a
        two-band model on a grid; same closed form as :func:`core.crystal.bloch.eigh_batched`."""
        n1, n2, n3 = nsz[0], nsz[1], nsz[2]
        nk = n1 * n2 * n3
        dim = rec.shape[0]
        for kk in numba.prange(nk):
            i1 = kk // (n2 * n3)
            i2 = (kk // n3) % n2
            i3 = kk % n3
            red = ((i1 + shift) / n1, (i2 + shift) / n2, (i3 + shift) / n3)
            h00 = onsite[0] + 0j
            h11 = onsite[1] + 0j
            h10 = 0j
            for b in range(bd.shape[0]):
                arg = 0.0
                for a in range(dim):
                    ka = 0.0
                    for r in range(dim):
                        ka += red[r] * rec[r, a]
                    arg += ka * bd[b, a]
                ph = bamp[b] * (np.cos(arg) + 1j * np.sin(arg))
                i = bfrom[b]
                j = bto[b]
                if i == j:
                    if i == 0:
                        h00 += ph + np.conj(ph)
                    else:
                        h11 += ph + np.conj(ph)
                elif i == 0:
                    h10 += np.conj(ph)
                else:
                    h10 += ph
            f0 = 0.5 * (h00.real + h11.real)
            fz = 0.5 * (h00.real - h11.real)
            fn = np.sqrt(fz * fz + h10.real * h10.real + h10.imag * h10.imag)
            e_out[kk, 0] = f0 - fn
            e_out[kk, 1] = f0 + fn
            if want_u:
                if fz >= 0.0:
                    a_ = fz + fn
                    up0 = a_ + 0j
                    up1 = h10
                    um0 = -np.conj(h10)
                    um1 = a_ + 0j
                else:
                    bb = fn - fz
                    up0 = np.conj(h10)
                    up1 = bb + 0j
                    um0 = -bb + 0j
                    um1 = h10
                nrm = np.sqrt(abs(up0) ** 2 + abs(up1) ** 2)
                if nrm <= 1e-300:
                    u_out[kk, 0, 0] = 1.0
                    u_out[kk, 1, 0] = 0.0
                    u_out[kk, 0, 1] = 0.0
                    u_out[kk, 1, 1] = 1.0
                else:
                    u_out[kk, 0, 0] = um0 / nrm
                    u_out[kk, 1, 0] = um1 / nrm
                    u_out[kk, 0, 1] = up0 / nrm
                    u_out[kk, 1, 1] = up1 / nrm

    @numba.njit(parallel=True, cache=True)
    def _fhs_band_phases(u, tw1, tw2, out):
        """FHS plaquette phase of every band: out[i, j, n] = arg(U1 U2(k+1) U1(k+2)* U2(k)*),
        u (n1, n2, N, N) with the twist u(k + b_r) = diag(tw_r) u(k) across the boundary."""
        n1, n2, no, nb = u.shape
        for i in numba.prange(n1):
            ip = (i + 1) % n1
            w1 = i == n1 - 1
            for j in range(n2):
                jp = (j + 1) % n2
                w2 = j == n2 - 1
                for n in range(nb):
                    s1 = 0j
                    s2 = 0j
                    s3 = 0j
                    s4 = 0j
                    for o in range(no):
                        a = u[i, j, o, n]
                        b1 = u[ip, j, o, n]
                        if w1:
                            b1 *= tw1[o]
                        b2 = u[i, jp, o, n]
                        if w2:
                            b2 *= tw2[o]
                        b12 = u[ip, jp, o, n]
                        if w1:
                            b12 *= tw1[o]
                        if w2:
                            b12 *= tw2[o]
                        s1 += np.conj(a) * b1
                        s2 += np.conj(b1) * b12
                        s3 += np.conj(b2) * b12
                        s4 += np.conj(a) * b2
                    out[i, j, n] = np.angle(s1 * s2 * np.conj(s3) * np.conj(s4))

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def _contour_nodes(scale: float, num: int = 96) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights for int_{-inf}^{inf} dw f(w) with w = scale tan(pi x / 2)."""
    x, wx = np.polynomial.legendre.leggauss(num)
    w = scale * np.tan(0.5 * np.pi * x)
    jac = scale * 0.5 * np.pi / np.cos(0.5 * np.pi * x) ** 2
    return w, wx * jac


@dataclass(frozen=True)
class SusceptibilityResult:
    """chi^zz and its parts (natural units, per unit area/volume), with the grid used."""

    chi: float
    parts: dict[str, float]
    magnetization: float
    grid: tuple[int, ...]
    gap: GapInfo
    extra: dict[str, float] = field(default_factory=dict)


def _grid_chunks(model: TightBindingModel, n: int | tuple[int, ...], shift: float, chunk: int):
    kpts, _ = monkhorst_grid(model, n, shift)
    for s in range(0, kpts.shape[0], chunk):
        yield kpts[s : s + chunk]


def _grid_sizes(model: TightBindingModel, ns: tuple[int, ...]) -> NDArray[np.int64]:
    return np.array(list(ns) + [1] * (3 - len(ns)), dtype=np.int64)


def _bond_arrays(
    model: TightBindingModel,
) -> tuple[FloatArray, ComplexArray, NDArray[np.int64], NDArray[np.int64], FloatArray]:
    return (
        np.ascontiguousarray(model.bond_vectors()),
        np.ascontiguousarray(model.hop_amplitude),
        np.ascontiguousarray(model.hop_from),
        np.ascontiguousarray(model.hop_to),
        np.ascontiguousarray(model.onsite),
    )


def _axis_phases(model: TightBindingModel, ns: tuple[int, ...], shift: float) -> ComplexArray:
    """P[r, i, b] = exp(i (i + shift)/n_r (b_r . d_b)) for each grid axis r and bond b (3, nmax, H)."""
    d = model.bond_vectors()
    rec = model.reciprocal
    nmax = max(ns)
    out = np.ones((3, nmax, d.shape[0]), dtype=np.complex128)
    for r, n_r in enumerate(ns):
        red = (np.arange(n_r) + shift) / n_r
        out[r, :n_r] = np.exp(1j * red[:, None] * (d @ rec[r])[None, :])
    return out


def scan_gap(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    filling: int | None = None,
    shift: float = 0.0,
    chunk: int = CHUNK_POINTS,
) -> GapInfo:
    """Valence maximum, conduction minimum and minimum direct gap on a grid."""
    nocc = occupied_count(model, filling)
    ns = (n,) * model.dim if isinstance(n, int) else tuple(n)
    if model.norb == 2 and HAVE_NUMBA:
        out = np.empty((int(np.prod(ns)), 2))
        _fused_two_band_eig(
            _grid_sizes(model, ns),
            float(shift),
            np.ascontiguousarray(model.reciprocal),
            *_bond_arrays(model),
            out,
            np.empty((1, 2, 2), dtype=np.complex128),
            False,
        )
        return GapInfo(
            1, float(out[:, 0].max()), float(out[:, 1].min()), float((out[:, 1] - out[:, 0]).min())
        )
    vmax, cmin, dmin = -np.inf, np.inf, np.inf
    for kc in _grid_chunks(model, ns, shift, chunk):
        e, _ = eigh_batched(bloch_derivatives(model, kc, order=0).h)
        vmax = max(vmax, float(e[:, nocc - 1].max()))
        cmin = min(cmin, float(e[:, nocc].min()))
        dmin = min(dmin, float((e[:, nocc] - e[:, nocc - 1]).min()))
    return GapInfo(nocc, vmax, cmin, dmin)


def grid_eigensystem(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    shift: float = 0.0,
    chunk: int = CHUNK_POINTS,
) -> tuple[FloatArray, ComplexArray]:
    """Energies (K, N) and eigenvectors (K, N, N) on the grid of :func:`monkhorst_grid` (same order)."""
    ns = (n,) * model.dim if isinstance(n, int) else tuple(n)
    nk = int(np.prod(ns))
    if model.norb == 2 and HAVE_NUMBA:
        e = np.empty((nk, 2))
        u = np.empty((nk, 2, 2), dtype=np.complex128)
        _fused_two_band_eig(
            _grid_sizes(model, ns),
            float(shift),
            np.ascontiguousarray(model.reciprocal),
            *_bond_arrays(model),
            e,
            u,
            True,
        )
        return e, u
    es, us = [], []
    for kc in _grid_chunks(model, ns, shift, chunk):
        e, u = eigh_batched(bloch_derivatives(model, kc, order=0).h)
        es.append(e)
        us.append(u)
    return np.concatenate(es), np.concatenate(us)


# ---------------------------------------------------------------------------------------------
# Row blocks: every k-sum as partial sums over contiguous blocks of grid rows, then a reduction
# ---------------------------------------------------------------------------------------------
#
# A Brillouin-zone sum sum_k f(k) over the grid of :func:`monkhorst_grid` is cut along its first
# axis into blocks of rows r0 <= i_0 < r1; each block returns the partial sums of its k-points
# (and the band-edge samples of :class:`EdgeSamples`), and the reduction adds them in row order.
# Every entry f(k) is computed by the same arithmetic whatever the block, so a split sum differs
# from the single one by the order of the additions only. The single-process functions
# (``chi_2``, ``chi_1``) are one block over all rows followed by the same reduction.

Rows = tuple[int, int]


def _row_stride(ns: tuple[int, ...]) -> int:
    """k-points in one row (one index of the first grid axis)."""
    return int(np.prod(ns[1:], dtype=np.int64))


def check_rows(ns: tuple[int, ...], rows: Rows) -> None:
    """Raise ``ValueError`` unless ``rows`` = (r0, r1) is a non-empty block of the grid's rows."""
    r0, r1 = rows
    if not 0 <= r0 < r1 <= ns[0]:
        raise ValueError(f"rows {rows} are not a block of the {ns[0]} rows of the grid {ns}")


def _check_cover(ns: tuple[int, ...], blocks: Sequence[Rows]) -> None:
    """Raise ``ValueError`` unless ``blocks`` (in order) tile the rows 0..ns[0] once each."""
    stop = 0
    for r0, r1 in blocks:
        if r0 != stop or r1 <= r0:
            break
        stop = r1
    else:
        if stop == ns[0]:
            return
    raise ValueError(f"the blocks {list(blocks)} do not tile the {ns[0]} rows of the grid {ns}")


def _row_points(
    model: TightBindingModel, ns: tuple[int, ...], shift: float, rows: Rows
) -> FloatArray:
    """Cartesian k-points (K, D) of the grid rows r0 <= i_0 < r1, in the order of
    :func:`monkhorst_grid` (last reduced coordinate fastest).

    The reduced coordinates are (i_r + shift) / n_r and k = sum_r red_r b_r is formed element by
    element (no matrix product), so a point has the same bits in every block that contains it.
    """
    check_rows(ns, rows)
    axes = [(np.arange(m) + shift) / m for m in ns]
    axes[0] = axes[0][rows[0] : rows[1]]
    red = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(ns))
    rec = model.reciprocal
    k = red[:, :1] * rec[0]
    for r in range(1, len(ns)):
        k = k + red[:, r : r + 1] * rec[r]
    return k


def _row_chunks(
    model: TightBindingModel, ns: tuple[int, ...], shift: float, rows: Rows, chunk: int
) -> Iterator[FloatArray]:
    kpts = _row_points(model, ns, shift, rows)
    for s in range(0, kpts.shape[0], chunk):
        yield kpts[s : s + chunk]


def _best(key: FloatArray, m: int) -> NDArray[np.int64]:
    """Positions of the ``m`` smallest entries of ``key``, smallest first, ties to the lower
    position (a total order, so the best of row blocks merge into the best of the grid)."""
    if key.shape[0] > m:
        kth = np.partition(key, m - 1)[m - 1]
        pos = np.flatnonzero(key <= kth)
    else:
        pos = np.arange(key.shape[0])
    return pos[np.lexsort((pos, key[pos]))][:m]


Sample = tuple[int, float]


@dataclass(frozen=True)
class EdgeSamples:
    """The grid points nearest the band edges of the occupied/empty split, best first.

    Band energies E_n(k) of H(k) (Duff & Sipe eq 95).

    Each entry is (flat grid index, energy [model energy unit]); ``direct``: the smallest direct
    gaps E_c - E_v, ``valence``: the highest E_v, ``conduction``: the lowest E_c (E_v, E_c the
    highest occupied and the lowest empty band at filling ``n_occ``), at most ``starts`` each.
    Ties go to the lower grid index, so :meth:`merge` of the samples of row blocks is the samples
    of the whole grid, entry for entry. The first entries are the grid's extremes
    (:meth:`gap_info`); all of them are the start points of
    :func:`core.crystal.edges.refine_band_edges`.
    """

    n_occ: int
    starts: int
    direct: tuple[Sample, ...]
    valence: tuple[Sample, ...]
    conduction: tuple[Sample, ...]

    @classmethod
    def of_energies(
        cls, n_occ: int, ev: FloatArray, ec: FloatArray, offset: int, starts: int = STARTS
    ) -> EdgeSamples:
        """The samples of the block whose k-points have flat grid indices offset, offset + 1, ...
        and band energies ``ev`` = E_{n_occ - 1}, ``ec`` = E_{n_occ} (K,)."""

        def take(key: FloatArray, val: FloatArray) -> tuple[Sample, ...]:
            return tuple((offset + int(i), float(val[i])) for i in _best(key, starts))

        dgap = ec - ev
        return cls(n_occ, starts, take(dgap, dgap), take(-ev, ev), take(ec, ec))

    @classmethod
    def merge(cls, samples: Sequence[EdgeSamples]) -> EdgeSamples:
        """The samples of the union of blocks (disjoint grid indices)."""
        first = samples[0]
        if any((s.n_occ, s.starts) != (first.n_occ, first.starts) for s in samples):
            raise ValueError("edge samples of different fillings or start counts")

        def best(entries: list[Sample], sign: float) -> tuple[Sample, ...]:
            return tuple(sorted(entries, key=lambda e: (sign * e[1], e[0]))[: first.starts])

        return cls(
            first.n_occ,
            first.starts,
            best([e for s in samples for e in s.direct], 1.0),
            best([e for s in samples for e in s.valence], -1.0),
            best([e for s in samples for e in s.conduction], 1.0),
        )

    def gap_info(self) -> GapInfo:
        """The grid's valence maximum, conduction minimum and smallest direct gap."""
        return GapInfo(self.n_occ, self.valence[0][1], self.conduction[0][1], self.direct[0][1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (lists of [index, energy])."""
        return {
            "n_occ": self.n_occ,
            "starts": self.starts,
            "direct": [list(e) for e in self.direct],
            "valence": [list(e) for e in self.valence],
            "conduction": [list(e) for e in self.conduction],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EdgeSamples:
        """Inverse of :meth:`to_dict`."""

        def entries(key: str) -> tuple[Sample, ...]:
            return tuple((int(i), _num(v)) for i, v in d[key])

        return cls(
            int(d["n_occ"]),
            int(d["starts"]),
            entries("direct"),
            entries("valence"),
            entries("conduction"),
        )


def _column_sums(x: FloatArray) -> FloatArray:
    """Sums over the first axis of (K, M), pairwise (numpy sums a contiguous axis pairwise, with
    error ~ log(K) eps; along a strided axis it adds one row after another, ~ K eps)."""
    return np.ascontiguousarray(x.T).sum(axis=1)


def _num(x: Any) -> float:
    """A float of a JSON value (JSON writers turn nan and inf into null)."""
    return float("nan") if x is None else float(x)


def _edge_energies(
    model: TightBindingModel, ns: tuple[int, ...], nocc: int, shift: float, chunk: int
) -> tuple[FloatArray, FloatArray]:
    """E_{nocc-1}(k) and E_{nocc}(k) on the whole grid (K,) each (batched eigh, any N)."""
    ev, ec = [], []
    for kc in _row_chunks(model, ns, shift, (0, ns[0]), chunk):
        e, _ = eigh_batched(bloch_derivatives(model, kc, order=0).h)
        ev.append(e[:, nocc - 1])
        ec.append(e[:, nocc])
    return np.concatenate(ev), np.concatenate(ec)


@dataclass(frozen=True)
class Chi2Partial:
    """The k-sums of chi_2 over a block of grid rows (see :func:`chi2_partial`).

    ``method`` ``"two_band"``: ``sums`` are the eight mu-free sums sum_k (A + E_v B) of parts
    0-2 of tr G2 and part 3 (tr G1), then sum_k B of the same (residue weights I = A + (E_v - mu)
    B, linear in mu), so that Omega_2 parts = sums[:3] - mu sums[4:7] and Omega_1 = sums[3] -
    mu sums[7] with the whole grid's mu. ``"quadrature"``: the contour quadrature needs mu inside
    the integrand, so every block finds the whole grid's mid-gap ``mu`` itself and ``sums`` are
    the three parts of tr G2 and of tr G1 at that mu (empty when the grid has no gap). All sums
    are un-normalised (no 1/N_k, no cell volume).
    """

    rows: Rows
    npts: int
    method: Literal["two_band", "quadrature"]
    sums: tuple[float, ...]
    mu: float | None
    edges: EdgeSamples

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "rows": list(self.rows),
            "npts": self.npts,
            "method": self.method,
            "sums": list(self.sums),
            "mu": self.mu,
            "edges": self.edges.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Chi2Partial:
        """Inverse of :meth:`to_dict`."""
        method = d["method"]
        if method not in ("two_band", "quadrature"):
            raise ValueError(f"unknown chi_2 method {method!r}")
        r0, r1 = d["rows"]
        return cls(
            (int(r0), int(r1)),
            int(d["npts"]),
            method,
            tuple(_num(x) for x in d["sums"]),
            None if d["mu"] is None else float(d["mu"]),
            EdgeSamples.from_dict(d["edges"]),
        )


def chi2_method(
    model: TightBindingModel, method: str = "auto", u_transform: object = None
) -> Literal["two_band", "quadrature"]:
    """The evaluation ``chi_2`` uses: closed-form residues (two bands) or contour quadrature."""
    if method not in ("auto", "two_band", "quadrature"):
        raise InvalidInput("method must be 'auto', 'two_band' or 'quadrature'", field=("method",))
    if method == "two_band" and model.norb != 2:
        raise InvalidInput("method 'two_band' needs a two-band model", field=("method",))
    two = model.norb == 2 and method in ("auto", "two_band") and u_transform is None
    return "two_band" if two else "quadrature"


def check_chi2_size(
    model: TightBindingModel,
    ns: tuple[int, ...],
    method: Literal["two_band", "quadrature"],
    max_k_points: int = MAX_K_POINTS,
) -> None:
    """Raise :class:`LimitExceeded` for a grid over ``max_k_points`` or, on the quadrature path,
    over the work budget :data:`QUADRATURE_WORK` (k-points x N^4); sizes only."""
    nkp = int(np.prod(ns))
    check_k_points(nkp, max_k_points)
    if method == "quadrature":
        allowed = max(1, QUADRATURE_WORK // model.norb**4)
        if nkp > allowed:
            raise LimitExceeded(
                f"{nkp} k-points for a {model.norb}-band model: the contour-quadrature evaluation "
                f"costs ~N^4 per k-point and is limited to {allowed} k-points at N = {model.norb}",
                limit_name="max_k_points",
                limit=allowed,
                requested=nkp,
                field=("grid", "n"),
                fix="use a coarser grid (chi_2 converges fast for gapped models) or fewer bands",
            )


def chi2_partial(
    model: TightBindingModel,
    ns: tuple[int, ...],
    rows: Rows,
    *,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = CHUNK_POINTS,
    method: Literal["two_band", "quadrature"] = "two_band",
    u_transform: UTransform | None = None,
    generated: bool = True,
    starts: int = STARTS,
) -> Chi2Partial:
    """The k-sums of chi_2 (and the band-edge samples) over the grid rows r0 <= i_0 < r1.

    ``method`` as given by :func:`chi2_method`; the other parameters as in :func:`chi_2`. The
    quadrature path also diagonalises the whole grid (band energies only, ~N^3 per k-point
    against ~N^4 x 96 nodes for the block's quadrature) to place the contour at the whole grid's
    mid-gap mu. No gap check here: :func:`chi2_reduce` judges the whole grid.
    """
    if not HAVE_NUMBA:  # pragma: no cover
        raise RuntimeError("numba is required for chi_2")
    check_rows(ns, rows)
    r0, r1 = rows
    offset = r0 * _row_stride(ns)
    nocc = occupied_count(model, filling)
    if method == "two_band":
        nsz = _grid_sizes(model, ns)
        nsz[0] = r1 - r0
        npts = int(np.prod(nsz))
        out = np.empty((8, npts))
        ee = np.empty((npts, 2))
        _fused_two_band(
            nsz,
            r0,
            _axis_phases(model, ns, shift),
            *_bond_arrays(model),
            ee,
            *_COMBOS,
            out,
            generated,
        )
        edges = EdgeSamples.of_energies(nocc, ee[:, 0], ee[:, 1], offset, starts)
        # pairwise sums along contiguous rows: error ~ log(K) eps, not K eps
        tot = out.sum(axis=1)
        return Chi2Partial(rows, npts, method, tuple(float(x) for x in tot), None, edges)
    ev, ec = _edge_energies(model, ns, nocc, shift, chunk)
    stop = r1 * _row_stride(ns)
    edges = EdgeSamples.of_energies(nocc, ev[offset:stop], ec[offset:stop], offset, starts)
    whole = GapInfo(nocc, float(ev.max()), float(ec.min()), float((ec - ev).min()))
    mu = whole.mu
    if whole.gap <= GAP_TOL:  # no contour between the bands: chi2_reduce refuses the grid
        return Chi2Partial(rows, stop - offset, method, (), mu, edges)
    nodes, weights = _contour_nodes(max(0.5 * whole.gap, 1e-3))
    sums2 = np.zeros(3)
    sums1 = np.zeros(3)
    npts = 0
    for kc in _row_chunks(model, ns, shift, rows, chunk):
        bd = bloch_derivatives(model, kc, order=2)
        e, u = eigh_batched(bd.h)
        if u_transform is not None:
            u = u_transform(kc, e, u)
        u = np.ascontiguousarray(u)
        assert bd.dh is not None and bd.d2h is not None
        dh = np.ascontiguousarray(bd.dh[:, :2])
        d2h = np.ascontiguousarray(bd.d2h[:, :2, :2])
        out2 = np.empty((kc.shape[0], 3))
        out1 = np.empty((kc.shape[0], 3))
        _words_quadrature(e, u, dh, d2h, mu, nodes, weights, *_T2, 3, out2)
        _words_quadrature(e, u, dh, d2h, mu, nodes, weights, *_T1, 3, out1)
        sums2 += _column_sums(out2)
        sums1 += _column_sums(out1)
        npts += kc.shape[0]
    sums = tuple(float(x) for x in np.concatenate([sums2, sums1]))
    return Chi2Partial(rows, npts, method, sums, mu, edges)


def chi2_reduce(
    model: TightBindingModel, ns: tuple[int, ...], partials: Sequence[Chi2Partial]
) -> SusceptibilityResult:
    """chi_2 of the whole grid from the partials of its row blocks (in row order).

    The global gap and mu (mid-gap) come from the merged band-edge samples; the two-band sums
    take mu here (Omega_2 = sum_k (A + (E_v - mu) B) / (N_k A_cell)). Then chi = -2 q^2 Omega_2
    (the purified eqs 83-84, module notes) and M^z = -q Omega_1 (tr G1). Raises
    :class:`NotAnInsulator` when the grid has no gap and ``ValueError`` when the blocks do not
    tile the grid's rows.
    """
    _check_cover(ns, [p.rows for p in partials])
    methods = {p.method for p in partials}
    if len(methods) != 1:
        raise ValueError(f"chi_2 partials of different methods {sorted(methods)}")
    info = EdgeSamples.merge([p.edges for p in partials]).gap_info()
    require_gap(info, "the orbital susceptibility")
    npts = sum(p.npts for p in partials)
    if npts != int(np.prod(ns)):
        raise ValueError(f"the partials hold {npts} k-points, the grid {ns} has {np.prod(ns)}")
    tot = np.sum(np.array([p.sums for p in partials], dtype=np.float64), axis=0)
    if methods == {"two_band"}:
        mu = info.mu
        sums2 = tot[:3] - mu * tot[4:7]
        sum1 = float(tot[3] - mu * tot[7])
    else:
        if any(p.mu != partials[0].mu or len(p.sums) != 6 for p in partials):
            raise ValueError("quadrature partials at different mu")  # pragma: no cover
        sums2 = tot[:3]
        sum1 = float(tot[3:6].sum())
    vol = model.cell_volume
    q = -1.0
    omega2 = sums2 / npts / vol
    omega1 = sum1 / npts / vol
    chi_parts = -2.0 * q * q * omega2
    parts = {name: float(v) for name, v in zip(PARTS_CHI2, chi_parts, strict=True)}
    return SusceptibilityResult(
        chi=float(chi_parts.sum()),
        parts=parts,
        magnetization=-q * omega1,
        grid=ns,
        gap=info,
    )


def chi_2(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    *,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = CHUNK_POINTS,
    max_k_points: int = MAX_K_POINTS,
    method: str = "auto",
    u_transform: UTransform | None = None,
    generated: bool = True,
) -> SusceptibilityResult:
    """chi^zz by the explicitly gauge-invariant Green's-function (Moyal) form; see module notes.

    Parameters
    ----------
    model : TightBindingModel (2D, or 3D with B along z)
    n : int or tuple
        k-grid size per reciprocal direction.
    filling : int, optional
        Number of occupied bands (default: half of the bands).
    shift : float
        Grid offset in units of one step (0.5 keeps K, K' off grids divisible by 3).
    method : {"auto", "two_band", "quadrature"}
        Residues in closed form (two-band models only) or contour quadrature (any N).
    generated : bool
        Two-band path: use the generated straight-line word kernel (default) or the table-driven
        loop over the same entries (kept as a reference; tests compare them).
    u_transform : callable, optional
        ``u_transform(k, E, U) -> U'`` applied to the eigenvectors of each chunk (quadrature path
        only; used by the gauge-invariance tests).

    Returns
    -------
    SusceptibilityResult
        ``chi`` per unit area (2D) in e^2 E_u L_u^2 / hbar^2, its parts, and the ground-state
        orbital magnetisation M^z (e E_u / hbar per length^(D-2)) from tr G1 at mu mid-gap.

    Raises
    ------
    NotAnInsulator
        When the gap at the filling is below :data:`GAP_TOL` on the grid.

    Notes
    -----
    One row block over the whole grid (:func:`chi2_partial`) and :func:`chi2_reduce`: the same
    code a split evaluation runs on blocks of rows.
    """
    ns = (n,) * model.dim if isinstance(n, int) else tuple(n)
    how = chi2_method(model, method, u_transform)
    check_chi2_size(model, ns, how, max_k_points)
    part = chi2_partial(
        model,
        ns,
        (0, ns[0]),
        filling=filling,
        shift=shift,
        chunk=chunk,
        method=how,
        u_transform=u_transform,
        generated=generated,
    )
    return chi2_reduce(model, ns, [part])


# ---------------------------------------------------------------------------------------------
# chi_1: eqs 70-73 in the paper's gauge
# ---------------------------------------------------------------------------------------------


def gauge_orbitals(
    model: TightBindingModel, n: int | tuple[int, ...] = 24, shift: float = 0.5
) -> NDArray[np.int64]:
    """For each band, the orbital with the largest BZ-averaged weight (the paper's gauge choice).

    For the Haldane model with M > 0 this is B for the lower band and A for the upper band,
    i.e. eqs 98-99 (c_A^+ and c_B^- real and positive).
    """
    kpts, _ = monkhorst_grid(model, n, shift)
    _, u = eigh_batched(bloch_derivatives(model, kpts, order=0).h)
    weight = np.mean(np.abs(u) ** 2, axis=0)  # (orbital, band)
    return np.argmax(weight, axis=0).astype(np.int64)


def fix_gauge(u: ComplexArray, orbitals: NDArray[np.int64]) -> tuple[ComplexArray, FloatArray]:
    """Rotate each eigenvector's phase so that component ``orbitals[n]`` is real and positive.

    Returns the re-gauged U and the modulus of the fixed component (K, N); where it vanishes the
    gauge is singular (a vortex of the Chern phase).
    """
    nb = u.shape[-1]
    comp = u[:, orbitals, np.arange(nb)]  # (K, N)
    mod = np.abs(comp)
    ph = np.where(mod > 0, np.conj(comp) / np.where(mod > 0, mod, 1.0), 1.0)
    return u * ph[:, None, :], mod


def _chi1_chunk(
    model: TightBindingModel,
    kc: FloatArray,
    nocc: int,
    orbitals: NDArray[np.int64],
    hessian_rule: str,
    u_transform=None,
) -> tuple[FloatArray, float]:
    bd = bloch_derivatives(model, kc, order=2)
    e, u0 = eigh_batched(bd.h)
    if u_transform is not None:
        u0 = u_transform(kc, e, u0)
    u, mod = fix_gauge(u0, orbitals)
    nb = e.shape[1]
    assert bd.dh is not None and bd.d2h is not None
    v = to_band_basis(u, bd.dh[:, :2])  # (K, 2, N, N)
    w = to_band_basis(u, bd.d2h[:, :2, :2])  # (K, 2, 2, N, N)
    de = e[:, None, :] - e[:, :, None]  # de[k, n, m] = E_m - E_n = Delta_mn
    off = ~np.eye(nb, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(off, 1.0 / np.where(off, de, 1.0), 0.0)  # 1/Delta_mn off-diagonal
    # eq 107: xi_nm = v_nm / (i Delta_nm), Delta_nm = E_n - E_m = -de
    xi = np.where(off, v * (-inv)[:, None] / 1j, 0.0)
    # xi_nn from the gauge condition Im (d_a u_n)_j = 0 with (u_n)_j = mod > 0:
    #   d_a u_n = sum_{m != n} u_m v_mn / (E_n - E_m) - i xi_nn u_n
    #   => xi_nn = Im[sum_{m != n} (u_m)_j v_mn / (E_n - E_m)] / (u_n)_j
    uj = u[:, orbitals, :]  # uj[k, n, m] = (u_m)_{j_n}
    pt = (
        v * inv[:, None]
    )  # v_mn / (E_n - E_m) at [m, n] -> v[k,a,m,n] * inv[k,m,n]; inv[m,n]=1/(E_n-E_m)
    s = np.einsum("knm,kamn->kan", uj, pt)
    with np.errstate(divide="ignore", invalid="ignore"):
        xdiag = s.imag / mod[:, None, :]
    idx = np.arange(nb)
    xi[:, :, idx, idx] = xdiag
    vd = np.real(v[:, :, idx, idx])  # dE_n/dk_a (K, 2, N)
    # second derivatives of E_n: w_nn + 2 Re sum_{m != n} v^a_nm v^b_mn / (E_n - E_m)
    d2e = np.real(w[:, :, :, idx, idx]) + 2.0 * np.real(
        np.einsum("kanm,kbmn,knm->kabn", v, v, -inv)
    )
    # covariant derivative (sum rule 102) for n != m:
    # D_a xi^b_nm = [(v^a_nn - v^a_mm) xi^b_nm + (v^b_nn - v^b_mm) xi^a_nm
    #               + sum_{l != n,m} (v^b_nl xi^a_lm - xi^a_nl v^b_lm) + i w^ab_nm] / Delta_mn
    dv = vd[:, :, :, None] - vd[:, :, None, :]  # v_nn - v_mm, (K, a, n, m)
    xo = np.where(off, xi, 0.0)
    mask_l = np.ones((nb, nb, nb), dtype=bool)  # [n, l, m]: l != n and l != m
    for a_ in range(nb):
        mask_l[a_, a_, :] = False
        mask_l[:, a_, a_] = False
    t_sum = np.einsum("kbnl,kalm,nlm->kabnm", v, xo, mask_l) - np.einsum(
        "kanl,kblm,nlm->kabnm", xo, v, mask_l
    )
    dcov = (
        dv[:, :, None] * xi[:, None, :] + dv[:, None, :] * xi[:, :, None] + t_sum + 1j * w
    ) * inv[:, None, None]  # [k, a, b, n, m] = D_a xi^b_nm
    # eq 86: ordinary derivative d_a xi^b_nm = D_a xi^b_nm + i (xi^a_nn - xi^a_mm) xi^b_nm
    dxd = xdiag[:, :, :, None] - xdiag[:, :, None, :]  # (K, a, n, m)
    dord = dcov + 1j * dxd[:, :, None] * xi[:, None, :]
    # curl: Omega_nm = d_x xi^y_nm - d_y xi^x_nm ; diagonal = Berry curvature (Kubo form)
    omega = dord[:, 0, 1] - dord[:, 1, 0]
    berry = 1j * (
        np.einsum("knm,kmn->kn", xo[:, 0], xo[:, 1]) - np.einsum("knm,kmn->kn", xo[:, 1], xo[:, 0])
    )
    omega[:, idx, idx] = berry.real
    qe = -1.0  # electron charge e in the paper's formulas (natural units)

    # eq 60 (spinless): M_nm = (e/4) eps^{zab} [sum_s (xi^a_ns v^b_sm + v^b_ns xi^a_sm)
    #                                          + d_b(E_n + E_m) xi^a_nm]
    def mpart(a_: int, b_: int) -> ComplexArray:
        return (
            xi[:, a_] @ v[:, b_]
            + v[:, b_] @ xi[:, a_]
            + (vd[:, b_, :, None] + vd[:, b_, None, :]) * xi[:, a_]
        )

    mmat = 0.25 * qe * (mpart(0, 1) - mpart(1, 0))
    f = np.zeros(nb)
    f[:nocc] = 1.0
    fnm = f[:, None] - f[None, :]
    # eq 71: chi_VV = sum_nm f_nm M_nm M_mn / Delta_mn
    vv = np.einsum("nm,knm,kmn,knm->k", fnm, mmat, mmat, np.where(off, de, np.inf) ** -1.0).real
    # eq 72 (2D, zz): eps^{zab} eps^{zcd} (H^bc - d_b d_c E_n) xi^a_nm xi^d_mn, H = Hessian
    occ = np.zeros(kc.shape[0])
    eps2 = {(0, 1): 1.0, (1, 0): -1.0}
    for (a_, b_), s1 in eps2.items():
        for (c_, d_), s2 in eps2.items():
            if hessian_rule == "nn":
                hbc = np.real(w[:, b_, c_, idx, idx])[:, :, None]
                term = (hbc - d2e[:, b_, c_, :, None]) * xi[:, a_] * np.swapaxes(xi[:, d_], 1, 2)
            elif hessian_rule == "full":
                # sum_{m,l} xi^a_nm w^bc_ml xi^d_ln - d_b d_c E_n xi^a_nm xi^d_mn
                term_full = np.einsum("knm,kml,kln->kn", xi[:, a_], w[:, b_, c_], xi[:, d_])
                term = -d2e[:, b_, c_, :, None] * xi[:, a_] * np.swapaxes(xi[:, d_], 1, 2)
                occ += s1 * s2 * 0.25 * qe * qe * np.real(term_full[:, :nocc].sum(axis=1))
            else:
                raise ValueError(hessian_rule)
            occ += s1 * s2 * 0.25 * qe * qe * np.real(term[:, :nocc].sum(axis=(1, 2)))
    # eq 73 (zz): -(e/2) sum_nm f_n 2 Re[Omega_nm (M_mn + (e/8) Delta_nm Omega_mn)]
    dnm = -de  # Delta_nm = E_n - E_m
    geo_t = omega * (np.swapaxes(mmat, 1, 2) + (qe / 8.0) * dnm * np.swapaxes(omega, 1, 2))
    geo = -qe * np.real(geo_t[:, :nocc, :].sum(axis=(1, 2)))
    return np.stack([vv, occ, geo], axis=1), float(mod[:, :].min())


PARTS_CHI1: Final[tuple[str, ...]] = ("vv", "occ", "geo")


@dataclass(frozen=True)
class Chi1Partial:
    """The k-sums of chi_VV, chi_occ, chi_geo (eqs 71-73, un-normalised) over a block of grid
    rows, the smallest gauge-fixing modulus there and the gauge ``orbitals`` used."""

    rows: Rows
    npts: int
    sums: tuple[float, float, float]
    min_modulus: float
    orbitals: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "rows": list(self.rows),
            "npts": self.npts,
            "sums": list(self.sums),
            "min_modulus": self.min_modulus,
            "orbitals": list(self.orbitals),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Chi1Partial:
        """Inverse of :meth:`to_dict`."""
        r0, r1 = d["rows"]
        s0, s1, s2 = (_num(x) for x in d["sums"])
        return cls(
            (int(r0), int(r1)),
            int(d["npts"]),
            (s0, s1, s2),
            _num(d["min_modulus"]),
            tuple(int(o) for o in d["orbitals"]),
        )


def chi1_partial(
    model: TightBindingModel,
    ns: tuple[int, ...],
    rows: Rows,
    *,
    n_occ: int,
    orbitals: NDArray[np.int64],
    shift: float = 0.5,
    chunk: int = 1 << 14,
    hessian_rule: str = "full",
    u_transform: UTransform | None = None,
) -> Chi1Partial:
    """The chi_1 k-sums over the grid rows r0 <= i_0 < r1 (2D; parameters as :func:`chi_1`).

    No gap check: the caller has judged the whole grid (a k-point with a closed direct gap
    divides by zero in eq 107).
    """
    check_rows(ns, rows)
    tot = np.zeros(3)
    npts = 0
    minmod = np.inf
    # the l-sums of eq 102 hold K x 4 x N^3 complex temporaries: bound them near 128 MB
    chunk = max(16, min(chunk, (1 << 27) // (64 * model.norb**3)))
    for kc in _row_chunks(model, ns, shift, rows, chunk):
        vals, mm = _chi1_chunk(model, kc, n_occ, orbitals, hessian_rule, u_transform)
        tot += _column_sums(vals)
        npts += kc.shape[0]
        minmod = min(minmod, mm)
    s0, s1, s2 = (float(x) for x in tot)
    return Chi1Partial(rows, npts, (s0, s1, s2), float(minmod), tuple(int(o) for o in orbitals))


def chi1_reduce(
    model: TightBindingModel,
    ns: tuple[int, ...],
    partials: Sequence[Chi1Partial],
    gap: GapInfo,
) -> SusceptibilityResult:
    """chi_1 of the whole grid from the partials of its row blocks (in row order); ``gap`` is
    the whole grid's (reported with the result). ``ValueError`` when the blocks do not tile the
    rows or used different gauge orbitals."""
    _check_cover(ns, [p.rows for p in partials])
    if len({p.orbitals for p in partials}) != 1:
        raise ValueError("chi_1 partials in different gauges (gauge orbitals)")
    npts = sum(p.npts for p in partials)
    if npts != int(np.prod(ns)):
        raise ValueError(f"the partials hold {npts} k-points, the grid {ns} has {np.prod(ns)}")
    tot = np.sum(np.array([p.sums for p in partials], dtype=np.float64), axis=0)
    chi_parts = tot / npts / model.cell_volume
    return SusceptibilityResult(
        chi=float(chi_parts.sum()),
        parts={k: float(x) for k, x in zip(PARTS_CHI1, chi_parts, strict=True)},
        magnetization=float("nan"),
        grid=ns,
        gap=gap,
        extra={"gauge_min_modulus": min(p.min_modulus for p in partials)},
    )


def chi_1(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    *,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = 1 << 14,
    max_k_points: int = MAX_K_POINTS,
    orbitals: NDArray[np.int64] | None = None,
    hessian_rule: str = "full",
    u_transform: UTransform | None = None,
) -> SusceptibilityResult:
    """chi^zz = chi_VV + chi_occ + chi_geo of eqs 70-73, in the paper's gauge (see module notes).

    ``orbitals[n]`` is the orbital whose component of band n is made real and positive (default:
    :func:`gauge_orbitals`). ``extra['gauge_min_modulus']`` is the smallest modulus of that
    component on the grid: near 0 the gauge is singular and the result depends on the gauge.
    One row block over the whole grid (:func:`chi1_partial`) and :func:`chi1_reduce`.
    """
    if model.dim != 2:
        raise InvalidInput("chi_1 is implemented for 2D models", field=("model",))
    ns = (n,) * 2 if isinstance(n, int) else tuple(n)
    check_k_points(int(np.prod(ns)), max_k_points)
    info = scan_gap(model, ns, filling, shift, chunk)
    require_gap(info, "the orbital susceptibility")
    orb = gauge_orbitals(model) if orbitals is None else np.asarray(orbitals, dtype=np.int64)
    part = chi1_partial(
        model,
        ns,
        (0, ns[0]),
        n_occ=info.n_occ,
        orbitals=orb,
        shift=shift,
        chunk=chunk,
        hessian_rule=hessian_rule,
        u_transform=u_transform,
    )
    return chi1_reduce(model, ns, [part], info)


# ---------------------------------------------------------------------------------------------
# Independent check: ground-state energy on magnetic supercells (Hofstadter)
# ---------------------------------------------------------------------------------------------


def _supercell_energy(
    model: TightBindingModel, p: int, q: int, nocc: int, nk: tuple[int, int]
) -> float:
    """Ground-state energy per unit area at flux phi = p/q per cell, q cells along a1.

    Gauge: Peierls phase of the bond from site j to site i (fractional coordinates s):
    theta_ij = 2 pi phi [ (s1_i + s1_j)/2 (s2_i - s2_j) - s1_i tau2_i + s1_j tau2_j ],
    the straight-line integral of A.dr = 2 pi phi s1 ds2 plus a gauge term that makes the phases
    periodic under translations by q a1 and a2 (so magnetic Bloch theorem applies).
    """
    phi = p / q
    nb = model.norb
    tau = model.positions @ np.linalg.inv(model.lattice)  # fractional orbital positions
    dim_s = nb * q
    n1, n2 = nk
    k1 = (np.arange(n1) + 0.5) / n1
    k2 = (np.arange(n2) + 0.5) / n2
    g1, g2 = np.meshgrid(k1, k2, indexing="ij")
    kk1 = g1.reshape(-1)
    kk2 = g2.reshape(-1)
    hs = np.zeros((kk1.shape[0], dim_s, dim_s), dtype=np.complex128)
    for m in range(q):
        for i_orb in range(nb):
            hs[:, m * nb + i_orb, m * nb + i_orb] += model.onsite[i_orb]
    for h in range(model.hop_from.shape[0]):
        i_orb, j_orb = model.hop_from[h], model.hop_to[h]
        r1, r2 = model.hop_cell[h]
        amp = model.hop_amplitude[h]
        for m in range(q):
            s_i = np.array([m + tau[i_orb, 0], tau[i_orb, 1]])
            s_j = np.array([m + r1 + tau[j_orb, 0], r2 + tau[j_orb, 1]])
            theta = (
                2
                * np.pi
                * phi
                * (
                    0.5 * (s_i[0] + s_j[0]) * (s_i[1] - s_j[1])
                    - s_i[0] * tau[i_orb, 1]
                    + s_j[0] * tau[j_orb, 1]
                )
            )
            mj = (m + r1) % q
            big = (m + r1 - mj) // q
            bloch = np.exp(2j * np.pi * (kk1 * big + kk2 * r2))
            val = amp * np.exp(1j * theta) * bloch
            a_, b_ = m * nb + i_orb, mj * nb + j_orb
            hs[:, a_, b_] += val
            hs[:, b_, a_] += np.conj(val)
    ev = np.linalg.eigvalsh(hs)
    occ = ev[:, : nocc * q].sum(axis=1).mean()
    return float(occ / (q * model.cell_volume))


def chi_hofstadter(
    model: TightBindingModel,
    qs: tuple[int, ...] = (24, 32, 48),
    *,
    filling: int | None = None,
    nk_total: int = 96,
) -> SusceptibilityResult:
    """chi^zz from E(B) on magnetic supercells (independent of the band formulas).

    E(phi) + E(-phi) - 2 E(0) = 2 e2 B^2 + 2 e4 B^4 + ... with B = 2 pi phi / (q A_cell) (natural
    units); a least-squares fit in B^2 over phi = 1/q, q in ``qs`` gives chi = -2 e2. The supercell
    k-grid has about ``nk_total`` points per original reciprocal direction. Valid for trivial
    insulators (fixed filling = fixed mu); in a Chern phase the filled-band count changes with B.
    """
    if model.dim != 2:
        raise InvalidInput("the supercell check is implemented for 2D models", field=("model",))
    nocc = occupied_count(model, filling)
    e0 = _supercell_energy(model, 0, 1, nocc, (nk_total, nk_total))
    bs, ys = [], []
    for q in qs:
        nk = (max(2, int(np.ceil(nk_total / q))), nk_total)
        ep = _supercell_energy(model, 1, q, nocc, nk)
        em = _supercell_energy(model, -1, q, nocc, nk)
        e0q = _supercell_energy(model, 0, q, nocc, nk)
        b = 2.0 * np.pi / (q * model.cell_volume)
        bs.append(b)
        ys.append(ep + em - 2.0 * e0q)
    b2 = np.asarray(bs) ** 2
    y = np.asarray(ys)
    a = np.stack([2.0 * b2, 2.0 * b2**2], axis=1) if len(qs) > 1 else (2.0 * b2)[:, None]
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    chi = -2.0 * coef[0]
    return SusceptibilityResult(
        chi=float(chi),
        parts={},
        magnetization=float("nan"),
        grid=(nk_total, nk_total),
        gap=GapInfo(nocc, np.nan, np.nan, np.nan),
        extra={"e0": e0},
    )
