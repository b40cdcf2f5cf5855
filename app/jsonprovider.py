"""Flask's JSON through orjson: the API's answers are JSON, and a 100-item list is ~160 kB of it.

The same JSON as Flask's default provider (keys sorted; dates rendered by Flask's :meth:`default`, to
which orjson passes them; non-ASCII as UTF-8 instead of ``\\u`` escapes, which decodes the same), several
times faster to encode. ``loads`` stays the standard library's, whose error
messages the input guard reports.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

#: NON_STR_KEYS: validation errors are keyed by list index, which json.dumps writes as strings too.
_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # an explicit indent/separators request: the standard library's exact behaviour
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()

    def response(self, *args: Any, **kwargs: Any) -> Any:
        """``jsonify``: compact orjson bytes (Flask's default pretty-prints only in debug mode)."""
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        obj = (args[0] if len(args) == 1 else list(args)) if args else (kwargs or None)
        body = orjson.dumps(obj, default=self.default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        return Response(body, mimetype=self.mimetype)
