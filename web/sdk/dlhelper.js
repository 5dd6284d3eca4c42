// dlhelper.js — the portal SDK for dlhelper, the customer's local download
// helper. An ES module with no dependencies and no build step: serve it from
// your portal and `import { connect } from "/sdk/dlhelper.js"`.
//
//   const helper = await connect();                 // from a click handler
//   const dl = await helper.download({ name, files, refreshUrl });
//   dl.on("progress", p => bar.value = p.fraction);
//   dl.on("completed", job => …);
//
// README.md beside this file is the guide; dlhelper.d.ts has the types.

/** The ports dlhelper listens on, the first free one of them. */
export const DEFAULT_PORTS = Object.freeze([17315, 17316, 17317, 17318, 17319]);

/** The API version this SDK speaks. */
export const API_VERSION = 1;

/**
 * Error codes of HelperError the page branches on. API errors keep the
 * helper's own code ("invalid", "forbidden", "not_found", "conflict", …).
 */
export const Codes = Object.freeze({
  NOT_RUNNING: "not_running", // no helper answered, even after trying to launch it
  PERMISSION_DENIED: "permission_denied", // the browser blocks this site from the helper
  NEEDS_GESTURE: "needs_gesture", // asking would show a permission prompt: call from a click
  FORBIDDEN: "forbidden", // the helper runs but does not trust this portal's origin (yet)
  PROMPT_DISMISSED: "prompt_dismissed", // the customer closed the browser's permission prompt without choosing
  LAUNCH_STOPPED: "launch_stopped", // the page stopped waiting for the helper to start (options.signal)
  NEEDS_APPROVAL: "needs_approval", // the helper asked its user whether to trust this site, and the answer has not come (yet)
  DENIED: "denied", // the helper's user chose not to trust this site
  IMPOSTOR: "impostor", // a program answers on the helper's port but cannot prove it is the helper this site paired with
  INCOMPATIBLE: "incompatible", // the helper speaks another API version
  DISCONNECTED: "disconnected", // the helper stopped answering during a request
  REFRESH_FAILED: "refresh_failed", // refreshUrl threw or gave no URL
  FAILED: "failed", // wait(): the job ended with failed files
  CANCELED: "canceled", // wait(): the job was canceled
  UPDATE_NEEDED: "update_needed", // connect({minVersion}): the helper is older; error.helper.update() updates it
});

