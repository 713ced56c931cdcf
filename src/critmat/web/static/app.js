// critmat dashboard: calls /api/v1 with the token kept in session storage; no framework.
"use strict";
const $ = (id) => document.getElementById(id);
const HOLDERS = ["EU27", "USA", "JPN", "KOR", "DEU", "FRA", "ITA", "GBR", "CAN", "AUS", "TWN", "IND", "CHN"];
const PAGES = ["login", "overview", "material", "scenario", "plan", "inventory"];
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

function table(rows, cols) {
  if (!rows || !rows.length) return "<p class='status'>none</p>";
  cols = cols || Object.keys(rows[0]);
  const esc = (v) => String(v === null || v === undefined ? "" : v)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const fmt = (v) => typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toLocaleString("en", { maximumFractionDigits: 0 }) : Number(v.toPrecision(4))) : v;
  return "<table><thead><tr>" + cols.map((c) => `<th>${esc(c)}</th>`).join("") + "</tr></thead><tbody>" +
    rows.map((r) => "<tr>" + cols.map((c) => `<td>${esc(fmt(r[c]))}</td>`).join("") + "</tr>").join("") +
    "</tbody></table>";
}

function fillSelect(id, values, selected) {
  $(id).innerHTML = values.map((v) => `<option${v === selected ? " selected" : ""}>${v}</option>`).join("");
}

function route() {
  const want = token() ? (location.hash.slice(1) || "overview") : "login";
  for (const p of PAGES) $(p).hidden = p !== want;
  $("nav").hidden = !token();
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === want));
  showError("");
  if (want === "inventory") loadInventory().catch((e) => showError(e.message));
  if (want === "overview") loadOverviewLists().catch((e) => showError(e.message));
}

function logout() {
  sessionStorage.removeItem("critmat-token");
  location.hash = "";
  route();
}

