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

  // Datetimes are shown and typed in UTC, the zone named, on every page.
  // SQLAdmin's picker writes seconds without their leading zero ("21:11:9"):
  // write them with it, and put the existing value back in that format.
  function fixPickers(root) {
    root.querySelectorAll('[data-role="datetimepicker"]').forEach(function (el) {
      var picker = el._flatpickr;
      if (!picker) return;
      picker.set("dateFormat", "Y-m-d H:i:S");
      if (picker.selectedDates.length) picker.setDate(picker.selectedDates[0], false);
    });
  }

  // A many-to-many select (tags) as select2's searchable chips, so choosing
  // several needs no Ctrl-click; SQLAdmin loads select2 but uses it only for
  // large tables (data-role="select2-ajax"). Without script it stays a select.
  function chipPickers(root) {
    var $ = window.jQuery;
    if (!$ || !$.fn.select2) return;
    $(root).find("select[multiple]:not([data-role])").each(function () {
      var label = document.querySelector('label[for="' + this.id + '"]');
      $(this).select2({
        width: "100%",
        closeOnSelect: false,
        placeholder: "Type to choose" + (label ? " " + label.textContent.trim().toLowerCase() : ""),
      });
      // select2's chip box is a combobox of its own: it is named by the
      // select's label, as the select was.
      if (!label) return;
      label.id = label.id || this.id + "-label";
      $(this).next(".select2-container").find('[role="combobox"], .select2-search__field')
        .attr("aria-labelledby", label.id);
    });
  }

  // A History link beside each row's view / edit / delete icons, for staff
  // who may open the audit log (the list marks that with #row-history).
  function rowHistoryLinks() {
    var marker = document.getElementById("row-history");
    if (!marker) return;
    document.querySelectorAll("tbody tr").forEach(function (row) {
      var key = row.querySelector('td:first-child input[type="hidden"]');
      var icons = row.querySelector("td.text-end");
      if (!key || !icons || icons.querySelector(".row-history")) return;
      var params = new URLSearchParams({ table: marker.dataset.table, key: key.value });
      var link = document.createElement("a");
      link.className = "row-history";
      link.href = marker.dataset.url + "?" + params.toString();
      link.title = "History";
      link.setAttribute("aria-label", "History of row " + key.value);
      link.innerHTML = '<span class="me-1"><i class="fa-solid fa-clock-rotate-left"></i></span>';
      icons.appendChild(link);
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
          if (found.question) text.textContent = found.question;
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

  // Below lg the filter panel is folded (admin.css); "Filters (n)" opens and
  // closes it, saying so to screen readers, and moves the focus into it.
  // Without this script the button is a link that shows the panel as the
  // page's :target.
  function foldingFilters() {
    var toggle = document.getElementById("filters-toggle");
    var panel = document.getElementById("filter-sidebar");
    if (!toggle || !panel) return;
    panel.setAttribute("tabindex", "-1");
    function show(open) {
      document.body.classList.toggle("filters-open", open);
      toggle.setAttribute("aria-expanded", String(open));
    }
    show(location.hash === "#filter-sidebar");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var open = !document.body.classList.contains("filters-open");
      show(open);
      if (open) panel.focus();
    });
    // A link in the markup (for pages without this script), a button to
    // the user: Space presses it as it would a button.
    toggle.addEventListener("keydown", function (event) {
      if (event.key !== " ") return;
      event.preventDefault();
      toggle.click();
    });
  }

  // A wide list scrolls in its frame with its first three columns (checkbox,
  // action icons, first field) sticky (admin.css): each sticks where the ones
  // before it end, which depends on the icons the user may use.
  function stickyListColumns() {
    document.querySelectorAll(".table-responsive > table").forEach(function (table) {
      if (!table.querySelector("#select-all")) return;
      function measure() {
        var cells = table.rows.length ? table.rows[0].cells : [];
        if (cells.length < 4) return;
        var first = cells[0].getBoundingClientRect().width;
        var second = cells[1].getBoundingClientRect().width;
        table.style.setProperty("--sticky-left-2", first + "px");
        table.style.setProperty("--sticky-left-3", first + second + "px");
        table.classList.add("sticky-columns");
      }
      measure();
      if (window.ResizeObserver) new ResizeObserver(measure).observe(table);
    });
  }

  // Names for what SQLAdmin's markup leaves unnamed, since its templates
  // have no hook for them: a screen reader otherwise hears "link, link, link"
  // along a list row, or an unnamed button or dialog.
  function nameTheUnnamed() {
    // The icon-only links and the checkbox of a list row say which row
    // ("Edit Task “…”", "Select Task “…”"): their keys and labels come from
    // row-names (row_names.html).
    var data = document.getElementById("row-names");
    if (data) {
      var names = JSON.parse(data.textContent);
      var labels = new Map(names.rows);
      document.querySelectorAll("tbody tr").forEach(function (row) {
        var key = row.querySelector('td > input[type="hidden"]');
        if (!key || !labels.has(key.value)) return;
        var what = names.model + " \u201c" + labels.get(key.value) + "\u201d";
        var box = row.querySelector("input.select-box");
        if (box) box.setAttribute("aria-label", "Select " + what);
        row.querySelectorAll("a").forEach(function (link) {
          var icon = link.querySelector("i.fa-eye, i.fa-pen-to-square, i.fa-trash");
          if (!icon || link.textContent.trim()) return;
          var verb = icon.classList.contains("fa-eye") ? "View"
            : icon.classList.contains("fa-trash") ? "Delete" : "Edit";
          link.setAttribute("aria-label", verb + " " + what);
        });
      });
    }
    // SQLAdmin's "Select all" ticks this page's rows only, not all matching.
    var all = document.getElementById("select-all");
    if (all) all.setAttribute("aria-label", "Select all rows on this page");
    // An empty to-one cell is an empty link to this page: make it plain text.
    document.querySelectorAll('td > a[href=""]').forEach(function (link) {
      if (!link.textContent.trim()) link.replaceWith(document.createTextNode(""));
    });
    // Pagination's prev / next at either end are "#" links, not disabled ones.
    document.querySelectorAll(".page-item.disabled > .page-link").forEach(function (link) {
      link.setAttribute("aria-disabled", "true");
      link.setAttribute("tabindex", "-1");
    });
    var reset = document.getElementById("search-reset");
    if (reset && !reset.getAttribute("aria-label")) reset.setAttribute("aria-label", "Clear search");
    document.querySelectorAll('.modal[role="dialog"]').forEach(function (dialog) {
      var title = dialog.querySelector("h3, .modal-title");
      if (!title || dialog.hasAttribute("aria-labelledby")) return;
      title.id = title.id || dialog.id + "-title";
      dialog.setAttribute("aria-labelledby", title.id);
    });
  }

  // A field's error messages are tied to its input (aria-describedby, and
  // aria-invalid), so a screen reader says what is wrong on reaching the
  // field: SQLAdmin's forms, the bulk edit and the link editors only print
  // them beside it. List editing ties its own (an id already).
  function tieErrorsToFields() {
    var n = 0;
    document.querySelectorAll(".invalid-feedback:not([id])").forEach(function (error) {
      var control = error.parentElement.querySelector(".is-invalid");
      if (!control) return;
      error.id = "field-error-" + ++n;
      var described = control.getAttribute("aria-describedby");
      control.setAttribute("aria-describedby", described ? described + " " + error.id : error.id);
      control.setAttribute("aria-invalid", "true");
    });
  }

  // A large file takes a while to check, and to write: the import form and
  // the preview's confirmation post with fetch, asking for the server's
  // progress lines (site/import_progress.py), show them in a progress bar,
  // then show the page the last line holds, or go where it says. Without
  // this script the forms post as any form does.
  function postWithProgress(form, parts) {
    var bar = document.getElementById(parts.prefix + "-progress");
    var text = document.getElementById(parts.prefix + "-progress-text");
    var number = new Intl.NumberFormat();
    document.getElementById(parts.prefix + "-progress-box").hidden = false;
    parts.button.disabled = true;
    text.textContent = parts.starting;
    function show(page) {
      document.open();
      document.write(page);
      document.close();
      if (parts.pageUrl) history.replaceState(null, "", parts.pageUrl);
    }
    function handle(line) {
      if (!line) return;
      var message = JSON.parse(line);
      if (message.location !== undefined) {
        window.location.assign(message.location);
        return;
      }
      if (message.html !== undefined) {
        show(message.html);
        return;
      }
      var total = parts.total();
      if (total) {
        bar.max = total;
        bar.value = Math.min(message.rows, total);
        text.textContent = parts.verb + " " + number.format(message.rows) +
          " of " + (parts.exact ? "" : "about ") + number.format(total) + " rows…";
      } else {
        text.textContent = parts.verb + " " + number.format(message.rows) + " rows…";
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
        text.textContent = parts.working;
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffered = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return handle(buffered);
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
        text.textContent = parts.failed;
        parts.button.disabled = false;
      });
  }

  function importWithProgress() {
    var form = document.getElementById("import-form");
    var input = document.getElementById("import-file");
    if (!form || !input || !window.fetch || !window.TextDecoder) return;
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) return;
      event.preventDefault();
      var total = null;
      if (/\.csv$/i.test(file.name) && file.text) {
        file.text().then(function (content) {
          var lines = content.split("\n").length - 1;
          total = Math.max(lines - 1, 1); // the header is no row
        });
      }
      postWithProgress(form, {
        prefix: "import",
        button: document.getElementById("preview-import"),
        starting: "Uploading " + file.name + "…",
        working: "Checking the rows…",
        verb: "Checked",
        total: function () { return total; },
        failed: "The preview did not finish: upload the file again.",
      });
    });
  }

  function confirmWithProgress() {
    var form = document.getElementById("confirm-form");
    if (!form || !window.fetch || !window.TextDecoder) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var total = parseInt(form.getAttribute("data-rows"), 10) || null;
      postWithProgress(form, {
        prefix: "confirm",
        button: document.getElementById("confirm-import"),
        starting: "Importing…",
        working: "Importing the rows…",
        verb: "Imported",
        exact: true,
        total: function () { return total; },
        pageUrl: form.getAttribute("data-page"),
        failed: "The import's progress was lost: the list and the audit log show whether it was written.",
      });
    });
  }


  // "Add another" (admin_app/site/add_related.py): the "+" beside a select
  // opens the related create page in a dialog (`_popup=1`) instead of a new
  // tab; its answer adds the new row to the select, chosen, and closes it.
  // Messages pass between this page and the framed one, same origin only.
  var POPUP_MESSAGE = "admin-add-related";

  function toOpener(data) {
    if (window.parent === window) return false;
    data.type = POPUP_MESSAGE;
    window.parent.postMessage(data, location.origin);
    return true;
  }

  function popupPage() {
    var page = document.querySelector(".popup-page");
    if (!page) return;
    var answer = document.getElementById("popup-answer");
    if (answer) {
      var row = JSON.parse(answer.textContent);
      toOpener({ action: "added", key: row.key, label: row.label, name: row.name });
      return;
    }
    // Cancel and Escape close the dialog with nothing changed.
    page.addEventListener("click", function (event) {
      var cancel = event.target.closest ? event.target.closest("form a.btn") : null;
      if (cancel && /\/list$/.test(cancel.pathname) && toOpener({ action: "cancel" })) {
        event.preventDefault();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.defaultPrevented && !document.querySelector(".select2-container--open")) {
        toOpener({ action: "cancel" });
      }
    }, true);  // before select2, which closes its open list on Escape first
  }

  // The select a "+" adds to: its field, or a link editor's (a table's)
  // first row still to be chosen.
  function targetSelect(id) {
    var target = document.getElementById(id || "");
    if (!target || target.tagName === "SELECT") return target;
    return Array.prototype.find.call(target.querySelectorAll("tbody select"), function (select) {
      return !select.value;
    }) || null;
  }

  function focusSelect(select) {
    var chips = select.nextElementSibling;
    if (chips && chips.classList.contains("select2-container")) {
      var box = chips.querySelector(".select2-search__field, [role=combobox]");
      if (box) { box.focus(); return; }
    }
    select.focus();
  }

  function chooseAdded(select, row) {
    var key = String(row.key);
    // A namesake already listed is told apart by its key from now on, as
    // the pickers name them (labels.choice_pairs).
    if (row.label !== row.name) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.value !== key && option.text.toLowerCase() === row.name.toLowerCase()) {
          option.text = option.text + " (#" + option.value + ")";
        }
      });
    }
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === key; });
    if (!option) {
      option = new Option(row.label, key, true, true);
      select.appendChild(option);
    }
    option.selected = true;
    if (window.jQuery) window.jQuery(select).trigger("change");
    else select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function addRelatedDialog() {
    var dialog = document.getElementById("add-related-dialog");
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.id = "add-related-dialog";
    dialog.className = "add-related-dialog";
    dialog.setAttribute("aria-labelledby", "add-related-title");
    dialog.innerHTML =
      '<div class="add-related-head">' +
      '<h2 id="add-related-title" class="h3 m-0"></h2>' +
      '<button type="button" class="btn-close" aria-label="Close"></button></div>' +
      '<iframe class="add-related-frame"></iframe>';
    dialog.querySelector(".btn-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      var frame = dialog.querySelector("iframe");
      frame.removeAttribute("src");
      var select = dialog.chosen || targetSelect(dialog.dataset.for);
      dialog.chosen = null;
      if (select) focusSelect(select);
    });
    // The framed form: its first field (or the first with an error) takes focus.
    dialog.querySelector("iframe").addEventListener("load", function () {
      var doc;
      if (!this.getAttribute("src")) return;
      try { doc = this.contentDocument; } catch (e) { doc = null; }
      // Anything but a popup page (a Cancel clicked before the framed
      // page's script ran, a login after the session ended) leaves the
      // dialog (a page that refuses framing shows none), which then closes
      // with nothing chosen.
      if (!doc || !doc.querySelector(".popup-page")) { dialog.close(); return; }
      var field = doc.querySelector(".is-invalid, form input:not([type=hidden]), form select, form textarea");
      if (field) field.focus();
    });
    document.body.appendChild(dialog);
    window.addEventListener("message", function (event) {
      var frame = dialog.querySelector("iframe");
      var data = event.data;
      if (event.origin !== location.origin || event.source !== frame.contentWindow) return;
      if (!data || data.type !== POPUP_MESSAGE || !dialog.open) return;
      if (data.action === "added" && typeof data.key === "string" && typeof data.label === "string") {
        var select = targetSelect(dialog.dataset.for);
        if (select) {
          chooseAdded(select, data);
          dialog.chosen = select;
          announce(dialog.dataset.name + " “" + data.label + "” added and chosen.");
        }
      }
      dialog.close();
    });
    return dialog;
  }

  function addRelated() {
    if (document.querySelector(".popup-page")) popupPage();
    if (!window.HTMLDialogElement) return;  // the link opens a new tab instead
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-add-related]") : null;
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var url = new URL(link.getAttribute("data-add-related"), location.href);
      if (url.origin !== location.origin) return;
      event.preventDefault();
      var dialog = addRelatedDialog();
      dialog.dataset.for = link.getAttribute("data-for");
      dialog.dataset.name = link.getAttribute("data-name");
      var title = link.getAttribute("title");
      dialog.querySelector("h2").textContent = title;
      var frame = dialog.querySelector("iframe");
      frame.title = "New " + dialog.dataset.name;
      frame.src = url.href;
      dialog.showModal();
    });
  }

  function ready() {
    fixPickers(document);
    chipPickers(document);
    rowHistoryLinks();
    nameTheUnnamed();
    tieErrorsToFields();
    searchOnEnterOnly();
    tickChangedFields();
    foldingFilters();
    stickyListColumns();
    importWithProgress();
    confirmWithProgress();
    addRelated();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
