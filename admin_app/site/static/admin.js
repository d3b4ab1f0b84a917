// The admin's own script: a static file, so the Content-Security-Policy can
// forbid inline scripts. Every page works without it; it only saves clicks.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var unsafe = /^(POST|PUT|PATCH|DELETE)$/i;

  // SQLAdmin's own requests: the delete modal ($.ajax) and the import (fetch).
  if (window.jQuery) {
    window.jQuery.ajaxSetup({ headers: { "X-CSRF-Token": token } });
  }
  if (window.fetch) {
    var originalFetch = window.fetch;
    window.fetch = function (resource, init) {
      init = init || {};
      if (unsafe.test(init.method || "GET")) {
        var headers = new Headers(init.headers || {});
        headers.set("X-CSRF-Token", token);
        init.headers = headers;
      }
      return originalFetch.call(this, resource, init);
    };
  }

  function post(url) {
    var form = document.createElement("form");
    form.method = "POST";
    form.action = url;
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "csrf_token";
    input.value = token;
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  }

  // The `pks=` value naming the checked rows: keys joined by ",", with "%"
  // and "," inside a key written %25 and %2C (admin_app/model/keys.py).
  function checkedKeys() {
    var keys = [];
    document.querySelectorAll(".select-box:checked").forEach(function (box) {
      var key = box.parentElement.querySelector('input[type="hidden"]');
      if (key) keys.push(key.value.replace(/%/g, "%25").replace(/,/g, "%2C"));
    });
    return keys.join(",");
  }

  // SQLAdmin's "Delete selected items" joins the keys into its URL as they
  // are; after its handler runs, give the modal a URL that encodes them.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("#action-delete") : null;
    if (!link || !window.jQuery) return;
    var url = link.getAttribute("data-url") + "?pks=" + encodeURIComponent(checkedKeys());
    window.jQuery(link).data("url", url);
    window.jQuery("#modal-delete-button").attr("data-url", url);
  });

  // Actions change data, so they are POST only; SQLAdmin's menu and buttons
  // navigate with GET. Without this script a GET shows a confirmation page.
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest ? event.target.closest("a") : null;
      if (!link) return;
      var url = link.getAttribute("data-url");
      if (url && /^action-custom-/.test(link.id)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        // The list's filters, search and sort go along, so the bulk forms
        // lead back to the same list.
        var params = new URLSearchParams(location.search);
        params.delete("page");
        params.set("pks", checkedKeys());
        post(url + "?" + params.toString());
      } else if (/\/action\/[^/?]+\?/.test(link.getAttribute("href") || "")) {
        event.preventDefault();
        event.stopImmediatePropagation();
        post(link.href);
      } else if (/\/logout$/.test(link.pathname) && link.origin === location.origin) {
        event.preventDefault();
        post(link.href);
      }
    },
    true
  );

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

  // Flash messages are plain alerts at the top of the page (flash.html); an
  // action that loads no new page (a CSV download) says what it started there.
  function announce(text) {
    var box = document.getElementById("flash-messages");
    if (!box) {
      var row = document.querySelector(".page-body .row");
      if (!row) return;
      box = document.createElement("div");
      box.id = "flash-messages";
      box.className = "col-12 order-first";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      row.prepend(box);
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-info mb-2 flash-message";
    alert.textContent = text;
    box.replaceChildren(alert);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-export-count]") : null;
    if (!link) return;
    announce(
      "Exporting " + link.dataset.exportCount + " to " +
      (link.dataset.exportFormat || "CSV") + ". " +
      "Your browser shows the download as it arrives."
    );
  });

  // The delete confirmation of the trash icon and the details page: before
  // anything is deleted, say what goes with the row and what blocks it, from
  // the check the server runs again on delete (the bulk-delete page's).
  if (window.jQuery && window.fetch) {
    window.jQuery(document).on("shown.bs.modal", "#modal-delete", function () {
      var button = document.getElementById("modal-delete-button");
      var text = document.getElementById("modal-delete-text");
      var url = button ? button.getAttribute("data-url") || "" : "";
      if (!text || !/\/delete\?/.test(url)) return;
      button.disabled = true;
      fetch(url.replace(/\/delete\?/, "/bulk-delete?"), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (found) {
          button.disabled = Boolean(found && found.blocked);
          if (!found) return;
          found.effects.forEach(function (effect) {
            var line = document.createElement("div");
            line.className = "delete-effect" + (effect.rule === "block" ? " text-danger" : "");
            line.textContent = effect.sentence;
            text.appendChild(line);
          });
        })
        .catch(function () { button.disabled = false; });
    });
  }

  // The list's search runs on Enter (or its button) only. SQLAdmin's script
  // reloads the page a second after any key is released in the box, Tab
  // included, so a keyboard user tabbing on from it never reached the filters.
  function searchOnEnterOnly() {
    var search = document.getElementById("search-input");
    if (!search) return;
    search.setAttribute("data-search-auto-submit", "false");
    search.setAttribute("aria-label", search.getAttribute("placeholder") || "Search");
    // "/" anywhere but in a field puts the caret in the search box.
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
      if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      search.focus();
      search.select();
    });
  }

  // Bulk edit: giving a field a value ticks its "Change" box (a value in an
  // unticked row is kept out of the change, and was an easy slip).
  function tickChangedFields() {
    var apply = document.getElementById("apply-bulk");
    if (!apply || !apply.form) return;
    ["input", "change"].forEach(function (type) {
      apply.form.addEventListener(type, function (event) {
        var target = event.target;
        if (target.name === "fields" || !target.closest) return;
        var row = target.closest("tr");
        var box = row ? row.querySelector('input[name="fields"]') : null;
        if (box) box.checked = true;
      });
    });
  }

  // A large file takes a while to check: the import form posts with fetch,
  // asking for the server's progress lines (site/import_progress.py), shows
  // them in a progress bar, then shows the preview page the last line holds.
  // Without this script the form posts as any form does.
  function importWithProgress() {
    var form = document.getElementById("import-form");
    var input = document.getElementById("import-file");
    if (!form || !input || !window.fetch || !window.TextDecoder) return;
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) return;
      event.preventDefault();
      var box = document.getElementById("import-progress-box");
      var bar = document.getElementById("import-progress");
      var text = document.getElementById("import-progress-text");
      var button = document.getElementById("preview-import");
      var number = new Intl.NumberFormat();
      var total = null;
      box.hidden = false;
      button.disabled = true;
      text.textContent = "Uploading " + file.name + "…";
      if (/\.csv$/i.test(file.name) && file.text) {
        file.text().then(function (content) {
          var lines = content.split("\n").length - 1;
          total = Math.max(lines - 1, 1); // the header is no row
        });
      }
      function show(page) {
        document.open();
        document.write(page);
        document.close();
      }
      function handle(line) {
        if (!line) return;
        var message = JSON.parse(line);
        if (message.html !== undefined) {
          show(message.html);
          return;
        }
        if (total) {
          bar.max = total;
          bar.value = Math.min(message.rows, total);
          text.textContent = "Checked " + number.format(message.rows) +
            " of about " + number.format(total) + " rows…";
        } else {
          text.textContent = "Checked " + number.format(message.rows) + " rows…";
        }
      }
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/x-ndjson" },
        credentials: "same-origin",
      })
        .then(function (response) {
          var type = response.headers.get("content-type") || "";
          if (type.indexOf("application/x-ndjson") !== 0 || !response.body) {
            return response.text().then(show);
          }
          text.textContent = "Checking the rows…";
          var reader = response.body.getReader();
          var decoder = new TextDecoder();
          var buffered = "";
          function pump() {
            return reader.read().then(function (chunk) {
              if (chunk.done) return;
              buffered += decoder.decode(chunk.value, { stream: true });
              var lines = buffered.split("\n");
              buffered = lines.pop();
              lines.forEach(handle);
              return pump();
            });
          }
          return pump();
        })
        .catch(function () {
          text.textContent = "The preview did not finish: upload the file again.";
          button.disabled = false;
        });
    });
  }

  function ready() {
    showLocalTimes(document);
    searchOnEnterOnly();
    tickChangedFields();
    importWithProgress();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
