"""Tight-binding model, Bloch derivatives and diagonalisation (Duff & Sipe, eqs 93-95, 103-106)."""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import bloch
from core.crystal.model import (
    TightBindingModel,
    from_hoppings,
    haldane,
    haldane_high_symmetry_points,
)
from core.errors import InvalidInput, LimitExceeded

S3 = np.sqrt(3.0)


def _f_vector(
    k: np.ndarray, t: float, t2: float, phi: float, M: float, a: float = 1.0
) -> np.ndarray:
    """eq 94 written out independently of the bond list."""
    av = np.array([[0, a], [-S3 * a / 2, -a / 2], [S3 * a / 2, -a / 2]])
    bv = np.array([[-S3 * a / 2, 1.5 * a], [-S3 * a / 2, -1.5 * a], [S3 * a, 0]])
    ka, kb = k @ av.T, k @ bv.T
    f0 = 2 * t2 * np.cos(phi) * np.cos(kb).sum(1)
    fx = -t * np.cos(ka).sum(1)
    fy = t * np.sin(ka).sum(1)
    fz = M - 2 * t2 * np.sin(phi) * np.sin(kb).sum(1)
    return np.stack([f0, fx, fy, fz], 1)


def test_haldane_bloch_hamiltonian_is_eq_94() -> None:
    rng = np.random.default_rng(1)
    k = rng.uniform(-4, 4, (50, 2))
    t, t2, phi, M = 1.3, 0.21, 0.7, 0.4
    h = bloch.bloch_derivatives(haldane(t, t2, phi, M), k, order=0).h
    f = _f_vector(k, t, t2, phi, M)
    expect = np.empty_like(h)
    expect[:, 0, 0] = f[:, 0] + f[:, 3]
    expect[:, 1, 1] = f[:, 0] - f[:, 3]
    expect[:, 0, 1] = f[:, 1] - 1j * f[:, 2]
    expect[:, 1, 0] = f[:, 1] + 1j * f[:, 2]
    np.testing.assert_allclose(h, expect, atol=1e-12)


def test_analytic_derivatives_match_finite_differences() -> None:
    m = haldane(1.0, 0.3, 1.1, 0.5)
    rng = np.random.default_rng(2)
    k = rng.uniform(-3, 3, (7, 2))
    bd = bloch.bloch_derivatives(m, k, order=3)
    hstep = 1e-4
    for a in range(2):
        dk = np.zeros(2)
        dk[a] = hstep
        p = bloch.bloch_derivatives(m, k + dk, order=2)
        q = bloch.bloch_derivatives(m, k - dk, order=2)
        np.testing.assert_allclose((p.h - q.h) / (2 * hstep), bd.dh[:, a], atol=1e-7)
        np.testing.assert_allclose((p.dh - q.dh) / (2 * hstep), bd.d2h[:, a], atol=1e-7)
        np.testing.assert_allclose((p.d2h - q.d2h) / (2 * hstep), bd.d3h[:, a], atol=1e-6)


def test_closed_form_two_band_eigensystem_matches_lapack() -> None:
    rng = np.random.default_rng(3)
    k = rng.uniform(-4, 4, (400, 2))
    h = bloch.bloch_derivatives(haldane(1, 0.2, 0.3, -0.5), k, order=0).h
    e, u = bloch.eigh_batched(h)
    e_ref = np.linalg.eigvalsh(h)
    np.testing.assert_allclose(e, e_ref, atol=1e-12)
    np.testing.assert_allclose(h @ u, u * e[:, None, :], atol=1e-12)
    np.testing.assert_allclose(
        np.conj(np.swapaxes(u, 1, 2)) @ u, np.broadcast_to(np.eye(2), h.shape), atol=1e-12
    )
    # exact degeneracy (graphene at K): identity basis, no NaN
    kk = haldane_high_symmetry_points()["K"][None, :]
    e0, u0 = bloch.eigh_batched(bloch.bloch_derivatives(haldane(1, 0, 0, 0), kk, order=0).h)
    assert np.all(np.isfinite(u0)) and abs(e0[0, 1] - e0[0, 0]) < 1e-12


def test_atomic_convention_twist_under_reciprocal_translation() -> None:
    m = haldane(1, 0.2, 0.9, 0.3)
    k = np.array([[0.3, -0.7]])
    g = m.reciprocal[0]
    h1 = bloch.bloch_derivatives(m, k + g, order=0).h[0]
    ug = np.diag(np.exp(-1j * (m.positions @ g)))
    h0 = bloch.bloch_derivatives(m, k, order=0).h[0]
    np.testing.assert_allclose(h1, ug @ h0 @ ug.conj().T, atol=1e-12)


def test_dirac_gap_at_K_and_Kprime_follows_haldane_mass() -> None:
    pts = haldane_high_symmetry_points()
    M, t2, phi = 0.6, 0.05, 1.2
    e = np.linalg.eigvalsh(
        bloch.bloch_derivatives(haldane(1, t2, phi, M), np.stack([pts["K"], pts["Kp"]]), order=0).h
    )
    gaps = e[:, 1] - e[:, 0]
    np.testing.assert_allclose(
        gaps, 2 * np.abs([M - 3 * S3 * t2 * np.sin(phi), M + 3 * S3 * t2 * np.sin(phi)]), atol=1e-12
    )


def test_invalid_models_are_rejected_with_field_paths() -> None:
    with pytest.raises(InvalidInput) as ei:
        from_hoppings([[1, 0], [0, 1]], [[0, 0]], [0.0], [(0, 3, (1, 0), 1.0)])
    assert ei.value.field == ("hoppings", 0, "to")
    with pytest.raises(InvalidInput) as ei:
        from_hoppings([[1, 0], [0, 1]], [[0, 0]], [0.0], [(0, 0, (0, 0), 1.0)])
    assert ei.value.field == ("hoppings", 0)
    with pytest.raises(InvalidInput):
        from_hoppings([[1, 0], [2, 0]], [[0, 0]], [0.0], [])
    m = from_hoppings([[1, 0], [0, 1]], [[0, 0]] * 3, [0.0] * 3, [(0, 1, (0, 0), 1.0)])
    with pytest.raises(LimitExceeded) as el:
        m.check_limits(max_orbitals=2)
    assert el.value.limit_name == "max_orbitals"
    with pytest.raises(LimitExceeded) as el:
        bloch.check_k_points(10**7)
    assert el.value.limit_name == "max_k_points"
    assert isinstance(m, TightBindingModel)
