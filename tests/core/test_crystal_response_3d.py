"""The q^2 conductivity and chi_M(w) of 3D models with B along z (Duff & Sipe secs. VI-VII).

For B along z and in-plane fields and currents every index of the response is in-plane, so kz is
a parameter of each term: the 3D result is the sum over the 3D grid per unit volume. The checks:
a stack of decoupled layers with spacing c gives the layer's value divided by c (exactly: the
per-k terms are the layer's, only the summation order differs); with interlayer hopping the
w -> 0 limit is the static chi_2 of eqs 83-84 on the same 3D grid; the parity (time reversal)
and reality relations of sec. VI.I hold as in 2D. Reference values are independent evaluations
(the 2D code path, chi_2, analytic identities), never the code under test pasted back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from core.crystal import response, susceptibility
from core.crystal.model import TightBindingModel, from_hoppings, haldane
from core.crystal.response_report import (
    THREE_D_NOTE,
    magnetic_susceptibility_report,
    q2_conductivity_report,
)
from core.errors import InvalidInput

SPACING = 2.5  # layer spacing c (model length unit)
LAYER = haldane(t=3.0, t2=0.0, M=3.0)
LAYER_BROKEN_TRS = haldane(t=3.0, t2=0.3, M=3.0, phi=0.7)  # trivial, complex t2
#: interlayer bonds (i, j, R, t): A-A and B-B along a3, and A to the B orbital one layer up
#: (a bond with an in-plane component, so its Peierls phase and vertex are not zero)
INTERLAYER = [(0, 0, (0, 0, 1), 0.4), (1, 1, (0, 0, 1), -0.3), (0, 1, (0, 0, 1), 0.25)]


def stack(
    layer: TightBindingModel,
    extra: Sequence[tuple[int, int, tuple[int, int, int], complex]] = (),
    a3_inplane: tuple[float, float] = (0.0, 0.0),
) -> TightBindingModel:
    """Layers of ``layer`` stacked along a3 = (a3_inplane, SPACING), with interlayer ``extra``."""
    lat = np.zeros((3, 3))
    lat[:2, :2] = layer.lattice
    lat[2] = [a3_inplane[0], a3_inplane[1], SPACING]
    pos = np.concatenate([layer.positions, np.zeros((layer.norb, 1))], axis=1)
    hops: list[tuple[int, int, tuple[int, int, int], complex]] = [
        (int(i), int(j), (int(r[0]), int(r[1]), 0), complex(t))
        for i, j, r, t in zip(
            layer.hop_from, layer.hop_to, layer.hop_cell, layer.hop_amplitude, strict=True
        )
    ]
    hops.extend(extra)
    return from_hoppings(lat, pos, layer.onsite, hops, name="stack")


def _close(a: np.ndarray, b: np.ndarray, rtol: float, scale: float | None = None) -> None:
    """Equal to ``rtol`` of ``scale`` (default: the array's largest value), so that components
    that are small or vanish by symmetry are compared at the rounding of the tensor's scale."""
    ref = float(np.max(np.abs(b))) if scale is None else scale
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * ref)


def _scale(table: dict[str, np.ndarray]) -> float:
    """The largest value of any component of a tensor."""
    return max(float(np.max(np.abs(v))) for v in table.values())


@pytest.mark.parametrize("layer", [LAYER, LAYER_BROKEN_TRS])
def test_decoupled_layers_give_the_layer_response_divided_by_the_spacing(layer):
    """No interlayer hopping: each kz plane repeats the layer's terms, so sigma^3D c = sigma^2D
    for every component and frequency (resonances included), and the same for chi_M (eq 74)."""
    w = np.array([0.0, 2.0, 5.9, 8.0])
    eta = np.array([0.0, 0.1, 0.1, 0.1])
    kw = {"eta": eta, "sigma_l": ("xzy", "yzx", "xzx"), "sigma_k": ("xxxx", "yxxy", "xxxy")}
    a = response.q2_conductivity(layer, 30, w, **kw)
    b = response.q2_conductivity(stack(layer), (30, 30, 3), w, **kw)
    # the per-k terms are bit for bit the layer's; only the order of the additions differs
    for c in a.sigma_l:
        _close(SPACING * b.sigma_l[c], a.sigma_l[c], 1e-12)
    for c in a.sigma_k:
        _close(SPACING * b.sigma_k[c], a.sigma_k[c], 1e-12)
    assert np.max(np.abs(a.sigma_l["xzy"])) > 10.0  # the resonances are in the comparison
    ca = response.chi_m_paper(layer, 24, w, eta=eta)
    cb = response.chi_m_paper(stack(layer), (24, 24, 2), w, eta=eta)
    _close(SPACING * cb.chi, ca.chi, 1e-12)
    chi2 = susceptibility.chi_2(stack(layer), (30, 30, 3)).chi
    assert SPACING * chi2 == pytest.approx(susceptibility.chi_2(layer, 30).chi, rel=1e-12)


