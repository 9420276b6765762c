// Teaching page: pick a preset, edit its body, compute, and see the answer drawn the way its report
// says (meta.figures), with the checks as sentences. Vanilla JS + plotly.js served by this host.
"use strict";
const $ = (id) => document.getElementById(id);

// Line colours: every one has contrast >= 4.5:1 on the white plot background (WCAG AA).
const COLOURS = ["#1f4e99", "#b3400a", "#1e6b30", "#a3123a", "#6a3d9a", "#7a5200", "#a0237b", "#0f6a73"];
const BACKGROUND = "#ffffff";
const KIND_TEXT = {
  bound: "a bound: the verdict is a proof within the tolerance",
  indicative: "indicative: it rests on sampling or an estimate",
  value: "a reported value with no verdict",
};

const state = {
  presets: [], // summaries
  preset: null, // the selected preset's detail
  endpoint: null,
  answers: null, // one answer, or a list for a sweep
  bodies: null,
  figures: [],
  figure: null,
  token: 0,
};

// ---------------------------------------------------------------- small helpers
function fmt(x) {
  if (x === null || x === undefined) return "n/a";
  if (typeof x === "boolean") return x ? "true" : "false";
  if (typeof x === "number") {
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return "0";
    const a = Math.abs(x);
    if (a < 1e-3 || a >= 1e5) return x.toExponential(2);
    return String(Number(x.toPrecision(4)));
  }
  if (typeof x === "object" && "real" in x && "imag" in x) {
    const im = Number(x.imag);
    return `${fmt(Number(x.real))} ${im < 0 ? "-" : "+"} ${fmt(Math.abs(im))}i`;
  }
  if (Array.isArray(x)) return "[" + x.slice(0, 4).map(fmt).join(", ") + (x.length > 4 ? ", ..." : "") + "]";
  return String(x);
}

function humanize(key) {
  return String(key).replace(/_/g, " ");
}

