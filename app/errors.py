"""RFC 9457 problem+json for every error, from one table.

core raises plain domain exceptions (core/errors.py); this module maps each class to a status and a
problem ``type``, and turns request-validation errors, 404/405 and unexpected failures into the same
envelope::

    {"type": "urn:susceptibility:problem:invalid-input", "title": "Invalid input", "status": 422,
     "detail": "...", "instance": "/v1/oscillator/response",
     "errors": [{"field": "/transitions/2/gamma", "message": "...", "fix": "..."}]}

``field`` is a JSON pointer into the request body (RFC 6901), or ``query:<name>`` for a query
parameter. The same table feeds each route's documented ``responses=`` (``PROBLEM_RESPONSES``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

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

    field: str = Field(description="JSON pointer into the body (RFC 6901), or 'query:<name>'.")
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


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": desc}
    for status, desc in [
        (413, "Work beyond a configured limit (the limit is named)."),
        (422, "Invalid input (each bad field named, with a fix)."),
        (503, "Computation exceeded the configured time limit."),
    ]
}


#: ``responses=`` of a computation endpoint: the problems, CSV as an alternative 200, and 304.
COMPUTE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"content": {"text/csv": {}}},
    304: {"description": "Not modified (ETag)."},
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
    body["errors"] = errors or []
    body.update({k: v for k, v in extra.items() if v is not None})
    return FastJSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def core_error_response(exc: CoreError, request: Request | None = None) -> FastJSONResponse:
    """The problem document for a domain error (used by the handler and by tests)."""
    status, slug, title = next((s, g, t) for c, s, g, t in ERROR_TABLE if isinstance(exc, c))
    err = {"field": pointer(exc.field), "message": exc.message, "fix": exc.fix}
    extra: dict[str, Any] = {}
    if isinstance(exc, LimitExceeded):
        extra = {"limit_name": exc.limit_name, "limit": exc.limit, "requested": exc.requested}
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


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
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


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(CoreError)
    async def _core(request: Request, exc: CoreError) -> FastJSONResponse:
        return core_error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> FastJSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(e["field"] or "(body)" for e in errors[:5])
        return problem_response(
            422,
            "invalid-input",
            "Invalid input",
            f"{len(errors)} invalid input(s): {fields}",
            request,
            errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> FastJSONResponse:
        titles = {
            404: "Not found",
            405: "Method not allowed",
            413: "Request too large",
            415: "Unsupported media type",
        }
        detail = str(exc.detail) if exc.detail else titles.get(exc.status_code, "HTTP error")
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = f"no resource at {request.url.path}; the API is listed at /docs"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(
            exc.status_code,
            "about:blank",
            titles.get(exc.status_code, "HTTP error"),
            detail,
            request,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ArithmeticError)
    @app.exception_handler(np.linalg.LinAlgError)
    async def _out_of_range(request: Request, exc: Exception) -> FastJSONResponse:
        # Overflow, underflow to a zero divisor, or a singular/non-finite matrix: almost always
        # inputs of absurd magnitude (1e300 lengths, 1e-300 lattice constants). A fallback: the
        # schemas bound what they can; this keeps the rest from ever being a 500.
        log.warning("numerical range error on %s: %r", request.url.path, exc, exc_info=exc)
        return problem_response(
            422,
            "numerical-range",
            "Numbers out of floating-point range",
            "the inputs lead to numbers outside double-precision range or to a singular "
            f"problem ({type(exc).__name__}: {exc})",
            request,
            [
                {
                    "field": "",
                    "message": "some input is too large or too small in magnitude for this model",
                    "fix": "give lengths, energies and moments of ordinary size in the model's "
                    "units (e.g. bohr and hartree, or units of t and a)",
                }
            ],
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> FastJSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            500,
            "internal-error",
            "Internal error",
            "an unexpected error occurred; it has been logged",
            request,
        )
