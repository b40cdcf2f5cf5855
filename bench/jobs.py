"""The baselines' RQ job: it does nothing, so what is measured is RQ itself (enqueue, fork, bookkeeping)."""


def noop() -> None:
    """Return at once."""
