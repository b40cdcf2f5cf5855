"""``build.apt_packages``, the system-dependencies jobs, ``build.tools`` beyond Python and ``build.os``:
what the worker host allows is provided, everything else is named in a warning (log and API)."""

from __future__ import annotations

import json
import os
import subprocess

from tests.workers.conftest import sphinx_files
from tests.workers.test_sandbox_attacks import build_once
from workers import host_tools


def make_deb(directory: str, package: str, script: str) -> str:
    """A real .deb (dpkg-deb --build) whose /usr/bin/<package> runs ``script``."""
    root = os.path.join(directory, package)
    os.makedirs(os.path.join(root, "DEBIAN"))
    os.makedirs(os.path.join(root, "usr", "bin"))
    with open(os.path.join(root, "DEBIAN", "control"), "w") as fh:
        fh.write(f"Package: {package}\nVersion: 1.0\nArchitecture: all\nMaintainer: Docshelf tests "
                 "<tests@localhost>\nDescription: a test package\n")
    program = os.path.join(root, "usr", "bin", package)
    with open(program, "w") as fh:
        fh.write("#!/bin/sh\n" + script + "\n")
    os.chmod(program, 0o755)
    deb = os.path.join(directory, f"{package}_1.0_all.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", root, deb], check=True, capture_output=True)
    return deb


def test_apt_packages_as_the_host_allows(app, client, user, headers, make_repo, tmp_path, monkeypatch):
    cache = tmp_path / "apt-cache"
    cache.mkdir()
    make_deb(str(cache), "docshelf-hello", "echo hello from a deb")
    monkeypatch.setitem(app.config, "BUILD_APT_PACKAGES", "docshelf-hello, git, docshelf-missing")
    monkeypatch.setitem(app.config, "BUILD_APT_CACHE", str(cache))
    files = sphinx_files("Apt")
    files[".readthedocs.yaml"] = (
        "version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  os: ubuntu-24.04\n"
        "  apt_packages: [docshelf-hello, git, docshelf-missing, inkscape]\n  jobs:\n"
        "    pre_system_dependencies: [echo before the packages]\n"
        "    post_system_dependencies: [docshelf-hello, \"git --version\"]\n")
    build, log = build_once(client, headers, user, make_repo(files).url, "apt")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    order = [log.index(x) for x in ("before the packages", "# build.apt_packages", "hello from a deb")]
    assert order == sorted(order)
    assert "docshelf-hello: unpacked from docshelf-hello_1.0_all.deb" in log
    assert "git: installed on the build server" in log and "git version " in log
    warnings = client.get(f"/api/v3/projects/apt/builds/{build.id}/").json["warnings"]
    assert warnings == [
        "build.apt_packages: docshelf-missing is allowed but not available: it is not installed on the build "
        "server nor in its package cache.",
        "build.apt_packages: inkscape is not installed: this build server does not allow it "
        "(DOCSHELF_BUILD_APT_PACKAGES).",
    ]
    assert not any("build.os" in w for w in warnings)  # accepted, as every Read the Docs file has it


def test_nothing_is_allowed_by_default(app, client, user, headers, make_repo):
    files = sphinx_files("Aptless")
    files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n"
                                  "  apt_packages: [graphviz]\n")
    build, log = build_once(client, headers, user, make_repo(files).url, "aptless")
    assert build.success, (build.error, log[-2000:])
    assert build.warnings == ["build.apt_packages: graphviz is not installed: this build server does not "
                              "allow it (DOCSHELF_BUILD_APT_PACKAGES)."]


def test_build_tools_beyond_python_are_the_hosts(app, client, user, headers, make_repo):
    node = host_tools.host_version("nodejs")
    assert node is not None, "the machine's Node.js (/usr/bin/node) is what this test asks for"
    major = node[1].split(".")[0]
    tools = {"python": "3", "nodejs": major, "rust": "1.99", "golang": "1.99"}
    files = sphinx_files("Tooled")
    files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  tools: "
                                  + json.dumps(tools) + "\n  jobs:\n    pre_build: [\"node --version\"]\n")
    build, log = build_once(client, headers, user, make_repo(files).url, "tooled")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert f"nodejs {major}: Node.js {node[1]} ({node[0]})" in log and f"v{node[1]}" in log
    by_tool = {w.split(":", 1)[0]: w for w in build.warnings or []}
    assert set(by_tool) <= {"build.tools.python", "build.tools.rust", "build.tools.golang"}
    for tool, name in (("rust", "Rust"), ("golang", "Go")):
        found = host_tools.host_version(tool)
        if found is None:  # this machine's rustc lives in ~/.cargo, which no build can see
            expected = f"build.tools.{tool}: {name} 1.99 is not available"
            assert by_tool[f"build.tools.{tool}"].startswith(expected)
        else:
            assert f"uses its {name} {found[1]} instead" in by_tool[f"build.tools.{tool}"]
