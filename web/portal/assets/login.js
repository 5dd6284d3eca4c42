import { language } from "/sdk/format.js";
import { $, translate } from "/sdk/ui.js";
import { strings } from "./strings.js";

const lang = language();
const t = strings[lang];
translate(t, lang);
document.title = `${t.signIn} · ${t.brand}`;
$("failed").hidden = !new URLSearchParams(location.search).has("failed");
