"""Benzene's inverse permeability and permittivity (Anelli et al., Tables 2-5, Figs 1-3) from
PySCF states: the figure docs/figures/anelli-benzene-tdhf.png and the tables of docs/molecular.md.

    .venv/bin/python scripts/benzene_anelli.py                  # TDHF/aug-cc-pVDZ, ~6 min, 3.5 GB
    .venv/bin/python scripts/benzene_anelli.py --basis 6-31+g   # the preset's basis, ~25 s

The states (every RPA state of the basis) come from core.quantum_chem with the moments about the
centre of mass and recomputed about (0, 1, 0) bohr (the paper's shift along y); the constants from
core.molecular (eq 19 and eq 48 for X, eqs 16 and 45 for A with sigma along z), damping
0.005 hartree as in the paper. The tables give the magnetizabilities -X_mol (the sign the paper
tabulates, docs/molecular.md) and A_mol in atomic units. The states are cached in an .npz file
(``--cache``), so redrawing does not recompute them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.presets.molecular import ANELLI_TABLE_FREQUENCIES, BENZENE_XYZ  # noqa: E402
from core import molecular as mol  # noqa: E402
from core import quantum_chem as qc  # noqa: E402

SHIFT = np.array([0.0, 1.0, 0.0])
FIELDS = ("energies", "linewidths", "P", "Q", "O", "M", "Mq")


def _save(path: Path, st: mol.MolecularStates, shifted: mol.MolecularStates, v: Any) -> None:
    arrays: dict[str, Any] = {}
    for tag, s in (("o", st), ("d", shifted)):
        for f in FIELDS:
            arrays[f"{tag}_{f}"] = getattr(s, f)
        arrays[f"{tag}_r1"] = s.ground_first_moment
        arrays[f"{tag}_r2"] = s.ground_second_moment
    np.savez_compressed(path, velocity=v, n_electrons=st.n_electrons, **arrays)


def _load(path: Path) -> tuple[mol.MolecularStates, mol.MolecularStates, Any]:
    z = np.load(path)

    def one(tag: str) -> mol.MolecularStates:
        return mol.MolecularStates(
            **{f: z[f"{tag}_{f}"] for f in FIELDS},
            ground_first_moment=z[f"{tag}_r1"],
            ground_second_moment=z[f"{tag}_r2"],
            n_electrons=float(z["n_electrons"]),
        )

    return one("o"), one("d"), z["velocity"]


def states(args: argparse.Namespace) -> tuple[mol.MolecularStates, mol.MolecularStates, Any]:
    cache = Path(args.cache or f"/tmp/benzene-{args.method}-{args.basis}.npz")
    if cache.exists():
        return _load(cache)
    calc = qc.Calculation(
        qc.Molecule.from_xyz(BENZENE_XYZ).centered(),
        args.basis,
        method=args.method,
        functional=args.functional,
        linewidth=0.005,
    )
    limits = qc.QCLimits(max_dense=6000, max_states=6000, time_limit_s=7200, memory_mb=8000)
    t0 = time.perf_counter()
    base, shifted = qc.compute_pair(calc, SHIFT, limits)
    print(f"states: {base.states.size} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    _save(cache, base.states, shifted, base.velocity)
    return base.states, shifted, base.velocity


def sign_changes(w: np.ndarray, x: np.ndarray) -> list[float]:
    """Midpoints of the grid intervals where x changes sign (hartree)."""
    flips = np.flatnonzero(np.sign(x[1:]) * np.sign(x[:-1]) < 0)
    return [round(float(0.5 * (w[i] + w[i + 1])), 4) for i in flips]


def constants(st: mol.MolecularStates, w: np.ndarray) -> dict[str, np.ndarray]:
    """-X_mol (eq 19, eq 48) and A_mol (eqs 16, 45; sigma = z) diagonals, (F, 3) complex."""
    t = mol.molecular_tensors(st, w, max_states=st.size)
    sigma = (0.0, 0.0, 1.0)
    diag = lambda x: np.einsum("fii->fi", x)  # noqa: E731
    return {
        "X_RL": -diag(mol.raab_de_lange_inverse_permeability(t)),
        "X_A": diag(mol.covariant_tensors(t)["m"]),
        "A_RL": diag(mol.material_constants(t, "raab_de_lange", sigma).A),
        "A_A": diag(mol.material_constants(t, "covariant", sigma).A),
        "chi": diag(t.chi),
    }


def table(w: np.ndarray, c0: dict[str, np.ndarray], c1: dict[str, np.ndarray]) -> str:
    lines = []
    for q, comp, label in (
        ("X", 0, "-X_xx"),
        ("X", 2, "-X_zz"),
        ("A", 0, "A_xx"),
        ("A", 2, "A_zz"),
    ):
        lines.append(
            f"\n| w (E_h) | {label} RL (D=0) | RL (D_y=1) | A (D=0) | A (D_y=1) |\n|---|---|---|---|---|"
        )
        for i, wi in enumerate(w):
            row = [c0[f"{q}_RL"][i, comp], c1[f"{q}_RL"][i, comp]]
            row += [c0[f"{q}_A"][i, comp], c1[f"{q}_A"][i, comp]]
            lines.append(f"| {wi:.3f} | " + " | ".join(f"{v.real:.3f}" for v in row) + " |")
    return "\n".join(lines)


def figure(
    w: np.ndarray,
    c0: dict[str, np.ndarray],
    c1: dict[str, np.ndarray],
    st: mol.MolecularStates,
    out: Path,
    title: str,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f_len = (2.0 / 3.0) * st.energies * np.sum(np.abs(st.P) ** 2, axis=1)
    allowed = st.energies[(f_len > 1e-2) & (st.energies < w[-1])]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    panels = [
        (axes[0, 0], "X", 0, "-X_xx (magnetizability sign), a.u.", "Fig. 1 / Table 2"),
        (axes[0, 1], "X", 2, "-X_zz, a.u.", "Fig. 1 / Table 3"),
        (axes[1, 0], "A", 0, "A_xx, a.u.", "Fig. 3 / Table 4"),
        (axes[1, 1], "A", 2, "A_zz, a.u.", "Fig. 3 / Table 5"),
    ]
    for ax, q, comp, ylabel, ref in panels:
        ax.plot(w, c0[f"{q}_RL"][:, comp].real, color="C0", label="Raab-de Lange, D = 0")
        ax.plot(w, c1[f"{q}_RL"][:, comp].real, color="C0", ls=":", label="Raab-de Lange, D_y = 1")
        ax.plot(w, c0[f"{q}_A"][:, comp].real, color="C3", label="covariant (A), D = 0")
        ax.plot(w, c1[f"{q}_A"][:, comp].real, color="C3", ls=":", label="covariant (A), D_y = 1")
        for e in allowed:
            ax.axvline(e, color="0.7", lw=0.8, zorder=0)
        ax.set_ylabel(ylabel)
        ax.set_title(ref, fontsize=9)
        lo, hi = np.percentile(
            np.concatenate([c0[f"{q}_RL"][:, comp].real, c0[f"{q}_A"][:, comp].real]), [2, 98]
        )
        pad = 0.15 * (hi - lo)
        ax.set_ylim(lo - pad, hi + pad)
    for ax in axes[1]:
        ax.set_xlabel("field frequency w (hartree)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title + " (grey: transitions with f > 0.01)", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--basis", default="aug-cc-pvdz")
    ap.add_argument("--method", default="hf", choices=["hf", "dft"])
    ap.add_argument("--functional", default=None)
    ap.add_argument("--cache", default=None, help="npz file of the states (default under /tmp)")
    ap.add_argument("--out", default=str(ROOT / "docs/figures/anelli-benzene-tdhf.png"))
    ap.add_argument("--summary", default=None, help="write the numbers as JSON here")
    args = ap.parse_args()
    st, shifted, _ = states(args)
    w_tab = np.asarray(ANELLI_TABLE_FREQUENCIES)
    w_fig = np.linspace(0.001, 0.30, 600)
    c0, c1 = constants(st, w_tab), constants(shifted, w_tab)
    print(table(w_tab, c0, c1))
    f0, f1 = constants(st, w_fig), constants(shifted, w_fig)
    name = f"{args.method.upper()}{'/' + args.functional if args.functional else ''}/{args.basis}"
    figure(w_fig, f0, f1, st, Path(args.out), f"Benzene, TD{name}, every RPA state, gamma 0.005")
    f_len = (2.0 / 3.0) * st.energies * np.sum(np.abs(st.P) ** 2, axis=1)
    first = [(float(e), float(f)) for e, f in zip(st.energies[:12], f_len[:12], strict=True)]
    low = w_fig < 0.2
    summary = {
        "method": name,
        "n_states": st.size,
        "lowest_states_energy_f": first,
        "ratio_max_abs_RL_over_A_xx_zz": [
            float(np.max(np.abs(f0["X_RL"][:, i])) / np.max(np.abs(f0["X_A"][:, i])))
            for i in (0, 2)
        ],
        "sign_changes_re_minus_X_RL_zz": sign_changes(w_fig, f0["X_RL"][:, 2].real),
        "sign_changes_re_minus_X_A_zz": sign_changes(w_fig, f0["X_A"][:, 2].real),
        "sign_changes_re_minus_X_RL_xx": sign_changes(w_fig, f0["X_RL"][:, 0].real),
        "max_rel_origin_change_below_0.2": {
            k: float(np.max(np.abs(f1[k][low] - f0[k][low])) / np.max(np.abs(f0[k][low])))
            for k in ("X_RL", "X_A", "A_RL", "A_A", "chi")
        },
        "static": {k: [float(v.real) for v in c0[k][0]] for k in ("X_RL", "X_A", "A_RL", "A_A")},
    }
    text = json.dumps(summary, indent=1)
    print(text)
    if args.summary:
        Path(args.summary).write_text(text + "\n")


if __name__ == "__main__":
    main()
