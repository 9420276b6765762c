"""Figure specs (core.figures): every report model is drawn, and each builder reads arrays its
report has, with the drawing conventions (Re solid / Im dashed, log axes, labelled k-path)."""

from __future__ import annotations

import numpy as np
import pytest

from core import chiral, molecular, optics, oscillators
from core.causality.conventions import MODEL_VERSIONS as CAUSALITY_MODELS
from core.checks import Report, Series
from core.crystal import model as crystal
from core.crystal import reports
from core.emitters import MODEL_VERSIONS as EMITTER_MODELS
from core.figures import (
    FIGURES,
    Figure,
    figure_names,
    figures_for,
    lookup,
    parse_name,
    report_source,
)
from core.oscillator_report import oscillator_report
from core.oscillators import OscillatorMedium

ALL_MODELS = sorted(
    {
        oscillators.MODEL_NAME,
        molecular.MODEL_NAME,
        crystal.MODEL_NAME,
        *EMITTER_MODELS,
        *CAUSALITY_MODELS,
        *optics.MODEL_VERSIONS,
        *chiral.MODEL_VERSIONS,
    }
)


def lorentz() -> OscillatorMedium:
    """One electric-dipole transition (eq 21 with Delta_edip = 1 only)."""
    one, zero = np.array([1.0]), np.array([0.0])
    return OscillatorMedium(
        omega=one, gamma=0.1 * one, e_dip=one, m_dip=zero, quad=zero, dip_oct=zero, dia=zero
    )


def assert_resolves(report: Report, figs: tuple[Figure, ...]) -> None:
    src = report_source(report)
    assert figs, f"{report.model}: no figure"
    for f in figs:
        for name in figure_names(f):
            value = np.asarray(lookup(src, name))
            _, col = parse_name(name)
            if col is not None:
                assert value.ndim == 2 and col < value.shape[1], name
        for t in f.traces:
            if t.part != "value" and t.name in report.arrays:
                s = report.arrays[t.name]
                # a complex array, or a real array that is itself one part (chi_real, chi_imag)
                assert s.is_complex or t.name.endswith(f"_{t.part}") or "_real_" in t.name


@pytest.mark.parametrize("model", ALL_MODELS)
def test_every_report_model_has_a_figure_builder(model: str) -> None:
    assert model in FIGURES


def test_oscillator_figure_draws_eps_and_mu_re_solid_im_dashed() -> None:
    med = lorentz()
    rep = oscillator_report(med, np.linspace(0.0, 3.0, 101))
    figs = figures_for(rep)
    assert_resolves(rep, figs)
    parts = {(t.name, t.part) for t in figs[0].traces}
    assert {("epsilon", "real"), ("epsilon", "imag"), ("mu", "real"), ("mu", "imag")} <= parts
    assert figs[0].x.scale == "linear"  # a linear grid: linear axis


def test_a_log_spaced_grid_gets_a_log_frequency_axis() -> None:
    med = lorentz()
    rep = oscillator_report(med, np.geomspace(1e-2, 1e2, 101))
    assert figures_for(rep)[0].x.scale == "log"


def _stack_report(freqs: np.ndarray, angles: np.ndarray, absorbing: bool) -> Report:
    f = np.tile(freqs, angles.size)
    a = np.repeat(angles, freqs.size)
    R = 0.04 + 0.0 * f
    A = (0.1 if absorbing else 1e-16) + 0.0 * f
    arrays = {
        "frequencies": Series(f, "frequency of each row", "nm"),
        "angles": Series(a, "angle of incidence", "deg", "frequencies"),
    }
    for pol in ("s", "p"):
        arrays[f"R_{pol}"] = Series(R, "R", "1", "frequencies")
        arrays[f"T_{pol}"] = Series(1 - R - A, "T", "1", "frequencies")
        arrays[f"A_{pol}"] = Series(A, "A", "1", "frequencies")
    return Report(model=optics.MODEL_NAME_REFLECTANCE, version="1", arrays=arrays)


def test_reflectance_is_angular_at_one_frequency_and_a_spectrum_otherwise() -> None:
    ang = _stack_report(np.array([550.0]), np.linspace(0.0, 89.0, 90), absorbing=False)
    (fa,) = figures_for(ang)
    assert fa.kind == "angular" and fa.x.name == "angles" and fa.x.unit == "deg"
    spec = _stack_report(np.linspace(400.0, 800.0, 50), np.array([0.0, 45.0]), absorbing=True)
    (fs,) = figures_for(spec)
    assert fs.kind == "spectrum" and fs.x.label.startswith("vacuum wavelength")
    assert "0, 45 deg" in fs.title
    assert_resolves(spec, (fs,))


def test_absorptance_is_drawn_only_where_the_stack_absorbs() -> None:
    lossless = _stack_report(np.array([550.0]), np.linspace(0, 80, 9), absorbing=False)
    lossy = _stack_report(np.array([550.0]), np.linspace(0, 80, 9), absorbing=True)
    assert not any(t.name.startswith("A_") for t in figures_for(lossless)[0].traces)
    assert {"A_s", "A_p"} <= {t.name for t in figures_for(lossy)[0].traces}


def test_bands_on_a_path_carry_gamma_k_m_ticks_and_a_berry_map_its_lowest_band() -> None:
    m = crystal.haldane(t=1.0, t2=0.04, phi=np.pi / 2, M=0.2)
    k = 2 * np.pi / 3
    path = [(0.0, 0.0), (k / np.sqrt(3), k), (0.0, k), (0.0, 0.0)]
    rep = reports.bands_report(m, path=path, labels=["G", "K", "M", "G"], num=60)
    (f,) = figures_for(rep)
    assert f.kind == "bands"
    assert [lab for _, lab in f.ticks] == ["Γ", "K", "M", "Γ"]
    assert [t.name for t in f.traces] == ["band_0", "band_1"]
    assert_resolves(rep, (f,))
    berry = reports.berry_report(m, (12, 12))
    (fm,) = figures_for(berry)
    assert fm.kind == "map" and fm.z is not None and fm.z.name == "curvature[0]"
    assert_resolves(berry, (fm,))


def test_orbital_susceptibility_is_a_sweep_of_its_scalars() -> None:
    m = crystal.haldane(t=1.0, t2=0.0, phi=np.pi / 2, M=1.0)
    rep = reports.orbital_susceptibility_report(m, (12, 12))
    (f,) = figures_for(rep)
    assert f.kind == "sweep" and {t.name for t in f.traces} == {"chi_1.total", "chi_2.total"}
    src = report_source(rep)
    # trivial insulator: chi_1 = chi_2 (Duff & Sipe), both read through the figure's names; on a
    # 12 x 12 grid they agree to the grid's convergence (6e-5 relative), not to round-off
    assert lookup(src, "chi_1.total") == pytest.approx(lookup(src, "chi_2.total"), rel=1e-3)


def test_parse_name_splits_paths_and_columns() -> None:
    assert parse_name("branches.omega") == (("branches", "omega"), None)
    assert parse_name("curvature[1]") == (("curvature",), 1)
    with pytest.raises(KeyError):
        lookup({"chi_1": None}, "chi_1.total")
