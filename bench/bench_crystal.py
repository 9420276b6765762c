"""Benchmark: Haldane bands + Berry curvature + Chern number (400x400), chi_2 (800x800), PythTB.

Run: .venv/bin/python bench/bench_crystal.py
PythTB is compared only when a throwaway venv exists at /tmp/pythtb-venv (it is not a dependency):
    python -m venv /tmp/pythtb-venv && /tmp/pythtb-venv/bin/pip install pythtb numpy
Prints a Markdown table; timings are best of ``REPEAT`` runs after a warm-up (numba compile).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.crystal import bloch, geometry, susceptibility
from core.crystal.model import haldane

REPEAT = 3
PARAMS = {"t": 1.0, "t2": 0.15, "phi": 0.5 * np.pi, "M": 0.2}  # Chern phase, C = 1

PYTHTB_SCRIPT = r"""
import time, numpy as np
from pythtb import tb_model, wf_array
t, t2, phi, M = 1.0, 0.15, np.pi / 2, 0.2
s3 = np.sqrt(3.0)
lat = [[s3, 0.0], [s3 / 2, 1.5]]
orb = [[0.0, 0.0], [-1.0 / 3.0, 2.0 / 3.0]]  # (0,0) and (0, a) in reduced coordinates
m = tb_model(2, 2, lat, orb)
m.set_onsite([M, -M])
for R in ([0, 0], [0, -1], [1, -1]):
    m.set_hop(-t, 0, 1, R)
for R in ([-1, 1], [0, -1], [1, 0]):
    m.set_hop(t2 * np.exp(1j * phi), 0, 0, R)
    m.set_hop(t2 * np.exp(-1j * phi), 1, 1, R)
n = int(__import__("sys").argv[1])
best = 1e9
for _ in range(2):
    t0 = time.perf_counter()
    w = wf_array(m, [n + 1, n + 1])
    w.solve_on_grid([0.0, 0.0])
    c = w.berry_flux([0]) / (2 * np.pi)
    best = min(best, time.perf_counter() - t0)
print(f"{best:.4f} {c:.6f}")
"""


def best_of(fn, repeat: int = REPEAT) -> tuple[float, object]:
    out = None
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    m = haldane(**PARAMS)
    susceptibility.chi_2(haldane(1.0, 0.0, 0.0, 1.0), 8)  # warm-up (numba compile/cache)
    geometry.chern_fhs(m, 8)
    rows: list[tuple[str, str, str]] = []

    def bands() -> np.ndarray:
        k, _ = bloch.monkhorst_grid(m, 400)
        out = []
        for s in range(0, k.shape[0], bloch.CHUNK_POINTS):
            e, _ = bloch.eigh_batched(
                bloch.bloch_derivatives(m, k[s : s + bloch.CHUNK_POINTS], order=0).h
            )
            out.append(e)
        return np.concatenate(out)

    t, _ = best_of(bands)
    rows.append(("bands, 400x400 grid (closed-form 2x2)", f"{t:.3f}", "160000 k-points"))
    t, maps = best_of(lambda: geometry.geometry_maps(m, 400, shift=0.5))
    rows.append(
        (
            "Berry curvature + metric, 400x400 (Kubo)",
            f"{t:.3f}",
            f"int Omega/2pi = {maps.curvature_chern[0]:.4f}",
        )
    )
    t, ch = best_of(lambda: geometry.chern_fhs(m, 400))
    t_chern = t
    rows.append(
        ("Chern number FHS, 400x400", f"{t:.3f}", f"C = {ch.occupied} (raw {ch.occupied_raw:.6f})")
    )
    t, r = best_of(lambda: susceptibility.chi_2(m, 800))
    c0 = time.process_time()
    susceptibility.chi_2(m, 800)
    cpu = time.process_time() - c0
    rows.append(("chi_2, 800x800", f"{t:.3f}", f"chi = {r.chi:.6g} (natural units)"))
    rows.append(
        (
            "chi_2, 800x800: CPU seconds summed over threads",
            f"{cpu:.3f}",
            "wall on an idle 2-core ~ half",
        )
    )
    triv = haldane(1.0, 0.0, 0.0, 1.0)
    t, r2 = best_of(lambda: susceptibility.chi_2(triv, 800))
    rows.append(("chi_2, 800x800, t2 = 0, M = t", f"{t:.3f}", f"chi = {r2.chi:.8g}"))
    t, r1 = best_of(lambda: susceptibility.chi_1(triv, 400), repeat=1)
    rows.append(
        ("chi_1 (eqs 70-73, numpy), 400x400, t2 = 0, M = t", f"{t:.3f}", f"chi = {r1.chi:.8g}")
    )
    t, rh = best_of(
        lambda: susceptibility.chi_hofstadter(haldane(1.0, 0.1, 0.5 * np.pi, 2.0), qs=(24, 32)),
        repeat=1,
    )
    rows.append(
        ("supercell check (q = 24, 32), M = 2, t2 = 0.1", f"{t:.3f}", f"chi = {rh.chi:.6g}")
    )

    py = Path("/tmp/pythtb-venv/bin/python")
    ratio = "n/a"
    if py.exists():
        res = subprocess.run(
            [str(py), "-c", PYTHTB_SCRIPT, "400"],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "OMP_NUM_THREADS": "2"},
        )
        if res.returncode == 0:
            tp, cp = res.stdout.split()
            rows.append(("PythTB Chern number (wf_array.berry_flux), 400x400", tp, f"C = {cp}"))
            ratio = f"{float(tp) / t_chern:.0f}x"
        else:
            rows.append(("PythTB", "failed", res.stderr.strip().splitlines()[-1][:80]))
    print("| task | seconds | result |")
    print("|---|---|---|")
    for a, b, c in rows:
        print(f"| {a} | {b} | {c} |")
    print(f"\nChern-number speed-up over PythTB on the same grid: {ratio}")


if __name__ == "__main__":
    main()
