// Zoom and pan for the threat-model diagram (#diagram-view). Loaded as a
// file: the CSP forbids inline script. Buttons [data-zoom], the mouse wheel,
// dragging, and the keyboard (+ − 0 and the arrow keys when the diagram has
// focus) move a CSS transform on the image; nothing is sent to the server.
(function () {
  "use strict";
  function setup() {
    var view = document.getElementById("diagram-view");
    var img = document.getElementById("diagram");
    if (!view || !img || view.dataset.zoomReady) { return; }
    view.dataset.zoomReady = "1";
    var level = document.getElementById("zoom-level");
    var s = 1, x = 0, y = 0, min = 0.25, max = 8;
    function apply() {
      img.style.transform = "translate(" + x + "px," + y + "px) scale(" + s + ")";
      view.classList.toggle("zoomed", s !== 1 || x !== 0 || y !== 0);
      if (level) { level.textContent = Math.round(s * 100) + "%"; }
      view.dataset.scale = String(s);
    }
    // Zoom by factor f around the point (px, py) of the view.
    function zoom(f, px, py) {
      var r = view.getBoundingClientRect();
      if (px === undefined) { px = r.width / 2; py = r.height / 2; }
      var ns = Math.min(max, Math.max(min, s * f));
      f = ns / s;
      // Keep the point under the cursor in place (transform origin 0 0).
      x = px - (px - x) * f;
      y = py - (py - y) * f;
      s = ns;
      apply();
    }
    function reset() { s = 1; x = 0; y = 0; apply(); }
    document.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var a = b.dataset.zoom;
        if (a === "in") { zoom(1.25); } else if (a === "out") { zoom(0.8); } else { reset(); }
      });
    });
    view.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = view.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    var drag = null;
    view.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) { return; }
      drag = {px: e.clientX, py: e.clientY, x: x, y: y};
      view.setPointerCapture(e.pointerId);
      view.classList.add("dragging");
    });
    view.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      x = drag.x + e.clientX - drag.px;
      y = drag.y + e.clientY - drag.py;
      apply();
    });
    function end() { drag = null; view.classList.remove("dragging"); }
    view.addEventListener("pointerup", end);
    view.addEventListener("pointercancel", end);
    view.addEventListener("keydown", function (e) {
      var step = 40;
      switch (e.key) {
        case "+": case "=": zoom(1.25); break;
        case "-": case "_": zoom(0.8); break;
        case "0": reset(); break;
        case "ArrowLeft": x += step; apply(); break;
        case "ArrowRight": x -= step; apply(); break;
        case "ArrowUp": y += step; apply(); break;
        case "ArrowDown": y -= step; apply(); break;
        default: return;
      }
      e.preventDefault();
    });
    apply();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
