"""``python -m bench.fuzz [--max-examples N] [--max-time S] [--report-dir DIR] [-- schemathesis options]``.

schemathesis against a live ``docshelf up``: every operation of /api/v3/openapi.json, every phase
(examples, coverage, fuzzing, stateful), two concurrent workers, as an admin whose token comes from
the CLI (``docshelf users create`` / ``docshelf tokens create``). Two workers hitting one server at
once is the point: a write racing a delete must be a 404 or 409, never a 500 (``not_a_server_error``).

The fuzzer invents repository and webhook URLs and the build worker acts on them, so the run happens
in a network namespace of its own (``unshare --net``, only loopback inside): nothing it makes up can
reach another machine. Without ``unshare`` it refuses, unless ``--allow-network`` says that is fine.
Everything lives in a temporary directory removed at the end; reports go to ``--report-dir``.
The exit status is schemathesis' (0: no failure found).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from bench.harness import BIN, ROOT, _answers, free_port

ISOLATED = "DOCSHELF_FUZZ_ISOLATED"
HOOKS = os.path.join(ROOT, "bench", "fuzz_hooks.py")
#: Never cloned successfully: ``.invalid`` does not resolve, and the run has no network anyway.
REPOSITORY = "https://git.invalid/fuzz.git"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25, help="Cases per operation and phase.")
    parser.add_argument("--max-time", type=int, default=600,
                        help="Seconds; fuzzing and stateful testing repeat until they are spent.")
    parser.add_argument("--workers", type=int, default=2, help="Concurrent schemathesis workers.")
    parser.add_argument("--projects", type=int, default=2, help="Seeded projects the cases point at.")
    parser.add_argument("--seed", type=int, default=None, help="Reproduce an earlier run.")
    parser.add_argument("--report-dir", default=os.path.join(ROOT, "test-artifacts", "fuzz"))
    parser.add_argument("--allow-network", action="store_true",
                        help="No network namespace: the fuzzer's URLs may then leave the machine.")
    parser.add_argument("extra", nargs="*", help="More schemathesis options, after --.")
    return parser.parse_args(argv)


def isolate(argv: list[str]) -> int:
    """Run this command again in a new user and network namespace with only loopback, up."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if unshare is None or not os.path.exists(ip):
        sys.exit("bench.fuzz needs unshare and ip (util-linux, iproute2) to keep the fuzzer's URLs on this "
                 "machine; pass --allow-network to run without them.")
    script = f'{ip} link set lo up && exec "$@"'
    command = [unshare, "--net", "--map-root-user", "--", "sh", "-c", script, "sh",
               sys.executable, "-m", "bench.fuzz", *argv]
    return subprocess.call(command, env={**os.environ, ISOLATED: "1"}, cwd=ROOT)


