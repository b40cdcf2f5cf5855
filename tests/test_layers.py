"""No import cycle among the app's modules, counting imports inside functions.

import-linter's layers contract (``make lint``) keeps the tiers pointing down; a cycle between two
modules of one tier (or between modules it does not list) would pass it, and a function-level import
that closes one hides until the function runs. This builds the graph grimp builds for import-linter
and fails on any strongly connected set of modules, naming the imports that close it.

Imports under ``if TYPE_CHECKING:`` are left out: they never run, and models that refer to each
other's classes in annotations (a project's versions, a version's project) are not a dependency.
"""

from __future__ import annotations

from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.find_modules_directly_imported_by(successor)))))
                    break
                if successor in on_stack:
                    low[module] = min(low[module], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    lines = []
    for importer in component:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported in component:
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    lines.append(f"  {importer}:{detail['line_number']} imports {imported}")
    return "\n".join(lines)


def test_the_app_has_no_import_cycle(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # the tree under test, not an installed copy
    graph = grimp.build_graph("app", exclude_type_checking_imports=True, cache_dir=None)
    assert "app.api.errors" in graph.modules and "app.serving.resolver" in graph.modules
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n\n".join(describe(graph, c) for c in found)


def test_a_cycle_through_a_function_level_import_is_found():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=3, line_contents="from pkg import b")
    graph.add_import(importer="pkg.b", imported="pkg.c", line_number=4, line_contents="from pkg import c")
    # what a function body imports closes the loop
    graph.add_import(importer="pkg.c", imported="pkg.a", line_number=20, line_contents="from pkg import a")
    graph.add_import(importer="pkg.d", imported="pkg.a", line_number=1, line_contents="from pkg import a")
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert "pkg.c:20 imports pkg.a" in describe(graph, ["pkg.a", "pkg.b", "pkg.c"])
    graph.remove_import(importer="pkg.c", imported="pkg.a")
    assert cycles(graph) == []


def test_no_import_cycle_among_the_apps_packages(monkeypatch) -> None:
    """The same, one level up: app.security above the services and app.safety below them, so no
    package (app.api, app.services, app.security...) reaches back to one that imports it."""
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph("app", cache_dir=None, exclude_type_checking_imports=True)
    packages = grimp.ImportGraph()
    for module in graph.modules:
        packages.add_module(_package(module))
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if _package(importer) != _package(imported):
                packages.add_import(importer=_package(importer), imported=_package(imported))
    found = cycles(packages)
    assert not found, "import cycles between packages: " + "; ".join(" <-> ".join(c) for c in found)


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])
