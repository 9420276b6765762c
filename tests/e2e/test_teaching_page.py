"""The teaching page in headless chromium against a real server (issue 14, acceptance).

Each preset is picked and computed in the page; the test reads what plotly drew (the trace types,
axis titles, line styles and the data) from the plot element, the verdicts from the check list,
and saves a screenshot to tests/e2e/artifacts/. Timeouts: 30 s per browser wait (conftest).
"""

from __future__ import annotations

import base64
import csv as csvlib
import json
import math
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS

PLOT_INFO = """() => {
  const p = document.getElementById('plot');
  const L = p.layout || {};
  const title = (a) => (a && a.title && a.title.text) || '';
  return {
    kind: p.dataset.kind,
    x: title(L.xaxis), y: title(L.yaxis),
    ticktext: (L.xaxis && L.xaxis.ticktext) || [],
    bg: L.plot_bgcolor,
    traces: (p.data || []).map((t) => ({
      type: t.type, name: t.name, visible: t.visible,
      dash: t.line ? t.line.dash : null, color: t.line ? t.line.color : null,
      x: Array.from(t.x || []), y: t.y ? Array.from(t.y) : null,
      part: t.meta ? t.meta.part : null,
    })),
  };
}"""

SENTENCE = re.compile(r"^(Body \d+: )?[A-Z][^_]* (passed|failed|has no verdict)\b.*\.$")


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_on_known_pairs() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0, rel=1e-9)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss


def open_page(context: Any, url: str) -> tuple[Any, list[str]]:
    """A new page at ``url`` that records every request URL; waits until the first plot is done."""
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    page.goto(url)
    page.wait_for_function("() => Number(document.body.dataset.done || 0) >= 1")
    return page, seen


def done_count(page: Any) -> int:
    return int(page.evaluate("() => Number(document.body.dataset.done || 0)"))


def wait_done(page: Any, before: int) -> None:
    page.wait_for_function(f"() => Number(document.body.dataset.done || 0) > {before}")


def pick_and_compute(page: Any, preset: str) -> dict[str, Any]:
    """Select ``preset`` (which loads and computes it), then press Compute; return the plot."""
    before = done_count(page)
    page.select_option("#preset", preset)
    wait_done(page, before)
    body = json.loads(page.input_value("#body"))
    detail = page.evaluate(f"async () => (await fetch('/v1/presets/{preset}')).json()")
    assert body == (detail["bodies"] or detail["body"]), "selecting a preset loads its body"
    before = done_count(page)
    page.click("#go")
    wait_done(page, before)
    assert page.is_hidden("#error"), page.inner_text("#error")
    return dict(page.evaluate(PLOT_INFO))


def check_sentences(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("#checks li .sentence").all_inner_texts()]


def assert_verdicts_are_sentences(page: Any) -> None:
    sentences = check_sentences(page)
    assert sentences, "the answer's checks are listed"
    for s in sentences:
        text = s.lstrip("✔✘• ").strip()
        text = re.sub(r"^(Body \d+: )[✔✘•] ", r"\1", text)
        assert SENTENCE.match(text), text
        assert not re.search(r"\b(yes|no)$", text), text
    assert any(re.search(r"\d", s) for s in sentences), "the sentences carry numbers"


def canonical(name: str) -> str:
    """A legend entry with the Greek letters spelled out (the report may label either way)."""
    for greek, latin in (("ε", "epsilon"), ("μ", "mu"), ("χ", "chi")):
        name = name.replace(greek, latin)
    return name


