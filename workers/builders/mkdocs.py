"""MkDocs: ``mkdocs build`` into ``$READTHEDOCS_OUTPUT/html``; htmlzip is the only download format."""

from __future__ import annotations

import os

from workers.builders.base import Builder


class MkDocsBuilder(Builder):
    supported_formats = ("htmlzip",)

    def build_html(self) -> None:
        assert self.config.configuration is not None
        # mkdocs_build is ``mkdocs build`` with the Docshelf plugin switched on (flyout, version warning).
        args = ["build", "--clean", "--site-dir", self.html_dir,
                "--config-file", os.path.join(self.ctx.checkout, self.config.configuration)]
        if self.config.fail_on_warning:
            args.append("--strict")
        # The log shows Read the Docs' command line: the wrapper is Docshelf's business, not the reader's.
        self.run([self.ctx.python, "-m", "workers.integrations.mkdocs_build", *args], "Building html",
                 shown_as=[self.ctx.python, "-m", "mkdocs", *args])
