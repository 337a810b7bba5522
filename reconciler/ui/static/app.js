// The dashboard's client: SSE status, views, actions. Plain JS, no dependencies.
"use strict";
const $ = (sel) => document.querySelector(sel);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
let snapshot = { resources: [], edges: [] };
let selected = null;
let shownPlan = null;

function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const kid of kids) node.append(kid instanceof Node ? kid : document.createTextNode(String(kid ?? "")));
  return node;
}

function colour(r) {
  if (["failed", "missing", "exited", "crashed", "orphan", "stopped"].includes(r.state) || r.health === "unhealthy") return "bad";
  if (r.state === "running" && (r.health === "healthy" || r.health === "-")) return "ok";
  if (r.state === "running") return "warn";
  return "idle";
}

function toast(text) {
  const t = $("#toast"); t.textContent = text; t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } };
  const res = await fetch(path, { credentials: "same-origin", ...opts });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function drawGraph() {
  const graph = $("#graph");
  graph.replaceChildren();
  const layers = [];
  for (const r of snapshot.resources) (layers[r.layer || 0] ||= []).push(r);
  for (const layer of layers) {
    const col = el("div", { class: "layer" });
    for (const r of layer || []) {
      const node = el("div", { class: `node ${colour(r)}${r.address === selected ? " selected" : ""}`,
        "data-address": r.address, "data-state": r.state, onclick: () => showDetail(r.address) },
        el("div", { class: "name" }, r.address),
        el("div", { class: "meta" }, `${r.kind} · ${r.host} · ${r.state}` +
          (r.health && r.health !== "-" ? ` · ${r.health}` : "") + (r.pid ? ` · pid ${r.pid}` : "")),
        r.detail ? el("div", { class: "meta" }, r.detail) : "");
      col.append(node);
    }
    graph.append(col);
  }
  requestAnimationFrame(drawEdges);
}

function drawEdges() {
  const graph = $("#graph");
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", graph.scrollWidth); svg.setAttribute("height", graph.scrollHeight);
  const box = graph.getBoundingClientRect();
  const find = (a) => graph.querySelector(`.node[data-address="${CSS.escape(a)}"]`);
  for (const e of snapshot.edges || []) {
    const a = find(e.from), b = find(e.to);
    if (!a || !b) continue;
    const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
    const line = document.createElementNS(ns, "line");
    line.setAttribute("x1", ra.right - box.left + graph.scrollLeft); line.setAttribute("y1", ra.top + ra.height / 2 - box.top);
    line.setAttribute("x2", rb.left - box.left + graph.scrollLeft); line.setAttribute("y2", rb.top + rb.height / 2 - box.top);
    line.setAttribute("stroke", "#8895aa"); line.setAttribute("stroke-width", "2");
    svg.append(line);
  }
  graph.prepend(svg);
}

async function showDetail(address) {
  selected = address; drawGraph();
  const pane = $("#detail");
  const d = await api(`/api/node?address=${encodeURIComponent(address)}`);
  const row = snapshot.resources.find((r) => r.address === address) || {};
  pane.replaceChildren(
    el("h3", {}, address),
    el("div", { id: "detail-state" }, `state: ${row.state || "?"}, health: ${row.health || "?"}`),
    el("div", {}, `source: ${d.source || "(not in the configuration)"}`),
    el("div", {}, `depends on: ${d.depends_on.join(", ") || "nothing"}`),
    el("h4", {}, "Spec"), el("pre", { id: "detail-spec" }, specLines(d.spec, d.sources || {})),
    el("h4", {}, "Observed facts"), el("pre", {}, JSON.stringify(d.facts, null, 2)),
    el("h4", {}, "Last change"),
    el("pre", {}, d.last_change ? `${new Date(d.last_change.time * 1000).toLocaleString()} ${d.last_change.kind}: ${d.last_change.message}` : "none recorded"),
    el("div", { class: "toolbar" },
      el("button", { id: "act-restart", onclick: () => act("restart", address) }, "Restart"),
      el("button", { id: "act-stop", onclick: () => act("stop", address) }, "Stop"),
      el("button", { id: "act-logs", onclick: () => { $("#log-service").value = address.split(".").slice(1).join(".").split("@")[0]; switchView("logs"); } }, "Logs")));
  pane.hidden = false;
}

