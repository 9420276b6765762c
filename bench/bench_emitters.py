"""Benchmark: first-principles strengths of the particle-in-a-box emitter (core/emitters).

Run: python bench/bench_emitters.py  (about 20 s). Prints Markdown tables:

1. moments (B21-B24, closed-form 1D elements, outer products) and strengths (rank-4 tensors
   B41-B44, isotropic average B52, B57-B61) for n_max = 6, 10, 20, 30 (n_max^3 - 1 states);
2. the full pipeline of one request (moments, strengths, merge, converged Van Vleck reference,
   passivity scan through the eq-21 kernel), warm;
3. the convergence table of the Fig. 2b box (docs/emitters.md quotes it).

Timings are the best of 3 (after one warm-up call, which also loads the numba kernel).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from core.emitters import EmitterParams, box_convergence, box_emitter, box_reference
from core.emitters.box import box_moments
from core.emitters.strengths import transition_strengths

L = [0.2 / (2 * np.pi), 0.4 / (2 * np.pi), 0.2 / (2 * np.pi)]
P = EmitterParams(mass=500.0, charge=1 / np.sqrt(32), density=16000.0, linewidth=0.15)


def best(f: Callable[[], object], repeat: int = 3) -> float:
    f()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    print("## Moments and strengths (box, Fig. 2b geometry)\n")
    print("| n_max | states | moments (ms) | strengths (ms) | total (ms) | us / state |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (6, 10, 20, 30):
        mo = box_moments(L, P.mass, n)
        tm = best(lambda: box_moments(L, P.mass, n))
        ts = best(lambda: transition_strengths(mo, P))
        tot = tm + ts
        print(
            f"| {n} | {mo.size} | {tm * 1e3:.1f} | {ts * 1e3:.1f} | {tot * 1e3:.1f} | "
            f"{tot / mo.size * 1e6:.1f} |"
        )

    print("\n## Full request pipeline (warm)\n")
    print("| n_max | transitions after merge | reference (ms) | box_emitter (ms) |")
    print("|---:|---:|---:|---:|")
    for n in (6, 20):
        tr = best(lambda: box_reference(L, P))
        res = box_emitter(L, P, n)
        tf = best(lambda: box_emitter(L, P, n))
        print(f"| {n} | {res.strengths.size} | {tr * 1e3:.1f} | {tf * 1e3:.1f} |")

    print("\n## Convergence with n_max (Fig. 2b box, w_p = 1)\n")
    rows = box_convergence(L, P, [2, 4, 6, 8, 12, 16, 20, 24, 30])
    ref = rows[0]["chi_static_reference"]
    print(f"Reference chi(0) = Langevin + Van Vleck = {ref:.10e}\n")
    print(
        "| n_max | states | 1 - sum D_edip / w_p^2 | eq 26 residual | chi(0) | "
        "chi(0) - ref | -sum D_dia/w^2 vs Langevin | mu(0) | eq 25 violations |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        dia_rel = r["chi_dia_strengths"] / r["chi_langevin"] - 1  # type: ignore[operator]
        print(
            f"| {r['n_max']} | {r['states']} | {r['trk_residual']:.3e} | "
            f"{r['sum_rule_residual']:.3e} | {r['chi_static']:.6e} | "
            f"{r['chi_static_error']:.3e} | {dia_rel:.3e} | {r['mu_static']:.9f} | "
            f"{r['multipole_ordering_violations']} |"
        )


if __name__ == "__main__":
    main()
