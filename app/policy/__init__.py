"""Who may do what: the :class:`Principal` and the read/write rules in their Python and SQL forms.

Below the services and above the models: nothing here reads the request. Callers pass the principal
(None for anonymous) explicitly; :mod:`app.auth` builds it once per request.
"""

from __future__ import annotations

from app.policy.principal import Principal
from app.policy.rules import (
    can_read,
    can_write,
    has_private_access,
    private_access_filter,
    reach_filter,
    readable_filter,
    rule_inputs,
    writable_filter,
)

__all__ = [
    "Principal",
    "can_read",
    "can_write",
    "has_private_access",
    "private_access_filter",
    "reach_filter",
    "readable_filter",
    "rule_inputs",
    "writable_filter",
]
