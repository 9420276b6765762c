"""The three ways the service is started agree: ``make run``, the Dockerfile's CMD and compose's
command use the server settings measured in bench/README.md ("Hit path"), the graceful-shutdown
timeout fits inside compose's stop grace period, and the image compiles the numba kernels at
build time (app/warmup.py).

Scaling out (docker-compose.yml, deploy/nginx.conf): only the proxy is published; it re-resolves
the app's replicas through Docker's DNS, refuses exactly the bodies the app refuses and waits
longer than the app's own time limit; the queue Redis persists (AOF) and never evicts, the cache
Redis keeps nothing; app and worker run one image. Docker is not needed: the files are read as
text."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.fairuse import parse_networks
from app.settings import Settings

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


# --- scaling out: proxy, replicas, workers, the two Redis roles ----------------------------

NGINX = ROOT / "deploy" / "nginx.conf"


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return doc


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _seconds(period: str) -> float:
    """A compose duration (``40s``, ``1m30s``) or an nginx time (``150s``, ``2m``, ``150``)."""
    units = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|)", period.strip())
    assert parts and "".join(a + u for a, u in parts) == period.strip(), period
    return sum(float(a) * units[u] for a, u in parts)


def _nginx_bytes(size: str) -> int:
    """An nginx size: bytes, or k/m/g (powers of 1024)."""
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", size.strip())
    assert m, size
    return int(m.group(1)) * 1024 ** " kmg".index((m.group(2) or " ").lower())


def _flags(command: list[str]) -> dict[str, str]:
    """``redis-server --name value ...`` as {name: value}."""
    assert command[0] == "redis-server", command
    args = command[1:]
    assert len(args) % 2 == 0 and all(a.startswith("--") for a in args[::2]), args
    return {k[2:]: v for k, v in zip(args[::2], args[1::2], strict=True)}


def _interpolated_default(value: object) -> str:
    """The value compose uses when the variable is unset: ``${NAME:-default}`` -> default."""
    m = re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(value))
    return m.group(1) if m else str(value)


def _exec_words(command: list[str]) -> list[str]:
    """The program a container runs: the words after the last ``exec`` of an ``sh -c``."""
    if command[:2] != ["sh", "-c"]:
        return command
    words = shlex.split(command[2].replace("$$", "$"))
    return words[max(i for i, w in enumerate(words) if w == "exec") + 1 :]


def _nginx_directives() -> list[tuple[str, str]]:
    """``(name, arguments)`` of every directive of deploy/nginx.conf, in order (blocks flattened;
    quoted arguments kept with their quotes)."""
    text = re.sub(r"(?m)^\s*#.*$", "", NGINX.read_text())
    out = []
    for stmt in re.findall(
        r"([a-z_0-9]+)((?:\s+(?:'[^']*'|\"[^\"]*\"|[^\s;{}'\"]+))*)\s*[;{]", text
    ):
        out.append((stmt[0], stmt[1].strip()))
    return out


def _directive(name: str) -> list[str]:
    return [args for n, args in _nginx_directives() if n == name]


@pytest.fixture
def compose_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings of an app replica as compose starts it (its environment, nothing else)."""
    for var in list(os.environ):
        if var.startswith("SUSC_") or var in ("REDIS_URL", "JOBS_REDIS_URL", "CACHE_TTL_S"):
            monkeypatch.delenv(var)
    for var, value in _services()["app"]["environment"].items():
        monkeypatch.setenv(var, str(value))
    return Settings()


