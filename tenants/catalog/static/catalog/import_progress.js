// Polls the job's status (a small JSON view) and moves the progress bar; reloads the page when the job ends
// so that the result is rendered by the server.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") return;
  var bar = document.getElementById("import-bar");
  var field = function (name) { return box.querySelector('[data-field="' + name + '"]'); };
  var delay = 1000;
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        field("percent").textContent = s.percent + "%";
        field("label").textContent = s.status_label;
        var count = field("count");
        if (count) count.textContent = s.done + "/" + s.total;
        if (s.finished) {
          box.dataset.finished = "1";
          window.setTimeout(function () { window.location.reload(); }, 600);
        } else {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, 300);
})();
