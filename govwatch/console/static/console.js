// Behaviour shared by every page. No inline script anywhere: the Content-Security-Policy forbids it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = all.closest("form").querySelectorAll("input[type=checkbox][name=ids]");
      boxes.forEach(function (b) { b.checked = all.checked; });
    });
  }
});