def test_interlayer_hopping_static_limit_is_chi_2_on_the_same_3d_grid():
    """Eq 16 at w = 0 in 3D: sigma_L^{xzy}(0) = -chi^zz, sigma_L^{yzx}(0) = +chi^zz, and eq 74:
    chi_M(0) = chi^zz, with chi = chi_2 (eqs 83-84) on the same 3D grid. The a3 vector is tilted
    (in-plane part (0.3, 0.2)), so every interlayer bond has an in-plane component and the
    equalities (integrations by parts in kx, ky) also need the kz grid to resolve the interlayer
    Fourier components whose lattice vector n_z a3 has an in-plane part: n_z = 12 (n_z = 6
    leaves 2e-7, (0.4/5)^6, the interlayer hopping over the gap)."""
    model = stack(LAYER, INTERLAYER, (0.3, 0.2))
    grid = (30, 30, 12)
    chi = susceptibility.chi_2(model, grid).chi
    r = response.q2_conductivity(model, grid, np.array([0.0]), eta=0.0, sigma_l=("xzy", "yzx"))
    assert r.sigma_l["xzy"][0] == pytest.approx(-chi, rel=1e-8)
    assert r.sigma_l["yzx"][0] == pytest.approx(chi, rel=1e-8)
    cm = response.chi_m_paper(model, grid, np.array([0.0]), eta=0.0)
    assert cm.chi[0].real == pytest.approx(chi, rel=1e-8)
    # the coupling matters: the stack is not the layer over c
    assert abs(chi - susceptibility.chi_2(LAYER, 30).chi / SPACING) > 0.05 * abs(chi)
    assert chi < 0  # diamagnetic


@pytest.mark.parametrize(
    ("a3_inplane", "grid", "rtol"),
    [((0.0, 0.0), (16, 16, 4), 1e-10), ((0.3, 0.2), (32, 32, 16), 1e-9)],
    ids=["a3-along-z", "a3-tilted"],
)
def test_3d_time_reversal_parity_below_the_gap(a3_inplane, grid, rtol):
    """Sec. VI.I with real hoppings, 0+ = 0, below the gap: sigma_L and chi_M even in w, sigma_K
    odd, on a grid symmetric under k -> -k (the shift 1/2 gives it in 3D too).

    chi_M (eq 74) pairs k with -k only, so it holds to rounding on any such grid. For the Kubo
    sigma_L, sigma_K time reversal (k -> -k) combines with the reality pairing of k and k + q
    (q in-plane), an integration by parts in kx, ky that the grid does to rounding (1e-10: the
    q-differences) when a3 is along z. With a tilted a3 a step in kx at fixed kz also moves the
    third reduced coordinate, so the relation converges with n_z and n: 2e-5 at (16, 16, 4),
    3e-8 at (24, 24, 12), 8e-11 at (32, 32, 16)."""
    model = stack(LAYER, INTERLAYER, a3_inplane)
    w = np.array([1.5, -1.5, 2.2, -2.2])  # the direct gap of the stack is 4.8
    r = response.q2_conductivity(
        model, grid, w, eta=0.0, sigma_l=("xzy", "xzx"), sigma_k=("xxxx", "yxxy")
    )
    # relative to each tensor's largest component (xzx is small but not zero by symmetry)
    sl, sk = _scale(r.sigma_l), _scale(r.sigma_k)
    for c in r.sigma_l:
        _close(r.sigma_l[c][0::2], r.sigma_l[c][1::2], rtol, sl)
    for c in r.sigma_k:
        _close(r.sigma_k[c][0::2], -r.sigma_k[c][1::2], rtol, sk)
    cm = response.chi_m_paper(model, grid, w, eta=0.0)
    _close(cm.chi[0::2], cm.chi[1::2], 1e-12)


