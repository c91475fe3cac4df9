// Rampart visual threat-model editor. Loaded as a file (the CSP forbids
// inline script); no build step. It draws the product's model as SVG and
// changes it only through the element, flow and boundary API: every change
// is one request with If-Match, so one new model version by the user, and
// the response's diff shows which threats appeared or disappeared and why.
(function () {
  "use strict";
  var root = document.getElementById("tm-editor");
  if (!root) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var pid = root.dataset.product;
  var canEdit = root.dataset.canEdit === "true";
  var api = "/api/v1/products/" + pid + "/threatmodel/";
  var csrf = document.body.dataset.csrf || "";
  var W = 150, H = 56, PAD = 22, LABEL = 20;
  var svg = document.getElementById("tm-canvas");
  var layers = {b: document.getElementById("tm-boundaries"), f: document.getElementById("tm-flows"), e: document.getElementById("tm-elements")};
  var st = {version: 0, elements: [], flows: [], boundaries: [], threats: [], pos: {}, box: {}, sel: null, connectFrom: null, busy: false};

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  function html(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  function byID(list, id) { for (var i = 0; i < list.length; i++) { if (list[i].id === id) { return list[i]; } } return null; }
  function showError(msg) { var e = $("tm-error"); e.textContent = msg || ""; e.hidden = !msg; }

  function call(method, path, body) {
    var h = {"Accept": "application/json"};
    if (method !== "GET") {
      h["If-Match"] = "\"" + st.version + "\"";
      h["X-CSRF-Token"] = csrf;
      h["Content-Type"] = "application/json";
    }
    return fetch(path.charAt(0) === "/" ? path : api + path, {method: method, credentials: "same-origin", headers: h,
      body: body === undefined ? undefined : JSON.stringify(body)}).then(function (r) {
      return r.text().then(function (t) {
        var j = {};
        try { j = t ? JSON.parse(t) : {}; } catch (e) { j = {detail: t}; }
        return {status: r.status, ok: r.ok, body: j};
      });
    });
  }

  // load reads the latest version: items, positions and threats.
  function load() {
    return Promise.all([call("GET", "elements"), call("GET", "flows"), call("GET", "boundaries"),
      call("GET", "/api/v1/products/" + pid + "/threats")]).then(function (rs) {
      for (var i = 0; i < 3; i++) { if (!rs[i].ok) { throw new Error(rs[i].body.detail || ("HTTP " + rs[i].status)); } }
      st.version = rs[0].body.model_version;
      st.elements = rs[0].body.elements || [];
      st.flows = rs[1].body.flows || [];
      st.boundaries = rs[2].body.boundaries || [];
      st.threats = rs[3].ok ? (rs[3].body.threats || []) : [];
      placeAll();
      render();
      if (st.sel && !byID(itemsOf(st.sel.kind), st.sel.id)) { select(null); } else if (st.sel) { select(st.sel.kind, st.sel.id); }
    }).catch(function (e) { showError("Could not load the model: " + e.message); });
  }

  function itemsOf(kind) { return kind === "elements" ? st.elements : kind === "flows" ? st.flows : st.boundaries; }

  // placeAll gives every element a position: its stored one, else a free
  // grid cell (hand-written models have no layout yet).
  function placeAll() {
    var keep = st.pos;
    st.pos = {};
    var taken = [];
    st.elements.forEach(function (e) { if (e.position) { st.pos[e.id] = {x: e.position.x, y: e.position.y}; taken.push(st.pos[e.id]); } });
    st.elements.forEach(function (e) {
      if (st.pos[e.id]) { return; }
      st.pos[e.id] = keep[e.id] || freeSpot(taken);
      taken.push(st.pos[e.id]);
    });
    st.box = {};
    st.boundaries.forEach(function (b) { if (b.position) { st.box[b.id] = b.position; } });
  }
  function freeSpot(taken) {
    for (var i = 0; ; i++) {
      var p = {x: 40 + (i % 4) * 220, y: 50 + Math.floor(i / 4) * 130};
      var clash = taken.some(function (q) { return Math.abs(q.x - p.x) < W + 20 && Math.abs(q.y - p.y) < H + 40; });
      if (!clash) { return p; }
    }
  }

  // Boundary rectangles: the stored box grown to hold the members (and
  // nested boundaries); skip leaves one element out (while it is dragged).
  function boundaryRects(skip) {
    var rects = {}, depth = {};
    function d(b, seen) {
      if (!b || !b.parent || seen[b.id]) { return 0; }
      seen[b.id] = true;
      return 1 + d(byID(st.boundaries, b.parent), seen);
    }
    st.boundaries.forEach(function (b) { depth[b.id] = d(b, {}); });
    var order = st.boundaries.slice().sort(function (a, b) { return depth[b.id] - depth[a.id]; });
    order.forEach(function (b, i) {
      var r = null;
      function grow(x1, y1, x2, y2) {
        if (!r) { r = {x1: x1, y1: y1, x2: x2, y2: y2}; return; }
        r.x1 = Math.min(r.x1, x1); r.y1 = Math.min(r.y1, y1); r.x2 = Math.max(r.x2, x2); r.y2 = Math.max(r.y2, y2);
      }
      var bx = st.box[b.id];
      if (bx) { grow(bx.x, bx.y, bx.x + (bx.w || 200), bx.y + (bx.h || 140)); }
      st.elements.forEach(function (e) {
        if (e.boundary !== b.id || e.id === skip) { return; }
        var p = st.pos[e.id];
        grow(p.x - PAD, p.y - PAD - LABEL, p.x + W + PAD, p.y + H + PAD);
      });
      st.boundaries.forEach(function (c) {
        var cr = rects[c.id];
        if (c.parent === b.id && cr) { grow(cr.x1 - PAD, cr.y1 - PAD - LABEL, cr.x2 + PAD, cr.y2 + PAD); }
      });
      if (!r) { r = {x1: 40 + i * 30, y1: 400, x2: 300 + i * 30, y2: 560}; }
      rects[b.id] = r;
    });
    return {rects: rects, depth: depth};
  }

  function boundaryAt(x, y, skip) {
    var br = boundaryRects(skip), best = "", bestDepth = -1;
    st.boundaries.forEach(function (b) {
      var r = br.rects[b.id];
      if (x >= r.x1 && x <= r.x2 && y >= r.y1 && y <= r.y2 && br.depth[b.id] > bestDepth) { best = b.id; bestDepth = br.depth[b.id]; }
    });
    return best;
  }

  function openThreats() {
    var by = {};
    st.threats.forEach(function (t) {
      if (t.status !== "open" && t.status !== "in_progress") { return; }
      var c = by[t.target] || (by[t.target] = {n: 0, worst: ""});
      c.n++;
      var rank = {critical: 4, high: 3, medium: 2, low: 1};
      if ((rank[t.severity] || 0) > (rank[c.worst] || 0)) { c.worst = t.severity; }
    });
    return by;
  }

  function render() {
    [layers.b, layers.f, layers.e].forEach(function (g) { while (g.firstChild) { g.removeChild(g.firstChild); } });
    var br = boundaryRects(null), threats = openThreats();
    var maxX = 1000, maxY = 600;
    st.boundaries.slice().sort(function (a, b) { return br.depth[a.id] - br.depth[b.id]; }).forEach(function (b) {
      var r = br.rects[b.id];
      var g = el("g", {"class": "tm-boundary" + sel("boundaries", b.id), "tabindex": "0", "role": "button", "data-id": b.id,
        "aria-label": "Trust boundary " + b.name + (b.type ? " (" + b.type + ")" : "")});
      g.appendChild(el("rect", {x: r.x1, y: r.y1, width: r.x2 - r.x1, height: r.y2 - r.y1, rx: 8}));
      g.appendChild(el("text", {x: r.x1 + 8, y: r.y1 + 15, "class": "tm-boundary-label"}, b.name + (b.type ? " · " + b.type : "")));
      bindItem(g, "boundaries", b.id);
      if (canEdit) { bindDrag(g, "boundaries", b.id); }
      layers.b.appendChild(g);
      maxX = Math.max(maxX, r.x2 + 40); maxY = Math.max(maxY, r.y2 + 40);
    });
    var pairs = {}, seen = {};
    st.flows.forEach(function (f) { var k = [f.from, f.to].sort().join("\n"); pairs[k] = (pairs[k] || 0) + 1; });
    st.flows.forEach(function (f) {
      var a = st.pos[f.from], b = st.pos[f.to];
      if (!a || !b) { return; }
      var c1 = {x: a.x + W / 2, y: a.y + H / 2}, c2 = {x: b.x + W / 2, y: b.y + H / 2};
      var p1 = edge(c1, c2), p2 = edge(c2, c1);
      // Flows between the same two elements are drawn side by side.
      var k = [f.from, f.to].sort().join("\n"), i = seen[k] = (seen[k] || 0) + 1;
      if (pairs[k] > 1) {
        var len = Math.hypot(p2.x - p1.x, p2.y - p1.y) || 1, off = (i - 1 - (pairs[k] - 1) / 2) * 16;
        var nx = -(p2.y - p1.y) / len * off, ny = (p2.x - p1.x) / len * off;
        if (f.from > f.to) { nx = -nx; ny = -ny; }
        p1 = {x: p1.x + nx, y: p1.y + ny}; p2 = {x: p2.x + nx, y: p2.y + ny};
      }
      var g = el("g", {"class": "tm-flow" + (f.encrypted ? " tm-encrypted" : " tm-plain") + sel("flows", f.id), "tabindex": "0", "role": "button", "data-id": f.id,
        "aria-label": "Flow " + (f.name || f.id) + " from " + f.from + " to " + f.to + (f.protocol ? " over " + f.protocol : "") + (f.encrypted ? ", encrypted" : ", not encrypted")});
      g.appendChild(el("line", {x1: p1.x, y1: p1.y, x2: p2.x, y2: p2.y, "class": "tm-hit"}));
      g.appendChild(el("line", {x1: p1.x, y1: p1.y, x2: p2.x, y2: p2.y, "class": "tm-line", "marker-end": "url(#tm-arrow)"}));
      var label = (f.protocol || f.name || f.id) + (f.encrypted ? " 🔒" : "");
      var t = threats[f.id];
      if (t) { label += "  ⚠" + t.n; }
      g.appendChild(el("text", {x: (p1.x + p2.x) / 2, y: (p1.y + p2.y) / 2 - 6, "class": "tm-flow-label", "text-anchor": "middle"}, label));
      bindItem(g, "flows", f.id);
      layers.f.appendChild(g);
    });
    st.elements.forEach(function (e) {
      var p = st.pos[e.id], t = threats[e.id];
      var g = el("g", {"class": "tm-node tm-" + e.type + sel("elements", e.id) + (st.connectFrom === e.id ? " tm-from" : ""), "tabindex": "0", "role": "button",
        "data-id": e.id, "transform": "translate(" + p.x + "," + p.y + ")",
        "aria-label": e.type.replace("_", " ") + " " + e.name + (e.boundary ? " in " + e.boundary : "") + (t ? ", " + t.n + " open threats" : ", no open threats")});
      g.appendChild(el("rect", {width: W, height: H, rx: e.type === "process" ? 26 : e.type === "device" ? 4 : 0, "class": "tm-shape"}));
      if (e.type === "data_store") {
        g.appendChild(el("line", {x1: 0, y1: 6, x2: W, y2: 6, "class": "tm-store-line"}));
        g.appendChild(el("line", {x1: 0, y1: H - 6, x2: W, y2: H - 6, "class": "tm-store-line"}));
      }
      if (e.type === "device") { g.appendChild(el("rect", {x: 4, y: 4, width: W - 8, height: H - 8, rx: 2, "class": "tm-inner"})); }
      g.appendChild(el("text", {x: W / 2, y: H / 2 - 2, "text-anchor": "middle", "class": "tm-name"}, e.name.length > 20 ? e.name.slice(0, 19) + "…" : e.name));
      g.appendChild(el("text", {x: W / 2, y: H / 2 + 14, "text-anchor": "middle", "class": "tm-type"}, e.kind || e.type.replace("_", " ")));
      if (t) {
        var badge = el("g", {"class": "tm-badge tm-sev-" + (t.worst || "info"), "transform": "translate(" + (W - 6) + ",-6)"});
        badge.appendChild(el("circle", {r: 11}));
        badge.appendChild(el("text", {"text-anchor": "middle", y: 4}, String(t.n)));
        g.appendChild(badge);
      }
      bindItem(g, "elements", e.id);
      if (canEdit) { bindDrag(g, "elements", e.id); }
      layers.e.appendChild(g);
      maxX = Math.max(maxX, p.x + W + 40); maxY = Math.max(maxY, p.y + H + 40);
    });
    svg.setAttribute("viewBox", "0 0 " + maxX + " " + maxY);
    svg.setAttribute("data-version", String(st.version));
    $("tm-version").textContent = st.version ? "Version " + st.version + "." : "No model yet: add an element to start one.";
    var open = st.threats.filter(function (t) { return t.status === "open" || t.status === "in_progress"; }).length;
    $("tm-open").textContent = open + " open";
    renderList();
    fillSelects();
  }
  function sel(kind, id) { return st.sel && st.sel.kind === kind && st.sel.id === id ? " tm-selected" : ""; }

  // edge is where the line from c towards d leaves the element box around c.
  function edge(c, d) {
    var dx = d.x - c.x, dy = d.y - c.y;
    if (dx === 0 && dy === 0) { return c; }
    var s = Math.min(Math.abs((W / 2 + 4) / (dx || 1e-9)), Math.abs((H / 2 + 4) / (dy || 1e-9)));
    return {x: c.x + dx * s, y: c.y + dy * s};
  }

  function renderList() {
    var ul = $("tm-list");
    while (ul.firstChild) { ul.removeChild(ul.firstChild); }
    [["elements", st.elements], ["flows", st.flows], ["boundaries", st.boundaries]].forEach(function (pair) {
      pair[1].forEach(function (it) {
        var li = html("li"), b = html("button", "link", "");
        b.type = "button";
        b.dataset.kind = pair[0];
        b.dataset.id = it.id;
        b.textContent = pair[0] === "flows" ? "flow " + (it.name || it.id) + ": " + it.from + " → " + it.to :
          (pair[0] === "elements" ? it.type.replace("_", " ") : "boundary") + ": " + it.name;
        b.addEventListener("click", function () { choose(pair[0], it.id); });
        li.appendChild(b);
        ul.appendChild(li);
      });
    });
  }

  function fillSelects() {
    document.querySelectorAll(".tm-element-select").forEach(function (s) { options(s, st.elements, false); });
    document.querySelectorAll(".tm-boundary-select").forEach(function (s) { options(s, st.boundaries, true); });
  }
  function options(s, items, none) {
    var v = s.value;
    while (s.firstChild) { s.removeChild(s.firstChild); }
    if (none) { var o = html("option", "", "(none)"); o.value = ""; s.appendChild(o); }
    items.forEach(function (it) { var o = html("option", "", it.name + " (" + it.id + ")"); o.value = it.id; s.appendChild(o); });
    s.value = v;
  }

  // choose handles a click or Enter on an item: finishes a pending flow, or selects.
  function choose(kind, id) {
    if (st.connectFrom && kind === "elements") {
      var from = st.connectFrom;
      connect(null);
      if (from !== id) { write("POST", "flows", {from: from, to: id}, {kind: "flows"}); }
      return;
    }
    select(kind, id);
  }

  function bindItem(g, kind, id) {
    g.addEventListener("click", function (ev) { if (!g.dataset.dragged) { choose(kind, id); } delete g.dataset.dragged; ev.stopPropagation(); });
    g.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(kind, id); return; }
      if (!canEdit) { return; }
      if (ev.key === "Escape") { connect(null); return; }
      if (ev.key === "Delete" || ev.key === "Backspace") { ev.preventDefault(); remove(kind, id); return; }
      if (kind === "elements" && (ev.key === "c" || ev.key === "C")) { ev.preventDefault(); connect(id); return; }
      var step = ev.shiftKey ? 50 : 10, dx = 0, dy = 0;
      if (ev.key === "ArrowLeft") { dx = -step; } else if (ev.key === "ArrowRight") { dx = step; } else if (ev.key === "ArrowUp") { dy = -step; } else if (ev.key === "ArrowDown") { dy = step; } else { return; }
      ev.preventDefault();
      if (kind === "elements") {
        var p = st.pos[id];
        p.x = Math.max(0, p.x + dx); p.y = Math.max(0, p.y + dy);
        render();
        focusItem(kind, id);
      } else if (kind === "boundaries") {
        var r = boundaryRects(null).rects[id];
        var bx = st.box[id] || {x: r.x1, y: r.y1, w: r.x2 - r.x1, h: r.y2 - r.y1};
        st.box[id] = {x: Math.max(0, bx.x + dx), y: Math.max(0, bx.y + dy), w: bx.w, h: bx.h};
        render();
        focusItem(kind, id);
      } else { return; }
      clearTimeout(moveTimer);
      // Keys move at once on screen; the move is saved when they pause.
      pendingMove = {kind: kind, id: id};
      moveTimer = setTimeout(flushMove, 700);
    });
  }
  var pendingMove = null, moveTimer = null;
  function flushMove() {
    clearTimeout(moveTimer);
    if (!pendingMove) { return Promise.resolve(); }
    var m = pendingMove;
    pendingMove = null;
    return commitMove(m.kind, m.id);
  }

  function svgPoint(ev) {
    var pt = svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  }
  function bindDrag(g, kind, id) {
    g.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) { return; }
      var start = svgPoint(ev), moved = false;
      var orig;
      if (kind === "elements") { orig = {x: st.pos[id].x, y: st.pos[id].y}; } else {
        var r = boundaryRects(null).rects[id];
        orig = st.box[id] || {x: r.x1, y: r.y1, w: r.x2 - r.x1, h: r.y2 - r.y1};
      }
      g.setPointerCapture(ev.pointerId);
      function move(e2) {
        var p = svgPoint(e2), dx = p.x - start.x, dy = p.y - start.y;
        if (!moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
        moved = true;
        if (kind === "elements") {
          st.pos[id] = {x: Math.max(0, orig.x + dx), y: Math.max(0, orig.y + dy)};
          g.setAttribute("transform", "translate(" + st.pos[id].x + "," + st.pos[id].y + ")");
        } else {
          g.setAttribute("transform", "translate(" + dx + "," + dy + ")");
          st.box[id] = {x: Math.max(0, orig.x + dx), y: Math.max(0, orig.y + dy), w: orig.w, h: orig.h};
        }
      }
      function up() {
        g.removeEventListener("pointermove", move);
        g.removeEventListener("pointerup", up);
        g.removeEventListener("pointercancel", up);
        if (moved) { g.dataset.dragged = "1"; commitMove(kind, id); }
      }
      g.addEventListener("pointermove", move);
      g.addEventListener("pointerup", up);
      g.addEventListener("pointercancel", up);
    });
  }

  // commitMove saves a position; an element dropped into (or out of) a
  // trust boundary changes its boundary in the same version.
  function commitMove(kind, id) {
    if (kind === "elements") {
      var p = st.pos[id], it = byID(st.elements, id);
      var patch = {position: {x: Math.round(p.x), y: Math.round(p.y)}};
      var b = boundaryAt(p.x + W / 2, p.y + H / 2, id);
      if (b !== (it.boundary || "")) { patch.boundary = b || null; }
      return write("PATCH", "elements/" + encodeURIComponent(id), patch, {kind: kind, id: id});
    }
    var bx = st.box[id];
    return write("PATCH", "boundaries/" + encodeURIComponent(id), {position: {x: Math.round(bx.x), y: Math.round(bx.y), w: Math.round(bx.w || 240), h: Math.round(bx.h || 160)}}, {kind: kind, id: id});
  }

  function focusItem(kind, id) {
    var layer = kind === "elements" ? layers.e : kind === "flows" ? layers.f : layers.b;
    var n = layer.querySelector("[data-id=\"" + CSS.escape(id) + "\"]");
    if (n) { n.focus(); }
  }

  function connect(id) {
    st.connectFrom = id;
    var hint = $("tm-connect-hint");
    if (id) {
      hint.textContent = "New flow from " + id + ": click the element the data goes to (or Tab to it and press Enter). Esc cancels.";
      hint.hidden = false;
    } else { hint.hidden = true; }
    render();
    if (id) { focusItem("elements", id); }
  }

  // The attribute forms. A field name with dots (device.update.signed)
  // is a nested attribute.
  var forms = {elements: $("tm-form-element"), flows: $("tm-form-flow"), boundaries: $("tm-form-boundary")};
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function setPath(obj, path, v) {
    var ks = path.split("."), o = obj;
    for (var i = 0; i < ks.length - 1; i++) { o = o[ks[i]] || (o[ks[i]] = {}); }
    o[ks[ks.length - 1]] = v;
  }
  function fieldValue(f) {
    if (f.type === "checkbox") { return f.checked; }
    if (f.name === "data") { return f.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean); }
    return f.value.trim();
  }
  function norm(v, f) {
    if (f.type === "checkbox") { return !!v; }
    if (f.name === "data") { return (v || []).join(","); }
    return v == null ? "" : String(v);
  }
  function select(kind, id) {
    var a = document.activeElement, hadFocus = a && a.closest && a.closest("#tm-canvas");
    st.sel = kind ? {kind: kind, id: id} : null;
    Object.keys(forms).forEach(function (k) { forms[k].hidden = k !== kind; });
    $("tm-inspector-empty").hidden = !!kind;
    var it = kind ? byID(itemsOf(kind), id) : null;
    $("tm-inspector-title").textContent = it ? (kind === "flows" ? "Flow " + (it.name || it.id) : it.name) + " (" + id + ")" : "Attributes";
    if (it) {
      fillSelects();
      Array.prototype.forEach.call(forms[kind].elements, function (f) {
        if (!f.name) { return; }
        var v = get(it, f.name);
        if (f.type === "checkbox") { f.checked = !!v; } else { f.value = norm(v, f); }
        f.disabled = !canEdit;
      });
      var dev = forms[kind].querySelector(".tm-device");
      if (dev) { dev.hidden = it.type !== "device"; }
    }
    render();
    if (hadFocus && kind) { focusItem(kind, id); }
  }
  Object.keys(forms).forEach(function (kind) {
    var form = forms[kind];
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var it = st.sel && byID(itemsOf(kind), st.sel.id);
      if (!it) { return; }
      var patch = {}, n = 0;
      Array.prototype.forEach.call(form.elements, function (f) {
        if (!f.name || (f.closest(".tm-device") && f.closest(".tm-device").hidden)) { return; }
        var nv = fieldValue(f);
        if (norm(nv, f) === norm(get(it, f.name), f)) { return; }
        setPath(patch, f.name, (nv === "" || (Array.isArray(nv) && !nv.length)) ? null : nv);
        n++;
      });
      if (!n) { showDelta(null, "Nothing changed."); return; }
      write("PATCH", kind + "/" + encodeURIComponent(it.id), patch, {kind: kind, id: it.id});
    });
    var del = form.querySelector(".tm-delete");
    if (del) { del.addEventListener("click", function () { if (st.sel) { remove(kind, st.sel.id); } }); }
    var con = form.querySelector(".tm-connect");
    if (con) { con.addEventListener("click", function () { if (st.sel) { connect(st.sel.id); } }); }
  });

  function remove(kind, id) { write("DELETE", kind + "/" + encodeURIComponent(id), undefined, {kind: null}); }

  // write sends one change and shows its rule results. Writes queue: each
  // is sent after the previous one finished, with the version it made.
  var queue = Promise.resolve();
  function write(method, path, body, after) {
    if (!canEdit) { return Promise.resolve(); }
    if (pendingMove && !(method === "PATCH" && path.indexOf(pendingMove.kind + "/") === 0)) { flushMove(); }
    queue = queue.then(function () { return send(method, path, body, after); });
    return queue;
  }
  function send(method, path, body, after) {
    st.busy = true;
    root.setAttribute("aria-busy", "true");
    showError("");
    function done() { st.busy = false; root.removeAttribute("aria-busy"); }
    return call(method, path, body).then(function (r) {
      if (r.status === 412) {
        staleNotice(r.body);
        return load().then(done);
      }
      if (!r.ok) {
        showError("Not saved: " + (r.body.detail || ("HTTP " + r.status)) + (r.body.field ? " (field " + r.body.field + ")" : ""));
        return load().then(done);
      }
      st.version = r.body.version.version;
      showDelta(r.body);
      if (after && after.kind && (after.id || r.body.id)) { st.sel = {kind: after.kind, id: after.id || r.body.id}; } else if (after && after.kind === null) { st.sel = null; }
      return load().then(function () {
        if (st.sel) { select(st.sel.kind, st.sel.id); focusItem(st.sel.kind, st.sel.id); } else { select(null); }
        done();
      });
    }).catch(function (e) {
      done();
      showError("Not saved: " + e.message);
    });
  }

  function threatLine(t, sign, cls) {
    var li = html("li", cls);
    li.appendChild(html("span", "pill sev-" + t.severity, t.severity));
    li.appendChild(document.createTextNode(" " + sign + " "));
    li.appendChild(html("strong", "", t.title));
    li.appendChild(document.createTextNode(" — " + (t.target_name || t.target)));
    if (t.why) { li.appendChild(html("div", "small muted", "Why: " + t.why)); }
    return li;
  }
  function showDelta(res, msg) {
    var box = $("tm-delta");
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (!res) { box.appendChild(html("p", "muted small", msg)); return; }
    var head = html("p", "tm-delta-head");
    head.appendChild(html("strong", "", res.created ? "Saved version " + res.version.version : "Nothing changed (version " + res.version.version + ")"));
    if (res.created && res.version.note) { head.appendChild(document.createTextNode(": " + res.version.note)); }
    box.appendChild(head);
    if (res.removed && res.removed.length) { box.appendChild(html("p", "small", "Also changed: " + res.removed.join("; "))); }
    var d = res.diff && res.diff.threats;
    if (!d || (!d.added.length && !d.removed.length && !d.changed.length)) {
      box.appendChild(html("p", "muted small", "No threats appeared or disappeared."));
      return;
    }
    var ul = html("ul", "tm-threats");
    ul.id = "tm-delta-threats";
    d.added.forEach(function (t) { ul.appendChild(threatLine(t, "new:", "tm-added")); });
    d.removed.forEach(function (t) { ul.appendChild(threatLine(t, "gone:", "tm-removed")); });
    d.changed.forEach(function (c) { ul.appendChild(html("li", "tm-changed", c.id + " " + c.field + ": " + c.before + " → " + c.after)); });
    box.appendChild(ul);
  }
  function staleNotice(b) {
    var cur = b.current_version || {};
    var msg = "Not saved: " + (cur.created_by || "someone") + " saved version " + cur.version + " while you were editing.";
    var d = b.diff;
    if (d) {
      var parts = [];
      ["elements", "flows", "boundaries"].forEach(function (k) {
        ["added", "removed", "changed"].forEach(function (a) { if (d[k][a].length) { parts.push(a + " " + k + " " + d[k][a].join(", ")); } });
      });
      if (parts.length) { msg += " Their change: " + parts.join("; ") + "."; }
    }
    showError(msg + " The editor now shows their version; make your change again.");
  }

  if (canEdit) {
    $("tm-add-element").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target, taken = Object.keys(st.pos).map(function (k) { return st.pos[k]; });
      var p = freeSpot(taken);
      write("POST", "elements", {name: f.name.value.trim(), type: f.type.value, position: p}, {kind: "elements"}).then(function () { f.reset(); });
    });
    $("tm-add-flow").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target, body = {from: f.from.value, to: f.to.value};
      if (f.protocol.value.trim()) { body.protocol = f.protocol.value.trim(); }
      if (f.encrypted.checked) { body.encrypted = true; }
      write("POST", "flows", body, {kind: "flows"}).then(function () { f.protocol.value = ""; f.encrypted.checked = false; });
    });
    $("tm-add-boundary").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target, br = boundaryRects(null), y = 40;
      Object.keys(st.pos).forEach(function (k) { y = Math.max(y, st.pos[k].y + H + 60); });
      Object.keys(br.rects).forEach(function (k) { y = Math.max(y, br.rects[k].y2 + 40); });
      var body = {name: f.name.value.trim(), position: {x: 40, y: y, w: 320, h: 180}};
      if (f.type.value) { body.type = f.type.value; }
      write("POST", "boundaries", body, {kind: "boundaries"}).then(function () { f.reset(); });
    });
  }
  svg.addEventListener("click", function () { if (st.connectFrom) { connect(null); } });
  load();
})();
