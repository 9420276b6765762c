"""Request media and grids -> core objects: the one place the web layer builds them.

Routers never construct core media themselves: an oscillator medium spec, a frequency grid in the
request's unit and a medium spec of any kind (:func:`build_optics_medium`: oscillator, constant,
tabulated, magnetic-resonance) become core objects here, after the size limits of the settings
(413 naming the limit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.schemas.chiral import ComplexInput, MagneticResonanceRequest, SingleSusceptibilityRequest
from app.schemas.common import FrequencyGrid
from app.schemas.crystal import HaldaneSpec, TightBindingSpec
from app.schemas.optics import (
    ConstantMediumKind,
    MagneticResonanceMediumKind,
    MediumSpec,
    OscillatorMediumKind,
    TabulatedMediumKind,
)
from app.schemas.oscillator import OscillatorMediumSpec
from app.settings import Settings
from core import chiral as ch
from core import oscillators as osc
from core.crystal.model import TightBindingModel, from_hoppings, haldane
from core.errors import CoreError, InvalidInput, LimitExceeded
from core.media import ConstantMedium, Medium, TabulatedMedium
from core.units import from_angular, is_physical, linear_scale, to_angular


def build_medium(
    spec: OscillatorMediumSpec | OscillatorMediumKind,
    settings: Settings,
    field: tuple[str | int, ...] = (),
) -> osc.OscillatorMedium:
    """The core medium of a validated spec, after the size limit (413 naming max_transitions)."""
    n = len(spec.transitions)
    if n > settings.max_transitions:
        raise LimitExceeded(
            f"{n} transitions; the limit is {settings.max_transitions}",
            limit_name="max_transitions",
            limit=settings.max_transitions,
            requested=n,
            field=(*field, "transitions"),
            fix="merge or drop weak transitions",
        )
    return osc.OscillatorMedium.from_transitions([t.model_dump() for t in spec.transitions])


def grid_in_medium_units(
    grid: FrequencyGrid, medium_unit: str, field: tuple[str | int, ...] = ("frequencies",)
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Grid points converted to the medium's unit, and the inverse map (medium unit -> grid unit).

    The dimensionless ``model`` unit has no SI scale, so it combines only with itself.
    """
    if is_physical(grid.unit) != is_physical(medium_unit):
        raise InvalidInput(
            f"the grid is in '{grid.unit}' but the transitions are in '{medium_unit}': the model unit "
            "has no SI scale",
            field=(*field, "unit"),
            fix="use 'model' for both, or physical units for both",
        )
    pts = grid.points()
    scale = linear_scale(medium_unit)
    w = to_angular(pts, grid.unit) / scale

    def back(x: np.ndarray) -> np.ndarray:
        return from_angular(np.asarray(x) * scale, grid.unit)

    return w, back


# ---------------------------------------------------------------- optics media (every kind)


def medium_unit(spec: MediumSpec) -> str | None:
    """The frequency unit a medium spec is written in (None for a constant medium)."""
    return None if isinstance(spec, ConstantMediumKind) else spec.unit


def count_transitions(spec: MediumSpec) -> int:
    """Transitions (oscillator) or resonances (magnetic resonance + background) of a spec."""
    if isinstance(spec, OscillatorMediumKind):
        return len(spec.transitions)
    if isinstance(spec, MagneticResonanceMediumKind):
        return 1 + len(spec.background)
    return 0


def _cx(v: float | ComplexInput) -> complex:
    return complex(v.real, v.imag) if isinstance(v, ComplexInput) else complex(v)


