/* The browsable API's form: send a write with the session cookie and the CSRF token, show the answer.
   Everything from the server is put in the page as text (textContent), never as HTML. */
(function () {
  "use strict";
  var URL_RE = /^https?:\/\/[^\s"'<>\\]+$/;

  function span(cls, text) {
    var node = document.createElement("span");
    node.className = cls;
    node.textContent = text;
    return node;
  }

  function renderJson(value, depth, out) {
    var pad = new Array(depth + 1).join("  ");
    if (value !== null && typeof value === "object") {
      var isArray = Array.isArray(value);
      var keys = isArray ? value.map(function (_, i) { return i; }) : Object.keys(value);
      if (!keys.length) { out.appendChild(document.createTextNode(isArray ? "[]" : "{}")); return; }
      out.appendChild(document.createTextNode((isArray ? "[" : "{") + "\n"));
      keys.forEach(function (key, index) {
        out.appendChild(document.createTextNode(pad + "  "));
        if (!isArray) {
          out.appendChild(span("key", JSON.stringify(key)));
          out.appendChild(document.createTextNode(": "));
        }
        renderJson(value[key], depth + 1, out);
        out.appendChild(document.createTextNode(index < keys.length - 1 ? ",\n" : "\n"));
      });
      out.appendChild(document.createTextNode(pad + (isArray ? "]" : "}")));
    } else if (typeof value === "string" && URL_RE.test(value)) {
      var link = document.createElement("a");
      link.href = value;
      link.textContent = JSON.stringify(value);
      out.appendChild(link);
    } else {
      out.appendChild(span(typeof value === "string" ? "str" : "lit", JSON.stringify(value)));
    }
  }

  function show(status, statusText, text) {
    var result = document.getElementById("api-result");
    var out = document.getElementById("api-response");
    var line = document.getElementById("api-status");
    // Werkzeug sends reason phrases in capitals ("202 ACCEPTED"); show them as the page does.
    var reason = statusText.toLowerCase().replace(/\b[a-z]/g, function (c) { return c.toUpperCase(); });
    line.textContent = "HTTP " + status + " " + reason;
    line.className = "status s" + Math.floor(status / 100) + "xx";
    out.textContent = "";
    try {
      renderJson(JSON.parse(text), 0, out);
    } catch (e) {
      out.textContent = text;
    }
    result.hidden = false;
    result.setAttribute("data-status", String(status));
  }

  function created(response, text) {
    if (response.status !== 201) { return null; }
    try {
      var body = JSON.parse(text);
      if (body && body._links && typeof body._links._self === "string") { return body._links._self; }
    } catch (e) { /* no JSON body: fall back to the header */ }
    return response.headers.get("Location");
  }

  var form = document.getElementById("api-form");
  if (!form) { return; }
  var token = document.querySelector('meta[name="csrf-token"]');

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var method = form.elements.method.value;
    var body = form.elements.body.value.trim();
    var headers = { "Accept": "application/json" };
    if (token) { headers["X-CSRF-Token"] = token.content; }
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body && method !== "DELETE") {
      headers["Content-Type"] = "application/json";
      init.body = body;
    }
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.getAttribute("action"), init).then(function (response) {
      return response.text().then(function (text) {
        var target = created(response, text);
        if (target && URL_RE.test(target) && new URL(target).origin === location.origin) {
          location.assign(target);
          return;
        }
        show(response.status, response.statusText, text);
      });
    }).catch(function (error) {
      show(0, "network error", String(error));
    }).then(function () {
      button.disabled = false;
    });
  });
}());
