"""The purified tensors (App. D) are gauge invariant per k and, with eqs 90 and 92, give Kubo.

The reference is the Kubo q^2 kernel of :func:`core.crystal.response.q2_conductivity` (gauge
invariant at every k, no multipole expansion). The purified route equals it only after
integrations by parts in k, which a periodic grid does to exponential accuracy for smooth
integrands: so the frequencies stay below the gap (eta = 0), the difference must shrink with the
grid and be small on the finer one. The Chern insulator is the case the fixed gauge of
:mod:`core.crystal.tensors` cannot do.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import response
from core.crystal.model import TightBindingModel, from_hoppings, haldane
from core.crystal.multipole import band_jet
from core.crystal.purified import purified_jet, purified_tensors
from core.crystal.susceptibility import chi_2, fix_gauge, gauge_orbitals
from core.crystal.tensors import TENSORS, assemble_sigma_l, multipole_tensors

TRIVIAL = haldane(t=3.0, t2=0.0, M=3.0)  # time-reversal symmetric
BROKEN_TRS = haldane(t=3.0, t2=0.3, M=3.0, phi=0.7)  # trivial, time reversal broken
CHERN = haldane(t=3.0, t2=1.0, M=1.0, phi=0.5 * np.pi)  # t2 sin(phi) > M / (3 sqrt 3): C = +-1


def random_model(seed: int, nb: int, scale: float) -> TightBindingModel:
    """A generic nb-orbital model with complex hoppings (no symmetry), split on-site energies."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 0.7, (nb, 2))
    hops = []
    for i in range(nb):
        for j in range(nb):
            for r in [(0, 0), (1, 0), (0, 1), (1, -1)]:
                if (i == j or i > j) and r == (0, 0):
                    continue
                hops.append((i, j, r, complex(*rng.normal(0, scale, 2))))
    onsite = list(np.linspace(-0.6, 0.6, nb) * nb)
    return from_hoppings([[1.0, 0.0], [0.3, 1.1]], pos, onsite, hops)


def _kubo(model, n, w, **kw):
    return response.q2_conductivity(
        model,
        n,
        w,
        eta=0.0,
        sigma_l=response.SIGMA_L_COMPONENTS,
        sigma_k=response.SIGMA_K_COMPONENTS,
        **kw,
    )


def _max_rel(a: dict, b: dict) -> float:
    scale = max(float(np.max(np.abs(v))) for v in b.values())
    return max(float(np.max(np.abs(a[c] - b[c]))) for c in b) / scale


def _rel_size(a: dict, ref: dict) -> float:
    """Largest |a| relative to the largest component of ``ref``."""
    scale = max(float(np.max(np.abs(v))) for v in ref.values())
    return max(float(np.max(np.abs(v))) for v in a.values()) / scale


def _random_phases(seed: int):
    """u_n(k) -> e^{i theta_n(k)} u_n(k), theta uniform and independent at every k and band."""
    rng = np.random.default_rng(seed)

    def transform(k, e, u):
        return u * np.exp(2j * np.pi * rng.uniform(size=e.shape))[:, None, :]

    return transform


def _smooth_phase(model: TightBindingModel, nb: int):
    """theta_n(k) = c_n sin(k.(A1 + A2)), periodic, with its first three derivatives."""
    vec = model.lattice[0] + model.lattice[1]
    c = 0.6 * (1.0 + np.arange(nb))

    def phase(k):
        arg = k @ vec
        s, co = np.sin(arg)[:, None], np.cos(arg)[:, None]
        th = c * s
        g = np.einsum("kn,a->kan", c * co, vec)
        h = -np.einsum("kn,a,b->kabn", c * s, vec, vec)
        t3 = -np.einsum("kn,a,b,d->kabdn", c * co, vec, vec, vec)
        return th, g, h, t3

    return phase


