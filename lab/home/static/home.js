// lab home: polls the page's own JSON routes and draws them; every action sends the page token.
"use strict";
const TOKEN = document.querySelector('meta[name="lab-token"]').content;
const I18N = {
  "zh-TW": {lab: "實驗室", course: "課程", dashboard: "儀表板", try: "動手試試", process: "程序",
    state: "狀態", uptime: "執行時間", restarts: "重啟次數", actions: "操作", check: "檢查此模組",
    criterion: "評分項目", status: "狀態", observed: "觀察結果", hint: "提示", send: "送出",
    loglines: "此請求在 API 記錄中的行", stop: "停止", start: "啟動", restart: "重啟",
    running: "檢查中", done: "完成", nolab: "沒有 `lab up` 在執行：無法停止或啟動程序。",
    checked: "上次檢查", never: "尚未檢查"},
  en: {lab: "The lab", course: "The course", dashboard: "Dashboard", try: "Try it",
    process: "process", state: "state", uptime: "up", restarts: "restarts", actions: "actions",
    check: "Check this module", criterion: "criterion", status: "status", observed: "observed",
    hint: "hint", send: "Send", loglines: "Its lines in the API log", stop: "stop",
    start: "start", restart: "restart", running: "checking", done: "done",
    nolab: "No `lab up` runs here: processes cannot be stopped or started from this page.",
    checked: "last check", never: "not checked yet"},
};
const state = {lang: localStorage.getItem("lab-home-lang") || "en", module: null, checking: false};
window.labHome = state;
const $ = (sel) => document.querySelector(sel);
const t = (key) => (I18N[state.lang] || I18N.en)[key] || I18N.en[key] || key;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

