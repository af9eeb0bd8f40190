// Cairn's small script: HTMX settings and the CSRF token on every HTMX request.
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
