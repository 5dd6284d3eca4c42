// orders.js — on the status page, a line for every order fetched by ticket
// whose links dlhelper stopped renewing (the portal revoked it; see
// bridge/orders.go): the download waits for a link that will not come, and
// this says why and what to do.
import { Client } from "./sdk/dlhelper.js";
import { words } from "./trust.js";

const box = document.getElementById("orders-stopped");
const api = new Client(location.origin);

async function refresh() {
  const orders = await api.orders().catch(() => []);
  const stopped = orders.filter((o) => o.error);
  const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  const t = words(lang);
  box.replaceChildren(
    ...stopped.map((o) => {
      const p = document.createElement("p");
      p.className = "alert alert-error order-stopped";
      p.dataset.job = o.job;
      const name = document.querySelector(`.job[data-id="${CSS.escape(o.job)}"] .job-name`)?.textContent ?? o.origin;
      p.textContent = t.orderStopped(name);
      p.title = o.error; // the helper's own words, in English
      return p;
    }),
  );
  box.hidden = stopped.length === 0;
}

refresh();
setInterval(refresh, 5000);
