"""3D transition moments of separable emitters from 1D matrix elements.

For a Hamiltonian H = H_x + H_y + H_z with product eigenstates |n_x n_y n_z>, every moment of
App. B factors into 1D elements from the 1D ground state (index 0 on each axis):

    <g| p_i r_k r_m |e> = prod_a <0_a| O_a |n_a>,   O_a = p_a^[a = i] x_a^(#{k, m} = a),

p to the left of the coordinates on the same axis (the operators on different axes commute). So a
separable emitter is described by per-axis tables of <0| x^j |n> and <0| p x^j |n>, j = 0, 1, 2,
and the 3D elements are outer products of three 1D vectors (never products of truncated matrices).

Units: natural units hbar = c = 1; lengths in 1/[w], momenta in [w].
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np
from numpy.typing import NDArray

from core.emitters.strengths import TransitionMoments

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]


@dataclass(frozen=True)
class Axis1D:
    """1D elements from the ground state of one axis, N states (index 0 = ground).

    Parameters
    ----------
    energy : (N,) float
        E_n - E_0 (so energy[0] = 0), [w].
    x : (3, N) complex
        <0| x^j |n> for j = 0, 1, 2 (row 0 is delta_{n0}).
    px : (3, N) complex
        <0| p x^j |n> for j = 0, 1, 2.
    quantum_numbers : (N,) int
        The label of each 1D state (1, 2, ... for the box; 0, 1, ... for the oscillator).
    """

    energy: FloatArray
    x: ComplexArray
    px: ComplexArray
    quantum_numbers: NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.energy.shape[0])


def _outer3(a: ComplexArray, b: ComplexArray, c: ComplexArray) -> ComplexArray:
    return (a[:, None, None] * b[None, :, None] * c[None, None, :]).reshape(-1)


def separable_moments(axes: tuple[Axis1D, Axis1D, Axis1D]) -> TransitionMoments:
    """All excited product states of three 1D systems and their moments (App. B, B21-B24).

    Parameters
    ----------
    axes : three :class:`Axis1D`, for x, y, z.

    Returns
    -------
    TransitionMoments
        M = N_x N_y N_z - 1 excited states in C order over (n_x, n_y, n_z), the ground state
        (0, 0, 0) removed; ``rr_ground`` diagonal, <x^2>_0 etc. (cross terms <x><y> = 0 for
        states of definite parity and for every case here).

    Notes
    -----
    Cost: 30 outer products of length M (3 for p, 9 for p r, 18 distinct for p r r).
    """
    energy = (
        axes[0].energy[:, None, None]
        + axes[1].energy[None, :, None]
        + axes[2].energy[None, None, :]
    ).reshape(-1)
    total = energy.shape[0]

    def element(i: int, exps: tuple[int, int, int]) -> ComplexArray:
        f = [axes[a].px[exps[a]] if a == i else axes[a].x[exps[a]] for a in range(3)]
        return _outer3(*f)

    p = np.empty((total, 3), dtype=np.complex128)
    pr = np.empty((total, 3, 3), dtype=np.complex128)
    prr = np.empty((total, 3, 3, 3), dtype=np.complex128)
    for i in range(3):
        p[:, i] = element(i, (0, 0, 0))
        for k in range(3):
            e = [0, 0, 0]
            e[k] += 1
            pr[:, i, k] = element(i, (e[0], e[1], e[2]))
        for k, m in product(range(3), repeat=2):
            if m < k:
                prr[:, i, k, m] = prr[:, i, m, k]
                continue
            e = [0, 0, 0]
            e[k] += 1
            e[m] += 1
            prr[:, i, k, m] = element(i, (e[0], e[1], e[2]))

    qn = np.stack(
        np.meshgrid(*[ax.quantum_numbers for ax in axes], indexing="ij"), axis=-1
    ).reshape(-1, 3)
    keep = np.ones(total, dtype=bool)
    keep[0] = False  # the ground state (index 0 on every axis)
    rr = np.diag([float(np.real(ax.x[2, 0])) for ax in axes])
    # Off-diagonal ground-state <x_a x_b> = <x_a><x_b>; include it for completeness.
    mean = [float(np.real(ax.x[1, 0])) for ax in axes]
    for a in range(3):
        for b in range(3):
            if a != b:
                rr[a, b] = mean[a] * mean[b]
    return TransitionMoments(
        omega=energy[keep],
        p=p[keep],
        pr=pr[keep],
        prr=prr[keep],
        rr_ground=rr,
        labels=qn[keep],
    )
