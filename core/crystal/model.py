"""Tight-binding models: lattice, orbitals, on-site energies, complex hoppings (Duff & Sipe, sec. VIII).

Units and conventions
---------------------
Natural units of the model: lengths in the model's length unit (e.g. the A-B distance ``a`` of the
Haldane model), energies in its energy unit (e.g. ``t``), hbar = 1, electron charge q = -e with
e = 1. :mod:`core.crystal.susceptibility` states how results convert to SI.

A hopping ``(i, j, R, t)`` is the matrix element <0, i | H | R, j> = t between orbital ``i`` in the
home cell and orbital ``j`` in cell ``R`` (integer lattice coordinates); its Hermitian conjugate is
added automatically, so each bond is listed once. On-site energies are separate (a hopping with
R = 0 and i = j is rejected).

The Bloch Hamiltonian uses the *atomic* (position-including) convention of eq 95:

    H(k)_ij = onsite_i delta_ij + sum_bonds [ t e^{i k.d} + h.c. ],   d = R + tau_j - tau_i,

so that k-derivatives of H(k) are the velocity, Hessian and "Tressian" of eqs 103, 105, 106 and
the Berry connection includes the intracell positions (the convention in which the orbital
susceptibility is defined). H(k + G) = U_G H(k) U_G^dagger with U_G = diag(exp(-i G.tau)).

References: :data:`core.references.DUFF_SIPE`, eqs 93-95; F. D. M. Haldane, Phys. Rev. Lett. 61, 2015 (1988),
doi:10.1103/PhysRevLett.61.2015.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.errors import InvalidInput, LimitExceeded

MODEL_NAME: Final = "tight-binding"
MODEL_VERSION: Final = "1.0.0"

#: Default caps (the app may pass its own settings).
MAX_ORBITALS: Final = 32
MAX_HOPPINGS: Final = 2000

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class TightBindingModel:
    """A tight-binding model in 2 or 3 dimensions.

    Parameters
    ----------
    lattice : (D, D) float
        Rows are the primitive lattice vectors (model length unit), D = 2 or 3.
    positions : (N,) x (D,) float
        Orbital positions in Cartesian coordinates (model length unit).
    onsite : (N,) float
        On-site energies (model energy unit).
    hop_from, hop_to : (H,) int
        Orbital indices i and j of each bond <0,i|H|R,j>.
    hop_cell : (H, D) int
        Lattice coordinates R of the cell of orbital j.
    hop_amplitude : (H,) complex
        Hopping amplitudes t (model energy unit).
    name : str
        A label for the model.
    """

    lattice: FloatArray
    positions: FloatArray
    onsite: FloatArray
    hop_from: IntArray
    hop_to: IntArray
    hop_cell: IntArray
    hop_amplitude: ComplexArray
    name: str = "custom"

    def __post_init__(self) -> None:
        lat = np.array(self.lattice, dtype=np.float64, ndmin=2)
        if lat.ndim != 2 or lat.shape[0] != lat.shape[1] or lat.shape[0] not in (2, 3):
            raise InvalidInput(
                f"lattice must be a 2x2 or 3x3 array of row vectors (got shape {lat.shape})",
                field=("lattice",),
                fix="give 2 lattice vectors of 2 components, or 3 of 3",
            )
        dim = lat.shape[0]
        if not np.all(np.isfinite(lat)):
            raise InvalidInput("lattice vectors must be finite", field=("lattice",))
        vol = abs(float(np.linalg.det(lat)))
        if vol < 1e-12 * float(np.max(np.abs(lat))) ** dim:
            raise InvalidInput(
                "lattice vectors are linearly dependent (zero cell volume)",
                field=("lattice",),
                fix="give independent primitive vectors",
            )
        pos = np.array(self.positions, dtype=np.float64, ndmin=2)
        if pos.ndim != 2 or pos.shape[1] != dim or pos.shape[0] == 0:
            raise InvalidInput(
                f"positions must be a non-empty list of {dim}-component vectors",
                field=("orbitals",),
            )
        n = pos.shape[0]
        if not np.all(np.isfinite(pos)):
            raise InvalidInput("orbital positions must be finite", field=("orbitals",))
        ons = np.array(self.onsite, dtype=np.float64, ndmin=1)
        if ons.shape != (n,) or not np.all(np.isfinite(ons)):
            raise InvalidInput(
                f"onsite must hold {n} finite energies, one per orbital", field=("onsite",)
            )
        hf = np.array(self.hop_from, dtype=np.int64, ndmin=1).reshape(-1)
        ht = np.array(self.hop_to, dtype=np.int64, ndmin=1).reshape(-1)
        amp = np.array(self.hop_amplitude, dtype=np.complex128, ndmin=1).reshape(-1)
        nh = hf.shape[0]
        cell = (
            np.array(self.hop_cell, dtype=np.int64).reshape(nh, dim)
            if nh
            else np.zeros((0, dim), dtype=np.int64)
        )
        if ht.shape[0] != nh or amp.shape[0] != nh:
            raise InvalidInput("hopping arrays have different lengths", field=("hoppings",))
        for h in range(nh):
            for key, idx in (("from", hf[h]), ("to", ht[h])):
                if not 0 <= idx < n:
                    raise InvalidInput(
                        f"hopping {h}: orbital index {int(idx)} out of range 0..{n - 1}",
                        field=("hoppings", h, key),
                        fix="use orbital indices of the orbitals list (0-based)",
                    )
            if hf[h] == ht[h] and not np.any(cell[h]):
                raise InvalidInput(
                    f"hopping {h} connects orbital {int(hf[h])} to itself in the same cell",
                    field=("hoppings", h),
                    fix="put on-site energies in 'onsite', not in hoppings",
                )
            if not np.isfinite(amp[h]):
                raise InvalidInput(
                    f"hopping {h} amplitude must be finite", field=("hoppings", h, "amplitude")
                )
        for name, arr in (
            ("lattice", lat),
            ("positions", pos),
            ("onsite", ons),
            ("hop_from", hf),
            ("hop_to", ht),
            ("hop_cell", cell),
            ("hop_amplitude", amp),
        ):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def dim(self) -> int:
        """Spatial dimension D."""
        return int(self.lattice.shape[0])

    @property
    def norb(self) -> int:
        """Number of orbitals (bands) N."""
        return int(self.positions.shape[0])

    @property
    def cell_volume(self) -> float:
        """Unit-cell area (2D) or volume (3D), in the model length unit to the power D."""
        return abs(float(np.linalg.det(self.lattice)))

    @property
    def reciprocal(self) -> FloatArray:
        """Rows are the reciprocal vectors b_i with a_i . b_j = 2 pi delta_ij."""
        return np.asarray(2.0 * np.pi * np.linalg.inv(self.lattice).T, dtype=np.float64)

    def bond_vectors(self) -> FloatArray:
        """Cartesian bond vectors d = R + tau_j - tau_i, shape (H, D)."""
        return (
            self.hop_cell @ self.lattice
            + self.positions[self.hop_to]
            - self.positions[self.hop_from]
        )

    def check_limits(
        self, *, max_orbitals: int = MAX_ORBITALS, max_hoppings: int = MAX_HOPPINGS
    ) -> None:
        """Raise :class:`LimitExceeded` when the model is larger than the configured caps."""
        if self.norb > max_orbitals:
            raise LimitExceeded(
                f"{self.norb} orbitals exceed the limit of {max_orbitals}",
                limit_name="max_orbitals",
                limit=max_orbitals,
                requested=self.norb,
                field=("orbitals",),
                fix=f"use at most {max_orbitals} orbitals per cell",
            )
        if self.hop_from.shape[0] > max_hoppings:
            raise LimitExceeded(
                f"{self.hop_from.shape[0]} hoppings exceed the limit of {max_hoppings}",
                limit_name="max_hoppings",
                limit=max_hoppings,
                requested=self.hop_from.shape[0],
                field=("hoppings",),
                fix=f"use at most {max_hoppings} hoppings (each bond once; h.c. is implied)",
            )


def from_hoppings(
    lattice: ArrayLike,
    positions: ArrayLike,
    onsite: ArrayLike,
    hoppings: list[tuple[int, int, ArrayLike, complex]],
    name: str = "custom",
) -> TightBindingModel:
    """Build a model from a list of ``(i, j, R, t)`` bonds (each bond once)."""
    lat = np.asarray(lattice, dtype=np.float64)
    dim = lat.shape[0] if lat.ndim == 2 else 0
    hf = np.array([h[0] for h in hoppings], dtype=np.int64)
    ht = np.array([h[1] for h in hoppings], dtype=np.int64)
    cells = np.zeros((len(hoppings), dim), dtype=np.int64)
    for n, h in enumerate(hoppings):
        r = np.asarray(h[2])
        if r.shape != (dim,) or not np.all(np.equal(np.mod(r, 1), 0)):
            raise InvalidInput(
                f"hopping {n}: R must be {dim} integers (lattice coordinates)",
                field=("hoppings", n, "R"),
            )
        cells[n] = r.astype(np.int64)
    amp = np.array([complex(h[3]) for h in hoppings], dtype=np.complex128)
    return TightBindingModel(
        lat, np.asarray(positions), np.asarray(onsite), hf, ht, cells, amp, name
    )


def haldane(
    t: float = 1.0, t2: float = 0.0, phi: float = 0.5 * np.pi, M: float = 0.0, a: float = 1.0
) -> TightBindingModel:
    """The Haldane model of eqs 93-94 (honeycomb, A-B distance ``a``).

    H(k) = f0 + f . sigma with (eq 94)

        f0 = 2 t2 cos(phi) sum_i cos(k.b_i),    fx = -t sum_i cos(k.a_i),
        fy = t sum_i sin(k.a_i),                fz = M - 2 t2 sin(phi) sum_i sin(k.b_i),

    a_1 = (0, a), a_2 = (-sqrt3 a/2, -a/2), a_3 = (sqrt3 a/2, -a/2) (A to B),
    b_1 = (-sqrt3 a/2, 3a/2), b_2 = (-sqrt3 a/2, -3a/2), b_3 = (sqrt3 a, 0) (same sublattice).
    Orbital 0 is A at (0, 0) with on-site +M, orbital 1 is B at (0, a) with -M. In the bond
    convention of this module: t_AB = -t along a_i, t_AA = t2 e^{+i phi} along b_i and
    t_BB = t2 e^{-i phi} along b_i (their conjugates run along -b_i).

    Phases (eq 94 and text after it): C = 0 for |t2 sin phi| < M / (3 sqrt 3); the gap closes at
    K = (2 pi / 3a)(1/sqrt3, 1) when t2 sin phi = M / (3 sqrt 3) and at K' when it is -M/(3 sqrt3).
    """
    for key, val in (("t", t), ("t2", t2), ("phi", phi), ("M", M), ("a", a)):
        if not np.isfinite(val):
            raise InvalidInput(f"{key} must be finite", field=("haldane", key))
    if a <= 0:
        raise InvalidInput("a (A-B distance) must be > 0", field=("haldane", "a"))
    s3 = np.sqrt(3.0)
    a1 = np.array([s3 * a, 0.0])  # = b_3
    a2 = np.array([0.5 * s3 * a, 1.5 * a])  # = -b_2
    lattice = np.stack([a1, a2])
    positions = np.array([[0.0, 0.0], [0.0, a]])
    # NN bonds A(0) -> B: a_1 (R = 0), a_2 (R = -A2), a_3 (R = A1 - A2)
    nn_cells = [(0, 0), (0, -1), (1, -1)]
    # NNN vectors in lattice coordinates: b_1 = A2 - A1, b_2 = -A2, b_3 = A1
    nnn_cells = [(-1, 1), (0, -1), (1, 0)]
    hops: list[tuple[int, int, ArrayLike, complex]] = []
    for c in nn_cells:
        hops.append((0, 1, c, -t))
    if t2 != 0.0:
        for c in nnn_cells:
            hops.append((0, 0, c, t2 * np.exp(1j * phi)))
            hops.append((1, 1, c, t2 * np.exp(-1j * phi)))
    return from_hoppings(lattice, positions, [M, -M], hops, name="haldane")


def haldane_high_symmetry_points(a: float = 1.0) -> dict[str, FloatArray]:
    """Gamma, K, K', M of the Haldane lattice (Cartesian, inverse model length)."""
    k = 2.0 * np.pi / (3.0 * a)
    return {
        "G": np.array([0.0, 0.0]),
        "K": np.array([k / np.sqrt(3.0), k]),
        "Kp": np.array([-k / np.sqrt(3.0), k]),
        "M": np.array([0.0, k]),
    }
