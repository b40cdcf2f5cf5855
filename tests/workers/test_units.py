"""Units of the build engine that need no database: the process runner, config parsing, URLs, publishing."""

from __future__ import annotations

import os
import time

import pytest

from app.safety.local_repositories import RepositoryRules
from app.safety.url_credentials import masked
from app.storage import local as local_storage
from workers import publish
from workers.config import ConfigError, load
from workers.process import Limits, OutputBuffer, base_environment, run_command
from workers.vcs import check_url

ENV = base_environment(home="/tmp", tmpdir="/tmp")


def test_output_is_capped_with_a_visible_marker():
    result = run_command(["python3", "-c", "print('a' * 100000); print('THE END')"], cwd="/tmp", env=ENV,
                         limits=Limits(timeout=30, max_output=4096))
    assert result.exit_code == 0 and result.truncated
    assert "bytes of output truncated" in result.output
    assert result.output.startswith("aaaa") and result.output.rstrip().endswith("THE END")
    assert len(result.output) < 5000


def test_buffer_keeps_everything_under_the_limit():
    buffer = OutputBuffer(2048)
    buffer.feed(b"hello\x00 world")
    assert buffer.text() == "hello world" and not buffer.truncated


def test_stop_request_kills_the_group_quickly():
    started = time.monotonic()
    result = run_command(["bash", "-c", "sleep 30 & sleep 30"], cwd="/tmp", env=ENV,
                         limits=Limits(timeout=60), should_stop=lambda: time.monotonic() - started > 0.5)
    assert result.stopped == "cancelled" and time.monotonic() - started < 5


def test_timeout_and_missing_programs():
    result = run_command(["sleep", "10"], cwd="/tmp", env=ENV, limits=Limits(timeout=0.5))
    assert result.stopped == "timeout" and result.exit_code != 0
    missing = run_command(["definitely-not-a-program"], cwd="/tmp", env=ENV, limits=Limits(timeout=5))
    assert missing.exit_code == 127 and "Could not run" in missing.output


def test_memory_limit_applies():
    code = "x = bytearray(600 * 1024 * 1024)"
    result = run_command(["python3", "-c", code], cwd="/tmp", env=ENV,
                         limits=Limits(timeout=30, memory_bytes=256 * 1024 * 1024))
    assert result.exit_code != 0 and "MemoryError" in result.output


def test_base_environment_is_an_allowlist(monkeypatch):
    monkeypatch.setenv("DOCSHELF_SECRET_KEY", "leak")
    env = base_environment(home="/h", tmpdir="/t", path_prefix=["/venv/bin"])
    assert "DOCSHELF_SECRET_KEY" not in env and env["HOME"] == "/h" and env["PATH"].startswith("/venv/bin:")
    result = run_command(["env"], cwd="/tmp", env=env, limits=Limits(timeout=10))
    assert "leak" not in result.output


@pytest.mark.parametrize(("url", "local_ok", "allowed"), [
    ("https://github.com/pypa/pip.git", False, True),
    ("git@github.com:pypa/pip.git", False, True),
    ("ssh://git@example.com/x.git", False, True),
    ("/srv/repos/x", False, False),
    ("/srv/repos/x", True, True),
    ("file:///srv/repos/x", False, False),
    ("http://127.0.0.1:8000/x.git", False, False),
    ("http://127.0.0.1:8000/x.git", True, True),
    ("https://10.0.0.5/x.git", False, False),
    ("ext::sh -c touch% /tmp/pwned", True, False),
    ("--upload-pack=touch /tmp/pwned", True, False),
])
def test_repository_urls(url, local_ok, allowed, app, monkeypatch):
    from tests.conftest import TEST_DNS

    # Clone time resolves host names (strict): github.com and example.com resolve to public addresses here.
    monkeypatch.setitem(TEST_DNS, "github.com", ["140.82.121.4"])
    monkeypatch.setitem(TEST_DNS, "example.com", ["93.184.215.14"])
    local = RepositoryRules(private_hosts=True, local_roots=("/srv/repos",))
    rules = local if local_ok else RepositoryRules()
    assert (check_url(url, rules) is None) is allowed


