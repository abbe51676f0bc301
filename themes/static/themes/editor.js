/* Colour pickers beside the colour text fields: the text field stays the value (keyboard, pasting, "empty =
 * inherit"); the picker only fills it in. Without JavaScript the pickers stay hidden. */
(function () {
  "use strict";
  var HEX = /^#[0-9a-fA-F]{6}$/;
  document.querySelectorAll(".colour-picker").forEach(function (picker) {
    var text = document.getElementById(picker.getAttribute("data-for"));
    if (!text) { return; }
    picker.hidden = false;
    picker.addEventListener("input", function () { text.value = picker.value; });
    text.addEventListener("input", function () {
      if (HEX.test(text.value.trim())) { picker.value = text.value.trim().toLowerCase(); }
    });
  });
  var errors = document.getElementById("theme-errors");
  if (errors) { errors.focus(); }
})();
