"""``FakeTelegram``: the Bot API on a live transport, and what a test reads back from it (what
was sent, the requests, the bot's messages as they are now) and waits for."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from typing import Any, Self

from fakes.telegram.api import BotApi
from fakes.telegram.records import RequestRecord, SentRecord
from fakes.telegram.transport import Transport


class FakeTelegram(BotApi):
    """The fake Bot API server plus the test-side API to drive it and inspect what the bot did.

    Construct it with the token and the flood-control settings (see ``BotApi``), then ``start``
    it or use it as a context manager.
    """

    _transport: Transport | None = None

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._transport is not None:
            raise RuntimeError("FakeTelegram is already running")
        self._stopping = False
        self._transport = Transport(self._handle, secret=self.token)
        return self

    def stop(self) -> None:
        """Stop serving; wakes long polls and drops open connections so nothing hangs."""
        transport, self._transport = self._transport, None
        if transport is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        transport.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._transport is None:
            raise RuntimeError("FakeTelegram is not running")
        return self._transport.port

    @property
    def open_connections(self) -> int:
        """HTTP connections open now; 0 once a stopped bot's last requests are answered."""
        return 0 if self._transport is None else self._transport.open_connections

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url`` / ``Bot(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ----- what the bot did ------------------------------------------------------------------

    @property
    def sent(self) -> list[SentRecord]:
        """Every successful sendMessage/editMessageText/editMessageReplyMarkup, in order."""
        with self._lock:
            return list(self._sent)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    @property
    def commands(self) -> list[dict[str, Any]] | None:
        """The ``commands`` of the last successful setMyCommands call (None if never called)."""
        with self._lock:
            return copy.deepcopy(self._last_commands)

    @property
    def answered_callbacks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._answered)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now (after edits), oldest first."""
        with self._lock:
            stored = self._bot_messages.get(chat_id, {})
            return [copy.deepcopy(stored[mid].message) for mid in sorted(stored)]

    def mark(self) -> int:
        """A position in :attr:`sent` to pass to ``wait_for_sent(since=...)``."""
        with self._lock:
            return len(self._sent)

    def request_mark(self) -> int:
        """A position in :attr:`requests` to pass to ``wait_for_request(since=...)``."""
        with self._lock:
            return len(self._requests)

    async def wait_for_sent(
        self,
        predicate: Callable[[SentRecord], bool] | None = None,
        *,
        since: int = 0,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline the failure message names
        chat_id: int | None = None,
    ) -> list[SentRecord]:
        """All matching records after index ``since`` once there are at least ``count``."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.sent[since:]
            found = [
                r
                for r in records
                if (chat_id is None or r.chat_id == chat_id) and (predicate is None or predicate(r))
            ]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = (
                    "\n".join(
                        f"  {r.method} chat={r.chat_id} id={r.message_id}: {r.text[:200]!r}"
                        for r in records
                    )
                    or "  (nothing)"
                )
                raise AssertionError(
                    f"expected {count} matching message(s) (chat_id={chat_id}) within "
                    f"{timeout}s, got {len(found)}; sent since #{since}:\n{seen}"
                )
            await asyncio.sleep(0.02)

    async def wait_for_request(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline the failure message names
        *,
        since: int = 0,
        status: int | None = None,
    ) -> RequestRecord:
        """The first request for ``method`` (case-insensitive) at index ``since`` or later, and
        with that HTTP ``status`` if one is given (429 for a request refused by flood control)."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.requests[since:]
            for record in records:
                if record.method.lower() == method.lower() and status in (None, record.status):
                    return record
            if time.monotonic() >= deadline:
                methods = ", ".join(r.method for r in records) or "(none)"
                raise AssertionError(
                    f"no {method} request within {timeout}s; requests since #{since}: {methods}"
                )
            await asyncio.sleep(0.02)
