"""Built HTML → searchable sections: the page's title, its sections (title, anchor id, text) and the
API objects of Sphinx's domains as blocks of their own, the way Read the Docs indexes a page.

One generic pass serves Sphinx (``<section id>``/``div.section`` around each heading) and MkDocs
(flat headings carrying their own ``id``): the main content node (``<main>`` or ``role="main"``, else
``<body>``) is read in document order, each heading starts a section, and a ``<dl class="py
function">``-style block with an ``id`` on its ``<dt>`` becomes a domain block (its text is not
repeated in the section around it). Navigation, scripts, styles and heading permalinks are left out.

The page was written by the project's build, so the parser is Python's own streaming
``html.parser`` (no tree, no recursion: deep nesting costs nothing) and every output is bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from app.search import markup

MAX_SECTIONS = 2000  # per page; a generated page with more is cut (the rest is still served)
MAX_TEXT = 20_000  # characters kept per section or domain block
MAX_TITLE = 500

_SPACE = re.compile(r"\s+")
#: The pilcrow of permalinks, and the private-use characters the engines use as highlight markers.
_DROPPED = {0x00B6: " ", **{code: None for code in range(0xE000, 0xE010)}}


@dataclass
class Section:
    id: str
    title: str
    content: str


@dataclass
class DomainObject:
    id: str
    role: str  # "py:function"
    name: str
    content: str


@dataclass
class Page:
    title: str
    sections: list[Section] = field(default_factory=list)
    domains: list[DomainObject] = field(default_factory=list)


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """Whitespace collapsed, the permalink pilcrow dropped, cut at ``limit`` characters."""
    return _SPACE.sub(" ", text.translate(_DROPPED)).strip()[:limit]


@dataclass
class _Open:
    tag: str
    skip: bool = False
    main: bool = False
    section_id: str | None = None  # an id on a section wrapper, for the heading inside it
    domain: _DomainDraft | None = None
    heading: bool = False
    dt: bool = False


@dataclass
class _DomainDraft:
    role: str
    id: str = ""
    name: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    id: str
    title: list[str]
    content: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = []
        self.html_title: list[str] = []
        self.in_title = False
        self.found_main = False
        # Two readings in one pass: inside the main node, and the whole body (used when there is no main).
        self.outputs: dict[bool, tuple[list[_Draft], list[_DomainDraft]]] = {True: ([], []), False: ([], [])}
        self.pending_id: dict[bool, str | None] = {True: None, False: None}

    # -- state of the innermost element -----------------------------------------------------------------

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1].skip

    def _in_main(self) -> bool:
        return bool(self.stack) and self.stack[-1].main

    def _domain(self) -> _DomainDraft | None:
        return self.stack[-1].domain if self.stack else None

    def _heading(self) -> bool:
        return bool(self.stack) and self.stack[-1].heading

    def _in_dt(self) -> bool:
        return bool(self.stack) and self.stack[-1].dt

    # -- parser callbacks -----------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.stack_has("body"):
            self.in_title = True
        if tag in markup.VOID:
            if tag in ("br", "hr"):
                self._text(" ")
            return
        values = {name: (value or "") for name, value in attrs}
        classes = values.get("class", "").split()
        parent = self.stack[-1] if self.stack else _Open("root")
        node = _Open(
            tag,
            skip=parent.skip,
            main=parent.main,
            domain=parent.domain,
            heading=parent.heading,
            dt=parent.dt,
        )
        if (tag in markup.SKIP_TAGS or markup.SKIP_CLASSES.intersection(classes)
                or values.get("role") in markup.SKIP_ROLES):
            node.skip = True
        if not node.main and (tag == "main" or values.get("role") == "main"):
            node.main = self.found_main = True
        if tag in markup.BLOCK:
            self._text(" ")
        if not node.skip:
            self._open_structure(node, tag, values, classes)
        self.stack.append(node)

    def _open_structure(self, node: _Open, tag: str, values: dict[str, str], classes: list[str]) -> None:
        if tag in ("section", "div") and values.get("id") and (tag == "section" or "section" in classes):
            node.section_id = values["id"]
            for main in (True, False):
                self.pending_id[main] = values["id"]
        elif tag == "dl" and len(classes) >= 2 and classes[0] in markup.DOMAINS:
            node.domain = _DomainDraft(role=f"{classes[0]}:{classes[1]}")
        elif tag == "dt" and node.domain is not None and not node.domain.id and values.get("id"):
            node.domain.id = values["id"]
            node.dt = True
        elif tag in markup.HEADINGS and node.domain is None:
            node.heading = True
            for main in (True, False):
                if main and not node.main:
                    continue
                anchor = values.get("id") or self.pending_id[main] or ""
                self.pending_id[main] = None
                drafts = self.outputs[main][0]
                if len(drafts) < MAX_SECTIONS:
                    drafts.append(_Draft(anchor, []))

    def stack_has(self, tag: str) -> bool:
        return any(node.tag == tag for node in self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in markup.VOID:
            return
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                break
        else:
            return  # a stray end tag closes nothing
        while len(self.stack) > index:
            node = self.stack.pop()
            if node.domain is not None and (not self.stack or self.stack[-1].domain is not node.domain):
                self._close_domain(node)
        if tag in markup.BLOCK:
            self._text(" ")

    def _close_domain(self, node: _Open) -> None:
        draft = node.domain
        assert draft is not None
        if not draft.id:
            return
        for main in (True, False):
            if main and not node.main:
                continue
            domains = self.outputs[main][1]
            if len(domains) < MAX_SECTIONS:
                domains.append(draft)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.html_title.append(data)
            return
        self._text(data)

    def _text(self, data: str) -> None:
        if not self.stack or self._skipping():
            return
        domain = self._domain()
        if domain is not None:
            target = domain.name if self._in_dt() else domain.content
            target.append(data)
            return
        for main in (True, False):
            if main and not self._in_main():
                continue
            drafts = self.outputs[main][0]
            if not drafts:
                drafts.append(_Draft("", []))  # text before the first heading
            draft = drafts[-1]
            (draft.title if self._heading() else draft.content).append(data)


def parse_html(html: str) -> Page:
    """Sections and domain objects of one built page (see the module docstring)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    drafts, domains = reader.outputs[reader.found_main]
    sections = [Section(d.id, clean("".join(d.title), MAX_TITLE), clean("".join(d.content))) for d in drafts]
    title = next((s.title for s in sections if s.title), "") or clean("".join(reader.html_title), MAX_TITLE)
    if sections and not sections[0].title:
        first = sections.pop(0)
        if first.content:  # text before the first heading: a section titled like the page
            sections.insert(0, Section("", title, first.content))
    objects = [
        DomainObject(
            d.id[:MAX_TITLE], d.role[:100], clean("".join(d.name), MAX_TITLE), clean("".join(d.content))
        )
        for d in domains
    ]
    return Page(title, [s for s in sections if s.title or s.content], objects)
