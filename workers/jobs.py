"""RQ entry points. Thin: they take ids, open an app context, and hand over to the pipeline or a service."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import AbstractContextManager
from typing import Any

from flask import current_app, has_app_context
from rq import get_current_job
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app import storage
from app.extensions import db, get_redis
from app.models import Build, Project
from app.safety.local_repositories import rules_from_config
from app.services import accounts, build_control, build_health, notifications, pull_requests, webhook_delivery
from app.services.build_control import Claim, claim_build, defer_build
from app.services.sync import sync_versions as apply_refs
from workers import git_auth, vcs
from workers import housekeeping as chain
from workers.process import base_environment
from workers.recorder import BuildFailed

#: The claimed build with its project, which the pipeline reads at once: one query, compiled in the
#: worker before it forks (:func:`warm_up`) rather than in every work horse.
_BUILD_AND_PROJECT = select(Build).options(joinedload(Build.project)).where(Build.id == bindparam("build_id"))


def _app_context() -> AbstractContextManager[Any]:
    """A fresh app context (its own database session), inside the worker's app or a new one."""
    if has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    else:  # pragma: no cover - a worker started without the Docshelf CLI
        from app import create_app

        app = create_app()
    return app.app_context()


def run_build(build_id: int) -> str:
    """Run a build if its project has a free slot; otherwise leave it ``triggered`` and retry later.

    The worker process usually claimed the build already, just before forking this work horse
    (``workers.cli``); claiming again with the same job id then finds it ours (``claim_build``).
    """
    job = get_current_job()
    with _app_context():
        claim = claim_build(build_id, job.id if job is not None else None)
        if claim is Claim.WAITING:
            defer_build(build_id)
            return "waiting"
        if claim is Claim.GONE:
            return "skipped"
        from workers.pipeline import Pipeline  # git/builder code loads only where builds run

        build = db.session.scalar(_BUILD_AND_PROJECT, {"build_id": build_id})
        assert build is not None
        Pipeline(build).run()
        db.session.expire_all()
        final = db.session.get(Build, build_id)
        return final.state if final is not None else "deleted"


def warm_up() -> None:
    """Run, against no row, what a build's work horse runs before its first command, so that the worker
    compiles that SQL once and every horse forked from it inherits it (``workers.cli.preload``)."""
    db.session.scalar(_BUILD_AND_PROJECT, {"build_id": 0})
    build_control.cancel_requested(0)  # the recorder's check before each command
    db.session.rollback()


def sync_versions(project_id: int) -> dict[str, list[str]]:
    """Fetch the repository into the project's cache and turn its branches and tags into versions."""
    with _app_context():
        project = db.session.get(Project, project_id)
        if project is None:
            return {}
        config = current_app.config
        rules = rules_from_config(config)
        try:
            problem = vcs.check_url(project.repository_url, rules)
            if problem:
                raise BuildFailed(problem)
            url, credentials = git_auth.for_project(project)
            cache = storage.repository_cache(project.id, config["DATA_DIR"])
            with tempfile.TemporaryDirectory(prefix="docshelf-sync-") as home, \
                    git_auth.credentials_env(credentials, url, rules) as auth:
                env = dict(vcs.git_env(base_environment(home=home, tmpdir=home), rules.local_paths), **auth)
                with vcs.cache_lock(cache):
                    runner = vcs.PlainRunner(redact=[credentials.secret] if credentials else [])
                    vcs.update_cache(runner, url, cache, env, home)
                    default = project.default_branch or vcs.remote_head(cache, env)
                    refs = vcs.list_refs(cache, env)
        except BuildFailed as exc:  # the maintainer learns why through the project's notifications
            db.session.rollback()
            notifications.sync_failed(project_id, exc.message)
            raise
        result = apply_refs(project, refs, default)
        notifications.sync_succeeded(project_id)
        return {"created": result.created, "updated": result.updated, "deactivated": result.deactivated}


def index_upload(build_id: int) -> str:
    """Index the pages an upload published (they exist only in storage), as a build indexes its own."""
    with _app_context():
        from workers.upload_index import index_upload as index

        result = index(build_id)
        return "skipped" if result is None else result.summary()


def housekeeping(interval: int = chain.DEFAULT_INTERVAL, stale_after: int = chain.DEFAULT_STALE_AFTER,
                 chained: bool = False) -> dict[str, list[int]]:
    """Finish builds whose worker died, re-queue builds whose job vanished, then schedule the next run."""
    with _app_context():
        redis = get_redis()
        if chained:
            redis.delete(chain.CHAIN_KEY)
        try:
            reaped = build_health.reap_dead_builds(stale_after)
            requeued = build_health.requeue_lost_builds(grace=stale_after)
            deliveries = webhook_delivery.requeue_stalled(grace=stale_after)
            accounts.purge_sessions(int(current_app.config["SESSION_LIFETIME"]))
            pull_requests.purge_closed(int(current_app.config["EXTERNAL_RETENTION"]))
            for build_id in reaped:  # leftovers of a build that ran on this machine (and its sandbox's)
                for name in (str(build_id), f"{build_id}.run"):
                    shutil.rmtree(os.path.join(current_app.config["DATA_DIR"], "builds", name),
                                  ignore_errors=True)
        finally:
            chain.ensure_scheduled(redis, interval, stale_after)
        return {"reaped": reaped, "requeued": requeued, "webhook_deliveries": deliveries}