@contextlib.contextmanager
def docshelf_up(root: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``docshelf up`` on free ports in ``root``; yields its URL and the environment CLI commands need."""
    port, docs_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(
        DOCSHELF_DATA_DIR=os.path.join(root, "data"),
        # Rate limits would answer most generated requests with 429 and hide the paths behind them.
        DOCSHELF_RATE_LIMITS_ENABLED="false",
        DOCSHELF_LOG_LEVEL="WARNING",
        PYTHONPATH=ROOT,
    )
    with open(os.path.join(root, "docshelf-up.log"), "wb") as log:
        proc = subprocess.Popen([os.path.join(BIN, "docshelf"), "up", "--port", str(port), "--docs-port",
                                 str(docs_port)], env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _answers(url + "/api/v3/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"docshelf up did not start; see {root}/docshelf-up.log")
            time.sleep(0.2)
        yield url, env
    except BaseException:
        with open(os.path.join(root, "docshelf-up.log"), "rb") as log_file:
            sys.stderr.write(log_file.read()[-6000:].decode(errors="replace"))
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)  # docshelf up stops its gunicorn and worker itself
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def admin_token(url: str, env: dict[str, str], cwd: str) -> tuple[str, str]:
    """An admin and a full-access token, made with the CLI as an operator would; the token's id too.
    Also the user ``reader``, whom the hooks name in maintainer and grant paths."""
    docshelf = os.path.join(BIN, "docshelf")
    for username, role in (("fuzzer", "admin"), ("reader", "user")):
        subprocess.run([docshelf, "users", "create", username, "--role", role], env=env, cwd=cwd,
                       check=True, capture_output=True)
    done = subprocess.run([docshelf, "tokens", "create", "fuzzer", "--name", "fuzz"], env=env, cwd=cwd,
                          check=True, capture_output=True, text=True)
    key = done.stdout.strip().splitlines()[-1]
    _, listed = call(url, key, "GET", "/api/v3/tokens/")
    return key, str(next(t["id"] for t in listed["results"] if key.startswith(t["prefix"])))


def call(url: str, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the server this script started on 127.0.0.1
        url + path, data=data, method=method,
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def seed(url: str, key: str, slug: str) -> None:
    """A project with one of everything the API can delete, so writes have something to race."""
    base = f"/api/v3/projects/{slug}"
    call(url, key, "POST", "/api/v3/projects/", {"name": slug, "repository": {"url": REPOSITORY}})
    for path, body in (
        ("/redirects/", {"type": "page", "from_url": "/a.html", "to_url": "/b.html"}),
        ("/environmentvariables/", {"name": "FUZZ", "value": "1"}),
        ("/webhooks/", {"url": "https://hooks.invalid/fuzz", "events": ["build:passed"]}),
        ("/integrations/", {"integration_type": "generic_api_incoming"}),
        ("/grants/", {"username": "reader"}),
        ("/invitations/", {"username": "reader"}),
    ):
        call(url, key, "POST", base + path, body)


@contextlib.contextmanager
def seeded(url: str, key: str, slugs: list[str]) -> Iterator[None]:
    """Seed the projects, and seed again the ones the run deletes, while the block runs: a third
    client writing at the same time as schemathesis' workers."""
    stop = threading.Event()

    def reseed() -> None:
        while not stop.wait(1.0):
            for slug in slugs:
                if call(url, key, "GET", f"/api/v3/projects/{slug}/")[0] == 404:
                    seed(url, key, slug)

    for slug in slugs:
        seed(url, key, slug)
    thread = threading.Thread(target=reseed, name="reseed", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


def schemathesis(url: str, key: str, token_id: str, projects: list[str], args: argparse.Namespace) -> int:
    command = [
        os.path.join(BIN, "schemathesis"), "run", f"{url}/api/v3/openapi.json",
        "--workers", str(args.workers),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "not_a_server_error",
        "--max-examples", str(args.max_examples),
        "--header", f"Authorization: Token {key}",
        "--request-timeout", "60",
        "--suppress-health-check", "all",
        "--report", "junit,ndjson", "--report-dir", args.report_dir,
        "--generation-database", os.path.join(args.report_dir, "examples"),
        "--max-time", str(args.max_time),
        *(["--seed", str(args.seed)] if args.seed is not None else []),
        *args.extra,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "DOCSHELF_FUZZ_TOKEN_ID": token_id,
           "DOCSHELF_FUZZ_PROJECTS": ",".join(projects)}
    return subprocess.call(command, env=env, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not args.allow_network and not os.environ.get(ISOLATED):
        return isolate(argv)
    os.makedirs(args.report_dir, exist_ok=True)
    root = tempfile.mkdtemp(prefix="docshelf-fuzz-")
    try:
        with docshelf_up(root) as (url, env):
            key, token_id = admin_token(url, env, root)
            projects = [f"fuzz-{n}" for n in range(args.projects)]
            with seeded(url, key, projects):
                status = schemathesis(url, key, token_id, projects, args)
        print(f"reports in {args.report_dir}; exit status {status}", file=sys.stderr)
        return status
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
