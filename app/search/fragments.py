"""The HTML of one section of a built page, as Read the Docs' embed API returns it.

Without a fragment: the main content node (``maincontent``, a simple selector, else ``<main>`` /
``role="main"``, else ``<body>``). With one: the element carrying that id; a Sphinx domain object's
``<dt id>`` comes back as its ``<dl>`` with that ``<dt>`` and its ``<dd>``; a heading with the id (MkDocs)
comes back with what follows it up to the next heading of the same or a higher level.

The source is sliced by the offsets Python's streaming ``html.parser`` reports, so what is returned
is the page's own markup, untouched (it is shown on the docs origin, where that page is served too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from app.search import markup

_SELECTOR = re.compile(
    r"^(?P<tag>[a-z][a-z0-9]*)?(?:#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)|"
    r"\[(?P<attr>[a-z-]+)=[\"']?(?P<value>[\w-]+)[\"']?\])?$"
)


class SelectorError(ValueError):
    """``maincontent`` is not a selector this module understands (tag, #id, .class, [attr=value])."""


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    start: int
    end: int | None = None
    parent: _Element | None = None
    children: list[_Element] = field(default_factory=list)


class _Locator(HTMLParser):
    """Records every element's start and end offsets in the source (no text kept)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0]
        for match in re.finditer("\n", source):
            self.line_starts.append(match.end())
        self.root = _Element("#root", {}, 0)
        self.stack = [self.root]

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        text = self.get_starttag_text() or ""
        node = _Element(tag, {k: v or "" for k, v in attrs}, start, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag in markup.VOID:
            node.end = start + len(text)
        else:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in markup.VOID:
            node = self.stack.pop()
            node.end = node.start + len(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                break
        else:
            return
        start = self._offset()
        close = self.source.find(">", start)
        end = close + 1 if close >= 0 else len(self.source)
        while len(self.stack) > index:
            self.stack.pop().end = end

    def finish(self) -> _Element:
        self.close()
        while len(self.stack) > 1:
            self.stack.pop().end = len(self.source)
        return self.root


def _walk(root: _Element) -> list[_Element]:
    out, pending = [], list(reversed(root.children))
    while pending:
        node = pending.pop()
        out.append(node)
        pending.extend(reversed(node.children))
    return out


def _matches(node: _Element, selector: re.Match[str]) -> bool:
    if selector["tag"] and node.tag != selector["tag"]:
        return False
    if selector["id"]:
        return node.attrs.get("id") == selector["id"]
    if selector["cls"]:
        return selector["cls"] in node.attrs.get("class", "").split()
    if selector["attr"]:
        return node.attrs.get(selector["attr"]) == selector["value"]
    return True


def _main(elements: list[_Element], maincontent: str | None) -> _Element | None:
    if maincontent:
        selector = _SELECTOR.match(maincontent.strip())
        if selector is None or not any(selector.groupdict().values()):
            raise SelectorError("maincontent must be a simple selector: tag, #id, .class or [attr=value].")
        return next((e for e in elements if _matches(e, selector)), None)
    return next((e for e in elements if e.tag == "main" or e.attrs.get("role") == "main"), None) or next(
        (e for e in elements if e.tag == "body"), None
    )


def _slice(source: str, node: _Element) -> str:
    return source[node.start : node.end if node.end is not None else len(source)]


def extract(source: str, fragment: str | None, maincontent: str | None = None) -> str | None:
    """The section's HTML (see the module docstring), or None when the page has no such part."""
    locator = _Locator(source)
    locator.feed(source)
    elements = _walk(locator.finish())
    main = _main(elements, maincontent)
    if not fragment:
        return _slice(source, main) if main is not None else None
    node = next((e for e in elements if e.attrs.get("id") == fragment), None)
    if node is None:
        return None
    if node.tag == "dt" and node.parent is not None and node.parent.tag == "dl":
        return _definition(source, node)
    if node.tag in markup.HEADINGS and node.parent is not None:
        return _heading_section(source, node)
    return _slice(source, node)


def _definition(source: str, dt: _Element) -> str:
    dl = dt.parent
    assert dl is not None
    siblings = dl.children[dl.children.index(dt) :]
    parts = [_slice(source, dt)]
    for sibling in siblings[1:]:
        if sibling.tag != "dd":
            break
        parts.append(_slice(source, sibling))
    opening = source[dl.start : source.find(">", dl.start) + 1]
    return opening + "".join(parts) + "</dl>"


def _heading_section(source: str, heading: _Element) -> str:
    parent = heading.parent
    assert parent is not None
    level = markup.HEADINGS[heading.tag]
    siblings = parent.children[parent.children.index(heading) :]
    end = heading.end or heading.start
    for sibling in siblings[1:]:
        if sibling.tag in markup.HEADINGS and markup.HEADINGS[sibling.tag] <= level:
            break
        end = sibling.end or end
    return source[heading.start : end]
