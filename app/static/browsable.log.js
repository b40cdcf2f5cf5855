/* The build page's live log: follow log.txt?offset=N every ~2 s until the build's state is final
   (Docshelf-Log-Offset, Docshelf-Build-State and Docshelf-Build-Success say where to go on and when
   to stop), then fill in the timing, the outcome and the error from the build's JSON. New text is
   added as text nodes, never as HTML. Without JavaScript the page shows the log as it was. */
(function () {
  "use strict";
  var URL_RE = /^https?:\/\/[^\s"'<>\\]+$/;
  var FINAL = { finished: true, cancelled: true };

  function sameOrigin(target) {
    return typeof target === "string" && URL_RE.test(target) && new URL(target).origin === location.origin;
  }

  function badge(node, cls, text) {
    node.className = "badge " + cls;
    node.textContent = text;
  }

  function finishBuild(log, success) {
    var status = document.getElementById("log-status");
    if (status) { status.textContent = "complete"; }
    log.setAttribute("data-final", "true");
    var cancel = document.getElementById("cancel-build");
    if (cancel) { cancel.closest("form").hidden = true; }
    var result = document.getElementById("build-success");
    if (result) {
      var mark = document.createElement("span");
      if (success === "true") { badge(mark, "ok", "passed"); } else if (success === "false") { badge(mark, "bad", "failed"); }
      else { badge(mark, "idle", "pending"); }
      result.textContent = "";
      result.appendChild(mark);
    }
    var buildUrl = log.getAttribute("data-build-url");
    if (!sameOrigin(buildUrl)) { return; }
    // Timing and the error are in the build's JSON: fetch it once, now that they are final.
    fetch(buildUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (build) {
        if (!build) { return; }
        // The stream ends with the last command; the whole log.txt adds how the build ended.
        var outcome = build.state && build.state.code === "cancelled" ? "was cancelled" : (build.success ? "succeeded" : "failed");
        log.appendChild(document.createTextNode("\nBuild " + outcome + "." + (build.error ? " " + build.error : "") + "\n"));
        log.scrollTop = log.scrollHeight;
        var duration = document.getElementById("build-duration");
        if (duration && build.duration !== null && build.duration !== undefined) { duration.textContent = build.duration + " s"; }
        var finished = document.getElementById("build-finished");
        if (finished && build.finished) { finished.textContent = build.finished; }
        if (build.error) {
          document.getElementById("build-error").textContent = build.error;
          document.getElementById("build-error-box").hidden = false;
        }
      })
      .catch(function () { /* the page stays as it is */ });
  }

  function follow(log) {
    var offset = log.getAttribute("data-offset") || "0";
    var url = log.getAttribute("data-log-url");
    var state = document.getElementById("build-state");
    var pinned = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    fetch(url + "?offset=" + encodeURIComponent(offset), { headers: { "Accept": "text/plain" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 429) {
          var wait = Number(response.headers.get("Retry-After")) || 5;
          setTimeout(function () { follow(log); }, wait * 1000);
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text().then(function (text) {
          if (text) {
            log.appendChild(document.createTextNode(text));
            if (pinned) { log.scrollTop = log.scrollHeight; }
          }
          log.setAttribute("data-offset", response.headers.get("Docshelf-Log-Offset") || offset);
          var now = response.headers.get("Docshelf-Build-State") || "";
          if (state && now) { badge(state, "state-" + now, now); }
          if (FINAL[now]) {
            finishBuild(log, response.headers.get("Docshelf-Build-Success"));
          } else {
            setTimeout(function () { follow(log); }, 2000);
          }
          return null;
        });
      })
      .catch(function () { setTimeout(function () { follow(log); }, 5000); });
  }

  var log = document.getElementById("log");
  if (log && log.getAttribute("data-final") !== "true" && log.getAttribute("data-log-url")) {
    log.scrollTop = log.scrollHeight;
    setTimeout(function () { follow(log); }, 2000);
  }
}());
