// Rampart UI behaviour. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";
  // Send the session's CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (e) {
    var token = document.body.dataset.csrf;
    if (token) { e.detail.headers["X-CSRF-Token"] = token; }
  });
  // Live regions (data-live) poll; a poll is skipped while someone types
  // in the region (a decision's owner or reason), so it is not wiped.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-live") || e.detail.requestConfig.verb !== "get") { return; }
    var a = document.activeElement;
    var busy = !!(a && el.contains(a) && a.matches("input, textarea, select"));
    el.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (i) {
      if (i.value !== i.defaultValue) { busy = true; }
    });
    if (busy) { e.preventDefault(); }
  });
  // Forms marked data-reset are cleared after a successful htmx post.
  document.addEventListener("htmx:afterRequest", function (e) {
    var f = e.detail.elt;
    if (f && f.hasAttribute && f.hasAttribute("data-reset") && e.detail.successful && !document.getElementById("live-error")) { f.reset(); }
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
  // Inline threat tracking answers with the product's open-threat count.
  document.addEventListener("htmx:afterRequest", function (e) {
    var n = e.detail.xhr && e.detail.xhr.getResponseHeader("X-Open-Threats");
    var badge = document.getElementById("open-threats");
    if (n !== null && n !== undefined && badge) { badge.textContent = n + " open"; }
  });
  // Show a readable message when the server or network fails an htmx call.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("upload-result");
    if (box && e.target.id === "upload") {
      box.textContent = "Upload failed (HTTP " + e.detail.xhr.status + "). Check the file and try again.";
      box.className = "error";
    }
  });

  // Passkeys (WebAuthn). The server sends the ceremony options with binary
  // fields base64url-encoded; the browser API wants ArrayBuffers.
  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, token, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
      body: body === undefined ? "{}" : JSON.stringify(body)}).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.detail || ("HTTP " + r.status)); }
        return j;
      });
    });
  }
  function credentialJSON(c) {
    var resp = {clientDataJSON: bufToB64u(c.response.clientDataJSON)};
    if (c.response.attestationObject) {
      resp.attestationObject = bufToB64u(c.response.attestationObject);
      if (c.response.getTransports) { resp.transports = c.response.getTransports(); }
    }
    if (c.response.authenticatorData) {
      resp.authenticatorData = bufToB64u(c.response.authenticatorData);
      resp.signature = bufToB64u(c.response.signature);
      if (c.response.userHandle) { resp.userHandle = bufToB64u(c.response.userHandle); }
    }
    return {id: c.id, rawId: bufToB64u(c.rawId), type: c.type, response: resp,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}};
  }
  function showError(box, err) {
    if (box) { box.hidden = false; box.textContent = "Passkey failed: " + err.message; }
  }
  document.addEventListener("click", function (e) {
    var reg = e.target.closest && e.target.closest("#passkey-register");
    var login = e.target.closest && e.target.closest("#passkey-signin");
    var second = e.target.closest && e.target.closest("#passkey-confirm");
    if (!reg && !login && !second) { return; }
    e.preventDefault();
    var box = document.getElementById("passkey-error");
    if (reg) {
      var token = document.body.dataset.csrf;
      var name = (document.getElementById("passkey-name") || {}).value || "passkey";
      post("/account/passkeys/begin", token).then(function (c) {
        var o = c.options.publicKey;
        o.challenge = b64uToBuf(o.challenge);
        o.user.id = b64uToBuf(o.user.id);
        (o.excludeCredentials || []).forEach(function (x) { x.id = b64uToBuf(x.id); });
        return navigator.credentials.create({publicKey: o}).then(function (cred) {
          return post("/account/passkeys/finish?id=" + encodeURIComponent(c.id) + "&name=" + encodeURIComponent(name), token, credentialJSON(cred));
        });
      }).then(function (r) { window.location = r.redirect; }).catch(function (err) { showError(box, err); });
      return;
    }
    if (second) {
      var o2 = JSON.parse(second.dataset.options).publicKey;
      var pre2 = second.closest("form").querySelector("input[name=csrf]").value;
      o2.challenge = b64uToBuf(o2.challenge);
      (o2.allowCredentials || []).forEach(function (x) { x.id = b64uToBuf(x.id); });
      navigator.credentials.get({publicKey: o2}).then(function (cred) {
        return post("/login/passkey/second", pre2, credentialJSON(cred));
      }).then(function (r) { window.location = r.redirect; }).catch(function (err) { showError(box, err); });
      return;
    }
    var form = login.closest("form"), pre = form.querySelector("input[name=csrf]").value;
    post("/login/passkey/begin", pre).then(function (c) {
      var o = c.options.publicKey;
      o.challenge = b64uToBuf(o.challenge);
      (o.allowCredentials || []).forEach(function (x) { x.id = b64uToBuf(x.id); });
      return navigator.credentials.get({publicKey: o}).then(function (cred) {
        return post("/login/passkey/finish?id=" + encodeURIComponent(c.id), pre, credentialJSON(cred));
      });
    }).then(function (r) {
      var next = form.querySelector("input[name=next]");
      window.location = next && next.value && next.value !== "/" ? next.value : r.redirect;
    }).catch(function (err) { showError(box, err); });
  });
})();
