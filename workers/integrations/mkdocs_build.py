"""``python -m workers.integrations.mkdocs_build build ...``: ``python -m mkdocs`` with the plugin on.

A drop-in for the ``mkdocs`` command (same arguments) that adds the Docshelf plugin to the loaded
configuration, so builds need not rewrite ``mkdocs.yml`` (which may use YAML tags such as ``!ENV``
or ``!!python/name`` that a round trip through a YAML library would lose).
"""

from __future__ import annotations

import sys
from typing import Any

from workers.integrations.mkdocs_plugin import enable


def main(argv: list[str] | None = None) -> None:
    from mkdocs import config as mkdocs_config
    from mkdocs.__main__ import cli

    original = mkdocs_config.load_config

    def load_config(*args: Any, **kwargs: Any) -> Any:
        loaded = original(*args, **kwargs)
        enable(loaded)
        return loaded

    mkdocs_config.load_config = load_config
    cli.main(args=sys.argv[1:] if argv is None else argv, prog_name="mkdocs")


if __name__ == "__main__":
    main()
