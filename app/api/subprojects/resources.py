"""/api/v3/projects/<project>/subprojects/ — placeholder replaced by the subprojects work."""

from app.api.base import Blueprint

blp = Blueprint("subprojects", __name__, url_prefix="/api/v3/projects/<project_slug>/subprojects",
                description="Subproject relationships")