function capitalise(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function unitText(unit) {
  if (!unit || unit === "1") return "";
  return ` [${unit}]`;
}

function b64urlEncode(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64urlDecode(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

// Resolve "a.b" paths and a column "name[i]" in an answer.
function lookup(obj, name) {
  const m = /^(.*)\[(\d+)\]$/.exec(name);
  const path = m ? m[1] : name;
  let v = obj;
  for (const part of path.split(".")) {
    if (v === null || v === undefined) return undefined;
    v = v[part];
  }
  if (m && v !== undefined) return column(v, Number(m[2]));
  return v;
}

function column(v, j) {
  if (v && v.real) return { real: v.real.map((r) => r[j]), imag: v.imag.map((r) => r[j]) };
  if (Array.isArray(v)) return v.map((r) => (Array.isArray(r) ? r[j] : r));
  return v;
}

function isComplex(v) {
  return v && typeof v === "object" && Array.isArray(v.real) && Array.isArray(v.imag);
}

function isRows(v) {
  return Array.isArray(v) && v.length > 0 && Array.isArray(v[0]);
}

function realPart(v) {
  return isComplex(v) ? v.real : v;
}

// ---------------------------------------------------------------- presets and URL state
async function loadList() {
  const r = await fetch("/v1/presets");
  state.presets = await r.json();
  $("preset").innerHTML =
    '<option value="">(your own request)</option>' +
    state.presets.map((p) => `<option value="${esc(p.name)}">${esc(p.title)}</option>`).join("");
}

async function fetchPreset(name) {
  const r = await fetch("/v1/presets/" + encodeURIComponent(name));
  if (!r.ok) throw new Error(`no preset named ${name}`);
  return r.json();
}

function presetText(p) {
  return JSON.stringify(p.bodies && p.bodies.length ? p.bodies : p.body, null, 2);
}

function showPresetInfo(p) {
  $("preset-description").textContent = p ? p.description || p.title : "Your own request.";
  $("preset-source").textContent = p ? p.source : "-";
  $("preset-endpoint").textContent = state.endpoint || "";
  $("preset-bodies").textContent = p && p.bodies && p.bodies.length ? `(a sweep: ${p.bodies.length} bodies, posted one by one)` : "";
}

async function selectPreset(name, bodyText) {
  if (!name) return;
  const p = await fetchPreset(name);
  state.preset = p;
  state.endpoint = p.endpoint;
  $("preset").value = name;
  $("body").value = bodyText === undefined ? presetText(p) : bodyText;
  showPresetInfo(p);
}

function hashState() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const out = { preset: params.get("preset"), endpoint: params.get("endpoint"), body: null };
  const b = params.get("body");
  if (b) {
    try {
      out.body = JSON.stringify(JSON.parse(b64urlDecode(b)), null, 2);
    } catch (e) {
      out.body = null;
    }
  }
  return out;
}

function shareHash() {
  const params = new URLSearchParams();
  if (state.preset) params.set("preset", state.preset.name);
  else if (state.endpoint) params.set("endpoint", state.endpoint);
  const text = $("body").value;
  let edited = true;
  if (state.preset) {
    try {
      edited = JSON.stringify(JSON.parse(text)) !== JSON.stringify(JSON.parse(presetText(state.preset)));
    } catch (e) {
      edited = true;
    }
  }
  if (edited) {
    let compact = text;
    try {
      compact = JSON.stringify(JSON.parse(text));
    } catch (e) {
      /* keep the text as typed */
    }
    params.set("body", b64urlEncode(compact));
  }
  return "#" + params.toString();
}

// ---------------------------------------------------------------- errors and status
function clearResult() {
  Plotly.purge($("plot"));
  $("plot").dataset.kind = "";
  $("plot").setAttribute("aria-label", "No plot");
  $("plot-note").textContent = "";
  $("figure-select").innerHTML = "";
  $("checks").innerHTML = "";
  $("warnings").innerHTML = "";
  $("results").tBodies[0].innerHTML = "";
  for (const id of ["dl-csv", "dl-json", "dl-png"]) $(id).disabled = true;
  state.answers = null;
  state.figures = [];
  state.figure = null;
}

function showError(title, detail, errors) {
  clearResult();
  const items = (errors || [])
    .map((e) => {
      const where = e.field ? `<code>${esc(e.field)}</code>: ` : "";
      const fix = e.fix ? ` <strong>Fix:</strong> ${esc(e.fix)}.` : "";
      return `<li>${where}${esc(e.message || "")}.${fix}</li>`;
    })
    .join("");
  $("error").innerHTML = `<h3>${esc(title)}</h3><p class="detail">${esc(detail || "")}</p>${items ? `<ul>${items}</ul>` : ""}`;
  $("error").hidden = false;
  $("status").textContent = "The request failed: nothing is plotted.";
}

function hideError() {
  $("error").hidden = true;
  $("error").innerHTML = "";
}

// ---------------------------------------------------------------- compute
async function post(endpoint, body, format) {
  const url = format ? `${endpoint}?format=${format}` : endpoint;
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

class ProblemError extends Error {
  constructor(problem, index) {
    super(problem.detail || problem.title);
    this.problem = problem;
    this.index = index;
  }
}

async function postJson(endpoint, body, index) {
  const r = await post(endpoint, body);
  let j;
  try {
    j = await r.json();
  } catch (e) {
    throw new ProblemError({ title: `HTTP ${r.status}`, detail: "the server did not answer JSON" }, index);
  }
  if (!r.ok) throw new ProblemError(j, index);
  return j;
}

// Tests (and screen-reader users via the status line) can tell when a computation has finished.
function markDone() {
  document.body.dataset.done = String(Number(document.body.dataset.done || 0) + 1);
}

async function compute() {
  try {
    await computeOnce();
  } finally {
    markDone();
  }
}

async function computeOnce() {
  const token = ++state.token;
  let body;
  try {
    body = JSON.parse($("body").value);
  } catch (e) {
    showError("The request is not valid JSON", String(e.message || e), [{ message: "check the commas, quotes and brackets", fix: "press Reset to preset to start again" }]);
    return;
  }
  if (!state.endpoint) {
    showError("No endpoint", "pick a preset first: it says where the request goes", []);
    return;
  }
  hideError();
  $("status").textContent = "Computing...";
  const sweep = Array.isArray(body);
  const bodies = sweep ? body : [body];
  let answers;
  try {
    answers = new Array(bodies.length);
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const i = next++;
        answers[i] = await postJson(state.endpoint, bodies[i], i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, bodies.length) }, worker));
  } catch (e) {
    if (token !== state.token) return;
    if (e instanceof ProblemError) {
      const where = sweep ? ` (body ${e.index + 1} of ${bodies.length})` : "";
      showError((e.problem.title || "Error") + where, e.problem.detail, e.problem.errors);
    } else {
      showError("The server could not be reached", String(e), []);
    }
    return;
  }
  if (token !== state.token) return;
  state.bodies = bodies;
  state.answers = sweep ? answers : answers[0];
  render(sweep);
  history.replaceState(null, "", shareHash());
}

