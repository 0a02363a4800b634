"""Random commands and button data sent to the running bot: every one is answered, cleanly.

The bot runs once per test on an event loop in a background thread, and Hypothesis drives it
from a plain synchronous test, so each example costs only its round trips to the fake Bot API.
Every reply must pass the fake's copy of Telegram's strict HTML parser (a rejected reply is a
400, which the bot would log as an ERROR and apologise for), and no example may make the bot
say "something went wrong" or log an ERROR. Examples are derandomised so the suite never flakes.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.config import Settings
from fakes import FakeTelegram, SentRecord
from handlers.buttons import EXPIRED
from tests.conftest import BotHarness

T = TypeVar("T")

FUZZ = hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COMMANDS = (
    "watch",
    "unwatch",
    "latest",
    "forget",
    "list",
    "start",
    "stop",
    "pause",
    "resume",
    "channel",
    "language",
)
SORRY = "something went wrong"

# Arguments as people (and pasted text) write them: any printable text, with the characters
# that matter to the parser and to HTML made likely, and now and then something huge.
_SPICE = st.sampled_from(
    [",", '"', "“", "”", "«", "»", "'", " OR ", "-", "=", "<b>", "</i>", "&", "&amp;", "\n"]
)
_WORDS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30) | st.sampled_from(
    ["Lachin", "Laçın", "Карабах", "Ղարաբաղ", "🔥🇦🇿", "ı İ ə", "peace treaty"]
)
_ARGS = st.lists(_WORDS | _SPICE, max_size=12).map("".join) | st.builds(
    lambda word, n: (word + ", ") * n, _WORDS, st.integers(50, 400)
)
_NAMES = st.sampled_from(COMMANDS) | st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True)
# Whatever is glued to the command word ("/watch<b>", "/x&y", "/start@newswatch_test_bot") is
# part of what the bot may echo; "@" is left out, since "/x@otherbot" is rightly ignored.
_GLUED = st.sampled_from(
    ["", "", "@newswatch_test_bot", "@NewsWatch_Test_Bot", "<b>", "&", "<i", "&lt;", "\u2028"]
) | st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="@"),
    max_size=6,
)
_LINES = st.builds(
    lambda name, glued, args: f"/{name}{glued} {args}".strip()[:4096], _NAMES, _GLUED, _ARGS
)  # Telegram trims a message and caps it at 4096 characters
# Telegram's callback data is 1-64 bytes; a modified client may send any such bytes.
_CALLBACK_DATA = st.builds(
    lambda prefix, rest: (prefix + rest).encode()[:64].decode(errors="ignore") or "x",
    st.sampled_from(["", "forget:", "forget:yes", "forget:yes:", "forget:no:", "unwatch:"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=64),
)


class BackgroundBot:
    """The real application on its own event loop thread, driven synchronously by a test."""

    def __init__(self, telegram: FakeTelegram, settings: Settings) -> None:
        self.telegram = telegram
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.harness = BotHarness(telegram, settings)
        self.chat_ids = itertools.count(50_000)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.harness.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def say(self, chat_id: int, text: str) -> list[SentRecord]:
        """Send one message (a channel post for a negative id) and return the bot's first answer
        to it, failing if there is none."""
        mark = self.telegram.mark()
        if chat_id < 0:
            self.telegram.push_channel_post(chat_id, text)
        else:
            self.telegram.push_message(chat_id, text)
        return self.run(self.telegram.wait_for_sent(since=mark, chat_id=chat_id, timeout=10))

    def settle(self, chat_id: int) -> None:
        """Updates are handled in order, so once /help is answered every earlier one was."""
        self.say(chat_id, "/help")


@pytest.fixture
def background_bot(settings: Settings) -> Iterator[BackgroundBot]:
    """No flood control in the fake: the bot's own rate limiter already paces it, and 429
    retries would only make the examples slow."""
    with FakeTelegram(per_chat_burst=None, global_rate=None) as telegram:
        bot = BackgroundBot(telegram, replace(settings, api_base_url=telegram.base_url))
        bot.run(bot.harness.start())
        try:
            yield bot
        finally:
            bot.close()


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _rejected(telegram: FakeTelegram, since: int) -> list[tuple[str, int, dict[str, Any]]]:
    """Requests the fake refused, e.g. a reply its strict HTML parser would not accept."""
    return [(r.method, r.status, r.params) for r in telegram.requests[since:] if r.status >= 400]


def test_random_command_lines_are_all_answered_cleanly(
    background_bot: BackgroundBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = background_bot.telegram
    request_mark = telegram.request_mark()

    @FUZZ
    @given(lines=st.lists(_LINES, min_size=1, max_size=3), channel=st.booleans())
    def conversation(lines: list[str], channel: bool) -> None:
        chat_id = next(background_bot.chat_ids)
        chat_id = -1_000_000_000_000 - chat_id if channel else chat_id
        mark = telegram.mark()
        for line in lines:
            assert background_bot.say(chat_id, line), line
        background_bot.settle(chat_id)
        replies = [r for r in telegram.sent[mark:] if r.chat_id == chat_id]
        assert len(replies) >= len(lines) + 1
        assert not [r.text for r in replies if SORRY in r.text]
        assert not _rejected(telegram, request_mark)
        assert not _errors(caplog)

    with caplog.at_level(logging.WARNING):
        conversation()


def test_random_button_data_is_always_answered(
    background_bot: BackgroundBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = background_bot.telegram
    chat_id = next(background_bot.chat_ids)
    background_bot.say(chat_id, "/watch Lachin, Karabakh")
    [menu] = background_bot.say(chat_id, "/unwatch")
    request_mark = telegram.request_mark()

    @FUZZ
    @given(data=_CALLBACK_DATA, shape=st.sampled_from(["message", "message", "inline"]))
    def tap(data: str, shape: str) -> None:
        background_bot.run(background_bot.harness.tap(chat_id, menu.message_id, data, shape=shape))
        answer = telegram.answered_callbacks[-1]["text"]
        assert answer == EXPIRED or answer.startswith("That keyword"), data
        assert not _rejected(telegram, request_mark)
        assert not _errors(caplog)

    with caplog.at_level(logging.WARNING):
        tap()
        background_bot.settle(chat_id)
    assert not _errors(caplog)
    chat = background_bot.harness.store.chats.get(chat_id)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.keywords == ["Lachin", "Karabakh"]  # nothing forged worked
