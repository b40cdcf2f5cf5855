"""RQ job payloads that decode without running code.

RQ stores a job's function name, arguments, ``meta`` and result pickled, and unpickling runs whatever
the pickle names (``__reduce__`` → ``os.system``). Anyone who can write to Redis (a build reaching
the embedded server's socket, say) would run code in every process that reads a job: the worker
dequeuing it and the web process checking a build's job status. Docshelf's jobs only carry ids,
strings, numbers and plain containers, which pickle encodes without naming any class, so payloads
are still written by :mod:`pickle` (existing jobs and RQ's own tools read them unchanged) but read
by an unpickler that refuses every global: anything else fails to decode instead of running.
"""

from __future__ import annotations

import io
import pickle
from typing import Any


class _PlainData(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"job data may not name {module}.{name}")


class JobSerializer:
    """RQ serializer (``Queue(serializer=...)``, ``Worker(serializer=...)``): pickle out, plain data in."""

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> Any:
        return _PlainData(io.BytesIO(data)).load()
