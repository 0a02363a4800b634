"""Logging set-up that keeps the bot token out of every log line.

The token is part of every Bot API URL, so the `httpx` and `httpcore` loggers (which log URLs at
INFO and DEBUG) are held at WARNING, and a filter on the root handler replaces any remaining
occurrence of a secret with a placeholder, whatever logger produced it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["RedactingFilter", "setup_logging"]

_NOISY = ("httpx", "httpcore")


class RedactingFilter(logging.Filter):
    """Replace every secret in a record's final message (and traceback) with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text)
        return True


def setup_logging(level: str, secrets: Iterable[str | None] = ()) -> None:
    """Log to stderr at `level`, with secrets redacted and the URL-logging libraries quiet."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