def test_purified_jet_is_eq86_and_symmetrised_eq88_of_the_ordinary_derivatives():
    """The purified jet holds the covariant derivatives (eqs 86-88) and the curvature (D3).

    In the fixed gauge of multipole.py (same eigenvector phases): d_a xi^b_nm = d_{;a} xi^b_nm
    + i Delta^a xi^b (eq 86), Omega_n = eps^{ab} d_a xi^b_nn (D3), and eq 88 with the symmetric
    order: d_a d_b xi^c = d_{;(a} d_{;b)} xi^c + i Delta^a d_{;b} xi^c + i Delta^b d_{;a} xi^c
    - Delta^a Delta^b xi^c + (i/2)(d_a Delta^b + d_b Delta^a) xi^c.
    """
    model = random_model(5, 3, 0.1)
    orb = gauge_orbitals(model)
    k = np.random.default_rng(3).uniform(-3, 3, (7, 2))
    ref = band_jet(model, k, orb)
    assert ref.d2xi is not None
    jet, _ = purified_jet(model, k, lambda kk, e, u: fix_gauge(u, orb)[0])
    assert jet.d2xi is not None
    nb = 3
    idx = np.arange(nb)
    off = ~np.eye(nb, dtype=bool)
    a_nn = ref.xi[:, :, idx, idx].real  # xi^a_nn (K, 2, N)
    dlt = a_nn[..., :, None] - a_nn[..., None, :]  # Delta^a_nm
    b_nn = ref.dxi[:, :, :, idx, idx].real  # d_a xi^b_nn
    ddlt = b_nn[..., :, None] - b_nn[..., None, :]
    np.testing.assert_allclose(jet.xi[:, :, off], ref.xi[:, :, off], rtol=0, atol=1e-12)
    scale = float(np.max(np.abs(ref.dxi)))
    cov = ref.dxi - 1j * dlt[:, :, None] * ref.xi[:, None]
    np.testing.assert_allclose(jet.dxi[..., off], cov[..., off], rtol=0, atol=1e-10 * scale)
    curv = b_nn[:, 0, 1] - b_nn[:, 1, 0]
    np.testing.assert_allclose(
        jet.dxi[:, 0, 1, idx, idx].real - jet.dxi[:, 1, 0, idx, idx].real, curv, atol=1e-10 * scale
    )
    d2 = jet.d2xi
    np.testing.assert_allclose(d2, np.swapaxes(d2, 1, 2), rtol=0, atol=1e-12 * np.max(np.abs(d2)))
    np.testing.assert_allclose(
        jet.d2v, np.swapaxes(jet.d2v, 1, 2), atol=1e-12 * np.max(np.abs(jet.d2v))
    )
    x = jet.xi
    for a in range(2):
        for b in range(2):
            for c in range(2):
                rebuilt = (
                    d2[:, a, b, c]
                    + 1j * dlt[:, a] * jet.dxi[:, b, c]
                    + 1j * dlt[:, b] * jet.dxi[:, a, c]
                    - dlt[:, a] * dlt[:, b] * x[:, c]
                    + 0.5j * (ddlt[:, a, b] + ddlt[:, b, a]) * x[:, c]
                )
                np.testing.assert_allclose(
                    rebuilt[:, off],
                    ref.d2xi[:, a, b, c][:, off],
                    rtol=0,
                    atol=1e-9 * float(np.max(np.abs(ref.d2xi))),
                )


@pytest.mark.parametrize(
    "model", [BROKEN_TRS, CHERN, random_model(5, 3, 0.1)], ids=["trivial", "chern", "three-band"]
)
def test_every_purified_line_is_unchanged_by_random_bloch_phases(model):
    """Each line of each purified tensor, and the bar terms, are invariant at every k (App. D).

    The phases are random per k-point and band (no smoothness), so nothing is left to an
    integration by parts.
    """
    w = np.array([0.0, 0.7])
    kw = {"eta": 0.0, "chi_static": 0.0, "filling": 1}
    a = purified_tensors(model, 12, w, **kw)
    b = purified_tensors(model, 12, w, **kw, u_transform=_random_phases(7))
    scale = max(float(np.max(np.abs(v))) for v in a.lines.values())
    assert a.lines.keys() == b.lines.keys()
    for key, val in a.lines.items():
        np.testing.assert_allclose(b.lines[key], val, rtol=0, atol=1e-13 * scale, err_msg=str(key))
    for name in ("Omega_n", "Omega_m"):
        np.testing.assert_allclose(b.geometric[name], a.geometric[name], atol=1e-13)


def test_the_non_purified_tensors_change_with_the_gauge_while_the_purified_do_not():
    """A smooth gauge change moves every tensor of tensors.py (except chi_M) but no purified one."""
    w = np.array([0.0, 1.0])
    a = multipole_tensors(BROKEN_TRS, 24, w, eta=0.0)
    b = multipole_tensors(BROKEN_TRS, 24, w, eta=0.0, phase=_smooth_phase(BROKEN_TRS, 2))
    for name in TENSORS[1:]:
        ta, tb = a.tensor(name), b.tensor(name)
        scale = max(float(np.max(np.abs(v))) for v in ta.values())
        moved = max(float(np.max(np.abs(ta[c] - tb[c]))) for c in ta) / scale
        assert moved > 1e-3, (name, moved)
    phase = _smooth_phase(BROKEN_TRS, 2)
    kw = {"eta": 0.0, "chi_static": 0.0}
    pa = purified_tensors(BROKEN_TRS, 24, w, **kw)
    pb = purified_tensors(
        BROKEN_TRS, 24, w, **kw, u_transform=lambda k, e, u: u * np.exp(1j * phase(k)[0])[:, None]
    )
    for name in TENSORS:
        ta, tb = pa.tensor(name), pb.tensor(name)
        scale = max(float(np.max(np.abs(v))) for v in ta.values())
        assert max(float(np.max(np.abs(ta[c] - tb[c]))) for c in ta) < 1e-12 * scale, name


