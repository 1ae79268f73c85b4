/*
 * The briefing editor's desk, on top of htmx (static/vendor/htmx/).
 *
 * The desk's buttons ("Refresh preview", "Show in the passage") are hidden in the page as served, since
 * without a script they could do nothing; this shows them. A citation row's passage is shown again when
 * its passage, quote or context change, and rows the admin adds are handed to htmx. Without a script the
 * form works as before: the preview and each row's passage show what was saved.
 */
"use strict";
(function () {
  function reveal(root) {
    root.querySelectorAll("[data-desk-script]").forEach(function (element) { element.hidden = false; });
  }

  function showPassage(row) {
    var button = row && row.querySelector(".desk-passage-refresh");
    if (button && !button.hidden) { button.click(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    reveal(document);
    // The passage autocomplete (select2) announces a choice through jQuery only.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(document).on("change", "select[name$='-passage']", function () {
        showPassage(this.closest(".inline-related"));
      });
    }
  });

  document.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (/-(quote|prefix|suffix)$/.test(name)) { showPassage(event.target.closest(".inline-related")); }
  });

  document.addEventListener("formset:added", function (event) {
    reveal(event.target);
    if (window.htmx) { window.htmx.process(event.target); }
  });

  // An answer htmx does not swap (a server error, no connection) still says something where the user looks.
  function failed(event) {
    var target = event.detail && event.detail.target;
    if (target) { target.textContent = "This could not be shown just now; saving the form still checks it."; }
  }
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status !== 403) { failed(event); }
  });
  document.addEventListener("htmx:sendError", failed);
})();
