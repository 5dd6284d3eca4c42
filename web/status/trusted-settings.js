// trusted-settings.js — the trusted portals in the status page's settings,
// with Remove (see trust.js). It fills its own part of the dialog each
// time the dialog opens, in the page's current language.
import { words, renderTrusted } from "./trust.js";

const list = document.getElementById("trusted-portals");
const title = document.getElementById("trusted-title");
const note = document.getElementById("trusted-message");

function show() {
  const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  title.textContent = words(lang).trustedTitle;
  note.hidden = true;
  renderTrusted(list, lang, (text, isError) => {
    note.textContent = text;
    note.className = isError ? "alert alert-error" : "alert alert-ok";
    note.hidden = false;
  });
}

document.getElementById("open-settings").addEventListener("click", show);
