// Types of dlhelper.js, the portal SDK for the dlhelper download helper.

/** The ports dlhelper listens on: 17315–17319, the first free one. */
export declare const DEFAULT_PORTS: readonly number[];
/** The helper API version this SDK speaks. */
export declare const API_VERSION: 1;

/** Error codes a page branches on; API errors keep the helper's own code. */
export declare const Codes: {
  /** No helper answered, even after trying to start it: offer the installer or plain links. */
  readonly NOT_RUNNING: "not_running";
  /** The browser's "loopback-network" permission is denied for this site. */
  readonly PERMISSION_DENIED: "permission_denied";
  /** Reaching the helper would show a permission prompt: call connect() from a click. */
  readonly NEEDS_GESTURE: "needs_gesture";
  /** The helper runs but does not trust this portal's origin (yet): not "not running". */
  readonly FORBIDDEN: "forbidden";
  /** The customer closed the browser's permission prompt without choosing: try again, choose Allow. */
  readonly PROMPT_DISMISSED: "prompt_dismissed";
  /** The page's options.signal ended the wait for a starting helper. */
  readonly LAUNCH_STOPPED: "launch_stopped";
  /** The helper asked its user whether to trust this site; no answer came within approvalWait. */
  readonly NEEDS_APPROVAL: "needs_approval";
  /** The helper's user chose not to trust this site: offer the plain links. */
  readonly DENIED: "denied";
  /**
   * A program answers on the helper's port but cannot prove it is the
   * helper this site paired with (another user may have taken the port):
   * no job is handed to it. Offer forgetPairing() only if the customer
   * says they reinstalled dlhelper.
   */
  readonly IMPOSTOR: "impostor";
  /** The helper speaks another API version. */
  readonly INCOMPATIBLE: "incompatible";
  /** The helper stopped answering during a request. */
  readonly DISCONNECTED: "disconnected";
  /** refreshUrl threw or gave no URL (three tries). */
  readonly REFRESH_FAILED: "refresh_failed";
  /** wait(): the job ended with failed files. */
  readonly FAILED: "failed";
  /** wait(): the job was canceled. */
  readonly CANCELED: "canceled";
  readonly UPDATE_NEEDED: "update_needed";
};

export type ErrorCode =
  | (typeof Codes)[keyof typeof Codes]
  | "invalid"
  | "not_found"
  | "conflict"
  | "too_large"
  | "unavailable"
  | "internal"
  | string;

export declare class HelperError extends Error {
  readonly name: "HelperError";
  /** What happened, for the page to branch on. */
  readonly code: ErrorCode;
  /** The HTTP status of an API error, else 0. */
  readonly status: number;
  /** A sentence for people (English). */
  readonly message: string;
}

export type PermissionState = "granted" | "denied" | "prompt" | "unsupported";

/** The browser's verdict on this page reaching the helper (Local Network Access). */
export declare function permissionState(): Promise<PermissionState>;

/** Drops this site's pairing with the helper (after a reinstall of dlhelper). */
export declare function forgetPairing(): void;

