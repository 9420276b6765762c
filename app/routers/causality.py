"""Causality toolkit: Kramers-Kronig, static-limit integrals, sum rules (Westerberg & Barnett
2025, eqs 4-10, 20-26). Thin: parse (JSON or CSV) -> :mod:`core.causality` report -> respond."""

from __future__ import annotations

import csv
from typing import Annotated, Any, Final, Literal

import anyio
import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from app.computations import computation
from app.errors import COMPUTE_RESPONSES, problem_response
from app.media import build_medium, grid_in_medium_units
from app.schemas.causality import (
    KramersKronigComputation,
    KramersKronigRequest,
    KramersKronigResponse,
    OscillatorCausalityResponse,
    Quantity,
    inline_schema,
)
from app.schemas.oscillator import OscillatorResponseRequest
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import causality as ca
from core.checks import Report
from core.errors import InvalidInput
from core.units import FrequencyUnit

router = APIRouter(prefix="/v1/causality", tags=["causality"])

#: CSV column names (lower case) accepted for each role; quantity-specific names also set the quantity.
FREQ_COLUMNS = ("frequency", "frequencies", "omega", "w", "energy", "wavenumber", "wavelength")
GENERIC_REAL = ("real", "re")
GENERIC_IMAG = ("imag", "im")
QUANTITY_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "chi": (("chi_real", "chi1", "re_chi"), ("chi_imag", "chi2", "im_chi")),
    "epsilon": (
        ("epsilon_real", "eps_real", "eps1", "e1", "re_eps"),
        ("epsilon_imag", "eps_imag", "eps2", "e2", "im_eps"),
    ),
    "mu": (("mu_real", "mu1", "re_mu"), ("mu_imag", "mu2", "im_mu")),
    "refractive_index": (("n", "n_real", "refractive_index_real"), ("k", "kappa", "n_imag")),
}

#: A body the endpoint accepts (at least MIN_POINTS = 8 rows: the transform needs them).
CSV_EXAMPLE = (
    "frequency,eps2\n0.0,0.0\n0.5,0.05\n1.0,0.4\n1.5,0.15\n2.0,0.06\n2.5,0.03\n3.0,0.02\n"
    "3.5,0.01\n"
)

#: Bodies larger than this are parsed and validated in a worker thread, not on the event loop.
KK_INLINE_BODY_BYTES: Final = 64 * 1024

#: Content types read as CSV.
CSV_TYPES: Final = ("text/csv", "application/csv", "text/plain")


# ---------------------------------------------------------------------------------------------
# Request parsing (JSON body, or CSV body with the options in the query)
# ---------------------------------------------------------------------------------------------


def _validation_error(
    exc: ValidationError, query_fields: frozenset[str] = frozenset()
) -> RequestValidationError:
    """A request-validation error; fields that came from the query string are named as such."""
    errs: list[dict[str, Any]] = []
    for e in exc.errors():
        d: dict[str, Any] = dict(e)
        loc = tuple(e.get("loc", ()))
        if loc and loc[0] in query_fields:
            name = "anchor_" + str(loc[1]) if loc[0] == "anchor" and len(loc) > 1 else loc[0]
            d["loc"] = ("query", name)
        else:
            d["loc"] = ("body", *loc)
        errs.append(d)
    return RequestValidationError(errs)


def _query_error(name: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", name), "msg": message, "type": "value_error", "input": None}]
    )


