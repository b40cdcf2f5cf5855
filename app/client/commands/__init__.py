"""The client's command groups, added to the ``docshelf`` console script by ``app.cli``."""

from __future__ import annotations

import click

from app.client.commands.builds import builds
from app.client.commands.download import download
from app.client.commands.env import env
from app.client.commands.login import login
from app.client.commands.projects import projects
from app.client.commands.redirects import redirects
from app.client.commands.versions import versions

CLIENT_COMMANDS: list[click.Command] = [login, projects, versions, builds, redirects, env, download]
