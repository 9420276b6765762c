"""Benchmark: sigma_L^xzy(w) of the Fig. 5 preset (Haldane t = M = 3 eV, t2 = 0, 0+ = 0.1 eV).

Run: .venv/bin/python bench/bench_crystal_response.py [--quick]
Times :func:`core.crystal.response.q2_conductivity` (the kernel) and the whole report (the kernel
plus chi_2, the half grid for the convergence check and the static/parity points), after a
warm-up call (numba compile, cached on disk). Prints a Markdown table: the Fig. 5 case
(800 x 800 k-points, 200 photon energies) and the scaling in k-points and in frequencies at
smaller sizes. Timings are best of ``REPEAT``; on a shared machine they vary with the load.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.crystal import response
from core.crystal.model import haldane
from core.crystal.response_report import q2_conductivity_report

REPEAT = 2
MODEL = haldane(t=3.0, t2=0.0, M=3.0, a=1.45)


def best(f) -> float:
    out = np.inf
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t0)
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    response.q2_conductivity(MODEL, 8, np.linspace(0, 12, 4), eta=0.1)  # compile
    rows = []
    w200 = np.linspace(0.0, 12.0, 200)
    for n in (100, 200, 400) if quick else (100, 200, 400, 800):
        t = best(lambda n=n: response.q2_conductivity(MODEL, n, w200, eta=0.1))
        rows.append((f"{n}x{n}", 200, t, t / (n * n * 200) * 1e9))
    for nw in (1, 50, 100, 200, 400):
        t = best(
            lambda nw=nw: response.q2_conductivity(
                MODEL, 200, w200[:nw] if nw <= 200 else np.linspace(0, 12, nw), eta=0.1
            )
        )
        rows.append(("200x200", nw, t, t / (200 * 200 * nw) * 1e9))
    if not quick:
        t = best(lambda: q2_conductivity_report(MODEL, (800, 800), w200, 0.1))
        rows.append(("report 800x800", 200, t, t / (800 * 800 * 200) * 1e9))
    print("| case | frequencies | time [s] | ns per (k-point x frequency) |")
    print("|---|---|---|---|")
    for case, nw, t, per in rows:
        print(f"| {case} | {nw} | {t:.2f} | {per:.2f} |")


if __name__ == "__main__":
    main()
