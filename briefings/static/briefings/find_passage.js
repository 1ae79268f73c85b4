/*
 * Citation editor: "Find the passage" beside each quote.
 *
 * Asks the finder (the passage field's data-find-url) for the current passages holding the pasted quote.
 * One passage: the row's passage, quote and context are filled in. Several: they are listed with the
 * matching words marked, to choose from. A quote running into the next paragraph: its parts are listed,
 * with a button that fills this row with the first part and new rows with the others.
 * Without JavaScript, saving a row with a quote and no passage does the same on the server.
 */
"use strict";
(function () {
  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function setPassage(row, id, label) {
    var select = field(row, "passage");
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === String(id); });
    if (!option) {
      option = new Option(label, id, true, true);
      select.appendChild(option);
    }
    select.value = String(id);
    if (window.django && window.django.jQuery) {
      window.django.jQuery(select).trigger("change");
    }
  }

  function fill(row, found) {
    setPassage(row, found.passage, found.passage_label);
    field(row, "quote").value = found.quote;
    field(row, "prefix").value = found.prefix;
    field(row, "suffix").value = found.suffix;
  }

  function newRow(group) {
    var add = group.querySelector(".add-row a");
    if (!add) { return null; }
    add.click();
    var rows = group.querySelectorAll(".inline-related:not(.empty-form)");
    return rows[rows.length - 1];
  }

  function split(row, parts) {
    var group = row.closest(".inline-group");
    var label = field(row, "label").value || "part";
    fill(row, parts[0]);
    for (var i = 1; i < parts.length; i++) {
      var added = newRow(group);
      if (!added) { return; }
      fill(added, parts[i]);
      field(added, "label").value = label + "-" + (i + 1);
    }
  }

  function choice(html, where, buttonText, onChoose) {
    var item = document.createElement("li");
    var words = document.createElement("span");
    words.innerHTML = html; // escaped by the server, with <mark> around the matching words
    item.appendChild(document.createTextNode(where + ": "));
    item.appendChild(words);
    if (buttonText) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = buttonText;
      button.addEventListener("click", onChoose);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(button);
    }
    return item;
  }

  function show(row, box, data) {
    box.textContent = "";
    if (data.error) {
      box.textContent = data.error;
      return;
    }
    var results = data.results;
    var list = document.createElement("ul");
    if (!results.length) {
      box.textContent = "No current passage of any source holds these words (spacing, quote marks and dashes aside).";
      return;
    }
    if (results.length === 1 && !results[0].parts.length) {
      fill(row, results[0]);
      box.appendChild(document.createTextNode("Passage, quote and context filled in from:"));
      list.appendChild(choice(results[0].html, results[0].where));
      box.appendChild(list);
      return;
    }
    if (results[0].parts.length) {
      box.appendChild(document.createTextNode(
        "These words run on from one paragraph into the next; a citation quotes one passage."));
      results[0].parts.forEach(function (part) { list.appendChild(choice(part.html, part.where)); });
      box.appendChild(list);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = "Split into " + results[0].parts.length + " citations";
      button.addEventListener("click", function () { split(row, results[0].parts); box.textContent = ""; });
      box.appendChild(button);
      return;
    }
    box.appendChild(document.createTextNode("These words are in " + results.length + " passages; choose one:"));
    results.forEach(function (found) {
      list.appendChild(choice(found.html, found.where, "Use this passage", function () {
        fill(row, found);
        box.textContent = "";
      }));
    });
    box.appendChild(list);
  }

  function setUp(row) {
    var select = field(row, "passage");
    var quote = field(row, "quote");
    if (!select || !quote || !select.dataset.findUrl || row.querySelector(".find-passage")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button find-passage";
    button.textContent = "Find the passage";
    var box = document.createElement("div");
    box.className = "find-passage-results";
    box.setAttribute("role", "status");
    button.addEventListener("click", function () {
      box.textContent = "Looking…";
      var url = select.dataset.findUrl + "?quote=" + encodeURIComponent(quote.value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (data) { show(row, box, data); })
        .catch(function () { box.textContent = "The passages could not be searched; save the row to check it."; });
    });
    quote.insertAdjacentElement("afterend", box);
    quote.insertAdjacentElement("afterend", button);
  }

  function setUpAll() {
    document.querySelectorAll(".inline-related:not(.empty-form)").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", setUpAll);
  document.addEventListener("formset:added", function (event) { setUp(event.target); });
})();
