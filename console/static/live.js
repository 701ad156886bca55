/* The live meeting panel fetches itself again every second, so what Twilio reports (a join, a
   mute, someone speaking) shows within two seconds. No library: fetch and a DOM swap. */
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  if (!panel) { return; }
  var url = panel.getAttribute("data-fragment");
  var announce = document.getElementById("live-announce");
  var connection = document.getElementById("live-connection");
  var INTERVAL = 1000;
  var last = panel.innerHTML;
  var busy = false;
  var timer = null;

  function summary() {
    var state = panel.querySelector("[data-summary]");
    return state ? state.getAttribute("data-summary") : "";
  }

  function finished() {
    return panel.querySelector("[data-finished]") !== null;
  }

  function swap(html) {
    // Keep the keyboard where it was: controls keep their ids from one refresh to the next.
    var focused = document.activeElement;
    var focusId = focused && panel.contains(focused) ? focused.id : "";
    var before = summary();
    panel.innerHTML = html;
    last = html;
    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) { again.focus(); }
    }
    var after = summary();
    if (announce && after !== before) { announce.textContent = after; }
  }

  function stop(message) {
    if (timer !== null) { clearInterval(timer); timer = null; }
    if (connection && message) { connection.textContent = message; }
  }

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          stop("You are signed out: reload the page to sign in again.");
          return null;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        if (connection) { connection.textContent = ""; }
        if (html.trim() !== last.trim()) { swap(html); }
        if (finished()) { stop(""); }
      })
      .catch(function () {
        if (connection) {
          connection.textContent = "Connection lost: trying again. What you see may be out of date.";
        }
      })
      .then(function () { busy = false; });
  }

  if (!finished()) { timer = setInterval(refresh, INTERVAL); }
})();
