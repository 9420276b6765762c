"""The three ways the service is started agree: ``make run``, the Dockerfile's CMD and compose's
command use the server settings measured in bench/README.md ("Hit path"), the graceful-shutdown
timeout fits inside compose's stop grace period, and the image compiles the numba kernels at
build time (app/warmup.py). Docker is not needed: the files are read as text."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: The options bench/bench_hitpath.py measured and recommends (its SERVER_OPTS).
SERVER_OPTS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")
#: Seconds ``ComputePool.close`` waits for its workers after uvicorn's graceful shutdown.
POOL_CLOSE_S = 5


def _uvicorn_args(command: str) -> list[str]:
    """The arguments after ``uvicorn`` in a shell command line (the last uvicorn call in it)."""
    words = shlex.split(command.replace("\\\n", " "))
    at = max(i for i, w in enumerate(words) if w.endswith("uvicorn"))
    return words[at + 1 :]


def _grace(args: list[str]) -> int:
    return int(args[args.index("--timeout-graceful-shutdown") + 1])


def _has_opts(args: list[str]) -> bool:
    pairs = [tuple(SERVER_OPTS[i : i + 2]) for i in (0, 2)]
    return all(any(tuple(args[j : j + 2]) == p for j in range(len(args) - 1)) for p in pairs) and (
        "--no-access-log" in args
    )


def _make_run() -> list[str]:
    out = subprocess.run(
        ["make", "-n", "-s", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return _uvicorn_args(out.replace("$workers", "1"))


def _dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])\s*$", text, re.M)
    assert cmd, "the Dockerfile has an exec-form CMD"
    words = yaml.safe_load(cmd.group(1))
    return _uvicorn_args(words[-1] if words[0] == "sh" else shlex.join(words))


def _compose_app() -> dict[str, object]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app: dict[str, object] = doc["services"]["app"]
    return app


def test_make_run_dockerfile_and_compose_use_the_measured_server_settings() -> None:
    compose_cmd = _compose_app()["command"]
    assert isinstance(compose_cmd, list)
    starts = {
        "make run": _make_run(),
        "Dockerfile CMD": _dockerfile_cmd(),
        "compose command": _uvicorn_args(str(compose_cmd[-1]).replace("$$", "$")),
    }
    for name, args in starts.items():
        assert args[0] == "app.main:app", name
        assert _has_opts(args), (name, args)
    assert len({_grace(a) for a in starts.values()}) == 1, starts


def test_graceful_shutdown_fits_in_the_container_stop_grace_period() -> None:
    grace = _grace(_dockerfile_cmd())
    period = str(_compose_app()["stop_grace_period"])
    m = re.fullmatch(r"(\d+)s", period)
    assert m, period
    # SIGTERM -> uvicorn drains for `grace` s -> the lifespan stops the pool -> exit, all before
    # compose's SIGKILL
    assert int(m.group(1)) > grace + POOL_CLOSE_S
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^STOPSIGNAL SIGTERM$", text, re.M)
    assert "exec uvicorn" in text  # uvicorn is PID 1 and gets the signal itself


def test_the_image_compiles_the_kernels_at_build_time_into_its_numba_cache() -> None:
    text = (ROOT / "Dockerfile").read_text()
    cache = re.search(r"NUMBA_CACHE_DIR=(\S+)", text)
    assert cache and not cache.group(1).startswith("/tmp"), "a cache inside the image"
    user = text.index("\nUSER ")
    warm = text.index("from app.warmup import warm_up")
    assert user < warm, "compiled as the user that runs the service (it owns the cache)"


def test_the_server_options_packages_are_pinned() -> None:
    pins = (ROOT / "requirements.lock").read_text().lower().split()
    for pkg in ("uvloop", "httptools"):
        assert any(p.startswith(f"{pkg}==") for p in pins), f"{pkg} is not in requirements.lock"