// ---------------------------------------------------------------- figures
function figuresFromMeta(answer) {
  const figs = (answer.meta && answer.meta.figures) || [];
  return figs.filter((f) => f && f.kind && f.x);
}

function defaultVisible(names, complexNames) {
  const desc = (state.preset && state.preset.description) || "";
  const mentioned = [...desc.matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1]).filter((n) => names.includes(n));
  if (mentioned.length) return mentioned;
  if (complexNames.length) return complexNames.slice(0, 2);
  return names.slice(0, 3);
}

// Until a report model has figures, draw its arrays against the array they vary along.
function fallbackFigures(ans) {
  const meta = ans.meta || {};
  const arrays = meta.arrays || {};
  const units = meta.units || {};
  const figs = [];
  const names = Object.keys(arrays);
  const axisOf = (n) => arrays[n] && arrays[n].axis;
  const q = (n) => (arrays[n] && arrays[n].quantity) || humanize(n);
  const u = (n) => (arrays[n] && arrays[n].unit) || units[n] || "";

  // dispersion branches w_j(k)
  if (ans.branches && ans.branches.k && ans.branches.omega) {
    const fUnit = u("frequencies") || units.frequencies || "";
    figs.push({
      kind: "dispersion",
      title: "Polariton branches w_j(k)",
      x: { name: "branches.k", label: "wavevector k", unit: units.k || fUnit, scale: "linear" },
      y_label: "frequency w",
      y_unit: fUnit,
      y_scale: "linear",
      traces: [
        { name: "branches.omega", label: "w", part: "real" },
        { name: "branches.omega", label: "w", part: "imag" },
      ],
      ticks: [],
    });
  }
  // bands along a labelled k-path
  if (Array.isArray(ans.vertices) && ans.distance) {
    const bands = names.filter((n) => /^band_\d+$/.test(n));
    figs.push({
      kind: "bands",
      title: "Bands along the k-path",
      x: { name: "distance", label: "k-path (" + ans.vertices.map((v) => v.label).join(" - ") + "), path length", unit: u("distance"), scale: "linear" },
      y_label: "energy E_n(k)",
      y_unit: u(bands[0] || "energies"),
      y_scale: "linear",
      traces: bands.length ? bands.map((n) => ({ name: n, label: n.replace("band_", "E_"), part: "value" })) : [{ name: "energies", label: "E", part: "value" }],
      ticks: ans.vertices.map((v) => [v.distance, v.label]),
    });
    return figs;
  }
  // k-space maps: values on a kx, ky grid
  if (arrays.kx && arrays.ky && Array.isArray(ans.kx)) {
    for (const n of names) {
      if (n === "kx" || n === "ky" || axisOf(n) !== "kx") continue;
      const v = ans[n];
      if (!Array.isArray(v) || v.length !== ans.kx.length) continue;
      const z = isRows(v) && !isRows(v[0]) ? `${n}[0]` : isRows(v) ? null : n;
      if (!z) continue;
      figs.push({
        kind: "map",
        title: `${capitalise(q(n))}${z !== n ? " (band 0)" : ""}`,
        x: { name: "kx", label: q("kx"), unit: u("kx"), scale: "linear" },
        y: { name: "ky", label: q("ky"), unit: u("ky"), scale: "linear" },
        y_label: q("ky"),
        y_unit: u("ky"),
        y_scale: "linear",
        traces: [],
        z: { name: z, label: humanize(n) + unitText(u(n)), part: "value" },
        ticks: [],
      });
    }
    return figs;
  }
  // spectra / angular: each axis with the arrays that vary along it
  const axes = [...new Set(names.map(axisOf).filter(Boolean))];
  for (const axis of axes) {
    const xs = ans[axis];
    if (!Array.isArray(xs)) continue;
    let xName = axis;
    let kind = /wavelength|nm/.test(u(axis) + q(axis)) || /frequenc/.test(axis) ? "spectrum" : "spectrum";
    const members = names.filter((n) => axisOf(n) === axis && n !== axis);
    const constant = xs.every((v) => v === xs[0]);
    if (constant) {
      const alt = members.find((n) => Array.isArray(ans[n]) && typeof ans[n][0] === "number" && (u(n) === "deg" || /angle/.test(q(n))));
      if (alt) {
        xName = alt;
        kind = "angular";
      }
    }
    const traceNames = members.filter((n) => {
      const v = ans[n];
      if (n === xName) return false;
      if (isComplex(v)) return v.real.length === xs.length && !isRows(v.real);
      return Array.isArray(v) && v.length === xs.length && typeof v[0] === "number";
    });
    if (!traceNames.length) continue;
    const complexNames = traceNames.filter((n) => isComplex(ans[n]));
    let visible = defaultVisible(traceNames, complexNames);
    if (kind === "angular") {
      const rs = traceNames.filter((n) => /^R_/.test(n));
      if (rs.length) visible = rs;
    }
    const visUnits = [...new Set(visible.map(u))];
    figs.push({
      kind,
      title: kind === "angular" ? "R, T, A against the angle of incidence" : `Response against ${q(xName)}`,
      x: { name: xName, label: q(xName), unit: u(xName), scale: "linear" },
      y_label: visible.map(humanize).join(", "),
      y_unit: visUnits.length === 1 ? visUnits[0] : "see the legend",
      y_scale: "linear",
      traces: traceNames.flatMap((n) =>
        isComplex(ans[n])
          ? [
              { name: n, label: humanize(n) + unitText(u(n)), part: "real", visible: visible.includes(n) },
              { name: n, label: humanize(n) + unitText(u(n)), part: "imag", visible: visible.includes(n) },
            ]
          : [{ name: n, label: humanize(n) + unitText(u(n)), part: "value", visible: visible.includes(n) }],
      ),
      ticks: [],
    });
  }
  return figs;
}

