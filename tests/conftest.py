"""Helpers shared by every test package. Imports nothing from the web stack (core tests run without it)."""

from __future__ import annotations

from typing import Any


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with ``status`` naming ``field`` (a JSON pointer)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    for k in ("type", "title", "status", "detail"):
        assert k in body
    assert body["status"] == status
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert any(f == field or f.startswith(field + "/") for f in fields), (field, fields)
    return body
