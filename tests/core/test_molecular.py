"""Physics tests of core.molecular (Anelli et al., core.references.ANELLI_ET_AL: Table 1, eqs
12-19, 40, 45-57).

Two independent model molecules are built here, not by the code under test:

* a displaced, anisotropic 3D harmonic oscillator, moments from ladder-operator matrices. Every
  ground-state sum over states terminates (x^3 |0> reaches level 3 only), so with 5 levels per
  axis the basis is *complete* for every sum the constants need: origin independence must then
  hold to rounding, which pins down the typo-free form of each equation;
* random transition moments with only the index symmetries of the operators (no hypervirial
  relation): the algebraic identities (same wave operator for the three definitions, eq 55 = eq
  19) must hold for them too, including the chiral t' terms that vanish for centrosymmetric
  molecules.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from core import molecular as mol
from core.errors import InvalidInput, LimitExceeded, PoleOnGrid

# ---------------------------------------------------------------------------------------------
# Model molecules
# ---------------------------------------------------------------------------------------------

HO_FREQS = (0.3, 0.45, 0.6)
HO_CENTER = (0.7, -1.2, 2.1)


def ho_matrices(
    origin=(0.0, 0.0, 0.0), freqs=HO_FREQS, center=HO_CENTER, nf: int = 5, q: float = -1.0
) -> dict:
    """Full matrices of r - O, p, l for a 3D oscillator centred at ``center`` (m = 1, hbar = 1)."""
    lad = np.diag(np.sqrt(np.arange(1, nf)), 1)
    one = np.eye(nf)
    r, p = [], []
    for ax in range(3):
        w = freqs[ax]
        x1 = (lad + lad.T) / np.sqrt(2.0 * w)
        p1 = 1j * np.sqrt(w / 2.0) * (lad.T - lad)
        ops = [one, one, one]
        ops[ax] = x1
        x3 = np.kron(np.kron(ops[0], ops[1]), ops[2])
        ops[ax] = p1
        p3 = np.kron(np.kron(ops[0], ops[1]), ops[2])
        r.append(x3 + (center[ax] - origin[ax]) * np.eye(nf**3))
        p.append(p3)
    lvl = np.arange(nf)
    nq = np.stack(np.meshgrid(lvl, lvl, lvl, indexing="ij"), -1).reshape(-1, 3)
    energies = nq @ np.asarray(freqs)
    ang = [r[(i + 1) % 3] @ p[(i + 2) % 3] - r[(i + 2) % 3] @ p[(i + 1) % 3] for i in range(3)]
    return {"r": r, "p": p, "l": ang, "E": energies, "q": q}


@functools.lru_cache(maxsize=64)
def ho_states(origin=(0.0, 0.0, 0.0), gamma: float = 0.0) -> mol.MolecularStates:
    mats = ho_matrices(tuple(origin))
    r, ang, q = mats["r"], mats["l"], mats["q"]
    s = r[0].shape[0]
    row = [r[i][0] for i in range(3)]  # <0| r_i, then right-multiply: <0| r_i r_j = row_i @ r_j
    rr = [[row[i] @ r[j] for j in range(3)] for i in range(3)]
    pv = np.stack([q * row[i] for i in range(3)], -1)
    qv = np.empty((s, 3, 3), complex)
    ov = np.empty((s, 3, 3, 3), complex)
    mq = np.empty((s, 3, 3), complex)
    for i, j in itertools.product(range(3), repeat=2):
        qv[:, i, j] = q * rr[i][j]
        mq[:, i, j] = q / 3.0 * (row[j] @ ang[i] + ang[i][0] @ r[j])
        for k in range(3):
            ov[:, i, j, k] = q * (rr[i][j] @ r[k])
    mv = np.stack([q / 2.0 * ang[i][0] for i in range(3)], -1)
    r1 = np.array([r[i][0, 0].real for i in range(3)])
    r2 = np.array([[rr[i][j][0].real for j in range(3)] for i in range(3)])
    e = mats["E"]
    return mol.MolecularStates(
        e[1:], np.full(s - 1, gamma), pv[1:], qv[1:], ov[1:], mv[1:], mq[1:], r1, r2, 1.0
    )


def random_states(s: int = 7, seed: int = 0, gamma: float = 0.0) -> mol.MolecularStates:
    """Random time-even moments (electric real, magnetic imaginary, common phase per state)."""
    rng = np.random.default_rng(seed)
    e = np.sort(rng.uniform(0.1, 1.0, s))
    ph = np.exp(1j * rng.uniform(0, 2 * np.pi, s))
    p = rng.normal(size=(s, 3)) * ph[:, None]
    q = rng.normal(size=(s, 3, 3))
    q = (q + q.transpose(0, 2, 1)) * ph[:, None, None]
    o = rng.normal(size=(s, 3, 3, 3))
    o = sum(np.transpose(o, (0, *(1 + i for i in pm))) for pm in itertools.permutations(range(3)))
    o = o * ph[:, None, None, None]
    m = 1j * rng.normal(size=(s, 3)) * ph[:, None]
    mq = rng.normal(size=(s, 3, 3))
    mq = mq - np.trace(mq, axis1=1, axis2=2)[:, None, None] * np.eye(3) / 3.0
    mq = 1j * mq * ph[:, None, None]
    a = rng.normal(size=(3, 3))
    return mol.MolecularStates(
        e, np.full(s, gamma), p, q, o, m, mq, rng.normal(size=3), a @ a.T, 2.0
    )


W_GRID = np.array([0.02, 0.2, 0.37, 0.5, 0.8, 1.1])
SHIFTS = [(1.0, 0.0, 0.0), (0.0, 10.0, 0.0), (3.0, -4.0, 7.0)]
DIRECTIONS = [(0.0, 0.0, 1.0), (0.3, -0.5, 0.8)]


def rel_change(x0: np.ndarray, x1: np.ndarray) -> float:
    return float(np.max(np.abs(x1 - x0)) / np.max(np.abs(x0)))


# ---------------------------------------------------------------------------------------------
# Table 1
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 0.01])
def test_polarizability_of_oscillator_is_the_closed_form_lorentzian(gamma):
    # alpha_xx = q^2 / (m (w_x^2 - (w + i gamma)^2)): one dipole transition per axis
    t = mol.molecular_tensors(ho_states(gamma=gamma), W_GRID)
    wc = W_GRID + 1j * gamma
    for ax, wa in enumerate(HO_FREQS):
        np.testing.assert_allclose(t.alpha[:, ax, ax], 1.0 / (wa**2 - wc**2), rtol=1e-12)
    off = t.alpha - np.einsum("fii,ij->fij", t.alpha, np.eye(3))
    assert np.max(np.abs(off)) < 1e-12 * np.max(np.abs(t.alpha))


def test_damped_polarizability_is_passive():
    # exp(-i w t): Im alpha >= 0 on the real axis for gamma > 0
    t = mol.molecular_tensors(random_states(gamma=0.02), np.linspace(0.0, 1.5, 301))
    eig = np.linalg.eigvalsh((t.alpha - np.conj(np.swapaxes(t.alpha, 1, 2))) / 2j)
    assert np.all(eig >= -1e-12 * np.max(np.abs(t.alpha)))


def test_time_odd_tensors_vanish_in_the_static_limit():
    # G', H', L' carry the field frequency w (not w_s): zero at w = 0, linear for small w
    t = mol.molecular_tensors(random_states(), np.array([0.0, 1e-4, 2e-4]))
    for name in ("G", "H", "L"):
        x = getattr(t, name)
        assert np.max(np.abs(x[0])) == 0.0
        np.testing.assert_allclose(x[2], 2.0 * x[1], rtol=1e-4)


def test_static_magnetizability_of_oscillator_is_origin_independent_closed_form():
    # chi_zz(0) = -q^2 / (2 m (w_x + w_y)) for an anisotropic oscillator (para + dia), any origin
    for origin in [(0.0, 0.0, 0.0), (1.0, 10.0, -3.0)]:
        chi = mol.molecular_tensors(ho_states(origin), np.array([0.0])).chi[0]
        wx, wy, wz = HO_FREQS
        expect = -0.5 * np.array([1.0 / (wy + wz), 1.0 / (wx + wz), 1.0 / (wx + wy)])
        np.testing.assert_allclose(np.diag(chi).real, expect, rtol=1e-12)
        assert np.max(np.abs(chi - np.diag(np.diag(chi)))) < 1e-12


# ---------------------------------------------------------------------------------------------
# Translation rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shift", SHIFTS)
def test_translation_rules_reproduce_moments_recomputed_about_the_new_origin(shift):
    moved = ho_states().translated(shift)
    direct = ho_states(origin=shift)
    for name in ("P", "Q", "O", "M", "Mq"):
        x, y = getattr(moved, name), getattr(direct, name)
        assert np.max(np.abs(x - y)) <= 1e-12 * max(1.0, np.max(np.abs(y))), name
    np.testing.assert_allclose(moved.ground_second_moment, direct.ground_second_moment, atol=1e-11)
    np.testing.assert_allclose(moved.ground_first_moment, direct.ground_first_moment, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# Origin (in)dependence on a complete basis
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 0.01])
@pytest.mark.parametrize("shift", SHIFTS)
def test_transformed_constants_are_origin_independent_on_a_complete_basis(gamma, shift):
    t0 = mol.molecular_tensors(ho_states(gamma=gamma), W_GRID)
    t1 = mol.molecular_tensors(ho_states(shift, gamma=gamma), W_GRID)
    for d in DIRECTIONS:
        for dfn in ("raab_de_lange", "covariant"):
            c0 = mol.material_constants(t0, dfn, d)
            c1 = mol.material_constants(t1, dfn, d)
            for name in ("A", "X", "T", "U"):
                x0, x1 = getattr(c0, name), getattr(c1, name)
                scale = max(np.max(np.abs(x0)), 1e-300)
                assert np.max(np.abs(x1 - x0)) <= 1e-11 * max(scale, 1.0), (dfn, name)


def test_multipole_constants_depend_on_the_origin():
    t0 = mol.molecular_tensors(ho_states(), W_GRID)
    t1 = mol.molecular_tensors(ho_states((0.0, 10.0, 0.0)), W_GRID)
    c0 = mol.material_constants(t0, "multipole", DIRECTIONS[1])
    c1 = mol.material_constants(t1, "multipole", DIRECTIONS[1])
    assert rel_change(c0.A, c1.A) > 1e-3
    assert rel_change(c0.X, c1.X) > 1e-1
    # ... while the static chi (w = 0) is origin independent (the paper's remark)
    s0 = mol.molecular_tensors(ho_states(), np.array([0.0]))
    s1 = mol.molecular_tensors(ho_states((0.0, 10.0, 0.0)), np.array([0.0]))
    assert rel_change(s0.chi, s1.chi) < 1e-12


def test_covariant_tensors_are_each_origin_independent():
    c0 = mol.covariant_tensors(mol.molecular_tensors(ho_states(gamma=0.01), W_GRID))
    c1 = mol.covariant_tensors(mol.molecular_tensors(ho_states((2, -3, 5), gamma=0.01), W_GRID))
    for name in ("F", "W", "h", "m"):
        assert rel_change(c0[name], c1[name]) < 1e-12, name
    assert np.max(np.abs(c0["t"])) < 1e-12  # centrosymmetric oscillator: t' = 0 at any origin
    assert np.max(np.abs(c1["t"])) < 1e-12


def test_printed_G_term_of_eq16_would_be_origin_dependent():
    # eq 16 as extracted: -(i/w) eps_ikl k_k (G'_lj + G'_jl). About a displaced origin G' != 0
    # and that form changes with the origin; the implemented form does not.
    def printed(t, k, kappa):
        base = mol.multipole_constants(t, k).A
        return base - 1j * np.einsum(
            "ikl,fk,flj->fij", mol.LEVI, kappa, t.G + np.swapaxes(t.G, 1, 2)
        )

    ts = [mol.molecular_tensors(ho_states(o), W_GRID) for o in [(0, 0, 0), (0, 10, 0)]]
    ks = [mol._wave_vectors(t, DIRECTIONS[1], 1.0) for t in ts]
    a_printed = [printed(t, *kk) for t, kk in zip(ts, ks, strict=True)]
    a_used = [mol.raab_de_lange_constants(t, *kk).A for t, kk in zip(ts, ks, strict=True)]
    assert rel_change(*a_printed) > 1e-4
    assert rel_change(*a_used) < 1e-13


# ---------------------------------------------------------------------------------------------
# Wave equation (57): one operator, three definitions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 0.03])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_three_definitions_give_the_same_wave_operator(gamma, direction):
    # random chiral moments: t' != 0, so the O(k) terms are exercised. A large index makes the
    # k^2 terms as big as the dipole ones, so a wrong index in them could not hide.
    t = mol.molecular_tensors(random_states(gamma=gamma), np.array([0.3, 0.55, 0.71]))
    k, kappa = mol._wave_vectors(t, direction, 300.0)
    ops = {
        d: mol.wave_operator_molecular(mol.constants_at(t, d, k, kappa), kappa)
        for d in mol.DEFINITIONS
    }
    k2 = mol.multipole_constants(t, k).A - t.alpha
    assert np.max(np.abs(k2)) > 0.1 * np.max(np.abs(t.alpha))  # the test has teeth
    ref = ops["multipole"]
    for d in ("raab_de_lange", "covariant"):
        assert rel_change(ref, ops[d]) < 1e-13, d


def test_raab_de_lange_permittivity_is_the_multipole_wave_operator():
    # eq 16 = eq 39: A is the full spatially dispersive permittivity (magnetisation folded in)
    t = mol.molecular_tensors(random_states(seed=3, gamma=0.01), np.array([0.25, 0.6]))
    k, kappa = mol._wave_vectors(t, (1.0, 2.0, -0.5), 200.0)
    a_rl = mol.raab_de_lange_constants(t, k, kappa).A
    w_mp = mol.wave_operator_molecular(mol.multipole_constants(t, k), kappa)
    assert rel_change(w_mp, a_rl) < 1e-13


def test_chiral_t_prime_in_eq17_would_double_count_optical_activity():
    # adding the printed -i t' to T (and to U) changes the wave operator for a chiral molecule
    t = mol.molecular_tensors(random_states(seed=5), np.array([0.4]))
    k, kappa = mol._wave_vectors(t, (0, 0, 1), 1.0)
    c = mol.raab_de_lange_constants(t, k, kappa)
    tp = mol.covariant_tensors(t)["t"]
    printed = mol.MaterialConstants(
        "x", c.k, c.A, c.T - 1j * tp, c.U - 1j * np.swapaxes(tp, 1, 2), c.X
    )
    ref = mol.wave_operator_molecular(mol.multipole_constants(t, k), kappa)
    assert rel_change(ref, mol.wave_operator_molecular(c, kappa)) < 1e-14
    assert np.max(np.abs(mol.wave_operator_molecular(printed, kappa) - ref)) > 1e-6


@pytest.mark.parametrize("density", [mol.LOSCHMIDT_AU, 3e-3])
def test_refractive_indices_of_the_three_definitions_agree(density):
    t = mol.molecular_tensors(random_states(seed=1, gamma=0.02), np.linspace(0.05, 1.2, 40))
    ns = {d: mol.refractive_index(t, d, (0.2, -0.4, 1.0), density) for d in mol.DEFINITIONS}
    ref = ns["multipole"].n
    assert np.max(np.abs(ref - 1.0)) > 1e-5
    for d in mol.DEFINITIONS:
        np.testing.assert_allclose(ns[d].n, ref, rtol=1e-12, atol=0)
        assert np.max(ns[d].residual) < 1e-10
        assert np.all(ns[d].n.imag >= 0)  # forward, decaying: passive medium


def test_refractive_index_is_origin_independent_on_a_complete_basis():
    w = np.linspace(0.05, 1.0, 25)
    n0 = mol.refractive_index(
        mol.molecular_tensors(ho_states(gamma=0.01), w), "multipole", (0.3, 0.1, 1.0), 1e-3
    ).n
    n1 = mol.refractive_index(
        mol.molecular_tensors(ho_states((0, 10, 0), gamma=0.01), w),
        "multipole",
        (0.3, 0.1, 1.0),
        1e-3,
    ).n
    np.testing.assert_allclose(n1, n0, rtol=1e-12)


def test_refractive_index_of_dilute_medium_follows_the_polarizability():
    # n^2 = 1 + N alpha_xx / eps0 for an oscillator with sigma = z (k-terms are O((ka)^2) small)
    w = np.array([0.1, 0.2, 0.25])
    density = 1e-4
    t = mol.molecular_tensors(ho_states(), w)
    n = mol.refractive_index(t, "covariant", (0, 0, 1), density).n
    expect = np.sqrt(
        1 + density * np.stack([t.alpha[:, 0, 0], t.alpha[:, 1, 1]], 1).real / mol.EPS0_AU
    )
    np.testing.assert_allclose(np.sort(n.real, axis=1), np.sort(expect, axis=1), rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# Eqs 55, 56 and the static limit
# ---------------------------------------------------------------------------------------------


def test_eq55_written_with_covariant_tensors_equals_eq19():
    t = mol.molecular_tensors(random_states(seed=2, gamma=0.01), np.array([0.2, 0.45, 0.9]))
    x19 = mol.raab_de_lange_inverse_permeability(t)
    x55 = mol.raab_de_lange_x_from_covariant(t)
    assert rel_change(x19, x55) < 1e-13


def test_static_limit_both_inverse_permeabilities_reduce_to_the_static_magnetizability():
    wx, wy, wz = HO_FREQS
    chi0 = -0.5 * np.diag([1 / (wy + wz), 1 / (wx + wz), 1 / (wx + wy)])
    w = np.array([0.0, 1e-4])
    for origin in [(0, 0, 0), (4, -2, 9)]:
        t = mol.molecular_tensors(ho_states(origin), w)
        x_rl = mol.material_constants(t, "raab_de_lange", (0, 0, 1)).X
        x_cov = mol.material_constants(t, "covariant", (0, 0, 1)).X
        np.testing.assert_allclose(x_rl[0].real, -chi0, atol=1e-13)
        np.testing.assert_allclose(x_cov[0].real, -chi0, atol=1e-13)
        np.testing.assert_allclose(mol.magnetizability(t)[0].real, chi0, atol=1e-13)
        # they separate only at order w^2
        assert np.max(np.abs(x_rl[1] - x_cov[1])) < 1e-6


def test_inverse_permeabilities_differ_near_resonance():
    # away from w = 0 the two origin-independent X differ (paper, Tables 2-3)
    for gamma, w, small in ((0.0, np.array([1e-3]), True), (0.005, np.array([0.72, 0.78]), False)):
        t = mol.molecular_tensors(ho_states(gamma=gamma), w)
        x_rl = mol.raab_de_lange_inverse_permeability(t)
        x_cov = -mol.covariant_tensors(t)["m"]
        assert (rel_change(x_rl, x_cov) < 1e-4) == small


# ---------------------------------------------------------------------------------------------
# Absorption (40) and isotropic averages
# ---------------------------------------------------------------------------------------------


def test_absorption_coefficient_is_twice_the_imaginary_wavenumber_of_the_mode():
    w = np.linspace(0.2, 0.9, 30)
    density = 1e-8
    t = mol.molecular_tensors(ho_states((0, 3, 0), gamma=0.01), w)
    a = mol.absorption_coefficient(t, (0, 0, 1), (1, 0, 0), density)
    r = mol.refractive_index(t, "raab_de_lange", (0, 0, 1), density)
    xmode = np.argmax(np.abs(r.polarization[..., 0]), axis=1)
    im_k = w / mol.C_AU * r.n.imag[np.arange(w.size), xmode]
    assert np.all(a > 0)
    np.testing.assert_allclose(a, 2.0 * im_k, rtol=1e-4)


def test_isotropic_average_is_rotation_invariant_and_keeps_isotropic_tensors():
    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    for rank in (2, 3, 4):
        x = rng.normal(size=(1,) + (3,) * rank)
        sub = "abcd"[:rank]
        rot = np.einsum(
            ",".join(f"{s.upper()}{s}" for s in sub) + f",f{sub}->f{sub.upper()}",
            *([q] * rank),
            x,
        )
        np.testing.assert_allclose(mol.isotropic_average(rot), mol.isotropic_average(x), atol=1e-12)
    dd = (
        np.einsum("ij,kl->ijkl", np.eye(3), np.eye(3))[None]
        + np.einsum("ik,jl->ijkl", np.eye(3), np.eye(3))[None]
    )
    np.testing.assert_allclose(mol.isotropic_average(dd), dd, atol=1e-14)
    np.testing.assert_allclose(mol.isotropic_average(mol.LEVI[None]), mol.LEVI[None], atol=1e-15)


def test_isotropic_constants_are_origin_independent_and_transverse_isotropic():
    t0 = mol.molecular_tensors(ho_states(gamma=0.01), W_GRID)
    t1 = mol.molecular_tensors(ho_states((0, 10, 0), gamma=0.01), W_GRID)
    for dfn in ("raab_de_lange", "covariant"):
        c0 = mol.isotropic_constants(t0, dfn, (0, 0, 1))
        c1 = mol.isotropic_constants(t1, dfn, (0, 0, 1))
        assert rel_change(c0.A, c1.A) < 1e-12
        assert rel_change(c0.X, c1.X) < 1e-11
        np.testing.assert_allclose(c0.A[:, 0, 0], c0.A[:, 1, 1], rtol=1e-13)
        # leading term: tr(alpha)/3
        np.testing.assert_allclose(
            c0.A[:, 0, 0], np.trace(t0.alpha, axis1=1, axis2=2) / 3, rtol=1e-4
        )


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def _kw(**over):
    s = random_states(s=3)
    kw = {
        n: getattr(s, n)
        for n in (
            "energies",
            "linewidths",
            "P",
            "Q",
            "O",
            "M",
            "Mq",
            "ground_first_moment",
            "ground_second_moment",
            "n_electrons",
        )
    }
    kw.update(over)
    return kw


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"P": np.zeros((3, 2))}, ("states", "P")),
        ({"Q": np.zeros((3, 3))}, ("states", "Q")),
        ({"O": np.zeros((3, 3, 3))}, ("states", "O")),
        ({"Mq": np.zeros((2, 3, 3))}, ("states", "Mq")),
        ({"Q": np.arange(27.0).reshape(3, 3, 3)}, ("states", "Q")),
        (
            {"ground_second_moment": np.array([[1, 2, 0], [0, 1, 0], [0, 0, 1.0]])},
            ("states", "ground_second_moment"),
        ),
        ({"ground_second_moment": np.eye(3) * (1 + 1j)}, ("states", "ground_second_moment")),
        ({"ground_second_moment": np.eye(2)}, ("states", "ground_second_moment")),
        ({"energies": np.array([0.1, -0.2, 0.3])}, ("states", "energies", 1)),
        ({"linewidths": np.array([0.1, -0.2, 0.3])}, ("states", "linewidths", 1)),
        ({"Mq": np.ones((3, 3, 3))}, ("states", "Mq")),
    ],
)
def test_bad_moments_are_rejected_naming_the_field(over, field):
    with pytest.raises(InvalidInput) as exc:
        mol.MolecularStates(**_kw(**over))
    assert exc.value.field == field


def test_undamped_resonance_on_the_grid_is_rejected():
    s = random_states(s=3)
    with pytest.raises(PoleOnGrid):
        mol.molecular_tensors(s, np.array([0.0, s.energies[1]]))


def test_limits_are_named():
    with pytest.raises(LimitExceeded) as exc:
        mol.molecular_tensors(random_states(s=3), np.linspace(0, 1, 11), max_frequencies=10)
    assert exc.value.limit_name == "max_molecular_frequencies"
    with pytest.raises(LimitExceeded) as exc:
        mol.molecular_tensors(random_states(s=3), np.array([0.1]), max_states=2)
    assert exc.value.limit_name == "max_molecular_states"


def test_unknown_definition_and_zero_direction_are_rejected():
    t = mol.molecular_tensors(random_states(s=3), np.array([0.1]))
    with pytest.raises(InvalidInput) as exc:
        mol.material_constants(t, "landau", (0, 0, 1))
    assert exc.value.field == ("definitions",)
    with pytest.raises(InvalidInput) as exc:
        mol.material_constants(t, "covariant", (0, 0, 0))
    assert exc.value.field == ("direction",)


def test_time_even_residual_flags_magnetic_moments_without_their_factor_i():
    good = random_states(s=4)
    assert good.time_even_residual() < 1e-14
    assert ho_states((1.0, 2.0, 3.0)).time_even_residual() < 1e-14
    kw = _kw(M=np.imag(random_states(s=3).M))  # real magnetic moments: not time-even
    assert mol.MolecularStates(**kw).time_even_residual() > 0.05


# ---------------------------------------------------------------------------------------------
# Atomic units: constants and absolute normalisation (literal CODATA values, not scipy)
# ---------------------------------------------------------------------------------------------

#: CODATA 2018 literals (2022 values agree to < 1e-9 relative)
_E = 1.602176634e-19  # C
_HBAR = 1.054571817e-34  # J s
_A0 = 0.529177210903e-10  # m


def test_atomic_unit_constants_are_the_codata_values():
    # every other test uses mol.C_AU / mol.EPS0_AU on both sides; this pins them (SI eps0, c in
    # m/s, Gaussian 4 pi eps0 = 4 pi, or a Hartree/eV slip would all fail here)
    assert mol.C_AU == pytest.approx(137.035999084, rel=1e-8)
    assert mol.EPS0_AU == pytest.approx(1.0 / (4.0 * np.pi), rel=1e-15)
    assert mol.MU0_AU == pytest.approx(4.0 * np.pi / 137.035999084**2, rel=1e-8)
    assert mol.HARTREE_EV == pytest.approx(27.211386245988, rel=1e-10)
    # Loschmidt 2.686780111e25 m^-3 in bohr^-3 (the docstrings quote 3.98e-6)
    assert mol.LOSCHMIDT_AU == pytest.approx(2.686780111e25 * _A0**3, rel=1e-8)
    assert 3.97e-6 < mol.LOSCHMIDT_AU < 3.99e-6
    si = mol.SI_PER_AU
    e_h = _HBAR**2 / (9.1093837015e-31 * _A0**2)  # hartree, J
    assert si["energy"][0] == pytest.approx(e_h, rel=1e-8)
    assert si["frequency"][0] == pytest.approx(e_h / _HBAR, rel=1e-8)
    assert si["length"][0] == pytest.approx(_A0, rel=1e-9)
    # polarizability e^2 a0^2 / E_h; magnetizability e^2 a0^2 / m_e; magneto-electric e^2 a0^3 / hbar
    assert si["polarizability"][0] == pytest.approx(_E**2 * _A0**2 / e_h, rel=1e-8)
    assert si["magnetizability"][0] == pytest.approx(_E**2 * _A0**2 / 9.1093837015e-31, rel=1e-8)
    assert si["magnetoelectric"][0] == pytest.approx(_E**2 * _A0**3 / _HBAR, rel=1e-8)


def test_absorption_coefficient_of_an_oscillator_is_the_lorentzian_closed_form():
    # eq 40 for a dilute medium: a(w) = (w N / (eps0 c)) Im alpha_xx with eps0 = 1/(4 pi),
    # c = 137.036 (atomic units) and alpha_xx = q^2 / (m (w_x^2 - (w + i g)^2)). Literal constants,
    # so a factor 2 (amplitude vs intensity), 4 pi, or c slip fails; the comparison with
    # refractive_index above cannot see one that both share.
    w = np.linspace(0.22, 0.40, 10)  # around the x resonance (0.3), below the y one (0.45)
    g, density = 0.01, 1e-6
    t = mol.molecular_tensors(ho_states(gamma=g), w)
    a = mol.absorption_coefficient(t, (0, 0, 1), (1, 0, 0), density)
    alpha_xx = 1.0 / (HO_FREQS[0] ** 2 - (w + 1j * g) ** 2)
    expect = 4.0 * np.pi * w * density / 137.035999084 * alpha_xx.imag
    np.testing.assert_allclose(a, expect, rtol=1e-3)


def test_dilute_refractive_index_follows_the_polarizability_with_literal_eps0():
    # n^2 = 1 + 4 pi N alpha (atomic units, 4 pi eps0 = 1), written without mol.EPS0_AU
    w = np.array([0.1, 0.2, 0.25])
    density = 1e-4
    t = mol.molecular_tensors(ho_states(), w)
    n = mol.refractive_index(t, "covariant", (0, 0, 1), density).n
    ax = np.array([1.0 / (HO_FREQS[a] ** 2 - w**2) for a in (0, 1)]).T
    expect = np.sqrt(1.0 + 4.0 * np.pi * density * ax)
    np.testing.assert_allclose(np.sort(n.real, axis=1), np.sort(expect, axis=1), rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# Reports: every bound check holds on an analytic case and fails on one built to break it
# ---------------------------------------------------------------------------------------------

REPORT_GRID = np.linspace(0.05, 1.0, 12)
SHIFT = (0.0, 10.0, 0.0)


def test_material_constants_report_passes_every_check_on_the_complete_oscillator():
    s0, s1 = ho_states(gamma=0.01), ho_states(SHIFT, gamma=0.01)
    rep = mol.material_constants_report(s0, REPORT_GRID, shifted=s1, shift=SHIFT)
    assert next(iter(rep.arrays)) == "frequencies"
    for name in ("thomas_reiche_kuhn", "time_even", "static_limit", "uniform_damping"):
        assert rep.checks[name].verdict is True, name
        assert rep.checks[name].kind == "bound"
    assert abs(rep.checks["thomas_reiche_kuhn"].value) < 1e-12  # complete basis: TRK exact
    for dfn in ("raab_de_lange", "covariant"):
        c = rep.checks[f"origin_independence_{dfn}"]
        assert c.verdict is True and c.kind == "indicative"
        assert c.value < 1e-10  # complete basis: origin independent to rounding
        assert c.details["per_quantity"] == {"A": True, "T": True, "U": True, "X": True}
    mp = rep.checks["origin_independence_multipole"]
    assert mp.kind == "value" and mp.verdict is None
    assert mp.value > 1e-2  # eqs 12-15 depend on the origin even on a complete basis
    assert rep.warnings == ()
    meta, data = rep.payload()
    assert data["origin_report"]["shift"] == list(SHIFT)
    assert meta["units"]["frequencies"] == "hartree"


def test_trk_check_fails_on_a_basis_that_misses_the_sum_rule():
    rep = mol.material_constants_report(random_states(gamma=0.01), REPORT_GRID)
    trk = rep.checks["thomas_reiche_kuhn"]
    assert trk.verdict is False and trk.value > mol.TRK_TOL
    assert any("Thomas-Reiche-Kuhn" in w for w in rep.warnings)


def test_time_even_check_fails_for_magnetic_moments_without_their_factor_i():
    kw = _kw(M=np.imag(random_states(s=3).M), linewidths=np.full(3, 0.01))
    rep = mol.material_constants_report(mol.MolecularStates(**kw), REPORT_GRID)
    assert rep.checks["time_even"].verdict is False
    assert rep.checks["time_even"].value > 0.05
    assert any("time-even" in w for w in rep.warnings)


def test_uniform_damping_check_fails_for_unequal_linewidths():
    kw = _kw(linewidths=np.array([0.01, 0.02, 0.03]))
    rep = mol.material_constants_report(mol.MolecularStates(**kw), REPORT_GRID)
    c = rep.checks["uniform_damping"]
    assert c.verdict is False
    assert c.value == pytest.approx(0.02, rel=1e-12)  # hartree
    assert any("unequal linewidths" in w for w in rep.warnings)


def test_origin_checks_fail_for_a_truncated_box_basis_and_a_tight_tolerance():
    from core.molecular_box import BoxMolecule, box_molecular_states

    box = BoxMolecule([2.0, 2.9, 3.7], [1.5, -0.8, 2.2], [5, 5, 5], 0.02)  # the preset's box
    s0, s1 = box_molecular_states(box, (0.0, 0.0, 0.0)), box_molecular_states(box, SHIFT)
    grid = np.linspace(0.05, 4.0, 80)  # the preset's grid, through the resonances
    rep = mol.material_constants_report(s0, grid, shifted=s1, shift=SHIFT, origin_tolerance=1e-6)
    for dfn in ("raab_de_lange", "covariant"):
        c = rep.checks[f"origin_independence_{dfn}"]
        assert c.verdict is False and c.value > 1e-6 and c.tolerance == 1e-6
    assert sum("changed under the shift" in w for w in rep.warnings) == 2
    # the same basis passes a tolerance above its incompleteness (docs/molecular.md)
    loose = mol.material_constants_report(s0, grid, shifted=s1, shift=SHIFT, origin_tolerance=0.1)
    assert loose.checks["origin_independence_covariant"].verdict is True


def test_static_limit_check_catches_an_inverse_permeability_off_its_static_limit(monkeypatch):
    good = mol.raab_de_lange_inverse_permeability
    monkeypatch.setattr(
        mol, "raab_de_lange_inverse_permeability", lambda t: good(t) + 1e-6 * np.eye(3)
    )
    c = mol.static_limit_check(ho_states(gamma=0.01))
    assert c.verdict is False and c.value > mol.STATIC_RTOL
    assert c.warning is not None


def test_refractive_index_report_checks_hold_on_the_complete_oscillator():
    s0, s1 = ho_states(gamma=0.01), ho_states(SHIFT, gamma=0.01)
    rep = mol.refractive_index_report(
        s0, REPORT_GRID, direction=(0.3, -0.5, 0.8), number_density=1e-3, shifted=s1, shift=SHIFT
    )
    assert list(rep.arrays)[:3] == ["frequencies", "n1", "n2"]
    for name in ("definitions_agree", "roots", "thomas_reiche_kuhn"):
        assert rep.checks[name].verdict is True, name
    assert rep.checks["definitions_agree"].value < 1e-12
    assert max(rep.results["origin_report"]["max_abs_change_n"].values()) < 1e-12
    assert rep.warnings == ()


def test_definitions_agree_check_fails_when_one_definition_builds_another_operator(monkeypatch):
    good = mol.covariant_constants

    def off(t, k, cov=None):
        c = good(t, k, cov)
        return mol.MaterialConstants(c.definition, c.k, 1.01 * c.A, c.T, c.U, c.X)

    monkeypatch.setattr(mol, "covariant_constants", off)
    rep = mol.refractive_index_report(ho_states(gamma=0.01), REPORT_GRID, number_density=1e-2)
    c = rep.checks["definitions_agree"]
    assert c.verdict is False and c.value > mol.AGREEMENT_RTOL
    assert any("disagree" in w for w in rep.warnings)


def test_roots_check_fails_when_a_returned_index_is_not_a_root(monkeypatch):
    good = mol.refractive_index

    def shifted_roots(t, definition, direction, number_density):
        r = good(t, definition, direction, number_density)
        n = r.n + 1e-3  # off the roots: W(n) is no longer singular there
        return mol.RefractiveIndex(definition, n, r.polarization, np.full(n.shape, 1e-3))

    monkeypatch.setattr(mol, "refractive_index", shifted_roots)
    rep = mol.refractive_index_report(ho_states(gamma=0.01), REPORT_GRID, number_density=1e-2)
    assert rep.checks["roots"].verdict is False
    assert any("not a root" in w for w in rep.warnings)
