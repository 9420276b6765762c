"""Benchmark and tolerance table of core.molecular on the displaced box molecule.

Run: .venv/bin/python bench/bench_molecular.py   (about 30 s on the 2-core sandbox)

Prints two Markdown tables:

1. origin dependence (max relative change over a 60-point scan through the box resonances,
   0.05-4 hartree, linewidth 0.02 hartree, sigma = z) of A and X in the three definitions under a
   1 bohr and a 10 bohr shift along y, against the basis size n_max per axis, with the TRK
   residual of the basis (what the shift test is limited by);
2. wall time of the Table-1 tensors, the constants of all three definitions and the wave-equation
   solve, against basis size and grid size.
"""

from __future__ import annotations

import time

import numpy as np

from core import molecular as mol
from core.molecular_box import BoxMolecule, box_molecular_states

LENGTHS = (2.0, 2.9, 3.7)
CENTER = (1.5, -0.8, 2.2)


def tolerance_table() -> None:
    w = np.linspace(0.05, 4.0, 60)
    print(
        "| n_max | states | TRK residual | shift | A mult. | A RL | A cov | X mult. | X RL | X cov |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in (4, 6, 8, 12, 16, 20):
        box = BoxMolecule(LENGTHS, CENTER, (n, n, n), 0.02)
        s0 = box_molecular_states(box)
        t0 = mol.molecular_tensors(s0, w)
        trk = float(np.max(np.abs(2 * s0.energies[:, None] * np.abs(s0.P) ** 2).sum(0) - 1))
        for dist in (1.0, 10.0):
            t1 = mol.molecular_tensors(box_molecular_states(box, (0, dist, 0)), w)
            rep = mol.origin_report(t0, t1, (0, 0, 1))
            cells = [
                f"{rep[d][q]['relative_change']:.1e}"
                for q in ("A", "X")
                for d in ("multipole", "raab_de_lange", "covariant")
            ]
            print(f"| {n} | {box.size - 1} | {trk:.1e} | {dist:g} | " + " | ".join(cells) + " |")


def timing_table() -> None:
    print()
    print("| n_max | states | F | tensors (ms) | constants x3 (ms) | wave eq. x3 (ms) |")
    print("|---|---|---|---|---|---|")
    for n, f in ((6, 100), (6, 1000), (12, 100), (12, 1000), (16, 1000)):
        box = BoxMolecule(LENGTHS, CENTER, (n, n, n), 0.02)
        st = box_molecular_states(box)
        w = np.linspace(0.05, 4.0, f)
        t_a = time.perf_counter()
        t = mol.molecular_tensors(st, w)
        t_b = time.perf_counter()
        for d in mol.DEFINITIONS:
            mol.material_constants(t, d, (0, 0, 1))
        t_c = time.perf_counter()
        for d in mol.DEFINITIONS:
            mol.refractive_index(t, d, (0.2, 0.3, 1.0), mol.LOSCHMIDT_AU)
        t_d = time.perf_counter()
        print(
            f"| {n} | {box.size - 1} | {f} | {1e3 * (t_b - t_a):.0f} | {1e3 * (t_c - t_b):.0f} | "
            f"{1e3 * (t_d - t_c):.0f} |"
        )


if __name__ == "__main__":
    tolerance_table()
    timing_table()
