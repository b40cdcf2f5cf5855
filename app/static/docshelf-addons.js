/*
 * Docshelf addons: a flyout (versions, languages, downloads), a banner on pages of a version that
 * is not the latest (pointing to the same page in the latest version), a search modal over the
 * server-side search API (opened with "/", keyboard navigable, results grouped by page), previews
 * of internal links on hover (the embed API) and, on a pull request's preview, the blocks of the page
 * that differ from the same page of the base version (doc_diff; "d" shows or hides them).
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
    "#docshelf-filetreediff ul{list-style:none;margin:.3rem 0 0;padding:0}",
    "#docshelf-search{position:fixed;inset:0;z-index:2147483001;background:rgba(0,0,0,.45);display:flex;",
    "align-items:flex-start;justify-content:center;font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif}",
    "#docshelf-search .ds-dialog{background:#fff;color:#222;width:min(42rem,94vw);margin-top:8vh;",
    "border-radius:6px;box-shadow:0 8px 30px rgba(0,0,0,.35);max-height:80vh;display:flex;flex-direction:column}",
    "#docshelf-search input[type=search]{font:inherit;padding:.8rem 1rem;border:0;border-bottom:1px solid #ddd;",
    "outline:none;border-radius:6px 6px 0 0}",
    "#docshelf-search label{font-size:13px;color:#555;padding:.4rem 1rem;display:block}",
    "#docshelf-search .ds-results{overflow:auto;padding:0 .5rem .75rem}",
    "#docshelf-search .ds-page{margin:.6rem .5rem 0;font-weight:600;color:#555;font-size:13px}",
    "#docshelf-search a{display:block;padding:.4rem .6rem;border-radius:4px;color:#222;text-decoration:none}",
    "#docshelf-search a[aria-selected=true],#docshelf-search a:hover{background:#e8f3ec}",
    "#docshelf-search a small{display:block;color:#666}",
    "#docshelf-search span.ds-hit,#docshelf-preview span.ds-hit{background:#fff3a0;font-weight:600}",
    "#docshelf-preview{position:absolute;z-index:2147483001;max-width:30rem;max-height:18rem;overflow:auto;",
    "background:#fff;color:#222;border:1px solid #ccc;border-radius:6px;padding:.5rem .8rem;",
    "box-shadow:0 4px 16px rgba(0,0,0,.25);font-size:14px}"
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

  /* doc_diff: the preview page's main content against the base version's, block by block. The base
   * comes from the preview host's own /_/doc-diff/ (the base is on another origin); it is parsed in
   * an inert <template> and only its blocks' text is used, so nothing of it can run or load. */
  var DIFF_STYLE = [
    ".doc-diff-added{background:#dafbe1;box-shadow:-4px 0 0 #2da44e;text-decoration:none}",
    ".doc-diff-removed{background:#ffebe9;box-shadow:-4px 0 0 #cf222e;color:#82071e;margin:.3em 0}",
    "html[data-docshelf-doc-diff=off] .doc-diff-added{background:none;box-shadow:none}",
    "html[data-docshelf-doc-diff=off] .doc-diff-removed{display:none}"
  ].join("");
  var DIFF_BLOCKS = "p,pre,h1,h2,h3,h4,h5,h6,li,dt,dd,td,th,figcaption,blockquote";

  function mainOf(root) {
    return root.querySelector("[role=main]") || root.querySelector("main") || root.querySelector("article") ||
      root.body || root;
  }

  function diffBlocks(root) {
    return Array.prototype.slice.call(root.querySelectorAll(DIFF_BLOCKS)).filter(function (node) {
      return !node.querySelector(DIFF_BLOCKS) && !node.closest("#docshelf-external-banner");
    }).map(function (node) {
      return { node: node, text: node.textContent.replace(/\u00b6/g, "").replace(/\s+/g, " ").trim() };
    }).filter(function (block) { return block.text; });
  }

  /* The edit script between two lists of texts: a longest common subsequence (small pages only). */
  function diffOps(base, ours) {
    var n = base.length, m = ours.length, ops = [], i, j;
    if (n * m > 4000000) {
      var left = {};
      base.forEach(function (b) { left[b.text] = (left[b.text] || 0) + 1; });
      ours.forEach(function (o, k) {
        if (left[o.text]) { left[o.text] -= 1; ops.push(["same", k]); } else { ops.push(["added", k]); }
      });
      return ops;
    }
    var table = new Int32Array((n + 1) * (m + 1));
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        table[i * (m + 1) + j] = base[i].text === ours[j].text ? table[(i + 1) * (m + 1) + j + 1] + 1
          : Math.max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1]);
      }
    }
    i = 0; j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && base[i].text === ours[j].text) {
        ops.push(["same", j]); i++; j++;
      } else if (j < m && (i >= n || table[i * (m + 1) + j + 1] > table[(i + 1) * (m + 1) + j])) {  // removed first
        ops.push(["added", j]); j++;
      } else {
        ops.push(["removed", i]); i++;
      }
    }
    return ops;
  }

  function showDiff(data, html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var base = diffBlocks(mainOf(holder.content));
    var ours = diffBlocks(mainOf(document));
    var removed = [];
    var last = null;
    function flush(before) {
      removed.forEach(function (text) {
        var note = el("div", { "class": "doc-diff-removed", "data-doc-diff": "removed" }, [el("del", {}, [text])]);
        if (before) {
          before.parentNode.insertBefore(note, before);
        } else if (last) {
          last.parentNode.insertBefore(note, last.nextSibling);
        }
      });
      removed = [];
    }
    var changes = 0;
    diffOps(base, ours).forEach(function (op) {
      if (op[0] === "removed") {
        removed.push(base[op[1]].text);
        changes++;
        return;
      }
      var node = ours[op[1]].node;
      flush(node);
      last = node;
      if (op[0] === "added") {
        node.classList.add("doc-diff-added");
        node.setAttribute("data-doc-diff", "added");
        changes++;
      }
    });
    flush(null);
    return changes;
  }

  function docDiff(data) {
    var config = data.addons.doc_diff;
    if (!config || !config.enabled || !data.versions.current) {
      return;
    }
    var filename = data.readthedocs.resolver.filename || "/";
    fetch("/_/doc-diff/?filename=" + encodeURIComponent(filename), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("doc_diff: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        if (config.inject_styles) {
          document.head.appendChild(el("style", { id: "docshelf-doc-diff-style" }, [DIFF_STYLE]));
        }
        var changes = showDiff(data, body.content || "");
        var root = document.documentElement;
        root.setAttribute("data-docshelf-doc-diff", "on");
        var toggle = function () {
          root.setAttribute("data-docshelf-doc-diff", root.getAttribute("data-docshelf-doc-diff") === "on" ? "off" : "on");
        };
        var banner = document.getElementById("docshelf-external-banner");
        if (banner) {
          var button = el("button", { type: "button", id: "docshelf-doc-diff-toggle" },
            [changes + " block(s) differ from the base version: show/hide them (d)"]);
          button.addEventListener("click", toggle);
          banner.appendChild(el("div", {}, [button]));
        }
        var hotkeys = data.addons.hotkeys || {};
        if (hotkeys.enabled && hotkeys.doc_diff && hotkeys.doc_diff.enabled) {
          window.addEventListener("keydown", function (event) {
            if (event.code === hotkeys.doc_diff.trigger && !event.ctrlKey && !event.metaKey && !event.altKey &&
                !typing(event.target)) {
              toggle();
            }
          });
        }
      })
      .catch(function (error) {
        document.documentElement.setAttribute("data-docshelf-doc-diff", "error");
        if (window.console) {
          console.debug("Docshelf doc_diff unavailable:", error);
        }
      });
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

  /* Text with the API's <span> highlights, rebuilt from text nodes only (nothing else of it is kept). */
  function highlighted(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var out = document.createDocumentFragment();
    holder.content.childNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.nodeName === "SPAN") {
        out.appendChild(el("span", { "class": "ds-hit" }, [node.textContent]));
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function typing(target) {
    var name = target && target.nodeName;
    return name === "INPUT" || name === "TEXTAREA" || name === "SELECT" || (target && target.isContentEditable);
  }

  function searchModal(config) {
    var box = null;
    var timer = null;
    var selected = -1;

    function links() {
      return box ? Array.prototype.slice.call(box.querySelectorAll(".ds-results a")) : [];
    }

    function select(index) {
      var all = links();
      if (!all.length) {
        return;
      }
      selected = (index + all.length) % all.length;
      all.forEach(function (a, i) {
        a.setAttribute("aria-selected", i === selected ? "true" : "false");
      });
      all[selected].scrollIntoView({ block: "nearest" });
    }

    function show(results, list) {
      list.textContent = "";
      selected = -1;
      if (!results.length) {
        list.appendChild(el("p", { "class": "ds-page" }, ["No results."]));
        return;
      }
      results.forEach(function (page) {
        var where = page.project.alias || page.project.slug;
        list.appendChild(el("div", { "class": "ds-page" }, [page.title + " \u2014 " + where + " (" + page.version.slug + ")"]));
        var blocks = page.blocks.length ? page.blocks : [{ id: "", title: page.title, highlights: {} }];
        blocks.forEach(function (block) {
          var href = page.domain + page.path + (block.id ? "#" + block.id : "");
          var heading = (block.highlights.title || block.highlights.name || [])[0];
          var title = el("span", {}, []);
          title.appendChild(heading ? highlighted(heading) : document.createTextNode(block.title || block.name || ""));
          var snippet = el("small", {}, []);
          if ((block.highlights.content || [])[0]) {
            snippet.appendChild(highlighted(block.highlights.content[0]));
          }
          list.appendChild(el("a", { href: href, role: "option", "aria-selected": "false" }, [title, snippet]));
        });
      });
    }

    function run(input, list, scope) {
      var text = input.value.trim();
      if (!text) {
        list.textContent = "";
        return;
      }
      var url = config.api_endpoint + "?q=" + encodeURIComponent(scope() + " " + text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (body) {
          if (input.value.trim() === text) {
            show(body.results || [], list);
          }
        });
    }

    function close() {
      if (box) {
        box.remove();
        box = null;
      }
    }

    function open() {
      if (box) {
        return;
      }
      var input = el("input", { type: "search", placeholder: "Search the docs", "aria-label": "Search" });
      var list = el("div", { "class": "ds-results", role: "listbox" });
      var parts = [input];
      var wide = null;
      if (config.filters.length > 1) {
        wide = el("input", { type: "checkbox" });
        parts.push(el("label", {}, [wide, " " + config.filters[1][0]]));
      }
      parts.push(list);
      var scope = function () {
        return wide && wide.checked ? config.filters[1][1] : config.default_filter;
      };
      box = el("div", { id: "docshelf-search", role: "dialog", "aria-modal": "true", "aria-label": "Search" },
        [el("div", { "class": "ds-dialog" }, parts)]);
      box.addEventListener("click", function (event) {
        if (event.target === box) {
          close();
        }
      });
      box.addEventListener("keydown", function (event) {
        event.stopPropagation();  // the theme's own shortcuts (MkDocs: n, p, s) do not see our typing
        if (event.key === "Escape") {
          close();
        } else if (event.key === "ArrowDown") {
          event.preventDefault();
          select(selected + 1);
        } else if (event.key === "ArrowUp") {
          event.preventDefault();
          select(selected - 1);
        } else if (event.key === "Enter" && selected >= 0) {
          event.preventDefault();
          location.href = links()[selected].href;
          close();
        }
      });
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { run(input, list, scope); }, 150);
      });
      if (wide) {
        wide.addEventListener("change", function () { run(input, list, scope); });
      }
      document.body.appendChild(box);
      input.focus();
    }

    window.addEventListener("keydown", function (event) {
      if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target) && !box) {
        event.preventDefault();
        event.stopImmediatePropagation();  // ours, not the theme's search
        open();
      }
    }, true);
    document.addEventListener("docshelf-search-open", open);
  }

  /* The embed API's section, without what could run: scripts, frames, handlers, javascript: links. */
  function inert(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    holder.content.querySelectorAll("script,style,iframe,object,embed,form,link,meta,base").forEach(function (n) {
      n.remove();
    });
    holder.content.querySelectorAll("*").forEach(function (node) {
      Array.prototype.slice.call(node.attributes).forEach(function (attribute) {
        var name = attribute.name.toLowerCase();
        if (name.indexOf("on") === 0 || /^\s*javascript:/i.test(attribute.value) || name === "id") {
          node.removeAttribute(attribute.name);
        }
      });
    });
    return holder.content;
  }

  function linkPreviews(config, data) {
    var current = data.versions.current;
    if (!current) {
      return;
    }
    var root = new URL(current.urls.documentation, location.href);
    var tip = null;
    var timer = null;

    function hide() {
      clearTimeout(timer);
      if (tip) {
        tip.remove();
        tip = null;
      }
    }

    function internal(a) {
      var target = new URL(a.href, location.href);
      var here = new URL(location.href);
      return target.origin === location.origin && target.pathname.indexOf(root.pathname) === 0 &&
        !(target.pathname === here.pathname && !target.hash);
    }

    document.querySelectorAll(config.selector).forEach(function (a) {
      if (!internal(a)) {
        return;
      }
      a.addEventListener("mouseenter", function () {
        hide();
        timer = setTimeout(function () {
          fetch("/_/api/v3/embed/?url=" + encodeURIComponent(a.href), {
            credentials: "same-origin", headers: { Accept: "application/json" }
          })
            .then(function (response) {
              if (!response.ok) {
                throw new Error("embed: HTTP " + response.status);
              }
              return response.json();
            })
            .then(function (body) {
              hide();
              tip = el("div", { id: "docshelf-preview", role: "tooltip" }, []);
              tip.appendChild(inert(body.content));
              var place = a.getBoundingClientRect();
              tip.style.left = Math.max(8, window.scrollX + place.left) + "px";
              tip.style.top = (window.scrollY + place.bottom + 6) + "px";
              document.body.appendChild(tip);
            })
            .catch(function () {});
        }, 250);
      });
      a.addEventListener("mouseleave", hide);
    });
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
    docDiff(data);
    latestBanner(data);
    extras(data);
    var hotkeys = data.addons.hotkeys || {};
    if (data.addons.search && data.addons.search.enabled && hotkeys.enabled && hotkeys.search && hotkeys.search.enabled) {
      searchModal(data.addons.search);
    }
    if (data.addons.linkpreviews && data.addons.linkpreviews.enabled) {
      linkPreviews(data.addons.linkpreviews, data);
    }
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
