"""Delivery: alerts from the outbox to Telegram, at Telegram's pace, every outcome recorded.

Modules, from the bottom: `pacing` (Telegram's limits as pure decisions over an injected clock:
the global rate, a group's minute, a chat's gap, the pause after an outage and when to look
again), `answers` (Telegram's refusals mapped to typed answers and the store's `Outcome`),
`budget` (Telegram's overall 30 a second, replies before alerts), `limiter` (PTB's rate
limiter for every request of the bot: a 429 holds only its chat),
`recorder` (outcomes written in group commits) and `sender` (the asyncio `Sender` that claims
due entries, paces, sends and acts on the answers; `reopen` and `tell_admins`).
"""

from bot.delivery.answers import (
    Answer,
    Hold,
    Moved,
    Outage,
    Resend,
    Unreachable,
    read_answer,
    retry_seconds,
)
from bot.delivery.limiter import ChatLimiter, PatientLimiter, Terms
from bot.delivery.pacing import (
    CHAT_GAP,
    GROUP_PER_MINUTE,
    MAX_BACKOFF,
    MIN_BACKOFF,
    RATE,
    Pacing,
)
from bot.delivery.recorder import Recorder
from bot.delivery.sender import BATCH, CONCURRENCY, Sender, reopen, tell_admins

__all__ = [
    "BATCH",
    "CHAT_GAP",
    "CONCURRENCY",
    "GROUP_PER_MINUTE",
    "MAX_BACKOFF",
    "MIN_BACKOFF",
    "RATE",
    "Answer",
    "ChatLimiter",
    "Hold",
    "Moved",
    "Outage",
    "Pacing",
    "PatientLimiter",
    "Recorder",
    "Resend",
    "Sender",
    "Terms",
    "Unreachable",
    "read_answer",
    "reopen",
    "retry_seconds",
    "tell_admins",
]
