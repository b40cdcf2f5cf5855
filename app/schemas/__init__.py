"""Output representations shared by the API and the docs server: what a project, version or build
looks like in JSON (fields, URLs, links), below both so neither imports the other.

The API's schemas (``app/api/<resource>/schemas.py``) extend these with its query conventions
(``?fields=``/``?omit=``/``?expand=``); the docs server's addons dump them as they are.
"""

from app.schemas.builds import BuildRepresentation
from app.schemas.fields import UTCDateTimeField
from app.schemas.projects import ProjectRepresentation, project_ref
from app.schemas.versions import VersionRepresentation

__all__ = [
    "BuildRepresentation",
    "ProjectRepresentation",
    "UTCDateTimeField",
    "VersionRepresentation",
    "project_ref",
]
