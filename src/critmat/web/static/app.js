// critmat dashboard: calls /api/v1 with the token kept in session storage; no framework.
"use strict";
const $ = (id) => document.getElementById(id);
const HOLDERS = ["EU27", "USA", "JPN", "KOR", "DEU", "FRA", "ITA", "GBR", "CAN", "AUS", "TWN", "IND", "CHN"];
const PAGES = ["login", "overview", "material", "scenario", "forecast", "plan", "inventory"];
const token = () => sessionStorage.getItem("critmat-token") || "";

function showError(msg) {
  const e = $("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

async function api(path, opts = {}) {
  const headers = { Authorization: "Bearer " + token() };
  if (opts.body) headers["Content-Type"] = "application/json";
  const r = await fetch("/api/v1" + path, {
    method: opts.method || "GET", headers, body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = data.error || {};
    if (r.status === 401) logout();
    throw new Error((err.field ? err.field + ": " : "") + (err.message || r.statusText));
  }
  return data;
}

function table(rows, cols, wrap = []) {
  if (!rows || !rows.length) return "<p class='status'>none</p>";
  cols = cols || Object.keys(rows[0]);
  const esc = (v) => String(v === null || v === undefined ? "" : v)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const fmt = (v) => typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toLocaleString("en", { maximumFractionDigits: 0 }) : Number(v.toPrecision(4))) : v;
  return "<table><thead><tr>" + cols.map((c) => `<th>${esc(c)}</th>`).join("") + "</tr></thead><tbody>" +
    rows.map((r) => "<tr>" + cols.map((c) => `<td${wrap.includes(c) ? " class='wrap'" : ""}>${esc(fmt(r[c]))}</td>`).join("") + "</tr>").join("") +
    "</tbody></table>";
}

// Every chart goes through here: on a phone the legend sits below the plot (not beside it,
// where it would take half the width) and titles shrink to fit.
const NARROW = () => window.innerWidth < 700;
function wrapText(text, width) {  // Plotly titles do not wrap: break them at spaces
  const lines = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line && (line + " " + w).length > width) { lines.push(line); line = w; } else line = line ? line + " " + w : w;
  }
  if (line) lines.push(line);
  return lines.join("<br>");
}

function plot(el, data, layout) {
  const l = { ...layout };
  if (NARROW()) {
    l.legend = { ...(l.legend || {}), orientation: "h", x: 0, y: -0.25, yanchor: "top" };
    l.margin = { ...(l.margin || {}), l: Math.min((l.margin || {}).l ?? 50, 50), r: 10 };
    if (l.title) l.title = { ...l.title, text: wrapText(l.title.text || "", 44), font: { size: 12 } };
  }
  return Plotly.newPlot(el, data, l, { responsive: true });
}

function fillSelect(id, values, selected) {
  $(id).replaceChildren(...values.map((v) => {
    const o = document.createElement("option");
    o.textContent = v;
    o.selected = v === selected;
    return o;
  }));
}

function route() {
  const want = token() ? (location.hash.slice(1) || "overview") : "login";
  for (const p of PAGES) $(p).hidden = p !== want;
  $("nav").hidden = !token();
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === want));
  showError("");
  if (want === "inventory") loadInventory().catch((e) => showError(e.message));
  if (want === "overview") {
    loadOverviewLists().catch((e) => showError(e.message));
    if (!$("ov-matrix").dataset.drawn) assess().catch((e) => showError(e.message));
  }
}

function logout() {
  sessionStorage.removeItem("critmat-token");
  location.hash = "";
  route();
}

async function poll(id, statusEl, barEl) {
  for (;;) {
    const j = await api("/jobs/" + id);
    const pct = j.status === "running" && j.progress > 0 ? ` ${Math.round(100 * j.progress)}%` : "";
    $(statusEl).textContent = `job ${id.slice(0, 8)}: ${j.status}${pct}`;
    if (barEl) { $(barEl).hidden = j.status === "done"; $(barEl).value = j.progress || 0; }
    if (j.status === "done") return j.result;
    if (j.status === "failed" || j.status === "cancelled") throw new Error(j.error || j.status);
    await new Promise((r) => setTimeout(r, 700));
  }
}

