// Live pages: a page whose <main> carries data-live refetches itself every 2 s and swaps the
// content in when it changed. The new HTML comes from this same server, already escaped.
// Nothing is swapped while the user is typing in a form on the page.
(function () {
  "use strict";
  var main = document.getElementById("live");
  if (!main || !main.dataset.live) { return; }
  var busy = false;
  function tick() {
    if (busy || document.hidden || !main.dataset.live) { return; }
    var active = document.activeElement;
    if (active && main.contains(active) && active !== document.body &&
        /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(active.tagName)) { return; }
    busy = true;
    fetch(window.location.href, { headers: { "X-Live": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        if (fresh && fresh.innerHTML !== main.innerHTML) {
          main.innerHTML = fresh.innerHTML;
          if (!fresh.dataset.live) { delete main.dataset.live; }
        }
      })
      .catch(function () { /* the server may be restarting: try again next tick */ })
      .finally(function () { busy = false; });
  }
  window.setInterval(tick, 2000);
}());
