"""Output formats other than JSON: one encoder per format, from the stored answer.

Every computation answer is stored as ``meta`` (a dict) and the JSON bytes of its data; an encoder
turns them into the bytes of another representation. :func:`encode` runs in a worker thread (the
work grows with the answer), never on the event loop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, Literal

import orjson

OutputFormat = Literal["json", "csv"]

#: An encoder: (meta, data) -> (content, media type).
Encoder = Callable[[dict[str, Any], dict[str, Any]], tuple[bytes | str, str]]


def to_csv(data: dict[str, Any]) -> str:
    """Columns of a response's arrays: every top-level real array, and ``{real, imag}`` pairs as
    ``<name>_real,<name>_imag``, that has the length of the first array (the grid). Nested objects
    and arrays of other lengths are left out (they stay in the JSON form)."""
    cols: list[tuple[str, list[Any]]] = []
    n: int | None = None
    for name, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value[:1]):
            if n is None:
                n = len(value)
            if len(value) == n:
                cols.append((name, value))
        elif (
            isinstance(value, dict)
            and set(value) == {"real", "imag"}
            and isinstance(value["real"], list)
            and all(isinstance(v, int | float) for v in value["real"][:1])
        ):
            if n is None:
                n = len(value["real"])
            if len(value["real"]) == n:
                cols.append((f"{name}_real", value["real"]))
                cols.append((f"{name}_imag", value["imag"]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c for c, _ in cols])
    for row in zip(*(v for _, v in cols), strict=True):
        w.writerow([repr(float(x)) for x in row])
    return buf.getvalue()


def _csv(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
    return to_csv(data), "text/csv; charset=utf-8"


#: Format -> encoder (``json`` is spliced by the service itself, without decoding the data).
ENCODERS: dict[str, Encoder] = {"csv": _csv}


def encode(fmt: str, meta: dict[str, Any], data_bytes: bytes) -> tuple[bytes | str, str]:
    """The answer in ``fmt``: (content, media type)."""
    return ENCODERS[fmt](meta, orjson.loads(data_bytes))
