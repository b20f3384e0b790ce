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
document.documentElement.classList.add("js");
// A running job's rows replace themselves every second: a runs list someone
// opened stays open through the swap.
let openLists = [];
document.addEventListener("htmx:beforeSwap", () => {
  openLists = [...document.querySelectorAll("details[data-keep-open][open]")].map((d) => d.id);
});
document.addEventListener("htmx:afterSwap", () => {
  openLists.forEach((id) => document.getElementById(id)?.setAttribute("open", ""));
});
