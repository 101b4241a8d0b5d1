/* kongres — registration form, progressive enhancement only: the form works without it.
 * - questions asked only after a given answer ([data-depends-on]) are hidden until then
 *   (without this script they are all shown, each with a hint "answer only if …");
 * - the error summary gets the focus, and its links move the focus to their field;
 * - a second click on "send" while the first is under way is ignored. */
(function () {
  "use strict";

  function valuesOf(form, name) {
    var out = [];
    var inputs = form.querySelectorAll("[name]");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.name !== name) continue;
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) out.push(input.value);
      } else if (input.tagName === "SELECT" && input.multiple) {
        for (var j = 0; j < input.options.length; j++) {
          if (input.options[j].selected) out.push(input.options[j].value);
        }
      } else {
        out.push(input.value);
      }
    }
    return out;
  }

  function isAsked(form, wrapper, seen) {
    var parent = wrapper.getAttribute("data-depends-on");
    if (!parent || seen.indexOf(parent) !== -1) return true;
    if (valuesOf(form, parent).indexOf(wrapper.getAttribute("data-depends-value")) === -1) {
      return false;
    }
    var parentWrapper = document.getElementById("field-" + parent);
    if (parentWrapper && parentWrapper.hasAttribute("data-depends-on")) {
      return isAsked(form, parentWrapper, seen.concat([parent]));
    }
    return true;
  }

  function update(form) {
    var wrappers = form.querySelectorAll("[data-depends-on]");
    for (var i = 0; i < wrappers.length; i++) {
      wrappers[i].hidden = !isAsked(form, wrappers[i], []);
    }
  }

  function enhanceForm(form) {
    if (form.querySelector("[data-depends-on]")) {
      update(form);
      form.addEventListener("change", function () { update(form); });
      form.addEventListener("input", function () { update(form); });
    }
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending") === "1") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sending", "1");
    });
    window.addEventListener("pageshow", function () { form.removeAttribute("data-sending"); });
  }

  function enhanceSummary(summary) {
    summary.focus();
    var links = summary.querySelectorAll("a[href^='#']");
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener("click", function (event) {
        var target = document.getElementById(this.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        var wrapper = target.closest(".field") || target;
        wrapper.hidden = false;
        wrapper.scrollIntoView();
        target.focus({ preventScroll: true });
      });
    }
  }

  function init() {
    var forms = document.querySelectorAll("form.form");
    for (var i = 0; i < forms.length; i++) enhanceForm(forms[i]);
    var summary = document.getElementById("error-summary");
    if (summary) enhanceSummary(summary);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
