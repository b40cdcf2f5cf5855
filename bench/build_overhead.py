"""Figure 3: a Docshelf build of a fixture Sphinx project against a bare ``sphinx-build`` of the same tree.

A git repository with an N-page Sphinx project (prose, tables, code, cross-references) is built (a) by
``python -m sphinx -b html`` directly and (b) by Docshelf: trigger → RQ job → clone → virtualenv →
Sphinx → publish → finished, run by RQ's ``SimpleWorker`` in this process on the bench's database and
Redis (the build engine's cost, without process start-up), every step in the build sandbox with its
default (public) network. Medians of ``--runs`` each; aim ≤ 1.3. Two more rows give one step's sandbox
start-up (bubblewrap, namespaces, slirp4netns) against spawning the same bare command.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench import report
from bench.harness import BenchEnv

GIT = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
       "GIT_COMMITTER_EMAIL": "bench@example.com", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def make_project(root: str, pages: int) -> str:
    """A git repository with ``docs/``: ``pages`` pages of prose, tables, code and cross-references."""
    docs = os.path.join(root, "sphinx-repo", "docs")
    os.makedirs(docs)
    with open(os.path.join(docs, "conf.py"), "w") as fh:
        fh.write('project = "Bench"\nauthor = "Docshelf"\nextensions = ["sphinx.ext.autosectionlabel"]\n'
                 "autosectionlabel_prefix_document = True\n")
    names = [f"page{n:03d}" for n in range(pages)]
    with open(os.path.join(docs, "index.rst"), "w") as fh:
        fh.write("Bench\n=====\n\n.. toctree::\n   :maxdepth: 2\n\n" + "".join(f"   {n}\n" for n in names))
    for n, name in enumerate(names):
        body = [f"Page {n}\n{'=' * (5 + len(str(n)))}\n"]
        for section in range(4):
            body.append(f"Section {section}\n{'-' * 9}\n\n" + "Lorem ipsum dolor sit amet. " * 30 + "\n")
            body.append(f"See :doc:`{names[(n + 1) % pages]}` and :ref:`{name}:Section {section}`.\n")
            body.append(".. code-block:: python\n\n   def f(x):\n       return x * 2\n")
            body.append(".. list-table::\n\n   * - a\n     - b\n   * - 1\n     - 2\n")
        with open(os.path.join(docs, f"{name}.rst"), "w") as fh:
            fh.write("\n".join(body))
    repo = os.path.dirname(docs)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=repo, env=dict(GIT, HOME=root), check=True)
    return repo


def bare_sphinx(repo: str, scratch: str) -> float:
    out = tempfile.mkdtemp(dir=scratch)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-T", "-b", "html", "-d",
                    os.path.join(out, "doctrees"), os.path.join(repo, "docs"), os.path.join(out, "html")],
                   check=True)
    return time.perf_counter() - started


def docshelf_builds(env: BenchEnv, repo: str, runs: int) -> list[float]:
    from rq import SimpleWorker

    from app.extensions import BUILDS_QUEUE, db, get_queue, get_redis
    from app.models import Build, Project, Version
    from app.services.builds import trigger_build

    app = env.app()
    timings = []
    with app.app_context():
        project = Project(name="Sphinx bench", slug="sphinx-bench", repository_url=repo,
                          default_branch="main", tags=[])
        project.versions = [Version(slug="latest", verbose_name="latest", identifier="main", active=True,
                                    machine=True, built_formats=[])]
        db.session.add(project)
        db.session.commit()
        for _ in range(runs):
            started = time.perf_counter()
            version = db.session.get(Version, project.versions[0].id)
            assert version is not None
            build = trigger_build(project, version)
            worker = SimpleWorker([get_queue(BUILDS_QUEUE)], connection=get_redis())
            worker.work(burst=True, logging_level="WARNING")
            timings.append(time.perf_counter() - started)
            db.session.expire_all()
            done = db.session.get(Build, build.id)
            assert done is not None and done.success, done.error if done else "missing build"
        db.session.remove()
        db.engine.dispose()
    return timings


def spawn_seconds(workdir: str, network: str | None, runs: int = 20) -> float:
    """Median time to run ``true`` to its end: bare (``network`` None) or in the build sandbox."""
    from workers.sandbox import Sandbox

    os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
    box = Sandbox(workdir=workdir, network=network) if network else None
    if box is not None:
        box.open()
    timings = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            if box is None:
                subprocess.run(["true"], check=True)
            else:
                prepared = box.prepare(["true"], workdir, {"PATH": "/usr/bin:/bin"})
                proc = subprocess.Popen(prepared.argv, pass_fds=prepared.pass_fds, cwd=workdir, env={})
                prepared.started()
                proc.wait()
                prepared.cleanup()
            timings.append(time.perf_counter() - started)
    finally:
        if box is not None:
            box.close()
    return statistics.median(timings)


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    repo = make_project(env.root, options.pages)
    bare_sphinx(repo, env.root)  # warm the OS caches for both sides alike
    bare_runs = [bare_sphinx(repo, env.root) for _ in range(options.runs)]
    docshelf_runs = docshelf_builds(env, repo, options.runs)
    bare, docshelf = statistics.median(bare_runs), statistics.median(docshelf_runs)
    scratch = tempfile.mkdtemp(dir=env.root)
    plain = spawn_seconds(scratch, None)
    startup = {net: spawn_seconds(os.path.join(scratch, net), net) for net in ("none", "public")}
    return report.figure(
        3, "Build overhead vs bare sphinx-build",
        [report.row(f"{options.pages}-page Sphinx build (sandboxed)", docshelf, bare, "s", "<= 1.3"),
         report.row("one step's sandbox start-up, no network", startup["none"], plain, "s"),
         report.row("one step's sandbox start-up, public network", startup["public"], plain, "s")],
        pages=options.pages, runs=options.runs, bare_s=bare_runs, docshelf_s=docshelf_runs,
        overhead_s=round(docshelf - bare, 3),
        sandbox_startup_ms={net: round((t - plain) * 1000, 1) for net, t in startup.items()},
        note=f"median of {options.runs}; Docshelf = trigger → RQ job (SimpleWorker, in-process) → clone → "
             f"virtualenv → Sphinx → publish → finished; overhead {docshelf - bare:+.2f} s.",
    )
