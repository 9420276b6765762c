"""The eight multipole response tensors of a 2D insulator and sigma_L, sigma_K from them.

Duff & Sipe secs. VI-VII: chi_M (eq 74), gamma_M (75), beta_M (76), Lambda (77), Pi (78),
Sigma (79), Gamma (80), Omega (81), assembled into sigma_L^{izj}(w) (eq 16) and
sigma_K^{i(jlk)}(w) (eq 17).

Units and conventions
---------------------
As :mod:`core.crystal.response`: hbar = 1, e = :data:`~core.crystal.multipole.QE` = -1, c -> 1
(SI form of the magnetic formulas), energies and hbar w, eta = hbar 0+ in the model energy unit,
lengths in the model length unit, exp(-i w t). Every tensor is per unit area (the k-integral is
the grid mean divided by the cell area); sigma_L in the unit of the static chi, sigma_K in that
unit per (E_u / hbar), as the Kubo route of :func:`core.crystal.response.q2_conductivity`, which
is the reference these assemblies are tested against.

2D only: in-plane spatial indices (x, y = 0, 1); the magnetic indices (the B field of chi_M,
Gamma, Lambda, the magnetic multipoles of gamma_M, beta_M) are z. Components kept:
chi^{zz}, gamma^{zjl}, beta^{zjl}, Lambda^{ijz}, Gamma^{ijz}, Sigma^{ijkl}, Pi^{ijkl},
Omega^{ijkl} (all in-plane Latin indices), which is all eqs 16-17 need for in-plane currents.

How it is computed
------------------
Every line of eqs 74-81 is a BZ sum of the form w^p sum_{k,n,m} C_nm(k) r_mn(k, w)^q with
r_mn = 1 / (Delta_mn - w - i eta), Delta_mn = E_m - E_n, or a frequency-independent sum (q = 0).
The coefficients C are built once per k-chunk from :func:`core.crystal.multipole.band_jet`
(analytic k-derivatives in the paper's fixed gauge, any number of bands), then the frequency
sums are matrix products (k-chunked; memory O(chunk x pairs x frequencies)). Each line is kept
under its own label (``TensorResult.lines``), so the assembly can be audited line by line.

Needs: a smooth gauge (trivial phase; in a Chern insulator the fixed gauge has vortices and the
non-purified tensors are undefined), non-degenerate bands, the Tressian (eq 105, analytic).
The ordinary second derivatives d_a d_b xi (eqs 65, 69, 77, 79, 80) come from the third-order
gauge condition (:mod:`core.crystal.multipole`). With two bands every sum over a third band
l != n, m of Appendix D is empty; the full (non-purified) sums used here include s = n, m.

References: :data:`core.references.DUFF_SIPE` eqs 16-17, 60-81.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import MAX_K_POINTS, check_k_points, monkhorst_grid
from core.crystal.model import TightBindingModel
from core.crystal.multipole import (
    EPS2,
    QE,
    BandJet,
    band_jet,
    berry_curl_elements,
    magnetic_quadrupole_elements,
    magnetization_elements,
    octupole_elements,
    quadrupole_elements,
)
from core.crystal.susceptibility import gauge_orbitals, require_gap, scan_gap
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: The eight tensors, in the paper's order (eqs 74-81).
TENSORS: Final[tuple[str, ...]] = (
    "chi_M",
    "gamma_M",
    "beta_M",
    "Lambda",
    "Pi",
    "Sigma",
    "Gamma",
    "Omega",
)

_PERMS3: Final = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))
_Z: Final = 2  # the index z in component tuples

#: A component key: the tensor's Cartesian indices (0, 1 = x, y; 2 = z).
Comp = tuple[int, ...]
#: One line of one tensor: (tensor, line label, component, power of w, power of r, coefficient).
_Term = tuple[str, str, Comp, int, int, "ComplexArray | complex"]


def _t(x: ComplexArray) -> ComplexArray:
    """X_mn placed at [n, m] (the band transpose)."""
    return np.swapaxes(x, -1, -2)


def _terms(jet: BandJet, nocc: int) -> list[_Term]:
    """All lines of eqs 74-81 on one k-chunk (see the module notes for the forms used)."""
    e = QE
    _nk, nb = jet.e.shape
    f = np.zeros(nb)
    f[:nocc] = 1.0
    fnm = f[:, None] - f[None, :]
    fn = f[None, :, None]  # f_n on [k, n, m]
    fsum = f[:, None] + f[None, :]
    xi, v, dxi, d2v = jet.xi, jet.v, jet.dxi, jet.d2v
    assert jet.d2xi is not None
    d2xi = jet.d2xi
    de, d2e = jet.de, jet.d2e
    se = de[..., :, None] + de[..., None, :]  # d_a (E_n + E_m)   (K, 2, N, N)
    dd = de[..., :, None] - de[..., None, :]  # d_a (E_n - E_m)
    d2d = d2e[..., :, None] - d2e[..., None, :]  # d_a d_b (E_n - E_m)
    dmn = jet.e[:, None, :] - jet.e[:, :, None]  # Delta_mn = E_m - E_n at [n, m]
    mm = magnetization_elements(jet)  # M^z
    om = berry_curl_elements(jet)  # Omega^z
    qp = quadrupole_elements(jet)  # Q_P^{ij}
    op = octupole_elements(jet)  # O_P^{abc}
    qm = magnetic_quadrupole_elements(jet)  # Q_M^{zj}
    xt = _t(xi)  # xi^a_mn at [n, m]
    out: list[_Term] = []

    def add(tensor: str, label: str, comp: Comp, p: int, q: int, c: ComplexArray) -> None:
        if q == 0:
            out.append((tensor, label, comp, p, 0, complex(np.sum(c))))
        else:
            out.append((tensor, label, comp, p, q, fnm * c))

    def eps_sum(fun) -> ComplexArray:  # sum_ab eps^{zab} fun(a, b)
        return fun(0, 1) - fun(1, 0)

    # ---- chi_M^zz, eq 74 (as core.crystal.response.chi_m_paper) ----
    z2 = (_Z, _Z)
    occ = 0.0
    for a in range(2):
        for b in range(2):
            for c in range(2):
                for d in range(2):
                    s = EPS2[a, b] * EPS2[c, d]
                    if s == 0.0:
                        continue
                    full = np.einsum("knm,kml,kln->kn", xi[:, a], jet.w[:, b, c], xi[:, d])
                    band = np.einsum("kn,knm,kmn->kn", d2e[:, b, c], xi[:, a], xi[:, d])
                    occ += s * 0.25 * e * e * float(np.real(full - band)[:, :nocc].sum())
    out.append(("chi_M", "occ", z2, 0, 0, complex(occ)))
    add("chi_M", "vv", z2, 0, 1, mm * _t(mm))
    xmn = eps_sum(lambda a, b: se[:, a] * xi[:, b])
    add("chi_M", "itinerant", z2, 1, 2, mm * (-0.25 * e) * _t(xmn))
    add("chi_M", "geo", z2, 0, 0, -0.25 * e * fsum * (om * _t(mm) + mm * _t(om)))
    add("chi_M", "geo", z2, 0, 0, -((0.25 * e) ** 2) * fnm * (-dmn) * om * _t(om))
    add("chi_M", "geo", z2, 1, 0, (0.25 * e) ** 2 * fnm * om * _t(om))
    y = np.zeros_like(xt[:, 0])
    for a in range(2):
        for b in range(2):
            for c in range(2):
                for d in range(2):
                    s = EPS2[c, d] * EPS2[a, b]
                    if s != 0.0:
                        y = y + s * d2v[:, a, c, d] * xt[:, b]
    add("chi_M", "atomic", z2, 1, 1, (-1j * e * e / 16.0) * y)

    for j in range(2):
        for lc in range(2):
            # ---- gamma_M^{zjl}, eq 75 ----
            cp: Comp = (_Z, j, lc)
            add("gamma_M", "expected", cp, 0, 1, mm * _t(qp[:, j, lc]))
            add(
                "gamma_M",
                "itinerant",
                cp,
                0,
                2,
                mm * (0.25j * e) * (se[:, j] * xt[:, lc] + se[:, lc] * xt[:, j]),
            )
            g3 = om * _t(qp[:, j, lc] + 0.25j * e * (dxi[:, j, lc] + dxi[:, lc, j]))
            out.append(("gamma_M", "geo", cp, 0, 0, -0.5 * e * float(np.real(np.sum(fn * g3)))))
            g4 = eps_sum(
                lambda a, b, j=j, lc=lc: d2v[:, j, a, b] * xt[:, lc] + d2v[:, lc, a, b] * xt[:, j]
            )
            add("gamma_M", "atomic", cp, 0, 1, -(e * e / 16.0) * g4)
            # ---- beta_M^{zjl}, eq 76 ----
            add("beta_M", "expected", cp, 0, 1, e * qm[:, j] * xt[:, lc])
            b2 = eps_sum(lambda a, b, j=j: se[:, a] * (xi[:, b] @ xi[:, j] + xi[:, j] @ xi[:, b]))
            add("beta_M", "itinerant", cp, 0, 1, -(e * e / 24.0) * b2 * xt[:, lc])
            b3 = eps_sum(lambda a, b, j=j: d2v[:, j, a, b] + (1j / 3.0) * dmn * d2xi[:, j, a, b])
            add("beta_M", "atomic", cp, 0, 1, -(e * e / 8.0) * xt[:, lc] * b3)
            b4 = eps_sum(lambda a, b, j=j, lc=lc: dxi[:, a, lc] @ xi[:, j] @ xi[:, b]) + 2j * (
                dxi[:, j, lc] @ om
            )
            b4d = np.einsum("knn->kn", b4)
            out.append(("beta_M", "geo", cp, 0, 0, (e * e / 6.0) * float(np.real(np.sum(f * b4d)))))

    for i in range(2):
        for j in range(2):
            cp = (i, j, _Z)
            # ---- Lambda^{ijz}, eq 77 ----
            add("Lambda", "expected", cp, 0, 1, e * xi[:, i] * _t(qm[:, j]))
            l2 = eps_sum(
                lambda a, b: _t(xi[:, a] @ v[:, b] + v[:, b] @ xi[:, a]) - se[:, a] * xt[:, b]
            )
            add("Lambda", "orbital", cp, 0, 2, (1j * e * e / 12.0) * xi[:, i] * l2 * se[:, j])
            l4 = eps_sum(
                lambda a, b, j=j: (
                    (_t(xi[:, j] @ v[:, b] + v[:, b] @ xi[:, j]) - se[:, j] * xt[:, b]) * se[:, a]
                )
            )
            add("Lambda", "swapped", cp, 0, 2, (1j * e * e / 12.0) * xi[:, i] * l4)
            l5 = eps_sum(lambda a, b, i=i, j=j: d2xi[:, j, a, i] * xt[:, b])
            add("Lambda", "d2xi", cp, 1, 1, -(1j * e * e / 12.0) * l5)
            l6a = eps_sum(lambda a, b, i=i, j=j: xi[:, i] * xt[:, b] * d2d[:, j, a])
            add("Lambda", "d2E", cp, 1, 2, -(1j * e * e / 12.0) * l6a)
            l6b = eps_sum(lambda a, b, i=i, j=j: xi[:, i] * xt[:, b] * 2.0 * se[:, j] * se[:, a])
            add("Lambda", "dEdE", cp, 1, 3, -(1j * e * e / 12.0) * l6b)
            l7 = eps_sum(
                lambda a, b, i=i, j=j: (
                    (xi[:, j] @ xi[:, b] + xi[:, b] @ xi[:, j]) * _t(dxi[:, a, i])
                )
            ) - 2j * om * _t(dxi[:, j, i])
            out.append(
                ("Lambda", "geo", cp, 0, 0, (e * e / 12.0) * float(np.real(np.sum(fn * l7))))
            )
            # ---- Gamma^{ijz}, eq 80 ----
            add("Gamma", "expected", cp, 0, 1, qp[:, i, j] * _t(mm))
            add("Gamma", "itinerant", cp, 1, 2, qp[:, i, j] * (-0.25 * e) * _t(xmn))
            g3 = eps_sum(lambda a, b, i=i, j=j: (d2xi[:, a, j, i] + d2xi[:, a, i, j]) * xt[:, b])
            add("Gamma", "d2xi", cp, 1, 1, -(1j * e * e / 16.0) * g3)
            g4 = om * _t(qp[:, i, j] + 0.25j * e * (dxi[:, i, j] + dxi[:, j, i]))
            out.append(("Gamma", "geo", cp, 0, 0, -0.5 * e * float(np.real(np.sum(fn * g4)))))

    for i in range(2):
        for j in range(2):
            for k in range(2):
                for lc in range(2):
                    cp = (i, j, k, lc)
                    # ---- Sigma^{ijkl}, eq 79 ----
                    add("Sigma", "expected", cp, 0, 1, qp[:, i, j] * _t(qp[:, k, lc]))
                    add(
                        "Sigma",
                        "itinerant",
                        cp,
                        0,
                        2,
                        qp[:, i, j] * (0.25j * e) * (se[:, k] * xt[:, lc] + se[:, lc] * xt[:, k]),
                    )
                    s3 = (d2xi[:, lc, i, j] + d2xi[:, lc, j, i]) * xt[:, k] + (
                        d2xi[:, k, i, j] + d2xi[:, k, j, i]
                    ) * xt[:, lc]
                    add("Sigma", "d2xi", cp, 0, 1, -(e * e / 16.0) * s3)
                    # ---- Omega^{ijkl}, eq 81 (field index last: O^{ijk} xi^l, see docs) ----
                    add("Omega", "expected", cp, 0, 1, e * op[:, i, j, k] * xt[:, lc])
                    # ---- Pi^{ijkl}, eq 78: (e/6) sum over the orderings (j', l', k') ----
                    jlk = (j, k, lc)
                    z0 = np.zeros_like(xt[:, 0])
                    p1, p2, p3, p4, p5 = (z0.copy() for _ in range(5))
                    for p in _PERMS3:
                        a, b, c = jlk[p[0]], jlk[p[1]], jlk[p[2]]
                        p1 = p1 + _t(op[:, a, b, c])
                        p2 = p2 + 0.5j * se[:, a] * _t(qp[:, b, c])
                        p3 = p3 + 0.25 * e * (-d2d[:, a, b]) * xt[:, c]
                        p4 = p4 + 0.25 * e * (-dd[:, a]) * _t(dxi[:, b, c])
                        ee = (
                            de[:, a, :, None] * de[:, b, :, None]
                            + de[:, a, None, :] * de[:, b, None, :]
                        )
                        p5 = p5 - 0.5 * e * ee * xt[:, c]
                    pre = (e / 6.0) * xi[:, i]
                    add("Pi", "expected", cp, 0, 1, pre * p1)
                    add("Pi", "quadrupole", cp, 0, 2, pre * p2)
                    add("Pi", "d2E", cp, 0, 2, pre * p3)
                    add("Pi", "dEdxi", cp, 0, 2, pre * p4)
                    add("Pi", "dEdE", cp, 0, 3, pre * p5)
    return out


@dataclass(frozen=True)
class TensorResult:
    """The eight tensors of eqs 74-81 on a frequency grid (2D, per unit area).

    Attributes
    ----------
    omega, eta : (W,) float
        hbar w and hbar 0+ (model energy unit).
    lines : dict[(tensor, label, component), (W,) complex]
        Each printed line separately (labels: expected, itinerant, geo, atomic, ...).
    grid : tuple[int, ...]
    min_modulus : float
        Smallest modulus of the gauge-fixing component (near 0: singular gauge).
    """

    omega: FloatArray
    eta: FloatArray
    lines: dict[tuple[str, str, Comp], ComplexArray]
    grid: tuple[int, ...]
    min_modulus: float

    def tensor(self, name: str) -> dict[Comp, ComplexArray]:
        """The tensor ``name`` (sum of its lines), component -> (W,) complex."""
        acc: dict[Comp, ComplexArray] = {}
        for (t, _lab, comp), val in self.lines.items():
            if t == name:
                acc[comp] = acc.get(comp, 0.0) + val
        return acc


def multipole_tensors(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = 2048,
    max_k_points: int = MAX_K_POINTS,
    orbitals: NDArray[np.int64] | None = None,
    phase=None,
) -> TensorResult:
    """The eight multipole response tensors (eqs 74-81, the forms of the module notes).

    Parameters
    ----------
    model : TightBindingModel
        2D insulator (trivial phase: the fixed gauge must be smooth).
    n : int or (int, int)
        k-grid per reciprocal direction (Monkhorst-Pack, ``shift``).
    omega : (W,) float
        hbar w (model energy unit).
    eta : float or (W,) float
        hbar 0+ >= 0.
    phase : callable, optional
        k (K, 2) -> (theta (K, N), grad (K, 2, N), Hessian (K, 2, 2, N), third derivatives
        (K, 2, 2, 2, N)): a smooth periodic gauge change on top of the paper's gauge.
    """
    if model.dim != 2:
        raise InvalidInput("the multipole tensors are implemented for 2D models", field=("model",))
    if not np.all(np.isfinite(eta)) or np.any(np.asarray(eta) < 0):
        raise InvalidInput("eta (hbar 0+) must be finite and >= 0", field=("eta",))
    ns = (n,) * 2 if isinstance(n, int) else tuple(n)
    check_k_points(int(np.prod(ns)), max_k_points)
    info = scan_gap(model, ns, filling, shift)
    require_gap(info, "the multipole tensors")
    orb = gauge_orbitals(model) if orbitals is None else np.asarray(orbitals, dtype=np.int64)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), w.shape).copy()
    kpts, _ = monkhorst_grid(model, ns, shift)
    norm = 1.0 / (kpts.shape[0] * model.cell_volume)
    lines: dict[tuple[str, str, Comp], ComplexArray] = {}
    minmod = np.inf
    for s0 in range(0, kpts.shape[0], chunk):
        kc = kpts[s0 : s0 + chunk]
        jet = band_jet(model, kc, orb, None if phase is None else phase(kc))
        minmod = min(minmod, jet.min_modulus)
        terms = _terms(jet, info.n_occ)
        nb = jet.e.shape[1]
        occ = np.arange(nb) < info.n_occ
        sel = occ[:, None] != occ[None, :]  # the pairs with f_n != f_m
        dl = (jet.e[:, None, :] - jet.e[:, :, None])[:, sel].reshape(-1)  # Delta_mn
        r = 1.0 / (dl[None, :] - w[:, None] - 1j * etas[:, None])  # (W, pairs)
        for tensor, label, comp, p, q, c in terms:
            key = (tensor, label, comp)
            wp = w**p
            if q == 0:
                val = wp * complex(c) * np.ones_like(w, dtype=np.complex128)
            else:
                cc = np.asarray(c)[:, sel].reshape(-1)
                val = wp * ((r**q) @ cc)
            lines[key] = np.asarray(lines.get(key, 0.0) + val, dtype=np.complex128)
    return TensorResult(
        omega=w,
        eta=etas,
        lines={k: norm * v for k, v in lines.items()},
        grid=ns,
        min_modulus=float(minmod),
    )


def assemble_sigma_l(
    tensors: dict[str, dict[Comp, ComplexArray]], omega: FloatArray
) -> dict[str, ComplexArray]:
    """sigma_L^{izj}(w) from the tensors by eq 16 (2D: l = z, i, j in-plane).

    sigma_L^{izj} = -eps^{zij}(chi^{zz} - (i w/2) eps^{zab} beta^{zab})
                    - (i w/3)((beta^{zji} + beta^{zij})/2 - gamma^{zji})
                    + i w (Lambda^{ijz} - Gamma^{ijz}) - (w^2/3) eps^{zab}(Sigma^{ibaj} + 2 Omega^{ijab})
    (eq 16 with c -> 1 and eps^{iak} eps^{zab} = -delta_ib for in-plane i). Missing tensors
    count as zero. Keys "xzy", "yzx", "xzx", "yzy".
    """
    w = np.asarray(omega, dtype=np.float64)

    def get(name: str, comp: Comp) -> ComplexArray:
        return tensors.get(name, {}).get(comp, np.zeros_like(w, dtype=np.complex128))

    names = "xy"
    out: dict[str, ComplexArray] = {}
    for i in range(2):
        for j in range(2):
            beps = get("beta_M", (_Z, 0, 1)) - get("beta_M", (_Z, 1, 0))
            val = -EPS2[i, j] * (get("chi_M", (_Z, _Z)) - 0.5j * w * beps)
            val = val - (1j * w / 3.0) * (
                0.5 * (get("beta_M", (_Z, j, i)) + get("beta_M", (_Z, i, j)))
                - get("gamma_M", (_Z, j, i))
            )
            val = val + 1j * w * (get("Lambda", (i, j, _Z)) - get("Gamma", (i, j, _Z)))
            so = 0.0
            for a in range(2):
                for b in range(2):
                    if EPS2[a, b] != 0.0:
                        so = so + EPS2[a, b] * (
                            get("Sigma", (i, b, a, j)) + 2.0 * get("Omega", (i, j, a, b))
                        )
            val = val - (w**2 / 3.0) * so
            out[f"{names[i]}z{names[j]}"] = np.asarray(val, dtype=np.complex128)
    return out


def assemble_sigma_k(
    tensors: dict[str, dict[Comp, ComplexArray]], omega: FloatArray
) -> dict[str, ComplexArray]:
    """sigma_K^{i(jlk)}(w) from the tensors by eq 17 (2D, in-plane; n = z in eps^{ijn}).

    sigma_K^{ijlk} = (1/6) sum_{perms of (j, l, k)} [eps^{zij}(beta^{zlk} - gamma^{zlk})
                     + i w (Pi^{ijlk} + Omega^{ijlk} - Sigma^{ijlk})]. Keys as
    :data:`core.crystal.response.SIGMA_K_COMPONENTS` (current index, then the sorted triple).
    """
    w = np.asarray(omega, dtype=np.float64)

    def get(name: str, comp: Comp) -> ComplexArray:
        return tensors.get(name, {}).get(comp, np.zeros_like(w, dtype=np.complex128))

    names = "xy"
    out: dict[str, ComplexArray] = {}
    for i in range(2):
        for trip in ((0, 0, 0), (0, 0, 1), (0, 1, 1), (1, 1, 1)):
            acc = 0.0
            for p in _PERMS3:
                j, lc, k = trip[p[0]], trip[p[1]], trip[p[2]]
                acc = acc + EPS2[i, j] * (get("beta_M", (_Z, lc, k)) - get("gamma_M", (_Z, lc, k)))
                acc = acc + 1j * w * (
                    get("Pi", (i, j, lc, k))
                    + get("Omega", (i, j, lc, k))
                    - get("Sigma", (i, j, lc, k))
                )
            key = names[i] + "".join(names[x] for x in trip)
            out[key] = np.asarray(acc / 6.0, dtype=np.complex128)
    return out
