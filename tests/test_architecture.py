"""The layers stay as docs/ARCHITECTURE.md draws them.

* core imports with only numpy, scipy and numba: a fresh interpreter that refuses the web stack
  imports every core module;
* no import cycle inside core, and no module-level import of app from core;
* no router imports another router; app/schemas imports only types and constants from core;
* no ``"verdict"`` entry is written in app/ (the checks live in core reports).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"
APP = ROOT / "app"

#: Packages core must never need (the web stack and the service's clients).
WEB_STACK = (
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_settings",
    "uvicorn",
    "redis",
    "orjson",
    "anyio",
    "httpx",
    "app",
)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules(pkg: Path) -> list[Path]:
    return sorted(p for p in pkg.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path, *, top_level_only: bool = False) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in ``path``; relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    mod = _module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    if top_level_only:  # run at import: the module body, including its if/try blocks
        inside = {id(n) for n in _imports_in_functions(tree)}
        nodes = [n for n in ast.walk(tree) if id(n) not in inside]
    else:
        nodes = list(ast.walk(tree))
    out: list[tuple[str, list[str]]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = pkg.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.append((base, [a.name for a in node.names]))
    return out


def test_core_imports_with_only_numpy_scipy_numba() -> None:
    names = [_module_name(p) for p in _modules(CORE)]
    script = f"""
import importlib, sys
BLOCK = {WEB_STACK!r}
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError("core must not import " + name)
        return None
sys.meta_path.insert(0, Refuse())
for m in {names!r}:
    importlib.import_module(m)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCK)
assert not leaked, leaked
print("ok", len({names!r}))
"""
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("ok")


def _core_graph() -> dict[str, set[str]]:
    """Module-level imports between core modules (a package counts as its __init__)."""
    mods = {_module_name(p): p for p in _modules(CORE)}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for base, names in _imports(p, top_level_only=True):
            targets = [base, *(f"{base}.{n}" for n in names)]
            for t in targets:
                if t in mods and t != m:
                    graph[m].add(t)
    return graph


def test_core_has_no_import_cycle() -> None:
    graph = _core_graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n) :], n]
                pytest.fail("import cycle in core: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def _imports_in_functions(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements inside a function body (run on call: a lazy import)."""
    out: list[ast.Import | ast.ImportFrom] = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            out.extend(n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom))
    return out


def test_core_never_imports_app_and_has_no_lazy_imports() -> None:
    for p in _modules(CORE):
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert not (mod or "").startswith("app"), f"{p}: core imports {mod}"
        for node in _imports_in_functions(tree):
            mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if (mod or "").startswith("core"):
                pytest.fail(f"{p}:{node.lineno}: lazy import of {mod} (hides a cycle)")


def test_no_router_imports_another_router() -> None:
    for p in _modules(APP / "routers"):
        for base, names in _imports(p):
            assert not base.startswith("app.routers"), f"{p.name} imports {base}"
            if base == "app":
                assert "routers" not in names, f"{p.name} imports app.routers"


def test_schemas_import_only_types_and_constants_from_core() -> None:
    import importlib

    for p in _modules(APP / "schemas"):
        for base, names in _imports(p):
            if not base.startswith("core"):
                continue
            mod = importlib.import_module(base)
            for n in names:
                obj = getattr(mod, n)
                assert not callable(obj) or isinstance(obj, type) or _is_type_alias(obj), (
                    f"{p.name} imports the computation {base}.{n}"
                )


def _is_type_alias(obj: object) -> bool:
    return type(obj).__module__ == "typing" or hasattr(obj, "__origin__")


def test_no_verdict_is_written_in_app() -> None:
    """Verdicts come from core reports: no router or schema builds a ``"verdict"`` entry."""
    offenders = []
    for p in _modules(APP):
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if '"verdict":' in line or "'verdict':" in line:
                offenders.append(f"{p.relative_to(ROOT)}:{i}")
    assert not offenders, offenders