def _parse_csv(
    raw: bytes, quantity: str | None
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Columns of a CSV body: (data for the request model, role -> column name, warnings)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "the CSV body is not UTF-8 text", field=("csv",), fix="send UTF-8 encoded CSV"
        ) from exc
    lines = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.startswith("#")
    ]
    if not lines:
        raise InvalidInput(
            "the CSV body is empty",
            field=("csv",),
            fix=f"send a header row and one row per frequency, e.g. {CSV_EXAMPLE!r}",
        )
    rows = list(csv.reader([ln for _, ln in lines]))
    header = [h.strip().lower() for h in rows[0]]
    if len(set(header)) != len(header):
        raise InvalidInput(
            f"the header row repeats a column name: {rows[0]}", field=("csv", "line", lines[0][0])
        )
    roles: dict[str, str] = {}
    inferred: set[str] = set()
    warnings: list[str] = []
    for name in header:
        if name in FREQ_COLUMNS:
            roles.setdefault("frequencies", name)
            continue
        hit: tuple[str, str | None] | None = None
        if name in GENERIC_REAL:
            hit = ("real", None)
        elif name in GENERIC_IMAG:
            hit = ("imag", None)
        else:
            for qname, (re_names, im_names) in QUANTITY_COLUMNS.items():
                if name in re_names:
                    hit = ("real", qname)
                elif name in im_names:
                    hit = ("imag", qname)
                if hit:
                    break
        if hit is None:
            warnings.append(
                f"CSV column '{name}' is not a frequency, real or imaginary part: ignored"
            )
            continue
        role, q = hit
        if role in roles:
            raise InvalidInput(
                f"two columns give the {role} part: '{roles[role]}' and '{name}'",
                field=("csv", "column", name),
                fix="keep one column per part",
            )
        roles[role] = name
        if q is not None:
            inferred.add(q)
    if "frequencies" not in roles:
        raise InvalidInput(
            f"no frequency column in the header {rows[0]}",
            field=("csv", "line", lines[0][0]),
            fix=f"name the frequency column one of {', '.join(FREQ_COLUMNS)}",
        )
    if "real" not in roles and "imag" not in roles:
        raise InvalidInput(
            f"no real or imaginary part in the header {rows[0]}",
            field=("csv", "line", lines[0][0]),
            fix="name the columns e.g. 'real'/'imag', 'eps1'/'eps2' or 'n'/'k'",
        )
    if quantity is None:
        if len(inferred) != 1:
            raise _query_error(
                "quantity",
                "cannot tell which quantity the columns are: add "
                "?quantity=chi|epsilon|mu|refractive_index to the URL",
            )
        quantity = inferred.pop()
    elif inferred and inferred != {quantity}:
        raise _query_error(
            "quantity",
            f"the columns name {sorted(inferred)} but ?quantity={quantity}: make them agree",
        )
    idx = {role: header.index(name) for role, name in roles.items()}
    cols: dict[str, list[float]] = {role: [] for role in idx}
    for (lineno, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != len(header):
            raise InvalidInput(
                f"line {lineno} has {len(row)} fields, the header has {len(header)}",
                field=("csv", "line", lineno),
                fix="give every row one value per column",
            )
        for role, j in idx.items():
            cell = row[j].strip()
            try:
                v = float(cell)
            except ValueError:
                raise InvalidInput(
                    f"line {lineno}, column '{header[j]}': {cell!r} is not a number",
                    field=("csv", "line", lineno, header[j]),
                    fix="give plain decimal numbers",
                ) from None
            if not np.isfinite(v):
                raise InvalidInput(
                    f"line {lineno}, column '{header[j]}': {cell!r} is not finite",
                    field=("csv", "line", lineno, header[j]),
                    fix="remove or fill the row",
                )
            cols[role].append(v)
    data: dict[str, Any] = {"quantity": quantity, **cols}
    return data, roles, warnings


def _is_json(ctype: str) -> bool:
    return ctype == "application/json" or ctype.endswith("+json")


def parse_kk_body(raw: bytes, ctype: str, given: dict[str, Any]) -> KramersKronigComputation:
    """The computation's body from a raw JSON body, or from a CSV body plus the query options
    ``given`` (synchronous: a big body is parsed in a worker thread by :func:`read_kk_request`).

    ``ctype`` must be a CSV or JSON type (the caller answers 415 for anything else).
    """
    given = dict(given)
    if ctype in CSV_TYPES:
        data, roles, warnings = _parse_csv(raw, given.pop("quantity", None))
        anchor_f = given.pop("anchor_frequency", None)
        anchor_v = given.pop("anchor_value", None)
        if anchor_f is not None:
            given["anchor"] = {"frequency": anchor_f, "value": anchor_v}
        elif anchor_v is not None:
            raise _query_error("anchor_frequency", "anchor_value needs anchor_frequency")
        try:
            req = KramersKronigRequest.model_validate({**data, **given})
        except ValidationError as exc:
            raise _validation_error(exc, frozenset(given)) from None
        return KramersKronigComputation(request=req, columns=roles, notes=warnings)
    if given:
        first = sorted(given)[0]
        raise _query_error(
            first,
            f"query option(s) {sorted(given)} apply to CSV bodies only: put the options in "
            "the JSON body",
        )
    try:
        req = KramersKronigRequest.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise _validation_error(exc) from None
    roles = {"frequencies": "frequencies", "real": "real", "imag": "imag"}
    return KramersKronigComputation(request=req, columns=roles, notes=[])


async def read_kk_request(request: Request, query: dict[str, Any]) -> KramersKronigComputation:
    """The computation's body from a JSON body, or from a CSV body plus the query options.

    Bodies over :data:`KK_INLINE_BODY_BYTES` are parsed and validated in a worker thread, so a
    2^20-point spectrum does not stall the event loop (``/healthz``).
    """
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    given = {k: v for k, v in query.items() if v is not None}
    if ctype not in CSV_TYPES and not _is_json(ctype):
        raise _UnsupportedMedia(ctype)
    if len(raw) > KK_INLINE_BODY_BYTES:
        return await anyio.to_thread.run_sync(parse_kk_body, raw, ctype, given)
    return parse_kk_body(raw, ctype, given)


class _UnsupportedMedia(Exception):
    def __init__(self, ctype: str):
        self.ctype = ctype


def _kk_limits(body: KramersKronigComputation, settings: Settings) -> None:
    """413 naming ``max_kk_points`` for a table that is too long (before any work)."""
    if len(body.request.frequencies) > settings.max_kk_points:
        ca.check_grid(body.request.frequencies, max_points=settings.max_kk_points, min_points=0)


@computation(
    "causality-kramers-kronig",
    KramersKronigComputation,
    model=ca.KK_MODEL,
    version=ca.MODEL_VERSIONS[ca.KK_MODEL],
    check=_kk_limits,
    request_path=("request",),
)
def causality_kramers_kronig(body: KramersKronigComputation, settings: Settings) -> Report:
    """The report of :func:`kramers_kronig` (runs in the compute pool)."""
    req = body.request
    return ca.kramers_kronig_report(
        req.frequencies,
        req.real,
        req.imag,
        quantity=req.quantity,
        unit=req.unit,
        high_frequency_value=req.high_frequency_value,
        tail=req.tail,
        rtol=req.rtol,
        method=req.method,
        anchor=None if req.anchor is None else (req.anchor.frequency, req.anchor.value),
        max_points=settings.max_kk_points,
        names=body.columns,
        notes=body.notes,
        low_frequency=req.low_frequency,
        sigma_dc=req.sigma_dc,
    )


@router.post(
    "/kramers-kronig",
    summary="Kramers-Kronig transforms, static-limit integral and f-sum of tabulated data",
    response_model=KramersKronigResponse,
    responses={**COMPUTE_RESPONSES, 415: {"description": "Body is neither JSON nor CSV."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": inline_schema(KramersKronigRequest)},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": CSV_EXAMPLE,
                },
            },
        }
    },
)
async def kramers_kronig(
    request: Request,
    svc: ServiceDep,
    format: FormatQuery = "json",
    quantity: Annotated[
        Quantity | None,
        Query(description="CSV bodies: the quantity (else inferred from the column names)."),
    ] = None,
    unit: Annotated[
        FrequencyUnit | None, Query(description="CSV bodies: unit of the frequencies.")
    ] = None,
    high_frequency_value: Annotated[
        float | None, Query(description="CSV bodies: f(w -> inf).")
    ] = None,
    tail: Annotated[
        Literal["fit", "none"] | None, Query(description="CSV bodies: `fit` or `none`.")
    ] = None,
    rtol: Annotated[
        float | None, Query(gt=0, le=1, description="CSV bodies: verdict tolerance.")
    ] = None,
    method: Annotated[
        Literal["auto", "fft", "tree"] | None,
        Query(description="CSV bodies: `auto`, `fft` or `tree`."),
    ] = None,
    anchor_frequency: Annotated[
        float | None, Query(ge=0, description="CSV bodies: anchor frequency w_a.")
    ] = None,
    anchor_value: Annotated[
        float | None, Query(description="CSV bodies: value of the reconstructed part at w_a.")
    ] = None,
    low_frequency: Annotated[
        Literal["auto", "insulator", "drude"] | None,
        Query(description="CSV bodies: `auto`, `insulator` or `drude` (below the lowest w)."),
    ] = None,
    sigma_dc: Annotated[
        float | None,
        Query(ge=0, description="CSV bodies: dc conductivity (Gaussian, in the frequency unit)."),
    ] = None,
) -> Response:
    """Kramers-Kronig relations for tabulated data f(w), w >= 0 (W&B eqs 4-7, 10).

    Send the real part, the imaginary part or both of one quantity (`chi`, `epsilon`, `mu`,
    `refractive_index`), as JSON or as a `text/csv` body whose header row names the columns
    (`frequency`; `real`/`imag`, or `eps1`/`eps2`, `n`/`k`, `mu1`/`mu2`, `chi1`/`chi2`) with the
    options in the query string. The reality condition f(-w) = f(w)* supplies w < 0; fields vary
    as exp(-i w t), so a passive eps has Im eps > 0.

    Re f(w) = f_inf + (2/pi) P int_0^inf w' Im f(w') / (w'^2 - w^2) dw' (eq 6) and
    Im f(w) = -(2w/pi) P int_0^inf (Re f(w') - f_inf) / (w'^2 - w^2) dw' (eq 5) are evaluated
    exactly for the piecewise-linear interpolant of the data (FFT convolution on uniform grids,
    a treecode otherwise), with a tail model beyond the last frequency whose contribution is
    returned. With both parts, the pointwise discrepancy is judged against a tolerance that adds
    the truncation and discretisation estimates. From Im f: the static limit
    f(0) - f_inf = (2/pi) int Im f / w dw (eq 7), split into the bands where Im f > 0 and < 0
    (a diamagnet, chi(0) < 0, needs Im chi < 0 somewhere), and for eps the f-sum
    int w Im eps dw = (pi/2) w_p^2.

    Conductors: below the lowest frequency Im f must be continued. An insulator's Im f falls
    linearly to 0; a conductor's Im eps grows as 4 pi sigma_dc / w (Gaussian convention, sigma_dc
    in the frequency unit). `low_frequency: auto` (default) detects the conductor from the data
    (w Im eps tends to a constant) and continues with a Drude term fitted to the lowest points,
    whose transform is exact; `results.low_frequency` reports sigma_dc, gamma and w_p. The dc term
    has no real part, so Im eps from Re eps cannot recover it: give `sigma_dc` (or send both
    parts) and it is added; the `dc_conductivity` check says when it is missing. The
    `kk_low_edge` check and the error estimates carry the uncertainty of the continuation.
    """
    query = {
        "quantity": quantity,
        "unit": unit,
        "high_frequency_value": high_frequency_value,
        "tail": tail,
        "rtol": rtol,
        "method": method,
        "anchor_frequency": anchor_frequency,
        "anchor_value": anchor_value,
        "low_frequency": low_frequency,
        "sigma_dc": sigma_dc,
    }
    try:
        body = await read_kk_request(request, query)
    except _UnsupportedMedia as exc:
        return problem_response(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"content-type '{exc.ctype}' is not accepted: send application/json or text/csv",
            request,
        )
    return await svc.respond(request, causality_kramers_kronig, body, fmt=format)


