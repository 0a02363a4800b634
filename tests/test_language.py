"""/language: which language's report leads a story's alert, end to end on the fake Bot API,
and the poll's choice of that report (`watchers.telling.leads`) fed from the stored setting."""

from __future__ import annotations

from tests.conftest import BotHarness

USER = 4242


async def test_start_takes_the_clients_language_and_language_changes_it(
    bot_harness: BotHarness,
) -> None:
    store = bot_harness.store
    assert store is not None
    await bot_harness.send(USER, "/start", language_code="ru-RU")
    assert store.chats.language_of(USER) == "ru"
    [shown] = await bot_harness.send(USER, "/language")
    assert "Language: ru." in shown.text
    [set_] = await bot_harness.send(USER, "/language AZ")
    assert "in az where one exists" in set_.text
    assert store.chats.language_of(USER) == "az"
    [refused] = await bot_harness.send(USER, "/language azerbaijani")
    assert "not a language code" in refused.text
    assert store.chats.language_of(USER) == "az"
    await bot_harness.send(USER, "/language off")
    assert store.chats.language_of(USER) is None
