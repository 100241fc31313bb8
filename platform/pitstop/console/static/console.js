// Small enhancements only: every action works as a plain form post without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Add a line" on a new service order: copy the last line row, emptied.
  document.querySelectorAll("[data-add-line]").forEach(function (button) {
    var body = document.querySelector("#lines tbody");
    if (!body) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr.line");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      copy.querySelectorAll("small.error").forEach(function (note) { note.remove(); });
      body.appendChild(copy);
      copy.querySelector("input[name=description]").focus();
    });
  });
});
