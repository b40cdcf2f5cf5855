"""The build log as an append-only stream: ``log.txt?offset=N`` gives only what is new, losing and
repeating nothing across chunk boundaries, multi-byte characters and redaction, while the build runs."""

from __future__ import annotations

import json
import time

from app.extensions import db
from app.services.builds import trigger_build
from tests import factories
from tests.workers.conftest import fresh, sphinx_files, wait_for
from workers.log_stream import CommandOutput
from workers.process import OutputBuffer

SECRET = "s3cr3t-t0ken"


def _clean(text: str) -> str:
    return text.replace(SECRET, "***")


def test_streamed_output_is_the_whole_output_whatever_the_chunking():
    raw = ("première ligne\n" + f"token={SECRET}\n" * 3 + "dernière\n").encode()
    for step in (1, 2, 3, 5, 7, 64):  # splits inside characters and inside the secret
        buffer, out, got = OutputBuffer(1 << 20), CommandOutput(_clean), []
        for at in range(0, len(raw), step):
            buffer.feed(raw[at:at + step])
            got.append(out.new_text(buffer))
        closing = out.closing(buffer, "", 0, 0.5)
        assert "".join(got) + closing == _clean(raw.decode()) + "[exit code 0, 0.5 s]\n", step
        assert all(SECRET not in part for part in got)


def test_overflowing_output_keeps_head_marker_and_tail():
    buffer, out = OutputBuffer(1024), CommandOutput(_clean)
    streamed = ""
    for i in range(200):
        buffer.feed(f"line {i:03d}\n".encode())
        streamed += out.new_text(buffer)
    text = streamed + out.closing(buffer, "", 1, 2.0)
    assert text.startswith("line 000\n") and "bytes of output truncated" in text
    assert text.endswith("line 199\n[exit code 1, 2.0 s]\n") and text.count("line 000") == 1
    assert text.replace("[exit code 1, 2.0 s]\n", "") == buffer.text()


def test_progress_bars_are_logged_as_finally_drawn():
    """rinohtype and pip redraw a line with carriage returns; the log keeps each line's last drawing,
    however the redraws fall into chunks, and streams nothing of a line before it is complete."""
    raw = ("Rendering 0%\rRendering 50%\r" + "Rendering 100%\r\n" + "\x1b[1mdone\x1b[0m\r\n").encode()
    for step in (1, 4, 9, 100):
        buffer, out, got = OutputBuffer(1 << 20), CommandOutput(_clean), []
        for at in range(0, len(raw), step):
            buffer.feed(raw[at:at + step])
            got.append(out.new_text(buffer))
        assert all(part == "" or part.endswith("\n") for part in got), step
        text = "".join(got) + out.closing(buffer, "", 0, 0.1)
        assert text == "Rendering 100%\n\x1b[1mdone\x1b[0m\n[exit code 0, 0.1 s]\n", step


def test_a_follower_gets_the_log_exactly_once_while_the_build_runs(client, user, headers, make_repo,
                                                                   worker_process):
    slow = 'for i in $(seq 1 40); do echo "ligne-$i é"; sleep 0.05; done'
    files = sphinx_files("Followed")
    files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n"
                                  f"    pre_build: [{json.dumps(slow)}]\n")
    repo = make_repo(files)
    project = factories.ProjectFactory(slug="followed", repository_url=repo.url, maintainers=[user])
    worker_process("--housekeeping-interval", "60")
    build = trigger_build(project, project.versions[0])
    url = f"/api/v3/projects/followed/builds/{build.id}/log.txt"
    offset, parts, states = 0, [], []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        db.session.expire_all()  # the test's session outlives requests; a served request starts afresh
        answer = client.get(url, query_string={"offset": offset}, headers=headers)
        assert answer.status_code == 200
        states.append(answer.headers["Docshelf-Build-State"])
        parts.append(answer.get_data(as_text=True))
        offset = int(answer.headers["Docshelf-Log-Offset"])
        if states[-1] in ("finished", "cancelled"):
            break
        time.sleep(0.05)
    wait_for(lambda: fresh(build.id).is_final, timeout=30)
    assert states[-1] == "finished" and fresh(build.id).success
    whole = client.get(url, headers=headers)
    assert whole.headers["Docshelf-Log-Offset"] == str(offset)
    streamed = "".join(parts)
    assert offset == len(streamed.encode())
    body = whole.get_data(as_text=True)
    assert streamed in body  # the whole log is a heading, the stream, and the outcome
    assert body.startswith(f"Build {build.id} of followed/latest: finished\n")
    assert body.endswith("\nBuild succeeded.\n")
    lines = [x for x in streamed.splitlines() if x.startswith("ligne-")]
    assert lines == [f"ligne-{i} é" for i in range(1, 41)]  # in order, none lost, none twice
    running_parts = [p for p, s in zip(parts, states, strict=True) if p and s == "building"]
    assert len(running_parts) >= 2  # it was followed while it ran, not read at the end
    # An offset inside a chunk (a client's own arithmetic) gets the rest of it.
    middle = client.get(url, query_string={"offset": offset - 5}, headers=headers)
    assert middle.get_data() == streamed.encode()[-5:]
