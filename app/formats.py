"""Output formats other than JSON: one encoder per format, from the stored answer.

Every computation answer is stored as ``meta`` (a dict) and the JSON bytes of its data; an encoder
turns them into the bytes of another representation. :func:`encode` runs in a worker thread (the
work grows with the answer), never on the event loop. Which format a request gets is decided by
:func:`negotiate` (``?format=`` wins, else the ``Accept`` header).

CSV (``text/csv``)
------------------
Generic, from ``meta.arrays`` (quantity, unit and axis of each array) and the data:

* ``#`` comment lines first (``pandas.read_csv(..., comment="#")`` and ``numpy.loadtxt`` skip
  them), each itself a CSV row: ``# model,<name>,<version>,<parameter hash>``; one ``# check,
  <name>,<verdict>,<kind>,<value>`` per check (verdict ``true``/``false``/``null``; tolerances and
  statements are in the JSON ``meta``); one ``# warning,<text>`` per warning; one ``# column,
  <header>,<quantity>`` per array column; one ``# result,<name [unit]>,<value>`` per scalar
  result (short vectors as ``name_0``, ``name_1``, ...).
* one header row, ``<name> [<unit>]`` per column: the grid is ``frequency [THz]``,
  ``wavelength [nm]``, ``wavenumber [cm-1]`` or ``photon energy [eV]`` after its unit; a complex
  array is two columns, ``Re <name> [<unit>]`` and ``Im <name> [<unit>]``; a column without a
  known unit has no brackets. Numbers are written to full precision (shortest round trip),
  a non-finite entry as ``nan`` (the ``finite_values`` check then says which), booleans as 0/1.
* **Wide layout for nested arrays:** an array with more axes than the row axis, e.g. the band
  energies (K x B), a Berry curvature map (N x B), the quantum metric (N x 3 x B), the dispersion
  branches (K x B), gets one column per trailing index, ``<name>_<i>[_<j>]`` (``Re
  branches.omega_3 [model]`` is branch 3). Wide rather than long because each column then stays
  one physical curve, as a spreadsheet or ``df.plot()`` expects, and the row count is the grid's.
* Results (``data`` outside ``meta.arrays``) that are tabular are columns too, under their dotted
  path: a result is tabular when it runs along the row axis, has at least two axes, or shares its
  length with a sibling that has (``branches.k`` beside ``branches.omega``). A table of another
  length than the main one (the dispersion branches' k grid) sits to the right, its shorter
  columns padded with empty cells. Lists of records (transitions, path vertices) and ragged lists
  stay in JSON and npz.
* An answer with no tabular data at all (the orbital susceptibility: scalars only) is a two-column
  ``name,value`` CSV, one row per scalar result, the name carrying its unit.

NPZ (``application/x-npz``)
---------------------------
The binary format for big arrays. NumPy ``.npz`` rather than Apache Arrow IPC because our users
are scientists with numpy (teaching-lab scripts, notebooks): ``numpy.load`` reads it with no new
dependency on either side, keeps N-D arrays (K x B branches, N x 3 x B metrics) and complex128 as
they are, where Arrow would need flattening or its tensor extension and a 40 MB pyarrow on server
and client. Contents: every numeric array of the answer as its own member under its name (results
under their dotted path, ``branches.omega``), complex as complex128, floats as float64 (non-finite
entries as NaN), booleans as bool; ``meta`` (0-d unicode array) holds ``meta`` as JSON and
``results`` every other part of the answer (scalars, records) as JSON:
``z = numpy.load(f); json.loads(str(z["meta"]))``. Not compressed: float64 mantissas barely
compress and zlib would cost more time than it saves bytes (bench/README.md, bench_formats.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, Literal, get_args

import numpy as np
import orjson
from numpy.typing import NDArray

from app.render import encode_png, encode_svg

OutputFormat = Literal["json", "csv", "npz", "png", "svg"]

#: An encoder: (meta, data) -> (content, media type).
Encoder = Callable[[dict[str, Any], dict[str, Any]], tuple[bytes | str, str]]

#: Media type of each format (the ``Accept`` values :func:`negotiate` understands); a format is
#: offered only where it has an encoder (``json`` always).
MEDIA_TYPES: Final[dict[str, str]] = {
    "json": "application/json",
    "csv": "text/csv",
    "npz": "application/x-npz",
    "png": "image/png",
    "svg": "image/svg+xml",
}

#: File name extension of each format (Content-Disposition).
EXTENSIONS: Final[dict[str, str]] = {"csv": "csv", "npz": "npz", "png": "png", "svg": "svg"}

#: The header of the grid column by its unit: a wavelength grid is not a frequency.
_GRID_LABEL: Final[dict[str, str]] = {
    "nm": "wavelength",
    "cm-1": "wavenumber",
    "eV": "photon energy",
    "hartree": "photon energy",
}
_GRID_NAMES: Final = ("frequencies",)


# --------------------------------------------------------------------------- arrays of the answer


def as_array(value: Any) -> NDArray[Any] | None:
    """A JSON value of the answer as a numpy array, or ``None`` if it is not a numeric array.

    ``{"real": [...], "imag": [...]}`` becomes complex128, lists of numbers (``null`` = NaN)
    float64 / int / bool; scalars, strings, records and ragged lists give ``None``.
    """
    if isinstance(value, Mapping):
        if set(value) != {"real", "imag"} or not isinstance(value["real"], list):
            return None
        re_, im = as_array(value["real"]), as_array(value["imag"])
        if re_ is None or im is None or re_.shape != im.shape:
            return None
        return re_.astype(np.float64) + 1j * im.astype(np.float64)
    if not isinstance(value, list) or not value:
        return None
    try:
        a = np.asarray(value)
    except ValueError:  # ragged
        return None
    if a.dtype.kind in "biuf":
        return a
    if a.dtype.kind != "O":
        return None  # strings
    try:  # numbers with null entries (non-finite values)
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any, Mapping[str, Any] | None]]:
    """(dotted path, leaf, parent mapping) of a JSON tree; a complex pair or list is a leaf."""
    if isinstance(value, Mapping) and set(value) != {"real", "imag"}:
        for k, v in value.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(v, Mapping) and set(v) != {"real", "imag"}:
                yield from _leaves(v, p)
            else:
                yield p, v, value
    else:
        yield path, value, None


def _unit_table(meta: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, u in (meta.get("units") or {}).items():
        for name in str(k).split(","):
            out.setdefault(name.strip(), str(u))
    return out


def _result_unit(
    path: str, parent: Mapping[str, Any] | None, units: Mapping[str, str]
) -> str | None:
    """The unit of a result: a sibling ``<name>_unit`` or ``unit`` string, else ``meta.units``
    by full path, by its top-level name, by its own name, or by its top-level name without a
    ``_<n>`` suffix (``chi_2.total`` -> ``chi``)."""
    name = path.rsplit(".", 1)[-1]
    if parent is not None:
        for key in (f"{name}_unit", "unit"):
            if isinstance(parent.get(key), str) and key != name:
                return str(parent[key])
    top = path.split(".", 1)[0]
    for key in (path, top, name, re.sub(r"_\d+$", "", top)):
        if key in units:
            return units[key]
    return None


def _label(name: str, unit: str | None) -> str:
    return f"{name} [{unit}]" if unit else name


# --------------------------------------------------------------------------- CSV


class _Column:
    __slots__ = ("header", "quantity", "values")

    def __init__(self, header: str, values: NDArray[Any], quantity: str = ""):
        self.header = header
        self.values = values
        self.quantity = quantity


def _format(a: NDArray[Any]) -> list[str]:
    """Entries of a real 1-D array as CSV text: shortest round-trip floats, ints, bools as 0/1."""
    if a.dtype.kind == "b":
        return ["1" if x else "0" for x in a.tolist()]
    if a.dtype.kind in "iu":
        return [str(x) for x in a.tolist()]
    return [repr(x) for x in a.astype(np.float64).tolist()]


def _columns(name: str, a: NDArray[Any], unit: str | None, quantity: str) -> list[_Column]:
    """The columns of one array whose first axis is the row axis (wide layout)."""
    out = []
    for idx in np.ndindex(*a.shape[1:]):
        base = name + "".join(f"_{i}" for i in idx)
        col = a[(slice(None), *idx)]
        if np.iscomplexobj(col):
            out.append(_Column(_label(f"Re {base}", unit), col.real, quantity))
            out.append(_Column(_label(f"Im {base}", unit), col.imag, quantity))
        else:
            out.append(_Column(_label(base, unit), col, quantity))
    return out


def _scalar_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, float):
        return repr(v)
    return _one_line(str(v))


def _is_complex_number(v: Any) -> bool:
    return (
        isinstance(v, Mapping)
        and set(v) == {"real", "imag"}
        and all(x is None or isinstance(x, int | float) for x in v.values())
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _tables(
    meta: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[list[list[_Column]], list[tuple[str, str]]]:
    """(tables of columns, scalar results as (label, text)) of an answer."""
    units = _unit_table(meta)
    described: Mapping[str, Any] = meta.get("arrays") or {}
    main: list[_Column] = []
    n_main: int | None = None
    for name, info in described.items():
        a = as_array(data.get(name))
        if a is None or a.ndim == 0:
            continue
        if n_main is None:
            n_main = a.shape[0]
        if a.shape[0] != n_main:
            continue  # cannot happen for a report (one axis); never a 500 if it does
        unit = info.get("unit")
        label = name
        if name in _GRID_NAMES and info.get("axis") is None:
            label = _GRID_LABEL.get(str(unit), "frequency")
        main.extend(_columns(label, a, unit, _one_line(info.get("quantity", ""))))

    # results outside meta.arrays: tabular ones become columns, the rest scalars
    leaves = []
    scalars: list[tuple[str, str]] = []
    for key, value in data.items():
        if key in described:
            continue
        for path, leaf, parent in _leaves(value, key):
            leaves.append((path, leaf, parent, as_array(leaf)))
    lengths_2d: dict[tuple[int, str], bool] = {}
    for path, _leaf, _parent, a in leaves:
        if a is not None and a.ndim >= 2:
            lengths_2d[(a.shape[0], path.rsplit(".", 1)[0] if "." in path else "")] = True
    extra: dict[int, list[_Column]] = {}
    for path, leaf, parent, a in leaves:
        unit = _result_unit(path, parent, units)
        if a is None:
            if _is_complex_number(leaf):
                scalars.append((_label(f"Re {path}", unit), _scalar_text(leaf["real"])))
                scalars.append((_label(f"Im {path}", unit), _scalar_text(leaf["imag"])))
                continue
            if isinstance(leaf, list | Mapping):
                continue  # records, ragged lists: JSON and npz only
            if isinstance(parent, Mapping) and path.rsplit(".", 1)[-1].endswith("unit"):
                continue  # said in the bracket of its siblings
            numeric = isinstance(leaf, int | float) and not isinstance(leaf, bool)
            scalars.append((_label(path, unit if numeric else None), _scalar_text(leaf)))
            continue
        group = path.rsplit(".", 1)[0] if "." in path else ""
        tabular = (
            (n_main is not None and a.shape[0] == n_main)
            or a.ndim >= 2
            or (a.shape[0], group) in lengths_2d
        )
        if not tabular:
            for i, x in enumerate(a.reshape(-1).tolist()):
                if isinstance(x, complex):
                    scalars.append((_label(f"Re {path}_{i}", unit), _scalar_text(x.real)))
                    scalars.append((_label(f"Im {path}_{i}", unit), _scalar_text(x.imag)))
                else:
                    scalars.append((_label(f"{path}_{i}", unit), _scalar_text(x)))
            continue
        cols = _columns(path, a, unit, "")
        if n_main is not None and a.shape[0] == n_main:
            main.extend(cols)
        else:
            extra.setdefault(a.shape[0], []).extend(cols)
    tables = ([main] if main else []) + list(extra.values())
    return tables, scalars


def _comment_rows(
    meta: Mapping[str, Any], tables: list[list[_Column]], scalars: list[tuple[str, str]]
) -> list[list[str]]:
    rows: list[list[str]] = []
    model = meta.get("model")
    if model is not None:
        rows.append(
            [
                "# model",
                str(model),
                str(meta.get("model_version", "")),
                str(meta.get("parameter_hash", "")),
            ]
        )
    rows.append(["# check", "name", "verdict", "kind", "value"])
    for name, c in (meta.get("checks") or {}).items():
        rows.append(
            [
                "# check",
                str(name),
                _scalar_text(c.get("verdict")),
                str(c.get("kind", "")),
                _scalar_text(c.get("value")),
            ]
        )
    for w in meta.get("warnings") or []:
        rows.append(["# warning", _one_line(w)])
    for table in tables:
        for col in table:
            if col.quantity:
                rows.append(["# column", col.header, col.quantity])
    if tables:
        rows.extend(["# result", label, text] for label, text in scalars)
    return rows


def to_csv(data: dict[str, Any], meta: dict[str, Any] | None = None) -> str:
    """The answer as CSV text (module docstring): ``#`` lines with the checks and warnings, a
    header row with units, one row per grid point (or ``name,value`` rows for scalar answers)."""
    meta = meta or {}
    tables, scalars = _tables(meta, data)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(_comment_rows(meta, tables, scalars))
    if not tables:
        w.writerow(["name", "value"])
        w.writerows([label, text] for label, text in scalars)
        return buf.getvalue()
    cols = [c for t in tables for c in t]
    w.writerow([c.header for c in cols])
    n = max(len(c.values) for c in cols)
    texts = [_format(np.asarray(c.values)) for c in cols]
    for t in texts:
        t.extend([""] * (n - len(t)))
    buf.writelines(",".join(row) + "\n" for row in zip(*texts, strict=True))
    return buf.getvalue()


def _csv(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
    return to_csv(data, meta), "text/csv; charset=utf-8"


# --------------------------------------------------------------------------- NPZ


def npz_members(
    meta: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """(numeric arrays by dotted path, the rest of the answer as a JSON tree)."""
    arrays: dict[str, NDArray[Any]] = {}

    def strip(value: Any, path: str) -> Any:
        a = as_array(value)
        if a is not None:
            arrays[path] = a
            return None
        if isinstance(value, Mapping) and set(value) != {"real", "imag"}:
            out = {}
            for k, v in value.items():
                s = strip(v, f"{path}.{k}" if path else str(k))
                if s is not None:
                    out[k] = s
            return out or None
        return value

    rest = {}
    for k, v in data.items():
        s = strip(v, k)
        if s is not None:
            rest[k] = s
    return arrays, rest


def to_npz(meta: dict[str, Any], data: dict[str, Any]) -> bytes:
    """The answer as an uncompressed ``.npz`` (module docstring)."""
    arrays, rest = npz_members(meta, data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        members = {
            **arrays,
            "meta": np.asarray(json.dumps(meta, allow_nan=False)),
            "results": np.asarray(json.dumps(rest, allow_nan=False)),
        }
        for name, a in members.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.require(a, requirements="C"), allow_pickle=False)
    return buf.getvalue()


def _npz(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
    return to_npz(meta, data), MEDIA_TYPES["npz"]


# --------------------------------------------------------------------------- negotiation

#: Format -> encoder (``json`` is spliced by the service itself, without decoding the data).
ENCODERS: dict[str, Encoder] = {"csv": _csv, "npz": _npz, "png": encode_png, "svg": encode_svg}


def available_formats() -> tuple[str, ...]:
    """The formats a computation endpoint can give: ``json`` and every format with an encoder."""
    return ("json", *(f for f in get_args(OutputFormat) if f in ENCODERS and f != "json"))


class NotAcceptable(Exception):
    """No format the endpoint can give is acceptable to the client (406)."""

    def __init__(self, accept: str, offered: tuple[str, ...]):
        super().__init__(accept)
        self.accept = accept
        self.offered = offered


def _parse_accept(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each media range of an ``Accept`` header."""
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        typ, _, sub = fields[0].lower().partition("/")
        q = 1.0
        for p in fields[1:]:
            k, _, v = p.partition("=")
            if k.strip().lower() == "q":
                # RFC 9110 qvalue: 0 to 1 with up to three decimals; a malformed one (empty,
                # nan, inf, text) is ignored, as if absent (q = 1), never a NaN that sorts first
                try:
                    qv = float(v)
                except ValueError:
                    continue
                if math.isfinite(qv):
                    q = min(max(qv, 0.0), 1.0)
        out.append((typ, sub or "*", q))
    return out