async function postJSON(url, data = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Lab-Token": TOKEN},
    body: JSON.stringify(data),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

// ---- 1. the lab -----------------------------------------------------------------------------
async function refreshLab() {
  let data;
  try { data = await getJSON("/api/lab"); } catch (e) { $("#lab-note").textContent = e.message; return; }
  window.labState = data;
  $("#lab-note").textContent = data.lab_up_pid ? `lab up: pid ${data.lab_up_pid} · total RSS ${data.total_rss_text}` : t("nolab");
  const body = $("#processes tbody");
  body.replaceChildren();
  for (const p of data.processes) {
    const actions = el("td");
    for (const action of ["stop", "start", "restart"]) {
      const button = el("button", {"data-action": action, "data-name": p.name, text: t(action),
        title: `lab ${action} ${p.name}`});
      if (!p.controllable) button.disabled = true;
      button.addEventListener("click", () => act(p.name, action, button));
      actions.append(button, " ");
    }
    const log = el("details", {}, el("summary", {text: p.detail || "log"}), el("pre", {text: p.log || ""}));
    const row = el("tr", {"data-process": p.name, "data-state": p.state, "data-pid": p.pid || ""},
      el("td", {}, el("strong", {text: p.name}), log),
      el("td", {class: "state state-" + p.state.replace(" ", "-"), text: p.state}),
      el("td", {class: "pid", text: p.pid || ""}), el("td", {text: p.uptime_text}),
      el("td", {text: String(p.restarts)}), el("td", {text: p.rss_text}), actions);
    const open = document.querySelector(`tr[data-process="${p.name}"] details[open]`);
    if (open) log.open = true;
    body.append(row);
  }
  const links = $("#links");
  links.replaceChildren();
  for (const link of data.links) {
    links.append(link.why_not
      ? el("span", {class: "disabled", "data-link": link.name, title: link.why_not, text: `${link.title} (${link.why_not})`})
      : el("a", {href: link.url, target: "_blank", rel: "noopener", "data-link": link.name, text: link.title}));
  }
}

async function act(name, action, button) {
  button.disabled = true;
  $("#action-result").textContent = `lab ${action} ${name} …`;
  try {
    const answer = await postJSON(`/api/lab/${encodeURIComponent(name)}/${action}`);
    $("#action-result").textContent = answer.message + (answer.log_tail ? "\n" + answer.log_tail : "");
  } catch (e) {
    $("#action-result").textContent = e.message;
  }
  refreshLab();
}

// ---- 2. the course --------------------------------------------------------------------------
async function refreshCourse() {
  const data = await getJSON(`/api/course?lang=${state.lang}`);
  window.labCourse = data;
  $("#course-project").textContent = data.project + " · " + t("checked") + ": " + (data.checked_at || t("never"));
  const modules = $("#modules");
  modules.replaceChildren();
  if (!state.module) state.module = (data.modules.find((m) => m.in_workspace && m.label !== "done") || data.modules[0]).id;
  for (const m of data.modules) {
    const button = el("button", {"data-module": m.id, "aria-selected": String(m.id === state.module),
      class: m.in_workspace ? "" : "not-in-workspace"},
      el("strong", {text: `${m.id} ${m.title}`}), el("img", {src: m.badge, alt: `${m.id}: ${m.label}`}));
    button.addEventListener("click", () => { state.module = m.id; refreshCourse(); showTask(); });
    modules.append(button);
  }
  const current = data.modules.find((m) => m.id === state.module);
  const body = $("#criteria tbody");
  body.replaceChildren();
  for (const c of current.criteria) {
    body.append(el("tr", {"data-criterion": c.id, "data-status": c.status},
      el("td", {}, el("code", {text: c.id}), " ", c.title),
      el("td", {class: "status-" + c.status, text: c.status}),
      el("td", {text: c.observed}), el("td", {text: c.hint})));
  }
  $("#check-module").textContent = `${t("check")} (${state.module})`;
  showCheck(data.check);
}

async function showTask() {
  const data = await getJSON(`/api/course/${state.module}/task?lang=${state.lang}`);
  const task = $("#task");
  task.innerHTML = data.html;  // rendered on the server with raw HTML disabled
  task.lang = state.lang;
  task.dataset.module = data.module;
  task.dataset.lang = data.lang;
}

function showCheck(job) {
  const bar = $("#check-progress");
  if (!job) { bar.hidden = true; $("#check-status").textContent = ""; return; }
  bar.hidden = false;
  bar.max = job.total || 1;
  bar.value = job.done;
  const where = job.current ? ` · ${job.current}` : "";
  $("#check-status").textContent = job.running
    ? `${t("running")} lab check -m ${job.module}: ${job.done}/${job.total || "?"}${where} · ${job.elapsed} s`
    : `lab check -m ${job.module}: ${t("done")} (exit ${job.exit_code}, ${job.elapsed} s)`;
  $("#check-status").dataset.running = String(job.running);
  $("#check-module").disabled = job.running;
}

async function checkModule() {
  try {
    showCheck(await postJSON(`/api/course/${state.module}/check`));
  } catch (e) { $("#check-status").textContent = e.message; return; }
  const poll = async () => {
    const {check} = await getJSON("/api/course/check");
    showCheck(check);
    if (check && check.running) setTimeout(poll, 1000); else refreshCourse();
  };
  setTimeout(poll, 1000);
}

// ---- 3. the dashboard -----------------------------------------------------------------------
async function refreshDashboard() {
  let data;
  const end = state.end ? `?end=${state.end}` : "";  // a fixed end: tests compare with Prometheus
  try { data = await getJSON("/api/dashboard" + end); } catch (e) { $("#dashboard-note").textContent = e.message; return; }
  window.labDashboard = data;
  const grafana = document.body.dataset.grafana;
  const grafanaRunning = (window.labState?.links || []).some((l) => l.name === "grafana" && !l.why_not);
  const note = $("#dashboard-note");
  note.replaceChildren(data.unavailable || `${data.title} · Prometheus ${data.prometheus} · ${new Date(data.end * 1000).toLocaleTimeString()}`);
  if (grafanaRunning && data.uid) {
    note.append(" · ", el("a", {href: `${grafana}/d/${data.uid}`, target: "_blank", rel: "noopener", id: "grafana-link", text: "Grafana"}));
  }
  const panels = $("#panels");
  const drawn = [];
  for (const panel of data.panels) {
    const id = "panel-" + panel.id;
    let box = document.getElementById(id);
    if (!box) { box = el("div", {class: "panel", id, "data-title": panel.title, title: panel.description}); panels.append(box); }
    const empty = panel.targets.every((target) => target.series.length === 0);
    box.dataset.empty = String(empty);
    if (empty) {
      box.replaceChildren(el("strong", {text: panel.title}), el("div", {class: "empty", text: "no data yet"}));
      continue;
    }
    if (box.querySelector(".empty")) box.replaceChildren();
    if (window.Plotly) drawn.push(Plotly.react(box, panel.figure.data, panel.figure.layout, {displayModeBar: false, responsive: true}));
  }
  await Promise.all(drawn);
  panels.dataset.end = String(data.end);
}

// ---- 4. try it ------------------------------------------------------------------------------
async function loadFields() {
  const {fields} = await getJSON("/api/try/fields");
  const box = $("#predict-fields");
  box.replaceChildren();
  for (const [name, example] of Object.entries(fields)) {
    box.append(el("label", {for: "f-" + name, text: name}), el("input", {id: "f-" + name, name, value: String(example ?? 1), inputmode: "decimal"}));
  }
  if (!Object.keys(fields).length) setTimeout(loadFields, 5000);
  if (!Object.keys(fields).length) box.append(el("span", {class: "note", text: "the API does not answer: its fields appear once it runs"}));
}

function showAnswer(answer) {
  $("#try-status").textContent = String(answer.status);
  $("#try-request-id").textContent = answer.request_id;
  $("#try-body").textContent = JSON.stringify(answer.body, null, 2);
  $("#try-log").textContent = answer.log.length ? answer.log.join("\n")
    : answer.request_id ? `(no line of the API log carries ${answer.request_id}: a /predict is not logged, the CRM flow logs each step)` : "";
}

async function send(url, data) {
  try { showAnswer(await postJSON(url, data)); }
  catch (e) { showAnswer({status: "refused", request_id: "", body: e.message, log: []}); }
}

// ---- language, start ------------------------------------------------------------------------
function setLang(lang) {
  state.lang = lang;
  localStorage.setItem("lab-home-lang", lang);
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const b of document.querySelectorAll(".lang button")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  refreshLab(); refreshCourse().then(showTask);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll(".lang button")) b.addEventListener("click", () => setLang(b.dataset.lang));
  $("#check-module").addEventListener("click", checkModule);
  $("#predict-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send("/api/try/predict", Object.fromEntries(new FormData(e.target)));
  });
  $("#segment-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send("/api/try/segment", Object.fromEntries(new FormData(e.target)));
  });
  setLang(state.lang);
  loadFields();
  refreshDashboard();
  setInterval(refreshLab, 2000);
  setInterval(refreshDashboard, 15000);
});