export interface ConnectOptions {
  /** Ports to probe (default DEFAULT_PORTS). */
  ports?: readonly number[];
  /** Host to probe (default "127.0.0.1"). */
  host?: string;
  /** A known helper URL instead of probing ports (the status page passes its own origin). */
  base?: string;
  /** Timeout of one probe in ms (default 1500). */
  timeout?: number;
  /** Timeout of a probe that may show the browser's permission prompt (default 120000). */
  promptTimeout?: number;
  /** Try to start the helper through its URL scheme when none answers (default true; only during a click). */
  launch?: boolean;
  /** The URL that starts the helper (default "dlhelper://start"). */
  launchUrl?: string;
  /**
   * After this many ms without an answer from a started helper, onLaunchSlow is called (default 6000).
   * Without a signal it is also the deadline; with one, the SDK waits for the customer.
   */
  launchWait?: number;
  /** The oldest helper version ("1.4.0") the page works with; an older one makes connect throw "update_needed", with the helper on error.helper. */
  minVersion?: string;
  /** Called just before the SDK tries to start the helper, to say "Starting dlhelper…". */
  onLaunch?: () => void;
  /** Called once when the started helper has not answered within launchWait: offer the installer beside the wait. */
  onLaunchSlow?: () => void;
  /** Ends the wait for a started helper (the page's "Stop waiting"): connect() throws launch_stopped. */
  signal?: AbortSignal;
  /** Reconnection backoff of the event stream, in ms (default {min: 500, max: 10000}). */
  reconnect?: { min?: number; max?: number };
  /** Ask a helper that does not trust this site yet to ask its user (default true); false throws forbidden at once. */
  askApproval?: boolean;
  /** Called when the helper is asking its user whether to trust this site: say "Answer in dlhelper's window". */
  onNeedsApproval?: (info: { base: string }) => void;
  /** How long connect() waits for the user's answer before throwing needs_approval (default 600000 ms). */
  approvalWait?: number;
  /** How often the answer is looked for, in ms (default 1000). */
  approvalPoll?: number;
}

/**
 * Finds a running helper. Call it from the click on "Download with helper":
 * while the browser would ask for permission it only probes during a click
 * (else HelperError "needs_gesture").
 * @throws HelperError not_running, permission_denied, prompt_dismissed, needs_gesture, forbidden, incompatible, launch_stopped,
 *   needs_approval, denied
 */
export declare function connect(options?: ConnectOptions): Promise<Helper>;

/** What handOver() did with the order. */
export type HandOver =
  | { path: "direct"; helper: Helper; job: JobInfo | null; download: Download | null }
  | { path: "link"; link: string; reason: "permission_denied" | "prompt_dismissed" | "not_running" | "launch_stopped" };

/**
 * Gives dlhelper an order by ticket (a URL on the portal serving the order's
 * manifest): directly when the page reaches the helper, else through a
 * dlhelper://order link. Call it from a click.
 * @throws HelperError as connect() does, except the codes that make it take the link
 */
export declare function handOver(ticket: string, options?: ConnectOptions): Promise<HandOver>;

/** The share of a job or file that is done, 0…1, or NaN while its size is unknown. */
export declare function fraction(x: JobInfo | FileInfo | null | undefined): number;

export type JobState = "queued" | "running" | "paused" | "waiting" | "completed" | "failed" | "canceled";
export type FileState =
  | "queued"
  | "downloading"
  | "verifying"
  | "paused"
  | "url_expired"
  | "completed"
  | "failed"
  | "canceled";

export interface FileError {
  /** url_expired, not_found, access_denied, network, disk_full, checksum_mismatch, … */
  code: string;
  /** What happened and what to do, in plain words (English). */
  message: string;
}

export interface FileInfo {
  index: number;
  name: string;
  /** Where the file is (or will be) on the customer's disk. */
  path: string;
  state: FileState;
  /** Bytes; -1 while unknown. */
  size: number;
  done: number;
  /** Bytes per second. */
  speed: number;
  error?: FileError;
}

export interface JobInfo {
  id: string;
  name: string;
  state: JobState;
  /** The job's folder on the customer's disk. */
  dir: string;
  sequential: boolean;
  /** The order's page, when the portal gave one. */
  pageUrl?: string;
  /** RFC 3339 time. */
  created: string;
  /** Bytes; -1 while unknown. */
  total: number;
  done: number;
  speed: number;
  /** Seconds; -1 while unknown. */
  eta: number;
  files: FileInfo[];
}

/** A file of a download. Extra fields (an object key, say) are kept for refreshUrl but not sent. */
export interface FileSpec {
  /** A presigned http(s) URL. */
  url: string;
  /** Relative path below the job's folder; may hold sub-folders, never "..". */
  name: string;
  /** When given, verified. */
  size?: number;
  sha256?: string;
  md5?: string;
  [portalField: string]: unknown;
}

