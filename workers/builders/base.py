"""What every builder shares: the build context, the HTML-then-formats protocol, and htmlzip."""

from __future__ import annotations

import os
import shlex
from abc import ABC, abstractmethod
from dataclasses import dataclass

from workers import buildfs
from workers.config import FORMATS, BuildConfig
from workers.publish import download_name, make_htmlzip
from workers.recorder import BuildFailed, Recorder


@dataclass
class BuildContext:
    """Where a build happens and with what; paths are absolute."""

    rec: Recorder
    checkout: str
    output: str  # $READTHEDOCS_OUTPUT: html/ and one folder per download format
    workdir: str
    python: str  # the build virtualenv's interpreter
    env: dict[str, str]
    project_slug: str
    version_slug: str
    language: str
    latex: bool = False  # the host has latexmk and a TeX installation, and DOCSHELF_BUILD_LATEX allows it

    def shown(self, argv: list[str]) -> str:
        """The command line as the log shows it: the venv interpreter as ``python``, paths relative."""
        words = ["python" if a == self.python else a for a in argv]
        words = [a.replace(self.output, "$READTHEDOCS_OUTPUT") for a in words]
        words = [a.replace(self.workdir + os.sep, "") for a in words]
        # Leave ``$READTHEDOCS_OUTPUT/...`` unquoted so the line reads (and pastes) as the shell would.
        return " ".join(w if w.startswith("$") and shlex.quote(w[1:]) == w[1:] else shlex.quote(w)
                        for w in words)


class Builder(ABC):
    """Build HTML into ``$READTHEDOCS_OUTPUT/html``, then the requested download formats."""

    supported_formats: tuple[str, ...] = ("htmlzip",)

    def __init__(self, ctx: BuildContext, config: BuildConfig) -> None:
        self.ctx = ctx
        self.config = config

    @property
    def html_dir(self) -> str:
        return os.path.join(self.ctx.output, "html")

    @abstractmethod
    def build_html(self) -> None: ...

    def build_format(self, fmt: str) -> str | None:
        """Build one download format; returns the file, or None when it was skipped (with a log note)."""
        if fmt == "htmlzip":
            target = os.path.join(self.ctx.output, "htmlzip", download_name(self.ctx.project_slug, fmt))
            buildfs.prepare_target(self.ctx.workdir, target)
            make_htmlzip(self.html_dir, target, f"{self.ctx.project_slug}-{self.ctx.version_slug}",
                         root=self.ctx.workdir)
            self.ctx.rec.note(f"zip -r $READTHEDOCS_OUTPUT/htmlzip/{os.path.basename(target)} html",
                              f"Archived the HTML into {os.path.basename(target)}.\n", description="htmlzip")
            return target
        self.ctx.rec.note(f"# {fmt}", f"The {fmt} format is not available for {self.name} projects; "
                          "skipped.\n", description=f"{fmt} skipped")
        return None

    @property
    def name(self) -> str:
        return type(self).__name__.removesuffix("Builder")

    def build(self) -> dict[str, str]:
        """HTML first (it must succeed), then each requested format; returns format → file.

        ``build.jobs.build.<format>`` replaces a format's step: its commands write
        ``$READTHEDOCS_OUTPUT/<format>/``, which is read back as Read the Docs does.
        """
        own = self.config.overrides.get("build", {})
        if "html" in own:
            self.run_commands(own["html"], "build.jobs.build.html")
        else:
            self.build_html()
        if not buildfs.real_file_or_dir(self.ctx.workdir, self.html_dir) or not os.listdir(self.html_dir):
            raise BuildFailed("The build produced no HTML.")
        downloads: dict[str, str] = {}
        for fmt in FORMATS:
            if fmt in self.config.formats:
                self.ctx.rec.checkpoint()
                try:
                    if fmt in own:
                        self.run_commands(own[fmt], f"build.jobs.build.{fmt}")
                        path = self.collected(fmt)
                    else:
                        path = self.build_format(fmt)
                except BuildFailed as exc:  # an optional format never costs the HTML that built
                    self.format_failed(fmt, exc.message)
                    continue
                if path:
                    downloads[fmt] = path
        return downloads

    def format_failed(self, fmt: str, why: str) -> None:
        """In the log where it happened and in the build's warnings: the build still succeeds."""
        self.ctx.rec.note(f"# {fmt} failed", f"The {fmt} download could not be built ({why}); the HTML "
                          "and the other formats are published without it.\n", description=f"{fmt} failed",
                          exit_code=1)
        self.ctx.rec.warn(f"{fmt}: the download could not be built ({why}); the HTML was published "
                          "without it.")

    def run_commands(self, commands: list[str], description: str) -> None:
        for command in commands:
            self.ctx.rec.run(["bash", "-c", command], cwd=self.ctx.checkout, env=self.ctx.env,
                             description=description, display=command)

    def collected(self, fmt: str) -> str | None:
        """The one file the project's own commands left in ``$READTHEDOCS_OUTPUT/<format>/``."""
        folder = os.path.join(self.ctx.output, fmt)
        files = sorted(os.listdir(folder)) if buildfs.real_file_or_dir(self.ctx.workdir, folder) else []
        if len(files) == 1 and buildfs.real_file(self.ctx.workdir, os.path.join(folder, files[0])):
            return os.path.join(folder, files[0])
        if files:
            raise BuildFailed(f"$READTHEDOCS_OUTPUT/{fmt}/ holds {len(files)} entries; a download is "
                              "one file.")
        return None

    def run(self, argv: list[str], description: str, cwd: str | None = None,
            shown_as: list[str] | None = None) -> None:
        """``shown_as``: the command as the log should show it, when ``argv`` runs it through a
        Docshelf wrapper whose module name would mean nothing to the reader."""
        self.ctx.rec.run(argv, cwd=cwd or self.ctx.checkout, env=self.ctx.env, description=description,
                         display=self.ctx.shown(shown_as or argv))


class CommandsBuilder(Builder):
    """``build.commands``: the user's commands produce ``$READTHEDOCS_OUTPUT/html`` (and format folders)."""

    def build_html(self) -> None:
        self.run_commands(self.config.commands, "build.commands")
        if not buildfs.real_file_or_dir(self.ctx.workdir, self.html_dir):
            raise BuildFailed("build.commands finished without writing $READTHEDOCS_OUTPUT/html (a real "
                              "directory: links are not followed).")

    def build(self) -> dict[str, str]:
        self.build_html()
        downloads: dict[str, str] = {}
        for fmt in FORMATS:  # whatever the commands left in $READTHEDOCS_OUTPUT/<format>/ is offered
            try:
                path = self.collected(fmt)
            except BuildFailed as exc:
                self.ctx.rec.note(f"# {fmt} not offered", exc.message + "\n", description=f"{fmt} skipped")
                continue
            if path:
                downloads[fmt] = path
        return downloads