# ---------------------------------------------------------------------------------------------
# The oscillator medium
# ---------------------------------------------------------------------------------------------


def _oscillator_limits(body: OscillatorResponseRequest, settings: Settings) -> None:
    body.frequencies.check_size(settings)


@computation(
    "causality-oscillator",
    OscillatorResponseRequest,
    model=ca.OSC_MODEL,
    version=ca.MODEL_VERSIONS[ca.OSC_MODEL],
    check=_oscillator_limits,
)
def causality_oscillator(body: OscillatorResponseRequest, settings: Settings) -> Report:
    """The report of :func:`oscillator` (runs in the compute pool)."""
    medium = build_medium(body, settings)
    w, back = grid_in_medium_units(body.frequencies, body.unit)
    return ca.oscillator_causality_report(
        medium,
        w,
        frequencies=body.frequencies.points(),
        unit=body.frequencies.unit,
        medium_unit=body.unit,
        to_output=back,
        max_points=settings.max_kk_points,
    )


@router.post(
    "/oscillator",
    summary="Analytic Re chi, eps, mu of an oscillator medium next to their KK reconstructions",
    response_model=OscillatorCausalityResponse,
    responses=COMPUTE_RESPONSES,
)
async def oscillator(
    body: OscillatorResponseRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Causality check of the multipole oscillator medium (W&B eqs 20-26; body as
    `/v1/oscillator/response`, `k` is ignored).

    For chi = 1 - 1/mu (eq 23), eps and mu, the analytic real part on the grid next to the
    Kramers-Kronig reconstruction from the imaginary part (eq 6 with chi_inf = 0, eps_inf = mu_inf
    = 1: vacuum at high frequency) and the static-limit integral (2/pi) int Im f / w (eqs 7, 10)
    next to the analytic f(0) (eq 22). The integrals run on an internal grid that resolves every
    line and extends three decades beyond it; Im chi decays only like 1/w there (the w^2 terms of
    eq 21), which the tail model carries. Sum rules: f-sum of eps, eq 26, and the absorption
    integral of chi, which knows nothing of Delta_dia. When eq 26 fails, mu(inf) != 1 and
    chi(inf) != 0, and `meta.warnings` says so and by how much the reconstruction is off.
    All linewidths must be > 0.
    """
    return await svc.respond(request, causality_oscillator, body, fmt=format)
