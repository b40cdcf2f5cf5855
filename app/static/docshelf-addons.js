/*
 * Docshelf addons: a flyout (versions, languages, downloads) and a banner on pages of a version that
 * is not the latest, pointing to the same page in the latest version.
 *
 * Added to every page by the Sphinx extension / MkDocs plugin (workers/integrations/). It reads its
 * settings from its own <script> tag (data-docshelf-project, -version, -api) and its data from
 * GET /_/addons/?url=<this page>. No dependencies, no network access beyond the Docshelf server
 * unless the project asks for it (its Google Analytics code, its custom script); opened from a file
 * (an htmlzip download) it does nothing, and inside an iframe only when the project allows it.
 */
(function () {
  "use strict";

  var me = document.currentScript || document.querySelector("script[data-docshelf-project]");
  if (!me || window.__docshelfAddons || location.protocol === "file:") {
    return;
  }
  window.__docshelfAddons = true;

  var STYLE = [
    "#docshelf-flyout{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;max-width:18rem;",
    "font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#fcfcfc;",
    "background:#272525;border-radius:4px;box-shadow:0 2px 8px rgba(0,0,0,.35)}",
    "#docshelf-flyout button{all:unset;box-sizing:border-box;display:block;width:100%;cursor:pointer;",
    "padding:.5rem .75rem;color:#27ae60;font-weight:600}",
    "#docshelf-flyout .ds-body{padding:.25rem .75rem .75rem;max-height:60vh;overflow:auto}",
    "#docshelf-flyout[data-open=false] .ds-body{display:none}",
    "#docshelf-flyout dl{margin:.5rem 0 0}#docshelf-flyout dt{color:#999;font-size:12px;margin-top:.5rem}",
    "#docshelf-flyout dd{display:inline-block;margin:.15rem .6rem 0 0}",
    "#docshelf-flyout a{color:#fcfcfc;text-decoration:none}#docshelf-flyout a:hover{text-decoration:underline}",
    "#docshelf-flyout a[aria-current]{color:#27ae60;font-weight:600}",
    "#docshelf-flyout[data-position$=left]{right:auto;left:1rem}",
    "#docshelf-flyout[data-position^=top]{bottom:auto;top:1rem}",
    "#docshelf-banner{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#fff3cd;",
    "color:#533f03;border-bottom:1px solid #e0c97a;padding:.6rem 1rem;text-align:center;",
    "position:relative;z-index:2147483000}",
    "#docshelf-banner a{color:#0b5394;font-weight:600}",
    "#docshelf-external-banner{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;",
    "background:#e8f0fe;color:#1a3a6b;border-bottom:2px solid #4a7fd4;padding:.6rem 1rem;text-align:center;",
    "position:relative;z-index:2147483000}",
    "#docshelf-external-banner a{color:#0b5394;font-weight:600}",
    "#docshelf-filetreediff ul{list-style:none;margin:.3rem 0 0;padding:0}"
  ].join("");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function link(text, href, current) {
    var attrs = { href: href };
    if (current) {
      attrs["aria-current"] = "page";
    }
    return el("a", attrs, [text]);
  }

  function samePage(root, filename) {
    return root + (filename || "/").replace(/^\//, "");
  }

  function section(title, items) {
    var list = [el("dt", {}, [title])];
    items.forEach(function (item) {
      list.push(el("dd", {}, [item]));
    });
    return list;
  }

  function flyout(data) {
    var current = data.versions.current;
    var filename = data.readthedocs.resolver.filename;
    var sections = [];
    var versions = data.versions.active.map(function (v) {
      var isCurrent = current && v.slug === current.slug;
      return link(v.verbose_name || v.slug, samePage(v.urls.documentation, filename), isCurrent);
    });
    if (versions.length) {
      sections = sections.concat(section("Versions", versions));
    }
    var project = data.projects.current;
    var languages = data.projects.translations.map(function (p) {
      return link(p.language.code, p.urls.documentation, false);
    });
    if (languages.length) {
      var here = current ? samePage(current.urls.documentation, filename) : project.urls.documentation;
      languages.unshift(link(project.language.code, here, true));
      sections = sections.concat(section("Languages", languages));
    }
    var downloads = current ? Object.keys(current.downloads || {}).sort().map(function (fmt) {
      return link(fmt, current.downloads[fmt], false);
    }) : [];
    if (downloads.length) {
      sections = sections.concat(section("Downloads", downloads));
    }
    var label = "v: " + (current ? current.slug : project.slug);
    var toggle = el("button", { type: "button", "aria-expanded": "false", "aria-controls": "docshelf-flyout-body" }, [
      label
    ]);
    var body = el("div", { class: "ds-body", id: "docshelf-flyout-body" }, [el("dl", {}, sections)]);
    var box = el("div", { id: "docshelf-flyout", "data-open": "false", role: "navigation",
      "aria-label": "Versions", "data-position": data.addons.flyout.position || "bottom-right" }, [toggle, body]);
    toggle.addEventListener("click", function () {
      var open = box.getAttribute("data-open") !== "true";
      box.setAttribute("data-open", String(open));
      toggle.setAttribute("aria-expanded", String(open));
    });
    document.body.appendChild(box);
  }

  function banner(data) {
    var warning = data.addons["non-latest-version-warning"];
    if (!warning || !warning.enabled || !warning.show || !warning.latest || !notifying(data, "show_on_non_stable")) {
      return;
    }
    var current = data.versions.current;
    var note = el("div", { id: "docshelf-banner", role: "note" }, [
      "You are reading the documentation of version " + current.slug + ", which is not the latest. ",
      link("Read this page in the latest version (" + warning.latest.slug + ").", warning.latest.url, false)
    ]);
    document.body.insertBefore(note, document.body.firstChild);
  }

  /* A pull request's preview: never mistaken for the published docs. */
  function externalBanner(data) {
    var warning = data.addons["external-version-warning"];
    if (!warning || !warning.enabled || !warning.show) {
      return;
    }
    var pr = warning.pull_request || {};
    var children = [warning.message + " "];
    if (pr.url && /^https?:\/\//.test(pr.url)) {
      children.push(link("View pull request #" + pr.number + ".", pr.url, false));
    }
    var tree = data.addons.filetreediff;
    if (tree && tree.enabled && tree.diff) {
      var changes = [];
      ["added", "modified", "deleted"].forEach(function (kind) {
        (tree.diff[kind] || []).forEach(function (file) {
          var href = kind === "deleted" ? file.urls.base : file.urls.current;
          var item = el("li", { "data-change": kind }, [kind + ": "]);
          item.appendChild(href && /^https?:\/\//.test(href) ? link(file.filename, href, false)
            : document.createTextNode(file.filename));
          changes.push(item);
        });
      });
      children.push(el("details", { id: "docshelf-filetreediff" }, [
        el("summary", {}, [changes.length + " page(s) changed against " + tree.base_version]),
        el("ul", {}, changes)
      ]));
    }
    var note = el("div", { id: "docshelf-external-banner", role: "note", "data-pull-request": String(pr.number) },
      children);
    document.body.insertBefore(note, document.body.firstChild);
  }

  /* Read the Docs' addons v1 settings (notifications, options, analytics, customscript): one block. */
  function notifying(data, key) {
    var notes = data.addons.notifications;
    return !notes || (notes.enabled && notes[key]);
  }

  function embeddedRefused(data) {
    var options = data.addons.options || {};
    var embedded;
    try {
      embedded = window.self !== window.top;
    } catch (e) {
      embedded = true; /* a cross-origin parent */
    }
    return embedded && !options.load_when_embedded;
  }

  function latestBanner(data) {
    var current = data.versions.current;
    var stable = data.versions.active.filter(function (v) { return v.slug === "stable"; })[0];
    if (!current || current.slug !== "latest" || !stable || !notifying(data, "show_on_latest")) {
      return;
    }
    var url = samePage(stable.urls.documentation, data.readthedocs.resolver.filename);
    var note = el("div", { id: "docshelf-banner", role: "note" }, [
      "You are reading the latest, in-development documentation. ",
      link("Read this page in the stable version.", url, false)
    ]);
    document.body.insertBefore(note, document.body.firstChild);
  }

  function extras(data) {
    var analytics = data.addons.analytics;
    if (analytics && analytics.enabled && /^[A-Za-z0-9_-]+$/.test(analytics.code || "")) {
      window.dataLayer = window.dataLayer || [];
      window.gtag = window.gtag || function () { window.dataLayer.push(arguments); };
      window.gtag("js", new Date());
      window.gtag("config", analytics.code, { anonymize_ip: true });
      document.head.appendChild(el("script", { async: "", id: "docshelf-analytics",
        src: "https://www.googletagmanager.com/gtag/js?id=" + encodeURIComponent(analytics.code) }));
    }
    var custom = data.addons.customscript;
    if (custom && custom.enabled && custom.src) {
      document.head.appendChild(el("script", { async: "", id: "docshelf-customscript", src: custom.src }));
    }
  }

  function render(data) {
    if (embeddedRefused(data)) {
      document.documentElement.setAttribute("data-docshelf-addons", "embedded");
      return;
    }
    var style = el("style", { id: "docshelf-addons-style" }, [STYLE]);
    document.head.appendChild(style);
    if (data.addons.flyout && data.addons.flyout.enabled) {
      flyout(data);
    }
    banner(data);
    externalBanner(data);
    latestBanner(data);
    extras(data);
    document.documentElement.setAttribute("data-docshelf-addons", "ready");
    document.dispatchEvent(new CustomEvent("docshelf-addons-data-ready", { detail: data }));
  }

  function load() {
    var api = me.getAttribute("data-docshelf-api") || "/_/addons/";
    var query = [
      "api-version=1",
      "url=" + encodeURIComponent(location.href),
      "project-slug=" + encodeURIComponent(me.getAttribute("data-docshelf-project") || ""),
      "version-slug=" + encodeURIComponent(me.getAttribute("data-docshelf-version") || "")
    ].join("&");
    fetch(api + (api.indexOf("?") < 0 ? "?" : "&") + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("addons: HTTP " + response.status);
        }
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        document.documentElement.setAttribute("data-docshelf-addons", "error");
        if (window.console) {
          console.debug("Docshelf addons unavailable:", error);
        }
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load, { once: true });
  } else {
    load();
  }
})();
