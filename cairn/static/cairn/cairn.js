// Cairn's small script: HTMX settings, the CSRF token on every HTMX request, and the few
// behaviours pages ask for with data- attributes (the Content Security Policy allows no
// inline scripts or onclick= handlers, so every page's behaviour lives here).
if (window.htmx) {
  // htmx would add a <style> element for its indicators, which the policy refuses: their
  // rules are in cairn.css. Set before htmx starts (at DOMContentLoaded; this file is deferred).
  htmx.config.includeIndicatorStyles = false;
}
document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) {
    // Swap form errors (422) and conflicts (409) in place; other errors show a message.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
  }
});
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("htmx-error");
  if (!box) return;
  const status = event.detail.xhr.status;
  box.textContent = status === 403
    ? "You cannot change this: your role is read-only here."
    : "That did not work (error " + status + "). Reload the page and try again.";
  box.hidden = false;
});

// <select data-autosubmit>: choosing an option sends its form (filters above lists).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
document.addEventListener("click", (event) => {
  // <input data-select-all readonly>: one click selects a link or token to copy.
  const copy = event.target.closest("[data-select-all]");
  if (copy) copy.select();
  // <a data-go-back>: back to the page before, as the browser's Back button does.
  const back = event.target.closest("[data-go-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
  // <a data-print>: the browser's print dialogue.
  const print = event.target.closest("[data-print]");
  if (print) {
    event.preventDefault();
    window.print();
  }
});
// <form data-confirm="Remove …?">: asks first; Cancel sends nothing.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
