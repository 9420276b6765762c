// Teaching page: loads presets, posts them, plots the complex arrays of the answer on a canvas.
"use strict";
const $ = (id) => document.getElementById(id);
let presets = [];

async function loadList() {
  presets = await (await fetch("/v1/presets")).json();
  $("preset").innerHTML = presets.map((p) => `<option value="${p.name}">${p.title}</option>`).join("");
  if (presets.some((p) => p.name === "westerberg-barnett-fig2a")) $("preset").value = "westerberg-barnett-fig2a";
  await loadPreset();
}

async function loadPreset() {
  const p = await (await fetch("/v1/presets/" + $("preset").value)).json();
  $("body").value = JSON.stringify(p.body, null, 2);
  $("body").dataset.endpoint = p.endpoint;
  $("status").textContent = `${p.source} -> POST ${p.endpoint}`;
}

function series(resp) {
  // every {real, imag} array (and plain arrays) with the length of the first array
  const x = resp.frequencies || resp.k || resp.angles || Object.values(resp).find(Array.isArray);
  const out = [];
  if (!x) return { x: [], out };
  for (const [name, v] of Object.entries(resp)) {
    if (v && v.real && v.real.length === x.length) {
      out.push({ name: "Re " + name, y: v.real }, { name: "Im " + name, y: v.imag });
    } else if (Array.isArray(v) && v.length === x.length && v !== x && typeof v[0] === "number") {
      out.push({ name, y: v });
    }
  }
  return { x, out };
}

function plot(x, lines) {
  const c = $("plot"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const ys = lines.flatMap((l) => l.y).filter(Number.isFinite).sort((a, b) => a - b);
  if (!ys.length) return;
  const lo = ys[0], hi = ys[ys.length - 1];
  const x0 = Math.min(...x), x1 = Math.max(...x), pad = 40;
  const X = (v) => pad + (v - x0) / (x1 - x0 || 1) * (c.width - 2 * pad);
  const Y = (v) => c.height - pad - (v - lo) / (hi - lo || 1) * (c.height - 2 * pad);
  g.strokeStyle = "#999"; g.beginPath(); g.moveTo(pad, Y(0)); g.lineTo(c.width - pad, Y(0)); g.stroke();
  g.fillStyle = "#444"; g.font = "14px sans-serif";
  g.fillText(x0.toPrecision(3), pad, c.height - 10); g.fillText(x1.toPrecision(3), c.width - pad - 40, c.height - 10);
  g.fillText(hi.toPrecision(3), 2, pad); g.fillText(lo.toPrecision(3), 2, c.height - pad);
  const colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  $("legend").innerHTML = "";
  lines.forEach((l, k) => {
    g.strokeStyle = colours[k % colours.length]; g.lineWidth = 1.5; g.beginPath();
    l.y.forEach((v, i) => { const yy = Y(Math.max(lo, Math.min(hi, v))); i ? g.lineTo(X(x[i]), yy) : g.moveTo(X(x[i]), yy); });
    g.stroke();
    $("legend").innerHTML += `<span style="color:${colours[k % colours.length]}">&#9632; ${l.name}</span>`;
  });
}

function showChecks(meta) {
  const rows = Object.entries(meta.checks || {}).map(([k, v]) => {
    const verdict = v && typeof v.verdict === "boolean" ? (v.verdict ? '<b class="ok">yes</b>' : '<b class="bad">no</b>') : "";
    const val = v && v.value !== undefined ? Number(v.value).toPrecision(6) : "";
    return `<tr><td>${k}</td><td>${verdict}</td><td>${val}</td></tr>`;
  });
  $("checks").innerHTML = rows.join("");
  $("warnings").textContent = (meta.warnings || []).join("\n\n");
}

async function compute() {
  let body;
  try { body = JSON.parse($("body").value); } catch (e) { $("status").textContent = "not JSON: " + e; return; }
  const r = await fetch($("body").dataset.endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) { $("status").innerHTML = `<span class="bad">${j.title}: ${j.detail}</span>`; return; }
  $("status").textContent = `${j.meta.model} ${j.meta.model_version} - cache ${j.meta.cache} - ${j.meta.elapsed_ms} ms`;
  const { x, out } = series(j);
  const wanted = out.filter((l) => /mu|chi|epsilon|reflectance/.test(l.name)).slice(0, 8);
  plot(x, wanted.length ? wanted : out.slice(0, 8));
  showChecks(j.meta);
}

$("load").onclick = loadPreset;
$("go").onclick = compute;
loadList().then(compute);
