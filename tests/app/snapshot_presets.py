"""Write the behaviour snapshot of every preset body: ``python -m tests.app.snapshot_presets``
(``--new``: only add the preset bodies the snapshot does not hold yet, leaving the others as
they are: how a new preset joins the snapshot; ``--refresh CASE...``: recompute only those cases,
for a deliberate change that moves them, said in the commit message).

Each preset body (a sweep's every body) is POSTed to its endpoint in-process and the JSON answer
is stored, gzip-compressed, in ``tests/app/snapshots/presets.json.gz``. The snapshot was taken before
the checks moved into core reports (issue "Physics reports from core/"); test_preset_snapshots.py
compares every number of today's answers with it to 1e-12 relative. Regenerate only for a
deliberate change of physics, and say so in the commit message.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

from app.presets import all_presets
from app.settings import Settings
from tests.app.conftest import running_client

SNAPSHOT = Path(__file__).parent / "snapshots" / "presets.json.gz"

#: Presets whose computation takes many seconds (the 800 x 800 Fig. 5 response; benzene's
#: Hartree-Fock/RPA states): computed once per session (the snapshot, the preset checks and the
#: response models read that answer) and by the warm-up test; the other loops over presets
#: skip them, their endpoints being covered by lighter presets and by their own tests.
HEAVY_PRESETS: frozenset[str] = frozenset({"duff-sipe-fig5", "anelli-benzene-states"})

#: meta fields that differ between two runs of the same request.
VOLATILE_META = ("cache", "elapsed_ms")


def preset_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    """(case id, endpoint, body) of every preset body; sweeps give ``name[i]`` per body."""
    out = []
    for name, p in all_presets().items():
        bodies = p.bodies or [p.body]
        for i, body in enumerate(bodies):
            case = name if not p.bodies else f"{name}[{i}]"
            out.append((case, p.endpoint, body))
    return out


async def answers_of_every_preset() -> dict[str, dict[str, Any]]:
    """Today's JSON answer to every preset body (one in-process app), by case id."""
    out: dict[str, dict[str, Any]] = {}
    async with running_client(Settings(redis_url=None, compute_timeout_s=600)) as c:
        for case, endpoint, body in preset_bodies():
            r = await c.post(endpoint, json=body)
            assert r.status_code == 200, (case, r.status_code, r.text[:400])
            out[case] = r.json()
    return out


async def _collect(skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with running_client(Settings(redis_url=None, compute_timeout_s=600)) as c:
        for case, endpoint, body in preset_bodies():
            if case in skip:
                continue
            r = await c.post(endpoint, json=body)
            assert r.status_code == 200, (case, r.status_code, r.text[:400])
            doc = r.json()
            for k in VOLATILE_META:
                doc["meta"].pop(k, None)
            out[case] = {"endpoint": endpoint, "response": doc}
    return out


def main() -> None:
    import sys

    data: dict[str, Any] = {}
    args = sys.argv[1:]
    if "--new" in args or "--refresh" in args:
        with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as f:
            data = json.load(f)
    if "--refresh" in args:  # --refresh CASE...: recompute these cases (say why in the commit)
        for case in args[args.index("--refresh") + 1 :]:
            if case not in data:
                raise SystemExit(f"no case {case!r} in the snapshot")
            del data[case]
    data.update(asyncio.run(_collect(frozenset(data))))
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(SNAPSHOT, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(data, f, sort_keys=True)
    print(f"{len(data)} preset bodies -> {SNAPSHOT} ({SNAPSHOT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
