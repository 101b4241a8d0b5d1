// Sign-up forms of sessions (issue 18): sent in place, the answer put where the form was.
// Without this script the forms post and the page comes back (the same result).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-places-form]") || !window.fetch) return;
    var box = form.closest("[data-session-places]");
    if (!box) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
    })
      .then(function (response) {
        if (!response.ok && response.status !== 409) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("[data-session-places]");
        if (!fresh) throw new Error("no fragment");
        box.replaceWith(fresh);
        var focus = fresh.querySelector("[role=alert] button, form button, [role=status]");
        if (focus) {
          if (focus.matches("[role=status]")) focus.setAttribute("tabindex", "-1");
          focus.focus();
        }
      })
      .catch(function () {
        form.submit(); // the page way
      });
  });
})();
