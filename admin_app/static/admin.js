// The admin's own behaviour, kept out of the pages so that a strict
// Content-Security-Policy can forbid inline scripts. Pages work without it.
(function () {
  "use strict";

  // Datetimes are rendered in UTC with the zone named; show them in the
  // reader's own time zone, naming it, and keep the UTC text as a tooltip.
  var localFormat = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
    timeZoneName: "short",
  });

  function showLocalTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = el.textContent.trim();
      el.textContent = localFormat.format(when);
      el.removeAttribute("data-local-time");
    });
  }

  // A line under the page title that says what an action started, for
  // actions that do not load a new page (a CSV download).
  function announce(text) {
    var box = document.getElementById("flash-messages");
    if (!box) {
      box = document.createElement("div");
      box.id = "flash-messages";
      box.className = "col-12 order-first";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      var row = document.querySelector(".page-body .row");
      if (!row) return;
      row.prepend(box);
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-info mb-2 flash-message";
    alert.textContent = text;
    box.replaceChildren(alert);
  }

  function onExportClick(event) {
    var link = event.target.closest("a[data-export-count]");
    if (!link) return;
    announce(
      "Exporting " + link.dataset.exportCount + " to CSV. " +
      "Your browser shows the download as it arrives."
    );
  }

  document.addEventListener("click", onExportClick);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      showLocalTimes(document);
    });
  } else {
    showLocalTimes(document);
  }
})();
