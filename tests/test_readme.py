"""The README's Python section runs as written and prints the checks the HTTP API returns."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

from app.presets import all_presets
from tests.app.conftest import running_client

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- readme-python:"


def _python_block() -> str:
    text = README.read_text()
    start = text.index(MARKER)
    m = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert m is not None, "no python block after the readme-python marker"
    return m.group(1)


def _printed_block() -> list[str]:
    """The lines the README says the block prints (the ``...`` ellipsis ends a line early)."""
    text = README.read_text()
    code = re.compile(r"```python\n(.*?)```", re.S).search(text, text.index(MARKER))
    assert code is not None
    m = re.compile(r"^```\n(.*?)^```", re.S | re.M).search(text, code.end())
    assert m is not None, "no output block after the python block"
    return m.group(1).strip("\n").splitlines()


def test_readme_python_block_prints_what_the_readme_says() -> None:
    ns: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_python_block(), "README.md", "exec"), ns)
    printed = out.getvalue().strip("\n").splitlines()
    expected = _printed_block()
    assert len(printed) == len(expected)
    for got, want in zip(printed, expected, strict=True):
        if want.endswith("..."):
            assert got.startswith(want[:-3]), (got, want)
        else:
            assert got == want


async def test_readme_python_report_has_the_checks_of_the_http_answer() -> None:
    ns: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(_python_block(), "README.md", "exec"), ns)
    report = ns["report"]
    preset = all_presets()["westerberg-barnett-fig2a"]
    async with running_client() as c:
        r = await c.post(preset.endpoint, json=preset.body)
    assert r.status_code == 200
    api = r.json()["meta"]
    assert list(api["checks"]) == list(report.checks)
    for name, check in report.checks.items():
        got = api["checks"][name]
        assert got["verdict"] == check.verdict and got["kind"] == check.kind, name
        if check.value is not None:
            assert abs(got["value"] - check.value) <= 1e-12 * max(1.0, abs(check.value)), name
    assert api["warnings"] == list(report.warnings)