/** What refreshUrl gets: the portal's own file object plus where it stands. */
export type ExpiredFile<F extends FileSpec = FileSpec> = F & {
  index: number;
  name: string;
  path: string;
  /** The job's id. */
  job: string;
};

export interface DownloadSpec<F extends FileSpec = FileSpec> {
  /** Shown to the customer. */
  name: string;
  /** Relative folder below the customer's download folder ("" for the folder itself). */
  folder?: string;
  files: F[];
  /** Connections per file (default: the helper's setting). */
  connections?: number;
  /** Fetch each file in order over one connection. */
  sequential?: boolean;
  /**
   * The order's page, linked from the helper's status page ("Open in
   * portal"): https, on the calling page's own origin, or the job is refused.
   */
  pageUrl?: string;
  /** Called when a file's link expired: return a fresh presigned URL for the same object. */
  refreshUrl?: (file: ExpiredFile<F>) => string | { url: string } | Promise<string | { url: string }>;
}

export interface ConnectionEvent {
  state: "connecting" | "open" | "reconnecting" | "closed";
  attempt?: number;
  /** ms until the next attempt */
  delay?: number;
}

export interface StreamMessage {
  type: string;
  job?: string;
  info?: JobInfo;
  file?: FileInfo;
  progress?: { total: number; done: number; speed: number; eta: number };
  files?: { index: number; done: number; size: number; speed: number }[];
}

export interface HelperEvents {
  connection: ConnectionEvent;
  snapshot: { jobs: JobInfo[] };
  event: StreamMessage;
  job: { id: string; job: JobInfo | null; previous: JobInfo | null; message: StreamMessage | null };
}

export interface Settings {
  dir?: string;
  connections?: number;
  maxActiveFiles?: number;
  /** Bytes per second, 0 for none. */
  rateLimit?: number;
  /** Free bytes on the download folder's disk. */
  free?: number;
  /** The helper can show its desktop's folder dialog (chooseFolder). */
  chooseDir?: boolean;
}

export interface TrustRequest {
  id: string;
  origin: string;
  /** One-time: answerTrust sends it back. */
  nonce: string;
  files?: number;
  bytes?: number;
  asked_at: string;
}

export interface TrustedPortal {
  origin: string;
  /** "config": allowed by the command line or config.json; "session": until the helper restarts. */
  until: string;
  allowed_at?: string;
}

export interface TicketOrder {
  job: string;
  origin: string;
  /** Why dlhelper stopped renewing the order's links, in English. */
  error?: string;
}

/**
 * The helper's API at one base URL, without an event stream (Helper is a
 * Client with one). The helper's own pages use `new Client(location.origin)`;
 * the calls marked "helper's own pages" answer a portal's page 403.
 */
export declare class Client extends EventTarget {
  constructor(base: string);
  /** The helper's URL, e.g. "http://127.0.0.1:17315". */
  readonly base: string;
  /** Calls the helper's HTTP API; errors throw HelperError. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  list(): Promise<JobInfo[]>;
  job(id: string): Promise<JobInfo>;
  pauseAll(): Promise<null>;
  resumeAll(): Promise<null>;
  /** Pauses, resumes, cancels or retries one job. */
  jobAction(id: string, action: "pause" | "resume" | "cancel" | "retry"): Promise<JobInfo>;
  /** Shows a job's folder in the file manager (see Download.openFolder). */
  openFolder(id: string): Promise<void>;
  /** Forgets a job; deleteFiles also deletes its files. */
  removeJob(id: string, options?: { deleteFiles?: boolean }): Promise<void>;
  /** A fresh URL for a file whose link expired. */
  setFileUrl(id: string, index: number, url: string): Promise<void>;
  /** Helper's own pages. */
  settings(): Promise<Settings>;
  /** Helper's own pages: changes only what it names (a new dir takes new orders only). */
  saveSettings(changes: Settings): Promise<Settings>;
  /** Helper's own pages: the desktop's folder dialog; the folder chosen applies at once. */
  chooseFolder(): Promise<{ chosen: boolean; dir?: string }>;
  /** Helper's own pages: the orders taken by ticket. */
  orders(): Promise<TicketOrder[]>;
  /** Helper's own pages: the portals asking to be trusted. */
  trustRequests(): Promise<TrustRequest[]>;
  /** Helper's own pages: the user's answer to a request. */
  answerTrust(request: TrustRequest, answer: "allow" | "once" | "deny"): Promise<unknown>;
  /** Helper's own pages: the trusted portals. */
  trusted(): Promise<TrustedPortal[]>;
  /** Helper's own pages: stops trusting a portal the user allowed (409 conflict for one from config). */
  untrust(origin: string): Promise<null>;
  /** Asks the helper to update now; it installs a newer version once no download runs, then restarts (the page reconnects). Throws "updates_off" for a build without an update feed. */
  update(): Promise<UpdateStatus>;
  /** Where the helper's update stands. */
  updateStatus(): Promise<UpdateStatus>;
}

