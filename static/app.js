// Small progressive enhancements; every page works without them.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
});
// SLA countdowns on the holds list tick without a reload.
function span(ms) {
  const m = Math.floor(ms / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
  if (m < 1) return "just now";
  if (h < 1) return m + " min";
  if (d < 1) return h + " h " + (m % 60) + " min";
  return d + " d " + (h % 24) + " h";
}
function tickDue() {
  const now = Date.now();
  document.querySelectorAll("[data-due]").forEach((el) => {
    const left = Date.parse(el.dataset.due) - now;
    if (Number.isNaN(left)) return;
    el.textContent = left < 0 ? "overdue by " + span(-left) : "due in " + span(left);
    if (left < 0) el.closest("td")?.classList.add("age-bad");
  });
}
setInterval(tickDue, 30000);
// Bulk bars (the holds list, a reconciliation day's differences). A bar
// marked data-bulk="NAME" acts on the checkboxes named NAME: it shows while
// one is checked and says how many in its [data-bulk-count] ("1 hold
// selected", from data-one and data-many). A checkbox data-pick-all="NAME"
// checks or clears them all and shows whether some are; a button
// data-clear="NAME" clears them. Without scripts the bar always shows.
function bulkBoxes(name) {
  return [...document.querySelectorAll(`input[type="checkbox"][name="${name}"]`)];
}
function syncBulk() {
  document.querySelectorAll("[data-bulk]").forEach((bar) => {
    const boxes = bulkBoxes(bar.dataset.bulk);
    const n = boxes.filter((b) => b.checked).length;
    bar.classList.toggle("shown", n > 0);
    const title = bar.querySelector("[data-bulk-count]");
    if (title) title.textContent = n + " " + (n === 1 ? bar.dataset.one : bar.dataset.many) + " selected";
    document.querySelectorAll(`input[data-pick-all="${bar.dataset.bulk}"]`).forEach((all) => {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    });
  });
}
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.dataset.pickAll) bulkBoxes(el.dataset.pickAll).forEach((b) => { b.checked = el.checked; });
  if (el.matches('input[type="checkbox"]')) syncBulk();
});
document.addEventListener("click", (e) => {
  const name = e.target.closest("[data-clear]")?.dataset.clear;
  if (!name) return;
  bulkBoxes(name).forEach((b) => { b.checked = false; });
  syncBulk();
});
// A bulk action that sends or cancels payouts asks first: the chosen
// option's data-confirm, its {n} the selection ("Reject 2 holds?"). The
// others (escalate, reassign) go at once, as one hold's buttons do.
document.addEventListener("htmx:confirm", (e) => {
  const bar = e.detail.elt.querySelector?.("[data-bulk]");
  const ask = bar && e.detail.elt.querySelector("select[name=action]")?.selectedOptions[0]?.dataset.confirm;
  if (!ask) return;
  e.preventDefault();
  const n = bulkBoxes(bar.dataset.bulk).filter((b) => b.checked).length;
  if (window.confirm(ask.replace("{n}", n + " " + (n === 1 ? bar.dataset.one : bar.dataset.many)))) {
    e.detail.issueRequest(true);
  }
});
document.addEventListener("htmx:afterSettle", syncBulk);
syncBulk();
document.documentElement.classList.add("js");
// A secret shown once: selected whole on focus, and a Copy button.
document.addEventListener("focusin", (e) => {
  if (e.target.matches("input[data-select-all]")) e.target.select();
});
document.addEventListener("click", (e) => {
  const b = e.target.closest("button[data-copy]");
  const input = b && document.getElementById(b.dataset.copy);
  if (!input) return;
  input.select();
  const done = () => { b.textContent = "Copied"; };
  if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, () => {});
  else if (document.execCommand("copy")) done();
});
// A running job's rows replace themselves every second: a runs list someone
// opened stays open through the swap.
let openLists = [];
document.addEventListener("htmx:beforeSwap", () => {
  openLists = [...document.querySelectorAll("details[data-keep-open][open]")].map((d) => d.id);
});
document.addEventListener("htmx:afterSwap", () => {
  openLists.forEach((id) => document.getElementById(id)?.setAttribute("open", ""));
});
// A notice of what an action did (?done=) is said once: the address drops
// it, so a reload, a bookmark or a copied link does not say it again.
(() => {
  const url = new URL(location.href);
  if (!url.searchParams.has("done")) return;
  url.searchParams.delete("done");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
})();
// A page answering a post with something shown once (a new secret) names
// its own address: the address bar takes it, so a reload reads the page
// instead of sending the post again.
(() => {
  const address = document.body.dataset.address;
  if (address) history.replaceState(history.state, "", address);
})();
