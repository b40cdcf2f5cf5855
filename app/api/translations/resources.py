"""/api/v3/projects/<project>/translations/ — placeholder replaced by the translations work."""

from app.api.base import Blueprint

blp = Blueprint("translations", __name__, url_prefix="/api/v3/projects/<project_slug>/translations",
                description="Translations")
