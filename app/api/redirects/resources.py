"""/api/v3/projects/<project>/redirects/ — placeholder replaced by the redirects work."""

from app.api.base import Blueprint

blp = Blueprint("redirects", __name__, url_prefix="/api/v3/projects/<project_slug>/redirects",
                description="Redirects")
