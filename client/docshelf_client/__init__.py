"""The ``docshelf`` command-line client: talks to a Docshelf server over its HTTP API only.

Its own distribution (``docshelf-client``, needing only click and rich), so a laptop or a CI job
that has nothing but a URL and a token installs it without the server. On a server the same
``docshelf`` command also carries the server's commands (:mod:`docshelf_client.main`).
"""

from __future__ import annotations

from docshelf_client.commands import CLIENT_COMMANDS

__all__ = ["CLIENT_COMMANDS"]
