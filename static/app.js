// Small progressive enhancements; every page works without them.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
});
// "Select all" on the holds list.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (!el.matches("input[data-pick-all]")) return;
  const table = el.closest("table");
  if (table) table.querySelectorAll('tbody input[type="checkbox"][name="hold"]').forEach((b) => { b.checked = el.checked; });
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
// The bulk bar of a reconciliation day's differences: shown while one is
// selected, saying how many; "select all" and "clear" act on the page's.
function diffBoxes() {
  return [...document.querySelectorAll('input[name="diff"][form="bulk-resolve"]')];
}
function syncBulk() {
  const bar = document.getElementById("bulk-resolve");
  if (!bar) return;
  const boxes = diffBoxes();
  const n = boxes.filter((b) => b.checked).length;
  bar.classList.toggle("shown", n > 0);
  const title = document.getElementById("bulk-count");
  if (title) title.textContent = n === 1 ? "1 difference selected" : n + " differences selected";
  const all = document.getElementById("pick-all-diffs");
  if (all) {
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  }
}
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.matches("input[data-pick-all-diffs]")) diffBoxes().forEach((b) => { b.checked = el.checked; });
  if (el.matches('input[name="diff"], input[data-pick-all-diffs]')) syncBulk();
});
document.addEventListener("click", (e) => {
  if (!e.target.matches("[data-clear-diffs]")) return;
  diffBoxes().forEach((b) => { b.checked = false; });
  syncBulk();
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