// One line per value, each with the file:line:col it was written at (as `config show`).
function specLines(spec, sources) {
  const lines = [];
  for (const [key, value] of Object.entries(spec || {})) {
    if (key === "env" && value && typeof value === "object" && Object.keys(value).length) {
      for (const [name, item] of Object.entries(value)) {
        const at = sources[`env.${name}`];
        lines.push(`env.${name} = ${JSON.stringify(item)}${at ? `  # ${at}` : ""}`);
      }
      continue;
    }
    const at = sources[key];
    lines.push(`${key} = ${JSON.stringify(value)}${at ? `  # ${at}` : ""}`);
  }
  return lines.join("\n");
}

async function act(action, address, inputsHash) {
  if (!confirm(`${action} ${address || "the shown plan"}?`)) return;
  toast(`${action}…`);
  try {
    const r = await api("/api/action", { action, address: address || "", inputs_hash: inputsHash || "" });
    toast(r.message);
  } catch (err) { toast(err.message); }
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("status", (ev) => {
    snapshot = JSON.parse(ev.data);
    $("#live").textContent = snapshot.error ? `error: ${snapshot.error}`
      : snapshot.waiting ? snapshot.waiting : `live · poll ${snapshot.polls}`;
    $("#live").classList.toggle("on", !snapshot.error);
    drawGraph();
    const row = snapshot.resources.find((r) => r.address === selected);
    if (row && $("#detail-state")) $("#detail-state").textContent = `state: ${row.state}, health: ${row.health || "?"}`;
  });
  source.onerror = () => { $("#live").textContent = "reconnecting…"; $("#live").classList.remove("on"); };
}

let logSource = null;
async function loadLogs() {
  if (logSource) { logSource.close(); logSource = null; }
  const service = $("#log-service").value, q = $("#log-search").value;
  const params = new URLSearchParams({ service, q, tail: "300", remote: service ? "0" : "1" });
  const data = await api(`/api/logs?${params}`);
  const select = $("#log-service");
  for (const name of data.services) if (![...select.options].some((o) => o.value === name)) select.append(el("option", { value: name }, name));
  const pre = $("#log-lines");
  pre.textContent = data.lines.map((l) => (service ? l.line : `${l.service} | ${l.line}`)).join("\n") + (data.lines.length ? "\n" : "");
  pre.scrollTop = pre.scrollHeight;
  if ($("#log-follow").checked) {
    logSource = new EventSource(`/api/logs/stream?${new URLSearchParams({ service, q, remote: service ? "0" : "1" })}`);
    logSource.addEventListener("line", (ev) => {
      const l = JSON.parse(ev.data);
      pre.append(document.createTextNode((service ? l.line : `${l.service} | ${l.line}`) + "\n"));
      pre.scrollTop = pre.scrollHeight;
    });
  }
}

async function loadPlan() {
  $("#plan-summary").textContent = "planning…"; $("#plan-apply").disabled = true;
  try {
    shownPlan = await api("/api/plan");
  } catch (err) { $("#plan-summary").textContent = err.message; return; }
  const s = shownPlan.summary;
  $("#plan-summary").textContent = shownPlan.has_changes ? Object.entries(s).filter(([, n]) => n).map(([k, n]) => `${n} to ${k}`).join(", ") : "no changes: the world matches the configuration";
  $("#plan-apply").disabled = !shownPlan.has_changes;
  const box = $("#plan-changes"); box.replaceChildren();
  for (const c of shownPlan.changes.filter((c) => c.action !== "no-op")) {
    box.append(el("div", { class: "change" },
      el("strong", { class: `action-${c.action}` }, `${c.action} `), c.address,
      el("div", { class: "meta" }, c.reason),
      c.diffs.length ? el("pre", { class: "diff" }, c.diffs.map((d) => `${d.path}: ${d.before} -> ${d.after}${d.replace ? "  (forces replace)" : ""}`).join("\n")) : ""));
  }
  for (const p of shownPlan.policy.filter((p) => p.outcome !== "allow" || p.approved)) box.append(el("div", { class: "change policy" }, `policy ${p.approved ? "approved" : p.outcome}: ${p.address} ${p.reason}`));
  const held = shownPlan.policy.filter((p) => p.outcome === "require_approval");
  if (held.length && !shownPlan.policy.some((p) => p.outcome === "deny")) {
    box.append(el("div", { class: "toolbar", id: "plan-approval" },
      `${held.length} change(s) wait for approval: `,
      el("button", { id: "plan-approve", onclick: () => decide("approve") }, "Approve this plan"),
      el("button", { id: "plan-reject", onclick: () => decide("reject") }, "Reject")));
  }
}

async function decide(action) {
  if (!shownPlan || !confirm(`${action} the shown plan?`)) return;
  try {
    const r = await api("/api/action", { action, address: "", inputs_hash: shownPlan.inputs_hash });
    toast(r.message);
  } catch (err) { toast(err.message); return; }
  await loadPlan();
}

async function loadHistory() {
  const runs = await api("/api/history");
  const box = $("#history-runs"); box.replaceChildren();
  for (const r of runs) {
    const when = new Date(r.started_at * 1000).toLocaleString();
    const events = el("pre", { class: "diff", hidden: "" });
    box.append(el("div", { class: "run", "data-kind": r.kind },
      el("strong", {}, `${r.kind} · ${r.result || "running"}`), ` ${when} by ${r.user}`,
      el("div", { class: "meta" }, JSON.stringify(r.summary || {})),
      r.decisions.length ? el("div", { class: "meta" }, r.decisions.map((d) => `${d.outcome} ${d.address}: ${d.reason}`).join("; ")) : "",
      el("button", { onclick: async () => {
        const rows = await api(`/api/history?run=${encodeURIComponent(r.id)}`);
        events.textContent = rows.map((e) => `${e.kind} ${e.address || ""} ${e.message}`).join("\n");
        events.hidden = !events.hidden;
      } }, "events"), events));
  }
}

function switchView(name) {
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.view === name);
  for (const v of document.querySelectorAll(".view")) v.classList.toggle("active", v.id === `view-${name}`);
  if (name === "logs") loadLogs();
  if (name === "plan") loadPlan();
  if (name === "history") loadHistory();
  if (name !== "logs" && logSource) { logSource.close(); logSource = null; }
}

for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => switchView(b.dataset.view));
$("#log-service").addEventListener("change", loadLogs);
$("#log-search").addEventListener("change", loadLogs);
$("#log-follow").addEventListener("change", loadLogs);
$("#plan-refresh").addEventListener("click", loadPlan);
$("#plan-apply").addEventListener("click", () => shownPlan && act("apply", "", shownPlan.inputs_hash));
$("#history-refresh").addEventListener("click", loadHistory);
window.addEventListener("resize", () => requestAnimationFrame(drawEdges));
connect();

// `sync --ui`: the agent's panel (commit, last error, pin, kept), refreshed from /api/sync
async function refreshSync() {
  try {
    const s = await api("/api/sync");
    $("#sync-title").textContent = s.commit ? `sync: ${s.commit.slice(0, 12)}` : `sync: ${s.waiting}`;
    $("#sync-status").textContent = s.text;
  } catch (err) { $("#sync-title").textContent = `sync: ${err.message}`; }
}
if ($("#sync")) setInterval(refreshSync, 2000);
