// trust.js — the portals dlhelper trusts and the questions of portals that
// ask to be (see bridge/trust.go). approve.html shows both; the status
// page's settings show the trusted portals (trusted-settings.js). Every
// call goes to the helper's own origin with the page's session cookie;
// the answers carry the one-time nonce the list gave for that question.
import { Client } from "./sdk/dlhelper.js";
import { bytes } from "./sdk/format.js";
import { zhApiErrors } from "./strings.js";
import { strings } from "./trust-strings.js";

export function words(lang) {
  return strings[lang] ?? strings.en;
}

/** api is the helper that served this page. */
export const api = new Client(location.origin);

export function errorText(err, lang) {
  return lang === "zh" ? (zhApiErrors[err.code] ?? words(lang).failed) : err.message;
}

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function when(iso, lang) {
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en");
}

/** pendingQuestions lists the open questions, each with its nonce. */
export function pendingQuestions() {
  return api.trustRequests();
}

/** answer sends the user's click: "allow", "once" or "deny". */
export function answer(q, choice) {
  return api.answerTrust(q, choice);
}

/**
 * renderQuestion builds one question's card; onAnswered(choice) runs after
 * the helper took the answer, onError(err) when it did not.
 */
export function renderQuestion(q, folder, lang, onAnswered, onError) {
  const t = words(lang);
  const card = el("section", { className: "job question" });
  card.dataset.origin = q.origin;
  card.append(el("h2", { className: "question-text", textContent: t.question(q.origin, folder) }));
  if (q.files > 0) card.append(el("p", { textContent: t.order(q.files, bytes(q.bytes ?? 0, lang)) }));
  card.append(el("p", { className: "muted", textContent: t.askedAt(when(q.asked_at, lang)) }));
  const actions = el("div", { className: "job-actions" });
  const choices = [
    ["allow", t.allow, "btn btn-primary"],
    ["once", t.allowOnce, "btn btn-secondary"],
    ["deny", t.deny, "btn btn-ghost"],
  ];
  for (const [choice, label, cls] of choices) {
    const b = el("button", { type: "button", className: cls, textContent: label });
    b.dataset.answer = choice;
    b.disabled = !q.nonce;
    b.addEventListener("click", async () => {
      for (const x of actions.querySelectorAll("button")) x.disabled = true;
      try {
        await answer(q, choice);
        onAnswered(choice);
      } catch (err) {
        onError(err);
      }
    });
    actions.append(b);
  }
  card.append(actions);
  return card;
}

/** renderTrusted fills list (a <ul>) with the trusted portals and Remove. */
export async function renderTrusted(list, lang, onMessage) {
  const t = words(lang);
  let portals;
  try {
    portals = await api.trusted();
  } catch (err) {
    onMessage(errorText(err, lang), true);
    return;
  }
  list.replaceChildren();
  if (!portals.length) list.append(el("li", { className: "muted trusted-none", textContent: t.trustedNone }));
  for (const p of portals) {
    const note =
      p.until === "config" ? t.byConfig : p.until === "session" ? t.untilRestart(when(p.allowed_at, lang)) : t.allowedSince(when(p.allowed_at, lang));
    const item = el("li", { className: "trusted-item" }, el("strong", { textContent: p.origin }), " ", el("small", { className: "muted", textContent: note }));
    item.dataset.origin = p.origin;
    item.dataset.until = p.until;
    if (p.until !== "config") {
      const b = el("button", { type: "button", className: "btn btn-ghost trusted-remove", textContent: t.remove });
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await api.untrust(p.origin);
          onMessage(t.removed(p.origin), false);
          await renderTrusted(list, lang, onMessage);
        } catch (err) {
          b.disabled = false;
          onMessage(errorText(err, lang), true);
        }
      });
      item.append(" ", b);
    }
    list.append(item);
  }
}
