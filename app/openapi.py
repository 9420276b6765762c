"""Write the committed OpenAPI spec: ``python -m app.openapi [path]`` (default openapi/openapi.json).

The spec is generated from ``create_app()`` with default settings, dumped with sorted keys, indent
2 and a trailing newline, so a diff shows real API changes only. tests/app/test_openapi.py fails
when the committed file differs from the app.

:func:`add_preset_examples` (called by ``create_app``) puts every preset on its endpoint's request
body as a named OpenAPI example, so "Try it out" in /docs sends a body that answers 200
(tests/app/test_docs_examples.py posts every example of the document).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI

from app.presets import all_presets
from core.emitters.harmonic import harmonic_moments
from core.oscillators import OscillatorMedium

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def spec() -> dict[str, Any]:
    from app.main import create_app
    from app.settings import Settings

    return create_app(Settings(redis_url=None)).openapi()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Request examples for /docs and /redoc: every POST operation gets the presets of its endpoint
# ---------------------------------------------------------------------------------------------

#: The FrequencyGrid schema's own examples, one per form. Without them Swagger UI generates an
#: example holding *both* ``values`` and ``start``/``stop``/``num``, which the model refuses (422).
FREQUENCY_GRID_EXAMPLES: list[dict[str, Any]] = [
    {"start": 0.0, "stop": 4.0, "num": 401, "spacing": "linear", "unit": "model"},
    {"values": [0.5, 1.0, 1.5, 2.0], "unit": "model"},
]

#: Presets whose bodies are turned into examples of an endpoint that has no preset of its own.
KK_SOURCE_PRESET = "westerberg-barnett-fig2a"
CUSTOM_EMITTER_SOURCE_PRESET = "emitter-harmonic-isotropic"


def _example(summary: str, description: str, value: Any) -> dict[str, Any]:
    return {"summary": summary, "description": description, "value": value}


def _kk_examples() -> tuple[dict[str, Any], dict[str, Any]]:
    """``/v1/causality/kramers-kronig``: Im eps of the Fig. 2a preset's medium, 0..8 w_p.

    The JSON example sends Im eps (eq 21 of Westerberg & Barnett on 161 points, 6 significant
    digits) and gets Re eps back by eq 6; the CSV example sends the same numbers as
    ``frequency,eps2`` columns.
    """
    preset = all_presets()[KK_SOURCE_PRESET]
    medium = OscillatorMedium.from_transitions(preset.body["transitions"])
    w = np.linspace(0.0, 8.0, 161)
    eps, _ = medium.eps_mu(w)
    freqs = [float(f"{x:.6g}") for x in w]
    imag = [float(f"{x:.6g}") for x in eps.imag]
    imag[0] = 0.0  # Im f(0) = 0 exactly (the reality condition)
    name = f"{KK_SOURCE_PRESET}-eps2"
    desc = (
        f"Im eps of the `{KK_SOURCE_PRESET}` preset's medium (W&B eq 21) on 0..8 w_p, model "
        "units; Re eps comes back from eq 6 and the static limit from eq 7."
    )
    body = {"quantity": "epsilon", "unit": "model", "frequencies": freqs, "imag": imag}
    csv_text = "frequency,eps2\n" + "".join(
        f"{f!r},{v!r}\n" for f, v in zip(freqs, imag, strict=True)
    )
    return (
        {name: _example(preset.title + ": Im eps -> Re eps", desc, body)},
        {name: _example(preset.title + ": Im eps as CSV", desc, csv_text)},
    )


def _custom_emitter_examples() -> dict[str, Any]:
    """``/v1/emitters/custom/strengths``: the moments of the harmonic preset's oscillator.

    Posting them reproduces ``/v1/emitters/harmonic/strengths`` with the preset's body (the
    harmonic oscillator's moments, Westerberg & Barnett App. B).
    """
    preset = all_presets()[CUSTOM_EMITTER_SOURCE_PRESET]
    b = preset.body
    mo = harmonic_moments(b["oscillator_frequencies"], b["mass"])
    keep = np.flatnonzero(
        np.any(mo.p != 0, axis=1)
        | np.any(mo.pr != 0, axis=(1, 2))
        | np.any(mo.prr != 0, axis=(1, 2, 3))
    )

    def part(a: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if np.any(a.real != 0):
            out["real"] = a.real.tolist()
        if np.any(a.imag != 0):
            out["imag"] = a.imag.tolist()
        return out

    transitions = [
        {
            "omega": float(mo.omega[e]),
            "p": part(mo.p[e]),
            "pr": part(mo.pr[e]),
            "prr": part(mo.prr[e]),
        }
        for e in keep
    ]
    body: dict[str, Any] = {
        **{k: b[k] for k in ("mass", "charge", "density", "gamma", "frequencies") if k in b},
        "transitions": transitions,
        "rr_ground": mo.rr_ground.tolist(),
    }
    name = CUSTOM_EMITTER_SOURCE_PRESET
    desc = (
        f"The excited states and moments of the `{name}` preset's harmonic oscillator "
        "(W&B App. B): the answer equals that preset's answer from /v1/emitters/harmonic/strengths."
    )
    return {name: _example(preset.title + " (as custom moments)", desc, body)}


def preset_examples() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """``(path, media type) -> {example name: OpenAPI Example Object}`` for every POST endpoint.

    Each preset is an example of its endpoint, named after the preset; a sweep contributes its
    ``body``. The two endpoints without a preset get examples derived from one (see
    :func:`_kk_examples`, :func:`_custom_emitter_examples`).
    """

    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for p in all_presets().values():
        desc = f"{p.source}. {p.description}".strip()
        if p.bodies:
            desc += f" (a sweep of {len(p.bodies)} bodies: `GET /v1/presets/{p.name}` lists them)"
        out.setdefault((p.endpoint, "application/json"), {})[p.name] = _example(
            p.title, desc, p.body
        )
    kk_json, kk_csv = _kk_examples()
    out.setdefault(("/v1/causality/kramers-kronig", "application/json"), {}).update(kk_json)
    out.setdefault(("/v1/causality/kramers-kronig", "text/csv"), {}).update(kk_csv)
    out.setdefault(("/v1/emitters/custom/strengths", "application/json"), {}).update(
        _custom_emitter_examples()
    )
    return out


def install_examples(doc: dict[str, Any]) -> dict[str, Any]:
    """Put the preset examples on the request bodies of ``doc`` and FrequencyGrid's examples on
    its schema (in place; returns ``doc``). Example names are sorted so the spec is stable."""
    schemas = doc.get("components", {}).get("schemas", {})
    if "FrequencyGrid" in schemas:
        schemas["FrequencyGrid"]["examples"] = FREQUENCY_GRID_EXAMPLES
    for (path, media), examples in preset_examples().items():
        op = doc.get("paths", {}).get(path, {}).get("post")
        if op is None:
            continue
        content = op.get("requestBody", {}).get("content", {})
        if media not in content:
            continue
        entry = content[media]
        entry.pop("example", None)  # `example` and `examples` are mutually exclusive
        entry["examples"] = dict(sorted(examples.items()))
    return doc


def add_preset_examples(app: FastAPI) -> None:
    """Make ``app.openapi()`` carry :func:`install_examples` (once, on first generation)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = install_examples(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(spec())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    print(f"wrote {path} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
