""".readthedocs.yaml honesty: every key Docshelf does not act on is named; the keys it uses stay silent."""

from __future__ import annotations

import os
import sys

import pytest

from tests import factories
from tests.workers.conftest import fresh, sphinx_files, work
from tests.workers.test_end_to_end import trigger
from workers.config import ALL, ConfigError, Submodules, load
from workers.tools import worker_base_python

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _load(tmp_path, yaml_text: str, files: dict[str, str] | None = None):
    for name, text in {".readthedocs.yaml": yaml_text, "docs/conf.py": "", "mkdocs.yml": "",
                       "requirements.txt": "", **(files or {})}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    config, _text = load(str(tmp_path))
    return config


def _keys(warnings: list[str]) -> list[str]:
    return [w.split(": ", 1)[0] for w in warnings]


FULLY_USED = """version: 2
formats: [htmlzip, epub]
sphinx:
  configuration: docs/conf.py
  builder: dirhtml
  fail_on_warning: true
python:
  install:
    - requirements: requirements.txt
    - path: .
      method: pip
      extra_requirements: [docs]
build:
  jobs:
    post_checkout: [echo a]
    pre_create_environment: [echo b]
    post_create_environment: [echo c]
    pre_install: [echo d]
    post_install: [echo e]
    pre_build: [echo f]
    post_build: [echo g]
submodules:
  include: all
  recursive: true
"""


def test_keys_docshelf_acts_on_stay_silent(tmp_path):
    config = _load(tmp_path, FULLY_USED)
    assert config.warnings == []
    assert config.submodules == Submodules(include=ALL, exclude=[], recursive=True)
    assert config.resolved()["submodules"] == {"include": "all", "exclude": [], "recursive": True}


