"""A measured-style spectrum through Kramers-Kronig and back.

    python examples/measured_csv_kk.py [--base-url http://127.0.0.1:8000] [--out-dir .]

Writes ``measured.csv`` (a Lorentz oscillator eps = 1 + w_p^2 / (w_0^2 - w^2 - i gamma w) with 0.1 %
noise, as a lab would record it: columns ``frequency,eps1,eps2``, frequencies in units of w_0),
posts the file unchanged to ``/v1/causality/kramers-kronig`` (Westerberg & Barnett eqs 5-7), and
writes the answer as ``kk.csv``: eps1 rebuilt from eps2 (eq 6), eps2 rebuilt from eps1 (eq 5),
with the checks as ``#`` lines. Prints the consistency verdict and the f-sum against its exact
value (pi/2) w_p^2.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import httpx
import numpy as np

W0, WP, GAMMA = 1.0, 1.0, 0.2  # resonance, plasma frequency, damping [w_0]
RTOL = 0.02  # consistency tolerance relative to max|eps - 1|: the noise is 0.1 % of it


def write_measurement(path: Path, seed: int = 0) -> None:
    """Lorentz eps on 0..20 w_0 (801 points) with multiplicative noise, as ``frequency,eps1,eps2``."""
    rng = np.random.default_rng(seed)
    w = np.linspace(0.0, 20.0, 801)
    eps = 1 + WP**2 / (W0**2 - w**2 - 1j * GAMMA * w)
    noisy = 1 + (eps - 1) * (1 + 1e-3 * rng.standard_normal(w.size))
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["frequency", "eps1", "eps2"])
        out.writerows(zip(w, noisy.real, noisy.imag, strict=True))


def main(client: httpx.Client, out_dir: Path = Path(".")) -> dict[str, bool | None]:
    """Write measured.csv, send it through KK, write kk.csv; return the verdicts."""
    measured, result = out_dir / "measured.csv", out_dir / "kk.csv"
    write_measurement(measured)
    url = "/v1/causality/kramers-kronig"
    params = {"quantity": "epsilon", "high_frequency_value": 1, "rtol": RTOL}
    headers = {"content-type": "text/csv"}
    answer = client.post(url, params=params, content=measured.read_bytes(), headers=headers)
    data = answer.raise_for_status().json()
    table = client.post(
        url, params={**params, "format": "csv"}, content=measured.read_bytes(), headers=headers
    ).raise_for_status()
    result.write_text(table.text)
    checks = data["meta"]["checks"]
    kk = checks["kramers_kronig"]
    print(
        f"Kramers-Kronig consistency: {'consistent' if kk['verdict'] else 'NOT consistent'} "
        f"({kk['kind']}): largest |eps_kk - eps_measured| = {kk['value']:.3g}, allowed "
        f"{kk['tolerance']} x max|eps - 1| = {RTOL * WP**2 / (GAMMA * W0):.3g} plus the error estimates"
    )
    print(
        f"f-sum int w eps2 dw = {data['f_sum']['value']:.4f} (exact (pi/2) w_p^2 = "
        f"{math.pi / 2 * WP**2:.4f})"
    )
    for warning in data["meta"]["warnings"]:
        print("warning:", warning)
    print(f"wrote {measured} and {result}")
    return {k: c["verdict"] for k, c in checks.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out-dir", type=Path, default=Path("."))
    args = parser.parse_args()
    with httpx.Client(base_url=args.base_url, timeout=120) as c:
        main(c, args.out_dir)
