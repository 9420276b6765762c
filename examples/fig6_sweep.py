"""Duff & Sipe Fig. 6: the orbital susceptibilities chi_1 (eqs 70-73) and chi_2 (gauge
invariant, eqs 83-84) of the Haldane model against the next-neighbour hopping t2, from the
preset's eleven bodies (t = M = 3 eV).

    python examples/fig6_sweep.py [--base-url http://127.0.0.1:8000] [--out fig6.png]

With jobs (Redis and ``make worker``), the preset runs as one sweep (``POST /v1/sweeps``) on
every worker at once; without them, the script posts the eleven bodies one by one.

x = t2 sin(phi) / t_c with t_c = M / (3 sqrt 3): the gap closes at x = 1 (trivial for x < 1,
Chern insulator for x > 1). chi is normalised by chi_0 = |chi_1(t2 = 0)|, as in the figure.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import httpx
from matplotlib.figure import Figure

PRESET = "haldane-fig6-sweep"


def answers(client: httpx.Client, preset: dict) -> list[dict]:
    """The preset's answers' scalars: one sweep when the service runs jobs, else one POST each."""
    r = client.post("/v1/sweeps", json={"preset": PRESET})
    if r.status_code == 202:
        while (doc := client.get(f"/v1/sweeps/{r.json()['id']}").json())["status"] in (
            "queued",
            "running",
        ):
            time.sleep(1.0)
        return [pt["scalars"] for pt in doc["points"]]
    posts = [client.post(preset["endpoint"], json=b).raise_for_status() for b in preset["bodies"]]
    return [
        {f"/{k}/total": d[k]["total"] for k in ("chi_1", "chi_2")}
        | {"/chern_occupied": d["chern_occupied"]}
        for d in (p.json() for p in posts)
    ]


def main(client: httpx.Client, out: Path = Path("fig6.png")) -> list[dict[str, float]]:
    """Run the preset; print and plot chi_1/chi_0 and chi_2/chi_0 against x."""
    preset = client.get(f"/v1/presets/{PRESET}").raise_for_status().json()
    rows: list[dict[str, float]] = []
    for body, sc in zip(preset["bodies"], answers(client, preset), strict=True):
        m = body["model"]
        rows.append(
            {
                "x": m["t2"] * math.sin(m["phi"]) / (m["M"] / (3 * math.sqrt(3))),
                "chi_1": sc["/chi_1/total"],
                "chi_2": sc["/chi_2/total"],
                "chern": int(sc["/chern_occupied"]),
            }
        )
    chi0 = abs(rows[0]["chi_1"])
    print(f"{'x':>6} {'chi_1/chi_0':>12} {'chi_2/chi_0':>12} {'Chern':>6}")
    for r in rows:
        print(f"{r['x']:6.2f} {r['chi_1'] / chi0:12.4f} {r['chi_2'] / chi0:12.4f} {r['chern']:6d}")
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for name in ("chi_1", "chi_2"):
        ax.plot([r["x"] for r in rows], [r[name] / chi0 for r in rows], "o-", label=name)
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("t2 sin(phi) / t_c")
    ax.set_ylabel("chi / chi_0")
    ax.set_title(preset["title"])
    ax.legend()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("fig6.png"))
    args = parser.parse_args()
    with httpx.Client(base_url=args.base_url, timeout=300) as c:
        main(c, args.out)