def visible(plot: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in plot["traces"] if t["visible"] is True]


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_fig2a_draws_eps_and_mu_against_frequency_re_solid_im_dashed(
    server: str, context: Any
) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "westerberg-barnett-fig2a")
    assert plot["kind"] == "spectrum"
    assert re.search(r"frequency.*\[model\]", plot["x"]), plot["x"]
    assert re.search(r"ε|epsilon", plot["y"]) and re.search(r"μ|mu", plot["y"]), plot["y"]
    names = {canonical(t["name"]): t for t in visible(plot)}
    assert {"Re epsilon", "Im epsilon", "Re mu", "Im mu"} <= set(names), names.keys()
    for t in plot["traces"]:
        assert t["dash"] == ("dash" if t["name"].startswith("Im ") else "solid"), t["name"]
        assert contrast(t["color"], plot["bg"]) >= 4.5, (t["name"], t["color"])
    assert names["Re epsilon"]["color"] == names["Im epsilon"]["color"]
    # physics in the drawn data: eps(0) = 1 + Delta_edip / w^2 = 3 and mu(0) = 0.504 (preset text)
    assert names["Re epsilon"]["x"][0] == 0.0
    assert names["Re epsilon"]["y"][0] == pytest.approx(3.0, rel=1e-9)
    assert names["Re mu"]["y"][0] == pytest.approx(0.504, abs=5e-4)
    # Im eps >= 0 everywhere: the electric response is passive (exp(-i w t) convention)
    assert min(names["Im epsilon"]["y"]) >= -1e-12
    assert_verdicts_are_sentences(page)
    desc = page.inner_text("#preset-description")
    assert "Eq 26 holds" in desc and "Westerberg" in page.inner_text("#preset-source")
    # log/linear switch
    page.select_option("#yscale", "log")
    assert page.evaluate("() => document.getElementById('plot').layout.yaxis.type") == "log"
    page.select_option("#yscale", "linear")
    shot(page, "fig2a")


def test_cho_fig2_shows_the_reflectance_dip(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "cho-fig2-chi-B")
    assert plot["kind"] == "spectrum"
    assert re.search(r"frequency", plot["x"]), plot["x"]
    shown = visible(plot)
    assert [t["name"] for t in shown] in (["R"], ["reflectance"]), "the dip is not under mu"
    assert "reflectance" in plot["y"].lower() or plot["y"].startswith("R"), plot["y"]
    assert page.locator("#figure-select option").count() >= 1
    r = shown[0]["y"]
    # R = 1 outside the left-handed window, ~0 at n = -1 inside it (Cho Fig. 2)
    assert min(r) < 1e-3 and max(r) > 0.99
    w_min = shown[0]["x"][r.index(min(r))]
    assert 0.999 <= w_min <= 1.0
    assert_verdicts_are_sentences(page)
    shot(page, "cho-fig2-chi-B")


def test_bands_are_drawn_along_the_labelled_k_path(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "haldane-fig4-bands")
    assert plot["kind"] == "bands"
    assert plot["ticktext"] == ["Γ", "K", "M", "K'", "Γ"]
    assert re.search(r"k-path.*\[1/model\]", plot["x"]), plot["x"]
    assert re.search(r"^(E|energy)\b.*\[model\]", plot["y"]), plot["y"]
    names = [t["name"] for t in plot["traces"]]
    assert names == ["E_0", "E_1"], "kx and ky are not drawn as bands"
    e0, e1 = plot["traces"][0]["y"], plot["traces"][1]["y"]
    # particle-hole symmetric Haldane bands at phi = pi/2: E_1 = -E_0; the gap is nearly closed at K
    assert all(a == pytest.approx(-b, abs=1e-9) for a, b in zip(e0, e1, strict=True))
    assert min(b - a for a, b in zip(e0, e1, strict=True)) < 0.05
    assert_verdicts_are_sentences(page)
    shot(page, "haldane-fig4-bands")


def test_berry_curvature_is_a_k_space_map(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "haldane-chern-berry")
    assert plot["kind"] == "map"
    assert plot["traces"][0]["type"] in {"heatmap", "scattergl", "scatter", "contour"}
    assert "k_x" in plot["x"] and "k_y" in plot["y"], (plot["x"], plot["y"])
    assert len(plot["traces"][0]["x"]) == 3600
    assert_verdicts_are_sentences(page)
    assert "C = +1" in page.inner_text("#preset-description")
    shot(page, "haldane-chern-berry")


