"""One build, start to end: clone → install → build → upload, moving ``Build.state`` at each step.

The job has already claimed the build (state ``cloning``). Every step is a recorded command; any failure
ends the build ``finished`` with ``success: false`` and the reason in ``Build.error``, a cancel ends it
``cancelled``, and the previous published site is only replaced by a complete new one.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys

from flask import current_app

from app import storage
from app.errors import DocshelfError
from app.extensions import db
from app.models import Build, Version
from app.safety.local_repositories import rules_from_config
from app.safety.url_credentials import masked, without_userinfo
from app.services import build_health, tokens
from app.services.build_control import finish_build
from app.services.build_env import api_base_url, build_variables
from app.services.queueing import build_timeout
from app.services.sync import sync_versions
from workers import (
    apt,
    buildfs,
    environment,
    git_auth,
    manifest,
    other_python,
    publish,
    search_index,
    tools,
    up_to_date,
    vcs,
)
from workers.build_sandbox import BuildSandbox, open_build_sandbox
from workers.builders import BuildContext, make_builder
from workers.config import BuildConfig, ConfigError, load
from workers.process import Limits, base_environment
from workers.recorder import BuildCancelled, BuildFailed, BuildTimeout, Recorder
from workers.sandbox import Sandbox
from workers.submodules import update as update_submodules

log = logging.getLogger(__name__)

INTERNAL_ERROR = "The build failed because of an internal error in Docshelf; the worker's log has details."


class Pipeline:
    def __init__(self, build: Build) -> None:
        config = current_app.config
        self.build = build
        self.project = build.project
        self.timeout = build_timeout(self.project)
        self.rules = rules_from_config(config)
        data_dir = config["DATA_DIR"]
        self.workdir = os.path.join(data_dir, "builds", str(build.id))
        self.cache = storage.repository_cache(self.project.id, data_dir)
        self.checkout = os.path.join(self.workdir, "checkout")
        self.output = os.path.join(self.checkout, "_readthedocs")
        self.venv = os.path.join(self.workdir, "venv")
        disk_limit = int(config["BUILD_DISK_LIMIT"])
        limits = Limits(timeout=self.timeout,
                        memory_bytes=config["BUILD_MEMORY_LIMIT"],
                        file_size_bytes=min(4 * 1024**3, disk_limit),
                        max_output=config["BUILD_OUTPUT_LIMIT"],
                        processes=int(config["BUILD_PROCESS_LIMIT"]))
        self.rec = Recorder(build.id, self.timeout, limits)
        self.rec.disk_path, self.rec.disk_limit = self.workdir, disk_limit
        self.sandbox: Sandbox | None = None
        self.box: BuildSandbox | None = None
        self.env: dict[str, str] = {}
        self.config: BuildConfig | None = None
        self.python = sys.executable  # replaced by the build virtualenv's interpreter
        self.tools: tools.BuildTools | None = None  # build.tools.python's choice, asdf and uv
        self.inputs: str | None = None  # what the output depends on (workers.up_to_date), in the manifest

    # -- orchestration -------------------------------------------------------------------------------

    def run(self) -> None:
        build_id = self.build.id
        try:
            build_health.beat(build_id)
            self.rec.checkpoint()  # cancelled while queued or claimed: stop before setting anything up
            self.open_sandbox()
            self.clone()
            self.install()
            downloads = self.build_docs()
            published = self.upload(downloads)
        except up_to_date.UpToDate as skipped:  # nothing changed since the last build: its site stays
            self._finish(True, None, formats=skipped.formats)
        except BuildCancelled:
            self._finish(False, "The build was cancelled.", state="cancelled")
        except BuildTimeout:
            self._finish(False, f"The build exceeded its time limit of {self.timeout} s and was stopped.")
        except BuildFailed as exc:
            self._finish(False, exc.message)
        except Exception:
            log.exception("build %s: internal error", build_id)
            self._finish(False, INTERNAL_ERROR)
        else:
            self._finish(True, None, formats=sorted(published))
        finally:
            self.close_sandbox()
            shutil.rmtree(self.workdir, ignore_errors=True)
            build_health.clear(build_id)

    def open_sandbox(self) -> None:
        """Refuse the build when this worker cannot sandbox it (unless an admin turned the sandbox off)."""
        os.makedirs(os.path.dirname(self.workdir), exist_ok=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
        for sub in ("home", "tmp"):
            os.makedirs(os.path.join(self.workdir, sub))
        self.box = open_build_sandbox(self.workdir, self.rec, current_app.config, api_base_url())
        self.sandbox = self.box.sandbox
        if self.sandbox is None and self.build.version is not None and self.build.version.type == "external":
            message = ("Pull request builds run only in the sandbox, and DOCSHELF_BUILD_SANDBOX is off on "
                       "this worker: not built.")
            self.rec.note("# sandbox", message + "\n", description="Sandbox", exit_code=1)
            raise BuildFailed(message)

    def close_sandbox(self) -> None:
        if self.box is not None:
            self.box.close()

    def _finish(self, success: bool, error: str | None, state: str = "finished",
                formats: list[str] | None = None) -> None:
        db.session.rollback()  # a failed step may have left the session mid-transaction
        build = db.session.get(Build, self.build.id)
        if build is not None and not build.is_final:
            finish_build(build, success=success, error=error, state=state, formats=formats)

    def base_env(self, path_prefix: list[str] | None = None) -> dict[str, str]:
        home, tmp = os.path.join(self.workdir, "home"), os.path.join(self.workdir, "tmp")
        return base_environment(home=home, tmpdir=tmp, path_prefix=path_prefix)

    def set_state(self, state: str) -> None:
        self.rec.checkpoint()
        self.build.state = state
        db.session.commit()

    def enter_sandbox(self) -> None:
        """From the first step that runs the project's code on, every recorded command runs sandboxed
        (git's own fetch and checkout before it run in the worker, on URLs it checked)."""
        self.rec.sandbox = self.sandbox

    def hooks(self, name: str) -> None:
        """``build.jobs.<name>``: shell strings by design, run with bash in the scrubbed environment."""
        assert self.config is not None
        self.enter_sandbox()
        for command in self.config.jobs.get(name, []):
            self.rec.run(["bash", "-c", command], cwd=self.checkout, env=self.env,
                         description=f"build.jobs.{name}", display=command)

    # -- steps ---------------------------------------------------------------------------------------

    def clone(self) -> None:
        """Fetch into the project's cache, sync versions, check out the version's commit, read the config.

        The repository's credentials exist (in a private temporary directory and git's environment)
        only for this step's own git commands, which run in the worker before the sandbox is entered.
        """
        os.makedirs(os.path.dirname(self.cache), exist_ok=True)
        url = self.project.repository_url
        problem = vcs.check_url(url, self.rules)
        if problem:
            self.rec.note(f"git clone {masked(url)}", problem + "\n", description="Cloning",
                          exit_code=1)
            raise BuildFailed(problem)
        url, credentials = git_auth.for_project(self.project)
        if self.rec.sandbox is not None:  # an invariant worth more than an assert: never hand them in
            raise RuntimeError("repository credentials must never be used inside the build sandbox")
        self.rec.redact = [credentials.secret] if credentials else []
        with git_auth.credentials_env(credentials, url, self.rules) as auth:
            git_env = dict(vcs.git_env(self.base_env(), self.rules.local_paths), **auth)
            with vcs.cache_lock(self.cache, wait=self.rec.checkpoint):
                vcs.update_cache(self.rec, url, self.cache, git_env, self.workdir)
                default = self.project.default_branch or vcs.remote_head(self.cache, git_env)
                sync_versions(self.project, vcs.list_refs(self.cache, git_env), default)
                version = db.session.get(Version, self.build.version_id) if self.build.version_id else None
                if version is None:
                    raise BuildFailed("The version was deleted; there is nothing to build.")
                if version.type == "external" and version.ref:
                    vcs.fetch_ref(self.rec, url, self.cache, version.ref, git_env)
                identifier = version.identifier or default or "HEAD"
                sha = vcs.resolve(self.cache, identifier, version.type, git_env)
                if sha is None:
                    raise BuildFailed(f"'{version.ref or identifier}' was not found in the repository "
                                      "(the branch or tag may have been deleted).")
                vcs.checkout(self.rec, self.cache, sha, self.checkout, url, git_env)
            self.build.commit = sha
            db.session.commit()
            self.read_config()
            assert self.config is not None
            # Before post_checkout, as on Read the Docs, and before any project code can touch .git/config.
            update_submodules(self.rec, self.checkout, without_userinfo(url), self.config.submodules, git_env,
                              self.rules)
        self.env = self.compose_env(version, sha)
        self.inputs = up_to_date.inputs(self.project, version, sha, self.build.config or {})
        up_to_date.skip_if_unchanged(self.rec, self.build, self.inputs)  # before any of the project's code
        self.hooks("post_checkout")
        self.system_dependencies()

    def system_dependencies(self) -> None:
        """``build.apt_packages`` between its two jobs, as on Read the Docs (build.commands too)."""
        assert self.config is not None and self.tools is not None
        custom = self.config.tool == "commands"  # its jobs are refused, its packages are not
        if not custom:
            self.hooks("pre_system_dependencies")
        apt.step(self.rec, self.config.extra.get("build", {}).get("apt_packages"), current_app.config,
                 self.tools, self.env)
        if not custom:
            self.hooks("post_system_dependencies")

    def read_config(self) -> None:
        try:
            config, text = load(self.checkout, self.project.readthedocs_yaml_path)
        except ConfigError as exc:
            self.rec.note("cat .readthedocs.yaml", f"{exc}\n", description="Reading the configuration",
                          exit_code=1)
            raise BuildFailed(f"Invalid configuration: {exc}") from exc
        if text is not None:
            self.rec.note(f"cat {config.source_file}", text, description="Reading the configuration")
        else:
            self.rec.note("# no .readthedocs.yaml", f"No configuration file; using {config.tool} with "
                          f"{config.configuration}.\n", description="Reading the configuration")
        self.tools = tools.for_build(self.rec, config, current_app.config, self.workdir, self.sandbox)
        if config.warnings:  # right after the file, so a key that does nothing is the first thing read
            count = len(config.warnings)
            self.rec.note(f"# {count} configuration key{'s' if count > 1 else ''} not used",
                          "".join(f"WARNING: {w}\n" for w in config.warnings),
                          description="Configuration warnings")
        self.config = config
        self.build.config = config.resolved()
        db.session.commit()
        self.rec.warn(*config.warnings)

    def compose_env(self, version: Version, commit: str) -> dict[str, str]:
        assert self.tools is not None
        env = self.base_env(path_prefix=[os.path.join(self.venv, "bin"), *self.tools.path])
        env["VIRTUAL_ENV"] = self.venv
        try:
            env.update(build_variables(self.project, version, commit=commit, output_dir=self.output + os.sep,
                                       repository_path=self.checkout, virtualenv_path=self.venv))
        except ValueError as exc:  # an env var encrypted with another secret key
            raise BuildFailed(f"The project's environment variables cannot be read: {exc}.") from exc
        env.update(self.api_access())
        index = current_app.config.get("BUILD_PIP_INDEX_URL")
        if index:
            env["PIP_INDEX_URL"] = index
        env.update(tools.uv_env(index))
        return env

    def api_access(self) -> dict[str, str]:
        """A read-only token for this build's project, revoked when the build ends (see finish_build)."""
        try:
            key = tokens.create_build_token(self.build)
        except DocshelfError as exc:  # e.g. a project without maintainers: build without API access
            log.info("build %s gets no API token: %s", self.build.id, exc.detail)
            return {}
        return {"DOCSHELF_API_TOKEN": key, "DOCSHELF_API_URL": api_base_url()}

    def install(self) -> None:
        assert self.config is not None
        self.set_state("installing")
        self.enter_sandbox()
        custom = self.config.tool == "commands"  # build.commands replaces every other step, as on RTD
        overrides = self.config.overrides
        if not custom:
            self.hooks("pre_create_environment")
        if "create_environment" in overrides and not custom:  # the project makes its own environment
            self.run_override("create_environment", overrides["create_environment"])
            self.python = environment.venv_python(self.venv)
        elif self.tools is not None and not self.tools.choice.is_worker:  # build.tools.python, another one
            self.python = other_python.create_venv(self.rec, self.venv, self.tools.choice, self.tools.lib,
                                                   self.checkout, self.env)
        else:
            assert self.tools is not None
            self.python = environment.create_venv(self.rec, self.venv, [self.tools.site, self.tools.lib])
        if custom:
            return
        self.hooks("post_create_environment")
        self.hooks("pre_install")
        if "install" in overrides:
            self.run_override("install", overrides["install"])
        else:
            for argv in environment.install_commands(self.python, self.config.python_install):
                self.rec.run(argv, cwd=self.checkout, env=self.env, description="Installing",
                             display="python " + " ".join(argv[1:]))
            if self.tools is not None and not self.tools.choice.is_worker:
                other_python.install_tool(self.rec, self.python, self.config.tool, self.checkout, self.env)
        self.hooks("post_install")

    def run_override(self, name: str, commands: list[str]) -> None:
        """``build.jobs.<name>`` replacing Docshelf's own step: shell strings, like every job."""
        for command in commands:
            self.rec.run(["bash", "-c", command], cwd=self.checkout, env=self.env,
                         description=f"build.jobs.{name}", display=command)

    def build_docs(self) -> dict[str, str]:
        assert self.config is not None
        self.set_state("building")
        custom = self.config.tool == "commands"
        if not custom:
            self.hooks("pre_build")
        if not custom:  # build.commands make $READTHEDOCS_OUTPUT themselves, as on Read the Docs
            buildfs.real_dir(self.workdir, self.output)
        ctx = BuildContext(rec=self.rec, checkout=self.checkout, output=self.output, workdir=self.workdir,
                           python=self.python, env=self.env, project_slug=self.project.slug,
                           version_slug=self.build.version_slug, language=self.project.language,
                           latex=tools.latex_available(current_app.config))
        downloads = make_builder(ctx, self.config).build()
        if not custom:
            self.hooks("post_build")
        return downloads

    def record_manifest(self, html_dir: str) -> None:
        """The published files' hashes (workers.manifest), for previews' file-tree diffs; a failure
        here loses the diff, never the build."""
        try:
            self.build.manifest = {**manifest.of_site(html_dir, root=self.workdir), "inputs": self.inputs}
            db.session.commit()
        except Exception:
            log.warning("build %s: could not record the site's manifest", self.build.id, exc_info=True)
            db.session.rollback()

    def upload(self, downloads: dict[str, str]) -> list[str]:
        """Publish; returns the download formats actually published (a refused file is left out)."""
        self.set_state("uploading")
        version = db.session.get(Version, self.build.version_id) if self.build.version_id else None
        if version is None or not version.active:
            raise BuildFailed("The version was deactivated or deleted meanwhile; nothing was published.")
        build_health.beat(self.build.id)
        # root: below the workdir (which the build cannot replace) no link is followed.
        published = publish.publish(self.project.slug, version.slug, os.path.join(self.output, "html"),
                                    downloads, self.build.id, root=self.workdir)
        self.rec.note(f"# publish {self.project.slug}/{version.slug}", published.summary() + "\n",
                      description="Uploading")
        self.record_manifest(os.path.join(self.output, "html"))
        self.index_for_search(version)
        return list(published.downloads)

    def index_for_search(self, version: Version) -> None:
        """Server-side search over the pages just published, read from the build's own output (not from
        storage). A failure here leaves the previous index and does not fail the build: the docs are live."""
        assert self.config is not None
        name = f"# search index {self.project.slug}/{version.slug}"
        try:
            result = search_index.index_output(version, os.path.join(self.output, "html"), self.config.search,
                                               root=self.workdir)
        except Exception:
            db.session.rollback()
            log.exception("build %s: search indexing failed", self.build.id)
            self.rec.note(name, "The pages could not be indexed for search; the worker's log has details.\n",
                          description="Indexing for search")
            return
        self.rec.note(name, result.summary() + "\n", description="Indexing for search")