async function loadOverviewLists() {
  const [al, bal] = await Promise.all([api("/inventory/alerts?status=open"), api("/inventory/balances")]);
  $("ov-alerts").innerHTML = table(al.items, ["id", "facility", "zone", "ts", "metric", "value", "severity", "message"].filter((c) => !al.items.length || c in al.items[0]));
  $("ov-holdings").innerHTML = table(bal.items);
}

async function assess(ev) {
  if (ev) ev.preventDefault();
  showError("");
  $("ov-matrix").dataset.drawn = "1";
  $("ov-status").innerHTML = `<span class="spin"></span> assessing every material for ${$("ov-holder").value} ...`;
  const res = await api("/assessments", { method: "POST", body: { holder: $("ov-holder").value, year: Number($("ov-year").value), methods: ["eu-crm"] } })
    .finally(() => { $("ov-status").textContent = ""; });
  const rows = res.assessment.filter((r) => r.is_bottleneck && r.score !== null && r.ei !== null);
  const placed = new Set(rows.map((r) => r.material));
  const why = {};
  for (const r of res.assessment) {
    if (placed.has(r.material) || why[r.material]) continue;
    why[r.material] = r.critical_note || (r.assessment !== "assessed" ? `not assessed: ${r.notes}` : "");
  }
  const unplaced = Object.entries(why).filter(([, w]) => w);
  $("ov-unplaced").textContent = unplaced.length
    ? "Not on the chart: " + unplaced.map(([m, w]) => `${m} (${w})`).join("; ") : "";
  plot("ov-matrix", [{
    x: rows.map((r) => r.ei), y: rows.map((r) => r.score), text: rows.map((r) => r.material),
    mode: "markers+text", textposition: "top center", type: "scatter", name: "materials",
  }], {
    title: { text: `Criticality, ${res.holder} ${res.year} (EU method: EI vs SR)` }, height: 460,
    xaxis: { title: { text: "economic importance EI" } }, yaxis: { title: { text: "supply risk SR" } },
    shapes: [{ type: "line", x0: 2.8, x1: 2.8, yref: "paper", y0: 0, y1: 1, line: { dash: "dot" } },
             { type: "line", y0: 1, y1: 1, xref: "paper", x0: 0, x1: 1, line: { dash: "dot" } }],
  });
}

