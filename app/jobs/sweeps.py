"""Sweeps: a base body and JSON pointers (RFC 6901) with values, fanned out into bodies; and the
series read back from the points' answers.

- :func:`expand`: ``grid`` mode is the Cartesian product of the axes' values (first axis
  slowest), ``zip`` mode takes the i-th value of every axis (equal lengths);
- :func:`preset_axes`: a preset with several bodies is a sweep whose axes are the pointers at
  which its bodies differ (every body is a point, in order);
- :func:`scalars`: the numbers of an answer's data that are not inside arrays, by pointer
  (e.g. ``/chi_1/total``), and :func:`check_statuses` the verdict of each check.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from core.errors import InvalidInput


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def set_pointer(doc: Any, pointer: str, value: Any, field: tuple[str | int, ...]) -> None:
    """Set the member or array element at ``pointer`` in ``doc`` (in place). Its parent must
    exist; the member itself may be new (an optional field of the body)."""
    if not pointer.startswith("/"):
        raise InvalidInput(
            f"{pointer!r} is not a JSON pointer", field=field, fix="start it with '/': /model/t2"
        )
    tokens = [unescape(t) for t in pointer[1:].split("/")]
    cur = doc
    for depth, tok in enumerate(tokens):
        last = depth == len(tokens) - 1
        where = "/" + "/".join(escape(t) for t in tokens[: depth + 1])
        if isinstance(cur, dict):
            if last:
                cur[tok] = value
                return
            if tok not in cur or not isinstance(cur[tok], dict | list):
                raise InvalidInput(
                    f"the base body has no object or array at {where}",
                    field=field,
                    fix="point at a field of the base body (set it there first)",
                )
            cur = cur[tok]
        elif isinstance(cur, list):
            if not tok.isdigit() or int(tok) >= len(cur):
                raise InvalidInput(
                    f"{where}: no element {tok!r} in an array of {len(cur)}",
                    field=field,
                    fix="use an index of the array",
                )
            if last:
                cur[int(tok)] = value
                return
            cur = cur[int(tok)]
        else:
            raise InvalidInput(f"{where} is inside a scalar", field=field, fix="fix the pointer")


def get_pointer(doc: Any, pointer: str) -> Any:
    """The value at ``pointer`` (``KeyError``/``IndexError`` when absent)."""
    cur = doc
    for tok in (unescape(t) for t in pointer[1:].split("/")) if pointer else ():
        cur = cur[int(tok)] if isinstance(cur, list) else cur[tok]
    return cur


def expand(
    base: dict[str, Any], axes: Sequence[tuple[str, Sequence[Any]]], mode: str
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(swept values by pointer, body)`` of every point, in order."""
    if mode == "zip":
        sizes = {len(v) for _, v in axes}
        if len(sizes) > 1:
            raise InvalidInput(
                f"zip mode needs axes of one length; they have {sorted(sizes)}",
                field=("axes",),
                fix="give every axis as many values, or use mode 'grid'",
            )
        combos: Iterator[tuple[Any, ...]] = zip(*(v for _, v in axes), strict=True)
    else:
        combos = itertools.product(*(v for _, v in axes))
    points = []
    for combo in combos:
        body = copy.deepcopy(base)
        values = {}
        for i, ((ptr, _), v) in enumerate(zip(axes, combo, strict=True)):
            set_pointer(body, ptr, v, ("axes", i, "pointer"))
            values[ptr] = v
        points.append((values, body))
    return points


def _leaves(doc: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (pointer, scalar) of ``doc``; arrays are leaves of their own (not descended)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, f"{prefix}/{escape(str(k))}")
    else:
        yield prefix, doc


def preset_axes(bodies: Sequence[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """The pointers at which the bodies differ, each with its value in every body."""
    flat = [dict(_leaves(b)) for b in bodies]
    pointers = list(dict.fromkeys(p for f in flat for p in f))
    axes = []
    for p in pointers:
        vals = [f.get(p) for f in flat]
        if any(v != vals[0] for v in vals):
            axes.append((p, vals))
    return axes


def scalars(data: Any) -> dict[str, float | int]:
    """Numbers of an answer's data outside arrays, by pointer (booleans and strings left out)."""
    return {
        p: v for p, v in _leaves(data) if isinstance(v, int | float) and not isinstance(v, bool)
    }


def check_statuses(meta: dict[str, Any]) -> dict[str, str]:
    """``ok``, ``failed`` or ``indicative`` (no verdict) for every check of an answer's meta."""
    out = {}
    for name, c in (meta.get("checks") or {}).items():
        verdict = c.get("verdict") if isinstance(c, dict) else None
        out[name] = "ok" if verdict is True else "failed" if verdict is False else "indicative"
    return out


def series_csv(sweep_id: str, endpoint: str, points: list[dict[str, Any]]) -> str:
    """The series as CSV: ``#`` lines (sweep, endpoint, units), then one row per point: its
    index, the swept values, its status, every scalar result and every check's status."""
    axes = list(dict.fromkeys(p for pt in points for p in pt["values"]))
    cols = list(dict.fromkeys(p for pt in points for p in (pt.get("scalars") or {})))
    checks = list(dict.fromkeys(c for pt in points for c in (pt.get("checks") or {})))
    units: dict[str, str] = {}
    for pt in points:
        units.update(pt.get("units") or {})
    buf = io.StringIO()
    buf.write(f"# sweep {sweep_id} of {endpoint}\n")
    for name, unit in units.items():
        buf.write(f"# unit of {name}: {unit}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", *axes, "status", *cols, *(f"check:{c}" for c in checks)])
    for pt in points:
        sc = pt.get("scalars") or {}
        ck = pt.get("checks") or {}
        w.writerow(
            [
                pt["index"],
                *(_cell(pt["values"].get(a)) for a in axes),
                pt["status"],
                *(_cell(sc.get(c)) for c in cols),
                *(ck.get(c, "") for c in checks),
            ]
        )
    return buf.getvalue()


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)
