// The helper's status page: every job with its progress, its files and its
// controls, live over the helper's event stream, in Chinese or English.
import { connect, fraction, Client } from "./sdk/dlhelper.js";
import { bytes, speed, duration, percent, language, zhFileErrors } from "./sdk/format.js";
import { $, translate, setBar, jobActions } from "./sdk/ui.js";
import { strings, zhApiErrors } from "./strings.js";

const ACTIVE = new Set(["queued", "running", "waiting"]);
const MANY_FILES = 8; // jobs with more files start with the list folded

let lang = pickLanguage();
let t = strings[lang];
let helper = null;
// api reaches the helper that served this page before (and while) the
// event stream is connected.
const api = new Client(location.origin);
let settingsOK = false;
const cards = new Map(); // job id → Card
const dirty = new Set(); // job ids to draw at the next frame
let frame = 0;
// online: the figures are live and the buttons reach the helper.
const online = () => helper?.state === "open";

start();

async function start() {
  translate(t, lang);
  $("pause-all").addEventListener("click", () => run(() => helper.pauseAll()));
  $("resume-all").addEventListener("click", () => run(() => helper.resumeAll()));
  $("open-settings").addEventListener("click", openSettings);
  $("save-settings").addEventListener("click", saveSettings);
  $("choose-dir").addEventListener("click", chooseDir);
  $("lang").addEventListener("click", switchLanguage);
  setConnection("connecting");
  helper = await connectForever();
  helper.on("connection", ({ state }) => setConnection(state));
  helper.on("job", ({ id }) => markDirty(id));
  helper.on("snapshot", () => {
    for (const id of cards.keys()) markDirty(id);
    for (const id of helper.jobs.keys()) markDirty(id);
    scheduleDraw(); // an empty list is news too
  });
  setConnection(helper.state);
}

