// approve.js — the approval page: where dlhelper's user answers a portal
// that asks to be trusted. The helper opens it, logged in, when a portal
// asks; it cannot be framed (CSP frame-ancestors 'none'), so no page can
// lay it under its own buttons.
import { language } from "./sdk/format.js";
import { $, translate } from "./sdk/ui.js";
import { api, words, pendingQuestions, renderQuestion, renderTrusted, errorText } from "./trust.js";

let lang = (() => {
  const saved = localStorage.getItem("dlhelper-lang");
  return saved === "zh" || saved === "en" ? saved : language();
})();
let shown = 0; // questions on screen; while none, the page looks again now and then

function applyWords() {
  translate(words(lang), lang);
}

function message(text, isError) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "alert alert-error" : "alert alert-ok";
  m.hidden = false;
}

async function folder() {
  const s = await api.settings().catch(() => null);
  return s?.dir ?? "";
}

async function load() {
  let qs;
  try {
    qs = await pendingQuestions();
  } catch (err) {
    message(errorText(err, lang), true);
    return;
  }
  const dir = qs.length ? await folder() : "";
  const t = words(lang);
  $("questions").replaceChildren(
    ...qs.map((q) =>
      renderQuestion(
        q,
        dir,
        lang,
        (choice) => {
          message(choice === "deny" ? t.denied(q.origin) : choice === "once" ? t.allowedOnce(q.origin) : t.allowed(q.origin), false);
          document.body.dataset.answered = choice;
          load();
        },
        (err) => {
          message(errorText(err, lang), true);
          load(); // a fresh nonce
        },
      ),
    ),
  );
  shown = qs.length;
  $("none").hidden = qs.length > 0;
  await renderTrusted($("trusted"), lang, message);
  document.body.dataset.ready = "true";
}

$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("dlhelper-lang", lang);
  applyWords();
  load();
});
applyWords();
load();
setInterval(() => shown === 0 && load(), 3000);
