"""What a representation is built from, read with narrow Core queries: the validators behind ETags.

A conditional request (:mod:`app.api.conditional`) is answered 304 when nothing a representation
depends on has changed, so each function here reads exactly that, as plain rows and without building
ORM objects: the columns the representation shows or derives a value from, the rows its links are
derived from, and, for a list, the count and the page's rows picked with the list's own statement
(same filters, ordering, limit and offset). Exactly, in both directions: a column that is missing
would let a client keep a stale body (the worst outcome), one that is not shown would change the
ETag for nothing.

What the representations depend on, column by column (``app/schemas``):

* a project: its own shown columns (``modified`` included, so any update of the row counts), its
  maintainers (``users``; ``permissions`` compares the caller with them), and the projects its docs
  URL and references are derived from: the main project of a translation, the superproject of either
  and the subproject alias (:func:`app.urls.docs_url`); with ``expand=active_versions``, the active,
  built, public versions (and their last builds when expanded);
* a version: its shown columns, its project's slug, language and repository URL, and the same docs
  URL rows as its project; for ``latest``/``stable``, the version its ``aliases`` embed;
* a build: its shown columns (``duration`` derives from ``started``/``finished``); the project slug
  in its links is the one in the URL.

A read also applies the reader rule in its SQL form (:func:`app.policy.readable_filter`, the same rule
as the views' ``can_read``), so a caller who may not see a project gets ``None`` here and the view's
own 404, never a 304 that would say the project exists.
"""

from app.services.validators.core import BUILD_COLUMNS, VERSION_COLUMNS, Rows, State, lock, page_count
from app.services.validators.projects import (
    LINKED_NAMES,
    PROJECT_COLUMNS,
    VERSION_PROJECT_COLUMNS,
    ProjectShape,
    project,
    project_page,
    superproject,
)
from app.services.validators.reads import build, build_page, version, version_page

__all__ = [
    "BUILD_COLUMNS",
    "LINKED_NAMES",
    "PROJECT_COLUMNS",
    "VERSION_COLUMNS",
    "VERSION_PROJECT_COLUMNS",
    "ProjectShape",
    "Rows",
    "State",
    "build",
    "build_page",
    "lock",
    "page_count",
    "project",
    "project_page",
    "superproject",
    "version",
    "version_page",
]
