/* Footnote cards: hovering, focusing or tapping a footnote marker shows the quoted words and their source.
 *
 * The card is a visual preview of the note the marker links to, copied from the page's own list of
 * sources: no request, nothing per reader. Screen readers follow the marker to that note, so the card
 * is hidden from them and its links are out of the tab order; keyboard focus never enters it.
 * Without this script the markers are plain links to the notes, as before.
 * Positioning: Floating UI (static/vendor/floating-ui), which keeps the card beside the marker, never over it.
 */
(function () {
  "use strict";

  var floating = window.FloatingUIDOM;
  var markers = document.querySelectorAll('.briefing-body sup.footnote-ref > a[href^="#fn-"]');
  if (!floating || !markers.length) return;

  var CLOSE_DELAY = 250; // time for a pointer to travel from the marker into the card
  var card = document.createElement("div");
  card.className = "footnote-card";
  card.id = "footnote-card";
  card.hidden = true;
  card.setAttribute("aria-hidden", "true");
  document.body.appendChild(card);

  var current = null; // the marker whose card is shown
  var stopUpdating = null;
  var closeTimer = null;
  var tapOpensCard = false; // set on a touch pointerdown, before focus opens the card

  function note(marker) {
    return document.getElementById(marker.getAttribute("href").slice(1));
  }

  function copy(element, className) {
    var clone = element.cloneNode(true);
    clone.removeAttribute("id");
    clone.className = className;
    clone.querySelectorAll("[id]").forEach(function (child) { child.removeAttribute("id"); });
    clone.querySelectorAll("a").forEach(function (link) { link.tabIndex = -1; });
    return clone;
  }

  function fill(item) {
    card.replaceChildren();
    var quote = item.querySelector(".footnote-quote");
    if (quote) {
      var words = document.createElement("p");
      words.className = "footnote-card-quote";
      words.textContent = "“" + quote.textContent + "”";
      card.appendChild(words);
    }
    var source = item.querySelector(".footnote-source");
    if (source) {
      var where = copy(source, "footnote-card-source");
      // The list's "— " introduces the source after the quote; in the card the source has its own line.
      var first = where.firstChild;
      if (first && first.nodeType === Node.TEXT_NODE) first.textContent = first.textContent.replace(/^\s*—\s*/, "");
      card.appendChild(where);
    }
    var remark = item.querySelector(".footnote-note");
    if (remark) card.appendChild(copy(remark, "footnote-card-note"));
  }

  function place(marker) {
    var sup = marker.parentElement;
    floating.computePosition(sup, card, {
      placement: "top",
      strategy: "absolute",
      middleware: [
        floating.offset(6),
        floating.flip({ fallbackPlacements: ["bottom"], padding: 8 }),
        floating.shift({ padding: 8 }),
        floating.size({
          padding: 8,
          apply: function (state) {
            card.style.maxHeight = Math.max(80, state.availableHeight) + "px";
          },
        }),
      ],
    }).then(function (position) {
      card.style.left = position.x + "px";
      card.style.top = position.y + "px";
      card.dataset.placement = position.placement;
    });
  }

  function open(marker) {
    cancelClose();
    if (current === marker) return;
    var item = note(marker);
    if (!item) return;
    close();
    fill(item);
    card.dataset.note = item.id;
    card.hidden = false;
    current = marker;
    stopUpdating = floating.autoUpdate(marker.parentElement, card, function () { place(marker); });
  }

  function close() {
    cancelClose();
    if (stopUpdating) stopUpdating();
    stopUpdating = null;
    current = null;
    card.hidden = true;
  }

  function closeSoon() {
    cancelClose();
    closeTimer = window.setTimeout(close, CLOSE_DELAY);
  }

  function cancelClose() {
    if (closeTimer !== null) window.clearTimeout(closeTimer);
    closeTimer = null;
  }

  markers.forEach(function (marker) {
    marker.addEventListener("pointerenter", function (event) {
      if (event.pointerType === "mouse") open(marker);
    });
    marker.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse") closeSoon();
    });
    marker.addEventListener("pointerdown", function (event) {
      tapOpensCard = event.pointerType !== "mouse" && current !== marker;
    });
    marker.addEventListener("focus", function () { open(marker); });
    marker.addEventListener("blur", function () {
      if (!card.matches(":hover")) closeSoon();
    });
    marker.addEventListener("click", function (event) {
      // A first tap shows the card; tapping the marker again goes to the note, as a click always does.
      if (tapOpensCard) {
        event.preventDefault();
        tapOpensCard = false;
        open(marker);
        return;
      }
      close();
    });
  });

  card.addEventListener("pointerenter", cancelClose);
  card.addEventListener("pointerleave", function (event) {
    if (event.pointerType === "mouse") closeSoon();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current) close();
  });

  // A tap elsewhere closes the card.
  document.addEventListener("pointerdown", function (event) {
    if (!current) return;
    if (card.contains(event.target) || current.parentElement.contains(event.target)) return;
    close();
  });
})();
