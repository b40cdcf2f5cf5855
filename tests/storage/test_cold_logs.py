"""Finished build logs move to object storage ("cold storage"); ``log.txt`` and ``?offset=`` answer
exactly as they did from the database."""

from __future__ import annotations

from sqlalchemy import select

from app import storage
from app.extensions import db
from app.models import BuildLogChunk
from app.services.build_control import finish_build
from app.services.build_logs import LogStream, heading, note_text
from tests import factories

PARTS = [heading("sphinx-build -b html"), "Running Sphinx é\n", "écrit 12 pages\n",
         "[exit code 0, 1.2 s]\n", note_text("# publish p/latest", "Published 12 pages.\n", 0)]


def _running_build(user):
    project = factories.ProjectFactory(slug="cold", maintainers=[user])
    return factories.BuildFactory(version=project.versions[0], state="building", success=None,
                                  finished=None)


def _log(client, headers, build_id, offset=None):
    query = {} if offset is None else {"offset": offset}
    answer = client.get(f"/api/v3/projects/cold/builds/{build_id}/log.txt", query_string=query,
                        headers=headers)
    assert answer.status_code == 200
    return answer.get_data(), int(answer.headers["Docshelf-Log-Offset"])


def _chunks(build_id):
    return db.session.scalars(select(BuildLogChunk.start).where(BuildLogChunk.build_id == build_id)).all()


def test_a_finished_log_moves_to_the_bucket_and_reads_the_same(client, user, headers, s3_settings):
    build = _running_build(user)
    stream = LogStream(build.id)
    for part in PARTS:
        stream.append(part)
    db.session.commit()
    stream_bytes = "".join(PARTS).encode()
    offsets = [0, 7, len(PARTS[0].encode()) + 10, len(stream_bytes), len(stream_bytes) + 5]
    assert finish_build(build, success=True)
    assert _chunks(build.id) == []  # out of the database
    assert storage.backend().get_log(build.id) == stream_bytes
    whole, end = _log(client, headers, build.id)
    assert end == len(stream_bytes)
    assert whole.decode() == (f"Build {build.id} of cold/latest: finished\nCommit: {build.commit}\n"
                              f"{''.join(PARTS)}\nBuild succeeded.\n")
    for offset in offsets:
        tail, tail_end = _log(client, headers, build.id, offset)
        assert tail == stream_bytes[offset:], offset
        assert tail_end == max(len(stream_bytes), offset)


def test_a_chunk_written_after_the_move_follows_the_archive(client, user, headers, s3_settings):
    build = _running_build(user)
    stream = LogStream(build.id)
    stream.append("before the cancel\n")
    db.session.commit()
    assert finish_build(build, success=False, error="The build was cancelled.", state="cancelled")
    stream.append("the worker was still writing\n")  # its own offsets go on after the archived bytes
    db.session.commit()
    assert len(_chunks(build.id)) == 1
    tail, end = _log(client, headers, build.id, 0)
    assert tail == b"before the cancel\nthe worker was still writing\n"
    assert end == len(tail)
    assert _log(client, headers, build.id, 18)[0] == b"the worker was still writing\n"


def test_the_local_backend_keeps_logs_in_the_database(client, user, headers):
    build = _running_build(user)
    stream = LogStream(build.id)
    stream.append("kept here\n")
    db.session.commit()
    assert finish_build(build, success=True)
    assert _chunks(build.id) == [0]
    assert _log(client, headers, build.id, 0) == (b"kept here\n", 10)


def test_deleting_the_project_deletes_its_logs_and_sites_from_the_bucket(client, user, headers, s3_settings,
                                                                         tmp_path):
    from workers import publish

    build = _running_build(user)
    LogStream(build.id).append("to be deleted\n")
    db.session.commit()
    assert finish_build(build, success=True)
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "index.html").write_text("cold docs")
    publish.publish("cold", "latest", str(tmp_path / "html"), {}, build.id, root=str(tmp_path))
    backend, build_id = storage.backend(), build.id
    assert backend.get_log(build_id) is not None and backend.has_site("cold", "latest")
    assert client.delete("/api/v3/projects/cold/", headers=headers).status_code == 204
    assert backend.get_log(build_id) is None
    assert backend.live_tag("cold", "latest", fresh=True) is None  # type: ignore[attr-defined]