def build_optics_medium(
    spec: MediumSpec, target: str, settings: Settings, field: tuple[str | int, ...]
) -> Medium:
    """The core medium (:class:`core.media.Medium`) of a validated medium spec of any kind
    (oscillator, constant, tabulated, magnetic-resonance), its frequencies in ``target`` (a linear
    unit: rad/s, model or the spec's own). Errors name the field under ``field``.

    Raises InvalidInput when a model-unit medium meets a physical frame (or the reverse): the
    model unit has no SI scale; LimitExceeded (413) for a table over ``max_grid_points``.
    """
    unit = medium_unit(spec)
    if unit is not None and is_physical(unit) != is_physical(target):
        raise InvalidInput(
            f"the medium is in '{unit}' but the request works in "
            f"{'physical' if is_physical(target) else 'model'} units: the model unit has no SI scale",
            field=(*field, "unit"),
            fix="use 'model' units everywhere, or physical units everywhere",
        )
    try:
        if isinstance(spec, ConstantMediumKind):
            return ConstantMedium(_cx(spec.eps), _cx(spec.mu))
        assert unit is not None
        if isinstance(spec, OscillatorMediumKind):
            s = linear_scale(unit) / linear_scale(target)
            return build_medium(spec, settings).scaled(s)
        if isinstance(spec, MagneticResonanceMediumKind):
            s = linear_scale(unit) / linear_scale(target)
            mr = _magnetic_resonance(spec, _cx(spec.eps_b))
            return mr.scaled(s)
        if isinstance(spec, TabulatedMediumKind):
            return _tabulated(spec, unit, target, settings)
    except CoreError as exc:
        exc.field = (*field, *exc.field)
        raise exc from None
    raise InvalidInput("unknown medium kind", field=(*field, "kind"))  # pragma: no cover


def _tabulated(
    spec: TabulatedMediumKind, unit: str, target: str, settings: Settings
) -> TabulatedMedium:
    n = len(spec.frequencies)
    if n > settings.max_grid_points:
        raise LimitExceeded(
            f"the table has {n} rows; the limit is {settings.max_grid_points}",
            limit_name="max_grid_points",
            limit=settings.max_grid_points,
            requested=n,
            field=("frequencies",),
            fix="thin the table",
        )
    f = to_angular(spec.frequencies, unit) / linear_scale(target)
    order = np.argsort(f, kind="stable")
    if spec.n is not None:
        nk = np.asarray(spec.n) + 1j * np.asarray(spec.k)
        eps, mu = nk * nk, np.ones(n, dtype=complex)
    else:
        assert spec.eps is not None
        eps = np.asarray(spec.eps.real) + 1j * np.asarray(spec.eps.imag)
        mu = (
            np.asarray(spec.mu.real) + 1j * np.asarray(spec.mu.imag)
            if spec.mu is not None
            else np.ones(n, dtype=complex)
        )
    if np.any(np.diff(f[order]) <= 0):
        raise InvalidInput(
            "the table has two rows at the same frequency",
            field=("frequencies",),
            fix="drop duplicate rows",
        )
    return TabulatedMedium(f[order], eps[order], mu[order], spec.interpolation)


# ---------------------------------------------------------------- Cho's media (core.chiral)


def _limit_oscillators(n: int, settings: Settings, field: tuple[str | int, ...]) -> None:
    if n > settings.max_transitions:
        raise LimitExceeded(
            f"{n} oscillators; the limit is {settings.max_transitions}",
            limit_name="max_transitions",
            limit=settings.max_transitions,
            requested=n,
            field=field,
            fix="merge or drop weak resonances",
        )


def build_magnetic_resonance_medium(
    body: MagneticResonanceRequest, settings: Settings
) -> ch.MagneticResonanceMedium:
    """The core medium of ``/v1/chiral/magnetic-resonance`` (after the 413 on max_transitions).

    The strength is given as ``b`` (Gaussian) or ``four_pi_b`` (SI); an error about it names the
    field the user gave.
    """
    _limit_oscillators(len(body.background), settings, ("background",))
    return _magnetic_resonance(body, body.eps_b_complex())


