"""The low-frequency model of a conductor below the first tabulated frequency (Drude).

Convention (Gaussian): a conductor's permittivity contains the dc term i 4 pi sigma_dc / w, so
Im eps(w) -> 4 pi sigma_dc / w as w -> 0, with sigma_dc (a frequency in Gaussian units, s^-1 for
w in rad/s) expressed in the *same* linear frequency unit as w. The Drude form

    eps_D(w) - 1 = -w_p^2 / (w (w + i gamma)),  w_p^2 = 4 pi sigma_dc gamma,
    Im eps_D(w) = w_p^2 gamma / (w (w^2 + gamma^2)),  Re eps_D(w) - 1 = -w_p^2 / (w^2 + gamma^2),

(N. W. Ashcroft and N. D. Mermin, Solid State Physics (1976), eq 1.35; J. D. Jackson, Classical
Electrodynamics, 3rd ed., sec. 7.5) carries the dc term at low frequency and decays as 1/w^3.

Closed-form Kramers-Kronig transform of the Drude term. With x = w'^2, partial fractions
1/((x + g^2)(x - w^2)) = [1/(x - w^2) - 1/(x + g^2)] / (w^2 + g^2) turn eq 6 of
:data:`core.references.WESTERBERG_BARNETT` into

    (2/pi) P int_0^inf w' Im eps_D(w') / (w'^2 - w^2) dw'
        = (2/pi) w_p^2 gamma / (w^2 + gamma^2) [P int_0^inf dw'/(w'^2 - w^2)
                                                - int_0^inf dw'/(w'^2 + gamma^2)]
        = (2/pi) w_p^2 gamma / (w^2 + gamma^2) [0 - pi / (2 gamma)] = -w_p^2 / (w^2 + gamma^2),

i.e. Re eps_D - 1 exactly: the pole i 4 pi sigma_dc / w contributes nothing to Re eps (its
principal-value integral vanishes). The same partial fractions in eq 5 give
-(2w/pi) P int (Re eps_D - 1)/(w'^2 - w^2) dw' = Im eps_D(w) - 4 pi sigma_dc / w: the dc term is
*not* recovered from Re eps, which is why a conductor's Im eps from Re eps needs sigma_dc as input
(L. D. Landau and E. M. Lifshitz, Electrodynamics of Continuous Media, sec. 123, the conductor
form of the Kramers-Kronig relation with the extra 4 pi sigma / w). On [0, a] alone,

    (2/pi) int_0^a w' Im eps_D / (w'^2 - w^2) dw' = (2/pi) w_p^2 gamma / (w^2 + gamma^2)
        [ln|(a - w)/(a + w)| / (2 w) - arctan(a / gamma) / gamma]            (:func:`drude_low_part`).

Detection. Odd data behave as Im f = c_{-1}/w + c_1 w + ... at small w; a conductor has
w Im f -> 4 pi sigma_dc > 0, an insulator w Im f ~ w^2. The log-slope s of w Im f over the first
:data:`DRUDE_FIT_POINTS` points separates them (conductor s <= :data:`CONDUCTOR_SLOPE`; Drude
s = -2 w^2/(w^2 + gamma^2) in [-2, 0], insulator s = 2). The Drude parameters follow from the
linear law 1 / (w Im eps_D) = gamma / w_p^2 + w^2 / (w_p^2 gamma) fitted (least squares in w^2)
to the same points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from core.causality.conventions import FloatArray

#: Points at the low edge the Drude parameters and the conductor test use.
DRUDE_FIT_POINTS: Final = 5
#: Log-slope of w Im f at the low edge at or below which the data count as conductor-like
#: (midway between a dc conductor's 0 and an insulator's 2 is 1; 0.5 leaves room for a Drude
#: whose damping is below the first frequency, s -> -2, while sub-linear dielectric losses stay
#: insulators).
CONDUCTOR_SLOPE: Final = 0.5


@dataclass(frozen=True)
class DrudeTail:
    """A Drude low-frequency term Im f_D = 4 pi sigma_dc gamma^2 / (w (w^2 + gamma^2)).

    Attributes
    ----------
    sigma_dc : float
        dc conductivity, Gaussian convention (Im eps -> 4 pi sigma_dc / w), in the unit of w.
    damping : float
        gamma in the unit of w; ``inf`` for the pure dc term 4 pi sigma_dc / w.
    source : {"fit", "given"}
        Whether sigma_dc came from the data or from the caller.
    fit_points : int
        Low-edge points the fit used.
    """

    sigma_dc: float
    damping: float
    source: str
    fit_points: int

    @property
    def dc_coefficient(self) -> float:
        """4 pi sigma_dc = lim w Im f (unit of w)."""
        return 4.0 * np.pi * self.sigma_dc

    @property
    def plasma_frequency(self) -> float:
        """w_p = sqrt(4 pi sigma_dc gamma) (unit of w; ``inf`` for the pure dc term)."""
        return float(np.sqrt(self.dc_coefficient * self.damping))

    def imag(self, w: FloatArray) -> FloatArray:
        """Im f_D(w) on w > 0 (0 at w = 0 is never asked for)."""
        c = self.dc_coefficient
        if not np.isfinite(self.damping):
            return c / w
        g2 = self.damping**2
        return c * g2 / (w * (w * w + g2))

    def real_minus_inf(self, w: FloatArray) -> FloatArray:
        """Re f_D(w) - f_inf = -w_p^2 / (w^2 + gamma^2): the closed-form eq-6 transform of
        :meth:`imag` over the whole half line (module Notes); 0 for the pure dc term."""
        if not np.isfinite(self.damping):
            return np.zeros_like(w)
        g = self.damping
        return -self.dc_coefficient * g / (w * w + g * g)

    def as_dict(self) -> dict[str, float | str | int | None]:
        """JSON form (``damping`` and ``plasma_frequency`` null for the pure dc term)."""
        finite = bool(np.isfinite(self.damping))
        return {
            "sigma_dc": self.sigma_dc,
            "dc_coefficient": self.dc_coefficient,
            "damping": self.damping if finite else None,
            "plasma_frequency": self.plasma_frequency if finite else None,
            "source": self.source,
            "fit_points": self.fit_points,
        }


def drude_low_part(tail: DrudeTail, a: float, w: FloatArray) -> FloatArray:
    """(2/pi) int_0^a w' Im f_D(w') / (w'^2 - w^2) dw' at w > 0, w != a (module Notes)."""
    c = tail.dc_coefficient
    lg = np.log(np.abs((a - w) / (a + w))) / (2.0 * w)
    if not np.isfinite(tail.damping):
        return (2.0 / np.pi) * c * lg
    g = tail.damping
    return (2.0 / np.pi) * c * g * g / (w * w + g * g) * (lg - np.arctan(a / g) / g)


def low_edge_slope(w: FloatArray, y: FloatArray, k: int = DRUDE_FIT_POINTS) -> float | None:
    """d ln(w Im f) / d ln w over the first ``k`` points (least squares), or None when Im f <= 0
    there or the grid starts at 0."""
    k = min(k, w.shape[0])
    ww, yy = w[:k], y[:k]
    if ww[0] <= 0 or np.any(yy <= 0):
        return None
    x = np.log(ww)
    z = np.log(ww * yy)
    x = x - x.mean()
    return float((x @ (z - z.mean())) / (x @ x))


def fit_drude(
    w: FloatArray,
    y: FloatArray,
    *,
    sigma_dc: float | None = None,
    k: int = DRUDE_FIT_POINTS,
) -> DrudeTail | None:
    """Fit 1/(w Im f) = a + b w^2 on the first ``k`` points (module Notes).

    With ``sigma_dc`` given, a = 1/(4 pi sigma_dc) is fixed and only b is fitted. b <= 0 (w Im f
    not decreasing) gives the pure dc term (gamma = inf). Returns None when Im f <= 0 on those
    points or the fitted dc coefficient is not positive.
    """
    k = min(k, w.shape[0])
    ww, yy = w[:k], y[:k]
    if ww[0] <= 0 or np.any(yy <= 0):
        if sigma_dc is None:
            return None
    x = ww * ww
    if sigma_dc is not None:
        if sigma_dc <= 0:
            return None
        a = 1.0 / (4.0 * np.pi * sigma_dc)
        if np.any(yy <= 0):
            b = 0.0
        else:
            z = 1.0 / (ww * yy) - a
            b = float((x @ z) / (x @ x))
        source = "given"
    else:
        z = 1.0 / (ww * yy)
        # columns of one size: w^2 in rad/s reaches 1e30, beside a column of ones the least
        # squares would drop the constant (the dc term) as numerically zero
        xs = float(np.max(x))
        zs = float(np.max(np.abs(z)))
        design = np.stack([np.ones_like(x), x / xs], axis=1)
        (a_s, b_s), *_ = np.linalg.lstsq(design, z / zs, rcond=None)
        a, b = float(a_s) * zs, float(b_s) * zs / xs
        if not a > 0:
            return None
        source = "fit"
    gamma = float(np.sqrt(a / b)) if b > 0 else float("inf")
    return DrudeTail(
        sigma_dc=float(1.0 / (4.0 * np.pi * a)), damping=gamma, source=source, fit_points=int(k)
    )