def test_fig6_sweep_plots_chi_against_the_swept_value(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "haldane-fig6-sweep")
    assert plot["kind"] == "sweep"
    assert "t2 sin(phi)/t_c" in plot["x"]
    assert re.search(r"χ|chi", plot["y"]), plot["y"]
    curves = {re.sub(r"^(χ|chi)[_ ]([12]).*", r"chi\2", t["name"]): t for t in visible(plot)}
    assert set(curves) == {"chi1", "chi2"}, curves.keys()
    x = curves["chi1"]["x"]
    chi1, chi2 = curves["chi1"]["y"], curves["chi2"]["y"]
    assert x == [0, 0.25, 0.5, 0.75, 0.9, 0.95, 1.05, 1.1, 1.25, 1.5, 2]
    # Duff & Sipe Fig. 6: chi_1 = chi_2 in the trivial phase, chi_1 paramagnetic just inside the
    # Chern phase while chi_2 stays diamagnetic
    assert chi1[0] == pytest.approx(chi2[0], rel=1e-9)
    assert chi1[x.index(1.05)] > 0 > chi2[x.index(1.05)]
    assert all(c < 0 for c in chi2)
    assert_verdicts_are_sentences(page)
    shot(page, "haldane-fig6-sweep")


def test_a_failed_check_says_why(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    pick_and_compute(page, "westerberg-barnett-fig2a-eq26-violated")
    item = page.locator('#checks li.fail[data-check="sum_rule_26"]')
    assert item.count() == 1
    assert "Sum rule 26 failed" in item.inner_text()
    why = item.locator(".why").inner_text()
    assert why.startswith("Why:") and "-0.111111" in why
    shot(page, "eq26-violated")


def test_edited_parameter_recomputes_and_the_shared_link_reproduces_it(
    server: str, context: Any
) -> None:
    page, _ = open_page(context, server + "/")
    pick_and_compute(page, "westerberg-barnett-fig2a")
    before_plot = page.evaluate(PLOT_INFO)
    body = json.loads(page.input_value("#body"))
    body["transitions"][0]["gamma"] = 0.36  # twice the preset's damping
    page.fill("#body", json.dumps(body, indent=2))
    before = done_count(page)
    page.focus("#body")
    page.keyboard.press("Control+Enter")
    wait_done(page, before)
    edited = page.evaluate(PLOT_INFO)

    def im_eps(p: dict[str, Any]) -> list[float]:
        return next(t["y"] for t in p["traces"] if canonical(t["name"]) == "Im epsilon")

    # a Lorentz line's peak height scales as 1/gamma: doubling gamma about halves max Im eps
    ratio = max(im_eps(edited)) / max(im_eps(before_plot))
    assert 0.4 < ratio < 0.6, ratio
    url = page.url
    fragment = urlsplit(url).fragment
    assert "preset=westerberg-barnett-fig2a" in fragment and "body=" in fragment
    encoded = dict(p.split("=", 1) for p in fragment.split("&"))["body"]
    padded = encoded + "=" * (-len(encoded) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == body

    other, _ = open_page(context, url)
    shared = other.evaluate(PLOT_INFO)
    assert json.loads(other.input_value("#body")) == body
    assert (shared["kind"], shared["x"], shared["y"]) == (edited["kind"], edited["x"], edited["y"])
    assert [t["name"] for t in shared["traces"]] == [t["name"] for t in edited["traces"]]
    for a, b in zip(im_eps(shared), im_eps(edited), strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    shot(other, "shared-link")


def test_downloads_csv_json_and_png(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/#preset=westerberg-barnett-fig2a")
    with page.expect_download() as info:
        page.click("#dl-csv")
    csv = info.value
    assert csv.suggested_filename == "westerberg-barnett-fig2a.csv"
    text = open(csv.path(), encoding="utf-8").read()
    rows = list(csvlib.reader(ln for ln in text.splitlines() if ln and not ln.startswith("#")))
    header = rows[0]
    assert "frequenc" in header[0].lower(), header
    assert len(rows) == 1 + 801
    first = dict(zip(header, rows[1], strict=True))
    eps_re = [
        k for k in header if re.search(r"^re\b.*eps|eps.*(real|\bre\b)", canonical(k).lower())
    ]
    assert eps_re, header
    assert float(first[eps_re[0]]) == pytest.approx(3.0, rel=1e-9)  # eps(0) = 1 + 2/1^2

    with page.expect_download() as info:
        page.click("#dl-json")
    answer = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert answer["meta"]["checks"]["sum_rule_26"]["verdict"] is True

    with page.expect_download() as info:
        page.click("#dl-png")
    png = open(info.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_an_error_shows_the_fix_and_clears_the_stale_plot(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/#preset=westerberg-barnett-fig2a")
    assert page.evaluate("() => document.getElementById('plot').dataset.kind") == "spectrum"
    body = json.loads(page.input_value("#body"))
    body["transitions"][0]["omega"] = -1.0
    page.fill("#body", json.dumps(body))
    before = done_count(page)
    page.click("#go")
    wait_done(page, before)
    error = page.inner_text("#error")
    assert "/transitions/0/omega" in error and "Fix: use a larger value" in error
    assert page.evaluate("() => document.getElementById('plot').dataset.kind") == ""
    assert page.evaluate("() => (document.getElementById('plot').data || []).length") == 0
    assert page.locator("#checks li").count() == 0
    assert page.is_disabled("#dl-csv")
    shot(page, "error")


def test_page_fits_a_phone_and_every_control_is_labelled(browser: Any, server: str) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    ctx.set_default_timeout(30_000)
    try:
        page, _ = open_page(ctx, server + "/#preset=haldane-fig4-bands")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"horizontal overflow: {width} px"
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button')]
                 .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                                 && !el.textContent.trim())
                 .map((el) => el.id || el.outerHTML)"""
        )
        assert unlabelled == []
        assert page.evaluate("() => document.getElementById('plot').getAttribute('aria-label')")
        shot(page, "phone-390")
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/", "() => Number(document.body.dataset.done || 0) >= 1"),
        ("/docs", "() => document.querySelectorAll('.opblock').length > 0"),
        ("/redoc", "() => document.querySelectorAll('[data-section-id]').length > 0"),
    ],
    ids=["teaching-page", "swagger", "redoc"],
)
def test_no_request_leaves_this_host(server: str, context: Any, path: str, ready: str) -> None:
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    page.goto(server + path)
    page.wait_for_function(ready)
    page.wait_for_load_state("networkidle")
    assert seen, "requests were recorded"
    foreign = [
        u
        for u in seen
        if urlsplit(u).scheme not in {"data", "blob"} and urlsplit(u).hostname != "127.0.0.1"
    ]
    assert foreign == [], foreign
    shot(page, "offline" + (path.strip("/") or "-teach"))


def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.conftest import _missing

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _missing("no chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _missing("no chromium")


def test_plotly_is_served_from_the_pinned_package(server: str) -> None:
    from app.main import plotly_js_path

    path = plotly_js_path()
    assert path is not None, "plotly is pinned in requirements.lock"
    with urllib.request.urlopen(server + "/vendor/plotly.min.js", timeout=10) as r:
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.read() == path.read_bytes()


def test_brewster_preset_is_r_t_a_against_angle(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "optics-brewster-glass")
    assert plot["kind"] == "angular"
    assert re.search(r"angle.*\[deg\]", plot["x"]), plot["x"]
    r_p = next(t for t in plot["traces"] if re.fullmatch(r"R[ _]p", t["name"]))
    # Brewster: R_p = 0 at arctan(n2/n1) = arctan(1.5) = 56.31 deg (1 deg grid)
    assert r_p["x"][r_p["y"].index(min(r_p["y"]))] == 56.0
    assert min(r_p["y"]) < 1e-4
    shot(page, "optics-brewster-glass")


def test_polariton_preset_draws_the_branches(server: str, context: Any) -> None:
    page, _ = open_page(context, server + "/")
    plot = pick_and_compute(page, "optics-fig2a-polariton-branches")
    assert plot["kind"] == "dispersion"
    assert re.search(r"wavenumber|wavevector", plot["x"]), plot["x"]
    re_branches = [t for t in plot["traces"] if t["name"].startswith("Re")]
    im_branches = [t for t in plot["traces"] if t["name"].startswith("Im")]
    assert len(re_branches) == len(im_branches) == 8  # degree 2M + 2 = 8 (preset text)
    assert all(t["dash"] == "dash" for t in im_branches)
    shot(page, "optics-fig2a-polariton-branches")