/** An error the page can explain: `code` is one of Codes or an API code. */
export class HelperError extends Error {
  constructor(code, message, { status = 0, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "HelperError";
    this.code = code;
    this.status = status;
  }
}

const JOB_KEYS = ["name", "folder", "connections", "sequential", "pageUrl"];
const FILE_KEYS = ["url", "name", "size", "sha256", "md5"];
const ENDED = new Set(["completed", "failed", "canceled"]);

const defaults = {
  ports: DEFAULT_PORTS,
  host: "127.0.0.1",
  base: "", // a known helper URL (the status page passes its own origin)
  timeout: 1500, // per probe; a probe that may show a permission prompt waits longer
  promptTimeout: 120000,
  launch: true, // try dlhelper:// when no helper answers
  launchUrl: "dlhelper://start",
  launchWait: 6000, // after this, onLaunchSlow; the wait itself ends only with a helper or options.signal
  onLaunch: null, // called before trying dlhelper://, to say "Starting dlhelper…"
  onLaunchSlow: null, // called once when the helper has not answered launchWait ms after dlhelper://
  signal: null, // an AbortSignal: the customer stopped waiting (throws launch_stopped)
  askApproval: true, // a helper that does not trust this site yet is asked to ask its user
  onNeedsApproval: null, // called when the helper's user is being asked: "Answer in dlhelper's window"
  approvalWait: 600000, // how long connect() waits for that answer before throwing needs_approval
  approvalPoll: 1000,
  reconnect: { min: 500, max: 10000 },
};

// --- Local Network Access ---------------------------------------------------

/**
 * The browser's verdict on this page reaching the helper: "granted",
 * "denied", "prompt", or "unsupported" (a browser without the permission,
 * where loopback is simply reachable).
 */
export async function permissionState() {
  if (!globalThis.navigator?.permissions?.query) return "unsupported";
  // Chrome 142 shipped the gate as "local-network-access"; later versions
  // split it and name the loopback part "loopback-network".
  for (const name of ["loopback-network", "local-network-access"]) {
    try {
      return (await navigator.permissions.query({ name })).state;
    } catch {
      // this browser does not know the name
    }
  }
  return "unsupported";
}

/** True while the page handles a user gesture (a click), or when unknown. */
function hasGesture() {
  const ua = globalThis.navigator?.userActivation;
  return ua ? ua.isActive : true;
}

function sameOrigin(base) {
  try {
    return new URL(base).origin === globalThis.location?.origin;
  } catch {
    return false;
  }
}

// Every request to the helper says where it goes: Chrome's Local Network
// Access then knows the loopback request is intended.
function helperFetch(url, init = {}) {
  return fetch(url, { cache: "no-store", ...init, targetAddressSpace: "loopback" });
}

// PROMPT_SEEN_MS: a probe that took this long while the permission was
// "prompt" had the browser's prompt in front of the customer.
const PROMPT_SEEN_MS = 400;

function promptDismissed() {
  return new HelperError(
    Codes.PROMPT_DISMISSED,
    "The browser asked whether this site may reach apps on this device, and the question was closed without an answer. " +
      "Try again and choose Allow.",
  );
}

function permissionDenied() {
  return new HelperError(
    Codes.PERMISSION_DENIED,
    "The browser does not allow this site to reach the download helper on this computer. " +
      "Allow \"local network\" (or \"apps on this device\") access for this site in the browser's site settings, then try again.",
  );
}

// --- Discovery ---------------------------------------------------------------

/**
 * connect finds a running helper and returns a Helper talking to it.
 *
 * It probes GET /v1/hello on each port with a short timeout. When none
 * answers it tries to start the helper through the dlhelper:// URL scheme
 * (only during a click) and probes again until it answers or the page's
 * `signal` aborts ("launch_stopped"; without a signal, for `launchWait` ms),
 * and otherwise throws HelperError "not_running" so the page can offer the
 * installer or plain links. While the browser would show a permission prompt it probes
 * only during a click, and throws "needs_gesture" otherwise.
 */
export async function connect(options = {}) {
  const o = { ...defaults, ...options, reconnect: { ...defaults.reconnect, ...options.reconnect } };
  const own = o.base && sameOrigin(o.base);
  const perm = own ? "unsupported" : await permissionState();
  if (perm === "denied") throw permissionDenied();
  if (perm === "prompt" && !hasGesture()) {
    throw new HelperError(
      Codes.NEEDS_GESTURE,
      "Reaching the download helper needs the browser's permission; call connect() from a click so the browser can ask.",
    );
  }
  const gesture = hasGesture();
  let found = await find(o, perm);
  // The customer may just have said no to the prompt: no use starting anything.
  if (found.kind === "none" && !own && (await permissionState()) === "denied") throw permissionDenied();
  if (found.kind === "none" && o.launch && gesture && !o.base) {
    o.onLaunch?.();
    launch(o.launchUrl);
    found = await waitFor(o);
  }
  if (found.kind === "error" && found.error.code === Codes.FORBIDDEN && o.askApproval && found.base) {
    await approval(found.base, o);
    found = await find(o, await permissionState());
  }
  if (found.kind === "error") throw found.error;
  if (found.kind === "none") {
    throw new HelperError(Codes.NOT_RUNNING, "The download helper is not running on this computer (or is not installed).");
  }
  if (!own) await pairOnce(found.base);
  return checkVersion(new Helper(found.base, found.hello, o), o.minVersion);
}

// --- Orders by ticket ------------------------------------------------------------
//
// A ticket is a URL on the portal serving the order's manifest (API.md,
// "Orders by ticket"): dlhelper fetches the order itself and renews its
// links with the portal, so the order finishes after the tab closes, and
// the ticket can travel where the page cannot reach 127.0.0.1.

// Why the page could not reach the helper, when a dlhelper:// link can
// still carry the order: the browser blocks loopback, or no helper answered.
const LINK_CODES = new Set([Codes.PERMISSION_DENIED, Codes.PROMPT_DISMISSED, Codes.NOT_RUNNING, Codes.LAUNCH_STOPPED]);

/**
 * handOver gives dlhelper an order by ticket and says which path it took:
 *   {path: "direct", helper, job, download}: the page reached the helper,
 *     which took the order (download follows its job; it renews links itself);
 *   {path: "link", link, reason}: the page could not reach the helper
 *     (reason is the HelperError code), so the order went by
 *     dlhelper://order; the portal's server hears its progress.
 * Call it from a click. Other connect() errors (denied, impostor, …) throw.
 */
export async function handOver(ticket, options = {}) {
  let helper;
  try {
    helper = await connect(options);
  } catch (err) {
    if (!LINK_CODES.has(err?.code)) throw err;
    const link = `dlhelper://order?ticket=${encodeURIComponent(ticket)}`;
    launch(link);
    return { path: "link", link, reason: err.code };
  }
  const res = await helper.request("POST", "/v1/orders", { ticket });
  const download = res?.job ? helper.attach(res.job.id) : null;
  return { path: "direct", helper, job: res?.job ?? null, download };
}

// --- Pairing -------------------------------------------------------------------
//
// Another user of the computer could start a program on the helper's port
// before the helper, and receive the order's links. So on its first visit
// the page pairs: the helper gives it a secret (one per portal), kept here
// in localStorage. On every later visit the page sends /v1/hello a random
// challenge and accepts only a helper that answers with
// HMAC-SHA256(secret, "dlhelper pairing v1\n" + origin + "\n" + challenge).
// A program that cannot is reported as Codes.IMPOSTOR and gets no job.

const PAIRING_KEY = "dlhelper-pairing";

function loadSecret() {
  try {
    return globalThis.localStorage?.getItem(PAIRING_KEY) || "";
  } catch {
    return ""; // storage blocked: the page cannot pair, and proves nothing
  }
}

/**
 * forgetPairing drops this site's pairing, for a customer who reinstalled
 * dlhelper (a new helper has a new secret). Offer it only on the
 * customer's explicit request: the next helper found is trusted anew.
 */
export function forgetPairing() {
  try {
    globalThis.localStorage?.removeItem(PAIRING_KEY);
  } catch {
    // nothing stored
  }
}

// pairOnce asks a helper found without a pairing for this site's secret.
// A helper too old to pair is used unpaired.
async function pairOnce(base) {
  if (loadSecret() || !globalThis.crypto?.subtle) return;
  try {
    const res = await helperFetch(`${base}/v1/pair`, { method: "POST" });
    const body = await res.json().catch(() => null);
    if (res.ok && /^[0-9a-f]{64}$/.test(body?.secret ?? "")) globalThis.localStorage?.setItem(PAIRING_KEY, body.secret);
  } catch {
    // not paired this time; the next connect tries again
  }
}

function randomChallenge() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

async function expectedProof(secret, challenge) {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const msg = `dlhelper pairing v1\n${globalThis.location.origin}\n${challenge}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(msg)));
  return [...mac].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function impostor() {
  return new HelperError(
    Codes.IMPOSTOR,
    "A program on this computer answers in place of the download helper this site was set up with, so no download was handed to it. " +
      "Restart the computer, or ask its administrator who runs a program on port 17315. If you reinstalled the helper, choose \"pair again\".",
  );
}

function candidates(o) {
  if (o.base) return [o.base.replace(/\/+$/, "")];
  return o.ports.map((p) => `http://${o.host}:${p}`);
}

// find probes the candidates: one by one while a permission prompt may show
// (the first probe asks, the rest reuse the answer), else all at once. The
// lowest port that answers wins; an answer that refuses us beats silence.
async function find(o, perm) {
  const bases = candidates(o);
  const results = [];
  if (perm === "prompt") {
    for (const [i, b] of bases.entries()) {
      const r = await probe(b, i === 0 ? o.promptTimeout : o.timeout);
      if (r.kind === "ok") return r;
      results.push(r);
      if (i === 0 && (await permissionState()) === "denied") return { kind: "none" };
      // Still "prompt" after a probe that waited on a person: the prompt
      // was shown and closed with its ✕ (a helper that is not running
      // refuses at once, before any prompt).
      if (i === 0 && r.waited >= PROMPT_SEEN_MS && (await permissionState()) === "prompt") {
        return { kind: "error", error: promptDismissed() };
      }
    }
  } else {
    results.push(...(await Promise.all(bases.map((b) => probe(b, o.timeout)))));
  }
  return (
    results.find((r) => r.kind === "ok") ??
    results.find((r) => r.kind === "error") ??
    (results.some((r) => r.kind === "impostor") ? { kind: "error", error: impostor() } : { kind: "none" })
  );
}

async function probe(base, timeout) {
  const began = Date.now();
  const r = await probeOnce(base, timeout);
  return { ...r, waited: Date.now() - began };
}

async function probeOnce(base, timeout) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  // A paired page challenges every helper it finds (see Pairing).
  const secret = !sameOrigin(base) && globalThis.crypto?.subtle ? loadSecret() : "";
  const challenge = secret ? randomChallenge() : "";
  try {
    const res = await helperFetch(`${base}/v1/hello${challenge ? `?challenge=${challenge}` : ""}`, { signal: ctrl.signal });
    const body = await res.json().catch(() => null);
    if (res.ok && body?.app === "dlhelper") {
      if (body.api !== API_VERSION) {
        return {
          kind: "error",
          error: new HelperError(
            Codes.INCOMPATIBLE,
            `The download helper (version ${body.version}) speaks API ${body.api}, this page needs API ${API_VERSION}. Update dlhelper.`,
          ),
        };
      }
      if (secret && body.proof !== (await expectedProof(secret, challenge))) return { kind: "impostor", base };
      return { kind: "ok", base, hello: body };
    }
    // origin_not_allowed: a helper that reads this origin's refusal to it;
    // "forbidden" from helpers before it.
    if (body?.error?.code === "origin_not_allowed" || body?.error?.code === "forbidden") {
      return {
        kind: "error",
        base,
        error: new HelperError(
          Codes.FORBIDDEN,
          "The download helper is running but does not trust this site yet. Allow this site in the download helper, or install the helper from this site's download link; then try again.",
          { status: res.status },
        ),
      };
    }
    return { kind: "none" };
  } catch {
    return { kind: "none" }; // refused, timed out or blocked: nobody we can use
  } finally {
    clearTimeout(timer);
  }
}

