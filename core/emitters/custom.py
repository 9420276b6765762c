"""User-supplied emitters: excited-state energies and ground-to-excited moment tensors.

The user gives, for M excited states, w_eg (M,), p^{ge} (M, 3), (p r)^{ge} (M, 3, 3) and
(p r r)^{ge} (M, 3, 3, 3) (complex, p on the left as in B21-B24), and the ground-state <r_i r_j>
(3, 3). Units: natural units hbar = c = 1 in the user's frequency unit [w]: moments of p r^n in
[w]^(1-n), <r r> in [w]^-2. Validation (each failure names the offending entry):

* shapes and finiteness;
* (p r r)^{ge}_ikm symmetric in (k, m) (r_k and r_m commute), to ``SYMMETRY_RTOL`` of the largest
  entry;
* <r_i r_j> Hermitian: real and symmetric (r_i r_j = r_j r_i are commuting Hermitian operators, so
  the ground-state expectation is a real symmetric matrix), and positive semi-definite (it is a
  second moment).

The basis is whatever the user gives: the Langevin reference comes from <r r> and the Van Vleck
reference from the given (p r) moments, so diagnostics show how complete the basis is (TRK,
eq 26 and chi(0) against Langevin + Van Vleck).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.emitters.strengths import TransitionMoments, check_limits
from core.errors import InvalidInput

#: Relative tolerance of the symmetry checks (prr in (k, m), <r r> Hermitian).
SYMMETRY_RTOL: Final = 1e-9


def _array(value: ArrayLike, name: str, shape: tuple[int, ...], dtype: type) -> NDArray[Any]:
    try:
        arr: NDArray[Any] = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"'{name}' is not a numeric array: {exc}", field=(name,)) from exc
    if arr.shape != shape:
        raise InvalidInput(
            f"'{name}' has shape {arr.shape}, expected {shape}",
            field=(name,),
            fix=f"give '{name}' with shape {shape}",
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidInput(f"'{name}' has a non-finite entry at {idx}", field=(name, *idx))
    return arr


def custom_moments(
    omega: ArrayLike,
    p: ArrayLike,
    pr: ArrayLike,
    prr: ArrayLike,
    rr_ground: ArrayLike,
    *,
    max_states: int | None = None,
) -> TransitionMoments:
    """Validate user moments and wrap them (module docstring for the rules).

    Parameters
    ----------
    omega : (M,) float
        Transition frequencies w_eg > 0.
    p, pr, prr : (M, 3), (M, 3, 3), (M, 3, 3, 3) complex
        Ground-to-excited moments.
    rr_ground : (3, 3) float
        <g| r_i r_j |g>.
    max_states : int, optional
        Cap on M (setting ``max_emitter_states``), checked before anything else.

    Raises
    ------
    LimitExceeded, InvalidInput
    """
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    check_limits(states=int(w.shape[0]), max_states=max_states, field_n=("transitions",))
    m = int(w.shape[0])
    if m == 0:
        raise InvalidInput(
            "give at least one excited state", field=("transitions",), fix="add a transition"
        )
    w = _array(w, "omega", (m,), np.float64)
    if np.any(w <= 0):
        i = int(np.argmax(w <= 0))
        raise InvalidInput(
            f"transition frequency must be > 0 (got {w[i]})",
            field=("transitions", i, "omega"),
            fix="give excited-state energies above the ground state",
        )
    pa = _array(p, "p", (m, 3), np.complex128)
    ta = _array(pr, "pr", (m, 3, 3), np.complex128)
    ua = _array(prr, "prr", (m, 3, 3, 3), np.complex128)
    scale = float(np.max(np.abs(ua))) if ua.size else 0.0
    asym = np.abs(ua - np.swapaxes(ua, 2, 3))
    if scale > 0 and np.max(asym) > SYMMETRY_RTOL * scale:
        e, i, k, mm = (int(v) for v in np.unravel_index(np.argmax(asym), asym.shape))
        raise InvalidInput(
            f"(p r r)^ge of transition {e} is not symmetric in its last two indices: "
            f"prr[{i}][{k}][{mm}] != prr[{i}][{mm}][{k}] (r_k and r_m commute)",
            field=("transitions", e, "prr", i, k, mm),
            fix="give (p_i r_k r_m)^ge symmetric in k and m",
        )
    ua = 0.5 * (ua + np.swapaxes(ua, 2, 3))
    rr = _array(rr_ground, "rr_ground", (3, 3), np.complex128)
    rscale = float(np.max(np.abs(rr)))
    if rscale == 0:
        raise InvalidInput(
            "<r r> of the ground state is zero: a point-like emitter has no magnetic response",
            field=("rr_ground",),
            fix="give the ground-state second moments <r_i r_j>",
        )
    herm = np.abs(rr - np.conj(rr.T))
    if np.max(herm) > SYMMETRY_RTOL * rscale or np.max(np.abs(rr.imag)) > SYMMETRY_RTOL * rscale:
        i, j = (int(v) for v in np.unravel_index(np.argmax(herm + np.abs(rr.imag)), herm.shape))
        raise InvalidInput(
            f"<r_i r_j> must be real and symmetric (Hermitian); entry ({i}, {j}) breaks it",
            field=("rr_ground", i, j),
            fix="give a real symmetric matrix of ground-state second moments",
        )
    rr_real = 0.5 * (rr.real + rr.real.T)
    eig = np.linalg.eigvalsh(rr_real)
    if eig[0] < -SYMMETRY_RTOL * rscale:
        raise InvalidInput(
            f"<r_i r_j> must be positive semi-definite (smallest eigenvalue {eig[0]:g})",
            field=("rr_ground",),
            fix="give the second-moment matrix of a real state (it is a covariance matrix)",
        )
    return TransitionMoments(omega=w, p=pa, pr=ta, prr=ua, rr_ground=rr_real, labels=None)
