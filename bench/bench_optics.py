"""Benchmarks of core.optics (stack reflectance) and core.dispersion (polariton branches).

Run: .venv/bin/python bench/bench_optics.py          (prints a Markdown table; < 2 min)

1. Reflectance of a 50-layer stack on a substrate at 1e5 frequencies x 2 polarisations
   (oscillator-medium layers evaluated once, then the transfer-matrix recursion; 45 deg).
2. All dispersion branches of a 100-transition oscillator medium (degree 202) on 1e4 k points:
   continuation (default for degree > 64), and per-k eigenvalue solves on a subset, extrapolated.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

from core.dispersion import dispersion_branches, polariton_roots, rational_form
from core.optics import medium_eps_mu, stack_coefficients
from core.oscillators import OscillatorMedium


def _timed(fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def medium(m: int, seed: int, lossless: bool = False) -> OscillatorMedium:
    rng = np.random.default_rng(seed)
    return OscillatorMedium(
        omega=np.sort(rng.uniform(0.5, 5.0, m)),
        gamma=np.zeros(m) if lossless else rng.uniform(0.001, 0.05, m),
        e_dip=rng.uniform(0.0, 0.3, m),
        m_dip=rng.uniform(0.0, 0.01, m),
        quad=np.zeros(m),
        dip_oct=np.zeros(m),
        dia=np.zeros(m),
    )


def main() -> None:
    rows: list[tuple[str, str, str]] = []

    # -- 1. stack
    nf, nl = 100_000, 50
    w = np.linspace(0.2, 6.0, nf)
    media = [medium(3, s) for s in range(4)]
    t_eval, em = _timed(lambda: [medium_eps_mu(m, w) for m in media])
    eps = np.empty((nl + 2, nf), dtype=np.complex128)
    mu = np.empty_like(eps)
    eps[0], mu[0] = 1.0, 1.0
    for j in range(1, nl + 2):
        eps[j], mu[j] = em[j % 4]
    d = np.full(nl, 0.35)
    ang = np.radians([45.0])
    stack_coefficients(eps[:, :100], mu[:, :100], d, w[:100], ang, "s")  # warm-up
    t_s, cs = _timed(lambda: stack_coefficients(eps, mu, d, w, ang, "s"), 2)
    t_p, cp = _timed(lambda: stack_coefficients(eps, mu, d, w, ang, "p"), 2)
    rng = np.random.default_rng(0)
    e0 = (rng.uniform(1.0, 6.0, (nl + 2, 1)) * np.ones((1, nf))).astype(np.complex128)
    e0[0] = 1.0
    t_l, cl = _timed(lambda: stack_coefficients(e0, np.ones_like(e0), d, w, ang, "p"))
    rows.append(("stack: eps, mu of 4 oscillator media on 1e5 freqs", f"{t_eval:.3f} s", ""))
    rows.append(
        (
            "stack: 50 layers x 1e5 freqs, s + p (45 deg)",
            f"{t_s + t_p:.3f} s",
            f"{2 * (nl + 1) * nf / (t_s + t_p) / 1e6:.1f} M interface-evals/s; lossy layers: "
            f"min A = {min(cs.A.min(), cp.A.min()):.2e} (>= 0: passive)",
        )
    )

    rows.append(
        (
            "stack: same with lossless constant layers, p",
            f"{t_l:.3f} s",
            f"max |R + T - 1| = {np.abs(cl.R + cl.T - 1).max():.1e}",
        )
    )

    # -- 2. dispersion
    med = medium(100, 1)
    rat = rational_form(med)
    k = np.linspace(0.05, 10.0, 10_000)
    dispersion_branches(med, k[:50], method="continuation")  # JIT warm-up (cached on disk)
    t_c, b = _timed(lambda: dispersion_branches(med, k, method="continuation"))
    rows.append(
        (
            f"dispersion: M = 100 (degree {b.degree}), 1e4 k, continuation",
            f"{t_c:.2f} s",
            f"max residual {b.residual.max():.1e} "
            f"(<= {np.max(b.residual / np.maximum(1e-16, b.residual_floor)):.1f} x rounding floor "
            "2 eps |v_p/v_g|), max backward error "
            f"{b.backward_error.max():.1e}, eq-9 deviation {b.sum_rule_deviation:.1e}, "
            f"eig restarts {b.reassigned}",
        )
    )
    med0 = medium(100, 1, lossless=True)
    dispersion_branches(med0, k[:50], method="continuation")
    t_c0, b0 = _timed(lambda: dispersion_branches(med0, k, method="continuation"))
    rows.append(
        (
            "dispersion: lossless M = 100, 1e4 k, continuation",
            f"{t_c0:.2f} s",
            f"max residual {b0.residual.max():.1e} "
            f"(<= {np.max(b0.residual / np.maximum(1e-16, b0.residual_floor)):.1f} x floor), "
            f"max |Im w| {np.abs(b0.omega.imag).max():.1e}, "
            f"eq-9 deviation {b0.sum_rule_deviation:.1e}, eig restarts {b0.reassigned}",
        )
    )
    sub = k[:: 10_000 // 40]
    t_e, _ = _timed(lambda: polariton_roots(rat, sub, method="eig"))
    rows.append(
        (
            "dispersion: same, complex eigvals (202 x 202) per k",
            f"{t_e / sub.size * 1e3:.1f} ms/k",
            f"-> {t_e / sub.size * 1e4:.0f} s for 1e4 k (extrapolated from {sub.size} k)",
        )
    )
    rat0 = rational_form(medium(100, 1, lossless=True))
    t_r, _ = _timed(lambda: polariton_roots(rat0, sub, method="eig-real"))
    rows.append(
        (
            "dispersion: lossless, real eigvals in x = w^2 (101 x 101) per k",
            f"{t_r / sub.size * 1e3:.1f} ms/k",
            f"-> {t_r / sub.size * 1e4:.0f} s for 1e4 k (extrapolated)",
        )
    )

    ref = np.random.default_rng(1).random((8, 202, 202)) + 0j
    t_ref, _ = _timed(lambda: np.linalg.eigvals(ref))
    rows.append(
        (
            "reference: random dense complex 202 x 202 eigvals (machine load gauge)",
            f"{t_ref / 8 * 1e3:.1f} ms each",
            "",
        )
    )
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpu, numpy {np.__version__}, "
        f"load avg {os.getloadavg()[0]:.1f}\n"
    )
    print("| case | time | notes |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
