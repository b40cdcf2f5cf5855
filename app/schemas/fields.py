"""Field types of the representations (and of the API's other schemas)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields


class UTCDateTimeField(fields.DateTime):
    """ISO-8601 UTC with a trailing ``Z``, as Read the Docs serialises datetimes."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return datetime.isoformat(value.astimezone(UTC)).replace("+00:00", "Z")
