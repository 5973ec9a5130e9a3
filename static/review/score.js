/* The expert's score sheet (templates/review/expert/score.html).
 *
 * - Live totals: item points = item points × percentage; category subtotals and the total follow as the expert
 *   types (the same arithmetic as js/self_assessment.js, by item row).
 * - Autosave: each item's row posts its own fields with htmx (hx-post on the row: on change, and 1.5 s after
 *   typing in a text box). The answer is the row's saved state and, out of band, the saved points, subtotal and
 *   total. Only an answer carrying the X-Score-Saved header counts as saved (a login page does not).
 * - What is not saved yet is marked on the row and listed at the top (#save-summary) until a save succeeds.
 * - A lost connection or a server error (htmx:sendError, htmx:timeout, htmx:responseError) is retried with a
 *   growing pause (1 s, 2 s, 4 s … at most 30 s), and at once when the browser is back online. A refusal (409:
 *   the sheet is submitted or the stage closed; 422: a percentage off the cycle's step) is shown, not retried.
 * - Leaving the page with anything not saved asks first; the form's own buttons (which post every item) do not.
 *
 * Without this script the form's buttons save or submit the whole sheet.
 */
(function () {
  "use strict";

  var SAVED_HEADER = "X-Score-Saved";
  var FIRST_RETRY_MS = 1000;
  var LAST_RETRY_MS = 30000;
  var REFUSED = [409, 422];

  if (window.htmx) {
    window.htmx.config.allowEval = false; // nothing here needs eval (a CSP comes later)
    window.htmx.config.includeIndicatorStyles = false; // no inline <style>
    window.htmx.config.timeout = 20000;
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409|422", swap: true, error: false }, // a refusal: its message goes where the item's state shows
      { code: "[45]..", swap: false, error: true },
    ];
  }

  var form = null;
  var summary = null;
  var submitting = false;

  function show(points) {
    // 7.5 rather than 7.50, 25 rather than 25.00: two decimals at most, trailing zeros dropped.
    return String(Math.round(points * 100) / 100);
  }

  function rowOf(node) {
    return node && node.closest ? node.closest("tr[data-item]") : null;
  }

  function recompute() {
    var categories = {};
    var total = 0;
    document.querySelectorAll("input.self-percent").forEach(function (input) {
      var percent = parseFloat(input.value);
      var points = isNaN(percent) ? 0 : (parseFloat(input.dataset.points) * percent) / 100;
      var row = rowOf(input);
      var cell = row ? row.querySelector("output.item-points") : null;
      if (cell) { cell.textContent = show(points); }
      categories[input.dataset.category] = (categories[input.dataset.category] || 0) + points;
      total += points;
    });
    document.querySelectorAll("output.category-total").forEach(function (out) {
      out.textContent = show(categories[out.dataset.category] || 0);
    });
    var totalOut = document.getElementById("self-total");
    if (totalOut) { totalOut.textContent = show(total); }
  }

  function tone() {
    summary.classList.remove("text-success", "text-danger", "text-warning-emphasis", "fw-semibold");
    summary.classList.add.apply(summary.classList, arguments);
  }

  function summarise() {
    if (!summary) { return; }
    var pending = form.querySelectorAll("tr[data-item][data-state]");
    if (!pending.length) {
      summary.textContent = summary.dataset.saved;
      tone("text-success");
      return;
    }
    var unsaved = [];
    var refused = [];
    var retrying = false;
    pending.forEach(function (row) {
      (row.dataset.state === "refused" ? refused : unsaved).push(row.dataset.item);
      retrying = retrying || row.dataset.state === "retrying";
    });
    var parts = [];
    if (unsaved.length) { parts.push(summary.dataset.unsaved + " " + unsaved.join(", ") + "."); }
    if (retrying) { parts.push(summary.dataset.retrying); }
    if (refused.length) { parts.push(summary.dataset.refused + " " + refused.join(", ") + "."); }
    summary.textContent = parts.join(" ");
    tone(retrying || refused.length ? "text-danger" : "text-warning-emphasis", "fw-semibold");
  }

  // state: "unsaved" (edited, not saved yet), "retrying" (a save failed, another is coming), "refused", or
  // none when the row's last edit is saved.
  function setState(row, state) {
    if (state) { row.dataset.state = state; } else { delete row.dataset.state; }
    var badge = row.querySelector(".item-unsaved");
    if (badge) { badge.hidden = !state; }
    summarise();
  }

  function edited(row) {
    row.dataset.edits = String(Number(row.dataset.edits || 0) + 1);
    setState(row, "unsaved");
  }

  function retryLater(row) {
    if (!row) { return; }
    var failures = Number(row.dataset.failures || 0) + 1;
    row.dataset.failures = String(failures);
    window.clearTimeout(row.scoreRetry);
    var wait = Math.min(FIRST_RETRY_MS * Math.pow(2, failures - 1), LAST_RETRY_MS);
    row.scoreRetry = window.setTimeout(function () { window.htmx.trigger(row, "score:retry"); }, wait);
    setState(row, "retrying");
  }

  function retryNow() {
    form.querySelectorAll('tr[data-item][data-state="retrying"]').forEach(function (row) {
      window.clearTimeout(row.scoreRetry);
      window.htmx.trigger(row, "score:retry");
    });
  }

  function wire() {
    form = document.getElementById("score-form");
    if (!form) { return; }
    summary = document.getElementById("save-summary");
    recompute();
    summarise();

    form.addEventListener("input", function (event) {
      var row = rowOf(event.target);
      if (event.target.matches("input.self-percent")) { recompute(); }
      if (!row || !row.hasAttribute("hx-post")) { return; }
      edited(row);
      if (event.target.tagName === "TEXTAREA") { window.htmx.trigger(row, "score:typed"); }
    });
    form.addEventListener("submit", function () { submitting = true; });

    form.addEventListener("htmx:configRequest", function (event) {
      var row = rowOf(event.detail.elt);
      if (!row) { return; }
      window.clearTimeout(row.scoreRetry);
      row.dataset.sending = row.dataset.edits || "0"; // the values going out are those of this edit
    });
    form.addEventListener("htmx:beforeSwap", function (event) {
      var xhr = event.detail.xhr;
      if (xhr.status === 200 && !xhr.getResponseHeader(SAVED_HEADER)) {
        event.detail.shouldSwap = false; // e.g. the login page after the session ended: not a save
        event.detail.isError = true; // → htmx:responseError → retried
      }
    });
    ["htmx:sendError", "htmx:timeout", "htmx:responseError"].forEach(function (name) {
      form.addEventListener(name, function (event) { retryLater(rowOf(event.detail.elt)); });
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      var row = rowOf(event.detail.elt);
      var xhr = event.detail.xhr;
      if (!row || !xhr) { return; }
      if (xhr.status === 200 && xhr.getResponseHeader(SAVED_HEADER)) {
        row.dataset.failures = "0";
        setState(row, row.dataset.edits === row.dataset.sending ? null : "unsaved"); // newer edits go next
        recompute(); // the saved totals, then whatever is still being typed
      } else if (REFUSED.indexOf(xhr.status) !== -1) {
        setState(row, "refused");
      }
    });

    window.addEventListener("online", retryNow);
    window.addEventListener("beforeunload", function (event) {
      if (submitting || !form.querySelector("tr[data-item][data-state]")) { return; }
      event.preventDefault();
      event.returnValue = ""; // the browser shows its own "leave the page?" question
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