export declare class Helper extends Client {
  readonly version: string;
  /** Every job as last reported by the event stream. */
  readonly jobs: Map<string, JobInfo>;
  /** The event stream: "connecting", "open", "reconnecting" or "closed". */
  readonly state: ConnectionEvent["state"];
  /**
   * "dlhelper://status": opens the helper's own status page through the
   * scheme the installer registers (the page needs a login the helper
   * mints; its bare address only says how to open it).
   */
  readonly statusUrl: string;

  on<K extends keyof HelperEvents>(type: K, fn: (detail: HelperEvents[K]) => void): () => void;
  /** Starts a job. */
  download<F extends FileSpec>(spec: DownloadSpec<F>): Promise<Download>;
  /** The Download of a job that already exists (after a page reload). */
  attach<F extends FileSpec>(id: string, options?: { files?: F[]; refreshUrl?: DownloadSpec<F>["refreshUrl"] }): Download;
  /** Ends the event stream for good. */
  close(): void;
}

export interface ProgressEvent {
  total: number;
  done: number;
  speed: number;
  eta: number;
  /** 0…1, NaN while unknown */
  fraction: number;
  files: FileInfo[];
}

export interface DownloadEvents {
  progress: ProgressEvent;
  state: { state: JobState; previous: JobState | null; job: JobInfo };
  file: FileInfo;
  completed: JobInfo;
  failed: JobInfo;
  canceled: JobInfo;
  refreshed: { index: number; name: string };
  removed: { id: string };
  error: HelperError;
}

export declare class Download extends EventTarget {
  readonly id: string;
  /** The job as last reported (null until known). */
  readonly info: JobInfo | null;
  readonly state: JobState | "unknown";
  on<K extends keyof DownloadEvents>(type: K, fn: (detail: DownloadEvents[K]) => void): () => void;
  pause(): Promise<JobInfo>;
  resume(): Promise<JobInfo>;
  cancel(): Promise<JobInfo>;
  retry(): Promise<JobInfo>;
  /** Shows the job's folder in the file manager; rejects with HelperError
   * "not_implemented" (no desktop) or "conflict" (no folder yet), whose
   * message names the folder. */
  openFolder(): Promise<void>;
  /** Forgets the job in the helper; deleteFiles also deletes what it downloaded. */
  remove(options?: { deleteFiles?: boolean }): Promise<void>;
  /** Resolves once completed; rejects with HelperError "failed" or "canceled". */
  wait(): Promise<JobInfo>;
}

/** The answer of GET and POST /v1/update. */
export interface UpdateStatus {
  version: string;
  latest?: string;
  state: "idle" | "checking" | "downloading" | "waiting" | "restarting" | "failed";
  error?: string;
}

/** The thrown HelperError of connect({minVersion}) when the helper is older. */
export interface UpdateNeededError extends HelperError {
  code: "update_needed";
  helper: Helper;
}

/** Whether version ("1.2.3") is older than min; false when either is not x.y.z. */
export declare function olderThan(version: string, min: string): boolean;
