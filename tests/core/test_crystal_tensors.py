"""The eight multipole tensors (eqs 74-81) add up to the Kubo sigma_L, sigma_K (eqs 16-17).

The reference is the independent Kubo route of :func:`core.crystal.response.q2_conductivity`
(the q^2 coefficient of the Peierls-model current response, gauge invariant at every k). The
multipole route equals it only after integration by parts in k, which a periodic grid does to
exponential accuracy for smooth integrands: so the frequencies stay below the gap (eta = 0) and
the agreement is checked to improve with the grid, then to hold to ~1e-9 on the finer grid.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import response
from core.crystal.bloch import monkhorst_grid
from core.crystal.model import TightBindingModel, from_hoppings, haldane
from core.crystal.multipole import band_jet, magnetic_quadrupole_elements, octupole_elements
from core.crystal.susceptibility import gauge_orbitals
from core.crystal.tensors import (
    TENSORS,
    assemble_sigma_k,
    assemble_sigma_l,
    multipole_tensors,
)

TRIVIAL = haldane(t=3.0, t2=0.0, M=3.0)  # time-reversal symmetric, gap 6 at K, K'
BROKEN_TRS = haldane(t=3.0, t2=0.3, M=3.0, phi=0.7)  # trivial, gap ~4, geometric terms on
L_COMPS = ("xzy", "yzx", "xzx", "yzy")


def three_band(seed: int = 5, scale: float = 0.15) -> TightBindingModel:
    """A generic three-orbital model with complex hoppings (no symmetry), insulating at 1 and 2."""
    rng = np.random.default_rng(seed)
    lat = [[1.0, 0.0], [0.5, 0.9]]
    pos = rng.uniform(0, 0.6, (3, 2))
    hops = []
    for i in range(3):
        for j in range(3):
            for r in [(0, 0), (1, 0), (0, 1), (1, -1)]:
                if (i == j or i > j) and r == (0, 0):
                    continue
                hops.append((i, j, r, complex(*rng.normal(0, scale, 2))))
    return from_hoppings(lat, pos, [-1.5, 0.2, 1.8], hops)


def smooth_phase3(model: TightBindingModel, nb: int):
    """A smooth periodic gauge change theta_n(k) with its first three derivatives, per band."""
    lat = model.lattice
    modes = [((1, 0), 0.7), ((0, 1), -0.4), ((1, 1), 0.5)]

    def phase(k):
        kap = k @ lat.T
        nk = k.shape[0]
        th = np.zeros((nk, nb))
        g = np.zeros((nk, 2, nb))
        h = np.zeros((nk, 2, 2, nb))
        t3 = np.zeros((nk, 2, 2, 2, nb))
        for (p, q), c0 in modes:
            vec = p * lat[0] + q * lat[1]
            arg = p * kap[:, 0] + q * kap[:, 1]
            for n in range(nb):
                c = c0 * (1.0 + 0.6 * n)
                th[:, n] += c * np.sin(arg)
                g[:, :, n] += c * np.cos(arg)[:, None] * vec
                h[:, :, :, n] -= c * np.sin(arg)[:, None, None] * np.outer(vec, vec)
                t3[:, :, :, :, n] -= (
                    c * np.cos(arg)[:, None, None, None] * np.einsum("a,b,c->abc", vec, vec, vec)
                )
        return th, g, h, t3

    return phase


def _assembled(model, n, w, **kw):
    t = multipole_tensors(model, n, w, eta=0.0, **kw)
    tens = {name: t.tensor(name) for name in TENSORS}
    return t, assemble_sigma_l(tens, w), assemble_sigma_k(tens, w)


def _kubo(model, n, w, **kw):
    return response.q2_conductivity(
        model, n, w, eta=0.0, sigma_l=L_COMPS, sigma_k=response.SIGMA_K_COMPONENTS, **kw
    )


def _max_rel(a: dict, b: dict) -> float:
    scale = max(float(np.max(np.abs(v))) for v in b.values())
    return max(float(np.max(np.abs(a[c] - b[c]))) for c in b) / scale


def test_second_derivative_of_berry_connection_matches_finite_differences():
    """d_a d_b xi^c (off-diagonal from D4's identity, diagonal from the third-order gauge)."""
    orb = gauge_orbitals(BROKEN_TRS)
    k = np.random.default_rng(1).uniform(-2, 2, (5, 2))
    jet = band_jet(BROKEN_TRS, k, orb)
    assert jet.d2xi is not None
    h = 1e-4
    for a in range(2):
        dk = np.zeros(2)
        dk[a] = h
        fd = (band_jet(BROKEN_TRS, k + dk, orb).dxi - band_jet(BROKEN_TRS, k - dk, orb).dxi) / (
            2 * h
        )
        scale = np.max(np.abs(jet.d2xi[:, a]))
        assert np.max(np.abs(fd - jet.d2xi[:, a])) < 1e-6 * scale


def test_octupole_and_magnetic_quadrupole_elements_are_hermitian_and_symmetric():
    """eq 65 is totally symmetric in abc and Hermitian; eq 69 is Hermitian (as the paper says)."""
    m = three_band()
    jet = band_jet(m, np.random.default_rng(2).uniform(-3, 3, (6, 2)), gauge_orbitals(m))
    o = octupole_elements(jet)
    q = magnetic_quadrupole_elements(jet)
    np.testing.assert_allclose(o, np.conj(np.swapaxes(o, -1, -2)), atol=1e-12)
    np.testing.assert_allclose(q, np.conj(np.swapaxes(q, -1, -2)), atol=1e-12)
    np.testing.assert_allclose(o[:, 0, 0, 1], o[:, 1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(o[:, 0, 1, 1], o[:, 1, 0, 1], atol=1e-12)


@pytest.mark.parametrize(
    ("model", "w", "coarse", "fine", "filling"),
    [
        (TRIVIAL, np.array([0.0, 1.0, 3.0, 4.5]), 24, 36, None),
        (BROKEN_TRS, np.array([0.0, 1.0, 2.0]), 30, 48, None),
        # small direct gaps (~0.2): slower convergence, so a finer grid and eta = 0, w << gap
        (three_band(scale=0.1), np.array([0.0, 0.1]), 24, 48, 1),
    ],
    ids=["haldane-t2=0", "haldane-broken-trs", "three-band"],
)
def test_eq16_and_eq17_from_the_eight_tensors_equal_the_kubo_sigma(model, w, coarse, fine, filling):
    """sigma_L (eq 16) and sigma_K (eq 17) assembled from eqs 74-81 = the Kubo q^2 kernel.

    Below the gap both converge exponentially with the grid; their difference must shrink with
    the grid and be at rounding level on the finer one.
    """
    kw = {} if filling is None else {"filling": filling}
    errs = []
    for n in (coarse, fine):
        _, sl, sk = _assembled(model, n, w, **kw)
        ref = _kubo(model, n, w, **kw)
        errs.append((_max_rel(sl, ref.sigma_l), _max_rel(sk, ref.sigma_k)))
    # sigma_K (the w-derivative at w = 0) converges more slowly where direct gaps are small
    assert errs[1][0] < 1e-8 and errs[1][1] < 1e-7, errs
    assert errs[1][0] <= errs[0][0] and errs[1][1] <= errs[0][1]


def test_a_smooth_gauge_change_moves_the_tensors_but_not_sigma():
    """Bloch phases change the individual tensors (eqs 74-81) but not eqs 16-17 (sec. VII)."""
    w = np.array([0.0, 1.0, 2.0])
    a, sl_a, sk_a = _assembled(BROKEN_TRS, 48, w)
    b, sl_b, sk_b = _assembled(BROKEN_TRS, 48, w, phase=smooth_phase3(BROKEN_TRS, 2))
    moved = []
    for name in ("beta_M", "gamma_M", "Lambda", "Gamma", "Sigma", "Omega", "Pi"):
        ta, tb = a.tensor(name), b.tensor(name)
        scale = max(float(np.max(np.abs(v))) for v in ta.values())
        moved.append(max(float(np.max(np.abs(ta[c] - tb[c]))) for c in ta) / scale)
    assert min(moved) > 1e-3, moved  # every non-chi tensor is gauge dependent
    assert _max_rel(sl_b, sl_a) < 1e-8
    assert _max_rel(sk_b, sk_a) < 1e-8
    ref = _kubo(BROKEN_TRS, 48, w)
    assert _max_rel(sl_b, ref.sigma_l) < 1e-8


def test_each_geometric_line_matters_for_broken_time_reversal():
    """The agreement is not carried by the large terms alone: dropping one line of eq 77 fails."""
    w = np.array([2.0])
    t = multipole_tensors(BROKEN_TRS, 30, w, eta=0.0)
    ref = _kubo(BROKEN_TRS, 30, w)
    tens = {name: t.tensor(name) for name in TENSORS}
    for comp in list(tens["Lambda"]):
        tens["Lambda"][comp] = tens["Lambda"][comp] - t.lines[("Lambda", "geo", comp)]
    assert _max_rel(assemble_sigma_l(tens, w), ref.sigma_l) > 1e-3


def test_grid_points_are_the_kubo_grid():
    """Both routes integrate on the same Monkhorst-Pack grid (the comparison is like for like)."""
    k, _ = monkhorst_grid(TRIVIAL, (6, 6), 0.5)
    assert k.shape == (36, 2)
