// Polls each unfinished export job (a small JSON view) and moves its progress bar; reloads the page once one
// finishes, so that the server renders its download link. Without JavaScript the page is simply reloaded.
(function () {
  "use strict";
  var rows = document.querySelectorAll("#export-jobs tr[data-status-url]");
  if (!rows.length) return;
  var delay = 1500;
  function poll(row) {
    fetch(row.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (s) {
        var bar = row.querySelector("progress");
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        row.querySelector('[data-field="label"]').textContent = s.status_label;
        var percent = row.querySelector('[data-field="percent"]');
        if (percent) percent.textContent = s.percent + "%";
        if (s.finished) {
          window.setTimeout(function () { window.location.reload(); }, 600);
        } else {
          window.setTimeout(function () { poll(row); }, delay);
        }
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); window.setTimeout(function () { poll(row); }, delay); });
  }
  rows.forEach(function (row) { window.setTimeout(function () { poll(row); }, 500); });
})();