// --- Approval ----------------------------------------------------------------
//
// A helper that does not trust this site yet can ask its own user, in its
// own window, never in this page (see API.md, "Trusting a portal"). The
// page asks with POST /v1/trust-requests, says "answer in dlhelper" through
// onNeedsApproval, and polls GET /v1/trust until the user allowed (connect
// then carries on by itself) or denied.

function denied() {
  return new HelperError(
    Codes.DENIED,
    "The download helper's user chose not to let this site use it. Download the files in the browser instead, or allow this site in the download helper's settings.",
    { status: 403 },
  );
}

function needsApproval() {
  return new HelperError(
    Codes.NEEDS_APPROVAL,
    "The download helper asked whether to trust this site and is still waiting for an answer in its own window. Answer there, then try again.",
  );
}

async function trustCall(base, method, path) {
  try {
    const res = await helperFetch(base + path, { method });
    return { res, body: await res.json().catch(() => null) };
  } catch {
    return { res: null, body: null };
  }
}

async function approval(base, o) {
  for (let asked = 0; ; asked++) {
    const { res, body } = await trustCall(base, "POST", "/v1/trust-requests");
    if (body?.state === "allowed") return;
    if (body?.error?.code === "trust_denied") throw denied();
    if (!res?.ok) {
      const msg = body?.error?.message ?? "The download helper runs but does not trust this site, and could not be asked to.";
      throw new HelperError(body?.error?.code ?? Codes.FORBIDDEN, msg, { status: res?.status ?? 0 });
    }
    if (asked === 0) o.onNeedsApproval?.({ base });
    const end = Date.now() + o.approvalWait;
    let state = "pending";
    while (state === "pending") {
      if (Date.now() >= end) throw needsApproval();
      await sleep(o.approvalPoll, o.signal);
      if (o.signal?.aborted) throw new HelperError(Codes.LAUNCH_STOPPED, "Stopped waiting for the answer in the download helper.");
      state = (await trustCall(base, "GET", "/v1/trust")).body?.state ?? "pending";
    }
    if (state === "allowed") return;
    if (state === "denied") throw denied();
    // "none": the question lapsed unanswered; ask once more.
    if (asked > 0) throw needsApproval();
  }
}

