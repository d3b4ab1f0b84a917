// The colour theme: light, dark, or as the system says (the default). Loaded
// blocking in the <head> so the theme is on <html> before the first paint (no
// light flash on a dark screen); a static file, as the Content-Security-Policy
// runs no inline script. Tabler themes everything under data-bs-theme.
(function () {
  "use strict";
  var KEY = "admin-theme";
  var CHOICES = ["system", "light", "dark"];
  var root = document.documentElement;
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function chosen() {
    var value = null;
    try {
      value = window.localStorage.getItem(KEY);
    } catch (error) {
      value = null; // storage refused (private mode, a policy): follow the system
    }
    return CHOICES.indexOf(value) >= 0 ? value : "system";
  }

  function apply() {
    var choice = chosen();
    var theme = choice === "system" ? (dark && dark.matches ? "dark" : "light") : choice;
    root.setAttribute("data-bs-theme", theme);
    root.setAttribute("data-theme-choice", choice);
    var select = document.getElementById("theme-choice");
    if (select) select.value = choice;
  }

  function remember(choice) {
    try {
      if (choice === "system") window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, choice);
    } catch (error) {
      // Not remembered; this page still switches.
    }
    apply();
  }

  apply();
  root.classList.add("theme-script");
  if (dark) {
    var follow = function () { apply(); };
    if (dark.addEventListener) dark.addEventListener("change", follow);
    else if (dark.addListener) dark.addListener(follow);
  }
  // Another tab of this browser changed it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) apply();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("theme-choice");
    if (!select) return;
    select.value = chosen();
    select.addEventListener("change", function () { remember(select.value); });
  });
})();
