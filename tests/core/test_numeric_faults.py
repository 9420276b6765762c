"""Numeric faults become domain errors before the kernels (issue 12, item 1).

Magnitudes beyond double-precision reach (a denormal 1e-310 damping, a 1e300 frequency) make the
resonance denominators D = w_j^2 - w^2 - 2 i gamma w overflow or vanish, and the response becomes
0/0 or inf/inf; core refuses them with :class:`InvalidInput` naming the entry and the usable range
[1e-30, 1e30] (``core.oscillators.FREQUENCY_RANGE``), and accepts the whole range up to its edges.
Where an array of a report is not finite anyway, the report says so (``finite_values`` fails) and
the JSON carries ``null``, never ``NaN``.
"""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from core.checks import FINITE, Report, Series
from core.chiral import ChiralMedium, MagneticResonanceMedium, chiral_response
from core.errors import InvalidInput
from core.oscillators import FREQUENCY_RANGE, MAX_STRENGTH

LO, HI = FREQUENCY_RANGE


def chiral(**over: float) -> ChiralMedium:
    cols = {"omega": 1.0, "gamma": 0.05, "e1": 0.5, "mixed": 0.1, "m1": 0.02, **over}
    return ChiralMedium(
        eps_inf=1.0,
        omega=(cols["omega"],),
        gamma=(cols["gamma"],),
        e1=(cols["e1"],),
        mixed=(cols["mixed"],),
        m1=(cols["m1"],),
    )


def resonance(**over: object) -> MagneticResonanceMedium:
    kw: dict[str, object] = {
        "eps_b": -1.0,
        "b": 0.01,
        "w0": 1.0,
        "gamma": 0.01,
        "assignment": "chi_m",
        **over,
    }
    return MagneticResonanceMedium(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"gamma": 1e-310}, ("resonances", 0, "gamma")),  # denormal damping
        ({"gamma": 5e-324}, ("resonances", 0, "gamma")),
        ({"gamma": 1e300}, ("resonances", 0, "gamma")),
        ({"omega": 5e-324}, ("resonances", 0, "omega")),
        ({"omega": 1e300}, ("resonances", 0, "omega")),
        ({"e1": 1e300, "m1": 1e300}, ("resonances", 0, "e1")),
    ],
)
def test_chiral_resonances_beyond_double_precision_are_refused_naming_the_entry(over, field):
    with pytest.raises(InvalidInput) as info:
        chiral(**over)
    err = info.value
    assert err.field == field
    assert "usable range" in err.message and err.fix  # says what to give instead


def test_chiral_resonances_at_the_edges_of_the_usable_range_are_finite():
    # w_j = 1e-30 with the grid at the same scale, gamma at both edges: D stays representable
    for medium, w in [
        (chiral(omega=LO, gamma=LO, e1=LO**2, mixed=0.0, m1=0.1), np.array([0.5 * LO, 2 * LO])),
        (chiral(gamma=0.0), np.array([0.5, 2.0])),
        (chiral(gamma=HI), np.array([0.5, 2.0])),
    ]:
        r = chiral_response(medium, w)
        assert np.all(np.isfinite(r.k_plus)) and np.all(np.isfinite(r.k_minus))


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"gamma": 1e-310}, ("gamma",)),
        ({"gamma": 1e300}, ("gamma",)),
        ({"w0": 1e300}, ("w0",)),
        ({"w0": 5e-324, "b": 5e-324}, ("w0",)),
        (
            {
                "background_omega": (2.0,),
                "background_gamma": (1e-310,),
                "background_strength": (1.0,),
            },
            ("background", 0, "gamma"),
        ),
        (
            {
                "background_omega": (2.0,),
                "background_gamma": (0.0,),
                "background_strength": (10 * MAX_STRENGTH,),
            },
            ("background", 0, "strength"),
        ),
    ],
)
def test_magnetic_resonance_beyond_double_precision_is_refused_naming_the_field(over, field):
    with pytest.raises(InvalidInput) as info:
        resonance(**over)
    assert info.value.field == field and "usable range" in info.value.message


def test_undamped_magnetic_resonance_is_still_allowed():
    """gamma = 0 is the paper's 0+ (eqs 44-45): refused only as 1e-310, never as 0."""
    assert resonance(gamma=0.0).gamma == 0.0


def test_a_non_finite_array_fails_finite_values_and_serialises_as_null():
    """orjson writes NaN and inf as null: the report must say which arrays hold them."""
    w = np.array([0.0, 1.0, 2.0])
    y = np.array([1.0, np.nan, np.inf])
    rep = Report(
        model="m",
        version="1",
        arrays={"w": Series(w, "w", "1", None), "y": Series(y, "y", "1", "w")},
    )
    check = rep.checks[FINITE.name]
    assert check.verdict is False and check.value == 2.0
    assert any("not finite" in t for t in rep.warnings)
    _, data = rep.payload()
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)
    assert b"NaN" not in text and b"Infinity" not in text
    assert orjson.loads(text)["y"] == [1.0, None, None]


def test_finite_arrays_carry_no_finite_values_check():
    w = np.linspace(0.0, 1.0, 5)
    rep = Report(model="m", version="1", arrays={"w": Series(w, "w", "1", None)})
    assert FINITE.name not in rep.checks


def test_orjson_never_writes_non_finite_tokens():
    """The JSON encoder of every answer: non-finite floats become null (RFC 8259 has no NaN)."""
    text = orjson.dumps(
        {"a": np.array([np.nan, -np.inf]), "b": math.nan, "c": np.float64(math.inf)},
        option=orjson.OPT_SERIALIZE_NUMPY,
    )
    assert orjson.loads(text) == {"a": [None, None], "b": None, "c": None}
