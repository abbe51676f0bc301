// Polls the application's status (a small JSON view) and moves the progress bar; reloads the page when the
// set-up ends (or the application is decided while the page is open) so that the server renders the result.
// Waiting for review, it asks every 15 s; during the set-up every second.
(function () {
  "use strict";
  var box = document.getElementById("signup-progress");
  if (!box || box.dataset.finished === "1") return;
  var bar = document.getElementById("signup-bar");
  var field = function (name) { return box.querySelector('[data-field="' + name + '"]'); };
  var waiting = box.dataset.status === "submitted";
  var delay = waiting ? 15000 : 1000;
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        field("percent").textContent = s.percent + "%";
        field("step").textContent = s.step_label;
        if (s.finished || (waiting && s.status !== "submitted")) {
          box.dataset.finished = "1";
          window.setTimeout(function () { window.location.reload(); }, 600);
          return;
        }
        delay = 1000;
        if (waiting) delay = 15000;
        window.setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, waiting ? delay : 300);
})();
