"""Benchmark: the oscillator-medium sums (W&B eq 21) and the /v1/oscillator/response endpoint.

python bench/bench_oscillators.py [--quick]

Times, per (frequency x transition) pair:
- naive:     one (N, M) complex broadcast (numpy), only where it fits in memory;
- numpy:     core's chunked numpy path (backend="numpy"), temporaries bounded by CHUNK_BYTES;
- core:      core.oscillators.evaluate (the numba kernel, parallel over frequencies);
- reference: a minimal compiled kernel of the same three sums written here (numba, real
             arithmetic, prange), the yardstick: the core should be within 2x of it.
Peak Python-tracked memory (tracemalloc) of the numpy path is reported too.
Then the endpoint: a cache miss and a cache hit at 10^4 and 2 x 10^5 frequencies.
"""

from __future__ import annotations

import asyncio
import sys
import time
import tracemalloc

import numba
import numpy as np

sys.path.insert(0, ".")

from core import oscillators as osc


@numba.njit(parallel=True, cache=True, fastmath={"reassoc", "contract", "arcp", "nsz"})
def reference(w, w0, g, e, m, q, out):  # type: ignore[no-untyped-def]
    """eps - 1 and the two magnetic sums of eq 21, real arithmetic, nothing else."""
    for i in numba.prange(w.shape[0]):
        x = w[i]
        x2 = x * x
        er = ei = mr = mi = qr = qi = 0.0
        for j in range(w0.shape[0]):
            a = w0[j] * w0[j] - x2
            b = 2.0 * x * g[j]
            inv = 1.0 / (a * a + b * b)
            ar = a * inv
            bi = b * inv
            er += e[j] * ar
            ei += e[j] * bi
            mr += m[j] * ar
            mi += m[j] * bi
            qr += q[j] * ar
            qi += q[j] * bi
        out[0, i] = er
        out[1, i] = ei
        out[2, i] = mr
        out[3, i] = mi
        out[4, i] = qr
        out[5, i] = qi


def medium(m: int) -> osc.OscillatorMedium:
    rng = np.random.default_rng(0)
    return osc.OscillatorMedium(
        omega=rng.uniform(0.5, 5, m),
        gamma=rng.uniform(0.01, 0.3, m),
        e_dip=rng.uniform(0, 2, m),
        m_dip=rng.uniform(0, 0.1, m),
        quad=rng.uniform(0, 0.05, m),
        dip_oct=rng.uniform(0, 0.05, m),
        dia=rng.uniform(0, 1, m),
    )


def best(f, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def naive(med: osc.OscillatorMedium, w: np.ndarray) -> np.ndarray:
    d = med.omega**2 - w[:, None] ** 2 - 2j * w[:, None] * med.gamma
    return 1 + (med.e_dip / d).sum(axis=1)


def core_table(n: int, ms: list[int]) -> list[str]:
    w = np.linspace(0, 6, n)
    rows = [
        "| N x M | naive ns/pair | numpy (chunked) ns/pair | numpy peak MB | core ns/pair | reference ns/pair | core / reference |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in ms:
        med = medium(m)
        pairs = n * m
        osc.evaluate(med, w[:100])  # compile / warm
        out = np.empty((6, n))
        reference(
            w[:100],
            med.omega,
            med.gamma,
            med.e_dip,
            med.m_dip,
            med.dip_oct - med.quad,
            out[:, :100],
        )
        nv = "-"
        if pairs * 16 * 3 < 2e9:
            nn = min(n, max(1, int(2e8 // (m * 16 * 3))))
            nv = f"{best(lambda: naive(med, w[:nn]), 2) / (nn * m) * 1e9:.2f}"
        nsub = min(n, max(1000, int(5e8 // m)))  # keep the numpy path to a few seconds
        tracemalloc.start()
        t_np = best(lambda: osc.evaluate(med, w[:nsub], backend="numpy"), 1) / (nsub * m)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        t_core = best(lambda: osc.evaluate(med, w)) / pairs
        t_ref = (
            best(
                lambda: reference(
                    w, med.omega, med.gamma, med.e_dip, med.m_dip, med.dip_oct - med.quad, out
                )
            )
            / pairs
        )
        rows.append(
            f"| {n:.0e} x {m} | {nv} | {t_np * 1e9:.2f} | {peak:.0f} | {t_core * 1e9:.3f} | "
            f"{t_ref * 1e9:.3f} | {t_core / t_ref:.2f} |"
        )
    return rows


async def endpoint_table() -> list[str]:
    import httpx

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(redis_url=None))
    rows = ["| grid points | miss ms | hit ms | response MB |", "|---|---|---|---|"]
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            from app.presets import all_presets

            body = dict(all_presets()["westerberg-barnett-fig2a"].body)
            for n in (10_000, 200_000):
                body["frequencies"] = {"start": 0.0, "stop": 50.0, "num": n}
                t = time.perf_counter()
                r1 = await c.post("/v1/oscillator/response", json=body)
                miss = time.perf_counter() - t
                t = time.perf_counter()
                r2 = await c.post("/v1/oscillator/response", json=body)
                hit = time.perf_counter() - t
                assert r1.headers["x-cache"] == "miss" and r2.headers["x-cache"] == "hit"
                rows.append(
                    f"| {n} | {miss * 1e3:.0f} | {hit * 1e3:.0f} | {len(r2.content) / 2**20:.1f} |"
                )
    return rows


def main() -> None:
    quick = "--quick" in sys.argv
    n = 100_000 if quick else 1_000_000
    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, numpy {np.__version__}\n")
    print("\n".join(core_table(n, [10, 100, 1000])))
    print()
    print("\n".join(asyncio.run(endpoint_table())))


if __name__ == "__main__":
    main()
