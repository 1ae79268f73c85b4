/*
 * Review comments: "Comment on selection".
 *
 * Select words in the body field and choose the button (beside the body, or in the comments panel): the
 * words go into the new comment's "Words to comment on" field with where they start, and the comment box
 * takes the focus. Without JavaScript the words are pasted into that field by hand; the server finds them.
 */
"use strict";
(function () {
  var panel = document.getElementById("review-comments");
  if (!panel) { return; }
  var body = document.getElementById(panel.getAttribute("data-body-field"));
  var form = panel.querySelector(".review-new");
  if (!body || !form) { return; }
  var words = form.querySelector('[name="comment-words"]');
  var near = form.querySelector('[name="comment-near"]');
  var text = form.querySelector('[name="comment-text"]');
  var aboutWords = form.querySelector('[name="comment-about"][value="words"]');
  var status = document.createElement("p");
  status.className = "help review-select-status";
  status.setAttribute("role", "status");

  function commentOnSelection() {
    var start = body.selectionStart, end = body.selectionEnd;
    var chosen = body.value.slice(start, end);
    if (!chosen.trim()) {
      status.textContent = "Select words in the body first, then choose “Comment on selection”.";
      return;
    }
    words.value = chosen.trim();
    near.value = String(start + (chosen.length - chosen.replace(/^\s+/, "").length));
    if (aboutWords) { aboutWords.checked = true; }
    status.textContent = "";
    text.focus();
    form.scrollIntoView({block: "nearest"});
  }

  var inPanel = form.querySelector(".review-select");
  if (inPanel) {
    inPanel.hidden = false;
    inPanel.addEventListener("click", commentOnSelection);
    inPanel.parentNode.appendChild(status);
  }
  var besideBody = document.createElement("button");
  besideBody.type = "button";
  besideBody.className = "button review-select";
  besideBody.textContent = "Comment on selection";
  besideBody.addEventListener("click", commentOnSelection);
  body.parentNode.insertBefore(besideBody, body.nextSibling);
  // Typing in the words field by hand says nothing about where they were selected.
  words.addEventListener("input", function () { near.value = ""; });
}());
