"""The ``docshelf`` command-line client: talks to a Docshelf server over its HTTP API only.

It lives beside the server commands in the same console script, but never needs an app context or
database, so it works on a laptop that has nothing but a URL and a token.
"""

from __future__ import annotations

from app.client.commands import CLIENT_COMMANDS

__all__ = ["CLIENT_COMMANDS"]