// The swept value of each body: the preset's "One body per X in a, b, ..." when it lists one value
// per body, else the one number that differs between the bodies, else the body's index.
function sweptValues(bodies, spec) {
  const desc = (state.preset && state.preset.description) || "";
  const m = /One body per (.+?) in ((?:-?[\d.]+(?:e-?\d+)?,?\s*)+)/.exec(desc);
  if (m) {
    const values = m[2].split(",").map((s) => Number(s.trim().replace(/\.$/, ""))).filter((v) => Number.isFinite(v));
    if (values.length === bodies.length) return { label: m[1], unit: "", values };
  }
  if (spec && spec.x && spec.x.name) {
    const values = bodies.map((b) => lookup(b, spec.x.name));
    if (values.every((v) => typeof v === "number")) return { label: spec.x.label, unit: spec.x.unit, values };
  }
  const leaves = (o, p, out) => {
    if (typeof o === "number") out[p] = o;
    else if (o && typeof o === "object" && !Array.isArray(o)) for (const [k, v] of Object.entries(o)) leaves(v, p ? `${p}.${k}` : k, out);
    return out;
  };
  const flat = bodies.map((b) => leaves(b, "", {}));
  const key = Object.keys(flat[0]).find((k) => flat.some((f) => f[k] !== flat[0][k]));
  if (key) return { label: key, unit: "", values: flat.map((f) => f[key]) };
  return { label: "body number", unit: "", values: bodies.map((_, i) => i + 1) };
}

// A sweep: the scalars of each answer against the swept value (the report's sweep figure when it
// has one, else every top-level scalar and every `.total`).
function sweepFigure(answers, bodies) {
  const spec = figuresFromMeta(answers[0]).find((f) => f.kind === "sweep");
  const x = sweptValues(bodies, spec);
  const xAxis = { name: null, label: x.label, unit: x.unit, scale: (spec && spec.x.scale) || "linear", values: x.values };
  if (spec && spec.traces.length) {
    return {
      ...spec,
      x: xAxis,
      traces: spec.traces.map((t) => ({ ...t, values: answers.map((a) => lookup(a, t.name)) })),
    };
  }
  const units = (answers[0].meta && answers[0].meta.units) || {};
  const scalars = [];
  for (const [k, v] of Object.entries(answers[0])) {
    if (k === "meta") continue;
    if (typeof v === "number") scalars.push(k);
    else if (v && typeof v === "object" && typeof v.total === "number") scalars.push(`${k}.total`);
  }
  const unitOf = (path) => {
    const head = path.split(".")[0];
    return units[head] || units[head.replace(/_\d+$/, "")] || "";
  };
  const totals = scalars.filter((s) => s.endsWith(".total"));
  const visible = totals.length ? totals : scalars.slice(0, 2);
  const yUnits = [...new Set(visible.map(unitOf))];
  return {
    kind: "sweep",
    title: "Scalars against the swept parameter",
    x: xAxis,
    y_label: visible.map((s) => humanize(s.replace(/\.total$/, ""))).join(", "),
    y_unit: yUnits.length === 1 ? yUnits[0] : "see the legend",
    y_scale: "linear",
    traces: scalars.map((s) => ({
      name: s,
      label: humanize(s.replace(/\.total$/, "")),
      part: "value",
      values: answers.map((a) => lookup(a, s)),
      visible: visible.includes(s),
    })),
    ticks: [],
  };
}

