"""Westerberg & Barnett Fig. 2a from its preset: eps(w) and mu(w) of the multipole oscillator
medium, drawn with matplotlib to a PNG file.

    python examples/fig2a_plot.py [--base-url http://127.0.0.1:8000] [--out fig2a.png]

Frequencies are in units of the plasma frequency w_p (the preset's ``model`` unit, c = 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
from matplotlib.figure import Figure


def main(client: httpx.Client, out: Path = Path("fig2a.png")) -> dict[str, bool | None]:
    """Fetch the preset, POST it, plot Re/Im eps and mu; return the verdicts of ``meta.checks``."""
    preset = client.get("/v1/presets/westerberg-barnett-fig2a").raise_for_status().json()
    data = client.post(preset["endpoint"], json=preset["body"]).raise_for_status().json()
    fig = Figure(figsize=(6, 6))
    axes = fig.subplots(2, 1, sharex=True)
    for ax, name, symbol in zip(axes, ("epsilon", "mu"), ("eps", "mu"), strict=True):
        ax.plot(data["frequencies"], data[name]["real"], label=f"Re {symbol}")
        ax.plot(data["frequencies"], data[name]["imag"], "--", label=f"Im {symbol}")
        ax.set_ylabel(symbol)
        ax.legend()
    axes[0].set_title(preset["title"])
    axes[1].set_xlabel("w / w_p")
    fig.savefig(out, dpi=120)
    verdicts = {k: c["verdict"] for k, c in data["meta"]["checks"].items()}
    print(f"wrote {out}; checks: {verdicts}")
    return verdicts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("fig2a.png"))
    args = parser.parse_args()
    with httpx.Client(base_url=args.base_url, timeout=120) as c:
        main(c, args.out)
