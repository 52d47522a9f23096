// Live parts of the pages (no framework, no build step):
// - the dashboard's status, in words, and whether the player follows the active version (every 2 s);
// - a version's simulation progress while it is queued or running (every second; the page
//   reloads with the results once it has ended).
(function () {
  function getJSON(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; });
  }

  var live = document.getElementById("live");
  var following = document.getElementById("following");
  function refreshStatus() {
    getJSON((following || live).dataset.refresh).then(function (s) {
      if (!s) return;
      if (following && s.following) {
        following.textContent = s.following.message;
        following.className = "following " + s.following.level;
        following.dataset.level = s.following.level;
      }
      if (!live) return;
      var rows = [["Active version", s.active || (s.others_active ? "another account's version (none of yours)"
                                                             : "none yet: upload a bundle, then activate it")]];
      (s.in_words || []).forEach(function (row) { rows.push([row.label, row.text]); });
      while (live.firstChild) live.removeChild(live.firstChild);
      rows.forEach(function (row) {
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = row[0];
        if (row[0] === "Active version" && s.active) {
          var a = document.createElement("a");
          a.href = "/versions/" + s.active; a.textContent = s.active; dd.appendChild(a);
        } else dd.textContent = row[1];
        if (row[0] === "Active version") dd.id = "active-version";
        live.appendChild(dt); live.appendChild(dd);
      });
    }).catch(function () {});
  }
  if (live || following) setInterval(refreshStatus, 2000);

  var progress = document.getElementById("sim-progress");
  if (progress && progress.dataset.progress) {
    var timer = setInterval(function () {
      getJSON(progress.dataset.progress).then(function (p) {
        if (!p) return;
        progress.textContent = p.text;
        progress.dataset.state = p.state;
        if (p.state === "done" || p.state === "none") { clearInterval(timer); window.location.reload(); }
      }).catch(function () {});
    }, 1000);
  }
})();
