/*
 * Briefing editor: "Not yet placed" citations (made by selecting words on a source page).
 *
 * Each has a button that inserts its marker where the cursor was last in the body, and says so in the
 * status line for screen readers. Without JavaScript the buttons stay hidden and the markers can be copied.
 */
"use strict";
(function () {
  function start() {
    var body = document.getElementById("id_body");
    var list = document.querySelector(".unplaced-citations");
    if (!body || !list) { return; }
    var status = list.querySelector(".unplaced-status");
    // Where the cursor was when the body lost focus: pressing a button moves focus away from it.
    var caret = { start: body.value.length, end: body.value.length };
    function remember() { caret = { start: body.selectionStart, end: body.selectionEnd }; }
    ["keyup", "mouseup", "select", "input", "blur"].forEach(function (name) { body.addEventListener(name, remember); });

    list.querySelectorAll(".unplaced-insert").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var marker = button.getAttribute("data-marker");
        var text = body.value;
        body.value = text.slice(0, caret.start) + marker + text.slice(caret.end);
        var after = caret.start + marker.length;
        body.focus();
        body.setSelectionRange(after, after);
        caret = { start: after, end: after };
        body.dispatchEvent(new Event("input", { bubbles: true }));
        button.disabled = true;
        button.textContent = marker + " inserted";
        status.textContent = marker + " inserted in the body at the cursor. Save to keep it.";
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
