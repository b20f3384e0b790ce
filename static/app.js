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
document.documentElement.classList.add("js");
