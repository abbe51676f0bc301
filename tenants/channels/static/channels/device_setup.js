/* Provision a rating device: check the pasted key against GET /api/v1/device, keep it in localStorage. */
(function () {
  "use strict";
  var KEY = "hcp.device.key";
  var INFO = "hcp.device.info";
  function $(id) { return document.getElementById(id); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }
  function count(name) {
    try { return (JSON.parse(window.localStorage.getItem(name)) || []).length; } catch (e) { return 0; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var S = JSON.parse($("setup-strings").textContent);
    var status = $("setup-status");
    var queued = count("hcp.device.queue");
    var rejected = count("hcp.device.rejected");
    $("queue-status").textContent = fmt(S.queued, { n: queued }) + (rejected ? " " + fmt(S.rejectedCount, { n: rejected }) : "");
    if (window.localStorage.getItem(KEY)) { $("start-link").hidden = false; }

    $("setup-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = $("device-key").value.trim();
      if (!key) { status.textContent = S.empty; return; }
      status.textContent = S.checking;
      window.fetch("/api/v1/device", {
        headers: { Authorization: "Api-Key " + key, Accept: "application/json" },
        credentials: "omit",
        cache: "no-store",
      }).then(function (res) {
        if (res.status === 200) {
          return res.json().then(function (body) {
            window.localStorage.setItem(KEY, key);
            window.localStorage.setItem(INFO, JSON.stringify(body));
            $("device-key").value = "";
            status.textContent = fmt(S.saved, { window: body.window.name });
            $("start-link").hidden = false;
            $("start-link").focus();
          });
        }
        status.textContent = res.status === 404 ? S.notDevice : S.refused;
        return null;
      }).catch(function () { status.textContent = S.network; });
    });

    $("forget-key").addEventListener("click", function () {
      window.localStorage.removeItem(KEY);
      window.localStorage.removeItem(INFO);
      $("start-link").hidden = true;
      status.textContent = S.forgotten;
    });
  });
})();
