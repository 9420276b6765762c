"""Benchmark of the core.causality package (run: python bench/bench_causality.py; < 2 minutes).

Prints a Markdown table: wall time (best of a few runs) and max error against the closed form of
a damped Lorentz line f = 1 / (1 - w^2 - 2 i w gamma) (gamma = 0.05), whose Re/Im pair is exact.

* scipy.signal.hilbert: the circular discrete Hilbert transform of Im f, odd-extended to
  [-W, W] with 2^20 samples: fast, but periodic, so a one-sided spectrum gets an edge error.
* fft: the exact principal value of the piecewise-linear interpolant, aperiodic FFT convolution
  (first call builds the kernel spectra; repeated calls on the same grid reuse them).
* tree: the same exact PV on a non-uniform (log-spaced) grid, treecode, 1e5 points.
* direct: the O(N^2) closed-form sum (reference evaluator), 1e4 points.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import scipy.signal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core import causality as ca
from core.oscillators import OscillatorMedium

GAMMA = 0.05
T = TypeVar("T")


def lorentz(w: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 - w**2 - 2j * w * GAMMA)


def best(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def rel_err(a: np.ndarray, b: np.ndarray, scale: float, sel: np.ndarray | None = None) -> float:
    d = np.abs(a - b) if sel is None else np.abs(a - b)[sel]
    return float(d.max() / scale)


def main() -> None:
    rows: list[tuple[str, int, float, str, str]] = []
    W = 20.0

    # scipy.signal.hilbert on 2^20 samples of the odd extension over [-W, W).
    n = 2**20
    u = np.linspace(-W, W, n, endpoint=False)
    f_full = lorentz(u)
    im_odd = f_full.imag  # odd in u already (reality condition)
    t_h, an = best(lambda: scipy.signal.hilbert(im_odd), 5)
    re_h = -np.asarray(an).imag  # Re f = -H[Im f] with H the 1/(pi t) Hilbert transform
    pos = u >= 0
    scale = float(np.abs(f_full).max())
    top = pos & (u > 0.9 * W)
    rows.append(
        (
            "scipy.signal.hilbert (circular)",
            n,
            t_h,
            f"{rel_err(re_h, f_full.real, scale, pos):.1e}",
            f"{np.max(np.abs(re_h - f_full.real)[top]) / np.max(np.abs(f_full.real[top])):.1%} "
            "of Re f near w_max",
        )
    )

    # Exact aperiodic PV by FFT convolution, 2^20 points on [0, W].
    w = np.linspace(0.0, W, n)
    f = lorentz(w)
    scale = float(np.abs(f).max())
    ca.clear_fft_cache()
    t = time.perf_counter()
    r = ca.re_from_im(w, f.imag, error_estimate=False)
    t_first = time.perf_counter() - t
    t_fft, r = best(lambda: ca.re_from_im(w, f.imag, error_estimate=False), 5)
    inner = w <= 0.9 * W
    err_top = np.max(np.abs(r.values - f.real)[w > 0.9 * W]) / np.max(np.abs(f.real[w > 0.9 * W]))
    rows.append(
        (
            "fft exact PV, Re from Im (cached kernels)",
            n,
            t_fft,
            f"{rel_err(r.values, f.real, scale, inner):.1e}",
            f"{err_top:.1e} of Re f near w_max",
        )
    )
    rows.append(("fft exact PV, first call (builds kernels)", n, t_first, "same", ""))
    t_fft_i, ri = best(lambda: ca.im_from_re(w, f.real, error_estimate=False), 5)
    rows.append(
        (
            "fft exact PV, Im from Re (cached kernels)",
            n,
            t_fft_i,
            f"{rel_err(ri.values, f.imag, scale, inner):.1e}",
            "",
        )
    )
    t_est, _ = best(lambda: ca.re_from_im(w, f.imag, error_estimate=True), repeat=1)
    rows.append(("fft + discretisation estimate (grid halving)", n, t_est, "", ""))

    # Tree on 1e5 log-spaced points.
    wl = np.geomspace(1e-4, W, 100_000)
    fl = lorentz(wl)
    ca.re_from_im(wl[:64], fl.imag[:64], method="tree")  # compile (cached on disk by numba)
    t_tree, rt = best(lambda: ca.re_from_im(wl, fl.imag, method="tree", error_estimate=False))
    inner = wl <= 0.9 * W
    rows.append(
        (
            "tree exact PV, log grid",
            wl.shape[0],
            t_tree,
            f"{rel_err(rt.values, fl.real, scale, inner):.1e}",
            "",
        )
    )

    # Direct reference on 1e4 log-spaced points.
    wd = np.geomspace(1e-4, W, 10_000)
    fd = lorentz(wd)
    t_dir, rd = best(lambda: ca.re_from_im(wd, fd.imag, method="direct", error_estimate=False), 1)
    t_tree_s, rts = best(lambda: ca.re_from_im(wd, fd.imag, method="tree", error_estimate=False))
    rows.append(
        (
            "direct O(N^2), log grid",
            wd.shape[0],
            t_dir,
            f"{rel_err(rd.values, fd.real, scale, wd <= 0.9 * W):.1e}",
            f"tree - direct = {np.max(np.abs(rts.values - rd.values)):.1e}",
        )
    )
    rows.append(("tree, same grid", wd.shape[0], t_tree_s, "", ""))

    # Fig. 2a causality report (internal resonance grid).
    med = OscillatorMedium(
        omega=np.array([1.0, 2.0, 3.0]),
        gamma=np.array([0.18, 0.05, 0.04]),
        e_dip=np.array([2.0, 0.0, 0.0]),
        m_dip=np.array([0.0, 1 / 16, 0.0]),
        quad=np.array([0.0, 0.0, 1 / 64]),
        dip_oct=np.array([65 / 64, 0.0, 0.0]),
        dia=np.array([0.0, 0.0, 9.0]),
    )
    wu = np.linspace(0.01, 6.0, 500)
    ca.oscillator_causality(med, wu)
    t_osc, rep = best(lambda: ca.oscillator_causality(med, wu), 2)
    chi = rep.checks["chi"]
    rows.append(
        (
            "Fig. 2a oscillator_causality (chi, eps, mu)",
            rep.internal_points,
            t_osc,
            f"{chi.max_error / chi.scale:.1e}",
            f"chi(0) by eq 7: {chi.static_integral.value:.7f} (exact {1 / 64 - 1:.7f})",
        )
    )

    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpu, numpy {np.__version__}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print()
    print("| method | points | time (s) | max rel error (interior) | note |")
    print("|---|---:|---:|---:|---|")
    for name, npts, tt, err, note in rows:
        print(f"| {name} | {npts} | {tt:.3f} | {err} | {note} |")


if __name__ == "__main__":
    main()
