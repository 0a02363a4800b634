"""Logging set-up that keeps the bot token (and other secrets) out of every log line.

The token is part of every Bot API URL: the `httpx` and `httpcore` loggers (which log URLs) are
held at WARNING, and python-telegram-bot itself logs the full API URL at DEBUG. So every record is
scrubbed the moment it is created, through the logging record factory, before any handler (a
file, the console, a test's capture) can see it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["REDACTED", "redact_secrets", "setup_logging"]

REDACTED = "[REDACTED]"
_NOISY = ("httpx", "httpcore")


def redact_secrets(secrets: Iterable[str | None]) -> Callable[[], None]:
    """Scrub `secrets` from every log record created from now on; returns an undo function."""
    present = [s for s in secrets if s]
    previous = logging.getLogRecordFactory()

    def clean(text: str) -> str:
        for secret in present:
            text = text.replace(secret, REDACTED)
        return text

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: logging reports it, not the caller
            message = f"{record.msg} {record.args}"
        record.msg = clean(message)
        record.args = None
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        if record.exc_info:
            record.exc_text = clean(logging.Formatter().formatException(record.exc_info))
            # The traceback text is kept; the exception object (whose message may hold a secret)
            # is dropped so no formatter can render it again unscrubbed.
            record.exc_info = None
        return record

    if present:
        logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(previous)


def setup_logging(level: str, secrets: Iterable[str | None] = ()) -> Callable[[], None]:
    """Log to stderr at `level` with secrets scrubbed; returns a function that undoes the set-up."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    noisy_levels = {name: logging.getLogger(name).level for name in _NOISY}
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    undo_redaction = redact_secrets(secrets)

    def undo() -> None:
        undo_redaction()
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, noisy_level in noisy_levels.items():
            logging.getLogger(name).setLevel(noisy_level)

    return undo
