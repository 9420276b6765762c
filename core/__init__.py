"""Pure numerics for electromagnetic material response.

Imports only numpy, scipy, numba (optional fast path) and the standard library; never the web
stack. Sign convention throughout: fields vary as exp(-i w t), so a passive medium has
eps = eps' + i eps'' with eps'' >= 0 and every response function is analytic in the upper half of
the complex frequency plane (its poles lie at Im w < 0).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
