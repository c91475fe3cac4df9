// Rampart UI behaviour. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";
  // Send the session's CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (e) {
    var token = document.body.dataset.csrf;
    if (token) { e.detail.headers["X-CSRF-Token"] = token; }
  });
  // Upload progress for file forms (SBOM, scanner reports).
  function bar(e) { return e.target && e.target.querySelector ? e.target.querySelector("progress") : null; }
  document.addEventListener("htmx:xhr:loadstart", function (e) {
    var b = bar(e);
    if (b) { b.hidden = false; b.value = 0; }
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var b = bar(e);
    if (b && e.detail.lengthComputable) { b.value = Math.round((e.detail.loaded / e.detail.total) * 100); }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var b = bar(e);
    if (b) { b.value = 100; setTimeout(function () { b.hidden = true; }, 600); }
  });
  // Show a readable message when the server or network fails an htmx call.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("upload-result");
    if (box && e.target.id === "upload") {
      box.textContent = "Upload failed (HTTP " + e.detail.xhr.status + "). Check the file and try again.";
      box.className = "error";
    }
  });
})();
