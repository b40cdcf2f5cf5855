"""Sphinx extension ``workers.integrations.sphinx_ext``: adds Docshelf's flyout/banner script.

Enable it in ``conf.py`` (``extensions = [..., "workers.integrations.sphinx_ext"]``), or let a
Docshelf build append :data:`CONF_PY_SNIPPET` to the project's ``conf.py``. Only HTML builders get the
script: an EPUB or PDF cannot reach the server anyway.
"""

from __future__ import annotations

import os
from typing import Any

from workers.integrations import settings

EXTENSION = "workers.integrations.sphinx_ext"
HTML_BUILDERS = frozenset({"html", "dirhtml", "singlehtml", "readthedocs", "readthedocsdirhtml"})
#: What a build appends to ``conf.py``; keeps the project's own ``extensions`` (list or tuple).
CONF_PY_SNIPPET = (
    "\n\n# Added by Docshelf: the flyout and version banner (workers/integrations/sphinx_ext.py).\n"
    f'extensions = [*globals().get("extensions", ()), "{EXTENSION}"]\n'
)


def _add_script(app: Any) -> None:
    values = settings()
    if values is None or app.builder.name not in HTML_BUILDERS:
        return
    src = values.pop("src")
    app.add_js_file(src, loading_method="async", **values)


def append_to_conf_py(path: str) -> None:
    """Enable the extension for one build by appending :data:`CONF_PY_SNIPPET` to ``conf.py``."""
    # O_NOFOLLOW: the worker edits a file of a checkout the build may have rigged (workers.buildfs).
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), encoding="utf-8") as fh:
        if EXTENSION in fh.read():
            return
    with open(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW), "a", encoding="utf-8") as fh:
        fh.write(CONF_PY_SNIPPET)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _add_script)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
