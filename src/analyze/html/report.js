// dbglog analyze --format html: the timeline (flame chart), the call tree and sortable
// tables, drawn from the JSON data block. Log text only ever reaches the page through
// textContent, never as markup.
(function () {
  "use strict";
  var body = document.body;
  var cspViolations = 0;
  document.addEventListener("securitypolicyviolation", function () {
    cspViolations++;
    body.setAttribute("data-csp-violations", String(cspViolations));
  });
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function ms(n) { return (n / 1e6).toFixed(3); }

  // Sortable tables (the static tables work without this script).
  function sortable() {
    var tables = document.querySelectorAll("table.sortable");
    Array.prototype.forEach.call(tables, function (t) {
      var ths = t.tHead ? t.tHead.rows[0].cells : [];
      Array.prototype.forEach.call(ths, function (th, col) {
        th.addEventListener("click", function () {
          var num = th.getAttribute("data-type") === "num" || /ms|count|rows|calls|frames/.test(th.textContent);
          var asc = !th.classList.contains("asc");
          Array.prototype.forEach.call(ths, function (o) { o.classList.remove("asc", "desc"); });
          th.classList.add(asc ? "asc" : "desc");
          var tb = t.tBodies[0];
          var rows = Array.prototype.slice.call(tb.rows);
          rows.sort(function (a, b) {
            var x = a.cells[col].textContent, y = b.cells[col].textContent, c;
            if (num) c = (parseFloat(x) || 0) - (parseFloat(y) || 0);
            else c = x.localeCompare(y);
            return asc ? c : -c;
          });
          rows.forEach(function (r) { tb.appendChild(r); });
        });
      });
    });
  }

  var D = JSON.parse(document.getElementById("data").textContent);
  var F = D.frames; // [start, end, depth, name, ns, kind, self, soql, dml, rows, line, flags, culled]
  var S = 0, E = 1, DEP = 2, NAME = 3, NS = 4, KIND = 5, SELF = 6, SOQL = 7, DML = 8, ROWS = 9, LINE = 10, FLAGS = 11, CULLED = 12;
  var palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"];
  function nm(f) { return D.names[f[NAME]] || D.kinds[f[KIND]]; }
  function color(ns) { return palette[ns % palette.length]; }

  // Namespaces that have frames, for the legend and the filter.
  var usedNs = [];
  (function () {
    var seen = {};
    for (var i = 0; i < F.length; i++) { var n = F[i][NS]; if (!seen[n]) { seen[n] = 1; usedNs.push(n); } }
    usedNs.sort(function (a, b) { return a - b; });
  })();
  var legend = document.getElementById("legend");
  usedNs.forEach(function (n) {
    var s = el("span", null, "ns");
    s.setAttribute("data-ns", D.ns[n]);
    var i = el("i"); i.style.background = color(n);
    s.appendChild(i); s.appendChild(document.createTextNode(D.ns[n]));
    legend.appendChild(s);
  });
  if (D.frames_culled > 0) {
    document.getElementById("culled").textContent = D.frames_culled + " of " + D.frames_total + " frames too narrow to draw were left out (counted on the frame that holds them)";
  }

  // ---- Flame chart -----------------------------------------------------------------
  var canvas = document.getElementById("flame");
  var chart = document.getElementById("chart");
  var tip = document.getElementById("tip");
  var ctx = canvas.getContext("2d");
  var ROW = 16, AXIS = 22, MARK = 8;
  var maxDepth = 0;
  for (var i = 0; i < F.length; i++) if (F[i][DEP] > maxDepth) maxDepth = F[i][DEP];
  var wall = Math.max(D.wall, 1);
  var view = { t0: 0, t1: wall };
  var byDepth = [];
  for (i = 0; i < F.length; i++) { var d = F[i][DEP]; (byDepth[d] = byDepth[d] || []).push(i); }
  var dpr = window.devicePixelRatio || 1;
  var width = 1200, height = AXIS + MARK + (maxDepth + 1) * ROW + 4;

  function resize() {
    width = Math.max(200, chart.clientWidth || 1200);
    canvas.width = Math.floor(width * dpr);
    canvas.height = Math.floor(height * dpr);
    canvas.style.height = height + "px";
    draw();
  }
  function x(t) { return (t - view.t0) / (view.t1 - view.t0) * width; }
  function niceStep(span) {
    var raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m < 2 ? 2 : m < 5 ? 5 : 10) * p;
  }
  var drawn = 0;
  function draw() {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    var fg = getComputedStyle(body).color;
    // Axis in ms.
    var span = view.t1 - view.t0, step = niceStep(span);
    ctx.fillStyle = fg; ctx.strokeStyle = "rgba(128,128,128,.35)";
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var px = x(t);
      ctx.fillText((t / 1e6).toFixed(step < 1e6 ? 3 : step < 1e7 ? 1 : 0) + " ms", px + 2, 9);
      ctx.beginPath(); ctx.moveTo(px + .5, 16); ctx.lineTo(px + .5, height); ctx.stroke();
    }
    // Exceptions (red) and truncation (orange) on the axis.
    D.exceptions.forEach(function (e) {
      var px = x(e[0]); if (px < -5 || px > width + 5) return;
      ctx.fillStyle = "#d32f2f"; ctx.beginPath(); ctx.moveTo(px, AXIS); ctx.lineTo(px - 5, AXIS + MARK); ctx.lineTo(px + 5, AXIS + MARK); ctx.fill();
    });
    D.truncations.forEach(function (m) {
      var px = x(m[0]); if (px < -5 || px > width + 5) return;
      ctx.fillStyle = "rgba(255,140,0,.35)"; ctx.fillRect(px - 2, AXIS, 4, height - AXIS);
    });
    drawn = 0;
    var top = AXIS + MARK;
    for (var dd = 0; dd < byDepth.length; dd++) {
      var row = byDepth[dd]; if (!row) continue;
      var y = top + dd * ROW;
      var lastPx = -1;
      for (var k = 0; k < row.length; k++) {
        var f = F[row[k]];
        if (f[E] < view.t0 || f[S] > view.t1) continue;
        var x0 = x(f[S]), x1 = x(f[E]);
        if (x1 - x0 < 0.5) {
          // Aggregate sub-pixel frames: one mark per pixel column.
          var col = Math.floor(x0);
          if (col === lastPx) continue;
          lastPx = col;
          x1 = x0 + 1;
        }
        x0 = Math.max(x0, -1); x1 = Math.min(x1, width + 1);
        ctx.fillStyle = color(f[NS]);
        ctx.fillRect(x0, y, Math.max(1, x1 - x0 - 0.5), ROW - 1);
        drawn++;
        if (x1 - x0 > 30) {
          ctx.fillStyle = "#fff";
          ctx.save(); ctx.beginPath(); ctx.rect(x0, y, x1 - x0 - 2, ROW); ctx.clip();
          ctx.fillText(nm(f), x0 + 3, y + ROW / 2);
          ctx.restore();
        }
      }
    }
    body.setAttribute("data-frames-drawn", String(drawn));
  }
  function frameAt(px, py) {
    var dd = Math.floor((py - AXIS - MARK) / ROW);
    var row = byDepth[dd]; if (!row) return -1;
    var t = view.t0 + px / width * (view.t1 - view.t0);
    var tol = (view.t1 - view.t0) / width * 2;
    var best = -1;
    for (var k = 0; k < row.length; k++) {
      var f = F[row[k]];
      if (f[S] - tol <= t && t <= f[E] + tol) { best = row[k]; if (f[S] <= t && t <= f[E]) break; }
    }
    return best;
  }
  function details(i) {
    var f = F[i];
    var lines = [nm(f), "namespace " + D.ns[f[NS]] + " · " + D.kinds[f[KIND]],
      "total " + ms(f[E] - f[S]) + " ms · self " + ms(f[SELF]) + " ms" + (f[FLAGS] & 1 ? " (end estimated)" : ""),
      "SOQL " + f[SOQL] + " · DML " + f[DML] + " · rows " + f[ROWS], "log line " + f[LINE]];
    if (f[CULLED]) lines.push(f[CULLED] + " narrow frame(s) inside not drawn");
    return lines.join("\n");
  }
  function zoom(factor, at) {
    var t = view.t0 + (at === undefined ? 0.5 : at / width) * (view.t1 - view.t0);
    var span = Math.max(1000, Math.min(wall, (view.t1 - view.t0) * factor));
    var t0 = t - (t - view.t0) * span / (view.t1 - view.t0);
    t0 = Math.max(0, Math.min(t0, wall - span));
    view.t0 = t0; view.t1 = t0 + span;
    draw();
    body.setAttribute("data-zoom", String(wall / (view.t1 - view.t0)));
  }
  function pos(ev) { var r = canvas.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; }
  canvas.addEventListener("wheel", function (ev) { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25, pos(ev)[0]); }, { passive: false });
  var drag = null;
  canvas.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX, t0: view.t0, t1: view.t1 }; });
  window.addEventListener("mouseup", function () { drag = null; });
  canvas.addEventListener("mousemove", function (ev) {
    var p = pos(ev);
    if (drag) {
      var dt = (ev.clientX - drag.x) / width * (drag.t1 - drag.t0);
      var span = drag.t1 - drag.t0, t0 = Math.max(0, Math.min(drag.t0 - dt, wall - span));
      view.t0 = t0; view.t1 = t0 + span; draw(); tip.hidden = true;
      body.setAttribute("data-view-start", String(Math.round(t0))); return;
    }
    var i = frameAt(p[0], p[1]);
    if (i < 0) { tip.hidden = true; return; }
    tip.textContent = details(i);
    tip.hidden = false;
    tip.style.left = Math.min(p[0] + 12, Math.max(0, width - 320)) + "px";
    tip.style.top = (p[1] + 14) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
  canvas.addEventListener("dblclick", function (ev) {
    var p = pos(ev), i = frameAt(p[0], p[1]);
    if (i >= 0) { var f = F[i], pad = (f[E] - f[S]) * 0.05 + 1000; view.t0 = Math.max(0, f[S] - pad); view.t1 = Math.min(wall, f[E] + pad); draw(); }
  });
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(0.5); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(2); });
  document.getElementById("zoom-reset").addEventListener("click", function () { view.t0 = 0; view.t1 = wall; draw(); });
  window.addEventListener("resize", resize);

  // ---- Call tree -------------------------------------------------------------------
  // Children of each frame (pre-order, depth gives nesting).
  var kids = [], roots = [], st = [];
  for (i = 0; i < F.length; i++) {
    while (st.length && F[st[st.length - 1]][DEP] >= F[i][DEP]) st.pop();
    kids[i] = [];
    if (st.length) kids[st[st.length - 1]].push(i); else roots.push(i);
    st.push(i);
  }
  var open = {};
  var tbody = document.getElementById("tree-body");
  var nsSel = document.getElementById("tree-ns");
  var q = document.getElementById("tree-q");
  usedNs.forEach(function (n) { var o = el("option", D.ns[n]); o.value = String(n); nsSel.appendChild(o); });
  var ROW_CAP = 3000;
  function row(i, depth, shown) {
    var f = F[i], tr = el("tr");
    tr.setAttribute("data-frame", String(i));
    var td = el("td");
    td.style.paddingLeft = (0.3 + depth * 1.1) + "em";
    var tog = el("span", kids[i].length ? (shown ? "▾" : "▸") : "", "tog");
    if (kids[i].length) {
      tog.setAttribute("role", "button");
      tog.addEventListener("click", function () { open[i] = !open[i]; renderTree(); });
    }
    td.appendChild(tog);
    var sw = el("span", null, "swatch"); sw.style.background = color(f[NS]); td.appendChild(sw);
    td.appendChild(document.createTextNode(nm(f)));
    td.title = D.kinds[f[KIND]] + " " + D.names[f[NAME]];
    tr.appendChild(td);
    [D.ns[f[NS]], ms(f[E] - f[S]) + (f[FLAGS] & 1 ? "*" : ""), ms(f[SELF]), f[SOQL], f[DML], f[ROWS]].forEach(function (v) { tr.appendChild(el("td", v)); });
    var lc = el("td");
    if (D.log) { var a = el("a", f[LINE], "line"); a.setAttribute("href", "#L" + f[LINE]); lc.appendChild(a); } else lc.textContent = String(f[LINE]);
    tr.appendChild(lc);
    return tr;
  }
  function renderTree() {
    var t0 = performance.now();
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    var nsF = nsSel.value === "" ? -1 : parseInt(nsSel.value, 10);
    var text = q.value.trim().toLowerCase();
    var n = 0, frag = document.createDocumentFragment();
    if (nsF >= 0 || text) {
      // Filter: the matching frames with their ancestors, unfolded.
      var show = new Uint8Array(F.length), path = [], matches = 0;
      for (var j = 0; j < F.length; j++) {
        while (path.length && F[path[path.length - 1]][DEP] >= F[j][DEP]) path.pop();
        path.push(j);
        var f = F[j];
        if ((nsF < 0 || f[NS] === nsF) && (!text || nm(f).toLowerCase().indexOf(text) >= 0)) {
          matches++;
          for (var p = 0; p < path.length; p++) show[path[p]] = 1;
        }
      }
      for (j = 0; j < F.length && n < ROW_CAP; j++) if (show[j]) { frag.appendChild(row(j, F[j][DEP], true)); n++; }
      document.getElementById("tree-count").textContent = matches + " matching frame(s)" + (n >= ROW_CAP ? "; first " + ROW_CAP + " rows shown" : "");
    } else {
      var stack = roots.slice().reverse().map(function (r) { return [r, 0]; });
      while (stack.length && n < ROW_CAP) {
        var it = stack.pop(), i = it[0], isOpen = !!open[i];
        frag.appendChild(row(i, it[1], isOpen)); n++;
        if (isOpen) for (var c = kids[i].length - 1; c >= 0; c--) stack.push([kids[i][c], it[1] + 1]);
      }
      document.getElementById("tree-count").textContent = F.length + " frame(s)" + (n >= ROW_CAP ? "; first " + ROW_CAP + " rows shown" : "");
    }
    tbody.appendChild(frag);
    body.setAttribute("data-tree-rows", String(n));
    body.setAttribute("data-tree-ms", String(Math.round(performance.now() - t0)));
  }
  nsSel.addEventListener("change", renderTree);
  q.addEventListener("input", renderTree);
  document.getElementById("tree-expand").addEventListener("click", function () { for (var j = 0; j < F.length; j++) if (kids[j].length) open[j] = true; renderTree(); });
  document.getElementById("tree-collapse").addEventListener("click", function () { open = {}; renderTree(); });

  // ---- Embedded log (--embed-log) --------------------------------------------------
  // D.log holds [first line, text] per record the view shows; its lines keep the input's
  // numbers. A window of LOG_WIN lines is in the DOM at a time.
  var showLine = null;
  if (D.log) (function () {
    var nums = [], texts = [];
    D.log.forEach(function (r) {
      var parts = r[1].split("\n");
      for (var j = 0; j < parts.length; j++) { nums.push(r[0] + j); texts.push(parts[j].replace(/\r$/, "")); }
    });
    var box = document.getElementById("log-body"), LOG_WIN = 400, at = 0, hl = -1;
    function find(line) {
      var lo = 0, hi = nums.length - 1, r = 0;
      while (lo <= hi) { var m = (lo + hi) >> 1; if (nums[m] <= line) { r = m; lo = m + 1; } else hi = m - 1; }
      return r;
    }
    function render(from) {
      at = Math.max(0, Math.min(from, nums.length - LOG_WIN));
      while (box.firstChild) box.removeChild(box.firstChild);
      var frag = document.createDocumentFragment(), end = Math.min(nums.length, at + LOG_WIN);
      for (var k = at; k < end; k++) {
        var row = el("div", null, k === hl ? "ll hl" : "ll");
        row.id = "L" + nums[k];
        row.appendChild(el("span", nums[k], "ln"));
        row.appendChild(el("span", texts[k], "lt"));
        frag.appendChild(row);
      }
      box.appendChild(frag);
      document.getElementById("log-count").textContent = nums.length ? "lines " + nums[at] + "–" + nums[end - 1] + " of " + nums[nums.length - 1] + " (" + nums.length + " shown by this view)" : "empty";
    }
    showLine = function (line) {
      hl = find(line);
      render(hl - LOG_WIN / 4);
      var r = box.querySelector(".hl");
      if (r) r.scrollIntoView({ block: "center" });
      body.setAttribute("data-log-line", String(nums[hl]));
    };
    document.getElementById("log-prev").addEventListener("click", function () { render(at - LOG_WIN); });
    document.getElementById("log-next").addEventListener("click", function () { render(at + LOG_WIN); });
    document.getElementById("log-go").addEventListener("change", function (ev) { var n = parseInt(ev.target.value, 10); if (n > 0) showLine(n); });
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("a.line") : null;
      if (!a) return;
      var m = /^#L(\d+)$/.exec(a.getAttribute("href") || "");
      if (m) { ev.preventDefault(); showLine(parseInt(m[1], 10)); }
    });
    window.addEventListener("hashchange", function () { var m = /^#L(\d+)$/.exec(location.hash); if (m) showLine(parseInt(m[1], 10)); });
    render(0);
  })();

  // Unfold the first levels when the tree is small.
  if (F.length <= 500) {
    for (i = 0; i < F.length; i++) if (kids[i].length) open[i] = true;
  } else {
    roots.forEach(function (r) { open[r] = true; });
  }

  try {
    sortable();
    renderTree();
    resize();
    body.setAttribute("data-legend", usedNs.map(function (n) { return D.ns[n]; }).join(","));
    body.setAttribute("data-timeline", "ok");
    var m = /^#L(\d+)$/.exec(location.hash);
    if (m && showLine) showLine(parseInt(m[1], 10));
  } catch (e) {
    body.setAttribute("data-timeline", "error: " + e);
    throw e;
  }
})();