// connectForever reaches the helper that served this page; while it is
// starting or restarting, it keeps trying.
async function connectForever() {
  for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await connect({ base: location.origin, launch: false });
    } catch {
      setConnection("reconnecting");
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function pickLanguage() {
  const q = new URLSearchParams(location.search).get("lang");
  if (q === "zh" || q === "en") return q;
  const saved = localStorage.getItem("dlhelper-lang");
  return saved === "zh" || saved === "en" ? saved : language();
}

function switchLanguage() {
  lang = lang === "zh" ? "en" : "zh";
  t = strings[lang];
  localStorage.setItem("dlhelper-lang", lang);
  $("toast").classList.remove("show");
  translate(t, lang);
  for (const c of cards.values()) c.retranslate();
  for (const id of cards.keys()) markDirty(id);
  setConnection(helper?.state ?? "connecting");
}

function setConnection(state) {
  const el = $("conn");
  el.dataset.state = state;
  $("conn-text").textContent = state === "open" ? t.connected : t.reconnecting;
  $("banner").hidden = state !== "reconnecting";
  if (state === "reconnecting") checkSession();
  document.body.classList.toggle("offline", state === "reconnecting");
  for (const id of cards.keys()) markDirty(id); // speeds and buttons depend on it
}

// checkSession tells a lost connection from an ended login: a helper that
// restarted no longer knows this page's session cookie, and reconnecting
// cannot help, so the banner says how to open the page again.
async function checkSession() {
  const ended = await api.settings().then(
    () => false,
    (err) => err.status === 401,
  );
  const [head, text] = $("banner").children;
  head.dataset.t = ended ? "loggedOut" : "lost";
  text.dataset.t = ended ? "loggedOutText" : "lostText";
  translate(t, lang);
}

// --- Drawing -----------------------------------------------------------------
// Events can come many times a second for many jobs; each job is drawn at
// most once a frame (or every 200 ms while the tab is hidden).
function markDirty(id) {
  dirty.add(id);
  scheduleDraw();
}

function scheduleDraw() {
  if (frame) return;
  const flush = () => {
    frame = 0;
    draw();
  };
  frame = document.hidden ? setTimeout(flush, 200) : requestAnimationFrame(flush);
}

function draw() {
  const list = $("jobs");
  for (const id of dirty) {
    const job = helper.jobs.get(id);
    let card = cards.get(id);
    if (!job) {
      card?.el.remove();
      cards.delete(id);
      continue;
    }
    if (!card) {
      card = new Card(job);
      cards.set(id, card);
    }
    card.update(job);
  }
  dirty.clear();
  // Newest first, as the helper lists them by creation.
  const order = [...cards.values()].sort((a, b) => (b.job.created > a.job.created ? 1 : -1));
  order.forEach((c, i) => {
    if (list.children[i] !== c.el) list.insertBefore(c.el, list.children[i] ?? null);
  });
  drawSummary();
}

function drawSummary() {
  const jobs = [...helper.jobs.values()];
  const active = jobs.filter((j) => j.state === "running");
  const sp = active.reduce((s, j) => s + (j.speed || 0), 0);
  $("summary").textContent = jobs.length && online() ? t.summary(active.length, speed(sp, lang)) : "";
  $("empty").hidden = jobs.length > 0;
  const running = jobs.filter((j) => ACTIVE.has(j.state));
  const total = running.reduce((s, j) => s + Math.max(0, j.total), 0);
  const done = running.reduce((s, j) => s + j.done, 0);
  document.title = running.length && total > 0 ? `${percent(done / total)} · dlhelper` : "dlhelper";
}

class Card {
  constructor(job) {
    this.job = job;
    this.expanded = null; // null: not chosen by the user yet
    this.filter = null; // null: not chosen; see currentFilter
    this.el = document.createElement("article");
    this.el.className = "job";
    this.el.dataset.id = job.id;
    this.el.innerHTML = `
      <div class="job-head">
        <div class="job-title">
          <span class="job-icon" aria-hidden="true"><svg viewBox="0 0 24 24"><path d="M4 8.5 12 4l8 4.5v7L12 20l-8-4.5z"/><path d="M4 8.5 12 13l8-4.5M12 13v7"/></svg></span>
          <div class="job-title-text"><h2 class="job-name"></h2><p class="job-dir"></p><a class="job-portal" target="_blank" rel="noopener noreferrer" hidden></a></div>
        </div>
        <span class="pill job-state"></span>
      </div>
      <div class="job-progress">
        <div class="bar"><span></span></div>
        <span class="job-pct"></span>
      </div>
      <div class="job-foot">
        <div class="job-meta"><span class="job-bytes"></span><span class="job-speed"></span><span class="job-eta"></span></div>
        <div class="job-actions"></div>
      </div>
      <div class="job-alert" hidden></div>
      <button class="files-toggle" type="button" aria-expanded="false"><span class="chev" aria-hidden="true"></span><span class="files-label"></span></button>
      <div class="file-filter" role="group" hidden></div>
      <div class="file-list" hidden></div>
      <p class="file-none" hidden></p>`;
    this.q = (s) => this.el.querySelector(s);
    this.q(".files-toggle").addEventListener("click", () => {
      this.expanded = !this.isExpanded();
      this.update(this.job);
      if (this.expanded) this.scrollToActive();
    });
  }

  isExpanded() {
    return this.expanded ?? (this.job.files.length <= MANY_FILES && this.job.state !== "completed");
  }

  // scrollToActive shows, in a long list, the first file still at work.
  scrollToActive() {
    const list = this.q(".file-list");
    const row = [...list.children].find((r) => r.dataset.state !== "completed");
    if (row && list.scrollHeight > list.clientHeight) list.scrollTop = Math.max(0, row.offsetTop - 8);
  }

  retranslate() {
    this.actionsKey = "";
    this.filterKey = "";
  }

  // currentFilter: what the customer chose, else, on a long order, the
  // files that need attention or are at work, so they are not off-screen.
  currentFilter(counts) {
    if (this.filter) return this.filter;
    if (this.job.files.length <= MANY_FILES) return "all";
    if (counts.failed) return "failed";
    return counts.active ? "active" : "all";
  }

  showFilter(name) {
    this.filter = name;
    this.expanded = true;
    this.update(this.job);
  }

  update(job) {
    this.job = job;
    const f = fraction(job);
    this.el.dataset.state = job.state;
    this.q(".job-name").textContent = job.name || job.id;
    this.q(".job-dir").textContent = job.dir;
    this.q(".job-dir").title = job.dir;
    drawPortalLink(this.q(".job-portal"), job.pageUrl);
    const pill = this.q(".job-state");
    pill.textContent = t.state[job.state] ?? job.state;
    pill.className = `pill job-state pill-${job.state}`;
    setBar(this.q(".bar"), f, job.state);
    this.q(".job-pct").textContent = percent(f);
    this.q(".job-bytes").textContent = job.state === "completed" ? bytes(job.total, lang) : t.of(bytes(job.done, lang), bytes(job.total, lang));
    const moving = job.state === "running" && online();
    this.q(".job-speed").textContent = moving && job.speed > 0 ? speed(job.speed, lang) : "";
    this.q(".job-eta").textContent = moving && job.eta >= 0 ? t.left(duration(job.eta, lang)) : "";
    this.drawActions(job);
    this.drawAlert(job);
    this.drawFiles(job);
  }

  drawActions(job) {
    const want = online() ? jobActions(job.state) : [];
    const key = want.join();
    if (this.actionsKey === key) return;
    this.actionsKey = key;
    const labels = { pause: t.pause, resume: t.resume, cancel: t.cancel, retry: t.retry, open: t.openFolder, remove: t.remove };
    this.q(".job-actions").replaceChildren(
      ...want.map((a) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = `btn ${a === "cancel" || a === "remove" ? "btn-ghost" : "btn-secondary"} job-${a}`;
        b.textContent = labels[a];
        b.addEventListener("click", () => this.act(a, b));
        return b;
      }),
    );
  }

  async act(action, button) {
    const id = this.job.id;
    // Cancel deletes what was fetched: it takes a second click to confirm.
    if (action === "cancel" && !button.dataset.armed) {
      button.dataset.armed = "1";
      button.textContent = `${t.cancel}?`;
      button.classList.add("armed");
      setTimeout(() => {
        delete button.dataset.armed;
        button.textContent = t.cancel;
        button.classList.remove("armed");
      }, 4000);
      return;
    }
    if (action === "open") return openFolder(this.job);
    if (action === "remove") return run(() => helper.removeJob(id));
    button.disabled = true;
    await run(() => helper.jobAction(id, action));
    button.disabled = false;
  }

  // drawAlert says once what went wrong, each distinct error with the
  // number of files it hit, instead of one sentence under every file.
  drawAlert(job) {
    const el = this.q(".job-alert");
    const bad = job.files.filter((f) => f.error && (f.state === "failed" || f.state === "url_expired" || f.state === "paused"));
    let kind = "";
    let html = [];
    if (job.state === "waiting") {
      kind = "warn";
      html.push(text("p", t.waitingText));
    } else if (bad.length) {
      kind = job.state === "failed" ? "error" : "warn";
      html.push(text("p", t.problems(bad.length), "alert-title"));
      const groups = new Map();
      for (const f of bad) {
        const msg = errorText(f.error);
        groups.set(msg, (groups.get(msg) ?? 0) + 1);
      }
      for (const [msg, n] of groups) {
        const p = text("p", ` ${msg}`, "alert-group");
        p.prepend(text("strong", t.sameError(n)));
        html.push(p);
      }
      const show = text("button", t.showThese, "btn btn-link alert-show");
      show.type = "button";
      show.addEventListener("click", () => this.showFilter("failed"));
      html.push(show);
    }
    el.hidden = !kind;
    el.dataset.kind = kind;
    const key = lang + html.map((n) => n.textContent).join("\n");
    if (el.dataset.key !== key) {
      el.dataset.key = key;
      el.replaceChildren(...html);
    }
  }

  drawFiles(job) {
    const n = job.files.length;
    const done = job.files.filter((f) => f.state === "completed").length;
    const open = this.isExpanded();
    const toggle = this.q(".files-toggle");
    toggle.setAttribute("aria-expanded", String(open));
    this.q(".files-label").textContent = `${t.files(n)} · ${t.filesDone(done, n)}`;
    const list = this.q(".file-list");
    const counts = { all: n, active: 0, failed: 0, done };
    for (const f of job.files) {
      if (f.state === "failed" || f.state === "url_expired") counts.failed++;
      else if (f.state !== "completed" && f.state !== "canceled") counts.active++;
    }
    const filter = this.currentFilter(counts);
    this.drawFilter(counts, filter, open);
    list.hidden = !open;
    if (!open) return (this.q(".file-none").hidden = true);
    if (list.children.length !== n) list.replaceChildren(...job.files.map(() => fileRow()));
    let shown = 0;
    job.files.forEach((f, i) => {
      const row = list.children[i];
      row.hidden = !inFilter(f, filter);
      if (!row.hidden) {
        shown++;
        drawFile(row, f);
      }
    });
    this.q(".file-none").hidden = shown > 0;
    this.q(".file-none").textContent = t.noneHere;
  }

  drawFilter(counts, filter, open) {
    const bar = this.q(".file-filter");
    bar.hidden = !open || this.job.files.length <= 1;
    const key = `${lang}|${filter}|${counts.active}|${counts.failed}|${counts.done}`;
    if (bar.hidden || this.filterKey === key) return;
    this.filterKey = key;
    bar.replaceChildren(
      ...["all", "active", "failed", "done"].map((name) => {
        const b = text("button", `${t.filter[name]} ${counts[name]}`, "chip");
        b.type = "button";
        b.dataset.filter = name;
        b.setAttribute("aria-pressed", String(name === filter));
        b.addEventListener("click", () => this.showFilter(name));
        return b;
      }),
    );
  }
}

