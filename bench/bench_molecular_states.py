"""Benchmark of core.quantum_chem (PySCF states for POST /v1/molecular/states): wall time and peak
memory per molecule, basis and method, every RPA state of the space.

Run: .venv/bin/python bench/bench_molecular_states.py [--large]
     (water and the benzene preset: about 40 s; --large adds benzene TDHF/aug-cc-pVDZ, about
     6 min and 3.5 GB)

Each case runs in a fresh process (spawn), so its peak resident memory (ru_maxrss) is its own;
one OpenMP thread (the service's default qc_threads). Prints a Markdown table: atoms, basis
functions, states, solver, time of the whole report (SCF, A and B, diagonalisation, moments about
two origins, checks) and peak memory. Results are recorded in bench/molecular-states.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WATER = "O 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692"


def _case(args: tuple[str, str, str, str | None], out: Any) -> None:
    from app.presets.molecular import BENZENE_XYZ
    from core import quantum_chem as qc

    name, basis, method, functional = args
    xyz = {"water": WATER, "benzene": BENZENE_XYZ}[name]
    calc = qc.Calculation(
        qc.Molecule.from_xyz(xyz), basis, method=cast(qc.Method, method), functional=functional
    )
    limits = qc.QCLimits(max_dense=6000, max_states=6000, time_limit_s=7200, memory_mb=8000)
    t0 = time.perf_counter()
    rep = qc.states_report(calc, limits, origin_shift=[0.0, 1.0, 0.0])
    dt = time.perf_counter() - t0
    sp = rep.results["excitation_space"]
    out.put(
        {
            "molecule": name,
            "atoms": calc.molecule.n_atoms,
            "basis": basis,
            "method": method + (f"/{functional}" if functional else ""),
            "n_basis": rep.results["scf"]["n_basis"],
            "states": sp["n_states"],
            "solver": sp["solver"],
            "time_s": dt,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "trk": rep.checks["thomas_reiche_kuhn"].value,
            "gauge": rep.checks["gauge_agreement"].value,
        }
    )


def run(case: tuple[str, str, str, str | None]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    q: Any = ctx.Queue()
    p = ctx.Process(target=_case, args=(case, q))
    p.start()
    res = q.get()
    p.join()
    return dict(res)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true", help="add benzene TDHF/aug-cc-pVDZ")
    args = ap.parse_args()
    cases: list[tuple[str, str, str, str | None]] = [
        ("water", "6-31g", "hf", None),
        ("water", "aug-cc-pvdz", "hf", None),
        ("water", "6-31g", "dft", "b3lyp"),
        ("benzene", "6-31+g", "hf", None),
    ]
    if args.large:
        cases.append(("benzene", "aug-cc-pvdz", "hf", None))
    print(
        "| molecule | basis | method | basis functions | states | solver | time (s) | peak "
        "memory (MB) | TRK residual | f_L vs f_V |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        r = run(c)
        print(
            f"| {r['molecule']} | {r['basis']} | {r['method']} | {r['n_basis']} | {r['states']} "
            f"| {r['solver']} | {r['time_s']:.1f} | {r['peak_mb']:.0f} | {r['trk']:.3f} "
            f"| {r['gauge']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
