"""Kramers-Kronig transforms of tabulated data (Westerberg & Barnett 2025, eqs 5-6).

Re f(w) - f_inf = (2/pi) P int_0^inf w' Im f(w') / (w'^2 - w^2) dw' (eq 6) and
Im f(w) = -(2w/pi) P int_0^inf [Re f(w') - f_inf] / (w'^2 - w^2) dw' (eq 5), exact for the
piecewise-linear interpolant, with the tail model of :mod:`core.causality.tails`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import (
    DIRECTIONS,
    DISCRETISATION_SAFETY,
    LOW_EDGE_FLOOR,
    LOW_FREQUENCY_MODELS,
    MIN_POINTS,
    TAIL_FLOOR,
    TAIL_MODELS,
    Direction,
    FloatArray,
    LowFrequency,
    Method,
    TailModel,
)
from core.causality.drude import (
    CONDUCTOR_SLOPE,
    DRUDE_FIT_POINTS,
    DrudeTail,
    drude_low_part,
    fit_drude,
    low_edge_slope,
)
from core.causality.grids import _check_literal, check_grid
from core.causality.hilbert import (
    _hilbert_nodes,
    _pv_direct,
    _resolve_method,
    _segment_pv,
)
from core.causality.tails import TailFit, _g_integrals, _tail_transform, fit_tail
from core.errors import InvalidInput

# ---------------------------------------------------------------------------------------------
# Kramers-Kronig transforms
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KKResult:
    """A Kramers-Kronig reconstruction on the input grid, all arrays shape (N,).

    Attributes
    ----------
    frequencies : the input grid.
    values : the reconstructed Re f (``re_from_im``) or Im f (``im_from_re``).
    data_part : contribution of the tabulated data on [0, w_max] (with the low-frequency extension).
    tail_part : contribution of the tail model beyond w_max.
    truncation_estimate : >= 0, the uncertainty of ``tail_part``.
    discretisation_estimate : >= 0, the interpolation error estimated by grid halving on both
        parities of the grid, without the asymptotic factor 1/3 and times DISCRETISATION_SAFETY (zeros when not requested).
    low_edge_estimate : >= 0, the uncertainty of the continuation below the first frequency (sum
        of the changes under the other continuations, the shape change doubled, floored at LOW_EDGE_FLOOR of the lowest
        segment's contribution); zeros when the grid starts at 0.
    low_frequency : "none" (grid starts at 0), "insulator" (Im f linear to 0, Re f flat) or
        "drude" (Im f = Drude term + a remainder linear to 0; see :mod:`core.causality.drude`).
    drude : the Drude term used (re_from_im), or the given dc term (im_from_re), else None.
    low_edge_slope : d ln(w Im f)/d ln w at the low edge (re_from_im, Im f > 0 there), else None.
    conductor_like : low_edge_slope <= CONDUCTOR_SLOPE (re_from_im), else None.
    """

    direction: str
    method: str
    frequencies: FloatArray
    values: FloatArray
    data_part: FloatArray
    tail_part: FloatArray
    truncation_estimate: FloatArray
    discretisation_estimate: FloatArray
    high_frequency_value: float
    tail: TailFit
    anchor: tuple[float, float] | None = None
    low_frequency_extension: bool = False
    low_edge_estimate: FloatArray | None = None
    low_frequency: str = "none"
    drude: DrudeTail | None = None
    low_edge_slope: float | None = None
    conductor_like: bool | None = None

    @property
    def error_estimate(self) -> FloatArray:
        """truncation + discretisation + low-edge estimate, pointwise."""
        out = self.truncation_estimate + self.discretisation_estimate
        if self.low_edge_estimate is not None:
            out = out + self.low_edge_estimate
        return out


def _data_transform(
    w: FloatArray, y: FloatArray, direction: str, method: str
) -> tuple[FloatArray, bool]:
    """The data part on the nodes of ``w`` (low end extended to 0)."""
    odd = direction == "re_from_im"
    ext = bool(w[0] > 0)
    if method == "fft":
        out = _hilbert_nodes(w, y, 1 if odd else -1, "fft")
        if ext:
            y0 = 0.0 if odd else float(y[0])
            a = np.array([0.0])
            b = np.array([w[0]])
            seg_p = _segment_pv(a, b, np.array([y0]), y[:1], w[:, None])[:, 0]
            seg_m = _segment_pv(a, b, np.array([y0]), y[:1], -w[:, None])[:, 0]
            out = out + (seg_p + (1 if odd else -1) * seg_m) / np.pi
    else:
        if ext:
            x = np.concatenate([[0.0], w])
            yy = np.concatenate([[0.0 if odd else float(y[0])], y])
        else:
            x, yy = w, y
        full = _hilbert_nodes(x, yy, 1 if odd else -1, method)
        out = full[1:] if ext else full
    if not odd:
        out = -out
        out[w == 0] = 0.0
    return out, ext


def kramers_kronig(
    w: ArrayLike,
    values: ArrayLike,
    *,
    direction: Direction = "re_from_im",
    high_frequency_value: float = 0.0,
    tail: TailModel = "fit",
    anchor: tuple[float, float] | None = None,
    method: Method = "auto",
    error_estimate: bool = True,
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
    values_name: str = "values",
    low_frequency: LowFrequency = "auto",
    sigma_dc: float | None = None,
) -> KKResult:
    """Kramers-Kronig transform of tabulated data on [w_0, w_max], w_0 >= 0 (eqs 5-6).

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, >= 0, any linear unit.
    values : (N,) float
        Im f (``re_from_im``) or Re f (``im_from_re``), dimensionless.
    direction : {"re_from_im", "im_from_re"}
    high_frequency_value : float
        f_inf = f(w -> inf), real (0 for chi, 1 for eps, mu, n).
    tail : {"fit", "none"}
        Continuation beyond w_max (see :func:`fit_tail`); ``none`` truncates at w_max, where the
        transform then diverges logarithmically (the finite part is reported there).
    anchor : (w_a, f_a), optional
        Singly subtracted KK: the known value f_a of the *reconstructed* part at w_a in
        [0, w_max] (w_a > 0 for ``im_from_re``). The result then no longer depends on f_inf, and
        the tail enters only through tail(w) - tail(w_a).
    method : {"auto", "fft", "tree", "direct"}
        ``auto``: ``fft`` on a uniform grid, else ``tree``.
    error_estimate : bool
        Also compute the discretisation estimate (one more transform on every other point).
    max_points : int, optional
        The ``max_kk_points`` limit.
    low_frequency : {"auto", "insulator", "drude"}
        Continuation of Im f below the first frequency w_0 > 0 (re_from_im): ``insulator``
        linear to Im f(0) = 0; ``drude`` the Drude term fitted at the low edge
        (:func:`core.causality.drude.fit_drude`) plus a remainder linear to 0, its transform in
        closed form; ``auto`` chooses ``drude`` when w Im f tends to a positive constant
        (:data:`core.causality.drude.CONDUCTOR_SLOPE`). For im_from_re only ``drude`` with
        ``sigma_dc`` has an effect (a dc term cannot be recovered from Re f).
    sigma_dc : float, optional
        dc conductivity, Gaussian convention: Im f contains 4 pi sigma_dc / w, sigma_dc in the unit
        of ``w`` (>= 0). re_from_im: fixes the Drude term's dc limit; im_from_re: the term
        4 pi sigma_dc / w is added to the reconstruction.

    Returns
    -------
    KKResult

    Notes
    -----
    re_from_im (eq 6):  Re f(w) = f_inf + (2/pi) P int_0^inf w' Im f(w') / (w'^2 - w^2) dw'
    im_from_re (eq 5):  Im f(w) = -(2w/pi) P int_0^inf (Re f(w') - f_inf) / (w'^2 - w^2) dw'
    subtracted (anchor): Re f(w) = Re f(w_a) + [T(w) - T(w_a)], and
    Im f(w) / w = Im f(w_a) / w_a + [T(w)/w - T(w_a)/w_a], T the unsubtracted transform.
    With partial fractions both reduce to S(w) +- S(-w), S(x) = P int_0^W y/(w' - x) (module Notes).
    Drude continuation: Re f = f_inf + (Re f_D - f_inf) + T[Im f - Im f_D], the first in closed
    form (:mod:`core.causality.drude`); conductor form of eq 5: Im f = 4 pi sigma_dc / w + T[Re f].
    """
    _check_literal(direction, DIRECTIONS, "direction")
    _check_literal(low_frequency, LOW_FREQUENCY_MODELS, "low_frequency")
    _check_literal(tail, TAIL_MODELS, "tail")
    wv, (yv,) = check_grid(
        w, (values_name, values), field_prefix=field_prefix, max_points=max_points
    )
    if not np.isfinite(high_frequency_value):
        raise InvalidInput("high_frequency_value must be finite", field=("high_frequency_value",))
    odd = direction == "re_from_im"
    if odd and wv[0] == 0.0 and yv[0] != 0.0:
        raise InvalidInput(
            f"Im f(0) = {yv[0]} but the reality condition f(-w) = f(w)* makes Im f(0) = 0",
            field=(*field_prefix, values_name, 0),
            fix="set the imaginary part at w = 0 to 0, or drop the w = 0 row",
        )
    if anchor is not None:
        wa, fa = float(anchor[0]), float(anchor[1])
        if not (np.isfinite(wa) and np.isfinite(fa)) or wa < wv[0] or wa > wv[-1]:
            raise InvalidInput(
                f"anchor frequency {wa} is outside the data range [{wv[0]}, {wv[-1]}]",
                field=("anchor",),
                fix="anchor at a frequency inside the tabulated range",
            )
        if not odd and wa <= 0:
            raise InvalidInput(
                "an anchor for Im f needs w_a > 0 (Im f(0) = 0 carries no information)",
                field=("anchor",),
            )
    meth = _resolve_method(method, wv)
    y0 = yv if odd else yv - high_frequency_value
    low = _low_frequency_model(wv, y0, odd, low_frequency, sigma_dc, field_prefix)
    drude = low.drude
    if odd and drude is not None:
        closed = drude.real_minus_inf(wv)
        y = y0 - drude.imag(wv)
    elif drude is not None:  # im_from_re with a given dc term
        closed = drude.dc_coefficient / wv
        y = y0
    else:
        closed = np.zeros_like(wv)
        y = y0
    data, ext = _data_transform(wv, y, direction, meth)
    parity: Literal["odd", "even"] = "odd" if odd else "even"
    tfit = fit_tail(wv, y, parity, model=tail)
    gw = _g_integrals(wv / float(wv[-1]), 1.0, 2)  # scaled grid, shared by the tail models below
    tail_part = _tail_transform(tfit, wv, direction, gw)
    fitted = (
        tail_part if tail == "fit" else _tail_transform(fit_tail(wv, y, parity), wv, direction, gw)
    )
    # Other continuations through the last point: the fit on a narrower window, and each of the
    # two powers alone (the slow and the fast decay); the spread is the truncation uncertainty.
    fit_model = tfit if tail == "fit" else fit_tail(wv, y, parity)
    p1, p2 = (1, 3) if odd else (2, 4)
    alts = [
        fit_tail(wv, y, parity, lower=0.5),
        TailFit("fit", (p1,), (float(y[-1]),), float(wv[-1]), fit_model.window),
        TailFit("fit", (p2,), (float(y[-1]),), float(wv[-1]), fit_model.window),
    ]
    alt_parts = [_tail_transform(a, wv, direction, gw) for a in alts]
    if anchor is not None:
        # Subtracted KK: only tail(w) - tail(w_a) enters (scaled by w for Im f), so judge that.
        wa_arr = np.array([float(anchor[0])])
        wa0 = float(wa_arr[0])
        fitted = _subtract_at(
            fitted, _tail_transform(fit_model, wa_arr, direction)[0], wv, odd, wa0
        )
        alt_parts = [
            _subtract_at(ap, _tail_transform(a, wa_arr, direction)[0], wv, odd, wa0)
            for a, ap in zip(alts, alt_parts, strict=True)
        ]
    spread = np.max(np.abs(np.stack(alt_parts) - fitted), axis=0)
    trunc = np.maximum(spread, TAIL_FLOOR * np.abs(fitted))
    if tail == "none":
        # Truncated on purpose: the whole (fitted) tail is missing, plus its own uncertainty.
        trunc = trunc + np.abs(fitted)
    base = high_frequency_value if odd else 0.0
    total = base + closed + data + tail_part

    disc = np.zeros_like(wv)
    if error_estimate and wv.shape[0] >= 2 * MIN_POINTS:
        # Grid halving on both parities (even and odd points), each compared with the fine result
        # on its own nodes and carried to the others by the larger neighbour; the full change is
        # kept (the asymptotic 1/3 of a uniform O(h^2) error does not hold on non-uniform grids or
        # at the grid ends), and doubled (DISCRETISATION_SAFETY) to cover non-uniform grids.
        for start in (0, 1):
            idx = np.arange(start, wv.shape[0], 2)
            wc, yc = wv[idx], y[idx]
            dc, _ = _data_transform(
                wc, yc, direction, _resolve_method("auto", wc) if meth != "direct" else "direct"
            )
            tc = _tail_transform(fit_tail(wc, yc, parity, model=tail), wc, direction)
            diff = np.abs((dc + tc) - (data[idx] + tail_part[idx]))
            full = np.zeros_like(wv)
            full[idx] = diff
            others = np.setdiff1d(np.arange(wv.shape[0]), idx)
            j = np.searchsorted(idx, others)
            lo = diff[np.clip(j - 1, 0, idx.shape[0] - 1)]
            hi = diff[np.clip(j, 0, idx.shape[0] - 1)]
            full[others] = np.maximum(lo, hi)
            disc = np.maximum(disc, full)
        disc *= DISCRETISATION_SAFETY

    lo_est = np.zeros_like(wv)
    if ext:
        lo_est = _low_edge_estimate(wv, y0, y, direction, low)

    anchor_out = None
    if anchor is not None:
        wa, fa = float(anchor[0]), float(anchor[1])
        ta = _transform_at(wv, y, direction, np.array([wa]), tfit)[0] + _closed_at(
            low.drude, odd, wa
        )
        part = closed + data + tail_part
        if odd:
            total = fa + part - ta
        else:
            total = wv * (fa / wa + (part / np.where(wv == 0, 1.0, wv) - ta / wa))
            total[wv == 0] = 0.0
        anchor_out = (wa, fa)

    return KKResult(
        direction=direction,
        method=meth,
        frequencies=wv,
        values=total,
        data_part=data,
        tail_part=tail_part,
        truncation_estimate=trunc,
        discretisation_estimate=disc,
        high_frequency_value=float(high_frequency_value),
        tail=tfit,
        anchor=anchor_out,
        low_frequency_extension=ext,
        low_edge_estimate=lo_est,
        low_frequency=low.model if ext else "none",
        drude=low.drude,
        low_edge_slope=low.slope,
        conductor_like=low.conductor_like,
    )


@dataclass(frozen=True)
class _LowModel:
    """The continuation below w_0 chosen for one transform."""

    model: str
    drude: DrudeTail | None
    slope: float | None
    conductor_like: bool | None
    requested: str
    sigma_dc: float | None


def _low_frequency_model(
    w: FloatArray,
    y: FloatArray,
    odd: bool,
    requested: str,
    sigma_dc: float | None,
    field_prefix: tuple[str | int, ...],
) -> _LowModel:
    """Choose the continuation below w_0 (see :func:`kramers_kronig`, ``low_frequency``)."""
    if sigma_dc is not None and not (np.isfinite(sigma_dc) and sigma_dc >= 0):
        raise InvalidInput(
            f"sigma_dc must be finite and >= 0 (got {sigma_dc})", field=("sigma_dc",)
        )
    given = sigma_dc is not None and sigma_dc > 0
    if requested == "insulator" and given:
        raise InvalidInput(
            "low_frequency 'insulator' contradicts a positive sigma_dc",
            field=("low_frequency",),
            fix="use low_frequency 'drude' (or 'auto') with sigma_dc, or drop sigma_dc",
        )
    if w[0] == 0.0 and given:
        raise InvalidInput(
            "a dc conductivity makes Im f infinite at w = 0, but the grid has a w = 0 row",
            field=(*field_prefix, "frequencies", 0),
            fix="drop the w = 0 row, or drop sigma_dc",
        )
    if not odd:
        if requested == "drude" and not given:
            raise InvalidInput(
                "a dc term 4 pi sigma_dc / w in Im f cannot be recovered from Re f (it has no "
                "real part): the Drude low-frequency model needs sigma_dc",
                field=("sigma_dc",),
                fix="give sigma_dc (Gaussian: Im eps contains 4 pi sigma_dc / w, sigma_dc in the "
                "frequency unit), or use low_frequency 'auto'",
            )
        dc = (
            DrudeTail(float(sigma_dc), float("inf"), "given", 0)
            if given and sigma_dc is not None
            else None
        )
        return _LowModel("drude" if dc else "insulator", dc, None, None, requested, sigma_dc)
    slope = low_edge_slope(w, y)
    conductor = None if slope is None else bool(slope <= CONDUCTOR_SLOPE)
    if w[0] == 0.0:
        if requested == "drude":
            raise InvalidInput(
                "the grid starts at w = 0 with Im f(0) = 0: there is no dc term to continue",
                field=("low_frequency",),
                fix="use low_frequency 'auto' or 'insulator'",
            )
        return _LowModel("none", None, None, None, requested, sigma_dc)
    if given or requested == "drude" or (requested == "auto" and conductor):
        d = fit_drude(w, y, sigma_dc=sigma_dc if given else None)
        if d is None and requested == "drude":
            raise InvalidInput(
                "cannot fit a Drude term at the low edge: w Im f does not approach a positive "
                "constant there",
                field=("low_frequency",),
                fix="give sigma_dc, or use low_frequency 'insulator'",
            )
        if d is not None:
            return _LowModel("drude", d, slope, conductor, requested, sigma_dc)
    return _LowModel("insulator", None, slope, conductor, requested, sigma_dc)


def _closed_at(drude: DrudeTail | None, odd: bool, wa: float) -> float:
    """The closed-form part at one frequency (see :func:`kramers_kronig`)."""
    if drude is None:
        return 0.0
    if odd:
        return float(drude.real_minus_inf(np.array([wa]))[0])
    return drude.dc_coefficient / wa


def _extension_change(
    new: DrudeTail | None, old: DrudeTail | None, w: FloatArray, w0: float
) -> FloatArray:
    """Change of the re_from_im transform when the Drude term of the continuation changes from
    ``old`` to ``new`` (None: no Drude term, the insulator continuation).

    Above w_0 the data are the data, so only [0, w_0] changes, by D(w) = Im f_new - Im f_old less
    its line through (0, 0) and (w_0, D(w_0)) (the remainder's continuation absorbs the rest). Its
    transform is :func:`core.causality.drude.drude_low_part` of each term minus the segment's
    closed form; their ln|w_0 - w| cancel at w = w_0, evaluated a relative 1e-9 below it.
    """
    x = np.where(w == w0, w0 * (1.0 - 1e-9), w)
    out = np.zeros_like(w)
    at0 = 0.0
    for tail, sign in ((new, 1.0), (old, -1.0)):
        if tail is None:
            continue
        out += sign * drude_low_part(tail, w0, x)
        at0 += sign * float(tail.imag(np.array([w0]))[0])
    return out - _low_segment(x, np.array([0.0, w0]), np.array([0.0, at0]), True)


def _low_segment(w: FloatArray, xs: FloatArray, ys: FloatArray, odd: bool) -> FloatArray:
    """Transform (same factors as :func:`_data_transform`) of the piecewise-linear ys on xs."""
    a, b = xs[:-1], xs[1:]
    sp = _segment_pv(a, b, ys[:-1], ys[1:], w[:, None]).sum(axis=1)
    sm = _segment_pv(a, b, ys[:-1], ys[1:], -w[:, None]).sum(axis=1)
    out = (sp + (sm if odd else -sm)) / np.pi
    if not odd:
        out = -out
    return out


def _low_edge_estimate(
    w: FloatArray,
    y_data: FloatArray,
    y: FloatArray,
    direction: str,
    low: _LowModel,
) -> FloatArray:
    """Uncertainty of the continuation below w_0 > 0: the sum of the changes of the transform
    under the other continuations (in closed form, :func:`_extension_change`) (a triangle-inequality sum, not a maximum), floored at
    LOW_EDGE_FLOOR of the continuation's variation across [0, w_0] (decaying away
    from w_0).

    Shape: the segment [0, w_0] is replaced by the two-term law through the first two points
    (Im f = a w + b w^3 odd, Re f = c + d w^2 even), drawn through w_0 / 2. Drude term (odd):
    refits on 3 and 2 DRUDE_FIT_POINTS points and the pure dc term (and, forced on data that are
    not conductor-like, the insulator continuation). Insulator on conductor-like data (odd): the
    difference from the Drude continuation plus that continuation's own estimate.
    """
    odd = direction == "re_from_im"
    w0, w1 = float(w[0]), float(w[1])
    v0, v1 = float(y[0]), float(y[1])
    lin = _low_segment(w, np.array([0.0, w0]), np.array([0.0 if odd else v0, v0]), odd)
    if odd:
        # y = a w + b w^3 through (w0, v0), (w1, v1)
        det = w0 * w1**3 - w1 * w0**3
        a = (v0 * w1**3 - v1 * w0**3) / det
        b = (w0 * v1 - w1 * v0) / det
        half = 0.5 * a * w0 + 0.125 * b * w0**3
        alt_ys = np.array([0.0, half, v0])
    else:
        d2 = (v1 - v0) / (w1**2 - w0**2)
        c = v0 - d2 * w0**2
        alt_ys = np.array([c, c + 0.25 * d2 * w0**2, v0])
    shape = _low_segment(w, np.array([0.0, 0.5 * w0, w0]), alt_ys, odd)
    swing = abs(v0 - float(alt_ys[0]))  # the continuation's variation across [0, w_0]
    # Floor: LOW_EDGE_FLOOR of the continuation's variation across the segment near w_0 and its far-field decay
    # (the segment's transform at w >> w_0 falls as (w_0/w)^2 for Im f, w_0/w for Re f); the
    # segment's transform at w_0 itself carries the grid-dependent ln w_0 of the principal value.
    decay = np.minimum(1.0, w0 / w) ** (2 if odd else 1)
    est = np.maximum(2.0 * np.abs(shape - lin), LOW_EDGE_FLOOR * swing * decay)
    if not odd:
        return est
    if low.model == "drude" and low.drude is not None:
        d0 = low.drude
        sig = low.sigma_dc if d0.source == "given" else None
        alts: list[DrudeTail] = []
        for k in (3, 2 * DRUDE_FIT_POINTS):
            dk = fit_drude(w, y_data, sigma_dc=sig, k=k)
            if dk is not None:
                alts.append(dk)
        if np.isfinite(d0.damping):
            alts.append(DrudeTail(d0.sigma_dc, float("inf"), d0.source, d0.fit_points))
        for da in alts:
            est = est + np.abs(_extension_change(da, d0, w, w0))
        if low.conductor_like is False:  # a Drude term forced on insulator-like data
            est = est + np.abs(_extension_change(None, d0, w, w0))
        return est
    if low.conductor_like:
        d = fit_drude(w, y_data)
        if d is None:  # w Im f falls too fast to fit: the pure dc term through the first point
            d = DrudeTail(w0 * float(y_data[0]) / (4.0 * np.pi), float("inf"), "fit", 1)
        alt_low = _LowModel("drude", d, low.slope, True, "drude", None)
        est_d = _low_edge_estimate(w, y_data, y_data - d.imag(w), direction, alt_low)
        est = est + np.abs(_extension_change(d, None, w, w0)) + est_d
    return est


def _subtract_at(
    values: FloatArray, at_a: float, w: FloatArray, odd: bool, wa: float
) -> FloatArray:
    """values(w) - values(w_a) (Re f), or w (values(w)/w - values(w_a)/w_a) (Im f)."""
    if odd:
        return values - at_a
    out = w * (values / np.where(w == 0, 1.0, w) - at_a / wa)
    out[w == 0] = 0.0
    return out


def _transform_at(
    w: FloatArray, y: FloatArray, direction: str, pts: FloatArray, tfit: TailFit
) -> FloatArray:
    """Unsubtracted data + tail transform at arbitrary points inside [0, w_max] (direct sum)."""
    odd = direction == "re_from_im"
    if w[0] > 0:
        x = np.concatenate([[0.0], w])
        yy = np.concatenate([[0.0 if odd else float(y[0])], y])
    else:
        x, yy = w, y
    s = _pv_direct(x, yy, np.concatenate([pts, -pts]))
    k = pts.shape[0]
    if odd:
        data = (s[:k] + s[k:]) / np.pi
    else:
        data = -(s[:k] - s[k:]) / np.pi
    return data + _tail_transform(tfit, pts, direction)


def re_from_im(w: ArrayLike, im: ArrayLike, **kwargs: object) -> KKResult:
    """Re f from Im f (eq 6); keyword arguments as :func:`kramers_kronig`."""
    return kramers_kronig(w, im, direction="re_from_im", **kwargs)  # type: ignore[arg-type]


def im_from_re(w: ArrayLike, re: ArrayLike, **kwargs: object) -> KKResult:
    """Im f from Re f (eq 5); keyword arguments as :func:`kramers_kronig`."""
    return kramers_kronig(w, re, direction="im_from_re", **kwargs)  # type: ignore[arg-type]
