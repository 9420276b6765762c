"""Write every preset's figure to docs/figures/<preset>.png (``make figures``).

Each image is what ``GET /v1/presets/{name}/figure.png`` answers: the app is run in process (its
lifespan, the in-process cache, no sockets), so the committed images are the service's own.
docs/FIGURES.md shows them beside what the papers report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.main import create_app  # noqa: E402
from app.presets import all_presets  # noqa: E402
from app.settings import Settings  # noqa: E402


async def write_all(out: Path, fmt: str, names: list[str]) -> None:
    """Fetch each preset's figure from the app and write it under ``out``."""
    app = create_app(Settings(redis_url=None))
    out.mkdir(parents=True, exist_ok=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://figures", timeout=600
        ) as c:
            for name in names:
                t0 = time.perf_counter()
                r = await c.get(f"/v1/presets/{name}/figure.{fmt}")
                if r.status_code != 200:
                    raise SystemExit(f"{name}: {r.status_code} {r.text[:500]}")
                path = out / f"{name}.{fmt}"
                path.write_bytes(r.content)
                dt = time.perf_counter() - t0
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                print(f"{shown}  {len(r.content) / 1e3:.0f} kB  {dt:.1f} s")


def main() -> None:
    """Command line: ``python scripts/make_figures.py [--out DIR] [--format png|svg] [NAME ...]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="presets (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    ap.add_argument("--format", choices=("png", "svg"), default="png")
    args = ap.parse_args()
    names = args.names or list(all_presets())
    asyncio.run(write_all(args.out.resolve(), args.format, names))


if __name__ == "__main__":
    main()
