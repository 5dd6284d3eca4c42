// The demo portal's order page: the reference integration of dlhelper.js.
// What a real portal copies is in four places, marked "SDK:" below:
// connecting from the click, starting the job with a refreshUrl, showing
// its events, and reattaching to the job when the page opens again.
import { connect, permissionState, Codes, forgetPairing, fraction } from "/sdk/dlhelper.js";
import { bytes, speed, duration, percent, language, zhFileErrors } from "/sdk/format.js";
import { $, translate, setBar, jobActions } from "/sdk/ui.js";
import { strings } from "./strings.js";

const lang = language();
const t = strings[lang];

let config = { helperPorts: undefined, installerUrl: "" };
let order = null; // {id, files: [{name, size, sha256, url}], total, …}
let helper = null; // SDK: the Helper, once found
let download = null; // SDK: the Download of this order
const jobKey = () => `dlhelper-job:${order.id}`;

init();

async function init() {
  translate(t, lang);
  document.title = `${t.order} · ${t.brand}`;
  [config, order] = await Promise.all([getJSON("/api/config"), getJSON("/api/order")]);
  showOrder();
  $("download").addEventListener("click", onDownloadClick);
  $("page").hidden = false;
  await reattach();
}

// --- SDK: reattach on page load ---------------------------------------------
// A page opened again finds the job it started before. It reaches for the
// helper only if that cannot show a permission prompt; otherwise it waits
// for the click (Local Network Access: never prompt on page load).
async function reattach() {
  const id = localStorage.getItem(jobKey());
  if (!id) return;
  const perm = await permissionState();
  if (perm !== "granted" && perm !== "unsupported") return;
  try {
    await getHelper({ launch: false });
    const jobs = await helper.list();
    if (jobs.some((j) => j.id === id)) follow(helper.attach(id, { files: order.files, refreshUrl }));
    else localStorage.removeItem(jobKey());
  } catch {
    // not running now: the button is there
  }
}

// --- SDK: connect from the click and start the job ----------------------------
async function onDownloadClick() {
  const downloadButton = $("download"); // not `button`: that is the helper below
  downloadButton.disabled = true;
  notice("busy", t.checking, t.checkingText);
  // The browser may ask "Open dlhelper?" and wait for the customer; so does
  // the page, until the helper answers or the customer stops waiting.
  const stop = new AbortController();
  const stopButton = () => button(t.stopWaiting, () => stop.abort(), "btn btn-ghost");
  try {
    await getHelper({
      signal: stop.signal,
      onLaunch: () => notice("busy", t.starting, t.startingText, [stopButton()]),
      onLaunchSlow: () => notice("busy", t.starting, `${t.startingText} ${t.startingSlow}`, [...installActions(), stopButton()]),
      // dlhelper asks its user, in its own window, whether to trust this portal.
      onNeedsApproval: () => notice("busy", t.approvalTitle, t.approvalText, [stopButton()]),
    });
    const existing = localStorage.getItem(jobKey());
    const jobs = existing ? await helper.list() : [];
    const old = jobs.find((j) => j.id === existing && j.state !== "canceled");
    if (old) {
      follow(helper.attach(old.id, { files: order.files, refreshUrl }));
      return;
    }
    order = await getJSON("/api/order"); // freshly signed URLs
    const d = await helper.download({
      name: `${t.order} ${order.id}`,
      folder: order.id,
      pageUrl: location.origin + location.pathname, // "Open in portal" on the helper's status page
      files: order.files, // {url, name, size, sha256}: the helper verifies size and SHA-256
      refreshUrl,
    });
    localStorage.setItem(jobKey(), d.id);
    follow(d);
  } catch (err) {
    showConnectError(err);
    downloadButton.disabled = false;
  }
}

async function getHelper(options) {
  if (helper) return helper;
  helper = await connect({ ports: config.helperPorts, ...options });
  helper.on("connection", onConnection);
  return helper;
}

// refreshUrl is called by the SDK when a link expired mid-download: the
// portal signs a fresh one (checking the session again) and the SDK hands it
// to the helper, which continues where it stopped. No click needed.
async function refreshUrl(file) {
  const res = await fetch("/api/sign", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: file.name }),
  });
  if (!res.ok) throw new Error(`the portal did not re-sign ${file.name} (HTTP ${res.status})`);
  return (await res.json()).url;
}