def test_clone_time_check_refuses_a_name_rebound_to_a_private_address(app, monkeypatch):
    from tests.conftest import TEST_DNS

    monkeypatch.setitem(TEST_DNS, "docs.example.org", ["10.1.2.3"])
    assert check_url("https://docs.example.org/x.git", RepositoryRules()) is not None
    monkeypatch.setitem(TEST_DNS, "docs.example.org", ["93.184.215.14"])
    assert check_url("https://docs.example.org/x.git", RepositoryRules()) is None
    assert check_url("https://unresolvable.example.net/x.git", RepositoryRules()) is not None


def test_credentials_are_masked():
    assert masked("https://user:tok@github.com/a/b.git") == "https://***@github.com/a/b.git"
    assert masked("/srv/x") == "/srv/x"


def _write(root, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    return str(root)


@pytest.mark.parametrize(("files", "tool", "configuration"), [
    ({"docs/conf.py": "", "conf.py": ""}, "sphinx", "docs/conf.py"),
    ({"doc/conf.py": ""}, "sphinx", "doc/conf.py"),
    ({"conf.py": ""}, "sphinx", "conf.py"),
    ({"mkdocs.yml": ""}, "mkdocs", "mkdocs.yml"),
    ({".readthedocs.yaml": "version: 2\nmkdocs: {}\n", "mkdocs.yml": "", "docs/conf.py": ""}, "mkdocs",
     "mkdocs.yml"),
    ({".readthedocs.yml": "version: 2\nbuild:\n  commands: ['mkdir -p $READTHEDOCS_OUTPUT/html']\n"},
     "commands", None),
])
def test_discovery(tmp_path, files, tool, configuration):
    config, _text = load(_write(tmp_path, files))
    assert (config.tool, config.configuration) == (tool, configuration)


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("version: 1\n", "only version 2"),
    ("formats: [mobi]\n", "'formats'"),
    ("sphinx:\n  configuration: ../../etc/conf.py\n", "leaves the repository"),
    ("sphinx:\n  configuration: nope/conf.py\n", "does not exist"),
    ("build:\n  jobs:\n    pre_everything: [ls]\n", "build.jobs.pre_everything"),
    ("python:\n  install:\n    - requirements: missing.txt\n", "python.install.0.requirements"),
    ("sphinx: {}\nmkdocs: {}\n", "not both"),
    ("- a list\n", "mapping"),
    ("version: [\n", "not valid YAML"),
])
def test_config_errors_name_the_key(tmp_path, yaml_text, message):
    root = _write(tmp_path, {".readthedocs.yaml": yaml_text, "docs/conf.py": ""})
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load(root)


def test_symlinked_config_cannot_escape(tmp_path):
    root = _write(tmp_path / "repo", {"docs/index.rst": ""})
    os.symlink("/etc", os.path.join(root, "docs", "etc"))
    with open(os.path.join(root, ".readthedocs.yaml"), "w") as fh:
        fh.write("sphinx:\n  configuration: docs/etc/passwd\n")
    with pytest.raises(ConfigError, match="leaves the repository"):
        load(root)


def test_publish_swaps_whole_directories(tmp_path, monkeypatch):
    storage = str(tmp_path / "storage")

    def build(text: str, build_id: int) -> None:
        html = tmp_path / f"out{build_id}" / "html"
        html.mkdir(parents=True)
        (html / "index.html").write_text(text)
        (html / f"only-in-{build_id}.html").write_text(text)
        zipped = tmp_path / f"out{build_id}" / "p.zip"
        zipped.write_text("zip")
        publish.publish("p", "latest", str(html), {"htmlzip": str(zipped)}, build_id, storage_dir=storage)

    build("one", 1)
    live = os.path.join(storage, "p", "latest")
    assert sorted(os.listdir(os.path.join(live, "html"))) == ["index.html", "only-in-1.html"]
    build("two", 2)  # renameat2(RENAME_EXCHANGE)
    assert sorted(os.listdir(os.path.join(live, "html"))) == ["index.html", "only-in-2.html"]
    assert os.listdir(os.path.join(live, "downloads")) == ["p.zip"]
    monkeypatch.setattr(local_storage, "_exchange", lambda a, b: False)  # the two-rename fallback
    build("three", 3)
    assert sorted(os.listdir(os.path.join(live, "html"))) == ["index.html", "only-in-3.html"]
    assert os.listdir(os.path.join(storage, "p")) == ["latest"]  # no staging or retired leftovers