// The figure to show first: one that draws an array the preset's description names in backticks.
function defaultFigureIndex(figs) {
  const desc = (state.preset && state.preset.description) || "";
  const named = [...desc.matchAll(/`([A-Za-z0-9_.]+)`/g)].map((m) => m[1]);
  const i = figs.findIndex((f) => (f.traces || []).some((t) => named.includes(t.name)) || (f.z && named.includes(f.z.name)));
  return i < 0 ? 0 : i;
}

function axisTitle(label, unit) {
  return `${label}${unit ? ` [${unit === "1" ? "dimensionless" : unit}]` : ""}`;
}

function plotTraces(fig, ans) {
  const nameIndex = new Map();
  const colourOf = (n) => {
    if (!nameIndex.has(n)) nameIndex.set(n, nameIndex.size);
    return COLOURS[nameIndex.get(n) % COLOURS.length];
  };
  if (fig.kind === "map") {
    const x = realPart(lookup(ans, fig.x.name));
    const y = realPart(lookup(ans, fig.y.name));
    const z = realPart(lookup(ans, fig.z.name));
    // A diverging colour scale centred on 0, clipped at the 98th percentile of |z| so that a sharp
    // peak (Berry curvature at K) does not wash out the rest of the map; hover shows exact values.
    const mags = z.map(Math.abs).filter(Number.isFinite).sort((p, q) => p - q);
    const clip = mags.length ? mags[Math.min(mags.length - 1, Math.floor(0.98 * mags.length))] || mags[mags.length - 1] : 1;
    fig.clip = { value: clip, max: mags.length ? mags[mags.length - 1] : 0 };
    return [
      {
        type: "scattergl",
        mode: "markers",
        x,
        y,
        marker: { color: z, colorscale: "RdBu", reversescale: true, cmin: -clip, cmax: clip, cmid: 0, size: 6, symbol: "square", colorbar: { title: { text: fig.z.label } } },
        name: fig.z.label,
        hovertemplate: `${fig.x.label}=%{x:.4g}<br>${fig.y.label}=%{y:.4g}<br>${fig.z.label}=%{marker.color:.4g}<extra></extra>`,
      },
    ];
  }
  const xRaw = fig.x.values || lookup(ans, fig.x.name);
  const x = realPart(xRaw);
  const out = [];
  for (const t of fig.traces) {
    let v = t.values !== undefined ? t.values : lookup(ans, t.name);
    if (v === undefined || v === null) continue;
    const colour = colourOf(t.name);
    const parts = isComplex(v) ? (t.part === "value" ? ["real", "imag"] : [t.part]) : ["value"];
    for (const part of parts) {
      const ys = part === "value" ? v : v[part];
      const columns = isRows(ys) ? ys[0].map((_, j) => ys.map((r) => r[j])) : [ys];
      columns.forEach((col, j) => {
        const labelled = /^(Re|Im)\b/.test(t.label);
        const prefix = labelled ? "" : part === "real" ? "Re " : part === "imag" ? "Im " : "";
        const label = labelled && part !== t.part ? t.label.replace(/^(Re|Im)\b/, part === "imag" ? "Im" : "Re") : t.label;
        const suffix = columns.length > 1 ? ` ${j}` : "";
        const lineColour = columns.length > 1 ? COLOURS[(nameIndex.get(t.name) + j) % COLOURS.length] : colour;
        out.push({
          type: "scatter",
          mode: fig.kind === "sweep" ? "lines+markers" : "lines",
          x,
          y: col,
          name: `${prefix}${label}${suffix}`,
          legendgroup: `${t.name}-${part}-${j}`,
          visible: t.visible === false ? "legendonly" : true,
          line: { color: lineColour, width: 2, dash: part === "imag" ? "dash" : "solid" },
          meta: { part },
        });
      });
    }
  }
  return out;
}

