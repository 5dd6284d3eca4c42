// ticket.js — "Send to dlhelper": the order goes to dlhelper by ticket
// (bridge/API.md, "Orders by ticket"). dlhelper fetches it from the portal
// and renews its links itself, so the customer may close this tab. The SDK
// hands it over directly when the page reaches dlhelper, and through a
// dlhelper:// link otherwise (the browser blocks the page from it); the
// page then shows the progress dlhelper reports to the portal's server.
import { handOver, Codes, fraction } from "/sdk/dlhelper.js";
import { language, percent } from "/sdk/format.js";
import { $ } from "/sdk/ui.js";
import { strings } from "./strings.js";

const lang = language();
const t = strings[lang];

function notice(kind, title, text) {
  $("notice").hidden = false;
  $("notice").dataset.kind = kind;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  $("notice-text").hidden = !text;
  $("notice-actions").replaceChildren();
}

async function post(url) {
  const res = await fetch(url, { method: "POST", cache: "no-store" });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function onTicketClick() {
  const button = $("download-ticket");
  button.disabled = true;
  notice("busy", t.checking, t.checkingText);
  try {
    const config = await (await fetch("/api/config", { cache: "no-store" })).json();
    const ticket = await post("/api/tickets");
    const r = await handOver(ticket.ticket, {
      ports: config.helperPorts,
      onNeedsApproval: () => notice("busy", t.approvalTitle, t.approvalText),
    });
    // The path taken, for the customer and for tests.
    document.body.dataset.orderPath = r.path;
    document.body.dataset.orderLink = r.link ?? "";
    document.body.dataset.orderId = ticket.order;
    notice("ok", r.path === "direct" ? t.ticketDirectTitle : t.ticketLinkTitle, r.path === "direct" ? t.ticketDirectText : t.ticketLinkText);
    watch(ticket.order);
  } catch (err) {
    notice("error", err.code === Codes.DENIED ? t.trustDeniedTitle : t.errorTitle, err.code === Codes.DENIED ? t.trustDeniedText : err.message);
    button.disabled = false;
  }
}

// watch shows what dlhelper reports to the portal about the order.
async function watch(order) {
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const res = await fetch(`/api/orders/${encodeURIComponent(order)}`, { cache: "no-store" }).catch(() => null);
    const s = res?.ok ? await res.json().catch(() => null) : null;
    const p = s?.progress;
    if (!p) continue;
    document.body.dataset.orderState = p.state;
    if (p.error) {
      notice("error", t.ticketStoppedTitle, p.error);
      return;
    }
    $("notice-text").textContent = t.ticketProgress(percent(fraction(p) || 0), p.filesDone, p.files);
    $("notice-text").hidden = false;
    if (p.state === "completed") {
      $("notice-title").textContent = t.ticketDoneTitle;
      return;
    }
  }
}

$("download-ticket").addEventListener("click", onTicketClick);
