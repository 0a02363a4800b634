"""/channel: a channel's alerts managed from a private chat, with both sides' rights checked by
Telegram (getChat, getChatMember), and a group's record following it when it becomes a
supergroup."""

from __future__ import annotations

from datetime import UTC, datetime

from fakes import FakeTelegram
from tests.conftest import BotHarness
from watchers.models import Alert, PollOutcome, Report, SourceState

ADMIN = 1001
STRANGER = 1002
CHANNEL = -100123
NAME = "caucasusnews"


async def _manage(harness: BotHarness, user: int = ADMIN, name: str = f"@{NAME}") -> str:
    [answer] = await harness.send(user, f"/channel {name}")
    return answer.text


async def test_an_admin_points_commands_at_the_channel_and_alerts_go_there(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    telegram.add_channel(CHANNEL, NAME, admins=(ADMIN,), title="Caucasus News")
    assert "now apply to Caucasus News" in await _manage(bot_harness)
    [added] = await bot_harness.send(ADMIN, "/watch Lachin")
    assert "Lachin" in added.text
    [listing] = await bot_harness.send(ADMIN, "/list")
    assert "Lachin" in listing.text
    assert listing.text.startswith("Channel Caucasus News")
    assert bot_harness.store is not None
    channel = bot_harness.store.chats.get(CHANNEL)
    assert channel is not None
    assert channel.keywords == ["Lachin"]
    own = bot_harness.store.chats.get(ADMIN)
    assert own is not None
    assert own.keywords == []
    assert own.manages == CHANNEL

    url = "https://wire.test/convoy"
    report = Report(id=url, url=url, canonical_url=url, title="Convoy reaches Lachin")
    alert = Alert(CHANNEL, report, "Lachin", "Lachin", "A convoy.")
    await bot_harness.store.polls.record_poll(
        PollOutcome("test", SourceState(), datetime.now(UTC), [report], [report], [alert])
    )
    assert bot_harness.application is not None
    assert bot_harness.application.bot_data.sender
    bot_harness.application.bot_data.sender.wake()
    [sent] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=CHANNEL)
    assert "Lachin" in sent.text

    [paused] = await bot_harness.send(ADMIN, "/pause")
    assert "paused" in paused.text
    channel = bot_harness.store.chats.get(CHANNEL)
    assert channel is not None
    assert channel.paused
    [back] = await bot_harness.send(ADMIN, "/channel off")
    assert "this chat again" in back.text
    [own_list] = await bot_harness.send(ADMIN, "/list")
    assert "Lachin" not in own_list.text
    assert "Channel" not in own_list.text


async def test_someone_who_is_not_an_admin_is_refused_with_the_reason(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    telegram.add_channel(CHANNEL, NAME, admins=(ADMIN,), title="Caucasus News")
    answer = await _manage(bot_harness, STRANGER)
    assert "Only administrators of Caucasus News" in answer
    assert "you are not one" in answer
    await bot_harness.send(STRANGER, "/watch Lachin")  # goes to the stranger's own chat
    assert bot_harness.store is not None
    assert bot_harness.store.chats.get(CHANNEL) is None  # nothing reached the channel


async def test_the_bot_must_be_able_to_post_in_the_channel(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    telegram.add_channel(CHANNEL, NAME, admins=(ADMIN,), bot_can_post=False)
    assert "I can't post in" in await _manage(bot_harness)
    telegram.add_channel(-100124, "other", admins=(ADMIN,), bot_status="member")
    assert "I can't post in" in await _manage(bot_harness, name="other")


async def test_unknown_names_groups_and_group_chats_are_refused(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    assert "can't find the channel @nosuchchannel" in await _manage(
        bot_harness, name="@nosuchchannel"
    )
    [usage] = await bot_harness.send(ADMIN, "/channel")
    assert "/channel @yourchannel" in usage.text
    [in_group] = await bot_harness.send(-500, f"/channel @{NAME}", chat_type="group", user_id=ADMIN)
    assert "private chat" in in_group.text


async def test_an_admin_who_lost_the_rights_can_no_longer_change_the_channel(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    telegram.add_channel(CHANNEL, NAME, admins=(ADMIN,))
    await _manage(bot_harness)
    telegram.set_member_status(CHANNEL, ADMIN, "left")
    [refused] = await bot_harness.send(ADMIN, "/watch Lachin")
    assert "no longer an administrator" in refused.text
    assert bot_harness.store is not None
    channel = bot_harness.store.chats.get(CHANNEL)
    assert channel is not None
    assert channel.keywords == []


async def test_a_name_of_digits_that_are_not_ascii_is_looked_up_not_crashed_on(
    bot_harness: BotHarness,
) -> None:
    """Digits to str.isdigit() but not to int() ("²", "١٢", "--5"): the name is asked for as
    written, not turned into a chat id (which raised and ended in "something went wrong")."""
    for name in ("²", "-١٢", "--5"):
        answer = await _manage(bot_harness, name=name)
        assert "can't find the channel" in answer, answer


async def test_two_admins_changing_the_channel_at_once_lose_nothing(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    """Each command loads the channel's record, asks Telegram for rights, then saves: run side
    by side for two admins, the later save would undo the earlier."""
    other = ADMIN + 10
    telegram.add_channel(CHANNEL, NAME, admins=(ADMIN, other), title="Caucasus News")
    await _manage(bot_harness)
    await _manage(bot_harness, other)
    words = {ADMIN: ["Lachin", "Shusha", "Ganja", "Kalbajar"]}
    words[other] = ["Agdam", "Fuzuli", "Zangilan", "Gubadli"]
    mark = telegram.mark()
    for pair in zip(*words.values(), strict=True):
        for user, word in zip(words, pair, strict=True):
            telegram.push_message(user, f"/watch {word}")
    for user in words:
        await telegram.wait_for_sent(since=mark, count=4, chat_id=user)
    assert bot_harness.store is not None
    channel = bot_harness.store.chats.get(CHANNEL)
    assert channel is not None
    assert sorted(channel.keywords) == sorted(words[ADMIN] + words[other])