def _magnetic_resonance(
    spec: MagneticResonanceMediumKind | MagneticResonanceRequest, eps_b: complex
) -> ch.MagneticResonanceMedium:
    """Cho's magnetic-resonance medium of either request form (its own frequency unit). The
    strength is ``b`` (Gaussian) or ``four_pi_b`` (SI); an error about it names the field the
    user gave."""
    b = spec.b if spec.b is not None else ch.gaussian_strength(float(spec.four_pi_b or 0.0))
    bg = spec.background
    try:
        return ch.MagneticResonanceMedium(
            eps_b=eps_b,
            b=b,
            w0=spec.w0,
            gamma=spec.gamma,
            assignment=spec.assignment,
            line_shape=spec.line_shape,
            background_omega=tuple(o.omega for o in bg),
            background_gamma=tuple(o.gamma for o in bg),
            background_strength=tuple(o.strength for o in bg),
        )
    except InvalidInput as exc:
        if exc.field == ("b",) and spec.b is None:
            exc.field = ("four_pi_b",)  # the strength was given in its SI form
        raise


def build_chiral_medium(body: SingleSusceptibilityRequest, settings: Settings) -> ch.ChiralMedium:
    """The core medium of ``/v1/chiral/single-susceptibility`` (after the 413 on
    max_transitions)."""
    _limit_oscillators(len(body.resonances), settings, ("resonances",))
    res = body.resonances
    return ch.ChiralMedium(
        eps_inf=body.eps_inf_complex(),
        omega=tuple(x.omega for x in res),
        gamma=tuple(x.gamma for x in res),
        e1=tuple(x.e1 for x in res),
        mixed=tuple(x.mixed for x in res),
        m1=tuple(x.m1 for x in res),
    )


# -- crystals: tight-binding model specs -> core models ---------------------------------------


def check_model_size(spec: HaldaneSpec | TightBindingSpec, settings: Settings) -> None:
    """413 naming ``max_bands`` or ``max_hoppings`` for a model over the limits (lengths only)."""
    if isinstance(spec, HaldaneSpec):
        return
    if len(spec.orbitals) > settings.max_bands:
        raise LimitExceeded(
            f"{len(spec.orbitals)} orbitals; the limit is {settings.max_bands}",
            limit_name="max_bands",
            limit=settings.max_bands,
            requested=len(spec.orbitals),
            field=("model", "orbitals"),
            fix=f"use at most {settings.max_bands} orbitals per cell",
        )
    if len(spec.hoppings) > settings.max_hoppings:
        raise LimitExceeded(
            f"{len(spec.hoppings)} hoppings; the limit is {settings.max_hoppings}",
            limit_name="max_hoppings",
            limit=settings.max_hoppings,
            requested=len(spec.hoppings),
            field=("model", "hoppings"),
            fix=f"use at most {settings.max_hoppings} bonds (each once; the conjugate is implied)",
        )


def build_model(spec: HaldaneSpec | TightBindingSpec, settings: Settings) -> TightBindingModel:
    """The core model of a validated spec, after the size limits (413 naming the setting)."""
    if isinstance(spec, HaldaneSpec):
        return haldane(spec.t, spec.t2, spec.phi, spec.M, spec.a)
    check_model_size(spec, settings)
    dim = len(spec.lattice)
    for i, row in enumerate(spec.lattice):
        if len(row) != dim:
            raise InvalidInput(
                f"lattice vector {i} has {len(row)} components; {dim} vectors need {dim}",
                field=("model", "lattice", i),
            )
    for i, o in enumerate(spec.orbitals):
        if len(o.position) != dim:
            raise InvalidInput(
                f"orbital {i} position has {len(o.position)} components, expected {dim}",
                field=("model", "orbitals", i, "position"),
            )
    for i, h in enumerate(spec.hoppings):
        if len(h.R) != dim:
            raise InvalidInput(
                f"hopping {i}: R has {len(h.R)} components, expected {dim}",
                field=("model", "hoppings", i, "R"),
            )
    try:
        return from_hoppings(
            spec.lattice,
            [o.position for o in spec.orbitals],
            [o.onsite for o in spec.orbitals],
            [
                (h.from_, h.to, h.R, complex(h.amplitude.real, h.amplitude.imag))
                for h in spec.hoppings
            ],
        )
    except CoreError as exc:
        exc.field = ("model", *exc.field)
        raise
