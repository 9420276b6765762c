"""RFC 9457 problem+json for every error, from one table.

core raises plain domain exceptions (core/errors.py); this module maps each class to a status and a
problem ``type``, and turns request-validation errors, 404/405 and unexpected failures into the same
envelope::

    {"type": "urn:susceptibility:problem:invalid-input", "title": "Invalid input", "status": 422,
     "detail": "...", "instance": "/v1/oscillator/response",
     "errors": [{"field": "/transitions/2/gamma", "message": "...", "fix": "..."}]}

``field`` is a JSON pointer into the request body (RFC 6901; ``""`` is the whole body), or
``query:<name>`` for a query parameter, ``header:<Name>`` for a request header. Every problem
carries at least one entry in ``errors`` (the detail, on field ``""``, when nothing more precise is
known). The same table feeds each route's documented ``responses=`` (``PROBLEM_RESPONSES``).

Bodies that cannot be read as JSON are judged here too (:func:`body_parse_errors`): bytes that are
not UTF-8 and nesting beyond the parser's depth are 400, an integer of more digits than Python
converts is 422 naming its field, malformed JSON is 422 with the line and column in the message
(never a byte offset as a pointer). A numeric fault that escaped core's input checks (overflow, a
division by zero inside a compiled kernel, a singular matrix, scipy refusing NaN) is a 422 logged at
warning level without a traceback (:func:`install_error_handlers`); only a genuine defect is 500.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.formats import MEDIA_TYPES
from app.responses import FastJSONResponse
from core.errors import (
    ConvergenceError,
    CoreError,
    InvalidInput,
    LimitExceeded,
    NotAnInsulator,
    PoleOnGrid,
)

log = logging.getLogger("app.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_PREFIX = "urn:susceptibility:problem:"

#: domain exception -> (HTTP status, problem slug, title). Most specific class first.
ERROR_TABLE: list[tuple[type[CoreError], int, str, str]] = [
    (LimitExceeded, 413, "limit-exceeded", "Request exceeds a configured limit"),
    (PoleOnGrid, 422, "pole-on-grid", "Frequency on an undamped pole"),
    (NotAnInsulator, 422, "not-an-insulator", "Model has no gap"),
    (ConvergenceError, 422, "not-converged", "Computation did not converge"),
    (InvalidInput, 422, "invalid-input", "Invalid input"),
    (CoreError, 422, "invalid-input", "Invalid input"),
]


class ProblemError(BaseModel):
    """One offending input."""

    field: str = Field(
        description="JSON pointer into the body (RFC 6901; '' is the whole body or the request "
        "as a whole), 'query:<name>' for a query parameter or 'header:<Name>' for a header."
    )
    message: str = Field(description="What is wrong with it.")
    fix: str | None = Field(default=None, description="How to correct it.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI naming the problem class.")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[ProblemError] = Field(default_factory=list)
    limit_name: str | None = Field(
        default=None, description="Setting behind a 413 (env SUSC_<NAME>)."
    )
    limit: float | None = None
    requested: float | None = None
    gap: float | None = Field(default=None, description="Band gap found, for not-an-insulator.")


def _problems(*entries: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": desc}
        for status, desc in entries
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = _problems(
    (413, "Work beyond a configured limit (the limit is named)."),
    (422, "Invalid input (each bad field named, with a fix)."),
    (503, "Computation exceeded the configured time limit."),
)


#: ``responses=`` of a computation endpoint: every representation of the 200 (JSON, CSV, npz,
#: figures; ``?format=`` or ``Accept``), and every problem the request pipeline can answer.
COMPUTE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_problems(
        (400, "The body cannot be read: not UTF-8, or nested too deep (the reason is named)."),
        (406, "No representation the Accept header allows (the offered ones are listed)."),
        (
            412,
            "If-None-Match matched: the representation the client holds is current "
            "(RFC 9110 13.1.2; nothing was computed).",
        ),
        (413, "The body or the work is beyond a configured limit (the limit is named)."),
        (415, "The body's Content-Type is not accepted here (the accepted ones are listed)."),
        (422, "Invalid input (each bad field named, with a fix)."),
        (429, "Over this client's rate or concurrency limit (Retry-After says when to retry)."),
        (
            503,
            "No compute worker free, or the computation exceeded its time limit "
            "(Retry-After where a retry can succeed).",
        ),
    ),
    200: {"content": {m: {} for f, m in MEDIA_TYPES.items() if f != "json"}},
}


def pointer(loc: Sequence[str | int]) -> str:
    """JSON pointer of a body location, ``("transitions", 2, "gamma") -> "/transitions/2/gamma"``."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "/" + "/".join(parts) if parts else ""


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    request: Request | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> FastJSONResponse:
    body: dict[str, Any] = {
        "type": _TYPE_PREFIX + slug if slug != "about:blank" else slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    # every problem names at least one input: the request as a whole when nothing better is known
    body["errors"] = errors or [{"field": "", "message": detail, "fix": None}]
    body.update({k: v for k, v in extra.items() if v is not None})
    return FastJSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _as_number(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return v if v == v and abs(v) != float("inf") else None


def core_error_response(exc: CoreError, request: Request | None = None) -> FastJSONResponse:
    """The problem document for a domain error (used by the handler and by tests)."""
    status, slug, title = next((s, g, t) for c, s, g, t in ERROR_TABLE if isinstance(exc, c))
    err = {"field": pointer(exc.field), "message": exc.message, "fix": exc.fix}
    extra: dict[str, Any] = {}
    if isinstance(exc, LimitExceeded):
        # floats, as the schema says (an integer beyond 64 bits would not serialise)
        extra = {
            "limit_name": exc.limit_name,
            "limit": _as_number(exc.limit),
            "requested": _as_number(exc.requested),
        }
    if isinstance(exc, NotAnInsulator):
        extra = {"gap": exc.gap}
    detail = exc.message + (f" Fix: {exc.fix}" if exc.fix else "")
    return problem_response(status, slug, title, detail, request, [err], **extra)


_FIXES = {
    "finite_number": "use a finite number; NaN and Infinity are not accepted",
    "missing": "add this field",
    "extra_forbidden": "remove this field (see the schema at /docs for the accepted fields)",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "too_short": "give more entries",
    "too_long": "give fewer entries",
    "literal_error": "use one of the listed values",
    "json_invalid": "send valid JSON (RFC 8259): no trailing commas, NaN or comments",
    "float_parsing": "give a number",
    "float_type": "give a number",
    "int_parsing": "give an integer",
    "model_attributes_type": "give a JSON object",
    "dict_type": "give a JSON object",
    "list_type": "give a JSON array",
    "union_tag_invalid": "use one of the listed kinds",
}


def _body_path(loc: Sequence[str | int], body: Any) -> list[str | int]:
    """The location as a path into the JSON body actually sent.

    pydantic inserts the member name of a union (e.g. a tagged union's tag, or ``function-after``)
    into error locations; those are not keys of the body, so a JSON pointer must skip them. A
    missing key at the end of the path is kept (it names the field to add).
    """
    out: list[str | int] = []
    cur = body
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(cur, dict):
            if part in cur:
                out.append(part)
                cur = cur[part]
            elif last:
                out.append(part)
            continue  # a union member name: not part of the body
        if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
            continue
        out.append(part)
        cur = None
    return out


def line_column(text: str | bytes, pos: int) -> tuple[int, int]:
    """1-based (line, column) of offset ``pos`` in ``text`` (characters of a str, bytes of bytes)."""
    pos = max(0, min(pos, len(text)))
    nl: Any = b"\n" if isinstance(text, bytes) else "\n"
    line = text.count(nl, 0, pos) + 1
    return line, pos - (text.rfind(nl, 0, pos) + 1) + 1


def _json_invalid(e: dict[str, Any], body: Any) -> dict[str, Any]:
    """The entry of a malformed JSON body: field "" and the line and column in the message
    (FastAPI puts the character offset in ``loc``; a pointer ``/123`` would name no field)."""
    loc = list(e.get("loc", ()))
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    reason = str((e.get("ctx") or {}).get("error") or e.get("msg") or "malformed JSON")
    where = ""
    if pos is not None and isinstance(body, str | bytes):
        line, col = line_column(body, pos)
        where = f" at line {line}, column {col}"
    return {
        "field": "",
        "message": f"the body is not valid JSON{where}: {reason}",
        "fix": _FIXES["json_invalid"],
    }


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            out.append(_json_invalid(e, exc.body))
            continue
        loc = list(e.get("loc", ()))
        where = loc[0] if loc else "body"
        rest = list(loc[1:])
        if where == "body" and isinstance(exc.body, dict | list):
            rest = _body_path(rest, exc.body)
        if where == "query":
            field = "query:" + ".".join(str(p) for p in rest)
        elif where == "body":
            field = pointer(rest)
        else:
            field = f"{where}:" + ".".join(str(p) for p in rest)
        msg = str(e.get("msg", "invalid value"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        fix = _FIXES.get(str(e.get("type", "")))
        ctx = e.get("ctx") or {}
        if "expected" in ctx and e.get("type") in ("literal_error", "union_tag_invalid"):
            fix = f"use one of {ctx['expected']}"
        out.append({"field": field, "message": msg, "fix": fix})
    return out


# ---------------------------------------------------------------------------------------------
# Bodies that cannot be parsed (FastAPI's "There was an error parsing the body")
# ---------------------------------------------------------------------------------------------

#: How deep a request body of this API nests at most (molecular octupoles: body, states, tensor,
#: real, S, 3, 3, 3); the parser's own limit is Python's recursion limit.
MAX_USEFUL_DEPTH: Final = 8


class _BigInt:
    """Stands for an integer literal too long to convert (found by :func:`_big_int_path`)."""

    def __init__(self, digits: int):
        self.digits = digits


def _big_int_path(raw: bytes) -> tuple[list[str | int], int] | None:
    """(path, digits) of the first integer literal of ``raw`` beyond Python's digit limit."""
    limit = sys.get_int_max_str_digits() or 0

    def parse_int(text: str) -> Any:
        digits = len(text.lstrip("-"))
        return _BigInt(digits) if limit and digits > limit else int(text)

    try:
        doc = json.loads(raw, parse_int=parse_int)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, list[str | int]]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _BigInt):
            return path, node.digits
        if isinstance(node, dict):
            stack.extend((v, [*path, k]) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))
    return None


def body_parse_errors(
    raw: bytes | None, cause: BaseException | None
) -> tuple[int, str, list[dict[str, Any]]]:
    """``(status, detail, errors)`` for a body the JSON parser refused with ``cause``.

    Not UTF-8 -> 400 with the line and column of the first bad byte; nested beyond the parser's
    depth -> 400; an integer literal beyond Python's digit limit (4300 by default) -> 422 naming
    its field; anything else -> 400 on field "".
    """
    if isinstance(cause, UnicodeDecodeError):
        obj = cause.object if isinstance(cause.object, bytes) else (raw or b"")
        line, col = line_column(obj, cause.start)
        bad = obj[cause.start : cause.start + 1].hex() or "??"
        msg = f"the body is not UTF-8 text: byte 0x{bad} at line {line}, column {col}"
        return (
            400,
            msg,
            [{"field": "", "message": msg, "fix": "send the JSON encoded as UTF-8 (RFC 8259 8.1)"}],
        )
    if isinstance(cause, RecursionError):
        msg = "the JSON nests deeper than the parser allows"
        return (
            400,
            msg,
            [
                {
                    "field": "",
                    "message": msg,
                    "fix": f"no request of this API nests more than {MAX_USEFUL_DEPTH} levels: send "
                    "the body the schema at /docs describes",
                }
            ],
        )
    if isinstance(cause, ValueError) and "digits" in str(cause) and raw is not None:
        found = _big_int_path(raw)
        if found is not None:
            path, digits = found
            msg = (
                f"an integer of {digits} digits: more than the "
                f"{sys.get_int_max_str_digits()} digits a number may have"
            )
            return (
                422,
                msg,
                [
                    {
                        "field": pointer(path),
                        "message": msg,
                        "fix": "give a number of ordinary size (exponent notation, e.g. 1e30, for "
                        "a large float)",
                    }
                ],
            )
    reason = f"{type(cause).__name__}: {cause}" if cause is not None else "unreadable body"
    msg = f"the body could not be parsed as JSON ({reason})"
    return 400, msg, [{"field": "", "message": msg, "fix": _FIXES["json_invalid"]}]


# ---------------------------------------------------------------------------------------------
# Numeric faults that escaped core's input checks
# ---------------------------------------------------------------------------------------------

#: Exceptions that are numeric faults wherever they come from (a ZeroDivisionError inside a numba
#: kernel surfaces as SystemError).
NUMERIC_FAULTS: Final = (ArithmeticError, np.linalg.LinAlgError, SystemError)
#: Packages whose ValueError means "these numbers cannot be computed" (scipy on NaN, numpy on a
#: non-finite or ill-shaped array, numba), not a defect of ours.
NUMERIC_PACKAGES: Final = ("numpy", "scipy", "numba")


def _raised_in(exc: BaseException) -> str:
    """The file that raised ``exc``: its innermost frame, or the last ``File "..."`` line of the
    traceback text a worker process attached (pebble sets ``exc.traceback``)."""
    remote = getattr(exc, "traceback", None)
    if isinstance(remote, str) and 'File "' in remote:
        last = remote.rsplit('File "', 1)[1]
        return last.split('"', 1)[0]
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    return frames[-1].filename if frames else ""


def is_numeric_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is a numeric fault (see :data:`NUMERIC_FAULTS`) or a ValueError raised
    inside numpy, scipy or numba; a ValueError of our own code is a defect (500)."""
    if isinstance(exc, NUMERIC_FAULTS):
        return True
    if isinstance(exc, ValueError) and not isinstance(exc, CoreError):
        where = _raised_in(exc).replace("\\", "/")
        return any(f"/{pkg}/" in where for pkg in NUMERIC_PACKAGES)
    return False


def numeric_fault_response(exc: BaseException, request: Request) -> FastJSONResponse:
    """422 for a numeric fault, logged at warning level without a traceback."""
    log.warning(
        "numeric fault on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        str(exc)[:500],
    )
    return problem_response(
        422,
        "numerical-range",
        "Numbers out of floating-point range",
        "the inputs lead to numbers outside double-precision range or to a singular "
        f"problem ({type(exc).__name__}: {str(exc)[:300]})",
        request,
        [
            {
                "field": "",
                "message": "some input is too large, too small or too degenerate in magnitude "
                "for this model",
                "fix": "give lengths, energies, linewidths and moments of ordinary size in the "
                "model's units (e.g. bohr and hartree, or units of t and a), and no parameter "
                "that makes the model degenerate (all hoppings zero, coinciding poles)",
            }
        ],
    )


_HTTP_TITLES: Final = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    503: "Service unavailable",
}


def _http_errors(
    request: Request, exc: StarletteHTTPException, detail: str
) -> list[dict[str, Any]]:
    if exc.status_code == 404:
        return [
            {
                "field": "",
                "message": f"no resource at {request.url.path}",
                "fix": "use a path listed at /docs (the API is under /v1)",
            }
        ]
    if exc.status_code == 405:
        allow = (getattr(exc, "headers", None) or {}).get("Allow", "")
        return [
            {
                "field": "",
                "message": f"{request.method} is not allowed on {request.url.path}",
                "fix": f"use {allow}" if allow else "use the method listed at /docs",
            }
        ]
    return [{"field": "", "message": detail, "fix": None}]


def allowed_methods(request: Request) -> list[str]:
    """The methods the app's OpenAPI document gives for the request's path (with HEAD beside
    GET, as Starlette serves it), in a stable order; [] when no documented path matches."""
    from starlette.routing import compile_path

    doc = request.app.openapi()
    methods: set[str] = set()
    for template, ops in doc.get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(request.url.path):
            methods.update(m.upper() for m in ops if m in _HTTP_METHODS)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(CoreError)
    async def _core(request: Request, exc: CoreError) -> FastJSONResponse:
        return core_error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> FastJSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(e["field"] or "(body)" for e in errors[:5])
        detail = f"{len(errors)} invalid input(s): {fields}"
        if errors and all(e["field"] == "" for e in errors):
            detail = errors[0]["message"]
        return problem_response(422, "invalid-input", "Invalid input", detail, request, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> FastJSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI's "error parsing the body": say why, on which field where known
            raw = getattr(request, "_body", None)  # read (and kept) by the request already
            status, detail, errors = body_parse_errors(
                raw if isinstance(raw, bytes) else None, exc.__cause__
            )
            slug = "invalid-input" if status == 422 else "unreadable-body"
            title = "Invalid input" if status == 422 else "Body cannot be read"
            return problem_response(status, slug, title, detail, request, errors)
        detail = str(exc.detail) if exc.detail else _HTTP_TITLES.get(exc.status_code, "HTTP error")
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = f"no resource at {request.url.path}; the API is listed at /docs"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            # Starlette names the methods of the first route that matched the path only; a path
            # with several routes (GET and DELETE /v1/jobs/{id}) allows all of theirs
            allow = allowed_methods(request)
            if allow:
                headers = {**(headers or {}), "Allow": ", ".join(allow)}
                exc.headers = headers
        return problem_response(
            exc.status_code,
            "about:blank",
            _HTTP_TITLES.get(exc.status_code, "HTTP error"),
            detail,
            request,
            _http_errors(request, exc, detail),
            headers=headers,
        )

    @app.exception_handler(ArithmeticError)
    @app.exception_handler(np.linalg.LinAlgError)
    @app.exception_handler(SystemError)
    async def _numeric(request: Request, exc: Exception) -> FastJSONResponse:
        # Overflow, a zero divisor inside a compiled kernel, a singular matrix: inputs of absurd
        # magnitude or a degenerate model that core's input checks did not foresee. The schemas
        # and core bound what they can; this keeps the rest from ever being a 500.
        return numeric_fault_response(exc, request)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> FastJSONResponse:
        if is_numeric_fault(exc):  # scipy refusing NaN, numpy on an impossible array
            return numeric_fault_response(exc, request)
        return _internal_error(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> FastJSONResponse:
        return _internal_error(request, exc)


def _internal_error(request: Request, exc: BaseException) -> FastJSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        "internal-error",
        "Internal error",
        "an unexpected error occurred; it has been logged",
        request,
        [{"field": "", "message": "a defect of the service, not of the request", "fix": None}],
    )
