"""Causality toolkit: Kramers-Kronig, static-limit integrals, sum rules (seed 000, eqs 4-10, 20-26)."""

from __future__ import annotations

import csv
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from app.errors import PROBLEM_RESPONSES, problem_response
from app.media import build_medium, grid_in_medium_units
from app.schemas.causality import (
    KramersKronigRequest,
    KramersKronigResponse,
    OscillatorCausalityResponse,
    Quantity,
    inline_schema,
)
from app.schemas.oscillator import OscillatorResponseRequest
from app.service import ComputeResult, FormatQuery, ServiceDep
from app.settings import Settings
from core import causality as ca
from core.errors import ConvergenceError, InvalidInput
from core.oscillators import evaluate
from core.units import FrequencyUnit, from_angular, to_angular

router = APIRouter(prefix="/v1/causality", tags=["causality"])

KK_MODEL = "causality-kramers-kronig"
OSC_MODEL = "causality-oscillator"

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

#: Internal-grid budget of the oscillator check (points per line are reduced to stay within it).
OSC_GRID_BUDGET = 400_000

CSV_EXAMPLE = "frequency,eps1,eps2\n0.0,3.0,0.0\n0.1,3.02,0.004\n"


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


async def read_kk_request(
    request: Request, query: dict[str, Any]
) -> tuple[KramersKronigRequest, dict[str, str], list[str]]:
    """The validated request from a JSON body, or from a CSV body plus the query options."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    given = {k: v for k, v in query.items() if v is not None}
    if ctype in ("text/csv", "application/csv", "text/plain"):
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
        return req, roles, warnings
    if ctype == "application/json" or ctype.endswith("+json"):
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
        return req, roles, []
    raise _UnsupportedMedia(ctype)


class _UnsupportedMedia(Exception):
    def __init__(self, ctype: str):
        self.ctype = ctype


# ---------------------------------------------------------------------------------------------
# Kramers-Kronig on tabulated data
# ---------------------------------------------------------------------------------------------


def _to_working(
    req: KramersKronigRequest, roles: dict[str, str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Frequencies in a linear unit (nm converted to rad/s), and the permutation back (or None)."""
    x = np.asarray(req.frequencies, dtype=np.float64)
    if req.unit != "nm":
        return x, None
    fname = roles.get("frequencies", "frequencies")
    if np.any(x <= 0):
        i = int(np.argmax(x <= 0))
        raise InvalidInput("wavelengths must be > 0", field=(fname, i))
    d = np.diff(x)
    if x.shape[0] > 1 and not (np.all(d > 0) or np.all(d < 0)):
        bad = (
            int(np.argmax(d == 0))
            if np.any(d == 0)
            else int(np.argmax(np.sign(d) != np.sign(d[0])))
        )
        raise InvalidInput(
            "wavelengths must be strictly monotonic (no repeats)",
            field=(fname, bad + 1),
            fix="sort the rows and remove duplicates",
        )
    w = to_angular(x, "nm")
    if w.shape[0] > 1 and w[1] < w[0]:
        perm = np.arange(w.shape[0])[::-1]
        return w[perm], perm
    return w, None


def _band_list(
    bands: tuple[ca.NegativeBand, ...], unit: str, field_back: Any
) -> list[dict[str, float]]:
    out = []
    for b in bands:
        lo, hi = sorted(float(v) for v in field_back(np.array([b.lo, b.hi])))
        out.append({"start": lo, "stop": hi, "contribution": b.contribution})
    return out


def _static_payload(
    st: ca.StaticLimitIntegral, finf: float, back: Any, unit: str
) -> dict[str, Any]:
    return {
        "value": st.value,
        "positive": st.positive,
        "negative": st.negative,
        "tail": st.tail,
        "error_estimate": st.error_estimate,
        "implied_static_value": finf + st.value,
        "negative_bands": _band_list(st.bands, unit, back),
    }


def _finite(name: str, a: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(a)):
        raise ConvergenceError(
            f"{name} came out non-finite", field=(), fix="check the data for extreme values"
        )
    return a


