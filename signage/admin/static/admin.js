// Live status on the dashboard: numbers only, refreshed every 3 s (no framework, no build step).
(function () {
  var live = document.getElementById("live");
  if (!live) return;
  function text(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") return Object.keys(v).map(function (k) { return k + " " + text(v[k]); }).join(", ");
    return String(v);
  }
  function refresh() {
    fetch(live.dataset.refresh, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        var rows = [["Active version", s.active || "none yet"]];
        if (s.player) Object.keys(s.player).forEach(function (k) { rows.push([k, text(s.player[k])]); });
        else rows.push(["Player", "no status (the player has not written one yet)"]);
        while (live.firstChild) live.removeChild(live.firstChild);
        rows.forEach(function (row) {
          var dt = document.createElement("dt"), dd = document.createElement("dd");
          dt.textContent = row[0]; dd.textContent = row[1];
          if (row[0] === "Active version") dd.id = "active-version";
          live.appendChild(dt); live.appendChild(dd);
        });
      }).catch(function () {});
  }
  setInterval(refresh, 3000);
})();
