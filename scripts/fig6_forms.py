"""Duff & Sipe Fig. 6 with the paper's own formulas: the table and figure of docs/crystal-fig6.md.

For each t2 of the ``haldane-fig6-sweep`` preset (t = M = 3, phi = pi/2) it evaluates Ogata's
split (the paper's chi_1) in the paper's gauge and in the other one, eqs 83-84 (the paper's
chi_2), and the service's chi_1 and chi_2, normalised by chi_0 = |chi_1(t2 = 0)|; prints a
Markdown table and writes docs/figures/duff-sipe-fig6-forms.png.

    .venv/bin/python scripts/fig6_forms.py                # n = 300, convergence check at 600
    .venv/bin/python scripts/fig6_forms.py --n 90 --check-n 0 --out /tmp/f.png   # quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.presets.crystal import FIG6_RATIOS  # noqa: E402
from core.crystal import fig6_forms as f6  # noqa: E402
from core.crystal.bloch import bloch_derivatives, eigh_batched  # noqa: E402
from core.crystal.model import haldane, haldane_high_symmetry_points  # noqa: E402
from core.crystal.susceptibility import chi_2, gauge_orbitals  # noqa: E402

T = M = 3.0
PHI = 0.5 * np.pi
V = 1.5 * T  # Dirac velocity 3 t a / 2 (a = 1)


def vortex_term(ratio: float, orbitals: tuple[int, ...]) -> float:
    """Sum of q^2 v^2 / (8 pi |m_v|) over the valleys where the lower band's fixed component
    vanishes (the law found in docs/crystal-fig6.md; K and K' are where the vortices sit)."""
    t2 = ratio * M / (3.0 * np.sqrt(3.0))
    model = haldane(T, t2, PHI, M)
    pts = haldane_high_symmetry_points()
    out = 0.0
    for name, sign in (("K", -1.0), ("Kp", 1.0)):
        _, u = eigh_batched(bloch_derivatives(model, pts[name][None, :], order=0).h)
        if abs(u[0, orbitals[0], 0]) < 1e-8:
            out += V * V / (8.0 * np.pi * abs(M + sign * 3.0 * np.sqrt(3.0) * t2))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="k-grid per direction")
    ap.add_argument(
        "--check-n", type=int, default=600, help="finer grid for the convergence column (0: skip)"
    )
    ap.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "figures" / "duff-sipe-fig6-forms.png"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = [f6.fig6_row(r, args.n, t=T, M=M, phi=PHI) for r in FIG6_RATIOS]
    chi0 = abs(rows[0].chi1)
    paper_orb = tuple(int(o) for o in gauge_orbitals(haldane(T, 0.0, PHI, M)))
    other_orb = paper_orb[::-1]
    fine: dict[float, tuple[float, float, float]] = {}
    if args.check_n:
        for r in FIG6_RATIOS:
            model = haldane(T, r * M / (3.0 * np.sqrt(3.0)), PHI, M)
            f = f6.fig6_forms(model, args.check_n)
            fine[r] = (f.ogata_total, f.eq83, chi_2(model, args.check_n).chi)

    print(f"t = M = {T}, phi = pi/2, a = 1, grid {args.n} x {args.n} (shift 0.5); ", end="")
    print(f"chi_0 = |chi_1(t2 = 0)| = {chi0:.6g} e^2 a^2 t / hbar^2 x (t / 3)")
    head = (
        "| t2 sin(phi) / t_c | C | Ogata (paper's gauge) | eqs 83-84 | service chi_1 "
        "| service chi_2 | Ogata (other gauge) | (chi_1 - chi_2) | vortex term, paper / other "
        "| min modulus |"
    )
    print(head)
    print("|" + "---|" * 10)
    for row in rows:
        vp = vortex_term(row.ratio, paper_orb)
        vo = vortex_term(row.ratio, other_orb)
        print(
            f"| {row.ratio:.2f} | {row.chern:+d} | {row.ogata / chi0:+.4f} | {row.eq83 / chi0:+.4f} "
            f"| {row.chi1 / chi0:+.4f} | {row.chi2 / chi0:+.4f} | {row.ogata_other / chi0:+.4f} "
            f"| {(row.chi1 - row.chi2) / chi0:+.4f} | {vp / chi0:.4f} / {vo / chi0:.4f} "
            f"| {row.gauge_min_modulus:.3f} |"
        )
    if fine:
        worst = {}
        for i, name in enumerate(("Ogata", "eqs 83-84", "chi_2")):
            worst[name] = max(
                abs(fine[row.ratio][i] / (row.ogata, row.eq83, row.chi2)[i] - 1) for row in rows
            )
        print(
            f"\nlargest relative change {args.n} -> {args.check_n} points per direction: "
            + ", ".join(f"{k} {v:.1e}" for k, v in worst.items())
        )
    agree = max(abs(row.eq83 / row.chi2 - 1) for row in rows)
    same = max(abs(row.ogata / row.chi1 - 1) for row in rows)
    print(
        f"max |eqs 83-84 / chi_2 - 1| = {agree:.1e}; max |Ogata / service chi_1 - 1| = {same:.1e}"
    )
    print(f"({time.perf_counter() - t0:.0f} s)")
    plot(rows, chi0, paper_orb, other_orb, args.out, args.n)


