"""Processes that hold secrets are not dumpable: their memory and environment stay theirs.

The web and worker processes carry the secret key, the database URL and the Redis password in their
environment. Any process of the same user may read ``/proc/<pid>/environ`` or ``/proc/<pid>/mem`` of
a dumpable process (a build running as the worker's user could). ``PR_SET_DUMPABLE`` 0 makes
those files root's, forbids ptrace by the same user and core dumps. It is inherited through fork
(RQ's work horses, gunicorn's workers) and reset by exec, so commands a process runs are unaffected.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

_PR_SET_DUMPABLE = 4


def make_undumpable() -> bool:
    """Mark this process not dumpable; False (logged) where the kernel cannot (not Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done = libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        done = False
    if not done:
        log.warning("could not mark the process non-dumpable; other processes of its user may read its "
                    "environment")
    return done