@pytest.mark.parametrize(
    ("model", "w", "coarse", "fine", "filling", "tol_l", "tol_k"),
    [
        (TRIVIAL, np.array([0.0, 1.0, 3.0, 4.5]), 24, 36, None, 1e-9, 1e-7),
        (BROKEN_TRS, np.array([0.0, 1.0, 2.0]), 30, 48, None, 1e-8, 1e-7),
        (CHERN, np.array([0.0, 1.0, 2.0, 3.0]), 24, 36, None, 1e-8, 1e-8),
        (random_model(5, 3, 0.1), np.array([0.0, 0.1]), 24, 40, 1, 1e-8, 1e-7),
        (random_model(5, 3, 0.1), np.array([0.0, 0.1]), 24, 40, 2, 1e-7, 1e-7),
        (random_model(21, 4, 0.08), np.array([0.0, 0.1]), 16, 24, 2, 1e-7, 1e-6),
    ],
    ids=[
        "haldane-t2=0",
        "haldane-broken-trs",
        "haldane-chern",
        "three-band-1",
        "three-band-2",
        "four-band-2",
    ],
)
def test_eq89_and_eq91_from_the_purified_tensors_equal_the_kubo_sigma(
    model, w, coarse, fine, filling, tol_l, tol_k
):
    """sigma_L (eq 89) and sigma_K (eq 91): purified tensors + bar terms = the Kubo q^2 kernel.

    Below the gap both routes converge exponentially with the grid; the difference must shrink
    with the grid and be below the stated tolerance (relative to the largest component) on the
    finer one. Includes a Chern insulator, where no smooth gauge exists.
    """
    kw = {} if filling is None else {"filling": filling}
    errs = []
    for n in (coarse, fine):
        p = purified_tensors(model, n, w, eta=0.0, **kw)
        ref = _kubo(model, n, w, **kw)
        errs.append((_max_rel(p.sigma_l(), ref.sigma_l), _max_rel(p.sigma_k(), ref.sigma_k)))
    assert errs[1][0] < tol_l and errs[1][1] < tol_k, errs
    assert errs[1][0] < errs[0][0] and errs[1][1] < errs[0][1], errs


def test_bar_terms_vanish_with_time_reversal_and_are_needed_in_a_chern_insulator():
    """eqs 90, 92 are odd under time reversal (Berry curvature x metric): zero for t2 = 0.

    In the Chern insulator they are a percent-level part of sigma_L, sigma_K, and leaving them
    out breaks the agreement with Kubo.
    """
    w = np.array([0.0, 1.0, 2.0])
    t = purified_tensors(TRIVIAL, 24, w, eta=0.0)
    ref_t = _kubo(TRIVIAL, 24, w)
    assert _rel_size(t.sigma_bar_l, ref_t.sigma_l) < 1e-14
    assert _rel_size(t.sigma_bar_k, ref_t.sigma_k) < 1e-14
    c = purified_tensors(CHERN, 36, w, eta=0.0)
    ref_c = _kubo(CHERN, 36, w)
    assert _rel_size(c.sigma_bar_l, ref_c.sigma_l) > 1e-3
    assert _rel_size(c.sigma_bar_k, ref_c.sigma_k) > 1e-3
    without = {k: v - c.sigma_bar_l[k] for k, v in c.sigma_l().items()}
    assert _max_rel(without, ref_c.sigma_l) > 1e-3


def test_the_fixed_gauge_tensors_fail_in_the_chern_phase():
    """tensors.py needs a smooth gauge: in the Chern insulator its eq 16 misses Kubo by > 10 %."""
    w = np.array([0.0, 1.0])
    t = multipole_tensors(CHERN, 24, w, eta=0.0)
    sl = assemble_sigma_l({name: t.tensor(name) for name in TENSORS}, w)
    ref = _kubo(CHERN, 24, w)
    assert _max_rel(sl, ref.sigma_l) > 0.1
    assert _max_rel(purified_tensors(CHERN, 24, w, eta=0.0).sigma_l(), ref.sigma_l) < 1e-5


@pytest.mark.parametrize("model", [BROKEN_TRS, CHERN], ids=["trivial", "chern"])
def test_purified_chi_m_tends_to_the_static_chi_2(model):
    """w -> 0: chi_M of D1 equals chi_2 (eqs 83-84), and its w-dependent lines vanish as w^2."""
    w = np.array([0.0, 1e-4, 1e-3])
    p = purified_tensors(model, 24, w, eta=0.0)
    chi = p.tensor("chi_M")[(2, 2)]
    static = chi_2(model, 24).chi
    assert abs(chi[0] - static) < 1e-12
    assert abs(chi[1] - static) < 1e-8
    ratio = abs(chi[2] - static) / abs(chi[1] - static)
    assert 80.0 < ratio < 120.0, ratio  # even in w below the gap
