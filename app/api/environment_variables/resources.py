"""/api/v3/projects/<project>/environmentvariables/ — placeholder replaced by the env-var work."""

from app.api.base import Blueprint

blp = Blueprint("environmentvariables", __name__,
                url_prefix="/api/v3/projects/<project_slug>/environmentvariables",
                description="Environment variables")
