"""The /api/v3/ web API: one Blueprint per resource, all sharing the seam in ``app.api.base``."""

from __future__ import annotations

from flask import Flask

from app.api.base import Api

api = Api()


def init_api(app: Flask) -> None:
    from app.api import openapi_ui, root
    from app.api.addons.resources import blp as addons_settings
    from app.api.audit.resources import blp as audit
    from app.api.builds.resources import blp as builds
    from app.api.device.resources import blp as device
    from app.api.domains.resources import blp as domains
    from app.api.embed.resources import blp as embed
    from app.api.environment_variables.resources import blp as environment_variables
    from app.api.integrations import resources as integrations
    from app.api.integrations import webhooks as incoming_webhooks
    from app.api.invitations import resources as invitations
    from app.api.notifications.resources import blp as notifications
    from app.api.notifications.resources import inbox_blp as notification_inbox
    from app.api.projects.resources import blp as projects
    from app.api.redirects.resources import blp as redirects
    from app.api.search.resources import blp as search
    from app.api.sharing.resources import grants_blp, maintainers_blp
    from app.api.subprojects.resources import blp as subprojects
    from app.api.tokens.resources import blp as tokens
    from app.api.translations.resources import blp as translations
    from app.api.uploads.resources import blp as uploads
    from app.api.versions.resources import blp as versions
    from app.api.webhooks.resources import blp as outgoing_webhooks

    api.init_app(app)  # the error contract; the request hooks are app.pipeline's
    for blueprint in (
        root.blp,
        projects,
        versions,
        builds,
        uploads,
        notifications,
        notification_inbox,
        addons_settings,
        subprojects,
        translations,
        redirects,
        domains,
        environment_variables,
        integrations.blp,
        incoming_webhooks.blp,
        outgoing_webhooks,
        maintainers_blp,
        invitations.project_blp,
        invitations.blp,
        grants_blp,
        tokens,
        device,
        audit,
        search,
        embed,
    ):
        api.register_blueprint(blueprint)
    openapi_ui.init_app(app, api)
