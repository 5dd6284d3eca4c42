import { language } from "/sdk/format.js";
import { strings } from "./strings.js";

const lang = language();
const t = strings[lang];
document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
document.title = `${t.signIn} · ${t.brand}`;
for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t] ?? el.textContent;
document.getElementById("failed").hidden = !new URLSearchParams(location.search).has("failed");
