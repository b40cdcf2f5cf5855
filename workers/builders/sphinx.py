"""Sphinx: HTML (html, dirhtml or singlehtml), epub, and PDF through LaTeX (``latexmk``, as Read the Docs
does) when the worker host has TeX, else through rinohtype (pure Python, fewer extensions supported)."""

from __future__ import annotations

import glob
import os

from workers import buildfs
from workers.builders.base import Builder
from workers.integrations.sphinx_ext import append_to_conf_py
from workers.process import Limits, run_command
from workers.publish import download_name
from workers.recorder import BuildFailed

NO_PDF = ("no PDF builder: this build server has no LaTeX (DOCSHELF_BUILD_LATEX, or no latexmk), and "
          "rinohtype, the fallback, is neither installed in the worker nor by the project's python.install")
#: Read the Docs' own latexmk command line (``-f``: go on past errors; the PDF decides success).
LATEXMK = ["latexmk", "-r", "latexmkrc", "-pdf", "-f", "-dvi-", "-ps-", "-interaction=nonstopmode"]


class SphinxBuilder(Builder):
    supported_formats = ("htmlzip", "epub", "pdf")

    @property
    def confdir(self) -> str:
        assert self.config.configuration is not None
        return os.path.dirname(os.path.join(self.ctx.checkout, self.config.configuration))

    def sphinx(self, builder: str, outdir: str) -> None:
        argv = [self.ctx.python, "-m", "sphinx", "-T", "-b", builder,
                "-d", os.path.join(self.ctx.workdir, "doctrees"), "-D", f"language={self.ctx.language}"]
        if self.config.fail_on_warning:
            argv += ["-W", "--keep-going"]
        argv += [".", outdir]
        self.run(argv, f"Building {builder}", cwd=self.confdir)

    def build_html(self) -> None:
        # Every Docshelf-built page carries the flyout/version-warning client (workers.integrations).
        assert self.config.configuration is not None
        conf = os.path.join(self.ctx.checkout, self.config.configuration)
        if not buildfs.real_file(self.ctx.workdir, conf):  # a job may have swapped it for a link
            raise BuildFailed(f"{self.config.configuration} is not a regular file of the repository.")
        append_to_conf_py(conf)
        self.sphinx(self.config.builder, self.html_dir)

    def build_format(self, fmt: str) -> str | None:
        if fmt == "epub":
            return self._single_file("epub", "*.epub", fmt)
        if fmt == "pdf":
            if self.ctx.latex:
                return self._latex_pdf()
            if not self._has_module("rinoh"):
                raise BuildFailed(NO_PDF)
            self.ctx.rec.note("# pdf through rinohtype", "No LaTeX on this build server: the PDF is made by "
                              "rinohtype, which some Sphinx extensions do not support.\n",
                              description="Building pdf")
            return self._single_file("rinoh", "*.pdf", fmt)
        return super().build_format(fmt)

    def _latex_pdf(self) -> str:
        """``sphinx -b latex``, then ``latexmk`` in the output folder; one PDF is the download (the
        first by name when ``latex_documents`` makes several, as Read the Docs offers one)."""
        outdir = os.path.join(self.ctx.workdir, "formats", "latex")
        self.sphinx("latex", outdir)
        if not glob.glob(os.path.join(outdir, "*.tex")):
            raise BuildFailed("Sphinx's latex builder produced no .tex file")
        # Not checked: latexmk -f exits non-zero on any LaTeX error, yet the PDF it made is usable.
        self.ctx.rec.run(LATEXMK, cwd=outdir, env=self.ctx.env, description="Building pdf", check=False)
        found = sorted(glob.glob(os.path.join(outdir, "*.pdf")))
        if not found or not buildfs.real_file(self.ctx.workdir, found[0]):
            raise BuildFailed("latexmk produced no PDF; the LaTeX log above says why")
        return self._publishable(found[0], "pdf")

    def _single_file(self, builder: str, pattern: str, fmt: str) -> str:
        outdir = os.path.join(self.ctx.workdir, "formats", fmt)
        self.sphinx(builder, outdir)
        found = sorted(glob.glob(os.path.join(outdir, pattern)))
        if not found:
            raise BuildFailed(f"Sphinx's {builder} builder produced no {pattern} file.")
        if not buildfs.real_file(self.ctx.workdir, found[0]):
            raise BuildFailed(f"Sphinx's {builder} builder produced no regular {pattern} file.")
        return self._publishable(found[0], fmt)

    def _publishable(self, made: str, fmt: str) -> str:
        """Move the file into ``$READTHEDOCS_OUTPUT/<format>/`` under its download name."""
        name = download_name(self.ctx.project_slug, fmt)
        target = buildfs.prepare_target(self.ctx.workdir, os.path.join(self.ctx.output, fmt, name))
        os.replace(made, target)
        return target

    def _has_module(self, module: str) -> bool:
        """Asked of the build's interpreter: the project may have installed the module itself."""
        probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
        # The build's interpreter runs the project's installed code (.pth files): in the sandbox, unlogged.
        result = run_command([self.ctx.python, "-c", probe], cwd=self.ctx.workdir, env=self.ctx.env,
                             limits=Limits(timeout=60), sandbox=self.ctx.rec.sandbox)
        return result.exit_code == 0
