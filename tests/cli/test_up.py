"""``docshelf up`` (what ``make run`` runs), as a subprocess on a fresh data directory.

It must serve the API and the docs origin on embedded defaults, reach admin commands through its
published Redis URL, stop cleanly on Ctrl-C, and end its start-up with the lines a first run needs:
the URLs, the admin's token and how to get a browser password, after every line of start-up output.
"""

from __future__ import annotations

import html.parser
import os
import re
import shlex
import signal
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from app.dev import first_run_summary
from tests.cli.test_commands import DOCSHELF

#: The summary's last line, which ends the start-up.
LAST_LINE = re.compile(r"^\s+(?P<command>\S*docshelf) users set-password admin$")
#: Lines only start-up writes: the migrations, the worker's start, the gunicorn master and its workers.
STARTUP_OUTPUT = re.compile(
    r"Running upgrade|rq\.worker: Worker \S+: started with PID|\*\*\* Listening on"
    r"|Booting worker|Listening at"
)


def _free_ports() -> tuple[int, int]:
    """Two free ports (the app's and the docs origin's), both held until both are chosen."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        second.bind(("127.0.0.1", 0))
        return first.getsockname()[1], second.getsockname()[1]


class _Csrf(html.parser.HTMLParser):
    token = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token":
            self.token = values.get("value") or ""


def _log_in(base: str, username: str, password: str) -> int:
    """The login form, as a browser fills it in: the status of the answer to the POST (303 on success).

    The cookies are carried by hand: the session cookie is ``Secure``, which browsers send to loopback
    over plain HTTP and Python's cookie jar does not.
    """

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect())
    with opener.open(f"{base}/login", timeout=10) as page:
        cookies = "; ".join(c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or [])
        parser = _Csrf()
        parser.feed(page.read().decode())
    form = urllib.parse.urlencode({"csrf_token": parser.token, "username": username, "password": password})
    request = urllib.request.Request(f"{base}/login", data=form.encode(), headers={"Cookie": cookies})
    try:
        with opener.open(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_for_api(port: int, token: str) -> bytes:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v3/projects/", headers={"Authorization": f"Token {token}"}
    )
    return bytes(urllib.request.urlopen(request, timeout=10).read())


def test_up_serves_on_embedded_defaults_ends_with_the_first_run_summary_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    port, docs_port = _free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env["DOCSHELF_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [DOCSHELF, "up", "--port", str(port), "--docs-port", str(docs_port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    startup: list[str] = []
    rest = ""
    try:
        for line in proc.stdout:  # until the summary's last line (or the end, if up died)
            startup.append(line.rstrip("\n"))
            if LAST_LINE.match(startup[-1]):
                break
        output = "\n".join(startup)
        match = LAST_LINE.match(startup[-1])
        assert match, output
        summary = startup[startup.index("Docshelf is running (Ctrl-C stops everything).") :]
        assert summary == [
            "Docshelf is running (Ctrl-C stops everything).",
            f"  App and API:    http://127.0.0.1:{port}/api/v3/",
            f"  Built docs:     http://localhost:{docs_port}/docs/<project>/",
            summary[3],
            f"  Browser login:  http://127.0.0.1:{port}/login, once the admin has a password:",
            summary[5],
        ], output
        token = summary[3].rsplit("API token (shown once): ", 1)[1]
        assert summary[3] == f"  Admin:          user 'admin', API token (shown once): {token}"
        assert token.startswith("dsh_")
        # Everything start-up writes came before the summary (two web workers, the build worker).
        assert len(re.findall(r"Running upgrade", output)) > 5
        assert re.search(r"rq\.worker: Worker \S+: started with PID", output), output

        assert b'"count":0' in _wait_for_api(port, token).replace(b" ", b"")
        try:  # the second origin: built docs only, never the API
            urllib.request.urlopen(f"http://localhost:{docs_port}/api/v3/", timeout=5)
            raise AssertionError("the docs origin served the API")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and b"not_on_docs_origin" in exc.read()
        assert (tmp_path / "data" / "docshelf.db").exists()
        assert oct((tmp_path / "data" / "redis.url").stat().st_mode & 0o777) == "0o600"

        # The printed command, run as printed from up's directory, gives the admin a browser password
        # (an admin command given only the data directory reaches up's own Redis, not a private one).
        base = f"http://127.0.0.1:{port}"
        assert _log_in(base, "admin", "first-run password") == 401
        command = shlex.split(match.group("command")) + ["users", "set-password", "admin"]
        set_password = subprocess.run(
            [*command, "--password", "first-run password"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert set_password.returncode == 0 and "password set for admin" in set_password.stdout, (
            set_password.stderr
        )
        assert _log_in(base, "admin", "first-run password") == 303
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, "\n".join(startup) + rest
    # What followed the summary is the running service and its shutdown, never start-up output.
    assert not STARTUP_OUTPUT.search(rest), rest
    assert not (tmp_path / "data" / "redis.url").exists()  # nobody finds a server that is gone
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/", timeout=2)


def test_the_summary_of_a_later_run_says_how_to_get_a_token() -> None:
    """The admin exists from an earlier run: no token to show, the command that makes one instead."""
    env = {"DOCSHELF_PUBLIC_URL": "http://127.0.0.1:8000", "DOCSHELF_DOCS_URL": "http://localhost:8001/"}
    lines = first_run_summary(env, None, ".venv/bin/docshelf").splitlines()
    assert lines[-6:] == [
        "Docshelf is running (Ctrl-C stops everything).",
        "  App and API:    http://127.0.0.1:8000/api/v3/",
        "  Built docs:     http://localhost:8001/docs/<project>/",
        "  Admin:          user 'admin' exists; a new API token: .venv/bin/docshelf tokens create admin",
        "  Browser login:  http://127.0.0.1:8000/login, once the admin has a password:",
        "                  .venv/bin/docshelf users set-password admin",
    ]
