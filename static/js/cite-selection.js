/*
 * Source page: staff select words and cite them in one of their drafts, or in a new briefing.
 *
 * The page is the same for everyone and cached, so it holds nothing for staff. When the hint cookie set at
 * staff sign-in is present, this script asks the admin (the article's data-staff-controls address) for the
 * signed-in person's drafts and a CSRF token; readers' browsers, without the cookie, ask nothing. The admin
 * decides: a 403 means no controls (and the stale hint is dropped).
 *
 * Selecting: with the mouse or a finger (selectionchange), or with the keyboard: Tab to a paragraph's text,
 * then Shift with the arrow keys (Ctrl or Alt as well for whole words). A toolbar at the bottom of the window
 * (clear of a phone's own selection menu) offers "Cite in…"; Tab from the paragraph or Alt+Shift+C reaches it,
 * and what happens is announced to screen readers. The selection is sent as, per paragraph, its anchor, the
 * offsets of the words in its text and the words; the server checks them against the source.
 * Without JavaScript the page is unchanged.
 */
"use strict";
(function () {
  var HINT = "briefings_staff";
  var NEW = "new";

  function hasHint() {
    return document.cookie.split(";").some(function (pair) { return pair.trim().indexOf(HINT + "=") === 0; });
  }

  function dropHint() {
    document.cookie = HINT + "=; Max-Age=0; path=/; SameSite=Lax";
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function start() {
    var article = document.querySelector("article.source[data-staff-controls]");
    if (!article || !hasHint()) { return; }
    var endpoint = article.getAttribute("data-staff-controls");
    if (!/^\/(?!\/)/.test(endpoint)) { return; } // this site's own address only
    fetch(endpoint, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          if (response.status === 403 || response.status === 404) { dropHint(); }
          return null;
        }
        return response.json();
      })
      .then(function (desk) { if (desk) { new Controls(article, endpoint, desk); } })
      .catch(function () { /* no controls: the page stays as readers see it */ });
  }

  function placeOf(text) {
    var link = text.closest(".passage").querySelector(".passage-anchor");
    var label = link ? link.getAttribute("aria-label") || "" : "";
    return label.replace(/^Link to /, "") || "a paragraph";
  }

  function offsetIn(root, node, offset) {
    var range = document.createRange();
    range.setStart(root, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function firstTextNode(root) {
    return document.createTreeWalker(root, NodeFilter.SHOW_TEXT).nextNode();
  }

  function Controls(article, endpoint, desk) {
    this.article = article;
    this.endpoint = endpoint;
    this.desk = desk;
    this.pending = null;
    this.lastText = null;
    this.texts = Array.prototype.slice.call(
      article.querySelectorAll(".passage:not(.passage-boilerplate) .passage-text")
    );
    if (!this.texts.length) { return; }
    this.build();
    this.listen();
  }

  Controls.prototype.build = function () {
    var self = this;
    var help = element("p", { id: "cite-help", class: "cite-help notice" },
      "Newsroom: select words to cite them, with the mouse or, in a paragraph reached with Tab, Shift and the " +
      "arrow keys. Then press Alt+Shift+C, or Tab to the citation toolbar.");
    var passages = this.article.querySelector(".passages");
    (passages || this.article).before(help);
    this.texts.forEach(function (text) {
      text.setAttribute("tabindex", "0");
      text.setAttribute("aria-describedby", "cite-help");
      text.classList.add("citable-text");
    });

    this.live = element("p", { class: "cite-announcer visually-hidden", role: "status", "aria-live": "polite" });
    document.body.appendChild(this.live);

    var bar = this.bar = element("section", { class: "cite-toolbar", "aria-label": "Cite the selected words" });
    bar.hidden = true;
    var row = element("div", { class: "cite-toolbar-row" });
    this.summary = element("p", { class: "cite-selected" });
    row.appendChild(this.summary);

    var choose = element("div", { class: "cite-choose" });
    choose.appendChild(element("label", { for: "cite-target" }, "Cite in"));
    this.target = element("select", { id: "cite-target" });
    this.desk.drafts.forEach(function (draft) { self.addDraft(draft, false); });
    if (this.desk.may_start_briefing) {
      this.target.appendChild(new Option("A new briefing…", NEW));
    }
    choose.appendChild(this.target);
    row.appendChild(choose);

    this.newTitle = element("div", { class: "cite-new" });
    this.newTitle.appendChild(element("label", { for: "cite-title" }, "Title of the new briefing"));
    this.title = element("input", { id: "cite-title", type: "text", maxlength: "200", autocomplete: "off" });
    this.newTitle.appendChild(this.title);
    row.appendChild(this.newTitle);

    this.submit = element("button", { type: "button", class: "cite-submit" }, "Cite");
    this.close = element("button", { type: "button", class: "cite-close" }, "Close");
    row.appendChild(this.submit);
    row.appendChild(this.close);
    bar.appendChild(row);
    this.result = element("p", { class: "cite-result", role: "status", "aria-live": "polite" });
    bar.appendChild(this.result);
    if (!this.target.options.length) {
      this.target.disabled = this.submit.disabled = true;
      this.result.textContent = "You have no draft to cite in, and may not start a briefing.";
    }
    this.showTitle();
  };

  Controls.prototype.addDraft = function (draft, selected) {
    var option = new Option(draft.title, String(draft.id), selected, selected);
    var before = this.target.querySelector('option[value="' + NEW + '"]');
    this.target.insertBefore(option, selected ? this.target.firstChild : before);
  };

  Controls.prototype.showTitle = function () {
    this.newTitle.hidden = this.target.value !== NEW;
  };

  Controls.prototype.listen = function () {
    var self = this;
    var timer = null;
    document.addEventListener("selectionchange", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.selectionChanged(); }, 150);
    });
    this.texts.forEach(function (text) {
      text.addEventListener("focus", function () { self.caretInto(text); });
      text.addEventListener("keydown", function (event) { self.keyInText(event, text); });
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey && event.shiftKey && (event.key === "C" || event.key === "c" || event.code === "KeyC")) {
        // The selection as it is now: the shortcut may come before selectionchange has been handled.
        var parts = self.selectedParts() || self.pending;
        if (parts) {
          event.preventDefault();
          self.pending = parts;
          self.describe(parts);
          self.show();
          self.target.focus();
        }
      }
    });
    document.addEventListener("keydown", function (event) {
      var inside = self.bar.contains(document.activeElement) || self.texts.indexOf(document.activeElement) !== -1;
      if (event.key === "Escape" && !self.bar.hidden && (inside || document.activeElement === document.body)) {
        event.preventDefault();
        self.hide(true);
      }
    });
    this.target.addEventListener("change", function () { self.showTitle(); });
    this.submit.addEventListener("click", function () { self.cite(); });
    this.close.addEventListener("click", function () { self.hide(true); });
  };

  // The words selected in the paragraphs' texts, one part per paragraph; null when none are.
  Controls.prototype.selectedParts = function () {
    var selection = window.getSelection();
    if (!selection || !selection.rangeCount || selection.isCollapsed) { return null; }
    var range = selection.getRangeAt(0);
    var parts = [];
    this.texts.forEach(function (text) {
      if (!range.intersectsNode(text)) { return; }
      var full = text.textContent;
      var from = text.contains(range.startContainer) ? offsetIn(text, range.startContainer, range.startOffset) : 0;
      var to = text.contains(range.endContainer) ? offsetIn(text, range.endContainer, range.endOffset) : full.length;
      while (from < to && /\s/.test(full.charAt(from))) { from++; }
      while (to > from && /\s/.test(full.charAt(to - 1))) { to--; }
      if (to > from) {
        parts.push({ text: text, passage: text.closest(".passage").id, start: from, end: to, quote: full.slice(from, to) });
      }
    });
    return parts.length ? parts : null;
  };

  Controls.prototype.selectionChanged = function () {
    var parts = this.selectedParts();
    if (parts) {
      this.pending = parts;
      this.describe(parts);
      this.show();
    } else if (!this.bar.contains(document.activeElement)) {
      this.pending = null;
      this.hide(false);
    }
  };

  Controls.prototype.describe = function (parts) {
    var words = parts.reduce(function (total, part) { return total + part.quote.split(/\s+/).length; }, 0);
    var places = parts.map(function (part) { return placeOf(part.text); });
    var where = places.length > 1
      ? places.slice(0, -1).join(", ") + " and " + places[places.length - 1] + " (one citation each)"
      : places[0];
    var text = words + " word" + (words === 1 ? "" : "s") + " selected in " + where + ".";
    if (this.summary.textContent !== text) { this.result.textContent = ""; }
    this.summary.textContent = text;
    if (this.live.textContent !== text + " Press Alt+Shift+C to cite them.") {
      this.live.textContent = text + " Press Alt+Shift+C to cite them.";
    }
  };

  Controls.prototype.show = function () {
    if (!this.bar.contains(document.activeElement) && this.pending) {
      // Next in the tab order after the paragraph where the selection ends.
      var last = this.pending[this.pending.length - 1].text;
      if (last.nextSibling !== this.bar) { last.after(this.bar); }
    }
    if (this.bar.hidden) {
      this.result.textContent = "";
      this.bar.hidden = false;
      document.body.classList.add("cite-toolbar-open");
    }
  };

  Controls.prototype.hide = function (returnFocus) {
    if (this.bar.hidden) { return; }
    var back = this.pending ? this.pending[this.pending.length - 1].text : null;
    this.bar.hidden = true;
    document.body.classList.remove("cite-toolbar-open");
    if (returnFocus && back) { back.focus(); }
  };

  // A paragraph reached with Tab gets a caret at its start, unless the selection is in it already.
  Controls.prototype.caretInto = function (text) {
    this.lastText = text;
    var selection = window.getSelection();
    if (selection.rangeCount && text.contains(selection.anchorNode)) { return; }
    var node = firstTextNode(text);
    if (node) { selection.collapse(node, 0); }
  };

  var KEYS = {
    ArrowRight: ["forward", "character"],
    ArrowLeft: ["backward", "character"],
    ArrowDown: ["forward", "line"],
    ArrowUp: ["backward", "line"],
    End: ["forward", "lineboundary"],
    Home: ["backward", "lineboundary"]
  };

  Controls.prototype.keyInText = function (event, text) {
    var move = KEYS[event.key];
    if (!move || event.metaKey) { return; }
    var vertical = event.key === "ArrowUp" || event.key === "ArrowDown";
    if (!event.shiftKey && (vertical || event.key === "Home" || event.key === "End")) { return; } // scrolling
    var selection = window.getSelection();
    if (!selection.rangeCount || !text.contains(selection.focusNode)) { this.caretInto(text); }
    var granularity = (event.ctrlKey || event.altKey) && move[1] === "character" ? "word" : move[1];
    selection.modify(event.shiftKey ? "extend" : "move", move[0], granularity);
    event.preventDefault();
  };

  Controls.prototype.cite = function () {
    var self = this;
    if (this.busy) { return; }
    if (!this.pending) {
      this.say("Select the words to cite first.");
      return;
    }
    var body = {
      source: this.article.getAttribute("data-source"),
      briefing: this.target.value,
      title: this.title.value,
      parts: this.pending.map(function (part) {
        return { passage: part.passage, start: part.start, end: part.end, quote: part.quote };
      })
    };
    // Not disabled: a disabled button would lose the keyboard focus.
    this.busy = true;
    this.submit.setAttribute("aria-disabled", "true");
    this.say("Citing…");
    fetch(this.endpoint, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.desk.csrf_token },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { ok: response.ok, data: data }; },
          function () { return { ok: false, data: {} }; }
        );
      })
      .then(function (answer) { self.answered(answer); })
      .catch(function () { self.say("The words could not be cited: the connection failed. Try again."); })
      .then(function () {
        self.busy = false;
        self.submit.removeAttribute("aria-disabled");
      });
  };

  Controls.prototype.answered = function (answer) {
    var data = answer.data || {};
    if (!answer.ok) {
      this.say(data.error || "The words could not be cited. Reload the page and try again.");
      return;
    }
    if (this.target.value === NEW) {
      this.addDraft(data.briefing, true);
      this.title.value = "";
      this.showTitle();
    }
    this.result.textContent = data.message + " ";
    var link = element("a", { href: data.briefing.url }, "Open “" + data.briefing.title + "” in the editor");
    this.result.appendChild(link);
  };

  Controls.prototype.say = function (message) {
    this.result.textContent = message;
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
