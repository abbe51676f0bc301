/* Progressive enhancement of the QR rating page: reasons appear for a bad rating, the service list filters
   as you type. Without this script the page works the same, just with everything shown. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var levels = document.querySelector(".rate-levels");
    var reasons = document.querySelector(".rate-reasons");
    if (levels && reasons) {
      var bad = (levels.getAttribute("data-bad-levels") || "").trim().split(/\s+/);
      var sync = function () {
        var chosen = levels.querySelector("input:checked");
        var open = !!chosen && bad.indexOf(chosen.value) !== -1;
        reasons.classList.toggle("is-open", open);
      };
      levels.addEventListener("change", function () {
        sync();
        if (reasons.classList.contains("is-open")) {
          reasons.scrollIntoView({ behavior: "smooth", block: "nearest" });
        }
      });
      sync();
    }
    var search = document.getElementById("item-search");
    var list = document.getElementById("item-list");
    if (search && list) {
      var none = list.querySelector("[data-no-match]");
      search.addEventListener("input", function () {
        var q = search.value.trim().toLowerCase();
        var shown = 0;
        list.querySelectorAll(".item-choice").forEach(function (row) {
          var match = !q || row.textContent.toLowerCase().indexOf(q) !== -1 ||
            row.querySelector("input").value.toLowerCase().indexOf(q) !== -1;
          row.hidden = !match;
          if (match) { shown += 1; }
        });
        if (none) { none.hidden = shown !== 0; }
      });
    }
    var problems = document.getElementById("form-problems");
    if (problems) { problems.focus(); }
  });
})();
