"""Warm-up: compile (or load from numba's on-disk cache) every compiled kernel of core before a
process takes requests.

Every ``numba.njit`` kernel of core is declared with ``cache=True``: the first process that
compiles a signature writes the machine code next to the module (``__pycache__``) or under
``NUMBA_CACHE_DIR``, and later processes load it in milliseconds instead of compiling for seconds.
Either way, a kernel's *first call in a process* pays that cost. :func:`warm_up` pays it up front,
for every kernel, on tiny inputs, through the same public core functions the endpoints call (the
report functions and the few entry points under them), so the signatures compiled are the ones
requests need: float64/complex128 C-contiguous arrays, int64 index arrays, Python floats and bools.
A compute-pool worker process runs it before it takes work (app/pool.py) and ``/readyz`` answers
503 until one worker is warm; the Docker image runs it at build time so the image carries the
compiled code.

The inputs are model units throughout (frequencies in the unit of the medium, tight-binding
energies in units of the hopping); their physics is irrelevant except that each one must reach
the kernel it warms: a gapped model (the susceptibility is defined for insulators only), a
non-uniform grid (the tree Hilbert transform; uniform grids use the FFT), a three-band model
(the contour-quadrature path; two-band models take the closed form), the ``continuation``
root finder of the dispersion (``auto`` takes it only above degree 64) with one restart, and
the q^2 response kernel of core/crystal/response.py.

The tests (tests/app/test_warmup.py) check that after :func:`warm_up` every numba dispatcher
defined in core has at least one compiled signature, and that in a fresh process the first call
of every preset then answers in under a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

import numpy as np

log = logging.getLogger("app.warmup")

#: Points of the frequency grids the warm-up uses (small: the cost is compilation, not work).
WARM_POINTS: Final = 24
#: k-grid points per direction of the crystal warm-up (even, so the half grid of the
#: convergence check exists; >= 8 so the Chern and band-edge refinements have a grid).
WARM_K: Final = 8


def _oscillators() -> None:
    """core/oscillators.py: ``_eq21_kernel`` (eq 21 in one pass, via the oscillator report, as
    ``/v1/oscillator/response``, ``/v1/causality/oscillator`` and the emitters endpoints call it)
    and ``_lorentz_sums3_kernel`` (the N x M Lorentzian sums, via the chiral single-susceptibility
    report of ``/v1/chiral/single-susceptibility``)."""
    from core import chiral as ch
    from core import oscillators as osc
    from core.oscillator_report import oscillator_report

    # two transitions, model units: w_eg = 1, 2; gamma > 0 keeps the grid off the poles
    medium = osc.OscillatorMedium(
        omega=np.array([1.0, 2.0]),
        gamma=np.array([0.1, 0.05]),
        e_dip=np.array([1.0, 0.0]),
        m_dip=np.array([0.0, 0.05]),
        quad=np.array([0.0, 0.01]),
        dip_oct=np.array([0.01, 0.0]),
        dia=np.array([0.0, 4.0]),
    )
    oscillator_report(medium, np.linspace(0.0, 3.0, WARM_POINTS))
    chiral = ch.ChiralMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(0.01,), e1=(0.5,), mixed=(0.1,), m1=(0.02,)
    )
    ch.single_susceptibility_report(chiral, np.linspace(0.05, 2.0, WARM_POINTS), dbf=True)


def _causality() -> None:
    """core/causality/hilbert.py: ``_tree_moments`` and ``_tree_eval`` (the tree-accelerated
    principal value of a piecewise-linear spectrum on a non-uniform grid, via the Kramers-Kronig
    report of ``/v1/causality/kramers-kronig``); the uniform grid warms the FFT path."""
    from core.causality.report import kramers_kronig_report

    # a damped Lorentz chi(w) = 1 / (1 - w^2 - 0.2 i w) on a non-uniform (quadratic) grid
    w = np.linspace(0.0, 1.0, 4 * WARM_POINTS) ** 2 * 6.0
    chi = 1.0 / (1.0 - w * w - 0.2j * w)
    kramers_kronig_report(w, chi.real, chi.imag, quantity="chi", method="tree")
    wu = np.linspace(0.0, 6.0, 4 * WARM_POINTS)
    chiu = 1.0 / (1.0 - wu * wu - 0.2j * wu)
    kramers_kronig_report(wu, chiu.real, chiu.imag, quantity="chi")


def _dispersion() -> None:
    """core/dispersion.py: ``_diag_kernel`` (root diagnostics of every dispersion answer, via the
    dispersion report of ``/v1/optics/dispersion``) and ``_continue_chunks``, ``_continue_kernel``
    and ``_eval_root`` (the continuation root finder, which ``auto`` uses for media of degree
    above 64, called here with ``method="continuation"``)."""
    from core import dispersion as disp
    from core import oscillators as osc

    medium = osc.OscillatorMedium(
        omega=np.array([1.0, 2.0]),
        gamma=np.array([0.1, 0.05]),
        e_dip=np.array([1.0, 0.0]),
        m_dip=np.array([0.0, 0.05]),
        quad=np.array([0.0, 0.0]),
        dip_oct=np.array([0.0, 0.0]),
        dia=np.array([0.0, 4.0]),
    )
    k = np.linspace(0.05, 4.0, WARM_POINTS)
    disp.dispersion_report(medium, medium_unit="model", k=k)
    disp.dispersion_branches(medium, k, method="continuation")
    # two far-apart k points: the predictor step is too long, a root is lost and the chunk is
    # restarted from eigenvalues, which calls `_continue_kernel` from Python
    disp.dispersion_branches(medium, np.array([0.05, 4.0]), method="continuation")


def _crystal() -> None:
    """core/crystal/susceptibility.py and core/crystal/_wordkernel.py: the fused two-band chi_2
    kernel with its residue tables and generated word evaluation, the closed-form two-band
    eigensystem, the FHS plaquette phases (via the reports of ``/v1/crystal/bands``,
    ``/v1/crystal/berry`` and ``/v1/crystal/orbital-susceptibility`` on the Haldane model), and
    the contour-quadrature words of N-band models (a gapped three-band model)."""
    from core.crystal import model as tb
    from core.crystal import reports

    # Haldane model in its Chern phase (t2 sin phi = 0.04 < M / (3 sqrt 3) is false for M = 0.1:
    # gapped, C = +-1); energies in units of t
    hal = tb.haldane(t=1.0, t2=0.04, phi=0.5 * np.pi, M=0.1)
    grid = (WARM_K, WARM_K)
    reports.bands_report(hal, path=[[0.0, 0.0], [1.2, 2.1]], num=WARM_POINTS)
    reports.bands_report(hal, grid=grid)
    reports.berry_report(hal, grid)
    reports.orbital_susceptibility_report(hal, grid, include_chi1=True)
    # three orbitals on a square lattice with well-separated on-site energies (-3, 0, 3) and
    # weak hoppings (0.1): three narrow bands, gapped at filling 1
    three = tb.from_hoppings(
        np.eye(2),
        np.zeros((3, 2)),
        [-3.0, 0.0, 3.0],
        [(0, 0, (1, 0), 0.1), (1, 1, (0, 1), 0.1), (2, 2, (1, 0), 0.1), (0, 1, (0, 0), 0.1)],
    )
    reports.orbital_susceptibility_report(three, grid, filling=1, include_chi1=False)
    reports.berry_report(three, grid, filling=1)


def _crystal_response() -> None:
    """core/crystal/response.py: ``_q2_kernel`` with its band, vertex and finite-difference
    helpers (the q^2 current response, via the reports of ``/v1/crystal/q2-conductivity`` and
    ``/v1/crystal/magnetic-susceptibility`` on the gapped Haldane model)."""
    from core.crystal import model as tb
    from core.crystal import response_report

    hal = tb.haldane(t=1.0, t2=0.04, phi=0.5 * np.pi, M=0.1)
    omega = np.linspace(0.0, 1.0, 4)  # hbar w in units of t, below the gap edge and above
    grid = (WARM_K, WARM_K)
    response_report.q2_conductivity_report(
        hal, grid, omega, 0.1, sigma_l=("xzy", "yzx"), sigma_k=("xxxx",), include_chi_m=True
    )
    response_report.magnetic_susceptibility_report(hal, grid, omega, 0.1)


#: Kernel groups in the order they are warmed: name -> function (each imports what it needs).
GROUPS: Final[dict[str, Callable[[], None]]] = {
    "oscillators": _oscillators,
    "causality": _causality,
    "dispersion": _dispersion,
    "crystal": _crystal,
    "crystal_response": _crystal_response,
}


def warm_up() -> dict[str, float]:
    """Compile or load every compiled kernel of core; seconds spent per kernel group.

    Returns
    -------
    dict[str, float]
        Wall-clock seconds per group (``oscillators``, ``causality``, ``dispersion``,
        ``crystal``, ``crystal_response``) and ``total``. A few seconds per group on a first run (numba compiles and
        writes its cache), tens of milliseconds per group once the cache is on disk.
    """
    seconds: dict[str, float] = {}
    t_all = time.perf_counter()
    for name, fn in GROUPS.items():
        t0 = time.perf_counter()
        fn()
        seconds[name] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    log.info(
        "warm-up done in %.2f s (%s)",
        seconds["total"],
        ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items() if k != "total"),
    )
    return seconds
