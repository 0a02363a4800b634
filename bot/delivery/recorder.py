"""What became of each alert, written in group commits.

The sender finishes sends several at a time; one commit per send would make the store the
bottleneck, and a commit per batch would let a `kill -9` repeat a whole batch. So outcomes are
written as they come: each commit takes everything that finished while the previous one ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.store import Outbox, Outcome

__all__ = ["Recorder"]

logger = logging.getLogger(__name__)

RETRY_PAUSE = 0.5
"""Seconds before a commit that failed is tried again (with whatever finished meanwhile)."""


class Recorder:
    """Group commits of outcomes: `start()`, `add()` each outcome, `close()` at exit (it writes
    what is left). `recorded` is told each batch once it is in the store."""

    def __init__(self, outbox: Outbox, recorded: Callable[[list[Outcome]], None]) -> None:
        self._outbox = outbox
        self._recorded = recorded
        self._outcomes: list[Outcome] = []
        self._finished = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="newswatch-committer")

    def add(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self._finished.set()

    async def close(self) -> None:
        """Write everything added so far, then stop."""
        self._closing = True
        self._finished.set()
        if self._task is not None:
            await self._task
        await self._commit()

    async def _loop(self) -> None:
        while True:
            await self._finished.wait()
            self._finished.clear()
            await self._commit()
            if self._closing:
                return

    async def _commit(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        try:
            await self._outbox.finish(outcomes)
        except Exception:
            self._outcomes[:0] = outcomes  # kept, and tried again with the next commit
            logger.exception("could not record %d sent alerts; will retry", len(outcomes))
            await asyncio.sleep(RETRY_PAUSE)
            self._finished.set()
            return
        self._recorded(outcomes)