def kk_payload(
    req: KramersKronigRequest, roles: dict[str, str], settings: Settings, warnings: list[str]
) -> ComputeResult:
    """Arrays and checks of ``/v1/causality/kramers-kronig``."""
    w, perm = _to_working(req, roles)
    fname = roles.get("frequencies", "frequencies")
    cols = [
        (roles.get(k, k), getattr(req, k)) for k in ("real", "imag") if getattr(req, k) is not None
    ]
    w, arrays = ca.check_grid(w, *cols, max_points=settings.max_kk_points, freq_name=fname)
    if perm is not None:
        arrays = [a[perm] for a in arrays]
    parts = dict(
        zip([k for k in ("real", "imag") if getattr(req, k) is not None], arrays, strict=True)
    )
    finf = (
        ca.HIGH_FREQUENCY_VALUE[req.quantity]
        if req.high_frequency_value is None
        else float(req.high_frequency_value)
    )
    unit = req.unit
    if perm is None:

        def back(x: np.ndarray) -> np.ndarray:
            return np.asarray(x, dtype=np.float64)

        def user(a: np.ndarray) -> np.ndarray:
            return a
    else:

        def back(x: np.ndarray) -> np.ndarray:
            return np.asarray(from_angular(np.asarray(x), "nm"))

        def user(a: np.ndarray) -> np.ndarray:
            return a[perm]  # perm is its own inverse (a reversal)

    both = len(parts) == 2
    anchor_w: float | None = None
    if req.anchor is not None:
        anchor_w = (
            float(to_angular(np.array([req.anchor.frequency]), "nm")[0])
            if unit == "nm"
            else float(req.anchor.frequency)
        )
        if both and req.anchor.value is not None:
            raise InvalidInput(
                "with both parts given, the anchor value is taken from the data",
                field=("anchor", "value"),
                fix="leave out anchor.value (or send one part only)",
            )
        if not both and req.anchor.value is None:
            raise InvalidInput(
                "anchor.value is needed: the known value of the reconstructed part at w_a",
                field=("anchor", "value"),
                fix="give the value, or drop the anchor",
            )

    amps = [float(np.abs(parts["real"] - finf).max())] if "real" in parts else []
    amps += [float(np.abs(parts["imag"]).max())] if "imag" in parts else []
    scale = max(*amps, 1e-300)
    data: dict[str, Any] = {"frequencies": np.asarray(req.frequencies, dtype=np.float64)}
    for k, a in parts.items():
        data[k] = user(a)
    checks: dict[str, Any] = {}
    kk_check: dict[str, Any] = {"rtol": req.rtol, "scale": scale, "high_frequency_value": finf}
    verdicts: list[bool] = []

    for src, direction, out in (("imag", "re_from_im", "real"), ("real", "im_from_re", "imag")):
        if src not in parts:
            continue
        anchor = None
        if anchor_w is not None:
            val = req.anchor.value if not both else float(np.interp(anchor_w, w, parts[out]))  # type: ignore[union-attr]
            anchor = (anchor_w, float(val))  # type: ignore[arg-type]
        res = ca.kramers_kronig(
            w,
            parts[src],
            direction=direction,  # type: ignore[arg-type]
            high_frequency_value=finf,
            tail=req.tail,
            anchor=anchor,
            method=req.method,
            max_points=settings.max_kk_points,
            values_name=roles.get(src, src),
        )
        data[f"{out}_kk"] = user(_finite(f"{out}_kk", res.values))
        data[f"{out}_kk_tail"] = user(res.tail_part)
        data[f"{out}_kk_error_estimate"] = user(res.error_estimate)
        entry: dict[str, Any] = {
            "method": res.method,
            "max_tail_contribution": float(np.abs(res.tail_part).max()),
            "max_truncation_estimate": float(res.truncation_estimate.max()),
            "max_discretisation_estimate": float(res.discretisation_estimate.max()),
            "tail": {
                "model": res.tail.model,
                "powers": list(res.tail.powers),
                "coefficients_at_w_max": list(res.tail.coeffs),
                "fit_window": sorted(float(v) for v in back(np.array(res.tail.window))),
            },
            "low_frequency_extension": res.low_frequency_extension,
        }
        if res.anchor is not None:
            entry["anchor"] = {"frequency": req.anchor.frequency, "value": res.anchor[1]}  # type: ignore[union-attr]
        big_tail = entry["max_tail_contribution"] > req.rtol * scale
        if big_tail:
            warnings.append(
                f"the tail beyond the last frequency contributes up to "
                f"{entry['max_tail_contribution']:.3g} to {out}_kk (tail model '{res.tail.model}'); "
                "a spectrum extending further would need less of it"
            )
        if both:
            d = ca.discrepancy(res, parts[out], scale, req.rtol)
            data[f"{out}_discrepancy"] = user(d.discrepancy)
            data[f"{out}_tolerance"] = user(d.tolerance)
            worst = float(back(np.array([d.worst_frequency]))[0])
            entry.update(
                {
                    "verdict": d.consistent,
                    "max_discrepancy": d.max_discrepancy,
                    "worst_frequency": worst,
                }
            )
            verdicts.append(d.consistent)
            if not d.consistent:
                warnings.append(
                    f"{out} reconstructed from {src} misses the given {out} by "
                    f"{d.max_discrepancy:.3g} at {worst:.6g} {unit}, beyond the tolerance "
                    f"({req.rtol:g} x {scale:.3g} plus the truncation and discretisation "
                    f"estimates): the pair is not causal with f_inf = {finf:g}"
                    + (
                        " (a constant offset means the high-frequency value is wrong)"
                        if out == "real"
                        else ""
                    )
                    + ", or the spectrum is missing structure the estimates cannot see"
                )
        kk_check[out] = entry
    if both:
        kk_check["verdict"] = all(verdicts)
    checks["kramers_kronig"] = kk_check

    if "imag" in parts:
        st = ca.static_limit_integral(
            w, parts["imag"], tail=req.tail, values_name=roles.get("imag", "imag")
        )
        data["static_limit"] = _static_payload(st, finf, back, unit)
        checks["static_limit"] = {
            "equation": "W&B eq 7 (eq 10 for mu): f(0) - f_inf = (2/pi) int Im f / w",
            "value": st.value,
            "implied_static_value": finf + st.value,
            "error_estimate": st.error_estimate,
        }
        if "real" in parts and w[0] == 0.0:
            given0 = float(parts["real"][0])
            checks["static_limit"]["given_static_value"] = given0
            checks["static_limit"]["verdict"] = bool(
                abs(finf + st.value - given0) <= req.rtol * scale + st.error_estimate
            )
        if req.quantity == "chi":
            checks["static_limit"]["diamagnetic"] = bool(st.value + finf < 0)
        if req.quantity == "epsilon":
            fs = ca.f_sum_rule(w, parts["imag"], values_name=roles.get("imag", "imag"))
            fs_unit = "(rad/s)^2" if unit == "nm" else f"({unit})^2"
            data["f_sum"] = {
                "value": fs.value,
                "expected": None,
                "error_estimate": fs.error_estimate,
                "tail": fs.tail,
                "unit": fs_unit,
                "note": fs.note,
            }
            checks["f_sum"] = {
                "equation": "int_0^inf w Im eps dw = (pi/2) w_p^2",
                "value": fs.value,
                "effective_plasma_frequency": fs.extra["effective_plasma_frequency"],
                "unit": fs_unit,
            }
            if fs.note:
                warnings.append(fs.note)
        ints = ca.negative_intervals(w, parts["imag"])
        neg = [
            dict(zip(("start", "stop"), sorted(float(v) for v in back(np.array(iv))), strict=True))
            for iv in ints
        ]
        sign: dict[str, Any] = {"negative_imag_intervals": neg}
        if req.quantity in ("epsilon", "refractive_index"):
            sign["verdict"] = not ints
            if ints:
                warnings.append(
                    f"Im {req.quantity} < 0 on {len(ints)} interval(s): gain, not a passive medium"
                )
        else:
            sign["note"] = (
                "Im chi and Im mu may be negative in a passive medium (W&B section IV): "
                "passivity needs Im(eps mu) >= 0"
            )
        checks["passivity"] = sign
    units = {"frequencies": unit, "real": "1", "imag": "1"}
    return {"checks": checks, "warnings": warnings, "units": units}, data


