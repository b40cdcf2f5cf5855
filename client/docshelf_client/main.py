"""The ``docshelf`` console script: the server's command group when the server is installed, else the
client's commands alone.

The server distribution registers its group under the ``docshelf.cli`` entry point (name ``server``)
and adds the client's commands to it, so one script serves both installs without either
distribution importing the other's dependencies.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from docshelf_client.commands import CLIENT_COMMANDS

SERVER_ENTRY_POINT_GROUP = "docshelf.cli"


@click.group("docshelf", commands=CLIENT_COMMANDS)
def client() -> None:
    """Docshelf command-line client: projects, versions, builds and redirects of a Docshelf server."""


def main() -> None:
    server = entry_points(group=SERVER_ENTRY_POINT_GROUP, name="server")
    command: click.Command = next(iter(server)).load() if server else client
    command()
