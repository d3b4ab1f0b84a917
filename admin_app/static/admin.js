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

  function checkedKeys() {
    var keys = [];
    document.querySelectorAll(".select-box:checked").forEach(function (box) {
      var key = box.parentElement.querySelector('input[type="hidden"]');
      if (key) keys.push(key.value);
    });
    return keys.join(",");
  }

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
        post(url + "?pks=" + encodeURIComponent(checkedKeys()).replace(/%2C/g, ","));
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

  // Flash messages (SQLAdmin shows them with an inline script).
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.tabler) return;
    document.querySelectorAll(".admin-toast").forEach(function (element) {
      new window.tabler.bootstrap.Toast(element, { delay: 5000 }).show();
    });
  });
})();