@router.post(
    "/kramers-kronig",
    summary="Kramers-Kronig transforms, static-limit integral and f-sum of tabulated data",
    response_model=KramersKronigResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {"text/csv": {}}},
        304: {"description": "Not modified (ETag)."},
        415: {"description": "Body is neither JSON nor CSV."},
    },
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
    tail: Annotated[str | None, Query(description="CSV bodies: `fit` or `none`.")] = None,
    rtol: Annotated[float | None, Query(description="CSV bodies: verdict tolerance.")] = None,
    method: Annotated[str | None, Query(description="CSV bodies: `auto`, `fft` or `tree`.")] = None,
    anchor_frequency: Annotated[
        float | None, Query(description="CSV bodies: anchor frequency w_a.")
    ] = None,
    anchor_value: Annotated[
        float | None, Query(description="CSV bodies: value of the reconstructed part at w_a.")
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
    """
    settings = svc.settings
    query = {
        "quantity": quantity,
        "unit": unit,
        "high_frequency_value": high_frequency_value,
        "tail": tail,
        "rtol": rtol,
        "method": method,
        "anchor_frequency": anchor_frequency,
        "anchor_value": anchor_value,
    }
    try:
        req, roles, warnings = await read_kk_request(request, query)
    except _UnsupportedMedia as exc:
        return problem_response(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"content-type '{exc.ctype}' is not accepted: send application/json or text/csv",
            request,
        )
    if len(req.frequencies) > settings.max_kk_points:
        ca.check_grid(req.frequencies, max_points=settings.max_kk_points, min_points=0)

    def compute() -> ComputeResult:
        return kk_payload(req, roles, settings, list(warnings))

    return await svc.respond(
        request,
        model=KK_MODEL,
        version=ca.MODEL_VERSIONS[KK_MODEL],
        params={"request": req.model_dump(), "columns": roles},
        compute=compute,
        fmt=format,
    )


# ---------------------------------------------------------------------------------------------
# The oscillator medium
# ---------------------------------------------------------------------------------------------


def _rule(r: ca.SumRule) -> dict[str, Any]:
    return {
        "value": r.value,
        "expected": r.expected,
        "error_estimate": r.error_estimate,
        "tail": r.tail,
        "unit": r.unit,
        "note": r.note,
    }


@router.post(
    "/oscillator",
    summary="Analytic Re chi, eps, mu of an oscillator medium next to their KK reconstructions",
    response_model=OscillatorCausalityResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {"text/csv": {}}},
        304: {"description": "Not modified (ETag)."},
    },
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
    settings = svc.settings
    body.frequencies.check_size(settings)
    medium = build_medium(body, settings)
    w, back = grid_in_medium_units(body.frequencies, body.unit)

    def compute() -> ComputeResult:
        per_width = float(min(16.0, max(1.0, OSC_GRID_BUDGET / (60.0 * medium.size))))
        rep = ca.oscillator_causality(
            medium, w, per_width=per_width, max_points=settings.max_kk_points
        )
        data: dict[str, Any] = {"frequencies": body.frequencies.points()}
        checks: dict[str, Any] = {}
        statics: dict[str, Any] = {}
        resp = evaluate(medium, w)
        imag = {"chi": resp.chi.imag, "epsilon": resp.epsilon.imag, "mu": resp.mu.imag}
        for name, chk in rep.checks.items():
            data[f"{name}_real"] = chk.re_analytic
            data[f"{name}_real_kk"] = chk.re_kk
            data[f"{name}_imag"] = imag[name]
            checks[name] = {
                "verdict": chk.consistent,
                "max_error": chk.max_error,
                "scale": chk.scale,
                "assumed_high_frequency_value": chk.assumed_high_frequency_value,
                "model_high_frequency_value": chk.model_high_frequency_value + 0.0,
                "static_integral": chk.static_integral.value,
                "static_expected": chk.static_expected,
            }
            statics[name] = _static_payload(
                chk.static_integral, chk.assumed_high_frequency_value, back, body.frequencies.unit
            )
        checks["sum_rule_residual"] = {
            "verdict": rep.eq26_holds,
            "value": rep.eq26_residual,
            "scale": rep.eq26_scale,
            "equation": "W&B eq 26",
        }
        rules = {k: _rule(r) for k, r in rep.sum_rules.items()}
        for k, r in rep.sum_rules.items():
            if r.expected is not None:
                checks[k] = {
                    "verdict": bool(
                        abs(r.value - r.expected)
                        <= 1e-3 * max(abs(r.expected), 1e-12) + r.error_estimate
                    ),
                    "value": r.value,
                    "expected": r.expected,
                    "error_estimate": r.error_estimate,
                }
        passivity: dict[str, Any] = {
            "verdict": rep.passivity.passive,
            "rule": "Im eps >= 0 and Im(eps mu) >= 0; Im mu < 0 is allowed (W&B section IV)",
        }
        for name in ("epsilon", "mu", "eps_mu"):
            sr = rep.passivity.reports.get(name)
            if sr is not None:
                passivity[f"min_im_{name}"] = sr.min_imag
                passivity[f"negative_im_{name}_intervals"] = [
                    dict(
                        zip(
                            ("start", "stop"),
                            sorted(float(v) for v in back(np.array(iv))),
                            strict=True,
                        )
                    )
                    for iv in sr.negative_intervals
                ]
        checks["passivity"] = passivity
        data["static_limits"] = statics
        data["sum_rules"] = rules
        data["internal_points"] = rep.internal_points
        warnings = list(rep.reasons)
        if not rep.passivity.passive:
            warnings.append(
                "Im(eps mu) < 0 on part of the internal grid (meta.checks.passivity lists where): "
                "the medium amplifies a propagating wave there"
            )
        units = {"frequencies": body.frequencies.unit, "transitions": body.unit}
        return {"checks": checks, "warnings": warnings, "units": units}, data

    return await svc.respond(
        request,
        model=OSC_MODEL,
        version=ca.MODEL_VERSIONS[OSC_MODEL],
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )
