"""Tight-binding models, bands, Berry geometry and orbital susceptibility (Duff & Sipe).

Modules: :mod:`.model` (models, Haldane builder), :mod:`.bloch` (H(k) and derivatives, batched
diagonalisation, grids and paths), :mod:`.geometry` (connection, curvature, metric, Chern number,
magnetisation, sum rules 102/104), :mod:`.susceptibility` (chi_1, chi_2, supercell check), :mod:`.reports` (the reports and
checks of the bands, Berry and susceptibility computations). Reference:
:data:`core.references.DUFF_SIPE`.
"""

from core.crystal.model import MODEL_NAME, MODEL_VERSION, TightBindingModel, from_hoppings, haldane

__all__ = ["MODEL_NAME", "MODEL_VERSION", "TightBindingModel", "from_hoppings", "haldane"]
