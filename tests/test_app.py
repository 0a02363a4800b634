"""The application as a whole: flood limits, and the token never reaching a log line."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.logs import REDACTED, redact_secrets, setup_logging
from fakes import DEFAULT_TOKEN, FakeTelegram
from tests.conftest import BotHarness

USER = 1001


async def test_a_debug_session_never_logs_the_token(
    telegram: FakeTelegram,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    undo = setup_logging("DEBUG", secrets=[settings.token])
    caplog.set_level(logging.DEBUG)
    harness = BotHarness(telegram, settings)
    try:
        await harness.start()
        await harness.send(USER, "/start")
        await harness.send(USER, "/watch Lachin, <b>")
        [menu] = await harness.send(USER, "/unwatch")
        data = menu.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
        await harness.tap(USER, menu.message_id, data)
        await harness.send(USER, "/latest")
        await harness.send(USER, "/nonsense")
        telegram.block_chat(USER)
        telegram.push_message(USER, "/help")  # fails with 403 and is logged with its traceback
        await harness.send(USER + 1, "/help")
    finally:
        await harness.stop()
        undo()
    stderr = capfd.readouterr().err
    logged = caplog.text + stderr + "".join(str(r.exc_text) for r in caplog.records)
    assert "Set Bot API URL" in logged  # PTB logs the URL at DEBUG...
    assert REDACTED in logged
    assert "Forbidden" in logged
    assert DEFAULT_TOKEN not in logged  # ...but never the token in it
    assert DEFAULT_TOKEN.split(":")[1] not in logged


def test_redaction_scrubs_messages_args_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    secret = DEFAULT_TOKEN
    undo = redact_secrets([secret])
    try:
        try:
            raise RuntimeError(f"token {secret} rejected")
        except RuntimeError:
            logging.getLogger("any.library").exception(
                "url %s failed", f"https://t/bot{secret}/getMe"
            )
    finally:
        undo()
    [record] = caplog.records
    assert secret not in record.getMessage()
    assert REDACTED in record.getMessage()
    assert record.exc_text is not None
    assert "RuntimeError" in record.exc_text
    assert secret not in record.exc_text
    assert secret not in caplog.text
    logging.getLogger("any.library").error("after undo %s", secret)
    assert secret in caplog.records[-1].getMessage()  # undo really restores the old factory


async def test_flood_control_answers_are_retried_not_lost(settings: Settings) -> None:
    """Telegram's 429 (retry_after) is waited out by the rate limiter; every reply still arrives."""
    with FakeTelegram(per_chat_burst=2, per_chat_rate=2.0) as telegram:
        harness = BotHarness(telegram, replace(settings, api_base_url=telegram.base_url))
        await harness.start()
        try:
            mark = telegram.mark()
            for n in range(4):
                telegram.push_message(USER, f"/watch term{n}")
            replies = await telegram.wait_for_sent(since=mark, count=4, chat_id=USER, timeout=15)
        finally:
            await harness.stop()
    assert len(replies) == 4
    assert any(r.status == 429 for r in telegram.requests)


def test_redaction_survives_a_malformed_log_call(caplog: pytest.LogCaptureFixture) -> None:
    undo = redact_secrets([DEFAULT_TOKEN])
    try:
        # One argument for two placeholders: the bug under test.
        logging.getLogger("sloppy.library").warning("two %s %s", f"only-one-{DEFAULT_TOKEN}")
    finally:
        undo()
    [record] = caplog.records
    assert "two" in record.getMessage()
    assert DEFAULT_TOKEN not in record.getMessage()