// waitFor probes until the launched helper answers. The browser may be
// showing its "Open dlhelper?" dialog, which waits for the customer, so
// this waits for the customer too: a page's options.signal ends it (its
// "Stop waiting" button), and onLaunchSlow says, once, that it takes
// long. Only a page that gives no signal has launchWait as a deadline.
async function waitFor(o) {
  const slowAt = Date.now() + o.launchWait;
  let slow = false;
  for (;;) {
    if (o.signal?.aborted) throw new HelperError(Codes.LAUNCH_STOPPED, "Stopped waiting for the download helper to start.");
    if (Date.now() >= slowAt && !slow) {
      slow = true;
      if (!o.signal) return { kind: "none" };
      o.onLaunchSlow?.();
    }
    await sleep(500, o.signal);
    const perm = await permissionState();
    if (perm === "denied") throw permissionDenied();
    const r = await find(o, perm);
    if (r.kind !== "none") return r;
  }
}

// launch asks the operating system to start the helper through its URL
// scheme. A hidden frame keeps the page where it is: an unknown scheme
// fails silently there instead of replacing the page with an error.
function launch(url) {
  if (!globalThis.document?.body) return;
  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.src = url;
  document.body.append(frame);
  setTimeout(() => frame.remove(), 3000);
}

const sleep = (ms, signal) =>
  new Promise((r) => {
    const timer = setTimeout(r, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), r()), { once: true });
  });

// --- Jobs as the stream tells them --------------------------------------------

// applyMessage returns the job after an event, as a new object; the old one
// is left as it was so listeners can compare.
function applyMessage(job, msg) {
  switch (msg.type) {
    case "job.added":
    case "job.state":
    case "job.completed":
    case "job.failed":
      return msg.info ?? job;
    case "job.progress": {
      if (!job) return job;
      const next = { ...job, ...msg.progress, files: job.files.slice() };
      for (const f of msg.files ?? []) {
        const old = next.files[f.index];
        if (old) next.files[f.index] = { ...old, done: f.done, size: f.size, speed: f.speed };
      }
      return next;
    }
    case "file.state":
    case "file.url_expired": {
      if (!job || !msg.file) return job;
      const files = job.files.slice();
      files[msg.file.index] = msg.file;
      return { ...job, files };
    }
  }
  return job;
}

