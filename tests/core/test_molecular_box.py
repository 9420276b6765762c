"""Tests of the displaced particle-in-a-box molecule (core.molecular_box) and the acceptance
checks of issue 5 on it: origin report through several resonances, tolerance vs basis size,
agreement of the three wave equations, static limit.

The references are independent of the code under test: Gauss-Legendre quadrature of the box
wavefunctions (integrands are smooth on the box, 400 nodes resolve them to rounding), the
hypervirial relation and the Thomas-Reiche-Kuhn sum rule.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial.legendre import leggauss

from core import molecular as mol
from core.errors import InvalidInput, LimitExceeded
from core.molecular_box import (
    BoxMolecule,
    box_ground_row,
    box_molecular_states,
    box_states,
    ground_row_integrals_1d,
)

LENGTHS = (2.0, 2.9, 3.7)
CENTER = (1.5, -0.8, 2.2)
# through the z (1.08), y (1.76), z-quadrupole (2.88) and x (3.70) resonances
W_SCAN = np.linspace(0.05, 4.0, 40)


def make_box(n: int, gamma: float = 0.02) -> BoxMolecule:
    return BoxMolecule(LENGTHS, CENTER, (n, n, n), gamma)


def rel_change(x0: np.ndarray, x1: np.ndarray) -> float:
    return float(np.max(np.abs(x1 - x0)) / np.max(np.abs(x0)))


# ---------------------------------------------------------------------------------------------
# Closed-form integrals and moments
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "shift"), [(1.0, 0.0), (3.7, 1.3), (2.2, -6.0)])
def test_closed_form_1d_integrals_match_quadrature(length, shift):
    x, wq = leggauss(400)
    u, wu = x * length / 2, wq * length / 2
    phi = lambda n: np.sqrt(2 / length) * np.sin(n * np.pi * (u + length / 2) / length)  # noqa: E731
    dphi = lambda n: (  # noqa: E731
        np.sqrt(2 / length) * (n * np.pi / length) * np.cos(n * np.pi * (u + length / 2) / length)
    )
    got = ground_row_integrals_1d(length, shift, 9)
    for n in range(1, 10):
        for p in range(4):
            ref = np.sum(wu * phi(1) * (u + shift) ** p * phi(n))
            assert abs(got[f"x{p}"][n - 1] - ref) < 1e-12 * max(1.0, abs(shift) ** p)
        assert abs(got["d0"][n - 1] - np.sum(wu * phi(1) * dphi(n))) < 1e-11
        ref = np.sum(wu * phi(1) * (u + shift) * dphi(n))
        assert abs(got["d1"][n - 1] - ref) < 1e-11 * max(1.0, abs(shift))


def test_magnetic_moments_match_3d_quadrature():
    box = BoxMolecule(LENGTHS, CENTER, (3, 3, 3))
    origin = np.array([0.4, 1.0, -0.7])
    row = box_ground_row(box, origin)
    qn, _ = box_states(box)
    x, wq = leggauss(24)
    grids, wts, phis, dphis = [], [], [], []
    for a in range(3):
        length = LENGTHS[a]
        u = x * length / 2
        grids.append(u + CENTER[a] - origin[a])
        wts.append(wq * length / 2)
        arg = lambda n, u=u, length=length: n * np.pi * (u + length / 2) / length  # noqa: E731
        phis.append([np.sqrt(2 / length) * np.sin(arg(n)) for n in range(1, 4)])
        dphis.append(
            [np.sqrt(2 / length) * n * np.pi / length * np.cos(arg(n)) for n in range(1, 4)]
        )
    rx, ry, rz = np.meshgrid(*grids, indexing="ij")
    r = [rx, ry, rz]
    wgt = np.einsum("i,j,k->ijk", *wts)

    def field(n, deriv=None):
        f = [dphis[a][n[a] - 1] if a == deriv else phis[a][n[a] - 1] for a in range(3)]
        return np.einsum("i,j,k->ijk", *f)

    psi0 = field((1, 1, 1))
    for s in range(1, 27):
        n = qn[s]
        grad = [field(n, a) for a in range(3)]
        # l_i psi = -i eps_iab r_a d_b psi
        lpsi = [
            -1j * (r[(i + 1) % 3] * grad[(i + 2) % 3] - r[(i + 2) % 3] * grad[(i + 1) % 3])
            for i in range(3)
        ]
        for i in range(3):
            m_ref = -0.5 * np.sum(wgt * psi0 * lpsi[i])  # q / 2m, q = -1
            assert abs(row["M"][s, i] - m_ref) < 1e-12
            for j in range(3):
                rl = np.sum(wgt * psi0 * r[j] * lpsi[i])
                rk = sum(mol.LEVI[i, j, k] * np.sum(wgt * psi0 * r[k] * field(n)) for k in range(3))
                mq_ref = -(1.0 / 3.0) * (2 * rl + 1j * rk)
                assert abs(row["Mq"][s, i, j] - mq_ref) < 1e-11


def test_box_states_obey_the_hypervirial_relation():
    # <0|p|s> = -i m w_s0 <0|x|s> with p = -i d/dx, i.e. <0|d/dx|s> = (E_s - E_0) <0|x|s> (m = 1): what the translation rules rely on
    for length in LENGTHS:
        g = ground_row_integrals_1d(length, 0.3, 12)
        e = (np.pi**2 / 2) * np.arange(1, 13) ** 2 / length**2
        np.testing.assert_allclose(g["d0"], (e - e[0]) * g["x1"], atol=1e-12)


def test_trk_sum_rule_converges_with_basis_size():
    # sum_s 2 w_s0 |<0|x|s>|^2 = N_e / m = 1; the truncation error falls like n_max^-3
    errs = []
    for n in (4, 8, 16):
        st = box_molecular_states(make_box(n))
        f = 2 * st.energies[:, None] * np.abs(st.P) ** 2
        errs.append(np.abs(1.0 - f.sum(axis=0)))
    errs = np.array(errs)
    assert np.all(errs[-1] < 5e-4)
    assert np.all(errs[1] / errs[0] < 0.2) and np.all(errs[2] / errs[1] < 0.2)


@pytest.mark.parametrize("shift", [(0.0, 1.0, 0.0), (0.0, 10.0, 0.0), (3.0, -4.0, 7.0)])
def test_translation_rules_match_box_moments_about_the_shifted_origin(shift):
    box = make_box(5)
    moved = box_molecular_states(box).translated(shift)
    direct = box_molecular_states(box, shift)
    for name in ("P", "Q", "O", "M", "Mq"):
        x, y = getattr(moved, name), getattr(direct, name)
        assert np.max(np.abs(x - y)) <= 1e-12 * max(1.0, np.max(np.abs(y))), name
    np.testing.assert_allclose(moved.ground_second_moment, direct.ground_second_moment, atol=1e-11)


# ---------------------------------------------------------------------------------------------
# Acceptance: origin report, tolerance vs basis size
# ---------------------------------------------------------------------------------------------

#: Documented tolerances (docs/molecular.md) of the relative change of A and X for n_max = 6.
TOL_N6 = {1.0: {"A": 1e-7, "X": 5e-4}, 10.0: {"A": 5e-6, "X": 2e-2}}


@pytest.fixture(scope="module")
def box6_reports():
    box = make_box(6)
    t0 = mol.molecular_tensors(box_molecular_states(box), W_SCAN)
    out = {}
    for dist in (1.0, 10.0):
        t1 = mol.molecular_tensors(box_molecular_states(box, (0.0, dist, 0.0)), W_SCAN)
        out[dist] = mol.origin_report(t0, t1, (0.0, 0.0, 1.0))
    return out


@pytest.mark.parametrize("dist", [1.0, 10.0])
def test_transformed_constants_unchanged_by_shift_within_documented_tolerance(box6_reports, dist):
    rep = box6_reports[dist]
    for dfn in ("raab_de_lange", "covariant"):
        for q in ("A", "X"):
            assert rep[dfn][q]["relative_change"] < TOL_N6[dist][q], (dfn, q)


@pytest.mark.parametrize("dist", [1.0, 10.0])
def test_multipole_constants_visibly_change_with_the_shift(box6_reports, dist):
    rep = box6_reports[dist]["multipole"]
    assert rep["A"]["relative_change"] > 1e-3 * dist
    assert rep["X"]["relative_change"] > 0.1


def test_origin_dependence_of_transformed_constants_shrinks_with_basis_size():
    w = np.linspace(0.05, 4.0, 12)
    errs = {}
    for n in (4, 8):
        box = make_box(n)
        t0 = mol.molecular_tensors(box_molecular_states(box), w)
        t1 = mol.molecular_tensors(box_molecular_states(box, (0.0, 10.0, 0.0)), w)
        rep = mol.origin_report(t0, t1, (0, 0, 1), ("raab_de_lange", "covariant"))
        errs[n] = {d: rep[d]["X"]["relative_change"] for d in rep if d != "tensors"}
    for d in errs[4]:
        # at least n^-2 (measured: close to n^-3, the convergence of the TRK-type sums)
        assert errs[8][d] < 0.25 * errs[4][d], d


def test_box_refractive_indices_of_the_three_definitions_agree_through_resonances():
    t = mol.molecular_tensors(box_molecular_states(make_box(5)), W_SCAN)
    for density in (mol.LOSCHMIDT_AU, 1e-3):
        ns = [mol.refractive_index(t, d, (0.2, 0.3, 1.0), density).n for d in mol.DEFINITIONS]
        for n in ns[1:]:
            np.testing.assert_allclose(n, ns[0], rtol=1e-12, atol=0)


def test_box_static_limit_inverse_permeabilities_agree_with_static_magnetizability():
    box = make_box(6, gamma=0.0)
    t = mol.molecular_tensors(box_molecular_states(box, (0.0, 1.0, 0.0)), np.array([0.0, 1e-3]))
    x_rl = mol.raab_de_lange_inverse_permeability(t)
    x_cov = -mol.covariant_tensors(t)["m"]
    np.testing.assert_allclose(x_rl[0], -t.chi[0], atol=1e-14)
    np.testing.assert_allclose(x_cov[0], -t.chi[0], atol=1e-14)
    assert rel_change(x_rl[1:], x_cov[1:]) < 1e-4
    # the box is diamagnetic: the static magnetizability is negative definite
    assert np.all(np.linalg.eigvalsh(t.chi[0].real) < 0)


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"lengths": (1.0, 2.0)}, ("box", "lengths")),
        ({"lengths": (1.0, 0.0, 2.0)}, ("box", "lengths")),
        ({"n_max": (2, 0, 2)}, ("box", "n_max")),
        ({"center": (0.0, np.nan, 0.0)}, ("box", "center")),
        ({"linewidth": -0.1}, ("box", "linewidth")),
    ],
)
def test_bad_box_parameters_name_the_field(kw, field):
    args = {"lengths": LENGTHS, "center": CENTER, "n_max": (2, 2, 2)} | kw
    with pytest.raises(InvalidInput) as exc:
        BoxMolecule(**args)
    assert exc.value.field == field


def test_oversized_box_basis_is_refused_naming_the_limit():
    with pytest.raises(LimitExceeded) as exc:
        box_states(BoxMolecule(LENGTHS, CENTER, (40, 40, 40)))
    assert exc.value.limit_name == "max_box_states"


def test_the_n_max_an_origin_warning_names_closes_the_origin_residual() -> None:
    """The anelli-box-origin-report molecule: the n_max = 5 basis moves the Raab-de Lange
    constants by 7e-3 under a 10 bohr shift; the warning names the n_max (n^-3 law) that brings
    it under 1e-3, and that basis does, computed."""
    import re

    import numpy as np

    from core import molecular as mol
    from core.checks import Report
    from core.molecular_box import BoxMolecule, box_molecular_states, box_origin_reasons

    w = np.linspace(0.05, 4.0, 80)
    shift = [0.0, 10.0, 0.0]

    def report(n: int) -> Report:
        box = BoxMolecule(np.array([2.0, 2.9, 3.7]), np.array([1.5, -0.8, 2.2]), [n] * 3, 0.02)
        rep = mol.material_constants_report(
            box_molecular_states(box),
            w,
            include_tensors=False,
            shifted=box_molecular_states(box, shift),
            shift=shift,
            definitions=("raab_de_lange",),
        )
        return box_origin_reasons(rep, box, shift, w, definitions=("raab_de_lange",))

    c = report(5).checks["origin_independence_raab_de_lange"]
    assert c.verdict is False and c.value == pytest.approx(6.83e-3, rel=1e-2)
    m = re.search(r"raise n_max to \[(\d+), \1, \1\]", c.warning or "")
    assert m, c.warning
    need = int(m.group(1))
    assert 8 < need <= 12
    assert report(need).checks["origin_independence_raab_de_lange"].verdict is True
