"""Molecular multipole response tensors and the material constants built from them.

The paper is :data:`core.references.ANELLI_ET_AL` (Anelli, Jonsson, Fliegl & Ruud); equation and
table numbers below are its own. Related: R. E. Raab and O. L. de Lange, Proc. R. Soc. A 461, 595 (2005)
(transformed multipole theory); E. B. Graham and R. E. Raab,
Proc. R. Soc. Lond. A 456, 1193 (2000) (covariant constitutive relations).

Units and conventions
---------------------
Atomic units throughout: hbar = m_e = e = 4 pi eps0 = 1, so eps0 = 1/(4 pi), mu0 = 4 pi / c^2,
c = 1/alpha (scipy.constants). Frequencies and energies in hartree, lengths in bohr. Fields vary
as exp(i(k.r - w t)); passive media have Im A > 0 and poles at Im w < 0. The SI form of the
constitutive relations is kept (D = eps0 E + P - ..., H = B/mu0 - M + ..., eqs 7-11), so the
vacuum constants are eps0 and 1/mu0 and every molecular contribution enters multiplied by the
number density N (molecules per bohr^3). Functions return the *molecular parts* (per molecule,
the quantities the paper tabulates); the medium's constants are eps0 I + N A_mol, N T_mol,
N U_mol, I/mu0 + N X_mol (the wave-equation solver adds the vacuum parts itself).

Moments (transition moments <0|O|s> from the ground state 0 to excited state s, about a stated
origin; conventions of eqs 8-9 and the text after eq 35):

* ``P_i = sum q r_i``; ``Q_ij = sum q r_i r_j``; ``Q_ijk = sum q r_i r_j r_k`` (primitive moments);
* ``M_i = sum (q/2m) l_i``; ``M_ij = sum (q/3m)(r_j l_i + l_i r_j)`` (i: angular momentum, j:
  position -- the placement that makes eq 9, H_i = B_i/mu0 - M_i + 1/2 grad_j M_ij, and eqs
  13-14 consistent with the induced moments; derived in docs/molecular.md).

Table-1 tensors (ground state n = 0, hbar = 1), with ``Z_s = 1 / (w_s^2 - w~^2)``:

* real (time-even) kind: ``alpha, a, b, d, chi_para = 2 sum_s w_s Z_s Re(X_0s Y_s0)``;
* primed (time-odd) kind: ``G', H', L' = -2 sum_s w~ Z_s Im(X_0s Y_s0)`` -- the factor is the
  field frequency w, not w_s (G' vanishes in the static limit; the Table-1 extraction prints
  w_sn for every row, which would make G'/w in eq 16 diverge at w = 0);
* ``chi = chi_para + sum (q^2 / 4m) <r_i r_j - r^2 delta_ij>_00`` (diamagnetic part from the
  ground-state second moments).

Damping convention: the undamped expressions are rational functions of w; a state with linewidth
gamma_s is evaluated at the complex frequency ``w~_s = w + i gamma_s`` (the complex polarization
propagator convention the paper's Dalton calculations use, damping 0.005 a.u.), inside the
Table-1 sums. Frequency factors written explicitly in the material constants (G'/w, w H', ...)
and the 1/w of the wave-equation fold use ``w~ = w + i gamma_ref`` with gamma_ref the mean
linewidth. With one common linewidth (the paper's case, and the box model) every constant is the
undamped constant continued to w + i gamma, so each algebraic identity (origin independence, the
equality of the three wave equations) survives damping exactly; unequal linewidths break origin
independence at order |gamma_s - gamma_ref| / w (reported as ``uniform_damping=False``).

Three definitions of the material constants (A: permittivity, T/U: magneto-electric, X: inverse
permeability), each as a quadratic polynomial in k = (w/c) n sigma:

* ``multipole`` -- eqs 12-15 (origin dependent beyond the dipole order);
* ``raab_de_lange`` -- eqs 16-19 (A is the full spatially dispersive permittivity, eq 39);
* ``covariant`` -- eqs 45-53 (Graham & Raab).

All three give the same wave operator (eq 57) as an exact algebraic identity; the two
transformed sets are origin independent when the sum over states is complete (velocity/length
sum rules), to a basis-size dependent tolerance otherwise. The extracted equations carry typos;
each resolved form is stated at the function that implements it and justified in
docs/molecular.md (checked in tests/core/test_molecular.py by origin independence on an exactly
complete harmonic-oscillator model, by the wave-operator identity, and by the static limit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc

from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import InvalidInput, LimitExceeded, PoleOnGrid
from core.references import ANELLI_ET_AL

#: The paper this module implements (equation numbers are its own).
REFERENCE: Final = ANELLI_ET_AL

MODEL_NAME: Final = "molecular-multipole"
MODEL_VERSION: Final = "1.0.0"

Definition = Literal["multipole", "raab_de_lange", "covariant"]
DEFINITIONS: Final[tuple[str, ...]] = get_args(Definition)

#: Speed of light in atomic units (1 / fine-structure constant).
C_AU: Final = 1.0 / sc.fine_structure
#: eps0 and mu0 in atomic units (4 pi eps0 = 1).
EPS0_AU: Final = 1.0 / (4.0 * np.pi)
MU0_AU: Final = 1.0 / (EPS0_AU * C_AU**2)
#: Hartree in eV and related conversions (scipy.constants).
HARTREE_EV: Final = sc.physical_constants["Hartree energy in eV"][0]
BOHR_M: Final = sc.physical_constants["Bohr radius"][0]
#: Number density of an ideal gas at 0 degC and 1 atm (Loschmidt), molecules per bohr^3.
LOSCHMIDT_AU: Final = sc.physical_constants["Loschmidt constant (273.15 K, 101.325 kPa)"][0] * (
    BOHR_M**3
)

#: SI value of one atomic unit of each returned quantity (scipy.constants, CODATA). The molecular
#: parts of A (and alpha, a k, b k^2, ...) are polarizabilities; those of X (and chi, eq 56) are
#: magnetizabilities; those of T and U are dipole per flux density (C m / T), all per molecule.
SI_PER_AU: Final[dict[str, tuple[float, str]]] = {
    "energy": (sc.physical_constants["Hartree energy"][0], "J"),
    "frequency": (sc.physical_constants["Hartree energy"][0] / sc.hbar, "rad/s"),
    "length": (BOHR_M, "m"),
    "inverse_length": (1.0 / BOHR_M, "1/m"),
    "number_density": (BOHR_M**-3, "1/m^3"),
    "polarizability": (
        sc.physical_constants["atomic unit of electric polarizability"][0],
        "C^2 m^2 J^-1",
    ),
    "magnetizability": (sc.physical_constants["atomic unit of magnetizability"][0], "J T^-2"),
    "magnetoelectric": (
        sc.physical_constants["atomic unit of electric dipole mom."][0]
        / (sc.physical_constants["atomic unit of mag. flux density"][0]),
        "C m T^-1",
    ),
}

#: Default limits (the app passes its configured values).
MAX_STATES: Final = 20_000
MAX_FREQUENCIES: Final = 4_000
#: Bound on the (frequency chunk x states) temporaries of the sums over states, bytes.
CHUNK_BYTES: Final = 64 * 2**20
#: Relative tolerances of the input checks.
SYMMETRY_RTOL: Final = 1e-8
#: |w - w_s| / w_s under which an undamped resonance counts as on the grid.
POLE_RTOL: Final = 1e-12

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

LEVI: Final = np.zeros((3, 3, 3))
for _i, _j, _k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
    LEVI[_i, _j, _k] = 1.0
    LEVI[_i, _k, _j] = -1.0
EYE: Final = np.eye(3)


# ---------------------------------------------------------------------------------------------
# Input: states and moments
# ---------------------------------------------------------------------------------------------


def _as_complex(name: str, value: ArrayLike, shape: tuple[int, ...]) -> ComplexArray:
    arr = np.array(value, dtype=np.complex128)
    if arr.shape != shape:
        raise InvalidInput(
            f"'{name}' has shape {list(arr.shape)}, expected {list(shape)}",
            field=("states", name),
            fix=f"give one {'x'.join(str(s) for s in shape[1:]) or 'scalar'} array per excited "
            "state",
        )
    if not np.all(np.isfinite(arr)):
        raise InvalidInput(f"'{name}' must be finite", field=("states", name))
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class MolecularStates:
    """Excited states and ground-state transition moments of one molecule, about one origin.

    Parameters
    ----------
    energies : (S,) float
        Excitation energies w_s0 = E_s - E_0 > 0, hartree.
    linewidths : (S,) float
        Damping gamma_s >= 0, hartree (see the module's damping convention).
    P : (S, 3) complex
        <0|P_i|s>, e a0.
    Q : (S, 3, 3) complex
        <0|Q_ij|s>, symmetric in ij, e a0^2.
    O : (S, 3, 3, 3) complex
        <0|Q_ijk|s>, fully symmetric, e a0^3.
    M : (S, 3) complex
        <0|M_i|s>, e hbar / m_e.
    Mq : (S, 3, 3) complex
        <0|M_ij|s> (i angular momentum, j position), traceless, e hbar a0 / m_e.
    ground_first_moment : (3,) float
        sum over electrons <r_i>_00, bohr (needed to move the diamagnetic term to a new origin).
    ground_second_moment : (3, 3) float
        sum over electrons <r_i r_j>_00, bohr^2, real symmetric (diamagnetic part of chi).
    n_electrons : float
        Number of electrons (charge ``charge`` and mass ``mass`` each).
    charge, mass : float
        Particle charge (e) and mass (m_e); -1 and 1 for electrons.
    """

    energies: FloatArray
    linewidths: FloatArray
    P: ComplexArray
    Q: ComplexArray
    O: ComplexArray  # noqa: E741 - the paper's octupole Q_ijk
    M: ComplexArray
    Mq: ComplexArray
    ground_first_moment: FloatArray
    ground_second_moment: FloatArray
    n_electrons: float
    charge: float = -1.0
    mass: float = 1.0

    def __post_init__(self) -> None:
        e = np.array(self.energies, dtype=np.float64, ndmin=1)
        if e.ndim != 1 or e.shape[0] == 0:
            raise InvalidInput(
                "'energies' must be a non-empty list of excitation energies",
                field=("states", "energies"),
                fix="give at least one excited state",
            )
        s = e.shape[0]
        if not np.all(np.isfinite(e)) or np.any(e <= 0):
            i = int(np.argmax(~np.isfinite(e) | (e <= 0)))
            raise InvalidInput(
                f"excitation energy {i} must be finite and > 0 hartree (got {e[i]})",
                field=("states", "energies", i),
                fix="give E_s - E_0 > 0 for every excited state (leave the ground state out)",
            )
        g = np.array(self.linewidths, dtype=np.float64, ndmin=1)
        if g.shape != (s,):
            raise InvalidInput(
                f"'linewidths' has shape {list(g.shape)}, expected [{s}]",
                field=("states", "linewidths"),
                fix="give one linewidth per excited state",
            )
        if not np.all(np.isfinite(g)) or np.any(g < 0):
            i = int(np.argmax(~np.isfinite(g) | (g < 0)))
            raise InvalidInput(
                f"linewidth {i} must be >= 0 hartree (got {g[i]})",
                field=("states", "linewidths", i),
                fix="give gamma >= 0; a negative width breaks causality",
            )
        arrays = {
            "P": _as_complex("P", self.P, (s, 3)),
            "Q": _as_complex("Q", self.Q, (s, 3, 3)),
            "O": _as_complex("O", self.O, (s, 3, 3, 3)),
            "M": _as_complex("M", self.M, (s, 3)),
            "Mq": _as_complex("Mq", self.Mq, (s, 3, 3)),
        }
        scale = lambda a: max(float(np.max(np.abs(a))), 1e-300)  # noqa: E731
        q = arrays["Q"]
        if np.max(np.abs(q - np.swapaxes(q, 1, 2))) > SYMMETRY_RTOL * scale(q):
            raise InvalidInput(
                "'Q' must be symmetric in its two indices (r_i r_j = r_j r_i)",
                field=("states", "Q"),
                fix="symmetrise the quadrupole transition moments",
            )
        o = arrays["O"]
        for perm in ((0, 2, 1, 3), (0, 1, 3, 2), (0, 3, 2, 1)):
            if np.max(np.abs(o - np.transpose(o, perm))) > SYMMETRY_RTOL * scale(o):
                raise InvalidInput(
                    "'O' (octupole) must be symmetric in its three indices",
                    field=("states", "O"),
                    fix="symmetrise the octupole transition moments",
                )
        mq = arrays["Mq"]
        if np.max(np.abs(np.trace(mq, axis1=1, axis2=2))) > SYMMETRY_RTOL * scale(mq):
            raise InvalidInput(
                "'Mq' must be traceless: M_ii = (q/3m) sum (r.l + l.r) = 0",
                field=("states", "Mq"),
                fix="check the magnetic quadrupole convention (i angular momentum, j position)",
            )
        r1 = np.array(self.ground_first_moment, dtype=np.float64)
        if r1.shape != (3,) or not np.all(np.isfinite(r1)):
            raise InvalidInput(
                "'ground_first_moment' must be 3 finite numbers (sum <r_i>_00, bohr)",
                field=("states", "ground_first_moment"),
            )
        r2c = np.array(self.ground_second_moment, dtype=np.complex128)
        if r2c.shape != (3, 3) or not np.all(np.isfinite(r2c)):
            raise InvalidInput(
                "'ground_second_moment' must be a finite 3x3 array (sum <r_i r_j>_00, bohr^2)",
                field=("states", "ground_second_moment"),
            )
        if np.max(np.abs(r2c - r2c.conj().T)) > SYMMETRY_RTOL * scale(r2c) or np.max(
            np.abs(r2c.imag)
        ) > SYMMETRY_RTOL * scale(r2c):
            raise InvalidInput(
                "'ground_second_moment' is not Hermitian: <r_i r_j>_00 of a state must be real "
                "and symmetric",
                field=("states", "ground_second_moment"),
                fix="give the real symmetric second-moment matrix of the ground state",
            )
        r2 = np.ascontiguousarray(r2c.real)
        if np.any(np.linalg.eigvalsh(r2) < -SYMMETRY_RTOL * scale(r2)):
            raise InvalidInput(
                "'ground_second_moment' must be positive semi-definite (it is sum <r r^T>)",
                field=("states", "ground_second_moment"),
            )
        if not np.isfinite(self.n_electrons) or self.n_electrons <= 0:
            raise InvalidInput("'n_electrons' must be > 0", field=("states", "n_electrons"))
        for name, v in (("charge", self.charge), ("mass", self.mass)):
            if not np.isfinite(v) or (name == "mass" and v <= 0) or v == 0:
                raise InvalidInput(f"'{name}' must be finite and non-zero", field=("states", name))
        for name, arr in (("energies", e), ("linewidths", g), ("ground_first_moment", r1)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        r2.setflags(write=False)
        object.__setattr__(self, "ground_second_moment", r2)
        for name, carr in arrays.items():
            object.__setattr__(self, name, carr)
        object.__setattr__(self, "n_electrons", float(self.n_electrons))

    @property
    def size(self) -> int:
        """Number of excited states S."""
        return int(self.energies.shape[0])

    def time_even_residual(self) -> float:
        """How far the moments are from those of a time-even (non-magnetic) ground state.

        For real wavefunctions the electric moments (P, Q, O) of each transition share one phase
        and the magnetic ones (M, M_ij) carry an extra factor i, so Im(X_0s Y_s0) = 0 for two
        electric (or two magnetic) moments and Re(X_0s Y_s0) = 0 for an electric-magnetic pair.
        Table 1 keeps only the parts that survive; this returns, for the worst of the three kinds
        of pair, sum |discarded part| / sum |product| (0 for a time-even molecule). Magnetic
        moments given without their factor i show up as a residual of order 1.
        """
        el = np.concatenate(
            [self.P, self.Q.reshape(self.size, -1), self.O.reshape(self.size, -1)], axis=1
        )
        mg = np.concatenate([self.M, self.Mq.reshape(self.size, -1)], axis=1)
        ee = np.einsum("si,sj->sij", el, el.conj())
        mm = np.einsum("si,sj->sij", mg, mg.conj())
        em = np.einsum("si,sj->sij", el, mg.conj())
        fractions = [
            float(np.abs(bad).sum() / np.abs(allp).sum())
            for bad, allp in ((ee.imag, ee), (mm.imag, mm), (em.real, em))
            if np.abs(allp).sum() > 0
        ]
        return max(fractions, default=0.0)

    @property
    def uniform_damping(self) -> bool:
        """True when every state has the same linewidth (origin independence then exact)."""
        return bool(np.ptp(self.linewidths) <= 1e-14 * max(1.0, float(np.max(self.linewidths))))

    @property
    def reference_linewidth(self) -> float:
        """gamma_ref, the linewidth of the explicit frequency factors (mean of the linewidths)."""
        return float(np.mean(self.linewidths))

    def translated(self, shift: ArrayLike) -> MolecularStates:
        """The same molecule with every moment taken about ``O + D`` instead of ``O``.

        Translation rules for transition moments (s != 0, so <s|0> = 0; hypervirial relation
        <s|p|0> = i m w_s0 <s|r|0>, exact for eigenstates of H = p^2/2m + V(r)), with r' = r - D:

        * P' = P;  Q'_ij = Q_ij - D_i P_j - D_j P_i;
        * Q'_ijk = Q_ijk - (D_i Q_jk + D_j Q_ik + D_k Q_ij) + (D_i D_j P_k + D_i D_k P_j
          + D_j D_k P_i);
        * M' = M - (i/2) w_s0 D x P   (l' = l - D x p);
        * M'_ij = M_ij - 2 D_j M_i + (2/3) delta_ij D.M - (i/3) w_s0 eps_iab D_a Q_jb
          + (2i/3) w_s0 D_j (D x P)_i   (from r_i p_b + p_b r_i = m d(r_i r_b)/dt + eps_ibl l_l);
        * ground state: <r>' = <r> - N_e D, <r_i r_j>' = <r_i r_j> - D_i <r_j> - <r_i> D_j
          + N_e D_i D_j.

        Here <0|O|s> is stored, so the frequency in the rules is w_s0 with the sign of
        <0|p|s> = -i m w_s0 <0|r|s>: the rules above are for <s|O|0> and are applied to the
        complex conjugate.

        Parameters
        ----------
        shift : (3,) float
            D, bohr.
        """
        d = np.asarray(shift, dtype=np.float64).reshape(3)
        # work with <s|O|0> = conj(<0|O|s>) (Hermitian operators)
        p = self.P.conj()
        q = self.Q.conj()
        o = self.O.conj()
        m = self.M.conj()
        mq = self.Mq.conj()
        w = self.energies[:, None]
        dp = np.einsum("i,sj->sij", d, p)
        q_new = q - dp - np.swapaxes(dp, 1, 2)
        dq = np.einsum("i,sjk->sijk", d, q)
        ddp = np.einsum("i,j,sk->sijk", d, d, p)
        o_new = (
            o
            - dq
            - np.transpose(dq, (0, 2, 1, 3))
            - np.transpose(dq, (0, 2, 3, 1))
            + ddp
            + np.transpose(ddp, (0, 1, 3, 2))
            + np.transpose(ddp, (0, 3, 1, 2))
        )
        dxp = np.cross(d[None, :], p)
        m_new = m - 0.5j * w * dxp
        mq_new = (
            mq
            - 2.0 * np.einsum("j,si->sij", d, m)
            + (2.0 / 3.0) * np.einsum("ij,s->sij", EYE, m @ d)
            - (1j / 3.0) * w[:, :, None] * np.einsum("iab,a,sjb->sij", LEVI, d, q)
            + (2j / 3.0) * w[:, :, None] * np.einsum("j,si->sij", d, dxp)
        )
        r1 = self.ground_first_moment
        r2 = self.ground_second_moment
        ne = self.n_electrons
        r2_new = r2 - np.outer(d, r1) - np.outer(r1, d) + ne * np.outer(d, d)
        return MolecularStates(
            energies=self.energies,
            linewidths=self.linewidths,
            P=p.conj(),
            Q=q_new.conj(),
            O=o_new.conj(),
            M=m_new.conj(),
            Mq=mq_new.conj(),
            ground_first_moment=r1 - ne * d,
            ground_second_moment=r2_new,
            n_electrons=ne,
            charge=self.charge,
            mass=self.mass,
        )


# ---------------------------------------------------------------------------------------------
# Table 1
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MolecularTensors:
    """Table-1 tensors at F frequencies (atomic units, per molecule), complex when damped.

    Shapes: alpha, G, chi (F, 3, 3); a, H, L (F, 3, 3, 3); b, d (F, 3, 3, 3, 3). ``G``, ``H``, ``L``
    are G', H', L'. ``omega`` (F,) real frequencies, ``omega_c`` (F,) the explicit complex
    frequency w + i gamma_ref.
    """

    omega: FloatArray
    omega_c: ComplexArray
    alpha: ComplexArray
    a: ComplexArray
    G: ComplexArray
    b: ComplexArray
    d: ComplexArray
    H: ComplexArray
    L: ComplexArray
    chi: ComplexArray
    chi_dia: FloatArray


def _frequencies(omega: ArrayLike, max_frequencies: int) -> FloatArray:
    w = np.array(omega, dtype=np.float64, ndmin=1)
    if w.ndim != 1:
        raise InvalidInput("frequencies must be one-dimensional", field=("frequencies",))
    if w.shape[0] > max_frequencies:
        raise LimitExceeded(
            f"{w.shape[0]} frequencies requested, more than the limit {max_frequencies}",
            limit_name="max_molecular_frequencies",
            limit=max_frequencies,
            requested=w.shape[0],
            field=("frequencies",),
            fix="ask for fewer frequency points",
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidInput(
            "frequencies must be finite and >= 0 hartree",
            field=("frequencies",),
            fix="give real frequencies w >= 0",
        )
    return w


def _check_poles(states: MolecularStates, w: FloatArray) -> None:
    undamped = states.linewidths == 0.0
    if not undamped.any():
        return
    ws = states.energies[undamped]
    hit = np.abs(w[:, None] - ws[None, :]) <= POLE_RTOL * ws[None, :]
    if hit.any():
        f, s = np.argwhere(hit)[0]
        raise PoleOnGrid(
            f"frequency {w[f]:g} hartree lands on the undamped resonance at {ws[s]:g} hartree",
            field=("frequencies",),
            fix="give the states a linewidth > 0, or move the grid point off the resonance",
        )


def molecular_tensors(
    states: MolecularStates,
    omega: ArrayLike,
    *,
    max_states: int = MAX_STATES,
    max_frequencies: int = MAX_FREQUENCIES,
) -> MolecularTensors:
    """Table-1 response tensors of the ground state at frequencies ``omega``.

    Parameters
    ----------
    states
        Excited states and transition moments about one origin.
    omega : (F,) float
        Field frequencies w >= 0, hartree.
    max_states, max_frequencies
        Limits (named ``max_molecular_states`` and ``max_molecular_frequencies`` in errors).

    Returns
    -------
    MolecularTensors
        alpha_ij = 2 sum w_s Z Re(P_i P_j*), a_ijk = 2 sum w_s Z Re(P_i Q_jk*),
        G'_ij = -2 sum w~ Z Im(P_i M_j*), b_ijkl = 2 sum w_s Z Re(P_i Q_jkl*),
        d_ijkl = 2 sum w_s Z Re(Q_ij Q_kl*), H'_ijk = -2 sum w~ Z Im(P_i M_jk*),
        L'_ijk = -2 sum w~ Z Im(Q_ij M_k*), chi_ij = 2 sum w_s Z Re(M_i M_j*)
        + (q^2/4m) (S_ij - S_kk delta_ij), with X_0s Y_s0 = <0|X|s> <0|Y|s>*,
        Z = 1/(w_s^2 - w~_s^2), w~_s = w + i gamma_s, S the ground second moment (Table 1).

    Notes
    -----
    The sums over states are matrix products (F, S) x (S, 3^n), chunked over frequencies so the
    (F_chunk, S) weights stay under ``CHUNK_BYTES``; the outputs take F x 81 complex numbers per
    rank-4 tensor (``max_frequencies`` bounds F).
    """
    if states.size > max_states:
        raise LimitExceeded(
            f"{states.size} states, more than the limit {max_states}",
            limit_name="max_molecular_states",
            limit=max_states,
            requested=states.size,
            field=("states", "energies"),
            fix="truncate the sum over states",
        )
    w = _frequencies(omega, max_frequencies)
    _check_poles(states, w)
    p, q, o, m, mq = states.P, states.Q, states.O, states.M, states.Mq
    # per-state products X_0s Y_s0 = <0|X|s> <0|Y|s>*, the real or imaginary part Table 1 takes
    prods = {
        "alpha": ("re", np.real(np.einsum("si,sj->sij", p, p.conj()))),
        "a": ("re", np.real(np.einsum("si,sjk->sijk", p, q.conj()))),
        "G": ("im", np.imag(np.einsum("si,sj->sij", p, m.conj()))),
        "b": ("re", np.real(np.einsum("si,sjkl->sijkl", p, o.conj()))),
        "d": ("re", np.real(np.einsum("sij,skl->sijkl", q, q.conj()))),
        "H": ("im", np.imag(np.einsum("si,sjk->sijk", p, mq.conj()))),
        "L": ("im", np.imag(np.einsum("sij,sk->sijk", q, m.conj()))),
        "chi": ("re", np.real(np.einsum("si,sj->sij", m, m.conj()))),
    }
    f_total, s_total = w.shape[0], states.size
    out = {n: np.empty((f_total, *x.shape[1:]), dtype=np.complex128) for n, (_, x) in prods.items()}
    ws = states.energies[None, :]
    chunk = max(1, CHUNK_BYTES // (3 * 16 * s_total))
    for lo in range(0, f_total, chunk):
        sl = slice(lo, lo + chunk)
        wc_s = w[sl, None] + 1j * states.linewidths[None, :]
        z = 1.0 / (ws**2 - wc_s**2)
        weights = {"re": 2.0 * ws * z, "im": -2.0 * wc_s * z}  # (F_chunk, S)
        for n, (kind, x) in prods.items():
            out[n][sl] = np.tensordot(weights[kind], x, axes=(1, 0))
    s2 = states.ground_second_moment
    chi_dia = (states.charge**2 / (4.0 * states.mass)) * (s2 - np.trace(s2) * EYE)
    chi = out["chi"] + chi_dia[None]
    return MolecularTensors(
        omega=w,
        omega_c=np.asarray(w + 1j * states.reference_linewidth, dtype=np.complex128),
        alpha=out["alpha"],
        a=out["a"],
        G=out["G"],
        b=out["b"],
        d=out["d"],
        H=out["H"],
        L=out["L"],
        chi=chi,
        chi_dia=chi_dia,
    )


# ---------------------------------------------------------------------------------------------
# Material constants
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialConstants:
    """Molecular parts of A, T, U, X (per molecule, atomic units) for one definition.

    Shapes (F, 3, 3), complex. The constants of a medium of N molecules per bohr^3 are
    ``A = eps0 I + N A_mol``, ``T = N T_mol``, ``U = N U_mol``, ``X = I/mu0 + N X_mol``.
    ``k`` (F, 3) is the wave vector they were evaluated at, bohr^-1.
    """

    definition: str
    k: FloatArray
    A: ComplexArray
    T: ComplexArray
    U: ComplexArray
    X: ComplexArray


def _kmat(v: ArrayLike) -> ComplexArray:
    """K_ij = eps_ikj v_k (so K E = v x E), batched over the leading axis."""
    return np.einsum("ikj,fk->fij", LEVI, np.asarray(v))


def _wave_vectors(
    t: MolecularTensors, direction: ArrayLike, index: complex | ArrayLike
) -> tuple[FloatArray, ComplexArray]:
    """k = (w/c) n sigma (F, 3) and kappa = k / w~ (F, 3), with the w = w~ = 0 limit."""
    sig = np.asarray(direction, dtype=np.float64).reshape(3)
    nrm = float(np.linalg.norm(sig))
    if not np.isfinite(nrm) or nrm == 0:
        raise InvalidInput(
            "the propagation direction must be a non-zero vector",
            field=("direction",),
            fix="give a direction such as [0, 0, 1]",
        )
    sig = sig / nrm
    n = np.broadcast_to(np.asarray(index, dtype=np.complex128), t.omega.shape)
    w, wc = t.omega, t.omega_c
    ratio = np.where(wc == 0, 1.0 + 0j, w / np.where(wc == 0, 1.0, wc))
    k = (w * n / C_AU)[:, None] * sig[None, :]
    kappa = (ratio * n / C_AU)[:, None] * sig[None, :]
    return k, kappa


def multipole_constants(t: MolecularTensors, k: ArrayLike) -> MaterialConstants:
    """Material constants of conventional multipole theory, eqs 12-15 (origin dependent).

    Parameters
    ----------
    t
        Table-1 tensors.
    k : (F, 3)
        Wave vector per frequency, bohr^-1.

    Notes
    -----
    A_ij = alpha_ij + (i/2)(a_ijk - a_jik) k_k - (1/6)(b_ijkl + b_jikl) k_k k_l + (1/4) d_ikjl k_k k_l
    T_ij = -i G'_ij + (1/2)(H'_ijk - L'_ikj) k_k
    U_ij = -i G'_ji - (1/2)(H'_jik - L'_jki) k_k
    X_ij = -chi_ij
    (molecular parts; eq 12 writes a_jki, equal to a_jik because Q_jk is symmetric). Each term was
    re-derived from the induced moments of the multipolar Hamiltonian (docs/molecular.md).
    """
    kk = np.asarray(k, dtype=np.complex128)
    a = t.alpha + 0.5j * (np.einsum("fijk,fk->fij", t.a, kk) - np.einsum("fjik,fk->fij", t.a, kk))
    a = a - (1.0 / 6.0) * (
        np.einsum("fijkl,fk,fl->fij", t.b, kk, kk) + np.einsum("fjikl,fk,fl->fij", t.b, kk, kk)
    )
    a = a + 0.25 * np.einsum("fikjl,fk,fl->fij", t.d, kk, kk)
    tt = -1j * t.G + 0.5 * (np.einsum("fijk,fk->fij", t.H, kk) - np.einsum("fikj,fk->fij", t.L, kk))
    uu = -1j * np.swapaxes(t.G, 1, 2) - 0.5 * (
        np.einsum("fjik,fk->fij", t.H, kk) - np.einsum("fjki,fk->fij", t.L, kk)
    )
    return MaterialConstants("multipole", np.real(kk), a, tt, uu, -t.chi)


def raab_de_lange_inverse_permeability(t: MolecularTensors) -> ComplexArray:
    """Molecular part of X in transformed multipole theory, eq 19 (= minus eq 56).

    Notes
    -----
    X_ij = -chi_ij + (w/2) { eps_ikl (H'_jkl + L'_jkl) + eps_jkl (H'_ikl + L'_ikl)
            - w [ (1/3)(b_ijkk + b_jikk) - (1/2) d_ikjk ]
            - delta_ij [ eps_klm H'_klm - w ( (1/3) b_kkll - (1/4) d_klkl ) ] }
    with w -> w~ (damping convention). Typos resolved: ``b_kkl`` -> b_kkll (a rank-4 trace),
    ``b_jnkk`` in eq 56 -> b_jikk (symmetry in ij).
    """
    w = t.omega_c[:, None, None]
    h = t.H + t.L
    brace = np.einsum("ikl,fjkl->fij", LEVI, h) + np.einsum("jkl,fikl->fij", LEVI, h)
    bt = np.einsum("fijkk->fij", t.b)
    brace = brace - w * (
        (1.0 / 3.0) * (bt + np.swapaxes(bt, 1, 2)) - 0.5 * np.einsum("fikjk->fij", t.d)
    )
    tr = np.einsum("klm,fklm->f", LEVI, t.H) - t.omega_c * (
        (1.0 / 3.0) * np.einsum("fkkll->f", t.b) - 0.25 * np.einsum("fklkl->f", t.d)
    )
    brace = brace - tr[:, None, None] * EYE
    return -t.chi + 0.5 * w * brace


def raab_de_lange_constants(
    t: MolecularTensors, k: ArrayLike, kappa: ArrayLike
) -> MaterialConstants:
    """Material constants of Raab-de Lange transformed multipole theory, eqs 16-19.

    Parameters
    ----------
    t
        Table-1 tensors.
    k, kappa : (F, 3)
        Wave vector (bohr^-1) and k / w~.

    Notes
    -----
    A_ij = alpha_ij + (i/2)(a_ijk - a_jik) k_k - (i/w)[eps_ikl k_k G'_jl - eps_jkl k_k G'_il]
         + k_k k_l { (1/w^2) eps_ikm eps_jln chi_mn - (1/2w) eps_ikm (H'_jml - L'_jlm)
                     - (1/2w) eps_jkm (H'_iml - L'_ilm) - (1/6)(b_ijkl + b_jikl) + (1/4) d_ikjl }
    The G' term is printed ``eps_ikl k_k (G'_lj + G'_jl)`` in the extraction; that form changes
    under an origin shift by -(i/2)(k_i D_j - D_i k_j) alpha-terms the a-terms cannot cancel.
    The form used here is the one that (i) is origin independent (the G' and a shifts cancel
    exactly) and (ii) equals the full spatially dispersive permittivity, i.e. eq 12 plus the fold
    of eqs 13-15 into A through Faraday's law -- the current-density response of eq 39 that
    sections 3-4 derive. (The two forms agree for an isotropic G'.)

    T and U: with A the full permittivity, the wave equation (57) is unchanged only if
    T K + K U = -K X~ K / w for the molecular part X~ of X. Eqs 17-18 carry exactly the terms
    -(1/2w) K X and -(1/2w) X K, which do this; they also print -i t'_ij (eq 50), which would
    count the optical activity a second time (T K + K U with an O(1) t' is not zero for a chiral
    t'), so it is left out: T = -(1/2w) K X~, U = -(1/2w) X~ K, X~ = X - I/mu0 (docs/molecular.md).
    For centrosymmetric or achiral molecules (benzene, the box) t' = 0 and the two readings agree.
    """
    kk = np.asarray(k, dtype=np.complex128)
    ka = np.asarray(kappa, dtype=np.complex128)
    mp = multipole_constants(t, kk)
    a = mp.A - 1j * (
        np.einsum("ikl,fk,fjl->fij", LEVI, ka, t.G) - np.einsum("jkl,fk,fil->fij", LEVI, ka, t.G)
    )
    a = a + np.einsum("ikm,jln,fk,fl,fmn->fij", LEVI, LEVI, ka, ka, t.chi)
    hl = t.H - np.swapaxes(t.L, 2, 3)  # H'_jml - L'_jlm at [j, m, l]
    a = a - 0.5 * (
        np.einsum("ikm,fk,fl,fjml->fij", LEVI, ka, kk, hl)
        + np.einsum("jkm,fk,fl,fiml->fij", LEVI, ka, kk, hl)
    )
    x = raab_de_lange_inverse_permeability(t)
    km = _kmat(ka)
    tt = -0.5 * km @ x
    uu = -0.5 * x @ km
    return MaterialConstants("raab_de_lange", np.real(kk), a, tt, uu, x)


def _perm(x: ComplexArray, src: str, dst: str) -> ComplexArray:
    """Index permutation of a batched tensor: result[f, dst...] = x[f, src...]."""
    return np.einsum(f"f{src}->f{dst}", x)


def covariant_tensors(t: MolecularTensors) -> dict[str, ComplexArray]:
    """The origin-independent tensors of the covariant formulation, eqs 49-53.

    Returns
    -------
    dict
        ``F`` (F,3,3), ``t`` (F,3,3), ``W`` (F,3,3,3,3), ``h`` (F,3,3,3), ``m`` (F,3,3), complex.

    Notes
    -----
    F_ij  = alpha_ij                                                               (49)
    t'_ij = G'_ij - (w/2) eps_jkl a_kli                                            (50)
    W_ijkl = (b_ijkl + b_jikl + b_kijl + b_ljki) - (d_ijkl + d_ikjl + d_jkil)       (51)
    h'_ijk = (1/4)(H'_jik + H'_kij - 2 L'_jki) - (1/16) delta_ij v_k - (1/16) delta_ik v_j
             + (1/12) w eps_ilm b_ljkm,   v_k = H'_llk - 2 L'_kll                   (52)
    m_ij  = chi_ij - (w/4)(eps_ikl H'_kjl + eps_jkl H'_kil)
            - (w^2/48)(eps_ikl eps_jmn + eps_jkl eps_imn) d_kmnl                    (53)
    with w -> w~. Typos resolved in (52): ``H'_jnk`` -> H'_jik and ``delta_jn`` -> delta_ij (the
    only placements, among all index permutations and delta positions, for which the covariant
    constants give the same wave operator (57) as eqs 12-15); ``H'_kll``, ``H'_jll`` vanish
    (M_ll = 0) and are dropped. Each tensor is origin independent: checked to rounding on an
    exactly complete oscillator basis (tests/core/test_molecular.py).
    """
    w = t.omega_c
    w3 = w[:, None, None]
    tp = t.G - 0.5 * w3 * np.einsum("jkl,fkli->fij", LEVI, t.a)
    b, d, h, lq = t.b, t.d, t.H, t.L
    big_w = (
        _perm(b, "ijkl", "ijkl")
        + _perm(b, "jikl", "ijkl")
        + _perm(b, "kijl", "ijkl")
        + _perm(b, "ljki", "ijkl")
        - (_perm(d, "ijkl", "ijkl") + _perm(d, "ikjl", "ijkl") + _perm(d, "jkil", "ijkl"))
    )
    v = np.einsum("fllk->fk", h) - 2.0 * np.einsum("fkll->fk", lq)
    hp = (
        0.25 * (_perm(h, "jik", "ijk") + _perm(h, "kij", "ijk") - 2.0 * _perm(lq, "jki", "ijk"))
        - (1.0 / 16.0) * np.einsum("ij,fk->fijk", EYE, v)
        - (1.0 / 16.0) * np.einsum("ik,fj->fijk", EYE, v)
        + (1.0 / 12.0) * w[:, None, None, None] * np.einsum("ilm,fljkm->fijk", LEVI, b)
    )
    m = (
        t.chi
        - 0.25 * w3 * (np.einsum("ikl,fkjl->fij", LEVI, h) + np.einsum("jkl,fkil->fij", LEVI, h))
        - (1.0 / 48.0)
        * w3**2
        * (
            np.einsum("ikl,jmn,fkmnl->fij", LEVI, LEVI, d)
            + np.einsum("jkl,imn,fkmnl->fij", LEVI, LEVI, d)
        )
    )
    return {"F": t.alpha, "t": tp, "W": big_w, "h": hp, "m": m}


def covariant_constants(
    t: MolecularTensors, k: ArrayLike, cov: dict[str, ComplexArray] | None = None
) -> MaterialConstants:
    """Material constants of the covariant formulation, eqs 45-48 (origin independent).

    Notes
    -----
    A_ij = F_ij - (1/12) W_ijkl k_k k_l                                           (45)
    T_ij = -i t'_ij + h'_jki k_k                                                   (46)
    U_ij = -i t'_ji - h'_ikj k_k                                                   (47)
    X_ij = -m_ij                                                                   (48)
    (molecular parts). Typos resolved: the printed ``-t'_ij`` / ``-t'_jj`` carry the -i of eqs
    13-14 (T = -i G' + ...) and t'_ji; the printed ``X = -1/mu0 - m`` has the vacuum sign flipped
    (X must reduce to 1/mu0); with h'_ijk as in eq 52, the contractions that reproduce the wave
    operator of eqs 12-15 are h'_jki k_k in T and -h'_ikj k_k in U (the printed h'_ijk, h'_jik
    belong to a cyclically relabelled h').
    """
    c = covariant_tensors(t) if cov is None else cov
    kk = np.asarray(k, dtype=np.complex128)
    a = c["F"] - (1.0 / 12.0) * np.einsum("fijkl,fk,fl->fij", c["W"], kk, kk)
    tt = -1j * c["t"] + np.einsum("fjki,fk->fij", c["h"], kk)
    uu = -1j * np.swapaxes(c["t"], 1, 2) - np.einsum("fikj,fk->fij", c["h"], kk)
    return MaterialConstants("covariant", np.real(kk), a, tt, uu, -c["m"])


def raab_de_lange_x_from_covariant(
    t: MolecularTensors, cov: dict[str, ComplexArray] | None = None
) -> ComplexArray:
    """Eq 55: the Raab-de Lange X (eq 19) written with the covariant tensors (molecular part).

    Notes
    -----
    X_ij = -m_ij + w (eps_ikl h'_kjl + eps_jkl h'_kil) - (w^2/24)(2 W_ijmm - delta_ij W_kkmm).
    The printed form (``eps_ikl h'_jkl + eps_jkl h'_ilk``, ``+ w^2/24``, ``-1/mu0``) does not
    equal eq 19; this one does, to rounding, for arbitrary moments (index placement and signs
    found by testing every permutation against eq 19, the same relabelling of h' as in 46-47).
    """
    c = covariant_tensors(t) if cov is None else cov
    w = t.omega_c[:, None, None]
    wmm = np.einsum("fklmm->fkl", c["W"])
    return (
        -c["m"]
        + w * (np.einsum("ikl,fkjl->fij", LEVI, c["h"]) + np.einsum("jkl,fkil->fij", LEVI, c["h"]))
        - (w**2 / 24.0) * (2.0 * wmm - np.einsum("fkk->f", wmm)[:, None, None] * EYE)
    )


def magnetizability(t: MolecularTensors) -> ComplexArray:
    """Frequency-dependent magnetizability of Raab & de Lange, eq 56 (F, 3, 3), atomic units.

    alpha^m_ij = chi_ij - (w/2){...} = minus the molecular part of X in eq 19 (``b_jnkk`` of the
    extraction read as b_jikk). Reduces to chi(0), the conventional static magnetizability, at
    w = 0, and is origin independent for a complete basis.
    """
    return -raab_de_lange_inverse_permeability(t)


def constants_at(
    t: MolecularTensors, definition: str, k: ArrayLike, kappa: ArrayLike
) -> MaterialConstants:
    """Molecular parts of A, T, U, X for ``definition`` at wave vectors k (and kappa = k/w~)."""
    if definition == "multipole":
        return multipole_constants(t, k)
    if definition == "raab_de_lange":
        return raab_de_lange_constants(t, k, kappa)
    if definition == "covariant":
        return covariant_constants(t, k)
    raise InvalidInput(
        f"unknown definition '{definition}'",
        field=("definitions",),
        fix=f"use one of {', '.join(DEFINITIONS)}",
    )


def material_constants(
    t: MolecularTensors, definition: str, direction: ArrayLike, index: complex = 1.0
) -> MaterialConstants:
    """Molecular parts of the material constants for propagation along ``direction``.

    Parameters
    ----------
    t
        Table-1 tensors at F frequencies.
    definition : {"multipole", "raab_de_lange", "covariant"}
        eqs 12-15, 16-19 or 45-48.
    direction : (3,)
        Propagation direction sigma (normalised here).
    index
        Refractive index used to build k = (w/c) n sigma (1 for a dilute medium, as the paper's
        tables).

    Returns
    -------
    MaterialConstants
        A, T, U, X molecular parts, (F, 3, 3) complex, atomic units.
    """
    k, kappa = _wave_vectors(t, direction, index)
    return constants_at(t, definition, k, kappa)


# ---------------------------------------------------------------------------------------------
# Wave equation (57), refractive index, absorption (40)
# ---------------------------------------------------------------------------------------------


def wave_operator_molecular(c: MaterialConstants, kappa: ArrayLike) -> ComplexArray:
    """Molecular part of the operator of eq 57: A + T K + K U + K X K with K from kappa = k/w~.

    Notes
    -----
    Eq 57, (1/w) eps_ipq k_p U_qj + A_ij + (1/w^2) eps_ipq eps_lkj k_k k_p X_ql
    + (1/w) eps_lkj k_k T_il, is A + (K U + T K)/w + K X K / w^2 with K_ij = eps_ikj k_k
    (from k x H = -w D and B = k x E / w). The vacuum parts (eps0 I, I/mu0) are added by
    :func:`refractive_index`.
    """
    km = _kmat(kappa)
    return c.A + c.T @ km + km @ c.U + km @ c.X @ km


def _isotropic_coefficients(
    t: MolecularTensors, definition: str
) -> tuple[dict[str, ComplexArray], dict[str, ComplexArray], dict[str, ComplexArray]]:
    """Polynomial coefficients C0_ij, C1_ija, C2_ijab of each constant in k (exact: degree 2)."""
    f = t.omega.shape[0]
    wc = t.omega_c
    inv = np.where(wc == 0, 0.0, 1.0 / np.where(wc == 0, 1.0, wc))

    def ev(vec: ArrayLike) -> MaterialConstants:
        k = np.broadcast_to(np.asarray(vec, dtype=np.float64), (f, 3))
        return constants_at(t, definition, k, k * inv[:, None])

    names = ("A", "T", "U", "X")
    zero = ev(np.zeros(3))
    c0 = {n: getattr(zero, n) for n in names}
    c1 = {n: np.zeros((f, 3, 3, 3), dtype=np.complex128) for n in names}
    c2 = {n: np.zeros((f, 3, 3, 3, 3), dtype=np.complex128) for n in names}
    plus, minus = [], []
    for a in range(3):
        e = np.zeros(3)
        e[a] = 1.0
        plus.append(ev(e))
        minus.append(ev(-e))
        for n in names:
            p_, m_ = getattr(plus[a], n), getattr(minus[a], n)
            c1[n][..., a] = 0.5 * (p_ - m_)
            c2[n][..., a, a] = 0.5 * (p_ + m_) - c0[n]
    for a in range(3):
        for b in range(a + 1, 3):
            e = np.zeros(3)
            e[a] = e[b] = 1.0
            both = ev(e)
            for n in names:
                rest = getattr(both, n) - c0[n] - c1[n][..., a] - c1[n][..., b]
                rest = rest - c2[n][..., a, a] - c2[n][..., b, b]
                c2[n][..., a, b] = c2[n][..., b, a] = 0.5 * rest
    return c0, c1, c2


def isotropic_average(x: ArrayLike) -> ComplexArray:
    """Rotational average <R x R^T> of a batched Cartesian tensor of rank 2, 3 or 4.

    Parameters
    ----------
    x : (F, 3, 3) or (F, 3, 3, 3) or (F, 3, 3, 3, 3)

    Returns
    -------
    Same shape: rank 2 -> delta_ij x_kk / 3; rank 3 -> eps_ijk (eps_abc x_abc) / 6;
    rank 4 -> (1/30)[delta_ij delta_kl (4 x_aabb - x_abab - x_abba)
                    + delta_ik delta_jl (-x_aabb + 4 x_abab - x_abba)
                    + delta_il delta_jk (-x_aabb - x_abab + 4 x_abba)].
    """
    arr = np.asarray(x, dtype=np.complex128)
    r = arr.ndim - 1
    if r == 2:
        return np.einsum("fkk,ij->fij", arr, EYE) / 3.0
    if r == 3:
        return np.einsum("abc,fabc,ijk->fijk", LEVI, arr, LEVI) / 6.0
    if r == 4:
        s1 = np.einsum("faabb->f", arr)
        s2 = np.einsum("fabab->f", arr)
        s3 = np.einsum("fabba->f", arr)
        dd1 = np.einsum("ij,kl->ijkl", EYE, EYE)
        dd2 = np.einsum("ik,jl->ijkl", EYE, EYE)
        dd3 = np.einsum("il,jk->ijkl", EYE, EYE)
        return (
            np.einsum("f,ijkl->fijkl", 4 * s1 - s2 - s3, dd1)
            + np.einsum("f,ijkl->fijkl", -s1 + 4 * s2 - s3, dd2)
            + np.einsum("f,ijkl->fijkl", -s1 - s2 + 4 * s3, dd3)
        ) / 30.0
    raise ValueError("isotropic_average takes rank 2, 3 or 4 tensors with a leading batch axis")


def isotropic_constants(
    t: MolecularTensors, definition: str, direction: ArrayLike, index: complex = 1.0
) -> MaterialConstants:
    """Material constants of an isotropic medium (randomly oriented molecules), molecular parts.

    Each constant is a quadratic polynomial in k, C0_ij + C1_ija k_a + C2_ijab k_a k_b; the
    coefficient tensors are rotationally averaged (:func:`isotropic_average`) and the average
    polynomial is evaluated at k = (w/c) n sigma. The average of an origin-independent constant
    is origin independent.
    """
    c0, c1, c2 = _isotropic_coefficients(t, definition)
    k, _ = _wave_vectors(t, direction, index)
    kk = k.astype(np.complex128)
    out = {}
    for n in ("A", "T", "U", "X"):
        out[n] = (
            isotropic_average(c0[n])
            + np.einsum("fija,fa->fij", isotropic_average(c1[n]), kk)
            + np.einsum("fijab,fa,fb->fij", isotropic_average(c2[n]), kk, kk)
        )
    return MaterialConstants(definition, np.real(k), out["A"], out["T"], out["U"], out["X"])


@dataclass(frozen=True)
class RefractiveIndex:
    """Forward-propagating roots of eq 57 for one definition.

    ``n`` (F, 2) complex, sorted by real part; ``polarization`` (F, 2, 3) the unit field vector E0
    of each mode (null vector of the operator); ``residual`` (F, 2) the smallest singular value of
    the wave operator at each root relative to its largest (a check that the root is a root).
    """

    definition: str
    n: ComplexArray
    polarization: ComplexArray = field(repr=False)
    residual: FloatArray = field(repr=False)


def refractive_index(
    t: MolecularTensors,
    definition: str,
    direction: ArrayLike,
    number_density: float,
) -> RefractiveIndex:
    """Solve the wave equation (57) for the refractive indices along ``direction``.

    Parameters
    ----------
    t
        Table-1 tensors at F frequencies.
    definition
        Which set of material constants builds the operator.
    direction : (3,)
        Propagation direction sigma.
    number_density
        N, molecules per bohr^3 (``LOSCHMIDT_AU`` for a gas at STP).

    Returns
    -------
    RefractiveIndex
        The two forward (Im n > 0, or Re n > 0 when lossless) transverse roots per frequency.

    Notes
    -----
    With k = (w/c) n sigma every constant is a polynomial of degree <= 2 in n, so
    W(n) = eps0 (I + n^2 K_s K_s) + N W_mol(n) = W0 + n W1 + n^2 W2 exactly (K_s from sigma). The
    quadratic eigenproblem is linearised and solved for mu = 1/n as the eigenvalues of
    [[0, I], [-W0, -W1]]^-1 [[I, 0], [0, W2]] (batched over frequencies); the two roots with
    mu -> 0 are the longitudinal/spurious ones of the truncated multipole series and are dropped.
    The operator is the same for the three definitions (algebraic identity), so their roots agree
    to rounding.
    """
    if not np.isfinite(number_density) or number_density <= 0:
        raise InvalidInput(
            "the number density must be > 0 molecules per bohr^3",
            field=("number_density",),
            fix="give N > 0 (a gas at STP has about 4.0e-6 bohr^-3)",
        )
    f = t.omega.shape[0]
    _wave_vectors(t, direction, 1.0)  # validates the direction
    sig = np.asarray(direction, dtype=np.float64).reshape(3)
    sig = sig / np.linalg.norm(sig)
    ks = _kmat(sig[None, :])[0].real
    vals = {}
    for n in (0.0, 1.0, -1.0):
        k, kappa = _wave_vectors(t, sig, n)
        vals[n] = wave_operator_molecular(constants_at(t, definition, k, kappa), kappa)
    w0 = EPS0_AU * EYE + number_density * vals[0.0]
    w1 = number_density * 0.5 * (vals[1.0] - vals[-1.0])
    w2 = EPS0_AU * (ks @ ks) + number_density * (0.5 * (vals[1.0] + vals[-1.0]) - vals[0.0])
    z = np.zeros((f, 3, 3), dtype=np.complex128)
    ib = np.broadcast_to(EYE, (f, 3, 3)).astype(np.complex128)
    big_a = np.block([[z, ib], [-w0, -w1]])
    big_b = np.block([[ib, z], [z, w2]])
    mu = np.linalg.eigvals(np.linalg.solve(big_a, big_b))
    order = np.argsort(-np.abs(mu), axis=1)[:, :4]
    mu4 = np.take_along_axis(mu, order, axis=1)
    n4 = 1.0 / mu4
    score = n4.imag + 1e-9 * n4.real
    fw = np.take_along_axis(n4, np.argsort(-score, axis=1)[:, :2], axis=1)
    fw = np.take_along_axis(fw, np.argsort(fw.real, axis=1), axis=1)
    op = w0[:, None] + fw[..., None, None] * w1[:, None] + (fw**2)[..., None, None] * w2[:, None]
    _, sv, vh = np.linalg.svd(op)
    pol = vh[..., -1, :].conj()
    return RefractiveIndex(
        definition, np.asarray(fw, dtype=np.complex128), pol, sv[..., -1] / sv[..., 0]
    )


def absorption_coefficient(
    t: MolecularTensors,
    direction: ArrayLike,
    polarization: ArrayLike,
    number_density: float,
    definition: str = "raab_de_lange",
) -> FloatArray:
    """Absorption coefficient of eq 40 (intensity attenuation per bohr), shape (F,).

    Parameters
    ----------
    direction, polarization : (3,)
        Propagation direction sigma and polarization e (complex allowed; normalised, and should
        be perpendicular to sigma).
    number_density
        N, molecules per bohr^3 (1/V of eq 40).
    definition
        The permittivity used; eq 40 uses eq 16 (``raab_de_lange``), the origin-independent one
        sections 3-4 derive.

    Notes
    -----
    a = (4 pi w N / c) Im(e* . A_mol . e) = (w N / (eps0 c)) Im A_mol,ee (atomic units, hbar = 1).
    Eq 40 prints a = -(4 pi w / (hbar^2 c V)) Im A: the minus sign belongs to the current-response
    convention of eq 28 (Im <<j; j>> < 0 for absorption); with Im A > 0 for a passive medium
    (exp(-i w t)) the coefficient is positive. For a dilute medium it equals 2 (w/c) Im n of the
    mode polarised along e (checked in the tests against :func:`refractive_index`).
    """
    e = np.asarray(polarization, dtype=np.complex128).reshape(3)
    nrm = float(np.linalg.norm(e))
    if nrm == 0 or not np.isfinite(nrm):
        raise InvalidInput(
            "the polarization must be a non-zero vector",
            field=("polarization",),
            fix="give e.g. [1, 0, 0]",
        )
    e = e / nrm
    c = material_constants(t, definition, direction, 1.0)
    aee = np.einsum("i,fij,j->f", e.conj(), c.A, e)
    return 4.0 * np.pi * t.omega * number_density / C_AU * np.imag(aee)


# ---------------------------------------------------------------------------------------------
# Origin report
# ---------------------------------------------------------------------------------------------


def origin_report(
    before: MolecularTensors,
    after: MolecularTensors,
    direction: ArrayLike,
    definitions: tuple[str, ...] = DEFINITIONS,
    index: complex = 1.0,
) -> dict[str, dict[str, dict[str, float]]]:
    """How each tensor and material constant changes when the origin moves.

    Parameters
    ----------
    before, after
        Table-1 tensors of the same molecule with moments about O and about O + D.
    direction
        Propagation direction.
    definitions
        Definitions to report.

    Returns
    -------
    dict
        ``{"tensors": {name: {...}}, definition: {"A"|"T"|"U"|"X": {...}}}`` where each leaf holds
        ``max_abs_change`` (max over frequencies and components of |after - before|),
        ``max_abs`` (max |before|) and ``relative_change`` (their ratio).
    """

    def stats(x0: ComplexArray, x1: ComplexArray) -> dict[str, float]:
        ch = float(np.max(np.abs(x1 - x0)))
        sz = float(np.max(np.abs(x0)))
        return {
            "max_abs_change": ch,
            "max_abs": sz,
            "relative_change": ch / sz if sz > 0 else (0.0 if ch == 0 else float("inf")),
        }

    out: dict[str, dict[str, dict[str, float]]] = {
        "tensors": {
            n: stats(getattr(before, n), getattr(after, n))
            for n in ("alpha", "a", "G", "b", "d", "H", "L", "chi")
        }
    }
    for dfn in definitions:
        c0 = material_constants(before, dfn, direction, index)
        c1 = material_constants(after, dfn, direction, index)
        out[dfn] = {n: stats(getattr(c0, n), getattr(c1, n)) for n in ("A", "T", "U", "X")}
    return out


# ---------------------------------------------------------------------------------------------
# Reports: the checks, written once, and the two computations the API serves
# ---------------------------------------------------------------------------------------------

#: |TRK residual| under which the basis counts as complete for the dipole sum rule.
TRK_TOL: Final = 1e-2
#: Relative size of the parts Table 1 discards, above which the moments are not time-even.
TIME_EVEN_TOL: Final = 1e-8
#: Relative difference of X_RL(0), X_cov(0) and -chi(0) allowed by rounding (an identity).
STATIC_RTOL: Final = 1e-12
#: Relative disagreement of the refractive indices of two definitions counted as agreement.
AGREEMENT_RTOL: Final = 1e-10
#: Smallest / largest singular value of the wave operator at a root, above which it is no root.
ROOT_RTOL: Final = 1e-8
#: Default relative change under an origin shift below which a constant counts as unchanged.
ORIGIN_RTOL: Final = 1e-3


THOMAS_REICHE_KUHN: Final = CheckSpec(
    name="thomas_reiche_kuhn",
    kind="bound",
    equation="sum_s 2 m w_s0 |<0|P_i|s>|^2 = q^2 N_e for i = x, y, z (Thomas-Reiche-Kuhn sum "
    "rule: the completeness on which the origin independence of Anelli et al. 2014, eqs 16-19 "
    "and 45-53, rests); judged as max_i |residual_i| < tolerance, evaluated in closed form on "
    "the given states",
    explanation="A basis that misses part of the dipole sum rule is incomplete: the Raab-de "
    "Lange and covariant constants then change under an origin shift by about that fraction, "
    "so their origin independence is only approximate.",
    tolerance=TRK_TOL,
    warning="the sum over states misses {value:.3g} of the Thomas-Reiche-Kuhn sum rule "
    "(tolerance {tolerance:.3g}): the transformed constants are origin independent only to "
    "about that fraction; add excited states",
)

TIME_EVEN: Final = CheckSpec(
    name="time_even",
    kind="bound",
    equation="Im(X_0s Y_s0) = 0 for two electric or two magnetic moments, Re(X_0s Y_s0) = 0 for "
    "an electric-magnetic pair (non-magnetic ground state, Anelli et al. 2014, Table 1); judged "
    "as sum |discarded part| / sum |product| <= tolerance for the worst kind of pair",
    explanation="Table 1 assumes a non-magnetic ground state: electric moments of a transition "
    "share one phase, magnetic ones carry an extra i. Moments that break this (a residual of "
    "order 1 usually means M given without its factor i) lose the dropped parts, and with them "
    "origin independence.",
    tolerance=TIME_EVEN_TOL,
    warning="the moments are not those of a time-even ground state (see checks.time_even, "
    "residual {value:.3g}): the Table-1 tensors drop the parts that should vanish, and origin "
    "independence is lost",
)

STATIC_LIMIT: Final = CheckSpec(
    name="static_limit",
    kind="bound",
    equation="X_RL(0) = X_cov(0) = -chi(0) (Anelli et al. 2014, eqs 19, 48, 56 at w = 0, no "
    "damping); judged as max |X(0) + chi(0)| / max |chi(0)| <= tolerance (rounding)",
    explanation="Both origin-independent inverse permeabilities must reduce to minus the static "
    "magnetizability; a difference is an error in the implementation of eqs 19 or 53, not a "
    "property of the molecule.",
    tolerance=STATIC_RTOL,
    warning="X_RL(0), X_cov(0) and -chi(0) differ by {value:.3g} (relative): the "
    "inverse-permeability constants are inconsistent with the static magnetizability",
)

UNIFORM_DAMPING: Final = CheckSpec(
    name="uniform_damping",
    kind="bound",
    equation="gamma_s = gamma for every excited state (the damping convention of core.molecular: "
    "every constant is then the undamped one continued to w + i gamma); value: max gamma_s - "
    "min gamma_s [hartree]",
    explanation="Origin independence with damping is exact only for equal linewidths; unequal "
    "ones make the explicit frequency factors (G'/w, w H', ...) use the mean linewidth, which "
    "breaks it at order |gamma_s - gamma_mean| / w.",
    warning="unequal linewidths: explicit frequency factors use the mean linewidth, which breaks "
    "origin independence at order |gamma_s - gamma_mean| / w",
)

_ORIGIN_STATEMENT: Final = (
    "max over frequencies and components of |C(O + D) - C(O)| / max |C(O)| <= tolerance for the "
    "permittivity A and the inverse permeability X (the statement of the title; the T, U of "
    "eqs 17-18 follow X), with the moments recomputed about O + D"
)

ORIGIN_INDEPENDENCE: Final[dict[str, CheckSpec]] = {
    "multipole": CheckSpec(
        name="origin_independence_multipole",
        kind="value",
        equation="the multipole constants (Anelli et al. 2014, eqs 12-15) are origin dependent "
        "beyond the dipole order by construction; value: the larger relative change of A and X "
        "under the shift",
        explanation="No verdict: the multipole constants are expected to change when the origin "
        "moves (the change is what the transformed definitions remove); it is reported for "
        "comparison with the Raab-de Lange and covariant checks.",
    ),
    "raab_de_lange": CheckSpec(
        name="origin_independence_raab_de_lange",
        kind="indicative",
        equation="Raab-de Lange constants (Anelli et al. 2014, eqs 16-19) are origin independent "
        "for a complete sum over states: " + _ORIGIN_STATEMENT,
        explanation="The Raab-de Lange A or X moved with the origin by more than the tolerance: "
        "the sum over states is not complete enough (see checks.thomas_reiche_kuhn), so their "
        "values depend on the basis as well as on the molecule. Indicative: one shift is tested, "
        "not every origin.",
        tolerance=ORIGIN_RTOL,
        warning="the Raab-de Lange constants changed under the shift by {value:.3g} (relative), "
        "more than origin_tolerance = {tolerance:.3g}: the sum over states is not complete "
        "enough (see checks.thomas_reiche_kuhn)",
    ),
    "covariant": CheckSpec(
        name="origin_independence_covariant",
        kind="indicative",
        equation="covariant constants (Anelli et al. 2014, eqs 45-53) are origin independent for "
        "a complete sum over states: " + _ORIGIN_STATEMENT,
        explanation="The covariant A or X moved with the origin by more than the tolerance: the "
        "sum over states is not complete enough (see checks.thomas_reiche_kuhn), so their "
        "values depend on the basis as well as on the molecule. Indicative: one shift is tested, "
        "not every origin.",
        tolerance=ORIGIN_RTOL,
        warning="the covariant constants changed under the shift by {value:.3g} (relative), more "
        "than origin_tolerance = {tolerance:.3g}: the sum over states is not complete enough "
        "(see checks.thomas_reiche_kuhn)",
    ),
}

DEFINITIONS_AGREE: Final = CheckSpec(
    name="definitions_agree",
    kind="bound",
    equation="one wave operator (Anelli et al. 2014, eq 57) for the constants of eqs 12-15, "
    "16-19 and 45-48, an algebraic identity; judged as max |n_def - n_first| / max |n_first| <= "
    "tolerance (rounding)",
    explanation="The three definitions must give the same refractive indices; a disagreement "
    "beyond rounding means the wave operator was ill-conditioned at some frequency (or an "
    "implementation error), and the indices should not be trusted there.",
    tolerance=AGREEMENT_RTOL,
    warning="the refractive indices of the definitions disagree by {value:.3g} (relative, "
    "tolerance {tolerance:.3g}): the wave equation (57) was not solved to rounding",
)

ROOTS: Final = CheckSpec(
    name="roots",
    kind="bound",
    equation="det W(n) = 0 at each returned index (Anelli et al. 2014, eq 57); judged as the "
    "smallest singular value of W(n) relative to its largest <= tolerance, over frequencies, "
    "modes and definitions",
    explanation="A returned index at which the wave operator is not singular is not a solution "
    "of eq 57: the quadratic eigenvalue problem lost accuracy there.",
    tolerance=ROOT_RTOL,
    warning="a returned refractive index is not a root of the wave operator (57): relative "
    "singular value {value:.3g} > {tolerance:.3g}",
)


def thomas_reiche_kuhn_check(
    states: MolecularStates, spec: CheckSpec = THOMAS_REICHE_KUHN
) -> Check:
    """The :data:`THOMAS_REICHE_KUHN` check of ``states`` (residual per Cartesian axis).
    ``spec``: the same statement with a warning that fits where the states came from (a
    quantum-chemistry basis, core.quantum_chem)."""
    f = 2.0 * states.mass * states.energies[:, None] * np.abs(states.P) ** 2
    res = f.sum(axis=0) / (states.charge**2 * states.n_electrons) - 1.0
    worst = float(np.max(np.abs(res)))
    return spec.judge(worst < TRK_TOL, worst, residual_xyz=[float(v) for v in res])


def time_even_check(states: MolecularStates) -> Check:
    """The :data:`TIME_EVEN` check (:meth:`MolecularStates.time_even_residual`)."""
    res = states.time_even_residual()
    return TIME_EVEN.judge(res <= TIME_EVEN_TOL, res, residual=res)


def static_limit_check(states: MolecularStates) -> Check:
    """The :data:`STATIC_LIMIT` check: eqs 19 and 53 at w = 0 without damping against chi(0)."""
    undamped = dataclasses.replace(states, linewidths=np.zeros(states.size))
    t = molecular_tensors(undamped, np.array([0.0]), max_states=max(states.size, 1))
    x_rl = raab_de_lange_inverse_permeability(t)[0]
    x_cov = -covariant_tensors(t)["m"][0]
    chi = t.chi[0]
    diff = float(max(np.max(np.abs(x_rl + chi)), np.max(np.abs(x_cov + chi))))
    scale = max(float(np.max(np.abs(chi))), 1e-300)
    return STATIC_LIMIT.judge(
        diff <= STATIC_RTOL * scale,
        diff / scale,
        max_abs_difference=diff,
        static_magnetizability_diagonal=[float(v) for v in np.real(np.diag(chi))],
    )


def uniform_damping_check(states: MolecularStates) -> Check:
    """The :data:`UNIFORM_DAMPING` check (:attr:`MolecularStates.uniform_damping`)."""
    return UNIFORM_DAMPING.judge(
        states.uniform_damping,
        float(np.ptp(states.linewidths)),
        reference_linewidth=states.reference_linewidth,
    )


def origin_checks(
    report: dict[str, dict[str, dict[str, float]]],
    definitions: Sequence[str],
    tolerance: float = ORIGIN_RTOL,
    specs: Mapping[str, CheckSpec] = ORIGIN_INDEPENDENCE,
) -> dict[str, Check]:
    """One origin-independence check per definition, from an :func:`origin_report` (``specs``:
    the statements by definition, :data:`ORIGIN_INDEPENDENCE` unless a caller words the
    warnings for its states).

    ``details.per_quantity`` says for each of A, T, U, X whether its relative change is within
    ``tolerance``; the verdict (Raab-de Lange, covariant) is that of A and X, the quantities the
    paper's title is about (T and U of eqs 17-18 follow X). The multipole check is a value.
    """
    out: dict[str, Check] = {}
    for d in definitions:
        spec = specs[d]
        rel = {q: report[d][q]["relative_change"] for q in "ATUX"}
        within = {q: bool(rel[q] <= tolerance) for q in "ATUX"}
        worst = max(rel["A"], rel["X"])
        out[spec.name] = spec.judge(
            within["A"] and within["X"],
            worst,
            tolerance=None if spec.kind == "value" else tolerance,
            per_quantity=within,
            relative_change=rel,
        )
    return out


def _unit_texts() -> dict[str, str]:
    """Units of the tensors and constants (atomic units, with their SI values)."""
    si = SI_PER_AU
    mag = f"a.u. = {si['magnetizability'][0]:.6g} {si['magnetizability'][1]}"
    me = f"a.u. = {si['magnetoelectric'][0]:.6g} {si['magnetoelectric'][1]}"
    return {
        "A": f"a.u. of polarizability = {si['polarizability'][0]:.6g} {si['polarizability'][1]}",
        "X": f"a.u. of magnetizability = {si['magnetizability'][0]:.6g} {si['magnetizability'][1]}",
        "T": me,
        "U": me,
        "magnetizability": mag,
    }


INVERSE_LENGTH_UNIT: Final = f"1/bohr (1/bohr = {SI_PER_AU['inverse_length'][0]:.6g} 1/m)"


def _perpendicular(sigma: FloatArray) -> FloatArray:
    s = sigma / np.linalg.norm(sigma)
    trial = EYE[int(np.argmin(np.abs(s)))]
    e = trial - s * (s @ trial)
    return np.asarray(e / np.linalg.norm(e), dtype=np.float64)


def _sign_changes(w: FloatArray, x: FloatArray) -> list[float]:
    """Frequencies (midpoints, in sorted grid order) where x changes sign between grid points."""
    order = np.argsort(w, kind="stable")
    ws, xs = w[order], x[order]
    flips = np.flatnonzero(np.sign(xs[1:]) * np.sign(xs[:-1]) < 0)
    return [float(0.5 * (ws[i] + ws[i + 1])) for i in flips]


def _grid(omega: FloatArray, grid: ArrayLike | None) -> FloatArray:
    g = omega if grid is None else np.asarray(grid, dtype=np.float64)
    if g.shape != omega.shape:
        raise ValueError(f"grid has shape {g.shape}, the frequencies {omega.shape}")
    return g


def _change(x0: ComplexArray, x1: ComplexArray) -> dict[str, float]:
    ch = float(np.max(np.abs(x1 - x0)))
    sz = float(np.max(np.abs(x0)))
    return {"max_abs_change": ch, "max_abs": sz, "relative_change": ch / sz if sz else 0.0}


def material_constants_report(
    states: MolecularStates,
    omega: ArrayLike,
    *,
    direction: ArrayLike = (0.0, 0.0, 1.0),
    definitions: Sequence[str] = DEFINITIONS,
    index: float = 1.0,
    polarization: ArrayLike | None = None,
    number_density: float = LOSCHMIDT_AU,
    include_tensors: bool = True,
    shifted: MolecularStates | None = None,
    shift: ArrayLike | None = None,
    origin_tolerance: float = ORIGIN_RTOL,
    grid: ArrayLike | None = None,
    grid_unit: str = "hartree",
    max_states: int = MAX_STATES,
    max_frequencies: int = MAX_FREQUENCIES,
) -> Report:
    """Table-1 tensors and the material constants of each definition, with their checks.

    Parameters
    ----------
    states
        Excited states and moments about the origin O.
    omega : (F,) float
        Field frequencies w >= 0, hartree.
    direction : (3,)
        Propagation direction sigma (normalised here).
    definitions
        Any of ``multipole`` (eqs 12-15), ``raab_de_lange`` (16-19), ``covariant`` (45-53).
    index
        Refractive index in k = (w/c) n sigma (1: dilute medium, as the paper's tables).
    polarization : (3,), optional
        e of the absorption coefficient (eq 40); default a unit vector perpendicular to sigma.
    number_density
        N, molecules per bohr^3 (absorption coefficient only).
    include_tensors
        Whether ``results`` carries the Table-1 tensors.
    shifted, shift
        The same molecule with moments about O + D, and D (bohr): adds ``origin_report`` and one
        origin-independence check per definition (tolerance ``origin_tolerance``, relative).
    grid, grid_unit
        The grid as the caller gave it (echoed as the first array; default ``omega``) and its unit.
    max_states, max_frequencies
        Limits of :func:`molecular_tensors`.

    Returns
    -------
    Report
        Arrays: ``frequencies`` (the grid), ``absorption_coefficient`` (eq 40, 1/bohr),
        ``alpha_isotropic``, ``chi_isotropic`` (tr/3, a.u.), ``magnetizability`` (eq 56,
        (F, 3, 3), a.u.). Results: ``tensors`` (if asked), ``constants`` (A, T, U, X per
        definition, (F, 3, 3)), ``isotropic`` (transverse A and X of randomly oriented
        molecules), ``inverse_permeability_comparison`` (X_RL / X_cov, sign changes of Re X_ii)
        and, with ``shifted``, ``origin_report``. Checks: :data:`THOMAS_REICHE_KUHN`,
        :data:`TIME_EVEN`, :data:`STATIC_LIMIT`, :data:`UNIFORM_DAMPING` and, with ``shifted``,
        :data:`ORIGIN_INDEPENDENCE` of each definition.

    References
    ----------
    :data:`core.references.ANELLI_ET_AL`.
    """
    t0 = molecular_tensors(states, omega, max_states=max_states, max_frequencies=max_frequencies)
    pts = _grid(t0.omega, grid)
    defs = tuple(definitions)
    sigma = np.asarray(direction, dtype=np.float64).reshape(3)
    _wave_vectors(t0, sigma, index)  # validates the direction
    e_perp = _perpendicular(sigma)
    pol = e_perp if polarization is None else np.asarray(polarization)
    units = _unit_texts()
    arrays = {
        "frequencies": Series(pts, "field frequency w", grid_unit),
        "absorption_coefficient": Series(
            absorption_coefficient(t0, sigma, pol, number_density),
            "absorption coefficient (eq 40, Raab-de Lange A, along the polarization)",
            INVERSE_LENGTH_UNIT,
            "frequencies",
        ),
        "alpha_isotropic": Series(
            np.trace(t0.alpha, axis1=1, axis2=2) / 3.0,
            "isotropic polarizability tr(alpha)/3",
            units["A"],
            "frequencies",
        ),
        "chi_isotropic": Series(
            np.trace(t0.chi, axis1=1, axis2=2) / 3.0,
            "isotropic magnetizability tr(chi)/3 (Table 1)",
            units["magnetizability"],
            "frequencies",
        ),
        "magnetizability": Series(
            magnetizability(t0),
            "frequency-dependent magnetizability (eq 56), (F, 3, 3)",
            units["magnetizability"],
            "frequencies",
        ),
    }
    results: dict[str, Any] = {}
    if include_tensors:
        results["tensors"] = {
            n: getattr(t0, n) for n in ("alpha", "a", "G", "b", "d", "H", "L", "chi")
        }
    consts = {d: material_constants(t0, d, sigma, index) for d in defs}
    results["constants"] = {d: {n: getattr(c, n) for n in "ATUX"} for d, c in consts.items()}
    iso = {}
    for d in defs:
        c = isotropic_constants(t0, d, sigma, index)
        iso[d] = {
            "A_transverse": np.einsum("i,fij,j->f", e_perp, c.A, e_perp),
            "X_transverse": np.einsum("i,fij,j->f", e_perp, c.X, e_perp),
        }
    results["isotropic"] = iso
    d_rl = np.einsum("fii->fi", raab_de_lange_inverse_permeability(t0))
    d_cov = np.einsum("fii->fi", -covariant_tensors(t0)["m"])
    safe = np.abs(d_cov) > 0
    ratio = np.where(safe, d_rl / np.where(safe, d_cov, 1.0), 0.0)
    ratio = np.where(np.isfinite(ratio), ratio, 0.0)
    results["inverse_permeability_comparison"] = {
        "ratio_rl_over_cov_diagonal": np.asarray(ratio, dtype=np.complex128),
        "max_abs_ratio_diagonal": [float(np.max(np.abs(ratio[:, i]))) for i in range(3)],
        "sign_changes_re_x_diagonal": {
            "raab_de_lange": [_sign_changes(pts, d_rl[:, i].real) for i in range(3)],
            "covariant": [_sign_changes(pts, d_cov[:, i].real) for i in range(3)],
        },
        "note": "molecular parts X - I/mu0; near resonances the two differ (paper Tables 2-3)",
    }
    checks = checks_of(
        ("thomas_reiche_kuhn", thomas_reiche_kuhn_check(states)),
        ("time_even", time_even_check(states)),
        ("static_limit", static_limit_check(states)),
        ("uniform_damping", uniform_damping_check(states)),
    )
    if shifted is not None:
        t1 = molecular_tensors(
            shifted, omega, max_states=max_states, max_frequencies=max_frequencies
        )
        rep = origin_report(t0, t1, sigma, defs, index)
        rep["tensors"]["magnetizability"] = _change(magnetizability(t0), magnetizability(t1))
        shift_list = [] if shift is None else [float(v) for v in np.asarray(shift).reshape(-1)]
        results["origin_report"] = {"shift": shift_list, **rep}
        checks.update(origin_checks(rep, defs, origin_tolerance))
    return Report(
        model=MODEL_NAME,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks,
        results=results,
        units={
            "tensors": "atomic units (hbar = m_e = e = 4 pi eps0 = 1)",
            "constants": "atomic units, molecular part per molecule",
            **{k: v for k, v in units.items() if k != "magnetizability"},
        },
    )


def refractive_index_report(
    states: MolecularStates,
    omega: ArrayLike,
    *,
    direction: ArrayLike = (0.0, 0.0, 1.0),
    definitions: Sequence[str] = DEFINITIONS,
    number_density: float = LOSCHMIDT_AU,
    shifted: MolecularStates | None = None,
    shift: ArrayLike | None = None,
    grid: ArrayLike | None = None,
    grid_unit: str = "hartree",
    max_states: int = MAX_STATES,
    max_frequencies: int = MAX_FREQUENCIES,
) -> Report:
    """Refractive indices from the wave equation (57), once per definition, with their checks.

    Parameters
    ----------
    states
        Excited states and moments about the origin O.
    omega : (F,) float
        Field frequencies w >= 0, hartree.
    direction : (3,)
        Propagation direction sigma.
    definitions
        Definitions whose constants build the operator; the first gives ``n1``, ``n2``.
    number_density
        N, molecules per bohr^3.
    shifted, shift
        The same molecule about O + D, and D (bohr): adds ``origin_report`` (max |change of n|).
    grid, grid_unit
        The grid as the caller gave it (the first array; default ``omega``) and its unit.
    max_states, max_frequencies
        Limits of :func:`molecular_tensors`.

    Returns
    -------
    Report
        Arrays: ``frequencies``, ``n1``, ``n2`` (forward modes of the first definition, sorted by
        Re n), ``absorption_1``, ``absorption_2`` (2 (w/c) Im n, 1/bohr). Results: ``indices``
        (n1, n2 and root residuals per definition), ``max_disagreement`` (max |n_def - n_first|),
        ``origin_report`` with ``shifted``. Checks: :data:`DEFINITIONS_AGREE`, :data:`ROOTS`,
        :data:`THOMAS_REICHE_KUHN`.

    References
    ----------
    :data:`core.references.ANELLI_ET_AL`, eq 57.
    """
    t0 = molecular_tensors(states, omega, max_states=max_states, max_frequencies=max_frequencies)
    w = t0.omega
    pts = _grid(w, grid)
    defs = tuple(definitions)
    sigma = np.asarray(direction, dtype=np.float64).reshape(3)
    sols = {d: refractive_index(t0, d, sigma, number_density) for d in defs}
    first = sols[defs[0]]
    dis = max(float(np.max(np.abs(s.n - first.n))) for s in sols.values())
    scale = float(np.max(np.abs(first.n)))
    worst_root = float(max(np.max(s.residual) for s in sols.values()))
    arrays = {
        "frequencies": Series(pts, "field frequency w", grid_unit),
        "n1": Series(
            first.n[:, 0],
            f"refractive index n1 (eq 57, {defs[0]}, smaller Re n)",
            "1",
            "frequencies",
        ),
        "n2": Series(first.n[:, 1], f"refractive index n2 (eq 57, {defs[0]})", "1", "frequencies"),
        "absorption_1": Series(
            2.0 * w / C_AU * first.n[:, 0].imag,
            "absorption 2 (w/c) Im n1",
            INVERSE_LENGTH_UNIT,
            "frequencies",
        ),
        "absorption_2": Series(
            2.0 * w / C_AU * first.n[:, 1].imag,
            "absorption 2 (w/c) Im n2",
            INVERSE_LENGTH_UNIT,
            "frequencies",
        ),
    }
    results: dict[str, Any] = {
        "indices": {
            d: {"n1": s.n[:, 0], "n2": s.n[:, 1], "residual": s.residual} for d, s in sols.items()
        },
        "max_disagreement": dis,
    }
    checks = checks_of(
        (
            "definitions_agree",
            DEFINITIONS_AGREE.judge(
                dis <= AGREEMENT_RTOL * scale,
                dis / scale if scale > 0 else 0.0,
                max_abs_difference=dis,
            ),
        ),
        (
            "roots",
            ROOTS.judge(worst_root < ROOT_RTOL, worst_root, max_relative_singular_value=worst_root),
        ),
        ("thomas_reiche_kuhn", thomas_reiche_kuhn_check(states)),
    )
    if shifted is not None:
        t1 = molecular_tensors(
            shifted, omega, max_states=max_states, max_frequencies=max_frequencies
        )
        ch = {
            d: float(np.max(np.abs(refractive_index(t1, d, sigma, number_density).n - sols[d].n)))
            for d in defs
        }
        shift_list = [] if shift is None else [float(v) for v in np.asarray(shift).reshape(-1)]
        results["origin_report"] = {"shift": shift_list, "max_abs_change_n": ch}
    return Report(
        model=MODEL_NAME,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks,
        results=results,
    )
