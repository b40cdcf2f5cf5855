"""What a sandboxed build reaches over the network: the forwarded API port and package index, nothing
else on the host; without slirp4netns, nothing at all (and the log says so)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.workers.conftest import sphinx_files
from tests.workers.test_end_to_end import site as site_path
from tests.workers.test_sandbox_attacks import build_once

#: A route: request path → (content type, body), or None for a 404.
Route = Callable[[str], "tuple[str, bytes] | None"]


@contextmanager
def loopback_http(route: Route) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A real HTTP server on 127.0.0.1; yields its URL and the (path, Authorization) of each request."""
    seen: list[tuple[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append((self.path, self.headers.get("Authorization", "")))
            answer = route(self.path)
            if answer is None:
                self.send_error(404)
                return
            kind, body = answer
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_api_port_alone_is_forwarded_into_the_sandbox(app, client, user, headers, make_repo, monkeypatch):
    """A build reaches the API at its loopback public URL (forwarded), and nothing else on the host."""
    def api(_path: str) -> tuple[str, bytes]:
        return "application/json", b'{"ok": true}'

    with loopback_http(api) as (api_url, seen), loopback_http(api) as (other_url, other_seen):
        monkeypatch.setitem(app.config, "PUBLIC_URL", api_url)
        probe = ("python - <<'PY'\nimport os, urllib.request\n"
                 "print('api', urllib.request.urlopen(os.environ['DOCSHELF_API_URL'], timeout=5).status)\n"
                 f"try:\n    urllib.request.urlopen('{other_url}/', timeout=3)\n"
                 "    print('other port SUCCEEDED')\nexcept Exception as exc:\n"
                 "    print('other port blocked', exc)\n"
                 "PY")
        files = sphinx_files("Forward")
        files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n"
                                      f"    pre_build:\n      - {json.dumps(probe)}\n")
        repo = make_repo(files)
        build, log = build_once(client, headers, user, repo.url, "forward")
        assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
        assert "api 200" in log and "other port blocked" in log, log[-2000:]
        assert seen and all(not auth for _path, auth in seen)  # the build's own request, unchanged
        assert other_seen == []


def _wheel(name: str, version: str, module_text: str) -> tuple[str, bytes]:
    dist = f"{name}-{version}"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    wheel = "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files = {f"{name}/__init__.py": module_text.encode(), f"{dist}.dist-info/METADATA": metadata.encode(),
             f"{dist}.dist-info/WHEEL": wheel.encode()}
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return f"{dist}-py3-none-any.whl", buffer.getvalue()


def test_python_install_fetches_a_requirement_from_the_package_index(app, client, user, headers, make_repo,
                                                                      monkeypatch):
    """A requirement comes from a package index (a PyPI mirror on the host's loopback, forwarded in)."""
    wheel_name, wheel = _wheel("docshelf_index_fixture", "2.5", "GREETING = 'from the index'\n")

    def index(path: str) -> tuple[str, bytes] | None:
        if path.rstrip("/") == "/simple/docshelf-index-fixture":
            return "text/html", f'<a href="/files/{wheel_name}">{wheel_name}</a>'.encode()
        return ("application/octet-stream", wheel) if path == f"/files/{wheel_name}" else None

    with loopback_http(index) as (index_url, served):
        monkeypatch.setitem(app.config, "BUILD_PIP_INDEX_URL", f"{index_url}/simple/")
        conf = ("import docshelf_index_fixture\n"
                "rst_epilog = '.. |greeting| replace:: ' + docshelf_index_fixture.GREETING\n")
        files = sphinx_files("Indexed", extra=conf)
        files["docs/index.rst"] = "Indexed\n=======\n\nSays |greeting|.\n"
        files["docs/requirements.txt"] = "docshelf-index-fixture==2.5\n"
        files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\n"
                                      "python:\n  install:\n    - requirements: docs/requirements.txt\n")
        repo = make_repo(files)
        build, log = build_once(client, headers, user, repo.url, "indexed")
        assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
        # The index really served it, through the forwarded port.
        assert f"/files/{wheel_name}" in [path for path, _auth in served]
        with open(site_path(app, "indexed", "latest", "html", "index.html")) as fh:
            assert "from the index" in fh.read()


def test_without_slirp4netns_builds_run_offline_and_say_so(app, client, user, headers, make_repo, monkeypatch,
                                                          tmp_path):
    """A worker host without slirp4netns (here: not on the worker's PATH) builds with no network."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sleep", "ip", "git"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(bin_dir))
    probe = ("python - <<'PY'\nimport socket\ntry:\n    socket.getaddrinfo('pypi.org', 443)\n"
             "    print('resolved')\nexcept OSError as exc:\n    print('offline', exc)\nPY")
    files = sphinx_files("Offline")
    files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n"
                                  f"    pre_build:\n      - {json.dumps(probe)}\n")
    repo = make_repo(files)
    build, log = build_once(client, headers, user, repo.url, "offline")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
    assert "slirp4netns is not installed" in log and "apt install slirp4netns" in log
    lines = log.splitlines()
    assert "Network: none." in log
    assert "resolved" not in lines and any(line.startswith("offline ") for line in lines), log[-1500:]
