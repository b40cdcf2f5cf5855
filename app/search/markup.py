"""What the search parser (:mod:`app.search.parse`) knows of HTML: headings, elements without content,
what is navigation rather than content, Sphinx's domain object classes, and the block elements
whose ends separate words."""

from __future__ import annotations

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "nav",
        "footer",
        "noscript",
        "template",
        "svg",
        "button",
        "form",
        "select",
        "textarea",
        "head",
    }
)
SKIP_CLASSES = frozenset(
    {
        "headerlink",
        "toctree-wrapper",
        "linenos",
        "rst-footer-buttons",
        "footer",
        "md-footer",
        "md-sidebar",
        "sphinxsidebar",
        "related",
        "viewcode-link",
        "sr-only",
        "visually-hidden",
        "md-source-file",
    }
)
SKIP_ROLES = frozenset({"navigation", "search", "contentinfo"})
#: Sphinx domains whose objects become blocks (``<dl class="<domain> <objtype>">``).
DOMAINS = frozenset(
    {
        "py",
        "c",
        "cpp",
        "js",
        "rst",
        "std",
        "http",
        "cmake",
        "rb",
        "php",
        "go",
        "rust",
        "dotnet",
        "cs",
        "mat",
        "f",
        "erl",
        "jl",
        "scala",
    }
)
BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "li",
        "dd",
        "dt",
        "td",
        "th",
        "tr",
        "pre",
        "br",
        "blockquote",
        "table",
        "ul",
        "ol",
        "dl",
        "figure",
        "figcaption",
        "hr",
        "main",
    }
    | set(HEADINGS)
)
