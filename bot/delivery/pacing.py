"""When the next alert may go: Telegram's limits as decisions taken from a clock alone.

The sender asks before each send and reports what Telegram answered; it does the waiting, so
these decisions carry no asyncio and no I/O, and a test drives them with a fake clock. Telegram
allows about 30 messages a second in all, one a second in a chat and 20 a minute in a group or
channel; while it does not answer, every send pauses, longer each time the outage persists.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from telegram.constants import FloodLimit

__all__ = [
    "CHAT_GAP",
    "GROUP_PER_MINUTE",
    "MAX_BACKOFF",
    "MIN_BACKOFF",
    "RATE",
    "Pacing",
]

RATE = 29.0
"""Alerts a second, all chats together: Telegram allows about 30 and command replies share it."""
CHAT_GAP = 1.0
"""Seconds between two messages to one chat: Telegram asks for no more than one a second in a
chat, so requests to a chat it held go this far apart, and so do the sender's alerts."""
GROUP_PER_MINUTE = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP
"""Telegram's limit for one group or channel (20)."""
GROUP_WINDOW = 60.0
"""Seconds over which a group's sends are counted against `GROUP_PER_MINUTE`."""
MIN_BACKOFF = 0.5
MAX_BACKOFF = 60.0
"""Seconds between tries while Telegram is unreachable: one request a minute costs Telegram
nothing, and a backlog starts draining within a minute of its return."""
SHORTEST_WAKE = 0.01
"""Seconds: the shortest wait `Pacing.next_wake` advises, so a wait never spins."""


class Pacing:
    """The sender's limits, read from `clock` (seconds, monotonic): sends exactly `1/rate`
    apart, `chat_gap` between two to one chat (longer when a 429 asks), at most
    `group_per_minute` to a group or channel (negative ids) in any `GROUP_WINDOW`, and none
    while paused after an outage.

    `epoch` moves with every pause: a send remembers the epoch it began in, and its failure
    counts (doubling the backoff) only if no other failure paused sending since.
    """

    def __init__(
        self,
        *,
        rate: float = RATE,
        group_per_minute: int = GROUP_PER_MINUTE,
        chat_gap: float = CHAT_GAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / rate
        self._group_limit = group_per_minute
        self._chat_gap = chat_gap
        self._clock = clock
        self._next_slot = 0.0
        self._chat_until: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        self._backoff = 0.0
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """Pauses so far."""
        return self._epoch

    # Before a send ----------------------------------------------------------------------------

    def held(self) -> set[int]:
        """Chats that may not be sent to now: within their gap or a 429's wait, or groups whose
        minute is full."""
        now = self._clock()
        self._chat_until = {c: u for c, u in self._chat_until.items() if u > now}
        held = set(self._chat_until)
        held |= {c for c in list(self._group_sent) if not self._group_has_room(c, now)}
        return held

    def group_has_room(self, chat_id: int) -> bool:
        """The chat is not a group that had its `group_per_minute` in the last minute."""
        return self._group_has_room(chat_id, self._clock())

    def paused(self) -> bool:
        """Sending is paused after an outage."""
        return self._clock() < self._paused_until

    def pause_left(self) -> float:
        """Seconds until the pause after an outage ends (0 or less: not paused)."""
        return self._paused_until - self._clock()

    def reserve(self, chat_id: int) -> float:
        """Take the next send slot for `chat_id`: seconds to wait before sending (exactly
        `1/rate` after the previous slot, or now). The chat is held for its gap from that slot,
        and a group's minute counts it."""
        now = self._clock()
        at = max(self._next_slot, now)
        self._next_slot = at + self._interval
        self._chat_until[chat_id] = max(self._chat_until.get(chat_id, 0.0), at + self._chat_gap)
        if chat_id < 0:
            self._group_sent.setdefault(chat_id, deque()).append(at)
        return at - now

    def next_wake(self, longest: float) -> float:
        """Seconds to wait when nothing could start: until a held-back chat may go again, at
        most `longest`."""
        now = self._clock()
        untils = [u - now for u in self._chat_until.values() if u > now]
        full = [c for c in list(self._group_sent) if not self._group_has_room(c, now)]
        untils += [self._group_sent[chat][0] + GROUP_WINDOW - now for chat in full]
        return max(SHORTEST_WAKE, min([longest, *untils]))

    # After an answer --------------------------------------------------------------------------

    def answered(self) -> None:
        """Telegram took a message: the next outage starts from the shortest pause again."""
        self._backoff = 0.0

    def hold(self, chat_id: int, seconds: float) -> None:
        """A 429 for `chat_id`: it waits `seconds` from now, the other chats not."""
        until = self._clock() + seconds
        self._chat_until[chat_id] = max(self._chat_until.get(chat_id, 0.0), until)

    def pause(self, epoch: int) -> float | None:
        """Telegram did not answer a send begun in `epoch`: pause every send, twice as long as
        last time. The pause in seconds, or None if a later failure already paused sending."""
        if epoch != self._epoch:
            return None
        self._epoch += 1
        self._backoff = min(MAX_BACKOFF, max(MIN_BACKOFF, self._backoff * 2))
        self._paused_until = self._clock() + self._backoff
        return self._backoff

    def _group_has_room(self, chat_id: int, now: float) -> bool:
        sent = self._group_sent.get(chat_id)
        if sent is None:
            return True
        while sent and sent[0] <= now - GROUP_WINDOW:
            sent.popleft()
        if not sent:
            del self._group_sent[chat_id]
            return True
        return len(sent) < self._group_limit
