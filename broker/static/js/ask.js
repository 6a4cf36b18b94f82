// The adviser's "ask a client" page: notice the client's answer without a reload.
// Polls the console's status URL, waiting `interval` seconds between polls and lengthening it
// when told to slow down (RFC 8628 3.5). Without JavaScript, the page's "Check if they have
// answered" button does the same by reloading. No inline script: the CSP allows 'self' only.
(function () {
  "use strict";
  var panel = document.querySelector("[data-ask-status-url]");
  if (!panel || !window.fetch) {
    return;
  }
  var url = panel.getAttribute("data-ask-status-url");
  var interval = parseInt(panel.getAttribute("data-ask-interval"), 10) || 5;
  var live = document.getElementById("ask-live-status");

  function schedule() {
    window.setTimeout(check, interval * 1000);
  }

  function check() {
    window.fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      return response.json();
    }).then(function (answer) {
      if (answer.interval) {
        interval = answer.interval;
      }
      if (answer.status === "pending" || answer.status === "slow_down") {
        schedule();
        return;
      }
      if (live) {
        live.textContent = "Your client has answered. Opening their answer.";
      }
      window.location.assign(answer.next);
    }).catch(function () {
      // The network or the server failed: wait longer, then try again.
      interval += 5;
      schedule();
    });
  }

  schedule();
})();