function inFilter(f, filter) {
  switch (filter) {
    case "failed":
      return f.state === "failed" || f.state === "url_expired";
    case "done":
      return f.state === "completed";
    case "active":
      return !["failed", "url_expired", "completed", "canceled"].includes(f.state);
  }
  return true;
}

function fileRow() {
  const row = document.createElement("div");
  row.className = "file";
  row.innerHTML = `
    <span class="file-name"></span>
    <div class="bar bar-small"><span></span></div>
    <span class="file-size"></span>
    <span class="pill file-state"></span>
    <p class="file-error" hidden></p>`;
  return row;
}

function drawFile(row, f) {
  row.dataset.state = f.state;
  row.dataset.index = f.index;
  const name = row.querySelector(".file-name");
  name.textContent = f.name;
  name.title = f.path || f.name;
  const frac = fraction(f);
  setBar(row.querySelector(".bar"), frac, f.state);
  row.querySelector(".file-size").textContent =
    f.state === "completed" || !(f.size > 0) ? bytes(f.size, lang) : `${percent(frac)} · ${bytes(f.size, lang)}`;
  const pill = row.querySelector(".file-state");
  pill.textContent = t.state[f.state] ?? f.state;
  // What a completed file was checked against, so "Completed" never
  // claims more than the helper knows.
  pill.title = (f.state === "completed" && t.verified[f.verifiedBy]) || "";
  pill.className = `pill file-state pill-${f.state}`;
  // The sentence is in the card's alert, once for all files it hit; the
  // row keeps it as a tooltip on its state.
  row.querySelector(".file-error").hidden = true;
  if (f.error) pill.title = errorText(f.error);
}

