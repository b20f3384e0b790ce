// Small progressive enhancements; every page works without them.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
});
document.documentElement.classList.add("js");
