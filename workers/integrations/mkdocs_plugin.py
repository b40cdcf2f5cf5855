"""MkDocs plugin ``docshelf``: adds Docshelf's flyout/banner script to every page.

Registered as the ``mkdocs.plugins`` entry point ``docshelf`` (``plugins: [search, docshelf]`` in
``mkdocs.yml``); Docshelf builds can enable it without touching ``mkdocs.yml`` through
:mod:`workers.integrations.mkdocs_build`.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin

from workers.integrations import inject, script_tag, settings

NAME = "docshelf"


class DocshelfPluginConfig(Config):
    """No options: everything comes from the build's environment."""


class DocshelfPlugin(BasePlugin[DocshelfPluginConfig]):
    """Injects the script tag after the theme and the other plugins have rendered each page."""

    def on_post_page(self, output: str, /, *, page: Any, config: Any) -> str:
        return _with_script(output)

    def on_post_template(self, output_content: str, /, *, template_name: str, config: Any) -> str:
        """Theme pages rendered outside the nav, such as ``404.html`` (not ``sitemap.xml``)."""
        return _with_script(output_content) if template_name.endswith(".html") else output_content


def _with_script(page: str) -> str:
    values = settings()
    return inject(page, script_tag(values)) if values is not None else page


def enable(config: Any) -> None:
    """Add the plugin to a loaded MkDocs config, unless the project already lists it."""
    if NAME in config.plugins:
        return
    plugin = DocshelfPlugin()
    plugin.load_config({})
    config.plugins[NAME] = plugin
