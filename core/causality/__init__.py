"""Causality, passivity and sum-rule tools (Westerberg & Barnett 2025, sections II-IV, eqs 4-10, 20-26).

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
(the low end is extended to w = 0: linearly to 0 for the odd Im f of an insulator, flat for the
even Re f; for a conductor, detected from w Im f -> const > 0 or requested, Im f is split into a
Drude term fitted at the low edge, transformed in closed form, and a remainder linear to 0: see
:mod:`core.causality.drude`; a given sigma_dc adds 4 pi sigma_dc / w to Im f from Re f), and the
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
is added to that estimate. A discretisation estimate compares with the same transform on the even
and on the odd points, keeps the full change (on a uniform grid about 3x the fine-grid O(h^2)
error) and doubles it (``DISCRETISATION_SAFETY``) for non-uniform grids and grid ends. A low-edge
estimate sums the changes under other continuations below w_0 (``KKResult.low_edge_estimate``).
All three are estimates (the checks that use them are ``indicative``); the tests show they cover
the true error on Lorentz and Drude + Lorentz spectra on uniform, log, two-resolution, jittered
and wavelength grids with low and high edges.

Modules
-------
``conventions`` (types, versions, constants), ``grids`` (check_grid, is_uniform, resonance_grid),
``hilbert`` (direct, FFT and treecode principal-value sums), ``tails`` (the tail model), ``drude``
(the conductor's low-frequency model), ``kk``
(kramers_kronig, re_from_im, im_from_re), ``static`` (static_limit_integral), ``sumrules``
(f_sum_rule), ``signs`` (passivity_report: where Im eps, Im mu, Im(eps mu) < 0), ``consistency``
(discrepancy, kk_consistency), ``oscillator`` (oscillator_causality) and ``report`` (the typed
reports of the HTTP endpoints, with every check written once as a :class:`core.checks.CheckSpec`).
The passivity statement itself is :data:`core.passivity.PASSIVITY`, eq 26
:data:`core.oscillators.SUM_RULE_26`.

References
----------
:data:`core.references.WESTERBERG_BARNETT`; L. D. Landau and E. M. Lifshitz, Electrodynamics of Continuous Media,
section 123 (Kramers-Kronig, f-sum); F. W. King, Hilbert Transforms, vol. 1 (2009),
doi:10.1017/CBO9780511721458.
"""

from __future__ import annotations

from core.causality.consistency import (
    Discrepancy,
    KKConsistency,
    discrepancy,
    kk_consistency,
)
from core.causality.conventions import (
    CHUNK_BYTES,
    DIRECTIONS,
    DISCRETISATION_SAFETY,
    FIT_MAX_POINTS,
    HIGH_FREQUENCY_VALUE,
    LOW_EDGE_FLOOR,
    LOW_FREQUENCY_MODELS,
    METHODS,
    MIN_POINTS,
    MODEL_VERSIONS,
    QUANTITIES,
    TAIL_FLOOR,
    TAIL_MODELS,
    TREE_LEAF,
    TREE_ORDER,
    TREE_THETA,
    UNIFORM_RTOL,
    ComplexArray,
    Direction,
    FloatArray,
    LowFrequency,
    Method,
    Quantity,
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
from core.causality.grids import (
    check_grid,
    is_uniform,
    resonance_grid,
)
from core.causality.hilbert import (
    FFT_CACHE_ENTRIES,
    FFT_CACHE_MAX_POINTS,
    HAVE_NUMBA,
    clear_fft_cache,
)
from core.causality.kk import (
    KKResult,
    im_from_re,
    kramers_kronig,
    re_from_im,
)
from core.causality.oscillator import (
    OscillatorCausality,
    QuantityCheck,
    oscillator_causality,
)
from core.causality.report import (
    CHI_ABSORPTION,
    CHI_STATIC_EQ7,
    CHI_TAIL,
    F_SUM_RULE,
    F_SUM_VALUE,
    KK_CONSISTENCY,
    KK_DC_TERM,
    KK_LOW_EDGE,
    KK_MODEL,
    KK_STATIC_LIMIT,
    KK_TAIL,
    MU_STATIC_EQ10,
    OSC_GRID_BUDGET,
    OSC_KK,
    OSC_MODEL,
    OSC_RTOL,
    OSC_RULES,
    kramers_kronig_report,
    oscillator_causality_report,
    static_limit_result,
    sum_rule_result,
)
from core.causality.signs import (
    PassivityReport,
    SignReport,
    passivity_report,
)
from core.causality.static import (
    NegativeBand,
    StaticLimitIntegral,
    static_limit_integral,
)
from core.causality.sumrules import (
    SumRule,
    f_sum_rule,
)
from core.causality.tails import (
    TailFit,
    fit_tail,
)
from core.causality.tails import _g_integrals as _g_integrals  # used by the tests
from core.passivity import PASSIVITY, negative_intervals, passivity_check

__all__ = [
    "CHI_ABSORPTION",
    "CHI_STATIC_EQ7",
    "CHI_TAIL",
    "CHUNK_BYTES",
    "CONDUCTOR_SLOPE",
    "DIRECTIONS",
    "DISCRETISATION_SAFETY",
    "DRUDE_FIT_POINTS",
    "FFT_CACHE_ENTRIES",
    "FFT_CACHE_MAX_POINTS",
    "FIT_MAX_POINTS",
    "F_SUM_RULE",
    "F_SUM_VALUE",
    "HAVE_NUMBA",
    "HIGH_FREQUENCY_VALUE",
    "KK_CONSISTENCY",
    "KK_DC_TERM",
    "KK_LOW_EDGE",
    "KK_MODEL",
    "KK_STATIC_LIMIT",
    "KK_TAIL",
    "LOW_EDGE_FLOOR",
    "LOW_FREQUENCY_MODELS",
    "METHODS",
    "MIN_POINTS",
    "MODEL_VERSIONS",
    "MU_STATIC_EQ10",
    "OSC_GRID_BUDGET",
    "OSC_KK",
    "OSC_MODEL",
    "OSC_RTOL",
    "OSC_RULES",
    "PASSIVITY",
    "QUANTITIES",
    "TAIL_FLOOR",
    "TAIL_MODELS",
    "TREE_LEAF",
    "TREE_ORDER",
    "TREE_THETA",
    "UNIFORM_RTOL",
    "ComplexArray",
    "Direction",
    "Discrepancy",
    "DrudeTail",
    "FloatArray",
    "KKConsistency",
    "KKResult",
    "LowFrequency",
    "Method",
    "NegativeBand",
    "OscillatorCausality",
    "PassivityReport",
    "Quantity",
    "QuantityCheck",
    "SignReport",
    "StaticLimitIntegral",
    "SumRule",
    "TailFit",
    "TailModel",
    "check_grid",
    "clear_fft_cache",
    "discrepancy",
    "drude_low_part",
    "f_sum_rule",
    "fit_drude",
    "fit_tail",
    "im_from_re",
    "is_uniform",
    "kk_consistency",
    "kramers_kronig",
    "kramers_kronig_report",
    "low_edge_slope",
    "negative_intervals",
    "oscillator_causality",
    "oscillator_causality_report",
    "passivity_check",
    "passivity_report",
    "re_from_im",
    "resonance_grid",
    "static_limit_integral",
    "static_limit_result",
    "sum_rule_result",
]
