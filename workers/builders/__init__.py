"""Documentation builders: one class per tool, chosen from the resolved configuration."""

from __future__ import annotations

from workers.builders.base import BuildContext, Builder, CommandsBuilder
from workers.builders.mkdocs import MkDocsBuilder
from workers.builders.sphinx import SphinxBuilder
from workers.config import BuildConfig

__all__ = ["BuildContext", "Builder", "CommandsBuilder", "MkDocsBuilder", "SphinxBuilder", "make_builder"]


def make_builder(ctx: BuildContext, config: BuildConfig) -> Builder:
    classes: dict[str, type[Builder]] = {"sphinx": SphinxBuilder, "mkdocs": MkDocsBuilder,
                                         "commands": CommandsBuilder}
    return classes[config.tool](ctx, config)