def test_no_configuration_file_has_no_warnings(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("")
    config, text = load(str(tmp_path))
    assert text is None and config.warnings == []


def test_a_typical_read_the_docs_file_names_what_docshelf_does_instead(tmp_path):
    config = _load(tmp_path, """version: 2
build:
  os: ubuntu-22.04
  tools:
    python: "2.7"
    nodejs: "20"
  apt_packages: [graphviz, plantuml]
sphinx:
  configuration: docs/conf.py
python:
  version: 3.8
  system_packages: true
search:
  ranking: {api/*: -1}
  ignore: [404.html]
""")
    # build.os is accepted; build.tools and build.apt_packages are acted on when the build runs, which
    # warns about what it cannot provide (test_build_tools, test_system_dependencies).
    assert _keys(config.warnings) == ["python.version", "python.system_packages"]
    text = "\n".join(config.warnings)
    assert "ubuntu-22.04" not in text and f"worker's Python {PYTHON}" in text
    assert "python.version: obsolete" in text and "python.system_packages: obsolete" in text
    # Unused keys are still shown in the resolved configuration, as Read the Docs shows them.
    assert config.resolved()["build"]["os"] == "ubuntu-22.04"


def test_typos_are_called_typos(tmp_path):
    config = _load(tmp_path, """version: 2
sphnix:
  configuration: docs/conf.py
sphinx:
  configuraton: docs/conf.py
  fail_on_warnings: true
submodules:
  recurse: true
build:
  comands: [make]
python:
  install:
    - requirements: requirements.txt
      method: pip
    - path: .
      extras: [docs]
""")
    warnings = dict(w.split(": ", 1) for w in config.warnings)
    assert set(warnings) == {"sphnix", "sphinx.configuraton", "sphinx.fail_on_warnings", "submodules.recurse",
                             "build.comands", "python.install.0.method", "python.install.1.extras"}
    assert "(a typo of 'sphinx'?)" in warnings["sphnix"]
    assert "(a typo of 'configuration'?)" in warnings["sphinx.configuraton"]
    assert "(a typo of 'recursive'?)" in warnings["submodules.recurse"]
    assert "(a typo of 'commands'?)" in warnings["build.comands"]
    assert "(a typo of 'extra_requirements'?)" in warnings["python.install.1.extras"]
    assert "only used together with 'path'" in warnings["python.install.0.method"]


def test_jobs_docshelf_does_not_run_and_the_steps_it_replaces(tmp_path):
    config = _load(tmp_path, """version: 2
sphinx: {configuration: docs/conf.py}
build:
  jobs:
    pre_system_dependencies: [echo a]
    post_system_dependencies: [echo b]
    create_environment: [echo c]
    install: [echo d]
    build:
      html: [echo e]
      epub: [echo f]
    post_build: [echo ran]
""")
    assert _keys(config.warnings) == ["build.jobs.build.epub"]  # epub is not in formats
    assert set(config.jobs) == {"pre_system_dependencies", "post_system_dependencies", "post_build"}
    assert config.overrides == {"create_environment": ["echo c"], "install": ["echo d"],
                                "build": {"html": ["echo e"], "epub": ["echo f"]}}


def test_build_commands_make_the_other_steps_unused(tmp_path):
    config = _load(tmp_path, """version: 2
formats: [pdf]
sphinx: {configuration: docs/conf.py}
python:
  install:
    - requirements: requirements.txt
build:
  commands: [mkdir -p $READTHEDOCS_OUTPUT/html]
  jobs:
    post_checkout: [echo runs]
    pre_build: [echo never]
""")
    assert config.tool == "commands"
    assert sorted(_keys(config.warnings)) == ["build.jobs.pre_build", "formats", "python.install", "sphinx"]


def test_setuptools_installs_and_mkdocs_formats(tmp_path):
    config = _load(tmp_path, """version: 2
formats: all
mkdocs: {configuration: mkdocs.yml}
python:
  install:
    - path: .
      method: setuptools
""")
    warnings = dict(w.split(": ", 1) for w in config.warnings)
    assert set(warnings) == {"formats", "python.install.0.method"}
    assert warnings["formats"].startswith("pdf, epub cannot be built from MkDocs")
    assert "pip" in warnings["python.install.0.method"]


def test_sphinx_htmldir_is_read_the_docs_spelling_of_dirhtml(tmp_path):
    assert _load(tmp_path, "version: 2\nsphinx:\n  builder: htmldir\n").builder == "dirhtml"


@pytest.mark.parametrize(("yaml_text", "expected"), [
    ("", Submodules(include=[], exclude=ALL, recursive=False)),
    ("submodules: {include: [a, b/]}\n", Submodules(include=["a", "b"], exclude=[], recursive=False)),
    ("submodules: {exclude: [a]}\n", Submodules(include=[], exclude=["a"], recursive=False)),
    ("submodules: {exclude: all}\n", Submodules(include=[], exclude=ALL, recursive=False)),
    ("submodules: {include: all, recursive: true}\n", Submodules(include=ALL, exclude=[], recursive=True)),
])
def test_submodules_defaults_follow_read_the_docs(tmp_path, yaml_text, expected):
    assert _load(tmp_path, "version: 2\n" + yaml_text).submodules == expected


@pytest.mark.parametrize(("yaml_text", "key"), [
    ("submodules: [a]\n", "'submodules'"),
    ("submodules: {include: a}\n", "'submodules.include'"),
    ("submodules: {include: [a, 3]}\n", "'submodules.include'"),
    ("submodules: {exclude: none}\n", "'submodules.exclude'"),
    ("submodules: {include: [a], exclude: [b]}\n", "'submodules': use either 'include' or 'exclude'"),
    ("submodules: {include: all, exclude: all}\n", "'submodules': use either"),
    ("submodules: {recursive: yes please}\n", "'submodules.recursive'"),
    ("build:\n  jobs:\n    build: [make html]\n", "'build.jobs.build'"),
    ("build:\n  jobs:\n    build: {man: [make]}\n", "'build.jobs.build'"),
    ("build:\n  jobs:\n    install: echo\n", "'build.jobs.install'"),
])
def test_submodule_and_job_errors_name_the_key(tmp_path, yaml_text, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        _load(tmp_path, "version: 2\n" + yaml_text)


def test_warnings_come_right_after_the_file_in_the_build_log(app, client, user, headers, make_repo,
                                                          monkeypatch):
    # Only the worker's Python on offer: 3.13 is then the nearest-version warning, on any host.
    monkeypatch.setitem(app.config, "BUILD_PYTHONS", f"{PYTHON}={worker_base_python()}")
    config = ("version: 2\nbuild:\n  os: ubuntu-24.04\n  tools: {python: '3.13'}\n"
              "sphinx:\n  configuration: docs/conf.py\nsphnix: {}\n")
    repo = make_repo({".readthedocs.yaml": config, **sphinx_files("Warned")})
    factories.ProjectFactory(name="Warned", slug="warned", repository_url=repo.url, maintainers=[user])
    build_id = trigger(client, headers, "warned", "latest")
    work()
    build = fresh(build_id)
    assert (build.state, build.success) == ("finished", True), build.error
    descriptions = [c.description for c in build.commands]
    at = descriptions.index("Reading the configuration")
    assert descriptions[at + 1] == "Configuration warnings"
    note = build.commands[at + 1]
    assert note.command == "# 2 configuration keys not used" and note.exit_code == 0
    lines = note.output.splitlines()
    assert all(line.startswith("WARNING: ") for line in lines)
    keys = _keys([line.removeprefix("WARNING: ") for line in lines])
    assert keys == ["build.tools.python", "sphnix"]  # build.os is accepted
    resolved = build.config or {}
    assert resolved["build"]["os"] == "ubuntu-24.04"  # the resolved config keeps what the file said
    assert os.path.basename(resolved["sphinx"]["configuration"]) == "conf.py"
