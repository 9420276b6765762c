"""Molecular states from PySCF (core.quantum_chem): physics against independent references.

References that do not use the code under test:

* static polarizability: PySCF finite-field SCF energies, alpha_ii = -d^2E/dF_i^2 (central
  differences). The sum over the *full* RPA space at w = 0 is the coupled-perturbed response of
  the same basis and method, so the two agree to the finite-difference error (~1e-6 relative),
  not only to the basis error;
* static magnetizability: PySCF complex-orbital RHF in a uniform field B (common gauge origin),
  h(B) = h + (1/2) B.l + (1/8)(B^2 r^2 - (B.r)^2), chi_ii = -d^2E/dB_i^2;
* AO integrals of l and of r_j l_i + l_i r_j: grid quadrature of the basis functions;
* exact operator identities: electric moments translate exactly in any basis; the mixed
  length-velocity sum over a complete excitation space is the same for TDA and RPA.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pyscf import dft, gto, scf

from core import molecular as mol
from core import quantum_chem as qc
from core.errors import ConvergenceError, InvalidInput, LimitExceeded

#: Water, experimental geometry (angstrom), centre of mass near the origin.
H2O = "3\nwater\nO 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692\n"
#: An off-centre gauge origin (bohr): the checks must hold at any origin.
ORIGIN = (0.3, -0.5, 0.2)


def water(**kw: Any) -> qc.Calculation:
    kw.setdefault("basis", "6-31g")
    return qc.Calculation(qc.Molecule.from_xyz(H2O), **kw)


@pytest.fixture(scope="module")
def hf_631g() -> qc.QCStates:
    return qc.compute_states(water(gauge_origin=ORIGIN))


@pytest.fixture(scope="module")
def hf_aug() -> qc.QCStates:
    return qc.compute_states(water(basis="aug-cc-pvdz"))


@pytest.fixture(scope="module")
def tda_aug() -> qc.QCStates:
    return qc.compute_states(water(basis="aug-cc-pvdz", excitations="tda"))


def _pyscf_water(basis: str) -> gto.Mole:
    return gto.M(atom=H2O.split("\n", 2)[2], basis=basis, verbose=0)


def _finite_field_polarizability(
    make_mf: Any, mole: gto.Mole, h: float = 1e-3, axes: tuple[int, ...] = (0, 1, 2)
) -> np.ndarray:
    """alpha_ii = -(E(+F) - 2E(0) + E(-F)) / F^2 with the electron potential +F.r added."""
    r = mole.intor("int1e_r", comp=3)

    def energy(f: np.ndarray) -> float:
        mf = make_mf(mole)
        mf.conv_tol = 1e-12
        hcore = mf.get_hcore() + np.einsum("x,xmn->mn", f, r)
        mf.get_hcore = lambda *_a: hcore
        e = float(mf.kernel())
        assert mf.converged
        return e

    e0 = energy(np.zeros(3))
    out = []
    for i in axes:
        f = np.zeros(3)
        f[i] = h
        out.append(-(energy(f) - 2.0 * e0 + energy(-f)) / h**2)
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# Static response against PySCF's independent finite-field energies
# ---------------------------------------------------------------------------------------------


def test_static_polarizability_of_water_equals_finite_field_hartree_fock(
    hf_631g: qc.QCStates,
) -> None:
    alpha = qc.static_properties(hf_631g.states)["polarizability"]
    ref = _finite_field_polarizability(scf.RHF, _pyscf_water("6-31g"))
    np.testing.assert_allclose(np.diag(alpha), ref, rtol=2e-5)
    # off-diagonal elements vanish by the C2v symmetry of the molecule (yz plane, C2 along z)
    assert np.max(np.abs(alpha - np.diag(np.diag(alpha)))) < 1e-8 * np.max(np.abs(alpha))


def test_static_polarizability_is_origin_independent_and_grows_towards_the_basis_limit(
    hf_631g: qc.QCStates, hf_aug: qc.QCStates
) -> None:
    """alpha involves only P (origin independent); the mean rises from 6-31G (valence only) to
    aug-cc-pVDZ, which lies within a few per cent of the Hartree-Fock limit of ~8.5 a.u.
    (stated basis error: 6-31G misses about half of alpha, aug-cc-pVDZ about 5 %)."""
    a_small = np.trace(qc.static_properties(hf_631g.states)["polarizability"]) / 3
    a_aug = np.trace(qc.static_properties(hf_aug.states)["polarizability"]) / 3
    assert a_small < 0.6 * a_aug
    assert 7.9 < a_aug < 8.6


def test_tddft_polarizability_equals_finite_field_dft() -> None:
    """Full-space TDDFT (LDA, adiabatic kernel from PySCF's A and B) is the coupled-perturbed
    Kohn-Sham response: equal to finite-field KS energies on the same grid."""
    calc = water(method="dft", functional="lda,vwn")
    alpha = np.diag(qc.static_properties(qc.compute_states(calc).states)["polarizability"])
    grids: list[Any] = []

    def rks(m: gto.Mole) -> Any:
        mf = dft.RKS(m)
        mf.xc = "lda,vwn"
        if grids:
            mf.grids = grids[0]  # one grid for every field: built once
        else:
            mf.grids.build()
            grids.append(mf.grids)
        return mf

    ref = _finite_field_polarizability(rks, _pyscf_water("6-31g"), axes=(1, 2))
    np.testing.assert_allclose(alpha[1:], ref, rtol=1e-4)


def test_static_magnetizability_equals_finite_field_complex_hartree_fock(
    hf_631g: qc.QCStates,
) -> None:
    """chi = chi_para (M from the angular-momentum integrals) + chi_dia (ground second moment),
    common gauge origin ORIGIN, against -d^2E/dB^2 of PySCF RHF with complex orbitals."""
    mole = _pyscf_water("6-31g")
    nao = mole.nao
    with mole.with_common_orig(ORIGIN):
        ell = -1j * mole.intor("int1e_cg_irxp", comp=3)
        rr = mole.intor("int1e_rr", comp=9).reshape(3, 3, nao, nao)
    r2 = np.einsum("iimn->mn", rr)
    dm0 = scf.RHF(mole).run(conv_tol=1e-12).make_rdm1() + 0j

    def energy(b: np.ndarray) -> float:
        mf = scf.RHF(mole)
        mf.conv_tol = 1e-12
        hcore = (
            mf.get_hcore()
            + 0.5 * np.einsum("x,xmn->mn", b, ell)
            + 0.125 * (b @ b * r2 - np.einsum("i,j,ijmn->mn", b, b, rr))
        )
        mf.get_hcore = lambda *_a: hcore
        e = float(mf.kernel(dm0=dm0))
        assert mf.converged
        return e

    h = 2e-3
    e0 = energy(np.zeros(3))
    ref = []
    for i in range(3):
        b = np.zeros(3)
        b[i] = h
        ref.append(-(energy(b) - 2.0 * e0 + energy(-b)) / h**2)
    chi = qc.static_properties(hf_631g.states)
    np.testing.assert_allclose(np.diag(chi["magnetizability"]), ref, rtol=2e-5)
    # diamagnetic: the total is negative, the paramagnetic part positive
    assert np.all(np.diag(chi["magnetizability"]) < 0)
    assert np.all(np.linalg.eigvalsh(chi["magnetizability_paramagnetic"]) > -1e-12)


# ---------------------------------------------------------------------------------------------
# Sum rules and gauges
# ---------------------------------------------------------------------------------------------


def test_trk_residual_is_reported_and_shrinks_with_the_basis(
    hf_631g: qc.QCStates, hf_aug: qc.QCStates
) -> None:
    small = np.abs(qc.sum_rules(hf_631g)["length_residual_xyz"])
    aug = np.abs(qc.sum_rules(hf_aug)["length_residual_xyz"])
    assert np.all(aug < 0.5 * small)
    check = mol.thomas_reiche_kuhn_check(hf_aug.states)
    assert check.value == pytest.approx(float(np.max(aug)))
    # all 180 states of the space are there: the deficit (core electrons, continuum) is the
    # basis's, about a fifth of N_e for aug-cc-pVDZ
    assert hf_aug.space.space_size == hf_aug.states.size == 180
    assert check.value is not None and 0.05 < check.value < 0.3 and check.verdict is False


def test_length_and_velocity_agree_for_rpa_in_a_diffuse_basis_not_for_tda(
    hf_aug: qc.QCStates, tda_aug: qc.QCStates, hf_631g: qc.QCStates
) -> None:
    rpa = qc.gauge_agreement_check(hf_aug)
    assert rpa.verdict is True and rpa.value is not None and rpa.value < 0.1
    # TDA breaks the hypervirial relation even in a complete basis; 6-31G is far from complete
    assert qc.gauge_agreement_check(tda_aug).verdict is False
    assert qc.gauge_agreement_check(hf_631g).verdict is False


def test_mixed_sum_rule_over_the_complete_space_is_the_same_for_tda_and_rpa(
    hf_aug: qc.QCStates, tda_aug: qc.QCStates
) -> None:
    """sum_s <0|r|s><s|p|0> - c.c. over a complete space is the projected commutator <0|[r, p]|0>:
    independent of the excitation model (checks the normalisation (X + Y).(X - Y) = 1)."""
    a = np.array(qc.sum_rules(hf_aug)["mixed_xyz"])
    b = np.array(qc.sum_rules(tda_aug)["mixed_xyz"])
    np.testing.assert_allclose(a, b, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Moments: conventions, integrals, origins
# ---------------------------------------------------------------------------------------------


def test_moments_are_those_of_a_time_even_ground_state(hf_631g: qc.QCStates) -> None:
    st = hf_631g.states
    assert mol.time_even_check(st).verdict is True
    assert np.max(np.abs(st.P.imag)) == 0 and np.max(np.abs(st.M.real)) == 0
    assert np.max(np.abs(np.einsum("sii->s", st.Mq))) < 1e-12 * np.max(np.abs(st.Mq))


def test_angular_momentum_integrals_match_grid_quadrature() -> None:
    mole = gto.M(atom="O 0 0 0.2; H 0 1.4 -0.9; H 0 -1.4 -0.9", basis="sto-3g", verbose=0)
    ops = qc.ao_operators(mole, ORIGIN)
    grid = dft.gen_grid.Grids(mole)
    grid.level = 4
    grid.build()
    ao = dft.numint.eval_ao(mole, grid.coords, deriv=1)
    phi, dphi = ao[0], ao[1:4]
    r = grid.coords - np.asarray(ORIGIN)
    w = grid.weights
    rd = np.einsum("g,gm,ga,bgn->abmn", w, phi, r, dphi)  # <mu|r_a d_b|nu>
    np.testing.assert_allclose(ops["rxd"], np.einsum("iab,abmn->imn", qc.LEVI, rd), atol=2e-6)
    rrd = np.einsum("g,gm,gj,ga,bgn->jabmn", w, phi, r, r, dphi)
    k = np.einsum("iab,jabmn->ijmn", qc.LEVI, rrd)
    np.testing.assert_allclose(ops["k_mq"], k - np.swapaxes(k, -1, -2), atol=2e-6)
    np.testing.assert_allclose(ops["d"], np.einsum("g,gm,bgn->bmn", w, phi, dphi), atol=2e-6)


def test_electric_moments_recomputed_about_another_origin_obey_the_exact_rules() -> None:
    """P, Q, Q_ijk, the ground moments and M' = M - (q/2m) D x p are exact operator identities
    in any basis (no hypervirial relation): recomputed and translated moments agree."""
    d = np.array([0.4, 1.0, -0.7])
    base, shifted = qc.compute_pair(water(gauge_origin=ORIGIN), d)
    tr = base.states.translated(d)
    st = base.states
    for name in ("P", "Q", "O"):
        np.testing.assert_allclose(getattr(shifted, name), getattr(tr, name), atol=1e-10)
    np.testing.assert_allclose(shifted.ground_first_moment, tr.ground_first_moment, atol=1e-10)
    np.testing.assert_allclose(shifted.ground_second_moment, tr.ground_second_moment, atol=1e-9)
    m_exact = st.M - (st.charge / (2 * st.mass)) * np.cross(d[None, :], base.velocity)
    np.testing.assert_allclose(shifted.M, m_exact, atol=1e-10)


def test_origin_change_of_static_chi_is_exactly_the_sum_rule_deficit() -> None:
    calc = water(basis="aug-cc-pvdz")
    report = qc.states_report(calc, origin_shift=[0.0, 1.0, 0.0])
    check = report.checks["origin_residual_explained"]
    assert check.verdict is True and check.value is not None and check.value < 1e-12
    # the change itself is large (common gauge origin, Gaussian basis) ...
    assert check.details["relative_change_static_chi"] > 1e-2
    # ... the covariant permittivity does not move at all (W needs no sum rule), the multipole
    # one does, and the transformed X move by the basis deficit (origin checks fail, warned)
    c = report.results["origin_report"]["constants"]
    assert c["covariant"]["A"] < 1e-12 < c["multipole"]["A"]
    assert report.checks["origin_independence_raab_de_lange"].verdict is False
    assert any("Raab-de Lange constants changed" in w for w in report.warnings)


def test_inconsistent_moments_fail_the_origin_explanation(hf_631g: qc.QCStates) -> None:
    """Moments about O + D with M left about O: the change is no longer the basis deficit."""
    d = np.array([0.0, 1.0, 0.0])
    _, shifted = qc.compute_pair(water(gauge_origin=ORIGIN), d)
    bad = mol.MolecularStates(
        energies=shifted.energies,
        linewidths=shifted.linewidths,
        P=shifted.P,
        Q=shifted.Q,
        O=shifted.O,
        M=hf_631g.states.M,
        Mq=shifted.Mq,
        ground_first_moment=shifted.ground_first_moment,
        ground_second_moment=shifted.ground_second_moment,
        n_electrons=shifted.n_electrons,
    )
    checks, _ = qc.origin_residual_check(hf_631g, bad, d, [0.001, 0.1])
    assert checks["origin_residual_explained"].verdict is False
    assert checks["origin_residual_explained"].warning


def test_states_feed_the_material_constants_of_core_molecular(hf_631g: qc.QCStates) -> None:
    """The states are core.molecular's input: its static limit holds and alpha(w -> 0) is the
    static polarizability."""
    st = hf_631g.states
    rep = mol.material_constants_report(st, [1e-4, 0.1], include_tensors=False)
    assert rep.checks["static_limit"].verdict is True
    alpha0 = np.trace(qc.static_properties(st)["polarizability"]) / 3
    assert rep.arrays["alpha_isotropic"].values[0].real == pytest.approx(alpha0, rel=1e-4)


# ---------------------------------------------------------------------------------------------
# Solvers, report, limits, input
# ---------------------------------------------------------------------------------------------


def test_iterative_solver_gives_the_lowest_states_of_the_dense_one(hf_631g: qc.QCStates) -> None:
    limits = qc.QCLimits(max_dense=10, iterative_states=5)
    it = qc.compute_states(water(gauge_origin=ORIGIN), limits)
    assert it.space.solver == "iterative" and it.space.truncated and it.states.size == 5
    np.testing.assert_allclose(it.states.energies, hf_631g.states.energies[:5], rtol=1e-6)
    # |P| of each state is phase independent
    np.testing.assert_allclose(
        np.linalg.norm(it.states.P, axis=1),
        np.linalg.norm(hf_631g.states.P[:5], axis=1),
        rtol=1e-4,
        atol=1e-6,
    )


def test_report_carries_states_in_the_http_format_and_notes_truncation() -> None:
    rep = qc.states_report(water(n_states=7))
    st = rep.results["states"]
    assert set(st) == {
        "energies",
        "linewidths",
        "electric_dipole",
        "electric_quadrupole",
        "electric_octupole",
        "magnetic_dipole",
        "magnetic_quadrupole",
        "ground_first_moment",
        "ground_second_moment",
        "n_electrons",
    }
    assert st["electric_octupole"].shape == (7, 3, 3, 3)
    assert rep.results["excitation_space"]["truncated"] is True
    assert any("truncated to the lowest 7 of 40" in n for n in rep.notes)
    assert set(rep.checks) == {"thomas_reiche_kuhn", "time_even", "gauge_agreement"}


@pytest.mark.parametrize(
    ("limits", "calc_kw", "name"),
    [
        (qc.QCLimits(max_atoms=2), {}, "max_qc_atoms"),
        (qc.QCLimits(max_basis=10), {}, "max_qc_basis"),
        (qc.QCLimits(max_states=5), {"n_states": 6}, "max_qc_states"),
    ],
)
def test_work_limits_are_named(limits: qc.QCLimits, calc_kw: dict[str, Any], name: str) -> None:
    with pytest.raises(LimitExceeded) as err:
        qc.check_limits(water(**calc_kw), limits)
    assert err.value.limit_name == name


def test_time_limit_stops_the_calculation() -> None:
    with pytest.raises(LimitExceeded) as err:
        qc.compute_states(water(basis="aug-cc-pvdz"), qc.QCLimits(time_limit_s=1e-4))
    assert err.value.limit_name == "qc_time_limit_s"


def test_molecule_input_is_validated_and_canonical() -> None:
    a = qc.Molecule.from_xyz(H2O)
    b = qc.Molecule.from_atoms(
        [("o", (0, 0, 0.1173)), ("h", (0, 0.7572, -0.4692)), ("H", (0, -0.7572, -0.4692))]
    )
    assert a.symbols == b.symbols == ("O", "H", "H")
    np.testing.assert_array_equal(a.coordinates, b.coordinates)
    assert np.allclose(a.coordinates[0], [0, 0, 0.1173 * qc.BOHR_PER_ANGSTROM])
    assert np.allclose(a.centered().center_of_mass, 0.0, atol=1e-12)
    with pytest.raises(InvalidInput) as err:
        qc.Molecule.from_xyz("O 0 0 0; H 0 0 1")  # OH: 9 electrons
    assert err.value.field == ("molecule", "charge")
    with pytest.raises(InvalidInput) as err:
        qc.Molecule.from_xyz("Xq 0 0 0")
    assert err.value.field == ("molecule", "atoms", 0, "symbol")
    with pytest.raises(InvalidInput):
        qc.Molecule.from_xyz("3\n\nO 0 0 0\nH 0 0 1\n")  # header says 3 atoms, 2 follow
    with pytest.raises(InvalidInput) as err:
        qc.build_mole(water(basis="no-such-basis"))
    assert err.value.field == ("basis",)
    with pytest.raises(InvalidInput) as err:
        qc.Calculation(a, "sto-3g", method="dft")
    assert err.value.field == ("functional",)


def test_unknown_functional_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as err:
        qc.compute_states(water(basis="sto-3g", method="dft", functional="no-such-xc"))
    assert err.value.field == ("functional",)


def test_unconverged_or_unstable_ground_states_are_reported_not_crashed() -> None:
    """Stretched H2 in a minimal basis: the RHF solution is triplet-unstable but singlet stable;
    the RPA singlets must still come out real and positive (no exception, no NaN)."""
    calc = qc.Calculation(qc.Molecule.from_xyz("H 0 0 0; H 0 0 4.0", unit="bohr"), "sto-3g")
    try:
        st = qc.compute_states(calc).states
    except ConvergenceError as exc:  # an instability is an error with a fix, never a crash
        assert exc.fix
    else:
        assert np.all(np.isfinite(st.energies)) and np.all(st.energies > 0)


@pytest.mark.parametrize("x", [9.5e307, float("nan"), -2e4])
def test_coordinates_out_of_range_are_refused_naming_the_atom(x: float) -> None:
    with pytest.raises(InvalidInput) as err:
        qc.Molecule.from_atoms([("H", (x, 0.0, 0.0)), ("H", (0.0, 0.0, 0.74))])
    assert err.value.field == ("molecule", "atoms", 0, "position") and err.value.fix
    with pytest.raises(InvalidInput) as err:
        qc.Molecule.from_xyz(f"H {x} 0 0\nH 0 0 0.74")
    assert err.value.field == ("molecule", "xyz")


def test_the_figure_registry_names_this_model() -> None:
    from core import figures

    assert figures.QUANTUM_CHEM_MODEL == qc.MODEL_NAME
