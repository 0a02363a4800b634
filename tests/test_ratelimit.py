"""Telegram's 429 holds back only the chat it was for."""

from __future__ import annotations

from tests.conftest import BotHarness
from tests.fake_telegram import FakeTelegram

USER = 1001
OTHER = 1002


async def test_a_429_for_one_chat_does_not_delay_a_reply_to_another(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    """PTB's own limiter held every request of the bot until a 429 was waited out."""
    telegram.per_chat_burst = 1
    telegram.per_chat_rate = 0.2  # after one message, a chat waits five seconds for the next
    mark, requests = telegram.mark(), telegram.request_mark()
    telegram.push_message(USER, "/help")
    telegram.push_message(USER, "/start")
    await telegram.wait_for_request("sendMessage", since=requests, status=429)  # USER's /start

    telegram.push_message(OTHER, "/help")
    [answer] = await telegram.wait_for_sent(since=mark, chat_id=OTHER, timeout=10)
    to_user = [r for r in telegram.sent[mark:] if r.chat_id == USER]
    assert len(to_user) == 1  # USER's second reply is still waiting out its 429

    later = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2, timeout=15)
    assert later[1].time > answer.time
