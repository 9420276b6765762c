"""Schemas of the crystalline-insulator endpoints: ``/v1/crystal/*`` (:data:`core.references.DUFF_SIPE`).

A model is either the Haldane shortcut (eqs 93-94) or a general tight-binding model: lattice
vectors, orbitals (position, on-site energy) and hoppings <0,from|H|R,to> = amplitude, each bond
listed once (the Hermitian conjugate is implied). Energies are in ``energy_unit``, lengths in
``length_unit``; wavevectors in the inverse length unit. Natural units hbar = e = 1.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

from app.schemas.common import ResponseMeta, StrictModel, limit

#: Model numbers (energies, coordinates, wavevectors) of ordinary magnitude: beyond 1e6 in the
#: model's own units the closed forms overflow double precision (a 1e300 hopping gives NaN
#: eigenvectors), so the schema refuses them with a 422 instead.
Bounded = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]
#: An orbital index (0-based); far beyond any max_bands, it only keeps indices in int64 range.
OrbitalIndex = Annotated[int, Field(ge=0, le=1_000_000)]
#: A lattice coordinate of a cell (hoppings reach a few cells; |R| <= 1000 keeps k.R exact).
CellIndex = Annotated[int, Field(ge=-1000, le=1000)]
#: Points per reciprocal vector of a k-grid (their product is bounded by max_k_points).
GridSize = Annotated[int, Field(le=1_000_000)]
#: A 2D or 3D vector.
Vector = Annotated[list[Bounded], Field(min_length=2, max_length=3)]

EnergyUnit = Literal["model", "eV", "meV"]
LengthUnit = Literal["model", "angstrom", "nm"]


class Amplitude(StrictModel):
    """A complex hopping amplitude."""

    real: Bounded = Field(description="Real part [energy_unit].")
    imag: Bounded = Field(default=0.0, description="Imaginary part [energy_unit].")


class Orbital(StrictModel):
    """One orbital of the unit cell."""

    position: list[Bounded] = Field(
        min_length=2, max_length=3, description="Cartesian position [length_unit]."
    )
    onsite: Bounded = Field(default=0.0, description="On-site energy [energy_unit].")


class Hopping(StrictModel):
    """The matrix element <0, from | H | R, to> = amplitude (its conjugate is added)."""

    from_: OrbitalIndex = Field(
        alias="from", description="Orbital index in the home cell (0-based)."
    )
    to: OrbitalIndex = Field(description="Orbital index in cell R (0-based).")
    R: list[CellIndex] = Field(
        min_length=2, max_length=3, description="Cell of orbital `to`, in lattice coordinates."
    )
    amplitude: Amplitude = Field(description="Hopping amplitude [energy_unit].")

    model_config = StrictModel.model_config | {"populate_by_name": True}


class HaldaneSpec(StrictModel):
    """The Haldane model, eqs 93-94: H = f0 + f.sigma on the honeycomb lattice.

    Orbital 0 = A at (0, 0) with +M, orbital 1 = B at (0, a) with -M. C = 0 for
    |t2 sin phi| < M/(3 sqrt 3), C = +-1 beyond; the gap closes at K (t2 sin phi = +M/(3 sqrt 3))
    or K' (= -M/(3 sqrt 3)).
    """

    kind: Literal["haldane"] = "haldane"
    t: Bounded = Field(default=1.0, description="Nearest-neighbour hopping t [energy_unit].")
    t2: Bounded = Field(default=0.0, description="Next-nearest-neighbour hopping t2 [energy_unit].")
    phi: FiniteFloat = Field(default=1.5707963267948966, description="Phase of t2 [rad].")
    M: Bounded = Field(default=0.0, description="Sublattice mass M [energy_unit].")
    a: FiniteFloat = Field(
        default=1.0, ge=1e-6, le=1e6, description="A-B distance [length_unit], 1e-6 ... 1e6."
    )
    energy_unit: EnergyUnit = Field(default="model", description="Unit of t, t2, M.")
    length_unit: LengthUnit = Field(default="model", description="Unit of a.")


class TightBindingSpec(StrictModel):
    """A general tight-binding model in 2D (or 3D, with B along z for the susceptibility)."""

    kind: Literal["tight_binding"] = "tight_binding"
    lattice: list[Vector] = Field(
        min_length=2, max_length=3, description="Primitive lattice vectors (rows) [length_unit]."
    )
    orbitals: list[Orbital] = Field(
        min_length=1,
        description="Orbitals of the unit cell (at most max_bands).",
        json_schema_extra=limit("max_bands"),
    )
    hoppings: list[Hopping] = Field(
        default_factory=list,
        description="Bonds, each listed once (at most max_hoppings).",
        json_schema_extra=limit("max_hoppings"),
    )
    energy_unit: EnergyUnit = Field(default="model", description="Unit of energies.")
    length_unit: LengthUnit = Field(default="model", description="Unit of lengths.")


ModelSpec = Annotated[HaldaneSpec | TightBindingSpec, Field(discriminator="kind")]


class KGrid(StrictModel):
    """A uniform Monkhorst-Pack-like grid: k = sum_i (n_i + shift)/N_i b_i."""

    n: list[GridSize] = Field(
        min_length=2, max_length=3, description="Points per reciprocal vector (>= 1)."
    )
    shift: FiniteFloat = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Offset in units of one step (0.5 keeps K off grids divisible by 3).",
    )

    @model_validator(mode="after")
    def _positive(self) -> KGrid:
        if any(x < 1 for x in self.n):
            raise ValueError("grid sizes must be >= 1")
        return self


class PathPoint(StrictModel):
    """A vertex of a k-path."""

    label: str = Field(default="", max_length=16, description="Name shown on plots (e.g. K).")
    k: list[Bounded] = Field(min_length=2, max_length=3, description="Wavevector; see `frame`.")


class KPath(StrictModel):
    """Straight segments through high-symmetry points."""

    points: list[PathPoint] = Field(
        min_length=2,
        description="Vertices in order (at most max_path_points).",
        json_schema_extra=limit("max_path_points"),
    )
    frame: Literal["cartesian", "reduced"] = Field(
        default="cartesian",
        description="`cartesian` [1/length_unit] or `reduced` (coefficients of reciprocal vectors).",
    )
    num: int = Field(
        default=200,
        ge=2,
        le=100_000_000,
        description="About how many points in all (at most max_k_points).",
    )


class BandsRequest(StrictModel):
    """Band energies along a path or on a grid."""

    model: ModelSpec
    path: KPath | None = Field(default=None, description="A k-path (give this or `grid`).")
    grid: KGrid | None = Field(default=None, description="A k-grid (give this or `path`).")

    @model_validator(mode="after")
    def _one(self) -> BandsRequest:
        if (self.path is None) == (self.grid is None):
            raise ValueError("give exactly one of 'path' and 'grid'")
        return self


class BerryRequest(StrictModel):
    """Berry curvature and quantum metric maps and Chern numbers on a 2D grid."""

    model: ModelSpec
    grid: KGrid = Field(default_factory=lambda: KGrid(n=[60, 60]), description="The k-grid.")
    filling: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Occupied bands (default: half)."
    )
    include_maps: bool = Field(default=True, description="Return the curvature and metric maps.")


class SusceptibilityRequest(StrictModel):
    """Static orbital susceptibility chi^zz of an insulator (eqs 70-73, 83-84)."""

    model: ModelSpec
    grid: KGrid = Field(
        default_factory=lambda: KGrid(n=[200, 200], shift=0.5),
        description="The k-grid; a second grid of about half the size gives the convergence estimate.",
    )
    filling: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Occupied bands (default: half)."
    )
    include_chi1: bool = Field(default=True, description="Also evaluate chi_1 (eqs 70-73, slower).")


class PathVertex(BaseModel):
    """A vertex of the k-path and where it lies along the path."""

    label: str = Field(description="The vertex label given in the request.")
    distance: float = Field(description="Path length at the vertex [1/length_unit].")


class BandsResponse(BaseModel):
    """Band energies; CSV and JSON also carry one array ``band_<n>`` per band (n = 0 .. N-1)."""

    model_config = ConfigDict(extra="allow")

    meta: ResponseMeta
    distance: list[float] | None = Field(default=None, description="Path length [1/length_unit].")
    kx: list[float] = Field(description="k_x [1/length_unit].")
    ky: list[float] = Field(description="k_y [1/length_unit].")
    kz: list[float] | None = Field(default=None, description="k_z of 3D models [1/length_unit].")
    energies: list[list[float]] = Field(description="Band energies, one row per k [energy_unit].")
    vertices: list[PathVertex] | None = Field(
        default=None, description="Path vertices and their positions (path requests only)."
    )


class ChernRaw(BaseModel):
    """The Fukui-Hatsugai-Suzuki lattice sums before rounding."""

    occupied: float = Field(description="Lattice sum of the occupied bands.")
    per_band: list[float | None] = Field(
        description="Lattice sum of each band; null where a band touches a neighbour."
    )


class BerryResponse(BaseModel):
    meta: ResponseMeta
    chern_occupied: int = Field(description="Chern number of the occupied bands (FHS).")
    chern_per_band: list[int | None] = Field(
        description="Per band; null where a band touches a neighbour."
    )
    chern_raw: ChernRaw = Field(description="The lattice sums before rounding.")
    gap: float = Field(
        description="Indirect gap above the occupied bands on the grid [energy_unit]."
    )
    direct_gap_min: float = Field(
        description="Smallest direct gap above the occupied bands on the grid [energy_unit]."
    )
    kx: list[float] | None = Field(default=None, description="k_x [1/length_unit].")
    ky: list[float] | None = Field(default=None, description="k_y [1/length_unit].")
    curvature: list[list[float]] | None = Field(
        default=None, description="Omega_n(k), one row per k [length_unit^2]."
    )
    metric: list[list[list[float]]] | None = Field(
        default=None, description="g^{xx}, g^{xy}, g^{yy} of each band per k [length_unit^2]."
    )
    curvature_integral: list[float] | None = Field(
        default=None,
        description="(1/2pi) times the grid integral of each band's curvature (not quantised "
        "on a finite grid).",
    )


class Chi2Parts(BaseModel):
    """chi_2 by operator content (natural units, per unit area)."""

    velocity: float = Field(description="Four velocities: the interband (Van Vleck-like) part.")
    hessian_velocity: float = Field(description="One Hessian, two velocities.")
    hessian_hessian: float = Field(description="Two Hessians (atomic-diamagnetism-like).")


class Chi2Result(BaseModel):
    total: float = Field(description="Gauge-invariant chi^zz (eqs 83-84), natural units.")
    parts: Chi2Parts


class Chi1Parts(BaseModel):
    """chi_1 = chi_VV + chi_occ + chi_geo (eqs 71-73), natural units."""

    vv: float = Field(description="chi_VV (eq 71).")
    occ: float = Field(description="chi_occ (eq 72).")
    geo: float = Field(description="chi_geo (eq 73).")


class Chi1Result(BaseModel):
    total: float = Field(description="chi^zz of eqs 70-73 in the paper's gauge, natural units.")
    parts: Chi1Parts
    gauge_min_modulus: float = Field(
        description="Smallest modulus of the gauge-fixed component; near 0 the gauge is singular."
    )


class Convergence(BaseModel):
    grid_half: list[int] = Field(description="The grid of about half the size.")
    chi_2_half: float = Field(description="chi_2 on that grid (natural units).")
    relative_change: float = Field(description="|chi_2 - chi_2_half| / |chi_2|.")


class SusceptibilitySI(BaseModel):
    """SI values (physical energy and length units only)."""

    chi_2: float = Field(description="chi_2 [A^2 m^2 / J per unit area].")
    chi_1: float | None = Field(description="chi_1 [A^2 m^2 / J per unit area], if evaluated.")
    unit: str = Field(description="Unit of chi_1 and chi_2.")
    magnetization: float = Field(description="M^z [A].")
    magnetization_unit: str = Field(description="Unit of the magnetisation.")


class SusceptibilityResponse(BaseModel):
    meta: ResponseMeta
    chi_2: Chi2Result = Field(description="Gauge-invariant chi^zz and its parts.")
    chi_1: Chi1Result | None = Field(default=None, description="Eqs 70-73 in the paper's gauge.")
    magnetization: float = Field(
        description="Ground-state orbital magnetisation M^z (natural units e E_u / hbar)."
    )
    chern_occupied: int | None = Field(description="Chern number of the occupied bands (2D only).")
    gap: float = Field(description="Indirect gap on the grid [energy_unit].")
    grid: list[int] = Field(description="The k-grid.")
    convergence: Convergence = Field(description="The grid-halving estimate.")
    si: SusceptibilitySI | None = Field(default=None, description="SI values (physical units).")
