"""The client's command groups: the `docshelf` script's own, and added to the server's by ``app.cli``."""

from __future__ import annotations

import click

from docshelf_client.commands.builds import builds
from docshelf_client.commands.download import download
from docshelf_client.commands.env import env
from docshelf_client.commands.login import login
from docshelf_client.commands.projects import projects
from docshelf_client.commands.publish import publish
from docshelf_client.commands.redirects import redirects
from docshelf_client.commands.versions import versions

CLIENT_COMMANDS: list[click.Command] = [login, projects, versions, builds, redirects, env, download, publish]
