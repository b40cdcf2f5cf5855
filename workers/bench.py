"""Build overhead benchmark: a Docshelf build of a fixture Sphinx project vs. a bare ``sphinx-build``.

``python -m workers.bench [--pages N] [--runs N]`` makes a git repository with an N-page Sphinx project,
then measures, in the same run, (a) ``python -m sphinx -b html`` on the tree and (b) a full Docshelf build
(trigger → RQ job → clone → virtualenv → Sphinx → publish → finished) on embedded SQLite and Redis.
It prints the medians, the absolute overhead and the ratio (the goal is ≤ 1.3).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GIT = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
       "GIT_COMMITTER_EMAIL": "bench@example.com", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def make_project(root: str, pages: int) -> str:
    """A git repository with ``docs/``: ``pages`` pages of prose, tables, code and cross-references."""
    docs = os.path.join(root, "repo", "docs")
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


def docshelf_builds(repo: str, scratch: str, runs: int) -> list[float]:
    from rq import SimpleWorker

    from app import create_app
    from app.extensions import BUILDS_QUEUE, db, get_queue, get_redis
    from app.models import Build, Project, Version
    from app.services.builds import trigger_build

    app = create_app(DATA_DIR=os.path.join(scratch, "data"), ALLOW_LOCAL_REPOSITORIES=True,
                     LOG_LEVEL="WARNING")
    timings = []
    with app.app_context():
        db.create_all()
        project = Project(name="Bench", slug="bench", repository_url=repo, default_branch="main", tags=[])
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
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docshelf-bench-") as scratch:
        repo = make_project(scratch, args.pages)
        bare_sphinx(repo, scratch)  # warm the OS caches for both sides alike
        bare = statistics.median(bare_sphinx(repo, scratch) for _ in range(args.runs))
        docshelf = statistics.median(docshelf_builds(repo, scratch, args.runs))
    ratio = docshelf / bare
    print(f"build overhead ({args.pages}-page Sphinx project, median of {args.runs}): "
          f"sphinx-build {bare:.2f} s, Docshelf build {docshelf:.2f} s, "
          f"overhead {docshelf - bare:+.2f} s, ratio {ratio:.2f} (goal <= 1.30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
