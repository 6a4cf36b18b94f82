// "Who is calling me?": show a caller check that starts while the page is open, and drop one
// that ends, without a reload. Without JavaScript the page's "Check again" button does the same.
// No inline script: the CSP allows 'self' only.
(function () {
  "use strict";
  var region = document.querySelector("[data-caller-checks-refresh]");
  if (!region || !window.fetch || !window.DOMParser) {
    return;
  }
  var seconds = parseInt(region.getAttribute("data-caller-checks-refresh"), 10) || 10;

  function refresh() {
    // Never swap the region under someone who is using it (about to report a caller).
    if (region.contains(document.activeElement)) {
      return;
    }
    window.fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new window.DOMParser()
          .parseFromString(html, "text/html")
          .querySelector("[data-caller-checks-refresh]");
        if (fresh && fresh.innerHTML !== region.innerHTML) {
          region.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () {});
  }

  window.setInterval(refresh, seconds * 1000);
})();
