"""Molecular states of a real molecule from a quantum-chemistry calculation (PySCF).

A closed-shell molecule (atoms and coordinates), a Gaussian basis and a method -- Hartree-Fock or
Kohn-Sham DFT with a named functional -- give a ground state; linear response on it (the
Tamm-Dancoff approximation, i.e. CIS / TDA-DFT, or the full random-phase approximation, i.e.
TDHF / TDDFT) gives the excited singlets and the ground-to-excited transition moments the Table-1
tensors of Anelli et al. (:data:`core.references.ANELLI_ET_AL`, Table 1, eqs 12-19 and 45-55) need.
The result is a :class:`core.molecular.MolecularStates`, so every definition, check and origin
report of :mod:`core.molecular` applies to it unchanged. The program is PySCF
(:data:`PYSCF_REFERENCE`); this module is the only one in core that imports it, and
``core/__init__.py`` does not import this module: the rest of core works without PySCF.

Units and conventions
---------------------
Atomic units (hbar = m_e = e = 4 pi eps0 = 1): energies in hartree, lengths in bohr (XYZ input may
be in angstrom, converted with CODATA's bohr radius). Electrons have charge q = -1 and mass m = 1.
Orbitals are real (no external magnetic field), so the ground state is time-even.

Excited states (closed shell, singlets; Dreuw & Head-Gordon, Chem. Rev. 105, 4009 (2005),
doi:10.1021/cr0505627, eqs 39-41 for TDHF/TDDFT and 44 for TDA; the A and B matrices from PySCF's
``pyscf.tdscf.rhf.get_ab``):

* RPA: [[A, B], [B, A]] (X, Y) = w [[1, 0], [0, -1]] (X, Y), solved in the symmetric form
  (A - B)^(1/2) (A + B) (A - B)^(1/2) T = w^2 T, X + Y = (A - B)^(1/2) T / sqrt(w),
  X - Y = (A - B)^(-1/2) T sqrt(w), normalised (X + Y).(X - Y) = 1;
* TDA: A X = w X, Y = 0, X.X = 1.

With spin-adapted singlet amplitudes Z_ia, a one-electron spin-free operator O = sum_pq O_pq
a+_p a_q (spin summed) has <0|O|s> = sqrt(2) sum_ia (X_ia O_ia + Y_ia O_ai). Real symmetric
(time-even) matrices give sqrt(2) (X + Y).O_ov, real antisymmetric ones (d/dr, r x d/dr)
sqrt(2) (X - Y).O_ov. Transition moments (core.molecular's conventions, eqs 8-9):

* ``P_i = q <0|r_i|s>``, ``Q_ij = q <0|r_i r_j|s>``, ``Q_ijk = q <0|r_i r_j r_k|s>`` (primitive);
* ``M_i = (q/2m) <0|l_i|s>`` with ``l = r x p = -i r x d/dr`` (PySCF ``int1e_cg_irxp``);
* ``M_ij = (q/3m) <0|r_j l_i + l_i r_j|s>``, whose AO matrix is -i (K - K^T) with
  K_ij = eps_iab <mu|r_j r_a d_b|nu> (PySCF ``int1e_irrp``); traceless by construction;
* velocity form ``<0|p_i|s> = -i <0|d_i|s>`` (PySCF ``int1e_ipovlp``), for the gauge check;
* ground state: ``sum <r_i>_00 = tr(D r_i)``, ``sum <r_i r_j>_00 = tr(D r_i r_j)``, D the
  electronic density matrix; the diamagnetic part of chi (Table 1) follows from the second moment.

Every position operator is taken about the *gauge origin* (one point for all moments: the dipole
origin and the gauge origin of the paper's section 8 coincide). Moments about another origin are
recomputed from the integrals there (:func:`compute_states` with a different ``gauge_origin``),
never translated: in a finite basis the hypervirial relation <0|p|s> = -i m w_s <0|r|s> that the
translation rules of :meth:`core.molecular.MolecularStates.translated` use holds only
approximately, and how far is what :data:`GAUGE_AGREEMENT` measures.

Completeness. The full RPA space of a basis satisfies the Thomas-Reiche-Kuhn rule (Thouless's
theorem, D. J. Thouless, Nucl. Phys. 22, 78 (1961), doi:10.1016/0029-5582(61)90364-9) up to
the incompleteness of the basis, and its length and velocity oscillator strengths agree in the
complete-basis limit (A. E. Hansen and T. D. Bouman, Adv. Chem. Phys. 44, 545 (1980)); TDA obeys
neither even in a complete basis. The sum over the full RPA space at w = 0 is the coupled-perturbed
(finite-field) static polarizability of the same basis and method, exactly (tested).

Limits: atoms, basis functions, excited states, dense-diagonalisation size, memory and time
(:class:`QCLimits`), each a :class:`core.errors.LimitExceeded` named after its setting.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

import numpy as np
import pyscf
from numpy.typing import ArrayLike, NDArray
from pyscf import dft, gto, lib, scf
from pyscf.data import elements
from pyscf.tdscf import rhf as tdrhf
from scipy import constants as sc
from scipy import linalg

from core import molecular as mol
from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import ConvergenceError, InvalidInput, LimitExceeded
from core.references import ANELLI_ET_AL

#: The program (cited once).
PYSCF_REFERENCE: Final = (
    'Q. Sun et al., "Recent developments in the PySCF program package", J. Chem. Phys. 153, '
    "024109 (2020), doi:10.1063/5.0006074"
)
REFERENCE: Final = ANELLI_ET_AL

MODEL_NAME: Final = "molecular-states-pyscf"
#: Model version; the PySCF version is part of it (numbers may move between PySCF releases).
MODEL_VERSION: Final = f"1.0.0+pyscf{pyscf.__version__}"

Method = Literal["hf", "dft"]
METHODS: Final[tuple[str, ...]] = get_args(Method)
Excitations = Literal["tda", "rpa"]
EXCITATIONS: Final[tuple[str, ...]] = get_args(Excitations)
LengthUnit = Literal["angstrom", "bohr"]

#: Bohr per angstrom (CODATA, scipy.constants).
BOHR_PER_ANGSTROM: Final = sc.angstrom / sc.physical_constants["Bohr radius"][0]
#: Electron charge and mass in atomic units.
Q_E: Final = -1.0
M_E: Final = 1.0
#: Atoms closer than this are refused (bohr).
MIN_DISTANCE_BOHR: Final = 0.1
#: Largest |coordinate| accepted, in the unit given (a molecule, not a galaxy: beyond it the
#: integrals leave double-precision range, and 9.5e307 angstrom overflowed to a 500).
MAX_COORDINATE: Final = 1e4
#: SCF energy convergence (hartree): tight, so that response sums match finite differences.
SCF_CONV_TOL: Final = 1e-10
#: Oscillator strengths below this (length form) are left out of the gauge comparison.
F_MIN: Final = 1e-4
#: Relative length-velocity disagreement of the oscillator strengths counted as agreement.
GAUGE_RTOL: Final = 0.1

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: eps_iab (core.molecular's Levi-Civita tensor).
LEVI: Final = mol.LEVI

_SYMBOLS: Final[dict[str, str]] = {
    s.lower(): s
    for s in elements.ELEMENTS_PROTON
    if s == s.capitalize() and s.isalpha() and s not in ("X", "Ghost")
}


# ---------------------------------------------------------------------------------------------
# Input: molecule, calculation, limits
# ---------------------------------------------------------------------------------------------


def _symbol(raw: str, index: int) -> str:
    s = str(raw).strip()
    key = s.lower()
    if key not in _SYMBOLS:
        raise InvalidInput(
            f"atom {index}: unknown element symbol {raw!r}",
            field=("molecule", "atoms", index, "symbol"),
            fix="use an element symbol such as H, C, N, O",
        )
    return _SYMBOLS[key]


@dataclass(frozen=True)
class Molecule:
    """Nuclei of one closed-shell molecule: element symbols, positions (bohr) and net charge.

    Parameters
    ----------
    symbols : (A,) str
        Element symbols (any case; stored canonically, e.g. ``"He"``).
    coordinates : (A, 3) float
        Nuclear positions, bohr.
    charge : int
        Net charge, e (the electron count is sum Z - charge; it must be even).
    """

    symbols: tuple[str, ...]
    coordinates: FloatArray
    charge: int = 0

    def __post_init__(self) -> None:
        syms = tuple(_symbol(s, i) for i, s in enumerate(self.symbols))
        if not syms:
            raise InvalidInput(
                "the molecule has no atoms", field=("molecule", "atoms"), fix="give at least one"
            )
        xyz = np.array(self.coordinates, dtype=np.float64)
        if xyz.shape != (len(syms), 3) or not np.all(np.isfinite(xyz)):
            raise InvalidInput(
                f"coordinates must be {len(syms)} finite (x, y, z) triples",
                field=("molecule", "atoms"),
            )
        if len(syms) > 1:
            d = np.linalg.norm(xyz[:, None, :] - xyz[None, :, :], axis=-1)
            d[np.diag_indices(len(syms))] = np.inf
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            if d[i, j] < MIN_DISTANCE_BOHR:
                raise InvalidInput(
                    f"atoms {min(i, j)} and {max(i, j)} are {d[i, j]:.3g} bohr apart",
                    field=("molecule", "atoms", int(max(i, j))),
                    fix="check the coordinates and their unit (angstrom or bohr)",
                )
        if int(self.charge) != self.charge:
            raise InvalidInput("the charge must be an integer", field=("molecule", "charge"))
        ne = sum(elements.ELEMENTS_PROTON[s] for s in syms) - int(self.charge)
        if ne <= 0:
            raise InvalidInput(
                f"the molecule has {ne} electrons", field=("molecule", "charge"), fix="lower it"
            )
        if ne % 2:
            raise InvalidInput(
                f"{ne} electrons: an open-shell molecule",
                field=("molecule", "charge"),
                fix="give a closed-shell molecule or ion (an even number of electrons): the "
                "Table-1 tensors assume a non-degenerate, non-magnetic ground state",
            )
        xyz.setflags(write=False)
        object.__setattr__(self, "symbols", syms)
        object.__setattr__(self, "coordinates", xyz)
        object.__setattr__(self, "charge", int(self.charge))

    @classmethod
    def from_atoms(
        cls,
        atoms: Sequence[tuple[str, ArrayLike]],
        unit: LengthUnit = "angstrom",
        charge: int = 0,
    ) -> Molecule:
        """From ``[(symbol, (x, y, z)), ...]`` in ``unit``."""
        scale = BOHR_PER_ANGSTROM if unit == "angstrom" else 1.0
        syms = tuple(str(a[0]) for a in atoms)
        rows = []
        for i, a in enumerate(atoms):
            pos = np.asarray(a[1], dtype=np.float64)
            if pos.shape != (3,):
                raise InvalidInput(
                    f"atom {i}: the position must be 3 numbers (x, y, z)",
                    field=("molecule", "atoms", i, "position"),
                )
            if not np.all(np.abs(pos) <= MAX_COORDINATE):  # also refuses NaN
                raise InvalidInput(
                    f"atom {i}: coordinates beyond +-{MAX_COORDINATE:g} {unit}",
                    field=("molecule", "atoms", i, "position"),
                    fix=f"give coordinates within +-{MAX_COORDINATE:g} {unit} (a molecule, "
                    "centred near the origin)",
                )
            rows.append(pos)
        xyz = np.array(rows, dtype=np.float64).reshape(-1, 3)
        return cls(syms, xyz * scale, charge)

    @classmethod
    def from_xyz(cls, text: str, unit: LengthUnit = "angstrom", charge: int = 0) -> Molecule:
        """From XYZ text: optional count and comment lines, then ``symbol x y z`` per line
        (lines may also be separated by ``;``)."""
        lines = [ln.strip() for ln in str(text).replace(";", "\n").splitlines()]
        lines = [ln for ln in lines if ln]
        if lines and lines[0].isdigit():
            count = int(lines[0])
            body = lines[1:]
            if len(body) == count + 1:  # the comment line
                body = body[1:]
            if len(body) != count:
                raise InvalidInput(
                    f"the XYZ header announces {count} atoms, {len(body)} lines follow",
                    field=("molecule", "xyz"),
                    fix="give one 'symbol x y z' line per atom",
                )
            lines = body
        atoms: list[tuple[str, list[float]]] = []
        for n, ln in enumerate(lines):
            parts = ln.replace(",", " ").split()
            try:
                if len(parts) != 4:
                    raise ValueError(ln)
                atoms.append((parts[0], [float(v) for v in parts[1:]]))
            except ValueError:
                raise InvalidInput(
                    f"XYZ line {n + 1} is not 'symbol x y z': {ln!r}",
                    field=("molecule", "xyz"),
                    fix="one atom per line: element symbol and three coordinates",
                ) from None
        if not atoms:
            raise InvalidInput("the XYZ text has no atoms", field=("molecule", "xyz"))
        for n, (_, pos) in enumerate(atoms):
            if not all(abs(v) <= MAX_COORDINATE for v in pos):  # also refuses NaN
                raise InvalidInput(
                    f"XYZ line {n + 1}: coordinates beyond +-{MAX_COORDINATE:g} {unit}",
                    field=("molecule", "xyz"),
                    fix=f"give coordinates within +-{MAX_COORDINATE:g} {unit}",
                )
        return cls.from_atoms(atoms, unit, charge)

    @property
    def n_atoms(self) -> int:
        return len(self.symbols)

    @property
    def n_electrons(self) -> int:
        return sum(elements.ELEMENTS_PROTON[s] for s in self.symbols) - self.charge

    @property
    def masses(self) -> FloatArray:
        """Isotope-averaged atomic masses (u, PySCF's table)."""
        return np.array([elements.MASSES[elements.ELEMENTS_PROTON[s]] for s in self.symbols])

    @property
    def center_of_mass(self) -> FloatArray:
        """Centre of mass of the nuclei, bohr."""
        m = self.masses
        return np.asarray(m @ self.coordinates / m.sum(), dtype=np.float64)

    def centered(self) -> Molecule:
        """The same molecule with its centre of mass at the origin."""
        return Molecule(self.symbols, self.coordinates - self.center_of_mass, self.charge)


@dataclass(frozen=True)
class Calculation:
    """What to compute for one molecule.

    Parameters
    ----------
    molecule
        The nuclei and charge.
    basis
        A basis-set name PySCF knows (``sto-3g``, ``6-31g*``, ``cc-pvdz``, ``aug-cc-pvdz``, ...).
    method
        ``hf`` (Hartree-Fock) or ``dft`` (Kohn-Sham, with ``functional``).
    functional
        Exchange-correlation functional for ``dft`` as libxc/PySCF names it (``b3lyp``, ``pbe0``,
        ``lda,vwn``, ...); must be ``None`` for ``hf``.
    excitations
        ``rpa`` (TDHF / TDDFT, both X and Y) or ``tda`` (CIS / TDA-DFT, Y = 0).
    n_states
        Excited states to keep (lowest first); ``None``: every state of the space (truncated to
        the ``max_states`` limit, reported, when the space is larger).
    linewidth
        Damping gamma of every state in the returned :class:`core.molecular.MolecularStates`,
        hartree (the paper's 0.005).
    gauge_origin : (3,)
        The origin of every position operator, bohr.
    """

    molecule: Molecule
    basis: str
    method: Method = "hf"
    functional: str | None = None
    excitations: Excitations = "rpa"
    n_states: int | None = None
    linewidth: float = 0.005
    gauge_origin: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InvalidInput(
                f"unknown method {self.method!r}", field=("method",), fix="use 'hf' or 'dft'"
            )
        if self.excitations not in EXCITATIONS:
            raise InvalidInput(
                f"unknown excitation model {self.excitations!r}",
                field=("excitations",),
                fix="use 'rpa' (TDHF/TDDFT) or 'tda' (CIS/TDA)",
            )
        if self.method == "dft" and not self.functional:
            raise InvalidInput(
                "DFT needs a functional", field=("functional",), fix="e.g. 'b3lyp' or 'pbe0'"
            )
        if self.method == "hf" and self.functional:
            raise InvalidInput(
                "Hartree-Fock takes no functional",
                field=("functional",),
                fix="leave it out, or use method 'dft'",
            )
        if self.n_states is not None and self.n_states < 1:
            raise InvalidInput("n_states must be >= 1", field=("n_states",))
        if not np.isfinite(self.linewidth) or self.linewidth < 0:
            raise InvalidInput("the linewidth must be >= 0 hartree", field=("linewidth",))
        o = np.asarray(self.gauge_origin, dtype=np.float64)
        if o.shape != (3,) or not np.all(np.isfinite(o)):
            raise InvalidInput("the gauge origin must be 3 finite numbers", field=("gauge_origin",))
        object.__setattr__(self, "gauge_origin", tuple(float(v) for v in o))

    def at_origin(self, origin: ArrayLike) -> Calculation:
        """The same calculation with every moment about ``origin`` (bohr)."""
        o = np.asarray(origin, dtype=np.float64).reshape(3)
        return Calculation(
            self.molecule,
            self.basis,
            self.method,
            self.functional,
            self.excitations,
            self.n_states,
            self.linewidth,
            (float(o[0]), float(o[1]), float(o[2])),
        )


@dataclass(frozen=True)
class QCLimits:
    """Work limits (the app passes its settings; each name is the setting's).

    ``max_atoms`` (``max_qc_atoms``), ``max_basis`` (``max_qc_basis``, basis functions),
    ``max_states`` (``max_qc_states``, excited states returned), ``max_dense`` (``max_qc_dense``,
    largest occupied x virtual space diagonalised densely; larger spaces use the iterative
    solver for the lowest ``iterative_states``), ``time_limit_s`` (``qc_time_limit_s``),
    ``threads`` (``qc_threads``, PySCF's OpenMP threads) and ``memory_mb`` (``qc_memory_mb``,
    PySCF's max_memory and the bound on the dense matrices).
    """

    max_atoms: int = 24
    max_basis: int = 200
    max_states: int = 4000
    max_dense: int = 4000
    iterative_states: int = 32
    time_limit_s: float = 300.0
    threads: int = 1
    memory_mb: int = 4000


class _Deadline:
    """Raises LimitExceeded(qc_time_limit_s) once the calculation passes its time limit."""

    def __init__(self, limit_s: float):
        self.limit_s = limit_s
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def check(self, stage: str) -> None:
        if self.elapsed > self.limit_s:
            raise LimitExceeded(
                f"the quantum-chemistry calculation passed its time limit of {self.limit_s:g} s "
                f"({stage})",
                limit_name="qc_time_limit_s",
                limit=self.limit_s,
                requested=round(self.elapsed, 3),
                field=("basis",),
                fix="use a smaller basis, fewer states (n_states) or a smaller molecule",
            )


def build_mole(calc: Calculation, limits: QCLimits = QCLimits()) -> gto.Mole:
    """The PySCF molecule (no integrals yet), after the atom and basis-size limits.

    Raises LimitExceeded (``max_qc_atoms``, ``max_qc_basis``) and InvalidInput (unknown basis
    for an element).
    """
    m = calc.molecule
    if m.n_atoms > limits.max_atoms:
        raise LimitExceeded(
            f"{m.n_atoms} atoms; the limit is {limits.max_atoms}",
            limit_name="max_qc_atoms",
            limit=limits.max_atoms,
            requested=m.n_atoms,
            field=("molecule", "atoms"),
            fix="give a smaller molecule",
        )
    atom = [
        (s, tuple(float(v) for v in xyz)) for s, xyz in zip(m.symbols, m.coordinates, strict=True)
    ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mole = gto.M(
                atom=atom,
                basis=calc.basis,
                unit="Bohr",
                charge=m.charge,
                spin=0,
                verbose=0,
                max_memory=limits.memory_mb,
                symmetry=False,
            )
    except (KeyError, RuntimeError, ValueError, AttributeError, TypeError) as exc:
        raise InvalidInput(
            f"basis {calc.basis!r} is not available for these elements ({type(exc).__name__})",
            field=("basis",),
            fix="use a basis PySCF ships, e.g. sto-3g, 6-31g, 6-31g*, cc-pvdz, aug-cc-pvdz",
        ) from None
    mole.stdout = _NullOut()
    missing = [s for s in set(m.symbols) if not mole._basis.get(s)]
    if missing:
        raise InvalidInput(
            f"basis {calc.basis!r} has no functions for {', '.join(sorted(missing))}",
            field=("basis",),
            fix="choose a basis defined for every element of the molecule",
        )
    if mole.nao > limits.max_basis:
        raise LimitExceeded(
            f"{calc.basis} gives {mole.nao} basis functions; the limit is {limits.max_basis}",
            limit_name="max_qc_basis",
            limit=limits.max_basis,
            requested=mole.nao,
            field=("basis",),
            fix="use a smaller basis (e.g. 6-31g or cc-pvdz) or a smaller molecule",
        )
    return mole


class _NullOut:
    """A sink for PySCF's log stream (verbose=0 writes almost nothing, but never to stdout)."""

    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        return None


@dataclass(frozen=True)
class StateSpace:
    """Size of the excitation space and what will be solved (:func:`plan`)."""

    n_occupied: int
    n_virtual: int
    space_size: int
    n_states: int
    solver: Literal["dense", "iterative"]
    truncated: bool


def plan(calc: Calculation, mole: gto.Mole, limits: QCLimits = QCLimits()) -> StateSpace:
    """The excitation space of ``mole`` and the solver, after the state and memory limits."""
    nocc = mole.nelectron // 2
    nvir = mole.nao - nocc
    if nvir < 1:
        raise InvalidInput(
            f"the basis {calc.basis} has no virtual orbitals for this molecule",
            field=("basis",),
            fix="use a larger basis",
        )
    size = nocc * nvir
    if calc.n_states is not None and calc.n_states > limits.max_states:
        raise LimitExceeded(
            f"{calc.n_states} excited states requested; the limit is {limits.max_states}",
            limit_name="max_qc_states",
            limit=limits.max_states,
            requested=calc.n_states,
            field=("n_states",),
            fix="ask for fewer states",
        )
    want = size if calc.n_states is None else min(calc.n_states, size)
    # dense: A, B (nocc nvir)^2 each plus PySCF's (nocc, nmo^3) integral block, and the work
    dense_bytes = 8.0 * (7 * size**2 + nocc * mole.nao**3)
    dense = size <= limits.max_dense and dense_bytes <= limits.memory_mb * 1e6
    if not dense:
        want = min(want, limits.iterative_states)
    want = min(want, limits.max_states)
    return StateSpace(
        nocc, nvir, size, want, "dense" if dense else "iterative", truncated=want < size
    )


def check_limits(calc: Calculation, limits: QCLimits = QCLimits()) -> StateSpace:
    """Every limit that can be judged before any integral is computed (milliseconds)."""
    return plan(calc, build_mole(calc, limits), limits)


# ---------------------------------------------------------------------------------------------
# Ground state and excited states
# ---------------------------------------------------------------------------------------------


def run_scf(calc: Calculation, mole: gto.Mole, deadline: _Deadline) -> Any:
    """Converged closed-shell SCF (RHF or RKS with ``calc.functional``)."""
    if calc.method == "hf":
        mf = scf.RHF(mole)
    else:
        mf = dft.RKS(mole)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dft.libxc.parse_xc(str(calc.functional))
        except (KeyError, ValueError, NotImplementedError) as exc:
            raise InvalidInput(
                f"unknown functional {calc.functional!r} ({exc})",
                field=("functional",),
                fix="use a libxc name such as b3lyp, pbe0, pbe, 'lda,vwn'",
            ) from None
        mf.xc = str(calc.functional)
    mf.verbose = 0
    mf.conv_tol = SCF_CONV_TOL
    mf.max_memory = mole.max_memory

    def callback(_envs: Mapping[str, Any]) -> None:
        deadline.check("during the SCF")

    mf.callback = callback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf.kernel()
    if not mf.converged:
        # one second-order attempt before giving up
        mf = mf.newton()
        mf.callback = callback
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf.kernel()
    if not mf.converged:
        raise ConvergenceError(
            "the SCF did not converge",
            field=("molecule",),
            fix="check the geometry (unit, bond lengths) and charge, or try method 'hf'",
        )
    deadline.check("after the SCF")
    return mf


@dataclass(frozen=True)
class Excited:
    """Excitation energies (S,) hartree and amplitudes X + Y, X - Y (S, nocc, nvir)."""

    energies: FloatArray
    x_plus_y: FloatArray
    x_minus_y: FloatArray
    space: StateSpace


def _unstable(what: str) -> ConvergenceError:
    return ConvergenceError(
        f"{what}: the SCF solution is not a minimum (an instability), so linear-response "
        "excitation energies are not real",
        field=("excitations",),
        fix="use excitations 'tda', another functional, or check the geometry",
    )


def excited_states(mf: Any, calc: Calculation, space: StateSpace, deadline: _Deadline) -> Excited:
    """The lowest ``space.n_states`` singlet excitations (all of them with the dense solver)."""
    nocc, nvir = space.n_occupied, space.n_virtual
    n = space.space_size
    if space.solver == "dense":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a4, b4 = tdrhf.get_ab(mf)
        a = np.ascontiguousarray(a4.reshape(n, n))
        b = np.ascontiguousarray(b4.reshape(n, n))
        del a4, b4
        deadline.check("after building the A and B matrices")
        keep = space.n_states
        if calc.excitations == "tda":
            w, t = linalg.eigh(a, subset_by_index=(0, keep - 1), driver="evr")
            if w[0] <= 0:
                raise _unstable("a non-positive CIS/TDA excitation energy")
            zp = zm = t.T
        else:
            d, u = linalg.eigh(a - b)
            if d[0] <= 0:
                raise _unstable("A - B is not positive definite")
            s_half = (u * np.sqrt(d)) @ u.T
            w2, t = linalg.eigh(s_half @ (a + b) @ s_half, subset_by_index=(0, keep - 1))
            if w2[0] <= 0:
                raise _unstable("a non-positive squared RPA excitation energy")
            w = np.sqrt(w2)
            zp = ((s_half @ t) / np.sqrt(w)).T
            zm = (((u / np.sqrt(d)) @ (u.T @ t)) * np.sqrt(w)).T
        deadline.check("after the diagonalisation")
    else:
        if calc.excitations == "tda":
            td = mf.TDA()
        else:
            td = mf.TDHF() if calc.method == "hf" else mf.TDDFT()
        td.verbose = 0
        td.nstates = space.n_states
        td.conv_tol = 1e-7
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            td.kernel()
        if not np.all(td.converged):
            raise ConvergenceError(
                "the iterative excited-state solver did not converge",
                field=("n_states",),
                fix="ask for fewer states",
            )
        w = np.asarray(td.e, dtype=np.float64)
        # PySCF normalises sum X^2 - Y^2 = 1/2 (one spin); here (X + Y).(X - Y) = 1
        xs = np.array([np.asarray(x) for x, _ in td.xy]).reshape(len(w), nocc, nvir)
        ys = np.array(
            [np.zeros_like(x) if isinstance(y, int | float) else np.asarray(y) for x, y in td.xy]
        ).reshape(len(w), nocc, nvir)
        zp = (xs + ys).reshape(len(w), n) * np.sqrt(2.0)
        zm = (xs - ys).reshape(len(w), n) * np.sqrt(2.0)
        deadline.check("after the iterative solver")
    order = np.argsort(w, kind="stable")
    return Excited(
        np.asarray(w[order], dtype=np.float64),
        np.ascontiguousarray(zp[order].reshape(-1, nocc, nvir)),
        np.ascontiguousarray(zm[order].reshape(-1, nocc, nvir)),
        space,
    )


# ---------------------------------------------------------------------------------------------
# Moments
# ---------------------------------------------------------------------------------------------


def ao_operators(mole: gto.Mole, origin: ArrayLike) -> dict[str, FloatArray]:
    """Real AO matrices of the operators, position operators about ``origin`` (bohr).

    ``r`` (3), ``rr`` (3, 3), ``rrr`` (3, 3, 3) are <mu|r_i ...|nu>; ``d`` (3) is <mu|d_b|nu>;
    ``rxd`` (3) is <mu|(r x d)_i|nu> (so l = -i rxd); ``k_mq`` (3, 3) is
    K_ij - K_ij^T with K_ij = eps_iab <mu|r_j r_a d_b|nu> (so r_j l_i + l_i r_j = -i k_mq).
    Shapes carry the AO axes (nao, nao) last.
    """
    nao = mole.nao
    o = tuple(float(v) for v in np.asarray(origin, dtype=np.float64).reshape(3))
    with mole.with_common_orig(o):
        r = mole.intor("int1e_r", comp=3)
        rr = mole.intor("int1e_rr", comp=9).reshape(3, 3, nao, nao)
        rrr = mole.intor("int1e_rrr", comp=27).reshape(3, 3, 3, nao, nao)
        rxd = mole.intor("int1e_cg_irxp", comp=3)
        rrd = mole.intor("int1e_irrp", comp=27).reshape(3, 3, 3, nao, nao)  # r_a r_c d_b
    d = -mole.intor("int1e_ipovlp", comp=3)  # <mu|d nu> = -<d mu|nu>
    k = np.einsum("iab,jabmn->ijmn", LEVI, rrd)
    return {
        "r": r,
        "rr": rr,
        "rrr": rrr,
        "d": d,
        "rxd": rxd,
        "k_mq": k - np.swapaxes(k, -1, -2),
    }


@dataclass(frozen=True)
class QCStates:
    """The molecular states of one calculation, and what the checks need besides.

    ``states`` is a :class:`core.molecular.MolecularStates` (moments about ``origin``);
    ``velocity`` (S, 3) complex is <0|p_i|s> (the velocity-gauge dipole, e hbar / a0 / e units:
    hbar / bohr); ``energy`` the SCF energy (hartree); ``space`` the excitation space.
    """

    states: mol.MolecularStates
    velocity: ComplexArray
    origin: FloatArray
    energy: float
    n_basis: int
    space: StateSpace
    mo_energies: FloatArray = field(repr=False)


def _symmetrized(x: ComplexArray) -> ComplexArray:
    """Average over the permutations of the trailing tensor indices (rank 2 or 3)."""
    if x.ndim == 3:
        return 0.5 * (x + np.swapaxes(x, 1, 2))
    perms = [(0, 1, 2, 3), (0, 1, 3, 2), (0, 2, 1, 3), (0, 2, 3, 1), (0, 3, 1, 2), (0, 3, 2, 1)]
    out = np.zeros_like(x)
    for p in perms:
        out += np.transpose(x, p)
    return np.asarray(out / 6.0, dtype=np.complex128)


def moments(
    mf: Any,
    exc: Excited,
    origin: ArrayLike,
    linewidth: float,
) -> tuple[mol.MolecularStates, ComplexArray]:
    """The :class:`core.molecular.MolecularStates` and velocity dipoles of ``exc``.

    Notes
    -----
    <0|O|s> = sqrt(2) (X + Y)_s . O_ov for real symmetric O, sqrt(2) (X - Y)_s . O_ov for real
    antisymmetric O (module docstring); P = q r, Q = q rr, Q_ijk = q rrr, M = (q/2m)(-i) rxd,
    M_ij = (q/3m)(-i) k_mq, p = -i d. The ground moments are tr(D r), tr(D rr).
    """
    mole = mf.mol
    occ = mf.mo_occ > 0
    co, cv = mf.mo_coeff[:, occ], mf.mo_coeff[:, ~occ]
    ops = ao_operators(mole, origin)
    s = exc.energies.shape[0]
    zp = exc.x_plus_y.reshape(s, -1)
    zm = exc.x_minus_y.reshape(s, -1)

    def ov(m: FloatArray) -> FloatArray:
        lead = m.shape[:-2]
        blk = np.einsum("...mn,mi,na->...ia", m, co, cv, optimize=True)
        return blk.reshape(*lead, -1)

    def contract(z: FloatArray, m: FloatArray) -> FloatArray:
        blk = ov(m)
        lead = blk.shape[:-1]
        return np.sqrt(2.0) * (z @ blk.reshape(-1, blk.shape[-1]).T).reshape(s, *lead)

    p = Q_E * contract(zp, ops["r"])
    q = _symmetrized(Q_E * contract(zp, ops["rr"]).astype(np.complex128))
    o = _symmetrized(Q_E * contract(zp, ops["rrr"]).astype(np.complex128))
    m_dip = (Q_E / (2.0 * M_E)) * (-1j) * contract(zm, ops["rxd"])
    mq = (Q_E / (3.0 * M_E)) * (-1j) * contract(zm, ops["k_mq"])
    mq = mq - np.einsum("sii->s", mq)[:, None, None] * np.eye(3)[None] / 3.0  # rounding only
    vel = -1j * contract(zm, ops["d"])
    dm = mf.make_rdm1()
    r1 = np.einsum("mn,xnm->x", dm, ops["r"])
    r2 = np.einsum("mn,xynm->xy", dm, ops["rr"])
    states = mol.MolecularStates(
        energies=exc.energies,
        linewidths=np.full(s, float(linewidth)),
        P=p.astype(np.complex128),
        Q=q,
        O=o,
        M=np.asarray(m_dip, dtype=np.complex128),
        Mq=np.asarray(mq, dtype=np.complex128),
        ground_first_moment=r1,
        ground_second_moment=0.5 * (r2 + r2.T),
        n_electrons=float(mole.nelectron),
        charge=Q_E,
        mass=M_E,
    )
    return states, np.asarray(vel, dtype=np.complex128)


def compute_states(calc: Calculation, limits: QCLimits = QCLimits()) -> QCStates:
    """SCF, excited states and moments of ``calc`` (about ``calc.gauge_origin``)."""
    deadline = _Deadline(limits.time_limit_s)
    mole = build_mole(calc, limits)
    space = plan(calc, mole, limits)
    previous = lib.num_threads()
    lib.num_threads(max(1, int(limits.threads)))
    try:
        mf = run_scf(calc, mole, deadline)
        exc = excited_states(mf, calc, space, deadline)
        origin = np.asarray(calc.gauge_origin, dtype=np.float64)
        states, vel = moments(mf, exc, origin, calc.linewidth)
        return QCStates(
            states, vel, origin, float(mf.e_tot), int(mole.nao), space, np.asarray(mf.mo_energy)
        )
    finally:
        lib.num_threads(previous)


def compute_pair(
    calc: Calculation, shift: ArrayLike, limits: QCLimits = QCLimits()
) -> tuple[QCStates, mol.MolecularStates]:
    """States about ``calc.gauge_origin`` and the same states' moments about origin + shift.

    One SCF and one excited-state solve; the second set of moments is recomputed from the
    integrals about the shifted origin (no translation rule is used).
    """
    deadline = _Deadline(limits.time_limit_s)
    mole = build_mole(calc, limits)
    space = plan(calc, mole, limits)
    previous = lib.num_threads()
    lib.num_threads(max(1, int(limits.threads)))
    try:
        mf = run_scf(calc, mole, deadline)
        exc = excited_states(mf, calc, space, deadline)
        origin = np.asarray(calc.gauge_origin, dtype=np.float64)
        states, vel = moments(mf, exc, origin, calc.linewidth)
        d = np.asarray(shift, dtype=np.float64).reshape(3)
        shifted, _ = moments(mf, exc, origin + d, calc.linewidth)
        deadline.check("after the moments")
        qc = QCStates(
            states, vel, origin, float(mf.e_tot), int(mole.nao), space, np.asarray(mf.mo_energy)
        )
        return qc, shifted
    finally:
        lib.num_threads(previous)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def oscillator_strengths(qc: QCStates) -> tuple[FloatArray, FloatArray]:
    """Length and velocity oscillator strengths (S,), dimensionless.

    f_L = (2 m / 3 hbar) w |<0|r|s>|^2 and f_V = (2 / (3 m hbar w)) |<0|p|s>|^2; equal for exact
    eigenstates (hypervirial relation <0|p|s> = -i m w <0|r|s>).
    """
    w = qc.states.energies
    r2 = np.sum(np.abs(qc.states.P / qc.states.charge) ** 2, axis=1)
    p2 = np.sum(np.abs(qc.velocity) ** 2, axis=1)
    return (2.0 / 3.0) * M_E * w * r2, (2.0 / 3.0) * p2 / (M_E * w)


def sum_rules(qc: QCStates) -> dict[str, Any]:
    """Thomas-Reiche-Kuhn sums per axis in the length, velocity and mixed forms (each = N_e for
    a complete sum over exact eigenstates), and their residuals sum / N_e - 1."""
    st = qc.states
    w = st.energies[:, None]
    r = st.P / st.charge
    v = qc.velocity
    forms = {
        "length": 2.0 * M_E * np.sum(w * np.abs(r) ** 2, axis=0),
        "velocity": (2.0 / M_E) * np.sum(np.abs(v) ** 2 / w, axis=0),
        # <0|r|s><s|p|0> - c.c. = i hbar N_e summed over a complete set (x p - p x = i hbar)
        "mixed": 2.0 * np.sum(np.imag(r * np.conj(v)), axis=0),
    }
    ne = st.n_electrons
    return {
        "n_electrons": ne,
        **{f"{k}_xyz": [float(x) for x in val] for k, val in forms.items()},
        **{f"{k}_residual_xyz": [float(x / ne - 1.0) for x in val] for k, val in forms.items()},
    }


GAUGE_AGREEMENT: Final = CheckSpec(
    name="gauge_agreement",
    kind="indicative",
    equation="f_L = (2/3) w_s |<0|r|s>|^2 equals f_V = (2/3) |<0|p|s>|^2 / w_s for exact "
    "eigenstates (hypervirial relation <0|p|s> = -i m w_s <0|r|s>, which the origin "
    "independence of Anelli et al. 2014 eqs 16-19 and 45-53 rests on); judged as "
    "sum_s |f_L - f_V| / sum_s f_L over the states with f_L or f_V >= 1e-4, <= tolerance",
    explanation="Length and velocity oscillator strengths disagree: the basis is far from "
    "complete for these states (or the excitation model is TDA/CIS, which breaks the "
    "hypervirial relation even in a complete basis), so moments recomputed about another origin "
    "differ from exact ones and the transformed constants become origin dependent by about this "
    "fraction. Indicative: agreement is necessary for a good basis, not sufficient.",
    tolerance=GAUGE_RTOL,
    warning="length and velocity oscillator strengths differ by {value:.3g} (relative, "
    "tolerance {tolerance:.3g}): the basis is incomplete for these transitions; use a larger "
    "(diffuse) basis, or 'rpa' instead of 'tda'",
)


def gauge_agreement_check(qc: QCStates) -> Check:
    """The :data:`GAUGE_AGREEMENT` check of one calculation."""
    fl, fv = oscillator_strengths(qc)
    sel = np.maximum(fl, fv) >= F_MIN
    if not sel.any():
        return GAUGE_AGREEMENT.judge(
            None,
            explanation=f"no transition has an oscillator strength >= {F_MIN:g}: nothing to "
            "compare",
        )
    rel = float(np.sum(np.abs(fl[sel] - fv[sel])) / max(np.sum(fl[sel]), 1e-300))
    worst = int(np.argmax(np.where(sel, np.abs(fl - fv) / np.maximum(fl, 1e-300), -1.0)))
    return GAUGE_AGREEMENT.judge(
        rel <= GAUGE_RTOL,
        rel,
        compared_states=int(sel.sum()),
        sum_f_length=float(fl.sum()),
        sum_f_velocity=float(fv.sum()),
        worst_state=worst,
        worst_state_energy=float(qc.states.energies[worst]),
        worst_state_f_length=float(fl[worst]),
        worst_state_f_velocity=float(fv[worst]),
    )


ORIGIN_RESIDUAL: Final = CheckSpec(
    name="origin_residual_explained",
    kind="bound",
    equation="with moments recomputed about O + D, the change of the static magnetizability "
    "chi(0) = -X_RL(0) = -X_cov(0) (Anelli et al. 2014, eqs 19, 48, 56 at w = 0) is exactly the "
    "basis-incompleteness term dchi_ij = (q^2/4m^2) eps_iak eps_jbl D_a D_b (V_kl - m N_e "
    "delta_kl) - (q/2m)(eps_jbl D_b dW_il + eps_ibl D_b dW_jl), with V_kl = 2 sum_s Re(p_k p_l*)"
    " / w_s (velocity TRK tensor) and dW_ik = 2 sum_s Re(M_i p_k*) / w_s + (q/2) eps_ikl "
    "sum<r_l>_00 (the [l_i, r_k] = i eps_ikl r_l sum rule), both zero for a complete basis; "
    "judged as max |dchi - predicted| / max |chi(0)| <= tolerance (rounding)",
    explanation="The origin dependence of the static inverse permeability is not the one the "
    "basis's sum-rule deficits predict: the moments about the two origins are inconsistent (an "
    "integral or gauge-origin error), so the origin report cannot be read as a basis effect.",
    tolerance=1e-8,
    warning="the static magnetizability changed under the origin shift by {value:.3g} "
    "(relative) more than the basis-incompleteness terms predict: the moments about the two "
    "origins are inconsistent",
)


#: The sum rule of core.molecular, worded for states of a Gaussian basis: with every state of
#: the excitation space included, the deficit is the basis's, and more states cannot remove it.
THOMAS_REICHE_KUHN_OF_BASIS: Final = dataclasses.replace(
    mol.THOMAS_REICHE_KUHN,
    warning="the sum over states misses {value:.3g} of the Thomas-Reiche-Kuhn sum rule "
    "(tolerance {tolerance:.3g}): the basis lacks the tight and diffuse functions that core "
    "electrons and the continuum need, so the transformed constants are origin independent "
    "only to about that fraction; a larger basis reduces it (more n_states help only while the "
    "space is truncated)",
)

#: The origin-independence statements of core.molecular, worded for a finite Gaussian basis:
#: their failure is the basis's, and origin_residual_explained says whether it accounts for it.
ORIGIN_INDEPENDENCE_OF_BASIS: Final[dict[str, CheckSpec]] = {
    **mol.ORIGIN_INDEPENDENCE,
    **{
        d: dataclasses.replace(
            mol.ORIGIN_INDEPENDENCE[d],
            warning=f"the {title} constants changed under origin_shift by {{value:.3g}} "
            "(relative), more than {tolerance:.3g}: the basis is incomplete "
            "(checks.thomas_reiche_kuhn; checks.origin_residual_explained says whether that "
            "accounts for the change); a larger basis reduces it",
        )
        for d, title in (("raab_de_lange", "Raab-de Lange"), ("covariant", "covariant"))
    },
}


def static_origin_change(
    states: mol.MolecularStates, velocity: ArrayLike, shift: ArrayLike
) -> dict[str, FloatArray]:
    """The change of chi(0) under an origin shift D predicted from the states about O.

    Parameters
    ----------
    states
        States about O (moments as in :func:`moments`).
    velocity : (S, 3) complex
        <0|p_k|s>.
    shift : (3,)
        D, bohr.

    Returns
    -------
    dict
        ``quadratic`` and ``linear`` (3, 3): the two deficit terms of :data:`ORIGIN_RESIDUAL`
        (zero for a complete basis); ``predicted`` their sum; ``velocity_trk_deficit`` V - m N_e I
        and ``lr_sum_rule_deficit`` dW.

    Notes
    -----
    l' = (r - D) x p = l - D x p and r' = r - D hold as operators in any basis, so
    M' = M - (q/2m) D x p exactly; the ground moments move as in
    :meth:`core.molecular.MolecularStates.translated`. Inserting both into Table 1 at w = 0 gives
    the two terms; the complete-basis sum rules V = m N_e I (Thomas-Reiche-Kuhn, velocity form)
    and 2 sum Re(M_i p_k*) / w = -(q/2) eps_ikl sum<r_l> make them vanish.
    """
    v = np.asarray(velocity, dtype=np.complex128)
    d = np.asarray(shift, dtype=np.float64).reshape(3)
    inv = 1.0 / states.energies
    q, m, ne = states.charge, states.mass, states.n_electrons
    big_v = 2.0 * np.einsum("s,sk,sl->kl", inv, v, v.conj()).real
    w_ml = 2.0 * np.einsum("s,si,sk->ik", inv, states.M, v.conj()).real
    w_exact = -(q / 2.0) * np.einsum("ikl,l->ik", LEVI, states.ground_first_moment)
    dw = w_ml - w_exact
    dv = big_v - m * ne * np.eye(3)
    quad = (q**2 / (4.0 * m**2)) * np.einsum("iak,jbl,a,b,kl->ij", LEVI, LEVI, d, d, dv)
    cross = np.einsum("jbl,b,il->ij", LEVI, d, dw)
    lin = -(q / (2.0 * m)) * (cross + cross.T)
    return {
        "quadratic": quad,
        "linear": lin,
        "predicted": quad + lin,
        "velocity_trk_deficit": dv,
        "lr_sum_rule_deficit": dw,
    }


def origin_residual_check(
    qc: QCStates,
    shifted: mol.MolecularStates,
    shift: ArrayLike,
    omega: ArrayLike,
    *,
    direction: ArrayLike = (0.0, 0.0, 1.0),
    definitions: tuple[str, ...] = mol.DEFINITIONS,
    tolerance: float = mol.ORIGIN_RTOL,
) -> tuple[dict[str, Check], dict[str, Any]]:
    """The :data:`ORIGIN_RESIDUAL` check, the origin-independence checks of core.molecular on
    the recomputed moments, and the origin report behind them.

    Parameters
    ----------
    qc, shifted
        States about O and the same states' moments recomputed about O + D.
    shift : (3,)
        D, bohr.
    omega : (F,)
        Field frequencies of the finite-frequency comparison, hartree.
    direction, definitions, tolerance
        As :func:`core.molecular.origin_checks`.

    Returns
    -------
    (dict of Check, dict)
        Checks by name, and the report: ``shift``, ``frequencies``, ``constants`` (relative
        change of A, T, U, X per definition, recomputed moments), ``sum_rule_part`` (moments
        about O translated by the exact-eigenstate rules vs O) and ``hypervirial_part``
        (recomputed vs translated moments about O + D) for the transformed definitions, and
        ``static`` (the exact decomposition of the change of chi(0)).
    """
    d = np.asarray(shift, dtype=np.float64).reshape(3)
    w = np.asarray(omega, dtype=np.float64)
    st0 = qc.states
    ns = max(st0.size, 1)
    t0 = mol.molecular_tensors(st0, w, max_states=ns)
    t1 = mol.molecular_tensors(shifted, w, max_states=ns)
    th = mol.molecular_tensors(st0.translated(d), w, max_states=ns)
    defs = tuple(definitions)
    full = mol.origin_report(t0, t1, direction, defs)
    transformed = tuple(x for x in defs if x != "multipole")

    def rel(a: mol.MolecularTensors, b: mol.MolecularTensors) -> dict[str, dict[str, float]]:
        rep = mol.origin_report(a, b, direction, transformed)
        return {x: {q: rep[x][q]["relative_change"] for q in "AX"} for x in transformed}

    chi0 = static_properties(st0)["magnetizability"]
    chi1 = static_properties(shifted)["magnetizability"]
    parts = static_origin_change(st0, qc.velocity, d)
    actual = chi1 - chi0
    scale = max(float(np.max(np.abs(chi0))), 1e-300)
    miss = float(np.max(np.abs(actual - parts["predicted"]))) / scale
    checks = {
        "origin_residual_explained": ORIGIN_RESIDUAL.judge(
            miss <= ORIGIN_RESIDUAL.tolerance if ORIGIN_RESIDUAL.tolerance is not None else True,
            miss,
            relative_change_static_chi=float(np.max(np.abs(actual))) / scale,
            relative_quadratic_part=float(np.max(np.abs(parts["quadratic"]))) / scale,
            relative_linear_part=float(np.max(np.abs(parts["linear"]))) / scale,
            shift_bohr=[float(v) for v in d],
        )
    }
    checks.update(mol.origin_checks(full, defs, tolerance, specs=ORIGIN_INDEPENDENCE_OF_BASIS))
    report = {
        "shift": [float(v) for v in d],
        "frequencies": w,
        "constants": {x: {q: full[x][q]["relative_change"] for q in "ATUX"} for x in defs},
        "sum_rule_part": rel(t0, th),
        "hypervirial_part": rel(th, t1),
        "static": {
            "chi_change": actual,
            "predicted_quadratic": parts["quadratic"],
            "predicted_linear": parts["linear"],
            "velocity_trk_deficit": parts["velocity_trk_deficit"],
            "lr_sum_rule_deficit": parts["lr_sum_rule_deficit"],
        },
    }
    return checks, report


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

#: core field names -> names of the HTTP molecular-state format (app/schemas/molecular.py).
STATE_FIELDS: Final[dict[str, str]] = {
    "P": "electric_dipole",
    "Q": "electric_quadrupole",
    "O": "electric_octupole",
    "M": "magnetic_dipole",
    "Mq": "magnetic_quadrupole",
}


def states_payload(states: mol.MolecularStates) -> dict[str, Any]:
    """``states`` in the molecular-state input format of ``POST /v1/molecular/material-constants``
    (complex arrays stay numpy; :func:`core.checks.jsonable` splits them into real/imag)."""
    out: dict[str, Any] = {
        "energies": states.energies,
        "linewidths": states.linewidths,
    }
    for core_name, api_name in STATE_FIELDS.items():
        out[api_name] = np.asarray(getattr(states, core_name), dtype=np.complex128)
    out["ground_first_moment"] = states.ground_first_moment
    out["ground_second_moment"] = states.ground_second_moment
    out["n_electrons"] = states.n_electrons
    return out


def default_check_frequencies(states: mol.MolecularStates, num: int = 6) -> FloatArray:
    """``num`` field frequencies from 0.001 hartree to 0.9 of the lowest excitation energy."""
    top = 0.9 * float(np.min(states.energies))
    return np.linspace(min(1e-3, 0.5 * top), top, num)


def static_properties(states: mol.MolecularStates) -> dict[str, FloatArray]:
    """Static polarizability and magnetizability (para, dia, total) from the sum over states.

    alpha_ij(0) = 2 sum_s Re(P_i P_j*) / w_s; chi_para(0) = 2 sum_s Re(M_i M_j*) / w_s;
    chi_dia = (q^2 / 4m)(S_ij - S_kk delta_ij) (Table 1 at w = 0, no damping), a.u.
    """
    inv = 1.0 / states.energies
    alpha = 2.0 * np.einsum("s,si,sj->ij", inv, states.P, states.P.conj()).real
    para = 2.0 * np.einsum("s,si,sj->ij", inv, states.M, states.M.conj()).real
    s2 = states.ground_second_moment
    dia = (states.charge**2 / (4.0 * states.mass)) * (s2 - np.trace(s2) * np.eye(3))
    return {
        "polarizability": alpha,
        "magnetizability": para + dia,
        "magnetizability_paramagnetic": para,
        "magnetizability_diamagnetic": dia,
    }


def states_report(
    calc: Calculation,
    limits: QCLimits = QCLimits(),
    *,
    origin_shift: ArrayLike | None = None,
    check_frequencies: ArrayLike | None = None,
    direction: ArrayLike = (0.0, 0.0, 1.0),
    on_states: Callable[[QCStates], None] | None = None,
) -> Report:
    """Molecular states of ``calc`` with their checks, as a report.

    Parameters
    ----------
    calc, limits
        The calculation and its work limits.
    origin_shift : (3,), optional
        D, bohr: the moments are also recomputed about O + D and :data:`ORIGIN_RESIDUAL` judged
        at ``check_frequencies`` (hartree; default :func:`default_check_frequencies`), for
        propagation along ``direction``.
    on_states
        Called with the :class:`QCStates` (tests, benchmarks).

    Returns
    -------
    Report
        Arrays: ``excitation_energies`` (S,) hartree, ``oscillator_strength_length``,
        ``oscillator_strength_velocity`` (S,). Results: ``states`` (the molecular-state input
        format), ``molecule``, ``scf``, ``excitation_space``, ``sum_rules``, ``static`` and, with
        a shift, ``origin_report``. Checks: :data:`core.molecular.THOMAS_REICHE_KUHN`,
        :data:`core.molecular.TIME_EVEN`, :data:`GAUGE_AGREEMENT` and, with a shift,
        :data:`ORIGIN_RESIDUAL`.
    """
    if origin_shift is None:
        qc = compute_states(calc, limits)
        shifted = None
    else:
        qc, shifted = compute_pair(calc, origin_shift, limits)
    if on_states is not None:
        on_states(qc)
    st = qc.states
    fl, fv = oscillator_strengths(qc)
    trk = mol.thomas_reiche_kuhn_check(st, THOMAS_REICHE_KUHN_OF_BASIS)
    gauge = gauge_agreement_check(qc)
    checks = checks_of(
        ("thomas_reiche_kuhn", trk),
        ("time_even", mol.time_even_check(st)),
        ("gauge_agreement", gauge),
    )
    results: dict[str, Any] = {
        "states": states_payload(st),
        "molecule": {
            "symbols": list(calc.molecule.symbols),
            "coordinates_bohr": calc.molecule.coordinates,
            "charge": calc.molecule.charge,
            "center_of_mass_bohr": calc.molecule.center_of_mass,
            "gauge_origin_bohr": qc.origin,
        },
        "scf": {
            "method": calc.method,
            "functional": calc.functional,
            "basis": calc.basis,
            "energy": qc.energy,
            "n_basis": qc.n_basis,
            "n_electrons": int(st.n_electrons),
            "homo_lumo_gap": float(
                qc.mo_energies[qc.space.n_occupied] - qc.mo_energies[qc.space.n_occupied - 1]
            ),
            "program": f"PySCF {pyscf.__version__}",
        },
        "excitation_space": {
            "excitations": calc.excitations,
            "space_size": qc.space.space_size,
            "n_states": st.size,
            "solver": qc.space.solver,
            "truncated": qc.space.truncated,
            "n_occupied": qc.space.n_occupied,
            "n_virtual": qc.space.n_virtual,
        },
        "sum_rules": sum_rules(qc),
        "static": static_properties(st),
    }
    notes: list[str] = []
    if qc.space.truncated:
        notes.append(
            f"the sum over states is truncated to the lowest {st.size} of {qc.space.space_size} "
            "excitations: sum rules and origin independence hold only as far as these states "
            "exhaust them (see checks.thomas_reiche_kuhn)"
        )
    if qc.space.space_size == st.size and trk.verdict is False:
        notes.append(
            "every state of the excitation space is included: the Thomas-Reiche-Kuhn deficit is "
            "the basis's (core electrons and the continuum need tight and diffuse functions), "
            "not a truncation of the sum; a larger basis, not more states, reduces it"
        )
    if shifted is not None and origin_shift is not None:
        w = (
            default_check_frequencies(st)
            if check_frequencies is None
            else np.asarray(check_frequencies, dtype=np.float64)
        )
        origin_checks, rep = origin_residual_check(
            qc, shifted, origin_shift, w, direction=direction
        )
        checks.update(origin_checks)
        results["origin_report"] = rep
    return Report(
        model=MODEL_NAME,
        version=MODEL_VERSION,
        arrays={
            "excitation_energies": Series(st.energies, "excitation energy w_s0", "hartree"),
            "oscillator_strength_length": Series(
                fl,
                "oscillator strength, length form (2/3) w |<0|r|s>|^2",
                "1",
                "excitation_energies",
            ),
            "oscillator_strength_velocity": Series(
                fv,
                "oscillator strength, velocity form (2/3) |<0|p|s>|^2 / w",
                "1",
                "excitation_energies",
            ),
        },
        checks=checks,
        notes=tuple(notes),
        results=results,
        units={
            "states": "atomic units (hartree, e bohr^n, e hbar / m_e)",
            "static": "atomic units (polarizability, magnetizability)",
            "scf.energy": "hartree",
            "scf.homo_lumo_gap": "hartree",
            "molecule": "bohr",
            "origin_report": "relative changes (dimensionless); shift in bohr, frequencies in "
            "hartree",
        },
    )
