"""Berry geometry: Chern phase diagram, gauge invariance, sum rules 102 and 104 (Duff & Sipe)."""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import bloch, geometry
from core.crystal.model import (
    TightBindingModel,
    from_hoppings,
    haldane,
    haldane_high_symmetry_points,
)
from core.errors import NotAnInsulator

TC = 1.0 / (3.0 * np.sqrt(3.0))  # critical t2 sin(phi) / M


def doubled(m: TightBindingModel) -> TightBindingModel:
    """Two identical copies of a model (every band exactly twofold degenerate)."""
    n = m.norb
    hops = []
    for c in range(2):
        for h in range(m.hop_from.shape[0]):
            hops.append(
                (m.hop_from[h] + c * n, m.hop_to[h] + c * n, m.hop_cell[h], m.hop_amplitude[h])
            )
    return from_hoppings(
        m.lattice,
        np.concatenate([m.positions, m.positions]),
        np.concatenate([m.onsite, m.onsite]),
        hops,
    )


def three_band(seed: int = 5, scale: float = 0.3) -> TightBindingModel:
    """A generic three-orbital model with complex hoppings (no symmetry, non-degenerate bands)."""
    rng = np.random.default_rng(seed)
    lat = [[1.0, 0.0], [0.5, 0.9]]
    pos = rng.uniform(0, 0.6, (3, 2))
    hops = []
    for i in range(3):
        for j in range(3):
            for r in [(0, 0), (1, 0), (0, 1), (1, -1)]:
                if i == j and r == (0, 0):
                    continue
                if i > j and r == (0, 0):
                    continue
                hops.append((i, j, r, complex(*rng.normal(0, scale, 2))))
    return from_hoppings(lat, pos, [-1.5, 0.2, 1.8], hops)


def random_gauge(seed: int):
    """u_transform: random phase per band and k, random U(2) inside exactly degenerate pairs."""
    rng = np.random.default_rng(seed)

    def f(k: np.ndarray, e: np.ndarray, u: np.ndarray) -> np.ndarray:
        nk, nb = e.shape
        out = u * np.exp(1j * rng.uniform(0, 2 * np.pi, (nk, 1, nb)))
        n = 0
        while n < nb - 1:
            if np.all(np.abs(e[:, n + 1] - e[:, n]) < 1e-9):
                z = rng.normal(size=(nk, 2, 2)) + 1j * rng.normal(size=(nk, 2, 2))
                q, _ = np.linalg.qr(z)
                out[:, :, n : n + 2] = out[:, :, n : n + 2] @ q
                n += 2
            else:
                n += 1
        return out

    return f


@pytest.mark.parametrize("ratio", [0.2, 0.6, 0.9])
@pytest.mark.parametrize("phi", [0.5 * np.pi, np.pi / 3])
def test_haldane_trivial_below_critical_hopping(ratio: float, phi: float) -> None:
    M = 1.0
    t2 = ratio * TC * M / np.sin(phi)
    for sign in (1, -1):
        assert geometry.chern_fhs(haldane(1.0, sign * t2, phi, M), 24).occupied == 0


@pytest.mark.parametrize("ratio", [1.15, 1.6, 3.0])
@pytest.mark.parametrize("phi", [0.5 * np.pi, np.pi / 3])
def test_haldane_chern_insulator_above_critical_hopping(ratio: float, phi: float) -> None:
    M = 0.5
    t2 = ratio * TC * M / np.sin(phi)
    c_plus = geometry.chern_fhs(haldane(1.0, t2, phi, M), 36)
    c_minus = geometry.chern_fhs(haldane(1.0, -t2, phi, M), 36)
    # sign as in the paper's Fig. 4 (t2 sin phi > t_c gives C = +1); bands carry opposite C
    assert c_plus.occupied == 1 and c_minus.occupied == -1
    assert list(c_plus.per_band) == [1, -1]
    assert abs(c_plus.occupied_raw - 1) < 1e-9  # FHS is integer up to rounding


def test_gap_closes_at_K_for_positive_and_Kprime_for_negative_critical_hopping() -> None:
    pts = haldane_high_symmetry_points()
    M = 0.9
    for sign, closed, open_ in ((1, "K", "Kp"), (-1, "Kp", "K")):
        m = haldane(1.0, sign * TC * M, 0.5 * np.pi, M)
        e = np.linalg.eigvalsh(
            bloch.bloch_derivatives(m, np.stack([pts[closed], pts[open_]]), order=0).h
        )
        assert e[0, 1] - e[0, 0] < 1e-12
        assert e[1, 1] - e[1, 0] == pytest.approx(4 * M)
        with pytest.raises(NotAnInsulator) as ei:
            geometry.chern_fhs(m, 30)  # 30 divisible by 3: K and K' are grid points
        assert ei.value.gap <= 1e-9


def test_kubo_curvature_integrates_to_fhs_chern_number() -> None:
    m = haldane(1.0, 0.35, 0.5 * np.pi, 0.4)  # large gap, C = 1
    maps = geometry.geometry_maps(m, 120, shift=0.5)
    np.testing.assert_allclose(maps.curvature_chern, [1.0, -1.0], atol=2e-3)
    # quantum metric is positive semi-definite with det g >= (Omega/2)^2 (two-band bound)
    g = maps.metric[..., 0]
    assert np.all(g[:, 0, 0] >= 0) and np.all(
        g[:, 0, 0] * g[:, 1, 1] - g[:, 0, 1] ** 2 >= maps.curvature[:, 0] ** 2 / 4 - 1e-12
    )


