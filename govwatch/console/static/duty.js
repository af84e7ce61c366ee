// 值班台: new veto/high findings arrive by server-sent events and are added to the table without a
// reload; a veto plays a tone and shows a browser notification when the officer allowed it. Rows the
// officer has not marked as seen are highlighted (remembered in this browser).
"use strict";
(function () {
  var user = (document.getElementById("whoami") || {dataset: {}}).dataset.user || "";
  var KEY = "govwatch-seen-" + user;
  var SEVERITY = {veto: "单项否决", high: "严重"};

  function seen() {
    try { return new Set(JSON.parse(localStorage.getItem(KEY) || "[]")); } catch (e) { return new Set(); }
  }
  function remember(ids) {
    var s = seen();
    ids.forEach(function (i) { s.add(i); });
    var list = Array.from(s).slice(-2000);
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode */ }
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { var span = document.createElement("span"); span.className = cls; span.textContent = text; td.appendChild(span); }
    else { td.textContent = text; }
    tr.appendChild(td);
    return td;
  }
  function link(td, href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.textContent = "";
    td.appendChild(a);
  }
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio */ }
  }
  function notify(f) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try { new Notification("单项否决：" + (f.category || f.rule), {body: (f.target_name || "") + " " + (f.match || "")}); }
    catch (e) { /* not allowed here */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("fresh");
    if (!table) return;
    var body = table.querySelector("tbody");
    var count = document.getElementById("fresh-count");
    var empty = document.getElementById("fresh-empty");
    var state = document.getElementById("live-state");
    var known = seen();
    body.querySelectorAll("tr[data-id]").forEach(function (tr) {
      if (!known.has(tr.dataset.id)) tr.classList.add("unseen");
    });
    document.getElementById("mark-seen").addEventListener("click", function () {
      var ids = [];
      body.querySelectorAll("tr.unseen").forEach(function (tr) { ids.push(tr.dataset.id); tr.classList.remove("unseen"); });
      remember(ids);
    });
    document.getElementById("notify-on").addEventListener("click", function () {
      beep();
      if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
    });

    var source = new EventSource("/events?since=" + encodeURIComponent(table.dataset.since));
    source.addEventListener("open", function () { state.textContent = "已连接"; });
    source.addEventListener("error", function () { state.textContent = "已断开，正在重连…"; });
    source.addEventListener("logout", function () { source.close(); location.href = "/login"; });
    source.addEventListener("finding", function (ev) {
      var f = JSON.parse(ev.data);
      if (body.querySelector('tr[data-id="' + CSS.escape(f.id) + '"]')) return;
      var tr = document.createElement("tr");
      tr.dataset.id = f.id;
      tr.dataset.severity = f.severity;
      tr.className = "unseen";
      cell(tr, SEVERITY[f.severity] || f.severity_label, "sev sev-" + f.severity);
      link(cell(tr, ""), "/targets/" + encodeURIComponent(f.target_id), f.target_name || f.target_id);
      cell(tr, f.category || "");
      link(cell(tr, ""), "/findings/" + encodeURIComponent(f.id), (f.match || f.rule).slice(0, 60));
      cell(tr, f.first_seen_local || "");
      cell(tr, f.status_label, "st st-" + f.status);
      body.insertBefore(tr, body.firstChild);
      count.textContent = String(body.querySelectorAll("tr[data-id]").length);
      if (empty) empty.hidden = true;
      document.getElementById("updated").textContent = f.first_seen_local || "";
      if (f.severity === "veto") { beep(); notify(f); }
    });
  });
})();
