/// The console's script, stylesheet and icon, served from `/console/static/` (no build chain:
/// hand-written, small). The script only enhances: every page is complete without it.
enum ConsoleAssets {
    static let script = #"""
    // netboot console: live updates over Server-Sent Events, falling back to reloading; instant
    // table filtering. Pages work without this file.
    (function () {
      "use strict";
      var body = document.body;
      var status = document.getElementById("live-status");
      function say(text) { if (status) { status.textContent = text; } }

      function filterRows(input) {
        var table = document.getElementById(input.getAttribute("data-filter"));
        if (!table || !table.tBodies[0]) { return; }
        var needle = input.value.trim().toLowerCase();
        var rows = table.tBodies[0].rows;
        for (var i = 0; i < rows.length; i++) {
          rows[i].hidden = needle !== "" && rows[i].textContent.toLowerCase().indexOf(needle) < 0;
        }
      }
      var filter = document.querySelector("input[data-filter]");
      if (filter) { filter.addEventListener("input", function () { filterRows(filter); }); }

      function setCells(row, cells) {
        row.innerHTML = cells.map(function (cell) { return "<td>" + cell + "</td>"; }).join("");
      }
      function hideEmpty(id) { var p = document.getElementById(id + "-empty"); if (p) { p.hidden = true; } }

      function onBoot(data) {
        var exchanges = document.getElementById("exchanges");
        if (exchanges && body.getAttribute("data-page") !== "client") {
          var row = exchanges.tBodies[0].insertRow(0);
          row.setAttribute("data-id", data.id);
          setCells(row, data.exchange);
          while (exchanges.tBodies[0].rows.length > 50) { exchanges.tBodies[0].deleteRow(-1); }
          hideEmpty("exchanges");
        }
        var clients = document.getElementById("clients");
        if (clients && data.mac) {
          // A row is found by its MAC's link (no per-row attribute: 1,000 rows stay small).
          var link = clients.querySelector("a[href=\"clients/" + data.mac + "\"]");
          var existing = link ? link.closest("tr") : null;
          if (existing && existing.cells.length > 4) {
            existing.cells[3].innerHTML = data.client[3];
            existing.cells[4].innerHTML = data.client[4];
            clients.tBodies[0].insertBefore(existing, clients.tBodies[0].firstChild);
          } else {
            var fresh = clients.tBodies[0].insertRow(0);
            setCells(fresh, data.client);
            hideEmpty("clients");
          }
          if (filter) { filterRows(filter); }
        }
      }

      function onRun(data) {
        var runs = document.getElementById("runs");
        if (runs) {
          var row = runs.querySelector("tr[data-run=\"" + data.id + "\"]");
          if (!row) { row = runs.tBodies[0].insertRow(0); row.setAttribute("data-run", data.id); hideEmpty("runs"); }
          setCells(row, data.row);
        }
        if (body.getAttribute("data-run") === data.id) {
          Object.keys(data.summary).forEach(function (key) {
            var cell = document.getElementById("run-" + key);
            if (cell) { cell.innerHTML = data.summary[key]; }
          });
          var bar = document.getElementById("run-bar");
          if (bar) { bar.max = Math.max(1, data.steps_total); bar.value = data.steps_done; bar.textContent = data.steps_done + " of " + data.steps_total; }
          var steps = document.getElementById("steps");
          if (steps) {
            var tbody = steps.tBodies[0];
            while (tbody.rows.length > data.steps.length) { tbody.deleteRow(-1); }
            data.steps.forEach(function (cells, index) {
              var stepRow = tbody.rows[index] || tbody.insertRow(-1);
              setCells(stepRow, cells);
            });
          }
          var failure = document.getElementById("run-failure");
          if (data.failure) {
            if (!failure) {
              failure = document.createElement("p");
              failure.id = "run-failure";
              failure.className = "notice error";
              failure.setAttribute("role", "alert");
              document.getElementById("run-summary").after(failure);
            }
            failure.textContent = data.failure;
          }
        }
      }

      var topics = body.getAttribute("data-live");
      if (!topics) { return; }
      function reloadLater(seconds) { say("Live updates unavailable: this page reloads every " + seconds + " s."); setTimeout(function () { location.reload(); }, seconds * 1000); }
      if (!window.EventSource) { reloadLater(10); return; }
      var url = "/console/events?topics=" + encodeURIComponent(topics);
      var run = body.getAttribute("data-run");
      if (run) { url += "&run=" + encodeURIComponent(run); }
      var source = new EventSource(url);
      var failures = 0;
      source.addEventListener("open", function () { failures = 0; say("Live"); });
      source.addEventListener("error", function () {
        failures += 1;
        say("Live updates interrupted; retrying.");
        if (failures > 5 || source.readyState === EventSource.CLOSED) { source.close(); reloadLater(10); }
      });
      source.addEventListener("boot", function (event) { onBoot(JSON.parse(event.data)); });
      source.addEventListener("run", function (event) { onRun(JSON.parse(event.data)); });
      window.addEventListener("pagehide", function () { source.close(); });
    })();
    """#

    static let style = #"""
    :root { color: #1a1a1a; background: #ffffff; font: 15px/1.45 system-ui, sans-serif; }
    body { margin: 0; }
    .skip { position: absolute; left: -999px; }
    .skip:focus { left: 8px; top: 8px; background: #ffffff; padding: 4px 8px; z-index: 2; }
    header { display: flex; flex-wrap: wrap; align-items: center; gap: 16px; padding: 8px 16px; background: #12324a; color: #ffffff; }
    header a, header .who { color: #ffffff; }
    .brand { font-weight: 700; }
    nav ul { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; margin: 0; padding: 0; }
    nav a[aria-current="page"] { font-weight: 700; text-decoration: underline; }
    .logout { margin-left: auto; display: flex; gap: 8px; align-items: center; }
    main { padding: 8px 16px 32px; }
    h1 { font-size: 1.5rem; margin: 8px 0; }
    h2 { font-size: 1.15rem; margin: 20px 0 6px; }
    a { color: #0b4f8a; }
    a:focus, button:focus, input:focus, select:focus { outline: 3px solid #b35900; outline-offset: 2px; }
    table { border-collapse: collapse; width: 100%; margin: 6px 0; }
    caption { text-align: left; color: #404040; padding: 2px 0; }
    th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #d0d0d0; vertical-align: top; }
    th { background: #eef2f5; }
    dl.counts, dl.summary { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 6px 0; }
    dl div { min-width: 8em; }
    dt { color: #404040; font-size: 0.85rem; }
    dd { margin: 0; font-size: 1.1rem; }
    .state.running, .state.starting { color: #0b4f8a; }
    .state.succeeded, .state.success { color: #1d6b2a; }
    .state.failed { color: #a11a1a; font-weight: 700; }
    .notice { padding: 6px 10px; background: #e8f4ea; border-left: 4px solid #1d6b2a; }
    .notice.error { background: #fbeaea; border-left-color: #a11a1a; }
    .live-status { color: #404040; font-size: 0.85rem; min-height: 1em; margin: 0; }
    .hint, .empty { color: #404040; }
    form.search, form.deploy, form.login { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
    form.login { flex-direction: column; align-items: flex-start; max-width: 32em; }
    input, select, button { font: inherit; }
    button { background: #0b4f8a; color: #ffffff; border: 0; padding: 3px 12px; border-radius: 3px; cursor: pointer; }
    progress { width: 100%; max-width: 32em; }
    code { background: #f2f2f2; padding: 0 3px; }
    """#

    static let icon = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#12324a"/><path d="M4 11V5l8 6V5" stroke="#fff" fill="none" stroke-width="2"/></svg>"##
}