// installActions: the package for the visitor's system (else the portal's
// one installer link) and the plain links.
function installActions() {
  const actions = [];
  const packages = config.installers?.[visitorOS()] ?? [];
  packages.forEach((p, i) => actions.push(link(t.installKind[p.kind] ?? t.install, p.url, i === 0 ? "btn btn-primary" : "btn btn-secondary")));
  if (!packages.length && config.installerUrl) actions.push(link(t.install, config.installerUrl, "btn btn-primary"));
  actions.push(link(t.downloadBrowser, "#files", "btn btn-link"));
  return actions;
}

// visitorOS is "windows", "mac", "linux" or "other", from the client hint
// where the browser has one, else the user agent.
function visitorOS() {
  const p = (navigator.userAgentData?.platform || navigator.platform || navigator.userAgent || "").toLowerCase();
  if (p.includes("win")) return "windows";
  if (p.includes("mac") || p.includes("iphone") || p.includes("ipad")) return "mac";
  if (p.includes("linux") && !p.includes("android")) return "linux";
  return "other";
}

function showConnectError(err) {
  switch (err.code) {
    case Codes.NOT_RUNNING:
    case Codes.LAUNCH_STOPPED: {
      const actions = installActions();
      actions.splice(actions.length - 1, 0, button(t.tryAgain, onDownloadClick));
      notice("warn", t.notRunningTitle, t.notRunningText + (config.installerUrl ? "" : ` ${t.noInstaller}`), actions);
      document.body.classList.add("fallback");
      break;
    }
    case Codes.PERMISSION_DENIED:
      notice("error", t.deniedTitle, t.deniedText(browserName()), [button(t.tryAgain, onDownloadClick), link(t.downloadBrowser, "#files", "btn btn-link")]);
      document.body.classList.add("fallback");
      break;
    case Codes.PROMPT_DISMISSED:
      notice("warn", t.dismissedTitle, t.dismissedText, [button(t.tryAgain, onDownloadClick), link(t.downloadBrowser, "#files", "btn btn-link")]);
      document.body.classList.add("fallback");
      break;
    case Codes.FORBIDDEN:
      notice("error", t.forbiddenTitle, t.forbiddenText, [button(t.tryAgain, onDownloadClick), link(t.downloadBrowser, "#files", "btn btn-link")]);
      document.body.classList.add("fallback");
      break;
    case Codes.DENIED:
      notice("error", t.trustDeniedTitle, t.trustDeniedText, [link(t.downloadBrowser, "#files", "btn btn-link")]);
      document.body.classList.add("fallback");
      break;
    case Codes.NEEDS_APPROVAL:
      notice("warn", t.approvalTitle, t.approvalLate, [button(t.tryAgain, onDownloadClick), link(t.downloadBrowser, "#files", "btn btn-link")]);
      break;
    case Codes.IMPOSTOR: {
      const pairAgain = () => {
        forgetPairing();
        onDownloadClick();
      };
      notice("error", t.impostorTitle, t.impostorText, [button(t.tryAgain, onDownloadClick), button(t.pairAgain, pairAgain)]);
      break;
    }
    case Codes.INCOMPATIBLE:
      notice("error", t.incompatibleTitle, err.message);
      break;
    case "insufficient_space":
      notice("error", t.noSpaceTitle, t.noSpaceText(bytes(err.need, lang), bytes(err.free, lang)), [button(t.tryAgain, onDownloadClick)]);
      break;
    default:
      notice("error", t.errorTitle, err.message, [button(t.tryAgain, onDownloadClick)]);
  }
}

// browserName picks where the browser files the loopback permission, so
// the help names what the customer will see: Chrome 156 and later list it
// under "Apps on device", Chrome 142-155 and Edge under "Local network access".
function browserName() {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return "edge";
  const v = Number(/Chrome\/(\d+)/.exec(ua)?.[1] ?? 0);
  return v >= 156 ? "chrome156" : v > 0 ? "chrome" : "other";
}

