"""Retention analytics helpers: demo-data generator, raw loader and CLI."""

__all__ = ["RetentionError"]


class RetentionError(Exception):
    """An expected, user-facing failure (bad input, missing file).

    The CLI prints its message and exits with status 2, without a traceback.
    """
