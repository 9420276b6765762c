"""Benchmark: the representations of one big answer, side by side (JSON, NumPy .npz, CSV).

python bench/bench_formats.py [--points N]

The Fig. 2a oscillator response (/v1/oscillator/response, 10 complex/real arrays) on N = 2e5
frequencies by default, through the ASGI app (httpx, no sockets). The answer is computed once
(cache miss); each format is then asked for from the cache, so the times are the representation
itself: JSON splices the stored bytes, npz and CSV decode the stored JSON and encode in a worker
thread. Columns: bytes on the wire; server time, request to last byte, of the first request in
that format (decoded from the cached answer and encoded) and of a repeat (best of 3: the
representation is cached too, app/service.py); client decode time (best of 3: ``orjson.loads`` /
stdlib ``json.loads`` for JSON, ``numpy.load`` of every member for npz, ``numpy.loadtxt`` for
CSV). The last row is a zlib-compressed npz
(``numpy.savez_compressed`` of the same arrays), which we do *not* serve: it shows what
compression would save and cost.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, ".")

from app.presets import all_presets
from app.settings import Settings
from tests.app.conftest import running_client


def best(f: Callable[[], Any], repeat: int = 3) -> float:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


async def main(points: int) -> None:
    body = dict(all_presets()["westerberg-barnett-fig2a"].body)
    body["frequencies"] = {"start": 0.0, "stop": 4.0, "num": points}
    url = "/v1/oscillator/response"
    settings = Settings(redis_url=None, max_grid_points=max(points, 10**6), compute_timeout_s=600)
    async with running_client(settings) as c:
        t = time.perf_counter()
        r = await c.post(url, json=body)
        assert r.status_code == 200, r.text[:300]
        miss = time.perf_counter() - t
        out: dict[str, tuple[int, float, float, bytes]] = {}
        for fmt in ("json", "npz", "csv"):
            ts = []
            for _ in range(4):
                t = time.perf_counter()
                r = await c.post(url, params={"format": fmt}, json=body)
                ts.append(time.perf_counter() - t)
                assert r.status_code == 200 and r.headers["x-cache"] == "hit"
            # first: encoded from the cached answer; then the cached representation
            out[fmt] = (len(r.content), ts[0], min(ts[1:]), r.content)

    json_bytes, npz_bytes, csv_bytes = out["json"][3], out["npz"][3], out["csv"][3]

    def load_npz(b: bytes) -> None:
        z = np.load(io.BytesIO(b))
        for k in z.files:
            z[k]

    def load_csv() -> None:  # skiprows counts the # lines too, then the header row
        np.loadtxt(io.BytesIO(csv_bytes), delimiter=",", skiprows=_header_line(csv_bytes) + 1)

    z = np.load(io.BytesIO(npz_bytes))
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: z[k] for k in z.files})
    zipped = buf.getvalue()
    t_zip = best(lambda: np.savez_compressed(io.BytesIO(), **{k: z[k] for k in z.files}))
    t_npz_enc = best(lambda: np.savez(io.BytesIO(), **{k: z[k] for k in z.files}))

    rows = [
        (
            "JSON",
            out["json"],
            f"orjson {best(lambda: orjson.loads(json_bytes)) * 1e3:.0f} ms, "
            f"json {best(lambda: json.loads(json_bytes)) * 1e3:.0f} ms (lists, not arrays)",
        ),
        (
            "npz (served)",
            out["npz"],
            f"numpy.load {best(lambda: load_npz(npz_bytes)) * 1e3:.1f} ms (arrays, complex128)",
        ),
        ("CSV", out["csv"], f"numpy.loadtxt {best(load_csv, 1) * 1e3:.0f} ms"),
        (
            "npz, zlib (not served)",
            (len(zipped), None, None, b""),
            f"numpy.load {best(lambda: load_npz(zipped)) * 1e3:.1f} ms; encode "
            f"{t_zip * 1e3:.0f} ms vs {t_npz_enc * 1e3:.0f} ms uncompressed",
        ),
    ]
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}, "
        f"numpy {np.__version__}, load average {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(
        f"\n{points} frequencies, first request (cache miss, compute + JSON + cache): "
        f"{miss * 1e3:.0f} ms\n"
    )
    print("| format | MB | vs JSON | first from cached answer (ms) | repeat (ms) | client decode |")
    print("|---|---:|---:|---:|---:|---|")
    for name, (n, t1, t2, _), note in rows:
        a = "-" if t1 is None else f"{t1 * 1e3:.0f}"
        b = "-" if t2 is None else f"{t2 * 1e3:.0f}"
        print(f"| {name} | {n / 1e6:.1f} | {n / out['json'][0]:.2f} | {a} | {b} | {note} |")


def _header_line(b: bytes) -> int:
    """Index of the header row (the first line that is not a # comment)."""
    for i, line in enumerate(b.split(b"\n")):
        if not line.startswith(b"#"):
            return i
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=200_000)
    asyncio.run(main(ap.parse_args().points))
