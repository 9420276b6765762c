"""Causality, passivity and sum-rule tools (seed 000, sections II-IV, eqs 4-10).

Units and conventions
---------------------
Fields vary as exp(-i w t); a causal response f(w) is analytic for Im w > 0 and obeys the reality
condition f(-w) = f(w)* (assumption II), so Re f is even and Im f is odd in w. Passive: Im eps >= 0
and, for propagating waves, Im(eps mu) >= 0; Im mu (and Im chi) alone may be negative (eq 25 and
the discussion of section IV.A). Frequencies are in any *linear* unit, the same for every argument
of a call; results of integrals carry the powers of that unit stated in each docstring.

Implemented relations
---------------------
eq 6 (with f_inf = f(w -> inf), eqs 4-6 written for f - f_inf):
    Re f(w) - f_inf = (2/pi) P int_0^inf w' Im f(w') / (w'^2 - w^2) dw'
eq 5 on the half line:
    Im f(w) = -(2w/pi) P int_0^inf [Re f(w') - f_inf] / (w'^2 - w^2) dw'
eqs 7 and 10 (static limit):
    f(0) - f_inf = (2/pi) int_0^inf Im f(w') / w' dw'
f-sum (Thomas-Reiche-Kuhn, the optical form the paper cites for eq 26):
    int_0^inf w Im eps(w) dw = (pi/2) w_p^2
eq 26 (multipole medium): sum_e Delta_dia/w_eg^2 + Delta_quad - Delta_dipoct = 0  <=>  mu(inf) = 1.

Quantities and the function that is transformed: ``chi`` (chi = 1 - 1/mu of eq 23, f_inf = 0),
``epsilon`` (f_inf = 1), ``mu`` (transformed as chi_m = mu - 1, i.e. f = mu with f_inf = 1; valid
when 1/mu has no zero in the upper half-plane, which holds for the media tested here and is checked
by the oscillator endpoint rather than assumed), ``refractive_index`` (n = sqrt(eps mu) on the
passive branch, n_inf = 1).

Numerical method
----------------
The tabulated half of the spectrum is replaced by its piecewise-linear interpolant on [0, w_max]
(the low end is extended to w = 0: linearly to 0 for the odd Im f, flat for the even Re f), and the
principal-value integrals of that interpolant are evaluated *exactly*: with the reality condition,
both relations reduce to S(x) = P int_0^W y(w') / (w' - x) dw' at x = +w_i and x = -w_i, and for a
linear segment [a, b] of y

    int_a^b y(w') / (w' - x) dw' = beta (b - a) + y_lin(x) ln|(b - x) / (a - x)|,

with beta the slope and y_lin the segment's line continued to x. When x is a node, the two
divergent logarithms of the neighbouring segments cancel exactly (y is continuous), and they are
dropped (the principal value). Three evaluators give the same numbers to rounding:

* ``fft``: uniform grids. The sum over segments is a Toeplitz (x = +w_i) plus a Hankel (x = -w_i)
  matrix-vector product; summed by parts it acts on the differences y_{k+1} - y_k alone with the
  kernel 1 - K(m + 1) + K(m), K(t) = t ln|t|, and is done by one zero-padded FFT convolution:
  aperiodic, so there is no wrap-around error, unlike the circular discrete Hilbert transform
  (``scipy.signal.hilbert``). Kernel spectra are cached per grid size.
* ``tree``: any sorted grid. A treecode over segments (numba): far clusters of segments act through
  the multipole expansion of the Cauchy kernel, -sum_n M_n / t^(n+1) with the exact moments M_n of
  the piecewise-linear data; near segments use the closed form above. O(N log N).
* ``direct``: the O(N^2) closed-form sum (numpy, chunked); the reference and the fallback.

Beyond w_max a tail model (``tail='fit'``) continues the data with two inverse powers that respect
the parity (Im f ~ a1/w + a3/w^3, Re f - f_inf ~ b2/w^2 + b4/w^4), is continuous at w_max and is
fitted to the top quarter of the data's range; its contribution is integrated in closed form and reported
separately, with a truncation estimate: the largest difference from three other continuations
through the last point (the fit on the upper half, and each power alone: the slow and the
fast decay), floored at 10 % of the tail contribution. With ``tail='none'`` the whole fitted tail
is added to that estimate. A discretisation estimate compares with the same transform on every other
point (the interpolant's error is O(h^2), so the fine-grid error is about a third of the change).

Reference: M. Westerberg and S. M. Barnett, "Is there a conflict between causality and
diamagnetism?" (2025); L. D. Landau and E. M. Lifshitz, Electrodynamics of Continuous Media,
section 123 (Kramers-Kronig, f-sum); F. W. King, Hilbert Transforms, vol. 1 (2009),
doi:10.1017/CBO9780511721458.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sfft

from core.errors import InvalidInput, LimitExceeded
from core.passivity import PASSIVITY as PASSIVITY
from core.passivity import negative_intervals
from core.passivity import passivity_check as passivity_check

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

Direction = Literal["re_from_im", "im_from_re"]
Method = Literal["auto", "fft", "tree", "direct"]
TailModel = Literal["fit", "none"]
Quantity = Literal["chi", "epsilon", "mu", "refractive_index"]

#: Model names and versions (part of the cache keys of the HTTP layer).
MODEL_VERSIONS: Final[dict[str, str]] = {
    "causality-kramers-kronig": "1.0.0",
    "causality-oscillator": "1.0.0",
}

DIRECTIONS: Final = get_args(Direction)
METHODS: Final = get_args(Method)
TAIL_MODELS: Final = get_args(TailModel)
QUANTITIES: Final = get_args(Quantity)

#: High-frequency value f(inf) of each quantity for a medium that is vacuum at high frequency.
HIGH_FREQUENCY_VALUE: Final[dict[str, float]] = {
    "chi": 0.0,
    "epsilon": 1.0,
    "mu": 1.0,
    "refractive_index": 1.0,
}

#: Fewest tabulated points a transform accepts.
MIN_POINTS: Final = 8
#: Relative deviation from an exact lattice under which a grid counts as uniform (FFT path).
UNIFORM_RTOL: Final = 1e-9
#: Bound on the temporaries of the direct evaluator (bytes per chunk).
CHUNK_BYTES: Final = 64 * 2**20
#: Treecode: segments per leaf, expansion order and opening angle (|t| >= r / theta).
TREE_LEAF: Final = 32
TREE_ORDER: Final = 30
TREE_THETA: Final = 0.5
#: Most points used to fit the tail (an even subsample of the window beyond that).
FIT_MAX_POINTS: Final = 4096
#: Fraction of the tail contribution always counted as truncation uncertainty.
TAIL_FLOOR: Final = 0.1


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def check_grid(
    w: ArrayLike,
    *values: tuple[str, ArrayLike],
    field_prefix: tuple[str | int, ...] = (),
    min_points: int = MIN_POINTS,
    max_points: int | None = None,
    freq_name: str = "frequencies",
) -> tuple[FloatArray, list[FloatArray]]:
    """Validate a tabulated spectrum: sorted, distinct, finite, >= 0, matching lengths.

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, w >= 0.
    values : (name, (N,) float) pairs
        The tabulated columns; ``name`` is the field name used in error paths.
    max_points : int, optional
        The limit ``max_kk_points``; more points raise :class:`LimitExceeded`.

    Returns
    -------
    The frequencies and the columns as float64 arrays (copies).

    Raises
    ------
    InvalidInput
        Naming the problem and the offending index.
    """
    wv = np.array(w, dtype=np.float64, ndmin=1)
    fw = (*field_prefix, freq_name)
    if wv.ndim != 1:
        raise InvalidInput("frequencies must be a one-dimensional list", field=fw)
    n = wv.shape[0]
    if max_points is not None and n > max_points:
        raise LimitExceeded(
            f"{n} tabulated points exceed the limit of {max_points}",
            limit_name="max_kk_points",
            limit=max_points,
            requested=n,
            field=fw,
            fix=f"send at most {max_points} points (resample the spectrum)",
        )
    if n < min_points:
        raise InvalidInput(
            f"too few points: {n} given, at least {min_points} needed",
            field=fw,
            fix=f"tabulate the spectrum on at least {min_points} frequencies",
        )
    bad = ~np.isfinite(wv)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(f"frequency {i} is not finite ({wv[i]})", field=(*fw, i))
    if wv[0] < 0:
        raise InvalidInput(
            f"frequencies must be >= 0 (got {wv[0]}); the reality condition supplies w < 0",
            field=(*fw, 0),
            fix="send only the non-negative half of the spectrum",
        )
    dw = np.diff(wv)
    if np.any(dw == 0):
        i = int(np.argmax(dw == 0)) + 1
        raise InvalidInput(
            f"duplicate frequency {wv[i]} at index {i}",
            field=(*fw, i),
            fix="remove or average the repeated rows",
        )
    if np.any(dw < 0):
        i = int(np.argmax(dw < 0)) + 1
        raise InvalidInput(
            f"frequencies are not sorted: index {i} ({wv[i]}) is below index {i - 1} ({wv[i - 1]})",
            field=(*fw, i),
            fix="sort the rows by increasing frequency",
        )
    out = []
    for name, v in values:
        arr = np.array(v, dtype=np.float64, ndmin=1)
        fv = (*field_prefix, name)
        if arr.ndim != 1 or arr.shape[0] != n:
            raise InvalidInput(
                f"'{name}' has {arr.size} values but there are {n} frequencies",
                field=fv,
                fix="give one value per frequency",
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidInput(f"{name}[{i}] is not finite ({arr[i]})", field=(*fv, i))
        out.append(arr)
    return wv, out


def _check_literal(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise InvalidInput(
            f"{name} must be one of {', '.join(allowed)} (got {value!r})", field=(name,)
        )


def is_uniform(w: FloatArray, rtol: float = UNIFORM_RTOL) -> bool:
    """True when w_k = w_0 + k h to within ``rtol * (w_max - w_0)``."""
    n = w.shape[0]
    if n < 3:
        return True
    span = w[-1] - w[0]
    lattice = w[0] + span * np.arange(n) / (n - 1)
    return bool(np.max(np.abs(w - lattice)) <= rtol * span)


# ---------------------------------------------------------------------------------------------
# The principal-value sum S(x) = P int_{x_0}^{x_{n-1}} y(u) / (u - x) du of a piecewise-linear y
# ---------------------------------------------------------------------------------------------


def _segment_pv(
    a: FloatArray, b: FloatArray, ya: FloatArray, yb: FloatArray, x: FloatArray
) -> FloatArray:
    """Closed-form P int_a^b y(u)/(u - x) du for linear y on [a, b]; broadcasts.

    A logarithm of an exact zero (x on a segment end) is dropped: it cancels against the
    neighbouring segment's (principal value at a node).
    """
    h = b - a
    beta = (yb - ya) / h
    da = a - x
    db = b - x
    g = ya - beta * da
    outside = (da * db) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lg_out = np.log1p(h / np.where(da == 0, 1.0, da))
        lg_in = np.log(np.where(db == 0, 1.0, np.abs(db))) - np.log(
            np.where(da == 0, 1.0, np.abs(da))
        )
    lg = np.where(outside, lg_out, lg_in)
    return beta * h + g * lg


def _pv_direct(x: FloatArray, y: FloatArray, targets: FloatArray) -> FloatArray:
    """S at ``targets`` by the O(N M) closed-form sum, chunked over targets."""
    a, b, ya, yb = x[:-1], x[1:], y[:-1], y[1:]
    nseg = a.shape[0]
    out = np.empty(targets.shape[0])
    chunk = max(1, CHUNK_BYTES // (8 * 10 * max(nseg, 1)))
    for s in range(0, targets.shape[0], chunk):
        t = targets[s : s + chunk, None]
        out[s : s + chunk] = _segment_pv(a, b, ya, yb, t).sum(axis=1)
    return out


#: Cache of the kernel spectra of the FFT path, keyed by (N, 2 w_0 / h), for grids of at most
#: ``FFT_CACHE_MAX_POINTS`` points (2 complex spectra of ~1.5 N values and 4 real N-vectors:
#: ~80 MB at 2^20).
FFT_CACHE_MAX_POINTS: Final = 2**20 + 1
#: Grids remembered (2: a grid and its every-other-point copy used by the error estimate).
FFT_CACHE_ENTRIES: Final = 2
_FFT_CACHE: dict[tuple[int, float], tuple[ComplexArray, ComplexArray, FloatArray]] = {}


def _circular(values: FloatArray, nneg: int, size: int) -> FloatArray:
    """Place values of q = -nneg .. len - nneg - 1 at q mod size."""
    buf = np.zeros(size)
    buf[: values.shape[0] - nneg] = values[nneg:]
    if nneg:
        buf[size - nneg :] = values[:nneg]
    return buf


def _xlogx(t: FloatArray) -> FloatArray:
    """t ln|t| with 0 ln 0 = 0."""
    out = np.zeros_like(t)
    nz = t != 0
    out[nz] = t[nz] * np.log(np.abs(t[nz]))
    return out


def _logabs(t: FloatArray) -> FloatArray:
    """ln|t| with ln 0 := 0 (the dropped end logarithm, see module Notes)."""
    out = np.zeros_like(t)
    nz = t != 0
    out[nz] = np.log(np.abs(t[nz]))
    return out


def _fft_kernels(n: int, alpha: float, size: int) -> tuple[ComplexArray, ComplexArray, FloatArray]:
    """Kernel spectra (Toeplitz E, Hankel E_H with the reversal phase) and the end logarithms."""
    key = (n, alpha)
    hit = _FFT_CACHE.get(key)
    if hit is not None and hit[0].shape[0] == size // 2 + 1:
        return hit
    nneg = n - 2
    # Toeplitz kernel E(m) as a function of q = i - k (m = k - i = -q), q = -nneg .. n - 1, so
    # m runs from n - 2 down to -(n - 1); K(t) = t ln|t| is odd, so one half is enough.
    kpos = _xlogx(np.arange(n, dtype=np.float64))  # K(0 .. n-1)
    kfull = np.concatenate([-kpos[:0:-1], kpos])  # K(-(n-1) .. n-1)
    e = 1.0 - kfull[1:] + kfull[:-1]  # E(m) for m = -(n-1) .. n-2, ascending
    kt = sfft.rfft(_circular(e[::-1], nneg, size))
    del kpos, kfull, e
    # Hankel kernel E_H(n') = 1 - K(n' + 1 + alpha) + K(n' + alpha), n' = n - 2 + q = 0 .. 2n-3.
    kh_vals = _xlogx(np.arange(0, 2 * n - 1, dtype=np.float64) + alpha)
    kh = sfft.rfft(_circular(1.0 - kh_vals[1:] + kh_vals[:-1], nneg, size))
    del kh_vals
    # The Hankel product convolves the reversed data, whose spectrum is
    # exp(-2 pi i f (n - 2) / size) conj(F(data)): fold the phase into the kernel.
    kh *= np.exp(-2j * np.pi * np.arange(kh.shape[0]) * (nneg / size))
    i = np.arange(n, dtype=np.float64)
    ends = np.stack(
        [_logabs(n - 1 - i), _logabs(-i), _logabs(n - 1 + i + alpha), _logabs(i + alpha)]
    )
    out = (kt, kh, ends)
    if n <= FFT_CACHE_MAX_POINTS:
        if len(_FFT_CACHE) >= FFT_CACHE_ENTRIES:
            _FFT_CACHE.pop(next(iter(_FFT_CACHE)))
        _FFT_CACHE[key] = out
    return out


def clear_fft_cache() -> None:
    """Drop the cached kernel spectra of the FFT path."""
    _FFT_CACHE.clear()


def _pv_fft_pair(x0: float, h: float, y: FloatArray, sign: float) -> FloatArray:
    """S(x_i) + sign * S(-x_i) on a uniform grid x_i = x0 + i h, by aperiodic FFT convolution.

    With d_k = y_{k+1} - y_k, the closed form of segment k at x_i is d_k A(m) + y_k B(m),
    m = k - i, B(m) = ln|(m + 1)/m|, A(m) = 1 - m B(m). B is a difference of L(m) = ln|m|, so
    summing by parts over k leaves a single input:

        S(x_i) = sum_k d_k E(k - i) + y_{n-1} L(n - 1 - i) - y_0 L(-i),
        E(m) = 1 - K(m + 1) + K(m),  K(t) = t ln|t|;

    likewise at -x_i with n' = k + i and t -> t + alpha, alpha = 2 x0 / h (Hankel). The Toeplitz
    product is a convolution with the reflected kernel, the Hankel product a convolution of the
    reversed data, whose spectrum follows from the data's by conjugation and a phase. Zero padding
    to >= 3N makes both aperiodic (exact). E grows only like ln|m|, so rounding stays near
    eps N ln N times the data's variation (measured: 1e-13 relative for smooth data, 1e-6 for
    white noise at N = 2^20). ln 0 is dropped (finite part); the dimensionful ln h left at the
    grid ends is restored below, matching the other evaluators.
    """
    n = y.shape[0]
    size = sfft.next_fast_len(3 * n, real=True)
    alpha = 2.0 * x0 / h
    kt, kh, ends = _fft_kernels(n, alpha, size)
    fd = sfft.rfft(np.diff(y), size)
    spec = fd * kt
    tmp = np.conj(fd)
    tmp *= kh
    if sign > 0:
        spec += tmp
    else:
        spec -= tmp
    del tmp, fd
    out = sfft.irfft(spec, size)[:n]
    out += y[-1] * ends[0] - y[0] * ends[1]
    out += sign * (y[-1] * ends[2] - y[0] * ends[3])
    lnh = np.log(h)
    out[0] += y[0] * lnh
    out[-1] -= y[-1] * lnh
    if alpha == 0.0:
        out[0] += sign * y[0] * lnh
    return out


try:  # pragma: no cover - exercised whenever numba is installed (it is a declared dependency)
    import numba

    @numba.njit(cache=True)
    def _tree_moments(x, y, seg_lo, seg_hi, centre, radius, order):
        nnode = seg_lo.shape[0]
        mom = np.zeros((nnode, order + 1))
        for nd in range(nnode):
            c = centre[nd]
            r = radius[nd]
            for k in range(seg_lo[nd], seg_hi[nd]):
                ap = (x[k] - c) / r
                bp = (x[k + 1] - c) / r
                ya = y[k]
                slope = (y[k + 1] - ya) / (bp - ap)  # dy/du' with u' = (u - c) / r
                c0 = ya - slope * ap
                pa = ap
                pb = bp
                for j in range(order + 1):
                    # pa = ap^(j+1), pb = bp^(j+1)
                    pa2 = pa * ap
                    pb2 = pb * bp
                    mom[nd, j] += r * (c0 * (pb - pa) / (j + 1) + slope * (pb2 - pa2) / (j + 2))
                    pa = pa2
                    pb = pb2
        return mom

    @numba.njit(parallel=True, cache=True)
    def _tree_eval(x, y, targets, seg_lo, seg_hi, left, right, centre, radius, mom, theta):
        nt = targets.shape[0]
        order = mom.shape[1] - 1
        out = np.zeros(nt)
        for it in numba.prange(nt):
            xt = targets[it]
            stack = np.empty(128, dtype=np.int64)
            sp = 0
            stack[0] = 0
            sp = 1
            acc = 0.0
            while sp > 0:
                sp -= 1
                nd = stack[sp]
                t = xt - centre[nd]
                r = radius[nd]
                if abs(t) * theta >= r:
                    qv = r / t
                    s = 0.0
                    for j in range(order, -1, -1):
                        s = s * qv + mom[nd, j]
                    acc -= s / t
                elif left[nd] < 0:
                    for k in range(seg_lo[nd], seg_hi[nd]):
                        a = x[k]
                        b = x[k + 1]
                        hh = b - a
                        beta = (y[k + 1] - y[k]) / hh
                        da = a - xt
                        db = b - xt
                        g = y[k] - beta * da
                        v = beta * hh
                        if da * db > 0:
                            v += g * np.log1p(hh / da)
                        else:
                            if db != 0.0:
                                v += g * np.log(abs(db))
                            if da != 0.0:
                                v -= g * np.log(abs(da))
                        acc += v
                else:
                    stack[sp] = left[nd]
                    stack[sp + 1] = right[nd]
                    sp += 2
            out[it] = acc
        return out

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def _build_tree(
    x: FloatArray, leaf: int
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    FloatArray,
    FloatArray,
]:
    """Binary tree over the segments of ``x`` by index bisection (node 0 is the root)."""
    nseg = x.shape[0] - 1
    lo_l: list[int] = [0]
    hi_l: list[int] = [nseg]
    left_l: list[int] = [-1]
    right_l: list[int] = [-1]
    i = 0
    while i < len(lo_l):
        lo, hi = lo_l[i], hi_l[i]
        if hi - lo > leaf:
            mid = (lo + hi) // 2
            left_l[i] = len(lo_l)
            lo_l.append(lo)
            hi_l.append(mid)
            left_l.append(-1)
            right_l.append(-1)
            right_l[i] = len(lo_l)
            lo_l.append(mid)
            hi_l.append(hi)
            left_l.append(-1)
            right_l.append(-1)
        i += 1
    lo_a = np.asarray(lo_l, dtype=np.int64)
    hi_a = np.asarray(hi_l, dtype=np.int64)
    centre = 0.5 * (x[lo_a] + x[hi_a])
    radius = 0.5 * (x[hi_a] - x[lo_a])
    return lo_a, hi_a, np.asarray(left_l, np.int64), np.asarray(right_l, np.int64), centre, radius


def _pv_tree(x: FloatArray, y: FloatArray, targets: FloatArray) -> FloatArray:
    lo, hi, left, right, centre, radius = _build_tree(x, TREE_LEAF)
    mom = _tree_moments(x, y, lo, hi, centre, radius, TREE_ORDER)
    return _tree_eval(x, y, targets, lo, hi, left, right, centre, radius, mom, TREE_THETA)


def _hilbert_nodes(x: FloatArray, y: FloatArray, parity: int, method: str) -> FloatArray:
    """(1/pi) [S(x_i) + parity * S(-x_i)] at every node of the piecewise-linear y on x >= 0.

    parity = +1 (odd y: Re from Im) or -1 (even y: Im from Re, before the factor -1).
    """
    if method == "fft":
        return _pv_fft_pair(float(x[0]), float(x[1] - x[0]), y, float(parity)) / np.pi
    targets = np.concatenate([x, -x])
    if method == "tree":
        s = _pv_tree(x, y, targets)
    else:
        s = _pv_direct(x, y, targets)
    n = x.shape[0]
    return (s[:n] + parity * s[n:]) / np.pi


def _resolve_method(method: str, w: FloatArray) -> str:
    _check_literal(method, METHODS, "method")
    if method == "auto":
        if is_uniform(w):
            return "fft"
        return "tree" if HAVE_NUMBA else "direct"
    if method == "fft" and not is_uniform(w):
        raise InvalidInput(
            "method 'fft' needs a uniform frequency grid",
            field=("method",),
            fix="use method 'auto' or 'tree' for a non-uniform grid",
        )
    if method == "tree" and not HAVE_NUMBA:  # pragma: no cover
        return "direct"
    return method


# ---------------------------------------------------------------------------------------------
# Tail model beyond w_max
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TailFit:
    """A tail y(w) = sum_j coeffs[j] (W / w)^powers[j] for w > W, continuous at W.

    ``window`` is the frequency range the coefficients were fitted on.
    """

    model: str
    powers: tuple[int, ...]
    coeffs: tuple[float, ...]
    w_max: float
    window: tuple[float, float]

    def __call__(self, w: ArrayLike) -> FloatArray:
        wv = np.asarray(w, dtype=np.float64)
        out = np.zeros_like(wv)
        for p, c in zip(self.powers, self.coeffs, strict=True):
            out = out + c * (self.w_max / wv) ** p
        return out


def fit_tail(
    w: FloatArray,
    y: FloatArray,
    parity: Literal["odd", "even"],
    *,
    lower: float = 0.75,
    powers: tuple[int, int] | None = None,
    model: str = "fit",
) -> TailFit:
    """Fit y ~ c1 (W/w)^p1 + c2 (W/w)^p2 on w >= lower * W, constrained to y(W) = y_N.

    Parameters
    ----------
    w, y : (N,) float
        The tabulated data.
    parity : {"odd", "even"}
        Odd data (Im f) uses p = (1, 3); even data (Re f - f_inf) uses p = (2, 4): the
        asymptotic series of a function with the reality condition.
    lower : float
        The fit window is [lower * W, W] (default: the top quarter, which tested better than the
        top half when the data end close to a line); with fewer than 3 points in it, only the leading power
        is kept (a pure power law through the last point).

    Notes
    -----
    With the constraint, y_tail = y_N u^p1 + a (u^p2 - u^p1), u = W/w, and ``a`` is the least
    squares solution over the window.
    """
    wmax = float(w[-1])
    yn = float(y[-1])
    if powers is None:
        powers = (1, 3) if parity == "odd" else (2, 4)
    p1, p2 = powers
    sel = w >= lower * wmax
    if model == "none":
        return TailFit("none", (p1,), (0.0,), wmax, (wmax, wmax))
    if np.count_nonzero(sel) < 3:
        return TailFit(model, (p1,), (yn,), wmax, (float(w[sel][0]) if sel.any() else wmax, wmax))
    idx = np.flatnonzero(sel)
    if idx.shape[0] > FIT_MAX_POINTS:  # an even subsample keeps the fit cheap on huge grids
        idx = idx[np.linspace(0, idx.shape[0] - 1, FIT_MAX_POINTS).astype(np.int64)]
    u = wmax / w[idx]
    basis = u**p2 - u**p1
    rhs = y[idx] - yn * u**p1
    den = float(basis @ basis)
    a = float(basis @ rhs) / den if den > 0 else 0.0
    return TailFit(model, (p1, p2), (yn - a, a), wmax, (float(w[sel][0]), wmax))


def _g_integrals(w: FloatArray, wmax: float, mmax: int) -> FloatArray:
    """G_m(w) = P int_W^inf w'^(-2m) / (w'^2 - w^2) dw' for m = 0..mmax, shape (mmax+1, N).

    ``w`` must be sorted ascending, within [0, W].

    Series sum_k w^2k / ((2k + 2m + 1) W^(2k+2m+1)) for w < W/4; closed form
    G_0 = ln|(W + w)/(W - w)| / (2w) and G_m = (G_{m-1} - 1/((2m-1) W^(2m-1))) / w^2 above. At
    w = W the divergent ln|W - w| is dropped, matching the data part (see module Notes).
    """
    out = np.empty((mmax + 1, w.shape[0]))
    # w is sorted: the series region is a prefix (slices, not masks: this runs on 1e6 points).
    j = int(np.searchsorted(w, 0.25 * wmax))
    small = slice(0, j)
    big = slice(j, None)
    # Below W/4: the series for the highest m (Horner, 16 terms reach 16^-16), then the stable
    # downward recurrence G_{m-1} = w^2 G_m + 1 / ((2m - 1) W^(2m-1)).
    z2 = (w[small] / wmax) ** 2
    acc = np.zeros_like(z2)
    for k in range(15, -1, -1):
        acc *= z2
        acc += 1.0 / (2 * k + 2 * mmax + 1)
    g = acc / wmax ** (2 * mmax + 1)
    out[mmax, small] = g
    w2s = w[small] ** 2
    for m in range(mmax, 0, -1):
        g = w2s * g + 1.0 / ((2 * m - 1) * wmax ** (2 * m - 1))
        out[m - 1, small] = g
    # Above: G_0 in closed form and the upward recurrence (loses at most ~3 digits at W/4).
    wb = w[big]
    den = np.abs(wmax - wb)
    ratio = (wmax + wb) / np.where(den == 0, 1.0, den)
    lg = np.log(ratio)
    at_top = den == 0
    if at_top.any():
        lg[at_top] = np.log(wmax + wb[at_top])  # ln|W - w| dropped at w = W
    g = lg / (2.0 * wb)
    out[0, big] = g
    for m in range(1, mmax + 1):
        g = (g - 1.0 / ((2 * m - 1) * wmax ** (2 * m - 1))) / wb**2
        out[m, big] = g
    return out


def _tail_transform(
    tail: TailFit, w: FloatArray, direction: str, g: FloatArray | None = None
) -> FloatArray:
    """Contribution of the tail beyond W to the transform at ``w`` (same factors as the data).

    ``g`` may pass precomputed :func:`_g_integrals` of the *scaled* grid, ``_g_integrals(w / W,
    1.0, 2)``. Everything is evaluated in u = w / W: the tail coefficients are dimensionless
    (y = sum c (W/w)^p), so a c W^p G_m(w; W) = c G_m(w/W; 1) and no power of W is ever formed;
    the transform is then scale-free (a grid in units of 1e-70 or 1e70 gives the same numbers).
    """
    if tail.model == "none":
        return np.zeros_like(w)
    mmax = max(tail.powers) // 2
    u = w / tail.w_max
    if g is None or g.shape[0] <= mmax:
        g = _g_integrals(u, 1.0, mmax)
    # At w = W the divergent ln|W - w| is dropped; in the scaled variable that drops ln|1 - u|,
    # i.e. ln W more than in absolute units. Put it back (every row: it enters G_0 as
    # ln W / (2W) and the recurrence carries it as ln W / (2 W^(2m+1))), so the finite part at the
    # grid end matches the data part's, which keeps its ln h in absolute units.
    end = np.flatnonzero(u == 1.0)
    if end.size:
        g = g.copy()
        g[:, end] += 0.5 * np.log(tail.w_max)
    out = np.zeros_like(w)
    for p, c in zip(tail.powers, tail.coeffs, strict=True):
        if direction == "re_from_im":  # (2/pi) int w' c (W/w')^p / (w'^2 - w^2), p odd
            out += (2.0 / np.pi) * c * g[(p - 1) // 2]
        else:  # -(2w/pi) int c (W/w')^p / (w'^2 - w^2), p even
            out += -(2.0 / np.pi) * u * c * g[p // 2]
    return out


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


# ---------------------------------------------------------------------------------------------
# Sign structure
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Static-limit integral (eqs 7 and 10) and sum rules
# ---------------------------------------------------------------------------------------------


def _with_origin(w: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Prepend (0, 0) when the grid starts above 0 (odd data, linear to the origin)."""
    if w[0] > 0:
        return np.concatenate([[0.0], w]), np.concatenate([[0.0], y])
    return w, y