/** The share of a job or file that is done, 0…1, or NaN while the size is unknown. */
export function fraction(x) {
  if (!x) return NaN;
  if (x.state === "completed") return 1;
  return x.total > 0 ? Math.min(1, x.done / x.total) : x.size > 0 ? Math.min(1, x.done / x.size) : NaN;
}

// --- Events -------------------------------------------------------------------

/**
 * The one emitter of the SDK: Helper and Download are EventTargets whose
 * events carry their data in `detail`, and on() hands a listener that
 * detail alone.
 */
class Emitter extends EventTarget {
  /** on(type, fn) calls fn(detail) for each event of type; it returns a function that stops it. */
  on(type, fn) {
    const h = (e) => fn(e.detail);
    this.addEventListener(type, h);
    return () => this.removeEventListener(type, h);
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// --- Client -------------------------------------------------------------------

/**
 * Client calls one helper's API at base (its origin), without an event
 * stream; Helper is a Client with one. It knows the API's paths, so a
 * page never writes one: the helper's own pages use it with
 * `new Client(location.origin)`, their session cookie going along. The
 * calls marked "helper's own pages" answer a portal 403 forbidden.
 */
export class Client extends Emitter {
  constructor(base) {
    super();
    this.base = base.replace(/\/+$/, "");
  }

  /**
   * request calls the helper's API and returns the decoded answer (null for
   * 204). API errors throw HelperError with the helper's code and message.
   */
  async request(method, path, body) {
    const init = { method };
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await helperFetch(this.base + path, init);
    } catch (e) {
      if ((await permissionState()) === "denied") throw permissionDenied();
      throw new HelperError(Codes.DISCONNECTED, "The download helper stopped answering. Check that it is running, then try again.", { cause: e });
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = data?.error ?? {};
      const he = new HelperError(err.code ?? `http_${res.status}`, err.message ?? `The helper answered HTTP ${res.status}.`, { status: res.status });
      // insufficient_space carries the bytes needed and free, for the page's own words.
      if (err.need) Object.assign(he, { need: err.need, free: err.free ?? 0 });
      throw he;
    }
    return data;
  }

  /** list returns every job the helper has. */
  async list() {
    const { jobs } = await this.request("GET", "/v1/jobs");
    return jobs;
  }

  /** job returns one job as it is now. */
  job(id) {
    return this.request("GET", jobPath(id));
  }

  pauseAll() {
    return this.request("POST", "/v1/pause");
  }

  resumeAll() {
    return this.request("POST", "/v1/resume");
  }

  /** jobAction asks a job to "pause", "resume", "cancel" or "retry", and returns it. */
  jobAction(id, action) {
    return this.request("POST", `${jobPath(id)}/${action}`);
  }

  /** openFolder shows a job's folder in the file manager (see Download.openFolder). */
  async openFolder(id) {
    await this.request("POST", `${jobPath(id)}/open`);
  }

  /** removeJob forgets a job; deleteFiles also deletes its files. */
  async removeJob(id, { deleteFiles = false } = {}) {
    await this.request("DELETE", `${jobPath(id)}${deleteFiles ? "?files=1" : ""}`);
  }

  /** setFileUrl hands the helper a fresh URL for a file whose link expired. */
  async setFileUrl(id, index, url) {
    await this.request("PUT", `${jobPath(id)}/files/${index}/url`, { url });
  }

  /** settings: {dir, connections, maxActiveFiles, rateLimit, free, chooseDir} (helper's own pages). */
  settings() {
    return this.request("GET", "/v1/settings");
  }

  /** saveSettings changes the settings named in changes (helper's own pages). */
  saveSettings(changes) {
    return this.request("PUT", "/v1/settings", changes);
  }

  /** chooseFolder opens the desktop's folder dialog: {chosen, dir} (helper's own pages). */
  chooseFolder() {
    return this.request("POST", "/v1/settings/dir/choose");
  }

  /** orders lists the orders taken by ticket: [{job, origin, error}] (helper's own pages). */
  async orders() {
    return (await this.request("GET", "/v1/orders"))?.orders ?? [];
  }

  /** trustRequests lists the portals asking to be trusted, each with its nonce (helper's own pages). */
  async trustRequests() {
    return (await this.request("GET", "/v1/trust-requests"))?.requests ?? [];
  }

  /** answerTrust answers a request from trustRequests(): "allow", "once" or "deny" (helper's own pages). */
  answerTrust(request, answer) {
    return this.request("POST", `/v1/trust-requests/${encodeURIComponent(request.id)}/decision`, { answer, nonce: request.nonce });
  }

  /** trusted lists the trusted portals: [{origin, until, allowed_at}] (helper's own pages). */
  async trusted() {
    return (await this.request("GET", "/v1/trusted"))?.portals ?? [];
  }

  /** untrust stops trusting a portal the user allowed (helper's own pages). */
  untrust(origin) {
    return this.request("DELETE", `/v1/trusted?origin=${encodeURIComponent(origin)}`);
  }
}

function jobPath(id) {
  return `/v1/jobs/${encodeURIComponent(id)}`;
}

// --- Helper -------------------------------------------------------------------

/**
 * A connection to one helper. It holds one WebSocket for all events,
 * reconnecting with backoff, and a table of every job as last reported.
 *
 * Events (addEventListener or on()): "connection" {state, attempt, delay},
 * "snapshot" {jobs}, "event" (each message of the stream), "job"
 * {id, job, previous, message} after any change of a job.
 */
export class Helper extends Client {
  #o;
  #ws = null;
  #attempt = 0;
  #timer = 0;
  #closed = false;
  #handles = new Map();
  /** Every job the helper reported, by id. */
  jobs = new Map();
  /** "connecting", "open", "reconnecting" or "closed". */
  state = "connecting";

