// format.js — optional helpers to show sizes, speeds and times the way the
// status page does, in English or Chinese. No dependencies.

// Binary units with their IEC names, as dlhelper's tray and CLI write them
// (tray.FormatSize): the engine and the speed limit count in MiB, and "MiB"
// says what was divided by 1024.
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** bytes(1536) → "1.5 KiB"; unknown sizes (negative, NaN) → "—". */
export function bytes(n, lang = "en") {
  if (!(n >= 0)) return "—";
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 || n >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n)} ${UNITS[i]}`;
}

/** speed(2_500_000) → "2.4 MiB/s". */
export function speed(n, lang = "en") {
  return n > 0 ? `${bytes(n, lang)}/s` : "—";
}

/** duration(200) → "3 min 20 s" (English) or "3 分 20 秒" (Chinese); unknown → "". */
export function duration(s, lang = "en") {
  if (!(s >= 0) || !Number.isFinite(s)) return "";
  const zh = lang.startsWith("zh");
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), Math.floor(s % 60)];
  const u = zh ? { h: " 小时", m: " 分", s: " 秒" } : { h: " h", m: " min", s: " s" };
  if (h > 0) return `${h}${u.h} ${m}${u.m}`;
  if (m > 0) return m >= 10 ? `${m}${u.m}` : `${m}${u.m} ${sec}${u.s}`;
  return `${Math.max(1, sec)}${u.s}`;
}

/** percent(0.423) → "42%"; never shows 100% before the end. */
export function percent(f) {
  if (!(f >= 0)) return "";
  const p = f >= 1 ? 100 : Math.min(99, Math.floor(f * 100));
  return `${p}%`;
}

/**
 * language picks "zh" or "en" from ?lang=, then the browser's languages
 * (the first Chinese or English one wins).
 */
export function language() {
  const q = new URLSearchParams(globalThis.location?.search ?? "").get("lang");
  if (q === "zh" || q === "en") return q;
  for (const l of globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? "en"]) {
    const low = String(l).toLowerCase();
    if (low.startsWith("zh")) return "zh";
    if (low.startsWith("en")) return "en";
  }
  return "en";
}
