// Live countdowns for reporting deadlines: every element with data-due (RFC 3339) shows the
// time left, or how long it is overdue. The server's rendering is the fallback without script.
(function () {
  function fmt(ms) {
    var m = Math.floor(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    return (d ? d + " d " : "") + h + " h " + (m % 60) + " min";
  }
  function tick() {
    var els = document.querySelectorAll("[data-due]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i], left = Date.parse(el.getAttribute("data-due")) - Date.now();
      if (el.getAttribute("data-submitted")) continue;
      el.textContent = left >= 0 ? "due in " + fmt(left) : "OVERDUE by " + fmt(left);
      el.className = left >= 0 ? "countdown due" : "countdown overdue";
    }
  }
  tick();
  setInterval(tick, 1000);
})();
