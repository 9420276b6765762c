"""Benchmark of core/chiral.py: Cho magnetic resonance and chiral single-susceptibility medium.

Run: .venv/bin/python bench/bench_chiral.py  (prints a Markdown table; < 1 min on 2 cores)
"""

from __future__ import annotations

import time

import numpy as np

from core.chiral import (
    ChiralMedium,
    _chiral_sums,
    _chiral_sums_real,
    chiral_response,
    cho_figure_medium,
    magnetic_resonance_response,
)


def best(fn, repeat: int = 3) -> float:
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def chiral_medium(m: int) -> ChiralMedium:
    rng = np.random.default_rng(0)
    e1 = rng.uniform(0.01, 0.1, m)
    m1 = rng.uniform(0.001, 0.01, m)
    return ChiralMedium(
        eps_inf=2.0,
        omega=tuple(rng.uniform(0.5, 2.0, m)),
        gamma=tuple(rng.uniform(0.005, 0.02, m)),
        e1=tuple(e1),
        mixed=tuple(0.5 * 2 * np.sqrt(e1 * m1)),
        m1=tuple(m1),
    )


def main() -> None:
    rows = []
    for n in (10_000, 200_000):
        w = np.linspace(0.998, 1.002, n)
        for a in ("chi_m", "chi_B"):
            med = cho_figure_medium(a)  # type: ignore[arg-type]
            t = best(lambda med=med, w=w: magnetic_resonance_response(med, w))
            rows.append((f"magnetic_resonance_response ({a})", n, 1, t))
    _chiral_sums_real(chiral_medium(2), np.linspace(0.1, 1, 10))  # numba compile/load
    for n, m in ((10_000, 10), (200_000, 10), (200_000, 100), (200_000, 1000)):
        med = chiral_medium(m)
        w = np.linspace(0.05, 3.0, n)
        rows.append(("chiral_response", n, m, best(lambda med=med, w=w: chiral_response(med, w))))
        rows.append(
            (
                "  resonance sums, numba kernel",
                n,
                m,
                best(lambda med=med, w=w: _chiral_sums_real(med, w)),
            )
        )
        if m <= 100:
            wc = w.astype(complex)
            rows.append(
                (
                    "  resonance sums, numpy loop",
                    n,
                    m,
                    best(lambda med=med, wc=wc: _chiral_sums(med, wc), repeat=1),
                )
            )
    print("| function | N points | M resonances | best time (ms) |")
    print("|---|---:|---:|---:|")
    for name, n, m, t in rows:
        print(f"| {name} | {n} | {m} | {t * 1e3:.1f} |")


if __name__ == "__main__":
    main()