function errorText(e) {
  if (lang === "zh") return zhFileErrors[e.code] ?? e.message;
  return e.message;
}

function text(tag, s, cls) {
  const el = document.createElement(tag);
  el.textContent = s;
  if (cls) el.className = cls;
  return el;
}

// --- Actions -----------------------------------------------------------------------
async function run(fn) {
  try {
    return await fn();
  } catch (err) {
    toast(`${t.errorTitle}: ${apiErrorText(err)}`, true);
  }
}

// apiErrorText: the helper's English sentence, or the page's own Chinese
// for its code.
function apiErrorText(err) {
  if (lang === "zh") return zhApiErrors[err.code] ?? zhFileErrors[err.code] ?? err.message;
  return err.message;
}

// openFolder asks the helper to show the folder in the file manager; where
// it cannot (no desktop: 501; no folder yet: 409; an older helper: 404),
// the path is shown and copied instead.
async function openFolder(job) {
  try {
    await helper.openFolder(job.id);
  } catch {
    try {
      await navigator.clipboard.writeText(job.dir);
      toast(t.folderCopied(job.dir));
    } catch {
      toast(t.folder(job.dir));
    }
  }
}

let toastTimer = 0;
function toast(msg, isError = false) {
  const el = $("toast");
  el.textContent = msg;
  el.classList.toggle("toast-error", isError);
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 4000);
}