// --- SDK: follow the job's events -------------------------------------------------
function follow(d) {
  download = d;
  $("download").disabled = true;
  $("total").hidden = false;
  $("open-helper").href = helper.statusUrl;
  $("open-helper").hidden = false;
  document.body.classList.add("helper-active");
  d.on("progress", render);
  d.on("state", render);
  d.on("file", render);
  d.on("refreshed", () => flash(t.renewed));
  d.on("error", (err) => notice("error", t.errorTitle, err.message));
  d.on("removed", () => {
    localStorage.removeItem(jobKey());
    reset();
  });
  render();
}

function onConnection({ state }) {
  document.body.classList.toggle("offline", state === "reconnecting");
  if (state === "reconnecting") notice("warn", t.reconnecting, t.reconnectingText);
  render();
}

function reset() {
  download = null;
  $("download").disabled = false;
  $("total").hidden = true;
  $("open-helper").hidden = true;
  document.body.classList.remove("helper-active");
  renderRows(null);
}

// --- Rendering -------------------------------------------------------------------
function showOrder() {
  $("order-id").textContent = order.id;
  const date = new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(order.created));
  $("order-meta").textContent = [t.archives(order.files.length), bytes(order.total, lang), t.orderedOn(date)].join(" · ");
  $("user").textContent = order.user;
  $("avatar").textContent = (order.user || "?").slice(0, 1).toUpperCase();
  renderRows(null);
}

function render() {
  const job = download?.info;
  if (!job) return;
  const f = fraction(job) || 0;
  setBar($("total-bar"), f, job.state);
  $("total-percent").textContent = percent(f);
  const parts = [t.of(bytes(job.done, lang), bytes(job.total, lang))];
  const moving = job.state === "running" && helper.state === "open"; // figures from a lost helper are stale
  if (moving && job.speed > 0) parts.push(speed(job.speed, lang));
  if (moving && job.eta >= 0) parts.push(t.left(duration(job.eta, lang)));
  $("total-bytes").textContent = parts.join(" · ");
  $("total").dataset.state = job.state;
  renderControls(job);
  renderRows(job);
  renderJobNotice(job);
}

function renderJobNotice(job) {
  if (helper?.state === "reconnecting") return;
  const n = job.files.length;
  switch (job.state) {
    case "completed":
      notice("ok", t.doneTitle, t.doneText(n, job.dir));
      break;
    case "paused":
      notice("info", t.pausedTitle, t.pausedText);
      break;
    case "waiting":
      notice("info", t.state.waiting, t.waitingText);
      break;
    case "failed": {
      const bad = job.files.filter((x) => x.state === "failed");
      const e = bad.find((x) => x.error)?.error;
      notice("error", t.failedTitle(bad.length), e ? (lang === "zh" && zhFileErrors[e.code]) || e.message : "");
      break;
    }
    case "canceled":
      notice("info", t.canceledTitle, t.canceledText);
      $("download").disabled = false;
      document.body.classList.remove("helper-active");
      break;
    default:
      hideNotice();
  }
}

// The page leaves removing a job, and its folder before it completed, to
// the helper's own status page.
const notHere = (a, state) => a === "remove" || (a === "open" && state !== "completed");

function renderControls(job) {
  const el = $("job-controls");
  // "open" is Download.openFolder, its label t.openFolder, its id job-openFolder.
  const want = helper.state !== "open" ? [] : jobActions(job.state, notHere).map((a) => (a === "open" ? "openFolder" : a));
  const key = want.join(",");
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(
    ...want.map((a) => {
      const b = button(t[a], () => act(a), a === "cancel" ? "btn btn-ghost" : "btn btn-secondary");
      b.id = `job-${a}`;
      return b;
    }),
  );
}

async function act(action) {
  try {
    await download[action]();
  } catch (err) {
    if (action === "openFolder") {
      notice("info", t.openFolder, err.message); // it names the folder
      return;
    }
    notice("error", t.errorTitle, err.message);
  }
}

// filesFilter: the customer's choice; null lets a long order show what
// matters now (files needing attention, else those at work).
let filesFilter = null;

function fileGroup(f) {
  if (!f) return "";
  if (f.state === "completed") return "done";
  if (f.state === "failed") return "failed";
  return f.state === "canceled" ? "" : "active";
}

