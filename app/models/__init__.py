"""The typed SQLAlchemy models; importing this package registers every table."""

from app.models.build import BUILD_STATES, FINAL_STATES, RUNNING_STATES, Build, BuildCommand, BuildLogChunk
from app.models.domain import Domain
from app.models.envvar import EnvironmentVariable
from app.models.generation import data_generation
from app.models.integration import Integration, IntegrationDelivery
from app.models.invitation import Invitation
from app.models.notification import Notification
from app.models.project import Project, ProjectRelationship, project_maintainers
from app.models.redirect import Redirect
from app.models.search import SearchSection
from app.models.security import AuditEvent, DeviceAuthorization, ProjectReadGrant
from app.models.session import UserSession
from app.models.upload import UploadBlob, UploadSession
from app.models.user import ApiToken, User
from app.models.version import Version
from app.models.webhook import Webhook, WebhookDelivery

__all__ = [
    "BUILD_STATES",
    "FINAL_STATES",
    "RUNNING_STATES",
    "data_generation",
    "ApiToken",
    "AuditEvent",
    "Build",
    "BuildCommand",
    "BuildLogChunk",
    "DeviceAuthorization",
    "Domain",
    "EnvironmentVariable",
    "Integration",
    "IntegrationDelivery",
    "Invitation",
    "Notification",
    "Project",
    "ProjectReadGrant",
    "ProjectRelationship",
    "Redirect",
    "SearchSection",
    "UploadBlob",
    "UploadSession",
    "User",
    "UserSession",
    "Version",
    "Webhook",
    "WebhookDelivery",
    "project_maintainers",
]
