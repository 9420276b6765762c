"""Types, model versions and numerical constants shared by the causality modules.

Conventions (module :mod:`core.causality`): fields vary as exp(-i w t); frequencies are in any
linear unit, the same for every argument of a call.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

Direction = Literal["re_from_im", "im_from_re"]
Method = Literal["auto", "fft", "tree", "direct"]
TailModel = Literal["fit", "none"]
LowFrequency = Literal["auto", "insulator", "drude"]
Quantity = Literal["chi", "epsilon", "mu", "refractive_index"]

#: Model names and versions (part of the cache keys of the HTTP layer).
MODEL_VERSIONS: Final[dict[str, str]] = {
    "causality-kramers-kronig": "1.1.0",  # 1.1: Drude continuation, honest estimates (issue 11)
    "causality-oscillator": "1.1.0",  # 1.1: the KK error estimate of issue 11
}

DIRECTIONS: Final = get_args(Direction)
METHODS: Final = get_args(Method)
TAIL_MODELS: Final = get_args(TailModel)
LOW_FREQUENCY_MODELS: Final = get_args(LowFrequency)
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
#: Fraction of the lowest segment's contribution always counted as low-edge uncertainty.
LOW_EDGE_FLOOR: Final = 0.1
#: Factor on the grid-halving change in the discretisation estimate (the change itself is ~3x
#: the fine-grid error on a uniform grid; the factor covers non-uniform grids and grid ends, on
#: the analytic cases of tests/core/test_causality_estimates.py).
DISCRETISATION_SAFETY: Final = 2.0