function renderSummary(job) {
  const n = order.files.length;
  const counts = { all: n, active: 0, failed: 0, done: 0 };
  for (const f of job?.files ?? []) if (fileGroup(f)) counts[fileGroup(f)]++;
  const parts = job ? [t.filesSummary(counts.done, n)] : [t.archives(n)];
  if (counts.active) parts.push(t.filesActive(counts.active));
  if (counts.failed) parts.push(t.filesFailed(counts.failed));
  $("files-summary").textContent = parts.join(" · ");
  let filter = filesFilter ?? (n > 8 && counts.failed ? "failed" : n > 8 && counts.active ? "active" : "all");
  if (!job) filter = "all";
  const bar = $("files-filter");
  bar.hidden = !job;
  const key = `${filter}|${counts.active}|${counts.failed}|${counts.done}`;
  if (job && bar.dataset.key !== key) {
    bar.dataset.key = key;
    bar.replaceChildren(
      ...["all", "active", "failed", "done"].map((name) => {
        const b = button(`${t.filter[name]} ${counts[name]}`, () => {
          filesFilter = name;
          render();
        }, "chip");
        b.dataset.filter = name;
        b.setAttribute("aria-pressed", String(name === filter));
        return b;
      }),
    );
  }
  return filter;
}

function renderRows(job) {
  const tbody = $("rows");
  if (tbody.children.length !== order.files.length) {
    tbody.replaceChildren(...order.files.map(rowFor));
  }
  const filter = renderSummary(job);
  order.files.forEach((file, i) => {
    const row = tbody.children[i];
    const f = job?.files?.[i];
    row.hidden = filter !== "all" && fileGroup(f) !== filter;
    const frac = fraction(f) || 0;
    row.dataset.state = f?.state ?? "";
    setBar(row.querySelector(".bar"), frac, f?.state ?? "");
    row.querySelector(".pct").textContent = f ? percent(frac) : "";
    const status = row.querySelector(".status");
    status.textContent = f ? t.state[f.state] ?? f.state : "";
    status.className = `status pill pill-${f?.state ?? "none"}`;
    status.title = f?.error ? (lang === "zh" && zhFileErrors[f.error.code]) || f.error.message : "";
  });
}

function rowFor(file) {
  const tr = document.createElement("tr");
  tr.dataset.name = file.name;
  tr.innerHTML = `
    <td><div class="name"><span class="file-icon" aria-hidden="true"></span><span class="fname"></span></div></td>
    <td class="num size"></td>
    <td class="col-progress"><div class="progress-cell"><div class="bar"><span></span></div><span class="pct"></span></div></td>
    <td><span class="status pill"></span></td>
    <td class="link-cell"><a class="browser-link"></a></td>`;
  tr.querySelector(".fname").textContent = file.name;
  tr.querySelector(".size").textContent = bytes(file.size, lang);
  const a = tr.querySelector(".browser-link");
  a.href = `/download/${encodeURIComponent(file.name)}`; // signs on click
  a.textContent = t.browserLink;
  a.setAttribute("download", file.name);
  return tr;
}

// --- Notices ---------------------------------------------------------------------
function notice(kind, title, text, actions = []) {
  const n = $("notice");
  n.hidden = false;
  n.dataset.kind = kind;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  $("notice-text").hidden = !text;
  $("notice-actions").replaceChildren(...actions);
}

function hideNotice() {
  $("notice").hidden = true;
}

let flashTimer = 0;
function flash(text) {
  let el = document.querySelector(".flash");
  if (!el) {
    el = document.createElement("div");
    el.className = "flash";
    el.setAttribute("role", "status");
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => el.classList.remove("show"), 3000);
}

function button(text, onClick, cls = "btn btn-secondary") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

function link(text, href, cls, external = false) {
  const a = document.createElement("a");
  a.className = cls;
  a.href = href;
  a.textContent = text;
  if (external) {
    a.target = "_blank";
    a.rel = "noopener";
  }
  return a;
}

async function getJSON(url) {
  const res = await fetch(url, { cache: "no-store" });
  if (res.status === 401) location.assign("/login");
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}