def test_geometry_is_gauge_invariant_including_degenerate_subspaces() -> None:
    m = haldane(1.0, 0.3, 1.0, 0.4)
    ref = geometry.geometry_maps(m, 30, shift=0.5)
    rnd = geometry.geometry_maps(m, 30, shift=0.5, u_transform=random_gauge(1))
    np.testing.assert_allclose(rnd.curvature, ref.curvature, atol=1e-10)
    np.testing.assert_allclose(rnd.metric, ref.metric, atol=1e-10)
    assert geometry.orbital_magnetization(m, 30, u_transform=random_gauge(2)) == pytest.approx(
        geometry.orbital_magnetization(m, 30), abs=1e-13
    )
    kpts, _ = bloch.monkhorst_grid(m, 24)
    _, u = bloch.eigh_batched(bloch.bloch_derivatives(m, kpts, order=0).h)
    e = np.tile([0.0, 1.0], (u.shape[0], 1))
    c = geometry.chern_fhs(m, 24, u_grid=random_gauge(3)(kpts, e, u))
    assert c.occupied == geometry.chern_fhs(m, 24).occupied == 1
    # degenerate: two copies; occupied bands 0, 1 are exactly degenerate, random U(2) inside
    d = doubled(m)
    dref = geometry.geometry_maps(d, 20, shift=0.5)
    drnd = geometry.geometry_maps(d, 20, shift=0.5, u_transform=random_gauge(4))
    occ_ref = dref.curvature[:, :2].sum(1)
    np.testing.assert_allclose(drnd.curvature[:, :2].sum(1), occ_ref, atol=1e-10)
    single = geometry.geometry_maps(m, 20, shift=0.5)
    np.testing.assert_allclose(occ_ref, 2 * single.curvature[:, 0], atol=1e-10)
    kd, _ = bloch.monkhorst_grid(d, 18)
    ed, ud = bloch.eigh_batched(bloch.bloch_derivatives(d, kd, order=0).h)
    cd = geometry.chern_fhs(d, 18, u_grid=random_gauge(5)(kd, ed, ud))
    assert cd.occupied == 2


def _aligned(u_ref: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Phase of each band chosen so that <u_ref|u> is real positive (parallel transport)."""
    ov = np.einsum("kin,kin->kn", np.conj(u_ref), u)
    return u * (np.conj(ov) / np.abs(ov))[:, None, :]


def _xi_at(m: TightBindingModel, k: np.ndarray, u_ref: np.ndarray, order: int = 1):
    bd = bloch.bloch_derivatives(m, k, order=2)
    e, u = bloch.eigh_batched(bd.h)
    u = _aligned(u_ref, u)
    v = bloch.to_band_basis(u, bd.dh)
    w = bloch.to_band_basis(u, bd.d2h)
    return e, v, w


@pytest.mark.parametrize("which", ["haldane", "three_band"])
def test_sum_rule_102_equals_direct_covariant_derivative(which: str) -> None:
    m = haldane(1.0, 0.25, 0.8, 0.5) if which == "haldane" else three_band()
    rng = np.random.default_rng(7)
    k0 = rng.uniform(-2, 2, (5, 2))
    e0, u0 = bloch.eigh_batched(bloch.bloch_derivatives(m, k0, order=0).h)
    _, v0, w0 = _xi_at(m, k0, u0)
    rule = geometry.covariant_derivative_xi(e0, v0, w0)  # [k, a, b, n, m]
    delta = 1e-5
    nb = m.norb
    off = ~np.eye(nb, dtype=bool)
    for a in range(2):
        dk = np.zeros(2)
        dk[a] = delta
        ep, vp, _ = _xi_at(m, k0 + dk, u0)
        em, vm, _ = _xi_at(m, k0 - dk, u0)
        xp = geometry.berry_connection_offdiag(ep, vp)
        xm = geometry.berry_connection_offdiag(em, vm)
        direct = (xp - xm) / (2 * delta)  # [k, b, n, m]
        np.testing.assert_allclose(rule[:, a][..., off], direct[..., off], rtol=1e-5, atol=1e-6)


def test_sum_rule_104_equals_direct_double_covariant_derivative() -> None:
    m = haldane(1.0, 0.25, 0.8, 0.5)
    rng = np.random.default_rng(8)
    k0 = rng.uniform(-2, 2, (5, 2))
    bd0 = bloch.bloch_derivatives(m, k0, order=3)
    e0, u0 = bloch.eigh_batched(bd0.h)
    v0 = bloch.to_band_basis(u0, bd0.dh)
    w0 = bloch.to_band_basis(u0, bd0.d2h)
    g0 = bloch.to_band_basis(u0, bd0.d3h)
    d2e = geometry.band_second_derivatives(e0, v0, w0)
    rule = geometry.double_covariant_derivative_xi(e0, v0, w0, g0, d2e)  # [k, a, b, c, n, m]
    delta = 1e-5
    off = ~np.eye(2, dtype=bool)
    for c in range(2):
        dk = np.zeros(2)
        dk[c] = delta
        ep, vp, wp = _xi_at(m, k0 + dk, u0)
        em, vm, wm = _xi_at(m, k0 - dk, u0)
        dp = geometry.covariant_derivative_xi(ep, vp, wp)  # D_b xi^a at [k, b, a, n, m]
        dm = geometry.covariant_derivative_xi(em, vm, wm)
        direct = (dp - dm) / (2 * delta)  # D_c D_b xi^a at [k, b, a, n, m]
        for a in range(2):
            for b in range(2):
                np.testing.assert_allclose(
                    rule[:, a, b, c][..., off], direct[:, b, a][..., off], rtol=1e-5, atol=1e-5
                )