def plot(
    rows: list[f6.Fig6Row],
    chi0: float,
    paper_orb: tuple[int, ...],
    other_orb: tuple[int, ...],
    out: Path,
    n: int,
) -> None:
    """Left: the four forms (and Ogata's in the other gauge); right: chi_1 - chi_2 and the
    vortex terms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.array([r.ratio for r in rows])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.6), constrained_layout=True)
    trivial = x < 1
    for sel in (trivial, ~trivial):
        ax.plot(x[sel], [r.chi2 / chi0 for r, s in zip(rows, sel, strict=True) if s], "k-", lw=2.5)
        ax.plot(x[sel], [r.eq83 / chi0 for r, s in zip(rows, sel, strict=True) if s], "y--", lw=1.5)
        ax.plot(x[sel], [r.chi1 / chi0 for r, s in zip(rows, sel, strict=True) if s], "C0-", lw=2.5)
        ax.plot(
            x[sel], [r.ogata / chi0 for r, s in zip(rows, sel, strict=True) if s], "C1--", lw=1.5
        )
        ax.plot(
            x[sel],
            [r.ogata_other / chi0 for r, s in zip(rows, sel, strict=True) if s],
            "C2:",
            lw=1.5,
        )
    for style, label in (
        ("k-", "service chi_2 (Green's function)"),
        ("y--", "eqs 83-84 as printed (chi_2)"),
        ("C0-", "service chi_1 (eqs 70-73)"),
        ("C1--", "Ogata's split, paper's gauge (chi_1)"),
        ("C2:", "Ogata's split, other gauge"),
    ):
        ax.plot([], [], style, label=label)
    ax.axvline(1.0, color="0.6", lw=0.8)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("t2 sin(phi) / t_c")
    ax.set_ylabel("chi / chi_0")
    ax.set_title(f"Duff & Sipe Fig. 6, t = M = 3, {n} x {n} k-points")
    ax.legend(fontsize=8, loc="lower left")
    vp = np.array([vortex_term(r.ratio, paper_orb) for r in rows]) / chi0
    vo = np.array([vortex_term(r.ratio, other_orb) for r in rows]) / chi0
    bx.semilogy(x, [(r.ogata - r.chi2) / chi0 for r in rows], "C1o", label="Ogata (paper's gauge)")
    bx.semilogy(
        x, [(r.ogata_other - r.chi2) / chi0 for r in rows], "C2s", label="Ogata (other gauge)"
    )
    for sel, lab in ((trivial, True), (~trivial, False)):
        for vals, style, text in (
            (vp, "C1-", "v^2/(8 pi |m_v|), paper's gauge"),
            (vo, "C2-", "sum v^2/(8 pi |m_v|), other gauge"),
        ):
            ok = sel & (vals > 0)
            bx.semilogy(x[ok], vals[ok], style, lw=0.8, label=text if lab else None)
    bx.axvline(1.0, color="0.6", lw=0.8)
    bx.set_ylim(0.1, 300.0)
    bx.set_xlabel("t2 sin(phi) / t_c")
    bx.set_ylabel("(chi_1 - chi_2) / chi_0  (below 0.1: equal)")
    bx.set_title("gauge dependence = vortex terms of the fixed component")
    bx.legend(fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
