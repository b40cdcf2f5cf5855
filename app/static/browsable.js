/* The browsable API's behaviour: the generated forms and build triggers (sent as JSON with the session
   cookie and the CSRF token; a 400's messages shown next to their fields) and the raw JSON form. The
   build page's live log is browsable.log.js.
   Everything from the server is put in the page as text (textContent), never as HTML. Pages are
   readable without it; it only adds writes and live updates. */
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

  var token = document.querySelector('meta[name="csrf-token"]');

  function sameOrigin(target) {
    return typeof target === "string" && URL_RE.test(target) && new URL(target).origin === location.origin;
  }

  // --- generated forms and build triggers -------------------------------------------------------

  function setPath(body, dotted, value) {
    var parts = dotted.split(".");
    var node = body;
    parts.slice(0, -1).forEach(function (part) {
      if (typeof node[part] !== "object" || node[part] === null) { node[part] = {}; }
      node = node[part];
    });
    node[parts[parts.length - 1]] = value;
  }

  function formBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.querySelectorAll("[name][data-kind]"), function (input) {
      var kind = input.getAttribute("data-kind");
      var raw = input.value;
      var initial = input.getAttribute("data-initial");  // an edit form: send only what changed
      if (initial !== null && initial === (kind === "checkbox" ? String(input.checked) : raw)) { return; }
      if (kind === "checkbox") { setPath(body, input.name, input.checked); return; }
      if (raw === "") { return; }  // left empty: the schema's default applies
      var type = input.getAttribute("data-type");
      if (kind === "select" && type === "boolean") {
        setPath(body, input.name, raw === "true");
      } else if (kind === "number" || (kind === "select" && /^(integer|number)$/.test(type))) {
        setPath(body, input.name, Number(raw));
      } else if (kind === "list") {
        setPath(body, input.name, raw.split(",").map(function (v) { return v.trim(); }).filter(Boolean));
      } else {
        setPath(body, input.name, raw);
      }
    });
    return body;
  }

  function messages(value) {
    if (Array.isArray(value)) { return value.map(messages).join(" "); }
    if (value && typeof value === "object") {
      return Object.keys(value).map(function (k) { return messages(value[k]); }).join(" ");
    }
    return String(value);
  }

  // ``errors`` is nested like the input: find the deepest field each message belongs to.
  function placeErrors(form, errors, prefix, leftover) {
    Object.keys(errors).forEach(function (key) {
      var name = prefix + key;
      var value = errors[key];
      var box = form.querySelector('.field[data-field="' + name.replace(/"/g, "") + '"]');
      if (box) {
        var slot = box.querySelector(".field-error");
        slot.textContent = messages(value);
        slot.hidden = false;
        box.classList.add("invalid");
      } else if (value && typeof value === "object" && !Array.isArray(value)) {
        placeErrors(form, value, name + ".", leftover);
      } else {
        leftover.push((key === "_schema" || key === "non_field_errors" ? "" : name + ": ") + messages(value));
      }
    });
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error, .form-error"), function (slot) {
      slot.textContent = "";
      slot.hidden = true;
    });
    Array.prototype.forEach.call(form.querySelectorAll(".invalid"), function (box) {
      box.classList.remove("invalid");
    });
  }

  function landing(response, body) {
    if (body && body.build && body.build._links && sameOrigin(body.build._links._self)) {
      return body.build._links._self;  // a build trigger: follow the build
    }
    if (response.status === 201 && body && body._links && sameOrigin(body._links._self)) {
      return body._links._self;
    }
    var location_ = response.headers.get("Location");
    return response.status === 201 && sameOrigin(location_) ? location_ : null;
  }

  function sendForm(form) {
    var method = form.getAttribute("data-method") || "POST";
    var headers = { "Accept": "application/json", "Content-Type": "application/json" };
    if (token) { headers["X-CSRF-Token"] = token.content; }
    var button = form.querySelector("button[type=submit]");
    var problem = form.querySelector(".form-error");
    clearErrors(form);
    button.disabled = true;
    form.setAttribute("data-state", "sending");
    fetch(form.getAttribute("action"), {
      method: method, headers: headers, credentials: "same-origin", body: JSON.stringify(formBody(form))
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { /* not JSON: shown as text below */ }
        form.setAttribute("data-status", String(response.status));
        if (response.ok) {
          var target = method === "PATCH" ? null : landing(response, body);
          if (target) { location.assign(target); } else { location.reload(); }
          return;
        }
        var leftover = [];
        if (body && body.errors && typeof body.errors === "object") { placeErrors(form, body.errors, "", leftover); }
        var placed = form.querySelector(".field.invalid") !== null;
        var detail = body && body.detail ? body.detail : (text || ("HTTP " + response.status));
        if (problem && (leftover.length || !placed)) {  // what no field shows, said once under the form
          problem.textContent = leftover.length ? leftover.join(" ") : detail;
          problem.hidden = false;
        }
      });
    }).catch(function (error) {
      if (problem) { problem.textContent = String(error); problem.hidden = false; }
    }).then(function () {
      button.disabled = false;
      form.removeAttribute("data-state");
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.api-form"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendForm(form);
    });
  });

  // --- the raw JSON form ----------------------------------------------------------------------------

  var form = document.getElementById("api-form");
  if (!form) { return; }

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
        if (target && sameOrigin(target)) {
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
