// ui.js — optional helpers for a page that shows dlhelper's downloads: the
// ones the helper's status page and the demo portal share, so the two look
// up elements, say their words and draw bars and buttons the same way. No
// dependencies; the DOM ones need a document.

/** $("id") is document.getElementById("id"). */
export const $ = (id) => document.getElementById(id);

/**
 * translate puts the page in lang ("zh" or "en"): every element with
 * data-t="key" gets the text t[key], every data-t-title="key" the tooltip.
 * Keys whose value is not a string (a function of numbers, say) are left
 * for the page to fill.
 */
export function translate(t, lang) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-t]")) {
    const v = t[el.dataset.t];
    if (typeof v === "string") el.textContent = v;
  }
  for (const el of document.querySelectorAll("[data-t-title]")) {
    const v = t[el.dataset.tTitle];
    if (typeof v === "string") el.title = v;
  }
}

/**
 * setBar fills a bar (an element whose first child is the fill) to the
 * share f (0…1; unknown, NaN, draws empty) and marks it with the state,
 * which the page's style colours.
 */
export function setBar(bar, f, state) {
  bar.dataset.state = state;
  bar.firstElementChild.style.width = `${(f >= 0 ? Math.min(1, f) : 0) * 100}%`;
}

/**
 * JOB_ACTIONS: what a job in each state can be asked to do. "open" shows
 * its folder, "remove" forgets it (Download.openFolder, Download.remove);
 * the others are the Download methods of the same name.
 */
export const JOB_ACTIONS = Object.freeze({
  queued: ["pause", "cancel"],
  running: ["pause", "cancel"],
  waiting: ["pause", "cancel"],
  paused: ["resume", "cancel"],
  failed: ["retry", "open", "remove"],
  canceled: ["remove"],
  completed: ["open", "remove"],
});

/**
 * jobActions lists the buttons a job in state offers, in order, leaving
 * out what the page does not offer (skip: actions, or a function of the
 * action and the state that says which to leave out).
 */
export function jobActions(state, skip = () => false) {
  const leave = typeof skip === "function" ? skip : (a) => skip.includes(a);
  return (JOB_ACTIONS[state] ?? []).filter((a) => !leave(a, state));
}