let WORLD = null;
const STOPS = [[255, 237, 160], [253, 141, 60], [189, 0, 38]];
function colour(t) {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const i = Math.min(Math.floor(x), STOPS.length - 2);
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + f * (STOPS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// A choropleth drawn from the vendored Natural Earth outlines (no map tiles, no topojson fetch).
async function drawMap(el, sup) {
  if (!WORLD) WORLD = await (await fetch("/static/world.json")).json();
  const share = {};
  for (const r of sup.rows) if (r.share !== null && r.country.length === 3) share[r.country] = r.share;
  const max = Math.max(...Object.values(share), 1e-9);
  const grey = { lon: [], lat: [] };
  const traces = [];
  for (const [iso, c] of Object.entries(WORLD.countries)) {
    const lon = [], lat = [];
    for (const ring of c.rings) {
      for (const [x, y] of ring) { lon.push(x); lat.push(y); }
      lon.push(null); lat.push(null);
    }
    if (share[iso] === undefined) { grey.lon.push(...lon); grey.lat.push(...lat); continue; }
    traces.push({ type: "scattergeo", mode: "lines", fill: "toself", lon, lat, fillcolor: colour(share[iso] / max),
      line: { width: 0.5, color: "#555" }, name: `${c.name} (${iso}): ${(100 * share[iso]).toFixed(1)}%`,
      hoverinfo: "name", showlegend: false });
  }
  traces.unshift({ type: "scattergeo", mode: "lines", fill: "toself", lon: grey.lon, lat: grey.lat,
    fillcolor: "#eee", line: { width: 0.4, color: "#aaa" }, hoverinfo: "skip", showlegend: false });
  traces.push({ type: "scattergeo", mode: "markers", lon: [0], lat: [-89], hoverinfo: "skip", showlegend: false,
    marker: { size: 0.1, color: [0], cmin: 0, cmax: 100 * max, showscale: true,
      colorscale: STOPS.map((c, i) => [i / (STOPS.length - 1), `rgb(${c.join(",")})`]),
      colorbar: { title: { text: "% of world" }, thickness: 12 } } });
  plot(el, traces, {
    title: { text: `${sup.material}: ${sup.stage} ${sup.year}, share of world supply` }, height: 400,
    margin: { l: 0, r: 0, t: 40, b: 0 },
    geo: { showland: false, showcoastlines: false, showcountries: false, showframe: false, showocean: false,
      showlakes: false, showrivers: false, projection: { type: "natural earth" }, lataxis: { range: [-58, 85] } },
  });
  const missing = sup.rows.filter((r) => r.share !== null && !(r.country in WORLD.countries));
  $("mat-map-note").textContent = "Outlines: Natural Earth 1:110m (public domain). Source of the shares: " +
    [...new Set(sup.rows.map((r) => r.source).filter(Boolean))].slice(0, 2).join("; ") +
    (missing.length ? `. Not on the map: ${missing.map((r) => r.country).join(", ")}.` : ".");
}

async function showMaterial(ev) {
  if (ev) ev.preventDefault();
  showError("");
  const m = encodeURIComponent($("mat-select").value);
  const stage = $("mat-stage").value;
  const first = await api(`/materials/${m}/supply`);
  const stageOf = (s) => (first.stage === s ? first : first.stages.includes(s) ? api(`/materials/${m}/supply?stage=${s}`) : null);
  const [mine, refine, pr, ev_, risk] = await Promise.all([
    stageOf("mining"), stageOf("refining"), api(`/materials/${m}/prices`),
    api(`/materials/${m}/events`), api(`/materials/${m}/risk?holder=${$("mat-holder").value}`),
  ]);
  const shown = (stage === "refining" ? refine : stage === "mining" ? mine : mine || refine || first);
  if (!shown) throw new Error(`no supply data for ${$("mat-select").value} at that stage`);
  await drawMap("mat-map", shown);
  const stages = [mine, refine].filter(Boolean);
  plot("mat-stages", stages.map((sup) => {
    const top = sup.rows.filter((r) => r.share !== null).slice(0, 8);
    return { type: "bar", orientation: "h", name: `${sup.stage} ${sup.year}`, y: top.map((r) => r.country).reverse(),
      x: top.map((r) => 100 * r.share).reverse() };
  }), { title: { text: "Top suppliers by stage (% of world; HHI " + stages.map((s) => `${s.stage} ${(s.hhi * 1e4).toFixed(0)}`).join(", ") + ")" },
    height: 400, barmode: "group", xaxis: { title: { text: "% of world supply" } }, margin: { l: 50 } });
  const series = {};
  for (const r of pr.rows) (series[r.series] = series[r.series] || []).push(r);
  const evMarks = ev_.items.filter((e) => /^\d{4}/.test(e.start)).map((e) => ({ type: "line", xref: "x", yref: "paper",
    x0: Number(e.start.slice(0, 4)), x1: Number(e.start.slice(0, 4)), y0: 0, y1: 1, line: { dash: "dot", color: "#c33" } }));
  plot("mat-prices", Object.entries(series).map(([name, rs]) => ({
    type: "scatter", mode: "lines+markers", name, x: rs.map((r) => r.year), y: rs.map((r) => r.usd_per_t),
    line: { dash: rs[0].proxy ? "dot" : "solid" },
  })), { title: { text: `${$("mat-select").value}: prices, ${pr.unit} (log; red lines: recorded events)` },
    yaxis: { type: "log", title: { text: pr.unit } }, height: 400, shapes: evMarks });
  $("mat-events").innerHTML = table(ev_.items, ["event_id", "event_type", "actor", "stage", "start", "end", "change_pct_text", "description", "source"], ["description", "source"]);
  $("mat-risk").innerHTML = `<p class="note">${risk.holder} ${risk.year}; values as computed by the assessment.</p>` +
    table(risk.items, ["method", "stage", "term", "value", "source"], ["source"]);
}

async function loadScenarioYaml() {
  const id = $("sc-select").value;
  if (!id) return;
  const got = await api(`/scenarios/${encodeURIComponent(id)}/yaml`);
  $("sc-yaml").value = got.yaml;
  $("sc-valid").textContent = `${id}: ${got.events.length} event(s)`;
  $("sc-events").innerHTML = table(got.events);
}

async function validateScenario() {
  showError("");
  try {
    const v = await api("/scenarios/validate", { method: "POST", body: { yaml: $("sc-yaml").value } });
    $("sc-valid").textContent = `valid: "${v.name}", ${v.horizon_months} months, ${v.events.length} event(s)` + (v.stochastic ? ", plus random disruptions" : "");
    $("sc-events").innerHTML = table(v.events);
    return true;
  } catch (e) {
    $("sc-valid").textContent = "not valid";
    showError(e.message);
    return false;
  }
}

let LAST_SIM = null;
function drawFans() {
  if (!LAST_SIM) return;
  const variable = $("sc-var").value;
  const fans = LAST_SIM.fans.filter((r) => r.variable === variable);
  const mats = [...new Set(fans.map((r) => r.material))].slice(0, 6);
  const traces = [];
  mats.forEach((m, i) => {
    const rs = fans.filter((r) => r.material === m);
    const axis = i ? String(i + 1) : "";
    const x = rs.map((r) => r.month);
    traces.push({ x, y: rs.map((r) => r.p95), xaxis: "x" + axis, yaxis: "y" + axis, line: { width: 0 }, showlegend: false, hoverinfo: "skip" });
    traces.push({ x, y: rs.map((r) => r.p05), xaxis: "x" + axis, yaxis: "y" + axis, fill: "tonexty", fillcolor: "rgba(31,119,180,0.3)", line: { width: 0.5 }, name: "5-95%", showlegend: i === 0 });
    traces.push({ x, y: rs.map((r) => r.p50), xaxis: "x" + axis, yaxis: "y" + axis, line: { color: "rgb(31,119,180)" }, name: "median", showlegend: i === 0 });
  });
  if (!mats.length) { $("sc-fans").textContent = `no material moves in ${variable}`; return; }
  const rows = Math.ceil(mats.length / 3);
  const label = { price: "Price paid (USD per t of the basis)", unmet: "Unmet demand (t/month of the basis)", stock: "Stock (t of the basis)" }[variable];
  plot("sc-fans", traces, {
    grid: { rows, columns: Math.min(3, mats.length), pattern: "independent" }, height: 300 * rows + 60,
    title: { text: `${label}: median and 5-95% band by month` },
    annotations: mats.map((m, i) => ({ text: `${m} (${fans.find((r) => r.material === m).unit})`, xref: `x${i ? i + 1 : ""} domain`, yref: `y${i ? i + 1 : ""} domain`, x: 0.5, y: 1.12, showarrow: false })),
  });
}

async function runScenario(ev) {
  ev.preventDefault();
  showError("");
  $("sc-fans").innerHTML = "";
  if (!(await validateScenario())) return;
  const job = await api("/jobs/simulate", { method: "POST", body: { scenario_yaml: $("sc-yaml").value, holder: $("sc-holder").value, runs: Number($("sc-runs").value) } });
  LAST_SIM = await poll(job.id, "sc-status", "sc-progress");
  drawFans();
  const sim = LAST_SIM.summary.filter((r) => r.simulated);
  const moved = sim.filter((r) => r.expected_unmet_t > 0 || r.p95_max_price_ratio > 1.0001 || r.expected_loss_usd > 0);
  const quiet = sim.length - moved.length;
  $("sc-summary").innerHTML = table(moved, ["material", "unit", "expected_unmet_t", "p95_unmet_t", "p95_max_price_ratio", "expected_loss_usd"]) +
    (quiet ? `<p class="note">${quiet} other simulated material(s) not moved by this scenario (no unmet demand, no price rise).</p>` : "");
}

async function runPlan(ev) {
  ev.preventDefault();
  showError("");
  const runs = Number($("pl-runs").value);
  const job = await api("/jobs/plan", { method: "POST", body: { holder: $("pl-holder").value, budget: Number($("pl-budget").value), sensitivity: $("pl-sens").checked, config: { runs, eval_runs: runs, batches: 2, frontier: [0.25, 0.5, 1.0] } } });
  const res = await poll(job.id, "pl-status");
  $("pl-summary").innerHTML = res.summary.map((s) => `<li>${s.replace(/</g, "&lt;")}</li>`).join("");
  const f = res.frontier;
  plot("pl-frontier", [
    { x: f.map((r) => r.spent_usd / 1e6), y: f.map((r) => r.expected_loss_usd / 1e6), mode: "lines+markers", name: "expected loss" },
    ...res.comparison.map((r) => ({ x: [r.spent_usd / 1e6], y: [r.expected_loss_usd / 1e6], mode: "markers", marker: { size: 11 }, name: r.plan })),
  ], { title: { text: "Spending vs expected loss (USD m, evaluation scenarios)" }, xaxis: { title: { text: "spent, USD m" } }, yaxis: { title: { text: "USD m" } }, height: 420 });
  const held = await api(`/inventory/holdings?plan=${job.id}`).catch(() => ({ items: [] }));
  const heldBy = Object.fromEntries(held.items.map((r) => [r.material, r]));
  const comp = res.composition.filter((r) => r.optimal_t > 0 || heldBy[r.material]).map((r) => ({
    ...r, held_t_gross: heldBy[r.material] ? heldBy[r.material].held_t : 0, gap_t: heldBy[r.material] ? heldBy[r.material].gap_t : r.optimal_t }));
  $("pl-composition").innerHTML = table(comp, ["material", "basis", "optimal_t", "held_t_gross", "gap_t", "optimal_usd", "days_of_cover", "price_usd_per_t", "loss_usd_per_t"]) +
    "<p class='note'>held_t_gross: tonnes booked in the ledger (gross weight of the lots, not converted to the plan's basis).</p>";
  const m_ = (v) => (v === null || v === undefined ? null : v / 1e6);
  $("pl-comparison").innerHTML = table(res.comparison.map((r) => ({
    plan: r.plan, "total cost, USD m": m_(r.total_cost_usd), "expected loss, USD m": m_(r.expected_loss_usd),
    "spent, USD m": m_(r.spent_usd), "worst 5% loss, USD m": m_(r.cvar_loss_usd),
    "loss avoided per USD": r.loss_avoided_per_usd, description: r.description })), null, ["description"]) +
    "<p class='note'>total cost = spent + spread and holding - worth at the end + expected loss; the full table: <code>critmat plan --format xlsx</code>.</p>";
  const sens = (res.sensitivity || []).filter((r) => r.total_cost_usd !== null);
  if (!sens.length) { $("pl-tornado").innerHTML = ""; return; }
  const names = [...new Set(sens.map((r) => r.assumption))];
  const size = (a) => Math.max(...sens.filter((r) => r.assumption === a).map((r) => Math.abs(r.delta_total_cost_usd)));
  names.sort((a, b) => size(a) - size(b));
  plot("pl-tornado", ["low", "high"].map((setting, k) => {
    const by = Object.fromEntries(sens.filter((r) => r.setting === setting).map((r) => [r.assumption, r]));
    return { type: "bar", orientation: "h", name: setting, y: names, x: names.map((a) => by[a] ? by[a].delta_total_cost_usd / 1e6 : null),
      text: names.map((a) => by[a] ? `${setting} ${by[a].value} ${by[a].unit || ""}` : ""), marker: { color: k ? "rgb(214,39,40)" : "rgb(31,119,180)" } };
  }), { barmode: "overlay", height: 140 + 55 * names.length, title: { text: "Tornado: change of the re-planned total cost against the base plan (USD m)" }, xaxis: { title: { text: "USD million" } }, margin: { l: 160 } });
  $("pl-sensitivity").innerHTML = table(res.sensitivity);
}

async function verifyLedger() {
  const ver = await api("/inventory/verify");
  $("inv-verify").textContent = ver.ok ? `ledger verified: ${ver.checked} entries` + (ver.signed ? ", head signed" : ` (${ver.reason})`) : `ledger BROKEN at entry ${ver.first_bad_seq}: ${ver.reason}`;
}

async function loadInventory() {
  const [bal, al, fac, lots, mv] = await Promise.all([api("/inventory/balances"), api("/inventory/alerts"),
    api("/inventory/facilities"), api("/inventory/lots"), api("/inventory/movements?limit=20"), verifyLedger()]);
  $("inv-balances").innerHTML = table(bal.items);
  $("inv-facilities").innerHTML = table(fac.items);
  $("inv-lots").innerHTML = table(lots.items);
  $("inv-movements").innerHTML = `<p class="note">${mv.total} movements in all; the newest 20:</p>` + table(mv.items);
  const zones = fac.items.flatMap((f) => f.zones.split(";").map((z) => `${f.facility}/${z}`));
  const keep = $("sn-zone").value;
  fillSelect("sn-zone", zones, zones.includes(keep) ? keep : zones[0]);
  const alertCols = al.items.length ? ["action", ...Object.keys(al.items[0])] : null;
  $("inv-alerts").innerHTML = table(al.items.map((a) => ({ ...a, action: a.status === "open" ? "ack" : "" })), alertCols, ["message"]);
  document.querySelectorAll("#inv-alerts td:first-child").forEach((td, i) => {
    const a = al.items[i];
    if (a && a.status === "open") {
      td.innerHTML = `<button type="button" data-alert="${a.id}">Acknowledge</button>`;
      td.firstChild.addEventListener("click", async () => {
        await api(`/inventory/alerts/${a.id}/ack`, { method: "POST" }).catch((e) => showError(e.message));
        loadInventory();
      });
    }
  });
  if (zones.length && !$("inv-sensor").dataset.drawn) await showSensor();
}

async function showSensor(ev) {
  if (ev) ev.preventDefault();
  const zone = $("sn-zone").value, metric = $("sn-metric").value;
  if (!zone) return;
  const r = await api(`/inventory/readings?zone=${encodeURIComponent(zone)}&metric=${metric}`);
  $("inv-sensor").dataset.drawn = "1";
  Plotly.purge("inv-sensor");
  $("sn-note").textContent = r.items.length ? "" : `no ${metric} readings in ${zone}`;
  if (!r.items.length) return;
  const x = r.items.map((p) => p.timestamp), y = r.items.map((p) => p[metric]);
  const out = r.items.filter((p) => (r.high !== null && p[metric] > r.high) || (r.low !== null && p[metric] < r.low));
  const shapes = [];
  const band = (y0, y1) => shapes.push({ type: "rect", xref: "paper", x0: 0, x1: 1, y0, y1, fillcolor: "rgba(44,160,44,0.12)", line: { width: 0 } });
  const limits = [r.low, r.high].filter((v) => v !== null);
  const lo = Math.min(...y, ...limits), hi = Math.max(...y, ...limits);
  const pad = 0.1 * (hi - lo || Math.abs(hi) || 1);
  const range = [lo - pad, hi + pad];
  band(r.low !== null ? r.low : range[0], r.high !== null ? r.high : range[1]);
  for (const [v, name] of [[r.low, "low"], [r.high, "high"]]) if (v !== null) shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: v, y1: v, line: { color: "#2a2", dash: "dash" }, name });
  plot("inv-sensor", [
    { x, y, mode: "lines", name: metric, line: { width: 1 } },
    { x: out.map((p) => p.timestamp), y: out.map((p) => p[metric]), mode: "markers", name: "outside spec", marker: { color: "#c33", size: 6 } },
  ], { title: { text: `${zone}: ${metric}; spec band (green) [${r.low ?? "-"}, ${r.high ?? "-"}] for ${r.materials.join(", ") || "an empty zone"}` }, height: 360, shapes, yaxis: { range, title: { text: metric } } });
}