// --- Settings ------------------------------------------------------------------------
// The settings: {dir, connections, maxActiveFiles, rateLimit (bytes/s, 0 = none)}.
async function openSettings() {
  $("settings-error").hidden = true;
  try {
    const s = await helper.settings();
    settingsOK = true;
    loadedDir = s.dir ?? "";
    $("set-dir").value = loadedDir;
    $("set-dir").disabled = s.dir === undefined;
    $("choose-dir").hidden = !s.chooseDir;
    $("set-free").textContent = s.free === undefined ? "" : t.freeSpace(bytes(s.free, lang));
    // 0 is automatic: the helper's connection budget decides (downloader/budget.go).
    $("set-connections").value = s.connections || "";
    $("set-files").value = s.maxActiveFiles || "";
    $("set-connections").placeholder = $("set-files").placeholder = t.automatic;
    $("set-limit").value = s.rateLimit > 0 ? +(s.rateLimit / 1048576).toFixed(2) : "";
    $("set-limit").placeholder = t.unlimited;
  } catch {
    settingsOK = false;
  }
  $("settings-missing").hidden = settingsOK;
  for (const el of $("settings-form").querySelectorAll("input")) if (!settingsOK) el.disabled = true;
  $("save-settings").disabled = !settingsOK;
  $("settings").showModal();
}

// drawPortalLink links a job back to the portal page it came from. The
// helper accepts only https (or loopback http) pages of the job's own
// origin; the protocol is checked here again so that no other kind of
// link is ever put in this page.
function drawPortalLink(a, pageUrl) {
  let ok = false;
  try {
    ok = !!pageUrl && ["https:", "http:"].includes(new URL(pageUrl).protocol);
  } catch {}
  a.hidden = !ok;
  if (!ok) return a.removeAttribute("href");
  if (a.getAttribute("href") !== pageUrl) a.href = pageUrl;
  a.textContent = t.openInPortal;
}

// The folder the helper reported, so that Save sends dir only when the user
// changed it: a new folder takes new orders only (bridge/API.md).
let loadedDir = "";

// chooseDir asks the helper for its desktop's folder dialog; the folder
// chosen applies at once.
async function chooseDir() {
  $("settings-error").hidden = true;
  try {
    const r = await helper.chooseFolder();
    if (!r.chosen) return;
    loadedDir = r.dir;
    $("set-dir").value = r.dir;
    toast(t.dirChanged);
    const s = await helper.settings().catch(() => ({}));
    $("set-free").textContent = s.free === undefined ? "" : t.freeSpace(bytes(s.free, lang));
  } catch (err) {
    $("settings-error").textContent = apiErrorText(err);
    $("settings-error").hidden = false;
  }
}

async function saveSettings() {
  const body = {
    // Empty is automatic: -1 asks for it back (0 would keep the value).
    connections: Number($("set-connections").value) || -1,
    maxActiveFiles: Number($("set-files").value) || -1,
    rateLimit: Math.round((Number($("set-limit").value) || 0) * 1048576),
  };
  const dir = $("set-dir").value.trim();
  if (!$("set-dir").disabled && dir && dir !== loadedDir) body.dir = dir;
  try {
    await helper.saveSettings(body);
    $("settings").close();
    toast(t.saved);
  } catch (err) {
    $("settings-error").textContent = apiErrorText(err);
    $("settings-error").hidden = false;
  }
}
