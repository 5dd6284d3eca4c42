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

/**
 * zhFileErrors says a file's error (FileError.code, downloader/errors.go)
 * in Chinese; the helper's own message is the English. One table for the
 * status page, the demo portal and any portal page.
 */
export const zhFileErrors = {
  url_expired: "下载链接已过期。请在门户中重新打开订单以更新链接；已下载的部分会保留。",
  not_found: "服务器上已没有此文件。请联系门户的技术支持。",
  access_denied: "服务器拒绝访问此文件。请在门户中重新打开订单以获取新链接。",
  http_error: "服务器返回了错误。请稍后重试，或联系门户的技术支持。",
  server_unavailable: "服务器暂时不可用。请稍后重试；已下载的部分会保留。",
  network: "下载多次失败。请检查网络连接，然后重试。",
  disk_full: "磁盘已满。请释放空间后继续下载；已下载的部分会保留。",
  read_only: "下载文件夹是只读的。请使其可写或选择其他文件夹，然后继续。",
  permission_denied: "下载助手无权写入下载文件夹。请修复权限后继续。",
  part_missing: "临时文件已被删除或移动。请重试以重新下载此文件。",
  checksum_mismatch: "下载的文件两次都与门户提供的校验值不符（下载助手已自动重新下载一次），两份都已删除。服务器上的文件可能已损坏，请联系门户的技术支持。",
  size_mismatch: "服务器上的文件大小与门户提供的不一致。请联系门户的技术支持。",
  object_changing: "服务器上的文件一直在变化。请稍后在门户中重新获取订单，然后重试。",
  disk_error: "写入文件失败。请检查磁盘后继续。",
  bad_response: "服务器返回的内容与请求的不符。请稍后重试；如持续出现，可能有代理在修改下载内容。",
  insufficient_space: "下载文件夹所在的磁盘空间不足，无法容纳此订单。请释放空间或选择其他下载文件夹，然后重新开始下载。",
  file_busy: "另一个程序（例如杀毒软件或搜索索引）一直占用此文件。请关闭该程序或稍等片刻，然后继续；已下载的部分会保留。",
  proxy_auth: "代理服务器要求用户名和密码，或拒绝了已设置的用户名和密码。请在下载助手的设置中填写代理的用户名和密码（或在代理地址中写明），然后重试。",
  redirect_refused: "服务器把下载转到了下载助手不允许访问的地址（本机、局域网链路或未允许的主机）。请联系门户的技术支持。",
  download_unstable: "同一文件的两次下载内容不同，且都与服务器的校验值不符，已被删除。请重试；如再次出现，可能是代理或网络在损坏下载内容。",
  certificate_untrusted: "服务器的证书不受信任。如果您的网络会检查 HTTPS 流量，需要在本机安装其证书；否则请联系门户的技术支持。",
  folder_unavailable: "无法访问下载文件夹：它所在的驱动器已被移除，或网络共享已断开。请插回驱动器或重新连接共享；文件夹恢复后下载助手会自动继续，已下载的部分会保留。",
};