  constructor(base, hello, options = {}) {
    super(base);
    this.version = hello?.version ?? "";
    this.#o = { ...defaults, ...options, reconnect: { ...defaults.reconnect, ...options.reconnect } };
    this.#onOnline = () => this.#attempt > 0 && this.#reconnectNow();
    globalThis.addEventListener?.("online", this.#onOnline);
    this.#open();
  }

  /**
   * A link that opens the helper's status page, for a "show all downloads"
   * link. The page needs a one-time login the helper mints for its own
   * user, so the link goes through the dlhelper:// scheme the installer
   * registers: the helper then opens the page, logged in.
   */
  get statusUrl() {
    return "dlhelper://status";
  }

  /**
   * download starts a job and returns its Download. Files keep any extra
   * fields the portal gives them (an object key, say); only url, name,
   * size, sha256 and md5 are sent, and refreshUrl gets the whole object back.
   */
  async download(spec) {
    if (!spec?.files?.length) throw new HelperError("invalid", "download() needs at least one file.");
    const body = pick(spec, JOB_KEYS);
    body.files = spec.files.map((f) => pick(f, FILE_KEYS));
    const info = await this.request("POST", "/v1/jobs", body);
    this.#store(info.id, this.jobs.get(info.id) ?? info, null);
    return this.attach(info.id, spec);
  }

  /**
   * attach returns the Download of a job that already exists (after a page
   * reload, say), with the same `files` and `refreshUrl` as download().
   */
  attach(id, { files, refreshUrl } = {}) {
    let d = this.#handles.get(id);
    if (!d) {
      d = new Download(this, id);
      this.#handles.set(id, d);
    }
    d._configure(files, refreshUrl);
    const job = this.jobs.get(id);
    if (job) d._update(null, job, null);
    else this.job(id).then((j) => this.#store(id, this.jobs.get(id) ?? j, null), (e) => d._error(e));
    return d;
  }

  /** close ends the event stream for good. */
  close() {
    this.#closed = true;
    clearTimeout(this.#timer);
    globalThis.removeEventListener?.("online", this.#onOnline);
    this.#ws?.close(1000);
    this.#setState("closed");
  }

  _forget(id) {
    this.#handles.delete(id);
  }

  _put(job) {
    this.#store(job.id, job, null);
  }

  #onOnline;

  #setState(state, extra = {}) {
    if (this.state === state && state !== "reconnecting") return;
    this.state = state;
    this._emit("connection", { state, ...extra });
  }

  #wsUrl() {
    return `${this.base.replace(/^http/, "ws")}/v1/events`;
  }

  #open() {
    if (this.#closed) return;
    let ws;
    try {
      ws = new WebSocket(this.#wsUrl());
    } catch {
      this.#retry();
      return;
    }
    this.#ws = ws;
    ws.onmessage = (e) => this.#onMessage(e.data);
    ws.onclose = () => {
      if (this.#ws === ws) this.#retry();
    };
  }

  // retry reconnects after a delay that doubles up to a cap, with jitter so
  // that many pages do not return at the same instant. Every third failure
  // probes the ports again, in case the helper came back on another one.
  #retry() {
    this.#ws = null;
    if (this.#closed) return;
    const { min, max } = this.#o.reconnect;
    const attempt = ++this.#attempt;
    const delay = Math.min(max, min * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
    this.#setState("reconnecting", { attempt, delay });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#reconnect(attempt), delay);
  }

  async #reconnect(attempt) {
    if (attempt % 3 === 0 && !this.#o.base) {
      const r = await find(this.#o, "granted").catch(() => ({ kind: "none" }));
      if (r.kind === "ok") this.base = r.base;
    }
    this.#open();
  }

  #reconnectNow() {
    if (this.#ws || this.#closed) return;
    clearTimeout(this.#timer);
    this.#open();
  }

  #onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg.type === "snapshot") {
      this.#snapshot(msg.jobs ?? []);
      return;
    }
    this._emit("event", msg);
    if (msg.type === "job.removed") {
      this.#remove(msg.job);
      return;
    }
    if (!msg.job) return;
    const prev = this.jobs.get(msg.job);
    const next = applyMessage(prev, msg);
    if (next) this.#store(msg.job, next, msg);
    else if (!prev && this.#handles.has(msg.job)) this.#refetch(msg.job);
  }

  // snapshot replaces the table after (re)connecting. What changed while the
  // stream was down — a completion, an expired link — is reported now.
  #snapshot(jobs) {
    this.#attempt = 0;
    this.#setState("open");
    const seen = new Set();
    for (const j of jobs) {
      seen.add(j.id);
      this.#store(j.id, j, null);
    }
    for (const id of [...this.jobs.keys()]) if (!seen.has(id) && !this.#handles.has(id)) this.#remove(id);
    // A followed job missing from the snapshot is gone only if the helper
    // says so: it may have been added while the snapshot was taken.
    for (const id of this.#handles.keys()) if (!seen.has(id)) this.#confirmGone(id);
    this._emit("snapshot", { jobs });
  }

  async #confirmGone(id) {
    try {
      this.#store(id, await this.job(id), null);
    } catch (e) {
      if (e?.code === "not_found") this.#remove(id);
    }
  }

  async #refetch(id) {
    try {
      this.#store(id, await this.job(id), null);
    } catch {
      // the next snapshot will tell
    }
  }

  #store(id, job, msg) {
    const prev = this.jobs.get(id) ?? null;
    this.jobs.set(id, job);
    this.#handles.get(id)?._update(prev, job, msg);
    this._emit("job", { id, job, previous: prev, message: msg });
  }

  #remove(id) {
    const prev = this.jobs.get(id) ?? null;
    this.jobs.delete(id);
    this.#handles.get(id)?._removed();
    this._emit("job", { id, job: null, previous: prev, message: { type: "job.removed", job: id } });
  }
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null && obj[k] !== "") out[k] = obj[k];
  return out;
}

// --- Download -------------------------------------------------------------------

/**
 * One job, as the page sees it. Events (on() or addEventListener):
 *   progress  {total, done, speed, eta, fraction, files}
 *   state     {state, previous, job}
 *   file      a file whose state changed
 *   completed the job, once each time it completes
 *   failed    the job, when it ends with failed files
 *   canceled  the job
 *   refreshed {index, name} after a fresh URL was handed over
 *   removed   the job left the helper
 *   error     a HelperError (a refreshUrl that failed, say)
 */
export class Download extends Emitter {
  #helper;
  #files = null;
  #refreshUrl = null;
  #refreshing = new Set(); // indexes whose refresh runs
  #expired = new WeakSet(); // file reports already answered with a refresh
  #announced = ""; // the end state last announced, so each is told once
  #wasRemoved = false;