def negotiate(accept: str | None, offered: tuple[str, ...] | None = None) -> str:
    """The format for an ``Accept`` header (no ``?format=``): the offered format of highest
    quality; among equals, the one the client listed first (then ``offered`` order). No header,
    or ``*/*``, gives ``json``. Raises :class:`NotAcceptable` when nothing offered is acceptable.
    """
    offered = offered or available_formats()
    if not accept or not accept.strip():
        return offered[0]
    ranges = _parse_accept(accept)
    best: tuple[float, int, int] | None = None
    choice = None
    for j, fmt in enumerate(offered):
        typ, _, sub = MEDIA_TYPES[fmt].partition("/")
        # the most specific matching range decides this format's quality (RFC 9110 12.5.1)
        match: tuple[int, float, int] | None = None
        for i, (t, s, q) in enumerate(ranges):
            if t == typ and s == sub:
                spec = 2
            elif t == typ and s == "*":
                spec = 1
            elif t == "*" and s == "*":
                spec = 0
            else:
                continue
            if match is None or spec > match[0]:
                match = (spec, q, i)
        if match is None or match[1] <= 0:
            continue
        key = (-match[1], match[2] if match[0] > 0 else len(ranges), j)
        if best is None or key < best:
            best, choice = key, fmt
    if choice is None:
        raise NotAcceptable(accept, offered)
    return choice


def media_type(fmt: str) -> str:
    """The media type of a format."""
    return MEDIA_TYPES[fmt]


def filename(model: str, parameter_hash: str, fmt: str) -> str:
    """The download name, ``<model>-<first 12 of the parameter hash>.<ext>``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model) or "answer"
    return f"{safe}-{parameter_hash[:12]}.{EXTENSIONS.get(fmt, fmt)}"


def encode(fmt: str, meta: dict[str, Any], data_bytes: bytes) -> tuple[bytes | str, str]:
    """The answer in ``fmt``: (content, media type)."""
    return ENCODERS[fmt](meta, orjson.loads(data_bytes))
