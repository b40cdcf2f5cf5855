"""The worker runs only Docshelf's own jobs (issue 12): whoever reaches Redis cannot run code through it.

A real ``docshelf worker`` process gets jobs the way an attacker with access to Redis would write them:
RQ's own ``enqueue`` naming ``os.system``, and a job whose pickled payload runs ``os.system`` while it
is decoded. Neither may leave its marker file; both end failed; a Docshelf job queued after them runs.
These tests also catch an RQ release that stops going through ``DocshelfJob.func``.
"""

from __future__ import annotations

import os
import pickle

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import DefaultSerializer

from app.extensions import DEFAULT_QUEUE, get_redis
from app.safety.jobdata import JobSerializer
from app.services.queueing import SYNC_VERSIONS
from tests.workers.conftest import wait_for


class _RunsOnDecode:
    """Unpickling this calls ``os.system(command)``: what a hostile payload in Redis would be."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


def _status(job_id: str) -> JobStatus | None:
    return Job.fetch(job_id, connection=get_redis(), serializer=JobSerializer).get_status(refresh=True)


def test_a_job_naming_another_callable_is_refused_and_docshelf_jobs_still_run(app, worker_process,
                                                                              tmp_path):
    marker, decoded = tmp_path / "system-ran", tmp_path / "decode-ran"
    queue = Queue(DEFAULT_QUEUE, connection=get_redis())  # RQ's defaults, as anyone could enqueue
    named = queue.enqueue("os.system", f"touch {marker}")
    evaluated = queue.enqueue("builtins.eval", f"__import__('os').system('touch {marker}')")
    hostile = queue.enqueue(SYNC_VERSIONS, 1)  # then its payload is replaced by a hostile pickle
    payload = (SYNC_VERSIONS, None, (_RunsOnDecode(f"touch {decoded}"),), {})
    get_redis().hset(hostile.key, "data", pickle.dumps(payload))
    normal = queue.enqueue(SYNC_VERSIONS, 987654)  # a project that does not exist: returns {}

    worker_process("--queue", DEFAULT_QUEUE)
    wait_for(lambda: _status(normal.id) == JobStatus.FINISHED, timeout=60)
    for job in (named, evaluated, hostile):
        assert wait_for(lambda j=job: _status(j.id) == JobStatus.FAILED, timeout=30)
    assert not marker.exists() and not decoded.exists()
    failure = Job.fetch(named.id, connection=get_redis(), serializer=JobSerializer).latest_result()
    assert failure is not None and "'os.system' is not one of Docshelf's jobs" in (failure.exc_string or "")
    log = (tmp_path / "worker0.log").read_text()
    assert "'os.system' is not one of Docshelf's jobs" in log and "'builtins.eval'" in log


def test_job_data_decodes_plain_values_only():
    plain = (SYNC_VERSIONS, None, (1, "two", 3.0, b"4", [5], {"six": {7}}, True), {"k": None})
    assert JobSerializer.loads(JobSerializer.dumps(plain)) == plain
    assert JobSerializer.loads(DefaultSerializer.dumps(plain)) == plain  # RQ's default pickles read too
    with pytest.raises(pickle.UnpicklingError, match="may not name posix.system"):
        JobSerializer.loads(pickle.dumps(_RunsOnDecode("true")))