  constructor(helper, id) {
    super();
    this.#helper = helper;
    this.id = id;
  }

  /** The job as last reported (null until known). */
  get info() {
    return this.#helper.jobs.get(this.id) ?? null;
  }

  get state() {
    return this.info?.state ?? "unknown";
  }

  pause() {
    return this.#act("pause");
  }

  resume() {
    return this.#act("resume");
  }

  cancel() {
    return this.#act("cancel");
  }

  retry() {
    return this.#act("retry");
  }

  /**
   * openFolder shows the job's folder in the user's file manager. It
   * rejects with HelperError "not_implemented" from a helper without a
   * desktop and "conflict" before the folder exists; both messages name
   * the folder, so a page can show it instead.
   */
  async openFolder() {
    await this.#helper.openFolder(this.id);
  }

  /** remove forgets the job in the helper; deleteFiles also deletes its files. */
  async remove({ deleteFiles = false } = {}) {
    await this.#helper.removeJob(this.id, { deleteFiles });
    this.#helper._forget(this.id);
  }

  /**
   * wait resolves with the job once it is completed, and rejects with
   * HelperError "failed" or "canceled" if it ends otherwise.
   */
  wait() {
    return new Promise((resolve, reject) => {
      const check = () => {
        const j = this.info;
        if (this.#wasRemoved) return done(reject, new HelperError("not_found", "The download was removed from the helper."));
        if (!j || !ENDED.has(j.state)) return;
        if (j.state === "completed") return done(resolve, j);
        done(reject, new HelperError(j.state === "failed" ? Codes.FAILED : Codes.CANCELED, endMessage(j), { cause: j }));
      };
      const offs = ["state", "completed", "failed", "canceled", "removed"].map((t) => this.on(t, check));
      const done = (fn, v) => {
        offs.forEach((off) => off());
        fn(v);
      };
      check();
    });
  }

  async #act(action) {
    const job = await this.#helper.jobAction(this.id, action);
    // While the stream is open its events are newer than this answer.
    if (job && this.#helper.state !== "open") this.#helper._put(job);
    return job;
  }

  _configure(files, refreshUrl) {
    if (files) this.#files = files;
    if (refreshUrl) this.#refreshUrl = refreshUrl;
  }

  _error(err) {
    this._emit("error", err);
  }

  _removed() {
    if (this.#wasRemoved) return;
    this.#wasRemoved = true;
    this._emit("removed", { id: this.id });
  }

  // _update tells listeners what changed between two reports of the job.
  _update(prev, job, msg) {
    this.#wasRemoved = false;
    const p = { total: job.total, done: job.done, speed: job.speed, eta: job.eta, fraction: fraction(job), files: job.files };
    if (!prev || msg?.type === "job.progress" || prev.done !== job.done || prev.total !== job.total) this._emit("progress", p);
    if (!prev || prev.state !== job.state) this._emit("state", { state: job.state, previous: prev?.state ?? null, job });
    for (const f of job.files) {
      const old = prev?.files?.[f.index];
      if (prev && old?.state !== f.state) this._emit("file", f);
      if (f.state === "url_expired") this.#refresh(f);
    }
    this.#announce(job);
  }

  // announce tells each end of the job once; a retry makes it tellable again.
  #announce(job) {
    if (!ENDED.has(job.state)) {
      this.#announced = "";
      return;
    }
    if (this.#announced === job.state) return;
    this.#announced = job.state;
    this._emit(job.state, job);
  }

  // refresh gets a fresh URL for an expired file from the portal and hands
  // it to the helper; the file then continues where it stopped.
  async #refresh(file) {
    // Progress events repeat a report that has not changed; one refresh per
    // report that says "expired" is enough.
    if (!this.#refreshUrl || this.#refreshing.has(file.index) || this.#expired.has(file)) return;
    this.#expired.add(file);
    this.#refreshing.add(file.index);
    try {
      for (let tries = 1; ; tries++) {
        try {
          const given = this.#files?.[file.index] ?? {};
          const arg = { ...given, index: file.index, name: given.name ?? file.name, path: file.path, job: this.id };
          const got = await this.#refreshUrl(arg);
          const url = typeof got === "string" ? got : got?.url;
          if (!url) throw new Error("refreshUrl gave no URL");
          await this.#helper.setFileUrl(this.id, file.index, url);
          if (this.#files?.[file.index]) this.#files[file.index] = { ...this.#files[file.index], url };
          this._emit("refreshed", { index: file.index, name: arg.name });
          return;
        } catch (e) {
          if (tries >= 3 || e?.code === "not_found") {
            this._emit("error", new HelperError(Codes.REFRESH_FAILED, `A fresh link for ${file.name} could not be had: ${e?.message ?? e}`, { cause: e }));
            return;
          }
          await sleep(1000 * 2 ** tries);
        }
      }
    } finally {
      this.#refreshing.delete(file.index);
    }
  }
}

function endMessage(job) {
  if (job.state === "canceled") return "The download was canceled.";
  const bad = job.files.filter((f) => f.state === "failed");
  const first = bad.find((f) => f.error)?.error?.message ?? "";
  return `${bad.length} of ${job.files.length} files failed. ${first}`.trim();
}

// --- Updates ------------------------------------------------------------------

/**
 * checkVersion throws "update_needed" when the helper is older than
 * minVersion ("1.4.0"), with the connected helper on the error so the page
 * can call error.helper.update(). A helper without a release version (a
 * development build) is never held too old.
 */
function checkVersion(helper, minVersion) {
  if (!minVersion || !olderThan(helper.version, minVersion)) return helper;
  const err = new HelperError(
    Codes.UPDATE_NEEDED,
    `This portal needs download helper ${minVersion} or newer; version ${helper.version} is installed. Update it (the page can ask it to update now), then try again.`,
  );
  err.helper = helper;
  throw err;
}

/** olderThan compares x.y.z versions; false when either is not one. */
export function olderThan(version, min) {
  const parse = (v) => /^v?(\d+)\.(\d+)\.(\d+)$/.exec(String(v ?? ""))?.slice(1).map(Number);
  const a = parse(version), b = parse(min);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/**
 * update asks the helper to check its update feed now and install a newer
 * version once no download runs; it restarts by itself and the page
 * reconnects. It resolves to {version, latest, state} (state: idle,
 * checking, downloading, waiting, restarting, failed); a helper built
 * without a feed throws "updates_off".
 */
Client.prototype.update = function update() {
  return this.request("POST", "/v1/update");
};

/** updateStatus reports where the helper's update stands, as update() does. */
Client.prototype.updateStatus = function updateStatus() {
  return this.request("GET", "/v1/update");
};