def _split_at_roots(
    w: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Sub-segments (a, b, ya, yb) of the piecewise-linear y, split where y changes sign."""
    a, b, ya, yb = w[:-1], w[1:], y[:-1], y[1:]
    cross = (ya * yb) < 0
    r = np.where(cross, a - ya * (b - a) / np.where(cross, yb - ya, 1.0), b)
    a2 = np.concatenate([a, r[cross]])
    b2 = np.concatenate([np.where(cross, r, b), b[cross]])
    ya2 = np.concatenate([ya, np.zeros(int(cross.sum()))])
    yb2 = np.concatenate([np.where(cross, 0.0, yb), yb[cross]])
    order = np.argsort(a2, kind="stable")
    return a2[order], b2[order], ya2[order], yb2[order]


def _int_y_over_w(a: FloatArray, b: FloatArray, ya: FloatArray, yb: FloatArray) -> FloatArray:
    """Exact int_a^b y(w)/w dw for linear y (a >= 0; y(0) = 0 when a = 0)."""
    h = b - a
    beta = (yb - ya) / np.where(h > 0, h, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(a > 0, np.log1p(h / np.where(a > 0, a, 1.0)), 0.0)
    c0 = ya - beta * a  # zero when a = 0 (y(0) = 0)
    return np.where(h > 0, beta * h + c0 * lg, 0.0)


@dataclass(frozen=True)
class NegativeBand:
    """A frequency band where the interpolated Im f < 0 and its share of the static integral."""

    lo: float
    hi: float
    contribution: float


@dataclass(frozen=True)
class StaticLimitIntegral:
    """(2/pi) int_0^inf Im f(w)/w dw (eq 7; eq 10 for f = mu), split by the sign of Im f.

    ``value = positive + negative + tail``; ``positive``/``negative`` are the contributions of the
    tabulated range where Im f > 0 / < 0, ``tail`` the tail model's (signed), ``bands`` the
    negative bands of the data with their contributions (summing to ``negative``).
    Dimensionless.
    """

    value: float
    positive: float
    negative: float
    tail: float
    truncation_estimate: float
    discretisation_estimate: float
    bands: tuple[NegativeBand, ...]
    tail_fit: TailFit

    @property
    def error_estimate(self) -> float:
        return self.truncation_estimate + self.discretisation_estimate


def _static_parts(
    w: FloatArray, y: FloatArray
) -> tuple[float, float, FloatArray, FloatArray, FloatArray]:
    x, yy = _with_origin(w, y)
    a, b, ya, yb = _split_at_roots(x, yy)
    contrib = (2.0 / np.pi) * _int_y_over_w(a, b, ya, yb)
    mid = 0.5 * (ya + yb)
    pos = float(contrib[mid > 0].sum())
    neg = float(contrib[mid < 0].sum())
    return pos, neg, contrib, a, mid


def static_limit_integral(
    w: ArrayLike,
    im: ArrayLike,
    *,
    tail: TailModel = "fit",
    f: Callable[[float], float] | None = None,
    error_estimate: bool = True,
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
    values_name: str = "imag",
) -> StaticLimitIntegral:
    """The static limit f(0) - f_inf = (2/pi) int_0^inf Im f(w')/w' dw' (eq 7; eq 10 for mu).

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, >= 0 (any linear unit: the integral is scale free).
    im : (N,) float
        Im f on ``w``. The grid is extended linearly to Im f(0) = 0 when w_0 > 0.
    tail : {"fit", "none"}
        Continuation beyond w_max, Im f ~ c1 (W/w) + c3 (W/w)^3 (see :func:`fit_tail`),
        contributing (2/pi) (c1 + c3/3).
    f : callable, optional
        Im f at any frequency, used only to refine the edges of the negative bands.

    Returns
    -------
    StaticLimitIntegral

    Notes
    -----
    The integral of the piecewise-linear interpolant is exact: on [a, b],
    int (y_a + beta (w - a)) / w dw = beta (b - a) + (y_a - beta a) ln(b / a). Segments are split
    at the interpolant's zeros so that the positive and negative parts are separated exactly.
    A diamagnet (f(0) - f_inf < 0, eqs 2 and 8) needs ``negative`` to outweigh the rest (eq 7).
    """
    _check_literal(tail, TAIL_MODELS, "tail")
    wv, (yv,) = check_grid(w, (values_name, im), field_prefix=field_prefix, max_points=max_points)
    if wv[0] == 0.0 and yv[0] != 0.0:
        raise InvalidInput(
            f"Im f(0) = {yv[0]} but the reality condition makes Im f(0) = 0",
            field=(*field_prefix, values_name, 0),
            fix="set the imaginary part at w = 0 to 0, or drop the w = 0 row",
        )
    pos, neg, contrib, a_sub, mid = _static_parts(wv, yv)
    tfit = fit_tail(wv, yv, "odd", model=tail)
    t_val = (2.0 / np.pi) * sum(c / p for p, c in zip(tfit.powers, tfit.coeffs, strict=True))
    # Other continuations through the last point: fit on the upper half, 1/w alone, 1/w^3 alone.
    fit_model = tfit if tail == "fit" else fit_tail(wv, yv, "odd")
    t_fit = (2.0 / np.pi) * sum(
        c / p for p, c in zip(fit_model.powers, fit_model.coeffs, strict=True)
    )
    alt = fit_tail(wv, yv, "odd", lower=0.5)
    t_alts = [
        (2.0 / np.pi) * sum(c / p for p, c in zip(alt.powers, alt.coeffs, strict=True)),
        (2.0 / np.pi) * float(yv[-1]),
        (2.0 / np.pi) * float(yv[-1]) / 3.0,
    ]
    trunc = max(max(abs(t - t_fit) for t in t_alts), TAIL_FLOOR * abs(t_fit))
    if tail == "none":
        trunc += abs(t_fit)
    disc = 0.0
    if error_estimate and wv.shape[0] >= 2 * MIN_POINTS:
        idx = np.arange(0, wv.shape[0], 2)
        if idx[-1] != wv.shape[0] - 1:
            idx = np.append(idx, wv.shape[0] - 1)
        pc, nc, _, _, _ = _static_parts(wv[idx], yv[idx])
        disc = abs((pc + nc) - (pos + neg)) / 3.0
    bands = []
    for lo, hi in negative_intervals(wv, yv, f):
        sel = (mid < 0) & (a_sub >= lo - 1e-12 * max(abs(lo), 1.0)) & (a_sub < hi)
        bands.append(NegativeBand(lo, hi, float(contrib[sel].sum())))
    # Sub-segments whose start lies just below a refined edge: give any remainder to the nearest band.
    if bands:
        rest = neg - sum(bd.contribution for bd in bands)
        if rest != 0.0:
            k = int(np.argmax([abs(bd.contribution) for bd in bands]))
            bd = bands[k]
            bands[k] = NegativeBand(bd.lo, bd.hi, bd.contribution + rest)
    return StaticLimitIntegral(
        value=pos + neg + t_val,
        positive=pos,
        negative=neg,
        tail=t_val,
        truncation_estimate=trunc,
        discretisation_estimate=disc,
        bands=tuple(bands),
        tail_fit=tfit,
    )


@dataclass(frozen=True)
class SumRule:
    """A sum rule: numerical value, the expected value (None when unknown) and the estimates."""

    name: str
    value: float
    expected: float | None
    tail: float
    truncation_estimate: float
    discretisation_estimate: float
    unit: str
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def error_estimate(self) -> float:
        return self.truncation_estimate + self.discretisation_estimate

    @property
    def residual(self) -> float | None:
        return None if self.expected is None else self.value - self.expected


def _int_w_y(w: FloatArray, y: FloatArray) -> float:
    """Exact int w y(w) dw of the piecewise-linear y over the grid."""
    a, b, ya, yb = w[:-1], w[1:], y[:-1], y[1:]
    beta = (yb - ya) / (b - a)
    c0 = ya - beta * a
    return float(np.sum(c0 * (b * b - a * a) / 2.0 + beta * (b**3 - a**3) / 3.0))


def f_sum_rule(
    w: ArrayLike,
    im_eps: ArrayLike,
    *,
    plasma_frequency: float | None = None,
    error_estimate: bool = True,
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
    values_name: str = "imag",
) -> SumRule:
    """The f-sum (Thomas-Reiche-Kuhn) rule int_0^inf w Im eps(w) dw = (pi/2) w_p^2.

    Parameters
    ----------
    w : (N,) float
        Frequencies in a linear unit [w].
    im_eps : (N,) float
        Im eps on ``w``.
    plasma_frequency : float, optional
        w_p in the unit of ``w`` (w_p^2 = rho q^2 / (eps0 m), summed over all electrons); gives
        ``expected`` = (pi/2) w_p^2.

    Returns
    -------
    SumRule
        ``value`` and ``expected`` in [w]^2; ``extra['effective_plasma_frequency']`` =
        sqrt(2 value / pi) in [w]; ``extra['tail_1_over_w']`` the fitted 1/w part of the tail at
        w_max (a response whose Im eps decays like 1/w has a divergent f-sum).

    Notes
    -----
    Follows from eps(w) - 1 -> -w_p^2 / w^2 at high frequency and eq 6 (Landau-Lifshitz sec. 123).
    The tail beyond w_max uses Im eps ~ c3 (W/w)^3 + c5 (W/w)^5 (the Lorentz asymptote) and
    contributes W^2 (c3 + c5 / 3).
    """
    wv, (yv,) = check_grid(
        w, (values_name, im_eps), field_prefix=field_prefix, max_points=max_points
    )
    x, yy = _with_origin(wv, yv)
    val = _int_w_y(x, yy)
    W = float(wv[-1])
    tfit = fit_tail(wv, yv, "odd", powers=(3, 5))
    t_val = W * W * sum(c / (p - 2) for p, c in zip(tfit.powers, tfit.coeffs, strict=True))
    alt = fit_tail(wv, yv, "odd", powers=(3, 5), lower=0.5)
    yn = float(yv[-1])
    t_alts = [
        W * W * sum(c / (p - 2) for p, c in zip(alt.powers, alt.coeffs, strict=True)),
        W * W * yn,  # 1/w^3 alone through the last point
        W * W * yn / 3.0,  # 1/w^5 alone
    ]
    trunc = max(max(abs(t - t_val) for t in t_alts), TAIL_FLOOR * abs(t_val))
    slow = fit_tail(wv, yv, "odd", powers=(1, 3))
    c1 = float(slow.coeffs[0]) if len(slow.coeffs) == 2 else float(yv[-1])
    note = ""
    if abs(c1) > 0.1 * max(abs(float(yv[-1])), 1e-300) and abs(c1) > 0:
        note = (
            "Im eps decays like 1/w near w_max: the f-sum integral does not converge there; "
            "extend the spectrum to higher frequency"
        )
        trunc = max(trunc, abs(c1) * W * W)
    disc = 0.0
    if error_estimate and wv.shape[0] >= 2 * MIN_POINTS:
        idx = np.arange(0, wv.shape[0], 2)
        if idx[-1] != wv.shape[0] - 1:
            idx = np.append(idx, wv.shape[0] - 1)
        xc, yc = _with_origin(wv[idx], yv[idx])
        disc = abs(_int_w_y(xc, yc) - val) / 3.0
    total = val + t_val
    expected = None if plasma_frequency is None else 0.5 * np.pi * float(plasma_frequency) ** 2
    return SumRule(
        name="f-sum",
        value=total,
        expected=expected,
        tail=t_val,
        truncation_estimate=trunc,
        discretisation_estimate=disc,
        unit="[w]^2",
        note=note,
        extra={
            "effective_plasma_frequency": float(np.sqrt(max(2.0 * total / np.pi, 0.0))),
            "tail_1_over_w": c1,
        },
    )


# ---------------------------------------------------------------------------------------------
# Passivity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignReport:
    """Where the imaginary part of one quantity is negative on the grid."""

    quantity: str
    min_imag: float
    at: float
    negative_intervals: tuple[tuple[float, float], ...]
    negative_fraction: float


@dataclass(frozen=True)
class PassivityReport:
    """Signs of Im eps, Im mu and Im(eps mu) on a grid (section IV.A, eq 25).

    ``passive`` is Im eps >= -tol and Im(eps mu) >= -tol everywhere: a propagating wave is
    absorbed. Im mu < 0 alone does not break passivity (the paper's resolution): it is reported,
    with ``mu_negative_allowed`` True when it occurs while eps mu stays absorptive.
    """

    reports: dict[str, SignReport]
    passive: bool
    mu_negative_allowed: bool
    tol: float


def _sign_report(name: str, w: FloatArray, im: FloatArray, tol: float) -> SignReport:
    i = int(np.argmin(im))
    neg = im < -tol
    ints = negative_intervals(w, im + tol) if neg.any() else []
    return SignReport(
        quantity=name,
        min_imag=float(im[i]),
        at=float(w[i]),
        negative_intervals=tuple(ints),
        negative_fraction=float(np.count_nonzero(neg)) / float(w.shape[0]),
    )


def passivity_report(
    w: ArrayLike,
    epsilon: ArrayLike | None = None,
    mu: ArrayLike | None = None,
    *,
    tol: float = 0.0,
) -> PassivityReport:
    """Where Im eps, Im mu and Im(eps mu) are negative.

    Parameters
    ----------
    w : (N,) float
        Frequencies, sorted.
    epsilon, mu : (N,) complex, optional
        The responses on ``w``; Im(eps mu) is reported when both are given.
    tol : float
        Values >= -tol count as non-negative (rounding, measurement noise).
    """
    wv = np.asarray(w, dtype=np.float64)
    reps: dict[str, SignReport] = {}
    eps = None if epsilon is None else np.asarray(epsilon, dtype=np.complex128)
    muv = None if mu is None else np.asarray(mu, dtype=np.complex128)
    if eps is not None:
        reps["epsilon"] = _sign_report("epsilon", wv, eps.imag, tol)
    if muv is not None:
        reps["mu"] = _sign_report("mu", wv, muv.imag, tol)
    if eps is not None and muv is not None:
        reps["eps_mu"] = _sign_report("eps_mu", wv, (eps * muv).imag, tol)
    passive = all(r.min_imag >= -tol for k, r in reps.items() if k in ("epsilon", "eps_mu"))
    mu_neg = "mu" in reps and reps["mu"].min_imag < -tol
    return PassivityReport(
        reports=reps,
        passive=passive,
        mu_negative_allowed=bool(mu_neg and passive and "eps_mu" in reps),
        tol=tol,
    )


# ---------------------------------------------------------------------------------------------
# Consistency of measured (or modelled) real and imaginary parts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    """Pointwise |reconstructed - given| against a tolerance, all arrays shape (N,)."""

    reconstructed: KKResult
    given: FloatArray
    discrepancy: FloatArray
    tolerance: FloatArray
    max_discrepancy: float
    worst_frequency: float
    consistent: bool


@dataclass(frozen=True)
class KKConsistency:
    """Both KK directions for data with real and imaginary parts (eqs 5-6).

    ``scale`` is the response amplitude max(|Re f - f_inf|, |Im f|) that ``rtol`` multiplies;
    the verdict is judged on every point but w_max (where the transform of truncated data has
    its end singularity).
    """

    real: Discrepancy
    imag: Discrepancy
    scale: float
    rtol: float
    consistent: bool


def discrepancy(res: KKResult, given: ArrayLike, scale: float, rtol: float) -> Discrepancy:
    """Compare a reconstruction with the tabulated part it should reproduce.

    tolerance_i = rtol * scale + truncation_estimate_i + 2 * discretisation_estimate_i; the verdict
    covers every point but w_max (the end singularity of a truncated transform).
    """
    given = np.asarray(given, dtype=np.float64)
    disc = np.abs(res.values - given)
    tol = rtol * scale + res.truncation_estimate + 2.0 * res.discretisation_estimate
    judged = np.ones(disc.shape[0], dtype=bool)
    judged[-1] = False
    ratio = np.where(judged, disc - tol, -np.inf)
    i = int(np.argmax(np.where(judged, disc, -np.inf)))
    return Discrepancy(
        reconstructed=res,
        given=given,
        discrepancy=disc,
        tolerance=tol,
        max_discrepancy=float(disc[judged].max()),
        worst_frequency=float(res.frequencies[i]),
        consistent=bool(np.all(ratio <= 0)),
    )


def kk_consistency(
    w: ArrayLike,
    re: ArrayLike,
    im: ArrayLike,
    *,
    high_frequency_value: float = 0.0,
    rtol: float = 1e-3,
    tail: TailModel = "fit",
    method: Method = "auto",
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
) -> KKConsistency:
    """Reconstruct each part from the other and compare (is the tabulated f causal?).

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, >= 0.
    re, im : (N,) float
        Re f and Im f on ``w``.
    high_frequency_value : float
        f_inf.
    rtol : float
        Tolerance relative to the response amplitude; the truncation and (twice the)
        discretisation estimates are added pointwise, so a short or coarse spectrum is not
        declared acausal for what it lacks.
    """
    wv, (rv, iv) = check_grid(
        w, ("real", re), ("imag", im), field_prefix=field_prefix, max_points=max_points
    )
    scale = float(max(np.abs(rv - high_frequency_value).max(), np.abs(iv).max(), 1e-300))
    r_from_i = kramers_kronig(
        wv,
        iv,
        direction="re_from_im",
        high_frequency_value=high_frequency_value,
        tail=tail,
        method=method,
        field_prefix=field_prefix,
        values_name="imag",
    )
    i_from_r = kramers_kronig(
        wv,
        rv,
        direction="im_from_re",
        high_frequency_value=high_frequency_value,
        tail=tail,
        method=method,
        field_prefix=field_prefix,
        values_name="real",
    )
    dr = discrepancy(r_from_i, rv, scale, rtol)
    di = discrepancy(i_from_r, iv, scale, rtol)
    return KKConsistency(
        real=dr, imag=di, scale=scale, rtol=rtol, consistent=dr.consistent and di.consistent
    )


# ---------------------------------------------------------------------------------------------
# The multipole oscillator medium (eqs 20-26): analytic parts against their KK reconstructions
# ---------------------------------------------------------------------------------------------


def resonance_grid(
    omega: ArrayLike,
    gamma: ArrayLike,
    *,
    extra: ArrayLike | None = None,
    decades_below: float = 3.0,
    decades_above: float = 3.0,
    background: int = 8000,
    half_width: float = 30.0,
    per_width: float = 16.0,
) -> FloatArray:
    """A non-uniform grid that resolves every line: log background plus a dense window per line.

    Parameters
    ----------
    omega, gamma : (M,) float
        Line centres and widths (gamma > 0), same unit.
    extra : (K,) float, optional
        Points that must be nodes (e.g. the user's grid); negative values are ignored.
    decades_below, decades_above : float
        The background spans [min(omega) 10^-below, max(omega, extra) 10^above].
    background : int
        Log-spaced background points.
    half_width, per_width : float
        Each line gets a uniform window w_e +- half_width gamma_e with per_width points per gamma.

    Returns
    -------
    (N,) float, sorted, distinct, starting at 0.
    """
    om = np.asarray(omega, dtype=np.float64).reshape(-1)
    gm = np.asarray(gamma, dtype=np.float64).reshape(-1)
    top = float(om.max())
    pts = [np.array([0.0])]
    if extra is not None:
        ex = np.asarray(extra, dtype=np.float64).reshape(-1)
        ex = ex[np.isfinite(ex) & (ex >= 0)]
        if ex.size:
            top = max(top, float(ex.max()))
            pts.append(ex)
    lo = float(om.min()) * 10.0 ** (-decades_below)
    pts.append(np.geomspace(lo, top * 10.0**decades_above, background))
    for w0, g in zip(om, gm, strict=True):
        k = int(np.ceil(2.0 * half_width * per_width)) + 1
        win = np.linspace(w0 - half_width * g, w0 + half_width * g, k)
        pts.append(win[win > 0])
    grid = np.unique(np.concatenate(pts))
    # Merge points closer than a relative 1e-12 (they would make degenerate segments).
    keep = np.concatenate([[True], np.diff(grid) > 1e-12 * np.maximum(grid[1:], 1e-300)])
    return grid[keep]


@dataclass(frozen=True)
class QuantityCheck:
    """Re f of the model next to its KK reconstruction from Im f, on the user's grid (M,).

    ``assumed_high_frequency_value`` is the f_inf the transform uses (0 for chi, 1 for eps and mu:
    vacuum at high frequency, eq 26); ``model_high_frequency_value`` is the model's own limit.
    ``static_integral`` is (2/pi) int Im f / w (eqs 7, 10) and ``static_expected`` = f(0) - f_inf
    with the assumed f_inf. ``consistent`` compares the max error with rtol * scale plus the
    numerical error estimate.
    """

    quantity: str
    re_analytic: FloatArray
    re_kk: FloatArray
    error: FloatArray
    max_error: float
    scale: float
    error_estimate: FloatArray
    assumed_high_frequency_value: float
    model_high_frequency_value: float
    static_value: float
    static_integral: StaticLimitIntegral
    static_expected: float
    consistent: bool


@dataclass(frozen=True)
class OscillatorCausality:
    """Causality report for a multipole oscillator medium (eqs 20-26)."""

    frequencies: FloatArray
    checks: dict[str, QuantityCheck]
    sum_rules: dict[str, SumRule]
    eq26_residual: float
    eq26_scale: float
    eq26_holds: bool
    passivity: PassivityReport
    internal_points: int
    reasons: tuple[str, ...]


def oscillator_causality(
    medium: object,
    w: ArrayLike,
    *,
    rtol: float = 1e-3,
    background: int = 8000,
    per_width: float = 16.0,
    method: Method = "auto",
    max_points: int | None = None,
) -> OscillatorCausality:
    """KK reconstructions, static-limit integrals and sum rules of an oscillator medium.

    Parameters
    ----------
    medium : core.oscillators.OscillatorMedium
        All linewidths must be > 0 (an undamped line has a delta-function Im f that no grid holds).
    w : (M,) float
        The user's frequencies (>= 0, same unit as the medium); results are reported there.
    rtol : float
        Tolerance of the verdicts relative to each response's amplitude.
    background, per_width : see :func:`resonance_grid` (the internal grid, which contains ``w``).
    max_points : int, optional
        The ``max_kk_points`` limit on the internal grid.

    Returns
    -------
    OscillatorCausality

    Notes
    -----
    Transformed: chi = 1 - 1/mu (eq 23) with chi_inf = 0; eps with eps_inf = 1; mu with mu_inf = 1
    (i.e. chi_m = mu - 1). With eq 26 violated (residual r), 1/mu(inf) = 1 + r, so chi(inf) = -r
    and mu(inf) = 1/(1 + r): the reconstructions miss Re chi and Re mu by those constants and the
    static integrals give chi(0) + r and mu(0) - 1/(1 + r) instead of chi(0) and mu(0) - 1.
    Closed forms checked (module ``core.oscillators``):
    (2/pi) int Im chi / w = sum_e (Delta_mdip / w_eg^2 + Delta_quad - Delta_dipoct) (no Delta_dia:
    the instantaneous diamagnetic term leaves no trace in the absorption; eq 26 fixes it);
    int w Im eps dw = (pi/2) sum_e Delta_edip; lim w Im chi = 2 sum_e gamma_e (Delta_quad -
    Delta_dipoct), the slow 1/w decay the tail model has to carry.
    """
    from core.oscillators import (
        OscillatorMedium,
        evaluate,
        static_limits,
        sum_rule_residual,
    )

    if not isinstance(medium, OscillatorMedium):
        raise TypeError("medium must be an OscillatorMedium")
    if np.any(medium.gamma <= 0):
        i = int(np.argmax(medium.gamma <= 0))
        raise InvalidInput(
            "a causality check needs every linewidth > 0: an undamped line absorbs only at one "
            "frequency (a delta function), which no tabulated spectrum can hold",
            field=("transitions", i, "gamma"),
            fix="give the transition a small linewidth gamma > 0",
        )
    wu = np.array(w, dtype=np.float64, ndmin=1)
    if wu.ndim != 1 or wu.size == 0 or not np.all(np.isfinite(wu)) or np.any(wu < 0):
        raise InvalidInput("frequencies must be finite and >= 0", field=("frequencies",))
    grid = resonance_grid(
        medium.omega, medium.gamma, extra=wu, background=background, per_width=per_width
    )
    if max_points is not None and grid.shape[0] > max_points:
        raise LimitExceeded(
            f"the internal grid needs {grid.shape[0]} points (the grid plus every line resolved); "
            f"the limit is {max_points}",
            limit_name="max_kk_points",
            limit=max_points,
            requested=grid.shape[0],
            field=("frequencies",),
            fix="ask for fewer frequencies or a medium with fewer transitions",
        )
    pos = np.searchsorted(grid, wu)
    pos = np.clip(pos, 0, grid.shape[0] - 1)
    resp = evaluate(medium, grid)
    with np.errstate(all="ignore"):
        finite = np.isfinite(resp.epsilon).all() and np.isfinite(resp.mu).all()
    if not finite:
        raise InvalidInput(
            "eps or mu of this medium is not finite on the integration grid (mu has a pole where "
            "1/mu = 0, or the strengths are out of floating-point range)",
            field=("transitions",),
            fix="check the strengths: 1 + sum Delta_dia/w_eg^2 + ... must not vanish, and all "
            "numbers should be of ordinary size in the medium's units",
        )
    lim = static_limits(medium)
    resid, scale26 = sum_rule_residual(medium)
    holds = abs(resid) <= 1e-9 * max(scale26, 1e-300)
    inv_mu_inf = 1.0 + resid
    model_inf = {
        "chi": -resid,
        "epsilon": 1.0,
        "mu": (1.0 / inv_mu_inf) if inv_mu_inf != 0 else float("inf"),
    }
    statics = {
        "chi": lim["chi_static"],
        "epsilon": lim["eps_static"],
        "mu": lim["mu_static"],
    }
    funcs = {"chi": resp.chi, "epsilon": resp.epsilon, "mu": resp.mu}
    checks: dict[str, QuantityCheck] = {}
    reasons: list[str] = []
    for name, fz in funcs.items():
        finf = HIGH_FREQUENCY_VALUE[name]
        kk = kramers_kronig(grid, fz.imag, high_frequency_value=finf, method=method)
        st = static_limit_integral(grid, fz.imag)
        re_a = fz.real[pos]
        re_k = kk.values[pos]
        err = np.abs(re_k - re_a)
        amp = float(max(np.abs(fz.real - finf).max(), np.abs(fz.imag).max()))
        est = kk.error_estimate[pos]
        ok = bool(np.all(err <= rtol * amp + est))
        expected = statics[name] - finf
        checks[name] = QuantityCheck(
            quantity=name,
            re_analytic=re_a,
            re_kk=re_k,
            error=err,
            max_error=float(err.max()),
            scale=amp,
            error_estimate=est,
            assumed_high_frequency_value=finf,
            model_high_frequency_value=float(model_inf[name]),
            static_value=float(statics[name]),
            static_integral=st,
            static_expected=float(expected),
            consistent=ok,
        )
    # Sum rules.
    fsum = f_sum_rule(grid, resp.epsilon.imag)
    fsum = SumRule(
        name="f-sum",
        value=fsum.value,
        expected=0.5 * np.pi * float(np.sum(medium.e_dip)),
        tail=fsum.tail,
        truncation_estimate=fsum.truncation_estimate,
        discretisation_estimate=fsum.discretisation_estimate,
        unit="[w]^2",
        note="int_0^inf w Im eps dw = (pi/2) sum_e Delta_edip",
        extra=fsum.extra,
    )
    st_chi = checks["chi"].static_integral
    absorption = float(np.sum(medium.m_dip / medium.omega**2 + medium.quad - medium.dip_oct))
    slow = 2.0 * float(np.sum(medium.gamma * (medium.quad - medium.dip_oct)))
    tf = st_chi.tail_fit
    w_top = float(grid[-1])
    tail_c1 = float(tf.coeffs[0]) * w_top if tf.powers[0] == 1 else 0.0
    st_mu = checks["mu"].static_integral
    rules = {
        "f_sum": fsum,
        "chi_static_eq7": SumRule(
            name="chi_static_eq7",
            value=st_chi.value,
            expected=lim["chi_static"],
            tail=st_chi.tail,
            truncation_estimate=st_chi.truncation_estimate,
            discretisation_estimate=st_chi.discretisation_estimate,
            unit="1",
            note="(2/pi) int Im chi / w = chi(0), which needs chi(inf) = 0, i.e. eq 26",
        ),
        "mu_static_eq10": SumRule(
            name="mu_static_eq10",
            value=st_mu.value,
            expected=lim["mu_static"] - 1.0,
            tail=st_mu.tail,
            truncation_estimate=st_mu.truncation_estimate,
            discretisation_estimate=st_mu.discretisation_estimate,
            unit="1",
            note="(2/pi) int Im mu / w = mu(0) - 1, which needs mu(inf) = 1, i.e. eq 26",
        ),
        "chi_absorption": SumRule(
            name="chi_absorption",
            value=st_chi.value,
            expected=absorption,
            tail=st_chi.tail,
            truncation_estimate=st_chi.truncation_estimate,
            discretisation_estimate=st_chi.discretisation_estimate,
            unit="1",
            note=(
                "(2/pi) int Im chi / w = sum_e (Delta_mdip / w_eg^2 + Delta_quad - Delta_dipoct): "
                "causality alone; Delta_dia does not appear"
            ),
        ),
        "chi_tail": SumRule(
            name="chi_tail",
            value=tail_c1,
            expected=slow,
            tail=0.0,
            truncation_estimate=abs(float(tf.coeffs[-1])) * w_top if len(tf.coeffs) > 1 else 0.0,
            discretisation_estimate=0.0,
            unit="[w]",
            note="lim w Im chi(w) = 2 sum_e gamma_e (Delta_quad - Delta_dipoct) (fitted at w_max)",
        ),
    }
    if not holds:
        reasons.append(
            f"eq 26 is violated: sum_e Delta_dia/w_eg^2 + Delta_quad - Delta_dipoct = {resid:.6g}, "
            f"so 1/mu(inf) = {inv_mu_inf:.6g}: mu(inf) = {model_inf['mu']:.6g} and "
            f"chi(inf) = {-resid:.6g} instead of 1 and 0"
        )
        reasons.append(
            "the Kramers-Kronig reconstruction assumes chi(inf) = 0 and mu(inf) = 1 (vacuum at "
            f"high frequency), so Re chi comes out shifted by {resid:.6g} and the static-limit "
            f"integral gives chi(0) - chi(inf) = {st_chi.value:.6g} instead of chi(0) = "
            f"{lim['chi_static']:.6g}"
        )
    for name, chk in checks.items():
        if not chk.consistent and holds:
            reasons.append(
                f"{name}: KK reconstruction differs from the model by {chk.max_error:.3g} "
                f"(tolerance {rtol:g} x {chk.scale:.3g} plus the numerical estimate): the model's "
                f"{name} may not be analytic in the upper half-plane"
            )
    pas = passivity_report(grid, resp.epsilon, resp.mu)
    return OscillatorCausality(
        frequencies=wu,
        checks=checks,
        sum_rules=rules,
        eq26_residual=resid,
        eq26_scale=scale26,
        eq26_holds=holds,
        passivity=pas,
        internal_points=int(grid.shape[0]),
        reasons=tuple(reasons),
    )
