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

  // Live SLA clocks (any page's [data-due]): count the time left down between reloads.
  var clocks = document.querySelectorAll("[data-due]");
  function tick() {
    clocks.forEach(function (clock) {
      var left = Math.floor((Date.parse(clock.dataset.due) - Date.now()) / 1000);
      if (left <= 0) {
        clock.textContent = clock.dataset.overdue;
        clock.className = "sla breached";
        return;
      }
      var minutes = Math.floor(left % 3600 / 60);
      clock.textContent = clock.dataset.left + " " + Math.floor(left / 3600) + "h " +
        (minutes < 10 ? "0" : "") + minutes + "m";
    });
  }
  if (clocks.length) { window.setInterval(tick, 30000); }
});
