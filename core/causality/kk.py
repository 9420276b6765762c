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
    MIN_POINTS,
    TAIL_FLOOR,
    TAIL_MODELS,
    Direction,
    FloatArray,
    Method,
    TailModel,
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
    discretisation_estimate : >= 0, the interpolation error estimated by grid halving (zeros when
        not requested).
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

    @property
    def error_estimate(self) -> FloatArray:
        """truncation + discretisation estimate, pointwise."""
        return self.truncation_estimate + self.discretisation_estimate


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
    """
    _check_literal(direction, DIRECTIONS, "direction")
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
    y = yv if odd else yv - high_frequency_value
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
    total = base + data + tail_part

    disc = np.zeros_like(wv)
    if error_estimate and wv.shape[0] >= 2 * MIN_POINTS:
        idx = np.arange(0, wv.shape[0], 2)
        wc, yc = wv[idx], y[idx]
        dc, _ = _data_transform(
            wc, yc, direction, _resolve_method("auto", wc) if meth != "direct" else "direct"
        )
        tc = _tail_transform(fit_tail(wc, yc, parity, model=tail), wc, direction)
        diff = np.abs((dc + tc) - (data[idx] + tail_part[idx])) / 3.0
        # The coarse grid may end below w_max: its top point carries a truncation change too.
        disc = np.interp(wv, wc, diff)

    anchor_out = None
    if anchor is not None:
        wa, fa = float(anchor[0]), float(anchor[1])
        ta = _transform_at(wv, y, direction, np.array([wa]), tfit)[0]
        if odd:
            total = fa + (data + tail_part) - ta
        else:
            total = wv * (fa / wa + ((data + tail_part) / np.where(wv == 0, 1.0, wv) - ta / wa))
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
    )


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