def test_3d_reality_sigma_at_minus_w_is_conjugate():
    """Real fields: sigma(-w) = sigma(w)* at fixed 0+ (complex interlayer and in-plane hoppings,
    no time reversal). As in 2D the pairing maps the grid onto a grid shifted by q, so it holds
    as the grid converges: to 1e-7 below the gap (the stack's direct gap is 2.66: the interlayer
    A-A and B-B hoppings of opposite sign modulate the mass with kz)."""
    extra = [(0, 0, (0, 0, 1), 0.4 * np.exp(0.5j)), (1, 1, (0, 0, 1), -0.3), (0, 1, (0, 0, 1), 0.2)]
    model = stack(LAYER_BROKEN_TRS, extra)
    w = np.array([1.6, -1.6])
    r = response.q2_conductivity(
        model, (60, 60, 4), w, eta=0.1, sigma_l=("xzy",), sigma_k=("yxxy",)
    )
    assert r.sigma_l["xzy"][1] == pytest.approx(np.conj(r.sigma_l["xzy"][0]), rel=1e-7)
    assert r.sigma_k["yxxy"][1] == pytest.approx(np.conj(r.sigma_k["yxxy"][0]), rel=1e-7)
    assert abs(r.sigma_k["yxxy"][0].imag) > 1e-3 * abs(r.sigma_k["yxxy"][0])  # not trivially real


def test_3d_response_is_invariant_under_random_bloch_phases():
    """Random phases per k-point, stencil point and band leave sigma_L, sigma_K to rounding."""
    model = stack(LAYER_BROKEN_TRS, INTERLAYER, (0.3, 0.2))
    w = np.array([0.0, 2.0, 5.0])
    kw = {"eta": 0.1, "sigma_l": ("xzy", "xzx"), "sigma_k": ("xxxx", "yxxy")}
    a = response.q2_conductivity(model, (12, 12, 3), w, **kw)
    b = response.q2_conductivity(model, (12, 12, 3), w, gauge_seed=11, **kw)
    for c in a.sigma_l:
        _close(b.sigma_l[c], a.sigma_l[c], 1e-9, _scale(a.sigma_l))
    for c in a.sigma_k:
        _close(b.sigma_k[c], a.sigma_k[c], 1e-9, _scale(a.sigma_k))


def test_3d_f_sum_rule():
    """K(q = 0, w = 0) = 0 (eqs 103, 106, 107) with kz summed over."""
    model = stack(LAYER, INTERLAYER, (0.3, 0.2))
    r = response.q2_conductivity(model, (24, 24, 12), np.array([1.0]), eta=0.1)
    assert np.max(np.abs(r.k0_static)) < 1e-9 * r.diamagnetic_scale


def test_3d_reports_pass_their_checks_and_say_the_components_are_in_plane():
    model = stack(LAYER, INTERLAYER)
    w = np.linspace(0.0, 10.0, 6)
    rep = q2_conductivity_report(model, (30, 30, 8), w, 0.1, sigma_k=("xxxx",))
    for name in ("static_limit", "f_sum_rule", "frequency_parity"):
        assert rep.checks[name].verdict is True, name
    assert THREE_D_NOTE in rep.notes
    assert "per unit volume" in rep.arrays["sigma_L_xzy"].unit
    rc = magnetic_susceptibility_report(model, (30, 30, 8), w, 0.1)
    assert rc.checks["static_limit"].verdict is True
    assert rc.checks["frequency_parity"].verdict is True
    assert THREE_D_NOTE in rc.notes
    assert rc.results["chi_static"] == pytest.approx(
        susceptibility.chi_2(model, (30, 30, 8)).chi, rel=1e-14
    )


def test_a_grid_of_the_wrong_dimension_is_invalid_input():
    model = stack(LAYER)
    with pytest.raises(InvalidInput):
        response.q2_conductivity(model, (12, 12), np.array([1.0]), eta=0.1)
    with pytest.raises(InvalidInput):
        response.chi_m_paper(LAYER, (12, 12, 2), np.array([1.0]), eta=0.1)