function drawFigure(fig) {
  state.figure = fig;
  const ans = Array.isArray(state.answers) ? state.answers[0] : state.answers;
  const traces = plotTraces(fig, ans);
  const longUnit = fig.kind !== "map" && (fig.y_unit || "").length > 24;
  const axisStyle = { gridcolor: "#e0e0e0", linecolor: "#767676", zerolinecolor: "#b0b0b0", color: "#1a1a1a", automargin: true };
  const layout = {
    title: { text: fig.title, font: { size: 15 } },
    paper_bgcolor: BACKGROUND,
    plot_bgcolor: BACKGROUND,
    font: { family: "system-ui, sans-serif", color: "#1a1a1a", size: 12 },
    margin: { l: 60, r: 20, t: 40, b: 50 },
    legend: { orientation: "h", y: -0.25, x: 0 },
    hovermode: fig.kind === "map" ? "closest" : "x unified",
    xaxis: { ...axisStyle, title: { text: axisTitle(fig.x.label, fig.x.unit) }, type: fig.x.scale || "linear" },
    yaxis: { ...axisStyle, title: { text: longUnit ? `${fig.y_label} (unit below)` : axisTitle(fig.y_label, fig.y_unit) }, type: fig.y_scale || "linear" },
    shapes: [],
  };
  if (fig.kind === "map") {
    layout.yaxis.title.text = axisTitle(fig.y.label, fig.y.unit);
    layout.yaxis.scaleanchor = "x";
  }
  if (fig.ticks && fig.ticks.length) {
    layout.xaxis.tickvals = fig.ticks.map((t) => t[0]);
    layout.xaxis.ticktext = fig.ticks.map((t) => String(t[1]).replace(/^G$/, "Γ").replace(/^G'$/, "Γ'"));
    layout.xaxis.showgrid = false;
    layout.shapes = fig.ticks.map((t) => ({ type: "line", xref: "x", yref: "paper", x0: t[0], x1: t[0], y0: 0, y1: 1, line: { color: "#767676", width: 1 } }));
  }
  $("xscale").value = layout.xaxis.type;
  $("yscale").value = layout.yaxis.type;
  const plot = $("plot");
  plot.dataset.kind = fig.kind;
  plot.setAttribute("aria-label", `${fig.title}: ${layout.yaxis.title.text} against ${layout.xaxis.title.text}`);
  const unitNote = longUnit ? `y axis unit: ${fig.y_unit}. ` : "";
  const clipNote =
    fig.clip && fig.clip.max > fig.clip.value
      ? `Colours saturate at ±${fmt(fig.clip.value)} (98% of the points); the largest |value| is ${fmt(fig.clip.max)}. `
      : "";
  $("plot-note").textContent =
    fig.kind === "map"
      ? `${clipNote}Hover a point for its value; drag to zoom, double-click to reset.`
      : `${unitNote}Solid: real part, dashed: imaginary part. Click a legend entry to show or hide it; drag to zoom, double-click to reset; hover for values.`;
  return Plotly.react(plot, traces, layout, {
    responsive: true,
    displaylogo: false,
    toImageButtonOptions: { format: "png", filename: downloadName() },
  });
}

// ---------------------------------------------------------------- checks, warnings, results
function checkSentence(key, c) {
  const name = humanize(key);
  const kind = KIND_TEXT[c.kind] || c.kind || "";
  const numbers = [];
  if (c.value !== null && c.value !== undefined) numbers.push(`value ${fmt(c.value)}`);
  if (c.tolerance !== null && c.tolerance !== undefined) numbers.push(`tolerance ${fmt(c.tolerance)}`);
  if (!numbers.length && c.details) {
    for (const [k, v] of Object.entries(c.details)) {
      if (typeof v === "number" || (Array.isArray(v) && v.length <= 4 && v.every((e) => typeof e === "number"))) numbers.push(`${humanize(k)} ${fmt(v)}`);
      if (numbers.length >= 3) break;
    }
  }
  const nums = numbers.length ? `: ${numbers.join(", ")}` : "";
  if (c.verdict === true) return { cls: "pass", verdict: "Passed", text: `${capitalise(name)} passed${nums} (${kind}).` };
  if (c.verdict === false) return { cls: "fail", verdict: "Failed", text: `${capitalise(name)} failed${nums} (${kind}).` };
  return { cls: "info", verdict: "No verdict", text: `${capitalise(name)} has no verdict${nums} (${kind}).` };
}

function showChecks(answers) {
  const list = Array.isArray(answers) ? answers : [answers];
  const items = [];
  list.forEach((a, i) => {
    const where = list.length > 1 ? `Body ${i + 1}: ` : "";
    for (const [k, c] of Object.entries((a.meta && a.meta.checks) || {})) {
      if (!c || typeof c !== "object") continue;
      if (list.length > 1 && c.verdict !== false && i > 0) continue; // a sweep lists the first body and every failure
      const s = checkSentence(k, c);
      const why = c.verdict === false && c.warning ? `<span class="why"><strong>Why:</strong> ${esc(c.warning)}</span>` : "";
      const expl = c.explanation ? `<span class="explanation">${esc(c.explanation)}</span>` : "";
      items.push(
        `<li class="${s.cls}" data-check="${esc(k)}"><span class="sentence">${esc(where)}<span class="verdict" aria-hidden="true">${s.cls === "pass" ? "✔ " : s.cls === "fail" ? "✘ " : "• "}</span>${esc(s.text)}</span>${why}${expl}</li>`,
      );
    }
  });
  $("checks").innerHTML = items.join("") || "<li>This answer carries no checks.</li>";
  const warnings = [...new Set(list.flatMap((a) => (a.meta && a.meta.warnings) || []))];
  $("warnings").innerHTML = warnings.length ? warnings.map((w) => `<li>${esc(w)}</li>`).join("") : "<li>None.</li>";
}

function showResults(answer) {
  const rows = [];
  const units = (answer.meta && answer.meta.units) || {};
  const walk = (o, p) => {
    for (const [k, v] of Object.entries(o)) {
      if (k === "meta") continue;
      const path = p ? `${p}.${k}` : k;
      if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") rows.push([path, fmt(v), units[k] || units[path.split(".")[0]] || ""]);
      else if (isComplex(v) || Array.isArray(v)) continue;
      else if (v && typeof v === "object" && rows.length < 60) walk(v, path);
    }
  };
  walk(answer, "");
  $("results").tBodies[0].innerHTML = rows.length
    ? "<tr><th scope=\"col\">quantity</th><th scope=\"col\">value</th><th scope=\"col\">unit</th></tr>" +
      rows.map((r) => `<tr><td>${esc(humanize(r[0]))}</td><td>${esc(r[1])}</td><td>${esc(r[2])}</td></tr>`).join("")
    : "<tr><td>No scalar results.</td></tr>";
}

function render(sweep) {
  const answers = state.answers;
  const first = sweep ? answers[0] : answers;
  let figs;
  if (sweep) figs = [sweepFigure(answers, state.bodies)];
  else {
    figs = figuresFromMeta(first).map((f) => (f.kind === "sweep" ? sweepFigure([first], state.bodies) : f));
    if (!figs.length) figs = fallbackFigures(first);
  }
  state.figures = figs;
  $("figure-select").innerHTML = figs.map((f, i) => `<option value="${i}">${esc(f.title)}</option>`).join("");
  const m = first.meta || {};
  const elapsed = sweep ? answers.reduce((s, a) => s + ((a.meta && a.meta.elapsed_ms) || 0), 0) : m.elapsed_ms;
  $("status").textContent = `${m.model || ""} ${m.model_version || ""}: ${sweep ? answers.length + " bodies, " : ""}cache ${m.cache || "-"}, ${fmt(elapsed)} ms.`;
  showChecks(answers);
  showResults(first);
  for (const id of ["dl-csv", "dl-json", "dl-png"]) $(id).disabled = false;
  if (figs.length) {
    const i = defaultFigureIndex(figs);
    $("figure-select").value = String(i);
    drawFigure(figs[i]);
  } else {
    Plotly.purge($("plot"));
    $("plot").dataset.kind = "none";
    $("plot").setAttribute("aria-label", "This answer has no arrays to draw");
    $("plot-note").textContent = "This answer has no arrays to draw: its numbers are in the results table below.";
  }
}

// ---------------------------------------------------------------- downloads
function downloadName() {
  return (state.preset && state.preset.name) || "result";
}

function saveBlob(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

function csvOfFigure() {
  const plot = $("plot");
  const fig = state.figure;
  if (!plot.data || !fig) return "";
  const lines = [];
  if (fig.kind === "map") {
    const t = plot.data[0];
    lines.push([axisTitle(fig.x.label, fig.x.unit), axisTitle(fig.y.label, fig.y.unit), fig.z.label].map(csvCell).join(","));
    t.x.forEach((xv, i) => lines.push([xv, t.y[i], t.marker.color[i]].join(",")));
  } else {
    const x = plot.data[0] ? plot.data[0].x : [];
    lines.push([axisTitle(fig.x.label, fig.x.unit), ...plot.data.map((t) => t.name)].map(csvCell).join(","));
    x.forEach((xv, i) => lines.push([xv, ...plot.data.map((t) => t.y[i])].join(",")));
  }
  return lines.join("\n") + "\n";
}

function csvCell(s) {
  s = String(s);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function downloadFromApi(format, mime) {
  // The API's ?format=csv|png where the endpoint answers it; null where it does not.
  if (Array.isArray(state.answers) || !state.endpoint) return null;
  try {
    const r = await post(state.endpoint, JSON.parse($("body").value), format);
    const type = r.headers.get("content-type") || "";
    if (r.ok && type.startsWith(mime)) return r.blob();
  } catch (e) {
    /* fall back to the page's own export */
  }
  return null;
}

async function downloadCsv() {
  const blob = (await downloadFromApi("csv", "text/csv")) || new Blob([csvOfFigure()], { type: "text/csv" });
  saveBlob(blob, downloadName() + ".csv");
}

function downloadJson() {
  saveBlob(new Blob([JSON.stringify(state.answers, null, 2)], { type: "application/json" }), downloadName() + ".json");
}

async function downloadPng() {
  const blob = await downloadFromApi("png", "image/png");
  if (blob) saveBlob(blob, downloadName() + ".png");
  else await Plotly.downloadImage($("plot"), { format: "png", filename: downloadName(), width: 1000, height: 600 });
}

// ---------------------------------------------------------------- wiring
async function init() {
  await loadList();
  const h = hashState();
  if (h.preset && state.presets.some((p) => p.name === h.preset)) {
    await selectPreset(h.preset, h.body === null ? undefined : h.body);
  } else if (h.endpoint && h.body !== null) {
    state.preset = null;
    state.endpoint = h.endpoint;
    $("preset").value = "";
    $("body").value = h.body;
    showPresetInfo(null);
  } else {
    await selectPreset(state.presets.some((p) => p.name === "westerberg-barnett-fig2a") ? "westerberg-barnett-fig2a" : state.presets[0].name);
  }
  await compute();
  document.body.dataset.ready = "true";
}

$("preset").addEventListener("change", async () => {
  if (!$("preset").value) return;
  clearResult();
  hideError();
  await selectPreset($("preset").value);
  await compute();
});
$("go").addEventListener("click", compute);
$("reset").addEventListener("click", () => {
  if (state.preset) $("body").value = presetText(state.preset);
});
$("share").addEventListener("click", async () => {
  const url = location.href.split("#")[0] + shareHash();
  history.replaceState(null, "", shareHash());
  try {
    await navigator.clipboard.writeText(url);
    $("status").textContent = "Link copied: it reproduces this plot.";
  } catch (e) {
    $("status").textContent = "Share this link: " + url;
  }
});
$("body").addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
    e.preventDefault();
    compute();
  }
});
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target !== $("body")) {
    e.preventDefault();
    compute();
  }
});
$("figure-select").addEventListener("change", () => drawFigure(state.figures[Number($("figure-select").value)]));
$("xscale").addEventListener("change", () => Plotly.relayout($("plot"), { "xaxis.type": $("xscale").value }));
$("yscale").addEventListener("change", () => Plotly.relayout($("plot"), { "yaxis.type": $("yscale").value }));
$("dl-csv").addEventListener("click", downloadCsv);
$("dl-json").addEventListener("click", downloadJson);
$("dl-png").addEventListener("click", downloadPng);
window.teach = state;

init().catch((e) => showError("The page could not start", String(e), []));