async function poll(id, statusEl) {
  for (;;) {
    const j = await api("/jobs/" + id);
    $(statusEl).textContent = `job ${id.slice(0, 8)}: ${j.status}`;
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
  ev.preventDefault();
  showError("");
  const res = await api("/assessments", { method: "POST", body: { holder: $("ov-holder").value, year: Number($("ov-year").value), methods: ["eu-crm"] } });
  const rows = res.rows.filter((r) => r.is_bottleneck && r.score !== null && r.ei !== null);
  Plotly.newPlot("ov-matrix", [{
    x: rows.map((r) => r.ei), y: rows.map((r) => r.score), text: rows.map((r) => r.material),
    mode: "markers+text", textposition: "top center", type: "scatter", name: "materials",
  }], {
    title: { text: `Criticality, ${res.holder} ${res.year} (EU method: EI vs SR)` }, height: 460,
    xaxis: { title: { text: "economic importance EI" } }, yaxis: { title: { text: "supply risk SR" } },
    shapes: [{ type: "line", x0: 2.8, x1: 2.8, yref: "paper", y0: 0, y1: 1, line: { dash: "dot" } },
             { type: "line", y0: 1, y1: 1, xref: "paper", x0: 0, x1: 1, line: { dash: "dot" } }],
  }, { responsive: true });
}

async function showMaterial(ev) {
  if (ev) ev.preventDefault();
  showError("");
  const m = $("mat-select").value;
  const stage = $("mat-stage").value;
  const [sup, pr] = await Promise.all([
    api(`/materials/${encodeURIComponent(m)}/supply` + (stage ? `?stage=${stage}` : "")),
    api(`/materials/${encodeURIComponent(m)}/prices`),
  ]);
  const top = sup.rows.filter((r) => r.share !== null).slice(0, 15);
  Plotly.newPlot("mat-supply", [{ type: "bar", x: top.map((r) => r.country), y: top.map((r) => 100 * r.share), name: "share" }],
    { title: { text: `${sup.material}: ${sup.stage} ${sup.year}, share of world supply (%), HHI ${(sup.hhi * 1e4).toFixed(0)}` }, height: 380, yaxis: { title: { text: "%" } } },
    { responsive: true });
  const series = {};
  for (const r of pr.rows) (series[r.series] = series[r.series] || []).push(r);
  Plotly.newPlot("mat-prices", Object.entries(series).map(([name, rs]) => ({
    type: "scatter", mode: "lines+markers", name, x: rs.map((r) => r.year), y: rs.map((r) => r.usd_per_t),
    line: { dash: rs[0].proxy ? "dot" : "solid" },
  })), { title: { text: `${sup.material}: prices, ${pr.unit} (log)` }, yaxis: { type: "log", title: { text: pr.unit } }, height: 400 },
  { responsive: true });
}

async function runScenario(ev) {
  ev.preventDefault();
  showError("");
  $("sc-fans").innerHTML = "";
  const job = await api("/jobs/simulate", { method: "POST", body: { scenario: $("sc-select").value, holder: $("sc-holder").value, runs: Number($("sc-runs").value) } });
  const res = await poll(job.id, "sc-status");
  const fans = res.fans.filter((r) => r.variable === "price");
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
  const rows = Math.ceil(mats.length / 3);
  Plotly.newPlot("sc-fans", traces, {
    grid: { rows, columns: Math.min(3, mats.length), pattern: "independent" }, height: 300 * rows + 60,
    title: { text: "Price paid (USD per t of the basis): median and 5-95% band" },
    annotations: mats.map((m, i) => ({ text: `${m} (${fans.find((r) => r.material === m).unit})`, xref: `x${i ? i + 1 : ""} domain`, yref: `y${i ? i + 1 : ""} domain`, x: 0.5, y: 1.12, showarrow: false })),
  }, { responsive: true });
  const sim = res.summary.filter((r) => r.simulated);
  $("sc-summary").innerHTML = table(sim, ["material", "unit", "expected_unmet_t", "p95_unmet_t", "p95_max_price_ratio", "expected_loss_usd"]);
}

async function runPlan(ev) {
  ev.preventDefault();
  showError("");
  const runs = Number($("pl-runs").value);
  const job = await api("/jobs/plan", { method: "POST", body: { holder: $("pl-holder").value, budget: Number($("pl-budget").value), config: { runs, eval_runs: runs, batches: 2, frontier: [0.25, 0.5, 1.0] } } });
  const res = await poll(job.id, "pl-status");
  $("pl-summary").innerHTML = res.summary.map((s) => `<li>${s.replace(/</g, "&lt;")}</li>`).join("");
  const f = res.frontier;
  Plotly.newPlot("pl-frontier", [
    { x: f.map((r) => r.spent_usd / 1e6), y: f.map((r) => r.expected_loss_usd / 1e6), mode: "lines+markers", name: "expected loss" },
    ...res.comparison.map((r) => ({ x: [r.spent_usd / 1e6], y: [r.expected_loss_usd / 1e6], mode: "markers", marker: { size: 11 }, name: r.plan })),
  ], { title: { text: "Spending vs expected loss (USD m, evaluation scenarios)" }, xaxis: { title: { text: "spent, USD m" } }, yaxis: { title: { text: "USD m" } }, height: 420 }, { responsive: true });
  const held = res.composition.filter((r) => r.optimal_t > 0);
  $("pl-composition").innerHTML = table(held, ["material", "basis", "optimal_t", "optimal_usd", "days_of_cover", "price_usd_per_t", "loss_usd_per_t"]);
}

async function loadInventory() {
  const [bal, al, ver] = await Promise.all([api("/inventory/balances"), api("/inventory/alerts"), api("/inventory/verify")]);
  $("inv-verify").textContent = ver.ok ? `ledger verified: ${ver.checked} entries` + (ver.signed ? ", head signed" : ` (${ver.reason})`) : `ledger BROKEN at entry ${ver.first_bad_seq}: ${ver.reason}`;
  $("inv-balances").innerHTML = table(bal.items);
  $("inv-alerts").innerHTML = table(al.items.map((a) => ({ ...a, action: a.status === "open" ? "ack" : "" })));
  document.querySelectorAll("#inv-alerts td:last-child").forEach((td, i) => {
    const a = al.items[i];
    if (a && a.status === "open") {
      td.innerHTML = `<button type="button" data-alert="${a.id}">Acknowledge</button>`;
      td.firstChild.addEventListener("click", async () => {
        await api(`/inventory/alerts/${a.id}/ack`, { method: "POST" }).catch((e) => showError(e.message));
        loadInventory();
      });
    }
  });
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
  $("receipt-form").addEventListener("submit", guard(bookReceipt));
  $("sc-holder").addEventListener("change", () => fillScenarios().catch((e) => showError(e.message)));
  for (const id of ["ov-holder", "sc-holder", "pl-holder"]) fillSelect(id, HOLDERS, "EU27");
  window.addEventListener("hashchange", route);
  route();
  if (token()) await fillLists().catch((e) => showError(e.message));
}

async function fillScenarios() {
  const sc = await api("/scenarios?holder=" + $("sc-holder").value);
  const ok = sc.items.filter((s) => s.runnable && s.runnable_for_holder !== false);
  fillSelect("sc-select", ["stochastic", ...ok.map((s) => s.id)], "GR-2023");
}

async function fillLists() {
  const mats = await api("/materials?limit=500");
  fillSelect("mat-select", mats.items.map((m) => m.material), "cobalt");
  await fillScenarios();
}

init();
