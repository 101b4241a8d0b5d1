// The ALTCHA widget (vendor/altcha, built without bundled workers for the strict Content
// Security Policy) solves the proof of work in a worker served from our own static files;
// the page names the worker's address on the widget (kongres/registration/antibot.py).
const widget = document.querySelector("altcha-widget[data-worker]");
if (widget && globalThis.$altcha) {
  const url = widget.dataset.worker;
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(url));
}