async function bookReceipt(ev) {
  ev.preventDefault();
  showError("");
  const res = await api("/inventory/receipts", { method: "POST", body: {
    lot: $("rc-lot").value, zone: $("rc-zone").value, quantity: $("rc-qty").value, unit: $("rc-unit").value,
    key: "web-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8),
  } });
  $("rc-status").textContent = "booked ledger entry " + res.entries.join(", ");
  await loadInventory();
}

const band = (x, lo, hi, name, colour) => [
  { x, y: hi, mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
  { x, y: lo, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour, name },
];

async function showForecast(ev) {
  if (ev) ev.preventDefault();
  const m = $("fc-material").value, holder = $("fc-holder").value, sc = $("fc-scenario").value;
  $("fc-status").textContent = "computing the projection, forecasts and index ...";
  const q = `material=${encodeURIComponent(m)}`;
  const [d, p, w] = await Promise.all([
    api(`/forecast/demand?scenario=${sc}&holder=${holder}&${q}`),
    api(`/forecast/prices?${q}`),
    api(`/forecast/warning?${q}`),
  ]);
  $("fc-status").textContent = d.readme.notes || "";
  const world = d.world.filter((r) => r.material === m && r.sector === "total");
  const basis = world.length ? world[0].basis : "";
  const yrs = world.map((r) => r.year);
  const iea = (d.iea_comparison || []).filter((r) => r.material === m);
  const rec = (d.backtest || []).filter((r) => r.material === m);
  plot("fc-world", [
    ...band(yrs, world.map((r) => r.p10_t_per_yr), world.map((r) => r.p90_t_per_yr), "p10-p90", "rgba(31,119,180,0.25)"),
    { x: yrs, y: world.map((r) => r.demand_t_per_yr), name: "critmat", line: { color: "rgb(31,119,180)" } },
    { x: iea.map((r) => r.year), y: iea.map((r) => r.iea_t_per_yr), mode: "markers", name: iea.length ? `IEA (${iea[0].scope})` : "IEA",
      marker: { symbol: "diamond", size: 10, color: "#d62728" } },
    { x: rec.map((r) => r.year), y: rec.map((r) => r.recorded_t), mode: "markers", name: "recorded (world production)", marker: { color: "#444" } },
  ], { title: { text: `World ${m}, t/yr ${basis}` }, height: 360, margin: { t: 40 }, legend: { orientation: "h" } });
  const h = (d.holder || []).filter((r) => r.material === m);
  if (h.length) {
    plot("fc-holder-chart", [
      ...band(h.map((r) => r.year), h.map((r) => r.p10_t_per_yr), h.map((r) => r.p90_t_per_yr), "p10-p90", "rgba(44,160,44,0.25)"),
      { x: h.map((r) => r.year), y: h.map((r) => r.demand_t_per_yr), name: holder, line: { color: "rgb(44,160,44)" } },
    ], { title: { text: `${holder} ${m}, t/yr ${h[0].basis}` }, height: 360, margin: { t: 40 }, legend: { orientation: "h" } });
  } else {
    $("fc-holder-chart").innerHTML = "<p class='status'>holder demand not assessed for this material</p>";
  }
  const s = (d.substitution || []).filter((r) => r.material === m && r.year % 5 === 0)
    .map((r) => ({ ...r, year: String(r.year) }));
  $("fc-subst").innerHTML = "<h3>Substitution and technology shift</h3>" + table(s, ["year", "with_shift_t_per_yr", "frozen_mix_t_per_yr", "effect_t_per_yr", "effect_pct"]);
  const f = p.forecasts, hist = p.history;
  if (f.length) {
    const recent = hist.slice(-(f[0].period.length > 4 ? 120 : 15));
    plot("fc-price", [
      { x: recent.map((r) => r.period), y: recent.map((r) => r.value), name: "recorded", line: { color: "#444" } },
      ...band(f.map((r) => r.period), f.map((r) => r.lo80), f.map((r) => r.hi80), "80 % interval", "rgba(31,119,180,0.3)"),
      { x: f.map((r) => r.period), y: f.map((r) => r.mean), name: `forecast (${f[0].model})`, line: { color: "rgb(31,119,180)" } },
    ], { title: { text: `${f[0].series} (${f[0].unit})` }, height: 360, margin: { t: 40 }, legend: { orientation: "h" } });
  } else {
    $("fc-price").innerHTML = "<p class='status'>no price series for this material</p>";
  }
  $("fc-backtest").innerHTML = p.backtest.length
    ? table(p.backtest, ["model", "origins", "mase", "coverage80", "coverage95", "better_than_naive"])
    : "<p class='status'>" + (p.readme.notes || "too short to backtest") + "</p>";
  const idx = w.index.filter((r) => r.material === m), evs = w.events.filter((r) => r.material === m);
  plot("fc-warning", [
    { x: idx.map((r) => r.year), y: idx.map((r) => r.index), name: "index", line: { color: "rgb(31,119,180)" } },
    { x: evs.map((r) => r.start_year), y: evs.map((r) => r.index_at_start), text: evs.map((r) => r.event_id),
      mode: "markers+text", textposition: "top center", name: "recorded event (start)", marker: { symbol: "x", size: 11, color: "#d62728" } },
  ], { title: { text: `${m}: index (multiplier now ${w.current.length ? w.current[0].multiplier.toFixed(2) : "-"})` }, height: 360, margin: { t: 40 }, legend: { orientation: "h" } });
  $("fc-events").innerHTML = table(evs.map((r) => ({ ...r, start_year: String(r.start_year) })), ["event_id", "start_year", "event_type", "actor", "index_at_start", "warned", "lead_years"]);
}

async function init() {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("critmat-token", $("token").value.trim());
    try {
      await api("/materials?limit=1");
      location.hash = "overview";
      route();
      await fillLists();
    } catch (e) {
      sessionStorage.removeItem("critmat-token");
      route();
      showError("login refused: " + e.message);
    }
  });
  $("logout").addEventListener("click", logout);
  const guard = (fn) => (ev) => fn(ev).catch((e) => { showError(e.message); });
  $("overview-form").addEventListener("submit", guard(assess));
  $("material-form").addEventListener("submit", guard(showMaterial));
  $("scenario-form").addEventListener("submit", guard(runScenario));
  $("plan-form").addEventListener("submit", guard(runPlan));
  $("forecast-form").addEventListener("submit", guard(showForecast));
  $("receipt-form").addEventListener("submit", guard(bookReceipt));
  $("sensor-form").addEventListener("submit", guard(showSensor));
  $("inv-reverify").addEventListener("click", guard(verifyLedger));
  $("sc-validate").addEventListener("click", () => validateScenario());
  $("sc-select").addEventListener("change", () => loadScenarioYaml().catch((e) => showError(e.message)));
  $("sc-var").addEventListener("change", drawFans);
  $("sc-holder").addEventListener("change", () => fillScenarios().catch((e) => showError(e.message)));
  for (const id of ["ov-holder", "sc-holder", "pl-holder", "mat-holder", "fc-holder"]) fillSelect(id, HOLDERS, "EU27");
  window.addEventListener("hashchange", route);
  route();
  if (token()) await fillLists().catch((e) => showError(e.message));
}

async function fillScenarios() {
  const sc = await api("/scenarios?holder=" + $("sc-holder").value);
  const ok = sc.items.filter((s) => s.runnable && s.runnable_for_holder !== false);
  const keep = $("sc-select").value || "GR-2023";
  fillSelect("sc-select", ["stochastic", ...ok.map((s) => s.id)], keep);
  await loadScenarioYaml();
}

async function fillLists() {
  const mats = await api("/materials?limit=500");
  fillSelect("mat-select", mats.items.map((m) => m.material), "cobalt");
  fillSelect("fc-material", ["lithium", "nickel", "cobalt", "graphite", "neodymium", "dysprosium",
    "terbium", "gallium", "germanium", "silicon", "tungsten", "platinum", "palladium", "manganese"], "lithium");
  const fs = await api("/forecast/scenarios");
  fillSelect("fc-scenario", fs.items.map((s) => s.scenario), "stated_policies");
  await fillScenarios();
}

init();
