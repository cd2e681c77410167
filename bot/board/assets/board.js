// Live updates: when a case changes (in chat or here), the sheet reloads
// its rows and a case page reloads itself. No data comes in the event
// itself; what is shown is always fetched with the session.
(function () {
  "use strict";
  if (!window.EventSource || document.body.classList.contains("print")) return;
  var rows = document.getElementById("rows");
  var sheet = document.getElementById("sheet");
  var kase = document.getElementById("case");
  if (!rows && !kase) return;
  var live = document.getElementById("live");
  var es = new EventSource("/board/events");
  es.onopen = function () { if (live) live.hidden = false; };
  es.onerror = function () { if (live) live.hidden = true; };
  // A form being sent navigates away: a reload now would cancel it.
  var leaving = false;
  document.addEventListener("submit", function () { leaving = true; es.close(); });
  var busy = false, again = false;
  function reloadRows() {
    if (busy) { again = true; return; }
    busy = true;
    var url = sheet.getAttribute("data-self");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "fragment=rows";
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      rows.innerHTML = html; // server-rendered, escaped by html/template
    }).catch(function () {}).then(function () {
      busy = false;
      if (again) { again = false; reloadRows(); }
    });
  }
  es.addEventListener("change", function (ev) {
    var ids = [];
    try { ids = JSON.parse(ev.data) || []; } catch (e) { return; }
    if (rows) { reloadRows(); return; }
    var id = Number(kase.getAttribute("data-case"));
    if (!leaving && ids.indexOf(id) >= 0 && !document.activeElement.matches("input,textarea,select")) location.reload();
  });
})();