def test_the_proxy_is_the_only_published_service() -> None:
    services = _services()
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"proxy"}, published
    assert not any(svc.get("network_mode") == "host" for svc in services.values())
    (port,) = services["proxy"]["ports"]
    published, _, target = str(port).rpartition(":")
    assert published.startswith("127.0.0.1:"), "published on the loopback interface only"
    assert _directive("listen") == [target], "nginx listens on the published container port"
    volumes = services["proxy"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in volumes


def test_app_and_worker_replicas_scale_from_the_environment_default_two() -> None:
    services = _services()
    for name, var in (("app", "APP_REPLICAS"), ("worker", "WORKER_REPLICAS")):
        replicas = services[name]["deploy"]["replicas"]
        assert str(replicas).startswith("${" + var + ":-"), replicas
        assert _interpolated_default(replicas) == "2"
        # a fixed container name or host port would allow one container only
        assert "container_name" not in services[name] and "ports" not in services[name]


def test_nginx_re_resolves_the_app_replicas_through_docker_dns() -> None:
    (resolver,) = _directive("resolver")
    words = resolver.split()
    assert words[0] == "127.0.0.11", "Docker's embedded DNS"
    valid = [w for w in words if w.startswith("valid=")]
    assert valid and _seconds(valid[0].removeprefix("valid=")) <= 30
    # a name written in proxy_pass is resolved once at start; one in a variable is re-resolved
    assert not _directive("upstream"), "an upstream block resolves its servers once"
    (target,) = _directive("proxy_pass")
    assert re.fullmatch(r"\$\w+", target), target
    sets = {a.split()[0]: a.split()[1] for a in _directive("set")}
    url = sets[target]
    m = re.fullmatch(r"http://([a-z0-9_-]+):(\d+)", url)
    assert m, url
    assert m.group(1) in _services()
    app_args = _uvicorn_args(shlex.join(_exec_words(_services()["app"]["command"])))
    assert app_args[app_args.index("--port") + 1] == m.group(2)


def test_nginx_refuses_exactly_the_bodies_the_app_refuses(compose_settings: Settings) -> None:
    (size,) = _directive("client_max_body_size")
    assert _nginx_bytes(size) == compose_settings.max_body_bytes
    # nginx's own 413 carries the app's problem document (app/limits.py BodySizeLimit)
    error_pages = [a.split() for a in _directive("error_page")]
    assert any(p[0] == "413" for p in error_pages), error_pages
    returns = [a for a in _directive("return") if a.startswith("413 ")]
    assert len(returns) == 1, returns
    doc = json.loads(returns[0].removeprefix("413 ").strip("'"))
    assert doc["status"] == 413 and doc["limit_name"] == "max_body_bytes"
    assert doc["limit"] == compose_settings.max_body_bytes
    assert doc["type"].endswith(":limit-exceeded") and doc["errors"][0]["fix"]
    assert _directive("default_type") == ["application/problem+json"]


def test_nginx_waits_longer_than_the_app_time_limit(compose_settings: Settings) -> None:
    for name in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = _directive(name)
        assert _seconds(value) > compose_settings.compute_timeout_s, (name, value)


def test_the_app_believes_x_forwarded_for_from_the_proxy_alone(
    compose_settings: Settings,
) -> None:
    headers = {a.split()[0].lower(): a.split()[1] for a in _directive("proxy_set_header")}
    # the edge proxy replaces a client's X-Forwarded-For with the address it sees
    assert headers["x-forwarded-for"] == "$remote_addr"
    proxy_ip = ipaddress.ip_address(_services()["proxy"]["networks"]["default"]["ipv4_address"])
    (subnet,) = (c["subnet"] for c in _compose()["networks"]["default"]["ipam"]["config"])
    network = ipaddress.ip_network(subnet)
    assert proxy_ip in network
    trusted = parse_networks(compose_settings.trusted_proxies)
    assert any(proxy_ip in n for n in trusted)
    # nothing else on the network: not the gateway (published-port connections arrive from it)
    others = [ip for ip in network.hosts() if ip != proxy_ip]
    assert not any(ip in n for n in trusted for ip in others)


def test_the_queue_redis_persists_every_second_and_never_evicts() -> None:
    services = _services()
    queue = services["queue"]
    assert queue["image"].startswith("redis:7")
    flags = _flags(queue["command"])
    assert flags["appendonly"] == "yes"
    assert flags["appendfsync"] in ("everysec", "always")
    assert flags["maxmemory-policy"] == "noeviction"
    assert "maxmemory" in flags, "a bound: a full queue Redis refuses writes (503), no OOM kill"
    (volume,) = queue["volumes"]
    source, target = str(volume).split(":")[:2]
    assert target == "/data", "the redis image's working directory (the AOF lives there)"
    assert source in _compose()["volumes"], "a named volume outlives the container"
    assert queue["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    for name in ("app", "worker"):
        env = services[name]["environment"]
        assert env["JOBS_REDIS_URL"].startswith("redis://queue:"), name
        assert services[name]["depends_on"]["queue"]["condition"] == "service_healthy"


def test_the_cache_redis_keeps_nothing_and_evicts_least_recently_used() -> None:
    services = _services()
    cache = services["redis"]
    flags = _flags(cache["command"])
    assert flags["save"] == "" and flags["appendonly"] == "no"
    assert flags["maxmemory-policy"] == "allkeys-lru"
    assert not cache.get("volumes")
    for name in ("app", "worker"):
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://redis:"), name
    env = services["app"]["environment"]
    assert env["JOBS_REDIS_URL"] != env["REDIS_URL"], "the queue must not live in the cache"


def test_app_and_worker_run_the_same_image_with_their_own_command() -> None:
    services = _services()
    app, worker = services["app"], services["worker"]
    assert app["image"] == worker["image"] and app["build"] == worker["build"] == "."
    assert _exec_words(worker["command"]) == ["python", "-m", "app.jobs.worker"]
    assert _uvicorn_args(shlex.join(_exec_words(app["command"])))[0] == "app.main:app"
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"^ENTRYPOINT", text, re.M), "a command replaces the CMD as a whole"
    # the image's health check asks for the API, which a worker does not serve
    assert "8000" not in " ".join(worker["healthcheck"]["test"])
    port = worker["environment"]["SUSC_JOB_WORKER_METRICS_PORT"]
    assert f"127.0.0.1:{port}/metrics" in " ".join(worker["healthcheck"]["test"])


def test_the_worker_stop_grace_period_covers_its_shutdown() -> None:
    from app.jobs.worker import SHUTDOWN_GRACE_S

    period = _seconds(str(_services()["worker"]["stop_grace_period"]))
    # SIGTERM -> running messages get SHUTDOWN_GRACE_S -> the compute pool stops -> exit
    assert period > SHUTDOWN_GRACE_S + POOL_CLOSE_S


def test_the_readme_names_every_compose_service() -> None:
    text = (ROOT / "README.md").read_text()
    scaling = text[text.index("## Scaling out") :]
    end = scaling.find("\n## ")
    scaling = scaling if end < 0 else scaling[:end]
    for name in _services():
        assert f"`{name}`" in scaling, f"README 'Scaling out' does not name `{name}`"
