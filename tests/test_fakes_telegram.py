"""Drive the fake Telegram server with the real PTB client, so e2e tests can trust it."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from fakes import ApiError, FakeTelegram, parse_html
from tests.conftest import until

CHAT = 4242


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


async def test_get_me_returns_the_test_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "newswatch_test_bot", True)
    assert bot.username == "newswatch_test_bot"


async def test_send_message_stores_plain_text_and_echoes_markup(
    fake: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(
        CHAT,
        "<b>Laçın</b> &amp; Karabakh 😀 <i>x</i>",
        parse_mode="HTML",
        reply_markup=keyboard("more"),
    )
    assert sent.text == "Laçın & Karabakh 😀 x"
    assert sent.entities == (
        MessageEntity("bold", 0, 5),
        MessageEntity("italic", 20, 1),
    )
    assert sent.reply_markup == keyboard("more")
    assert sent.from_user is not None
    assert sent.from_user.username == "newswatch_test_bot"
    second = await bot.send_message(CHAT, "second")
    other = await bot.send_message(CHAT + 1, "elsewhere")
    assert (second.message_id, other.message_id) == (sent.message_id + 1, 1)
    record = fake.sent[0]
    assert record.raw_text == "<b>Laçın</b> &amp; Karabakh 😀 <i>x</i>"
    assert record.text == "Laçın & Karabakh 😀 x"
    assert record.parse_mode == "HTML"
    assert record.reply_markup == keyboard("more").to_dict()
    assert [m["text"] for m in fake.messages(CHAT)] == ["Laçın & Karabakh 😀 x", "second"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("<b>open", 'can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("AT&T", 'unescaped "&" at byte offset 2'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_html_errors_surface_as_bad_request(
    fake: FakeTelegram, bot: Bot, text: str, expected: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert str(caught.value).lower() == f"can't parse entities: {expected}"
    assert fake.sent == []


def test_byte_offsets_count_utf8_bytes() -> None:
    with pytest.raises(ApiError, match=r"Unsupported start tag \"x\" at byte offset 6"):
        parse_html("Лач<x>")
    assert parse_html("AT&T", strict_ampersand=False) == ("AT&T", [])
    assert parse_html('<a href="https://e.com/?a=1&amp;b=2">l</a>')[1][0]["url"] == (
        "https://e.com/?a=1&b=2"
    )


async def test_length_is_counted_after_entity_parsing(fake: FakeTelegram, bot: Bot) -> None:
    ok = await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(ok.text or "") == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):  # 4,096 UTF-16 units, 2,049 here
        await bot.send_message(CHAT, "🗞" * 2049)
    for empty in ("   ", "<b> </b>"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(CHAT + 1, empty, parse_mode="HTML")
    assert len(fake.sent) == 1


async def test_per_chat_flood_control(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    for n in range(3):
        await bot.send_message(CHAT, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "one too many")
    assert isinstance(caught.value.retry_after, dtm.timedelta)  # PTB_TIMEDELTA is set
    assert caught.value.retry_after >= dtm.timedelta(seconds=1)
    await bot.send_message(CHAT + 1, "another chat has its own bucket")
    assert [r.text for r in fake.sent].count("one too many") == 0
    assert len(fake.sent) == 4
    assert fake.requests[-2].status == 429


async def test_global_flood_control(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with FakeTelegram(per_chat_burst=None, global_rate=2) as server:
        async with Bot(server.token, base_url=server.base_url) as client:
            await client.send_message(1, "a")
            await client.send_message(2, "b")
            with pytest.raises(RetryAfter):
                await client.send_message(3, "c")
        assert [r.chat_id for r in server.sent] == [1, 2]


async def test_blocked_chat_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block_chat(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello?")
    fake.unblock_chat(CHAT)
    assert (await bot.send_message(CHAT, "hello again")).text == "hello again"


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    wrong = "654321:WRONG-token-abcdefghijklmnopqrstuv"
    with pytest.raises(InvalidToken, match="rejected"):
        async with Bot(wrong, base_url=fake.base_url):
            pass
    assert [(r.method, r.status) for r in fake.requests] == [("getMe", 401)]
    assert all(wrong not in repr(r) for r in fake.requests)


async def test_raw_http_unknown_method_json_and_multipart(fake: FakeTelegram) -> None:
    url = f"{fake.base_url}{fake.token}"
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{url}/sendPhoto", data={"chat_id": "1"})
        as_json = await client.post(
            f"{url}/SENDMESSAGE",
            json={
                "chat_id": 7,
                "text": "[json] body",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
            },
        )
        multipart = await client.post(
            f"{url}/sendMessage",
            data={"chat_id": "8", "text": "multi"},
            files={"doc": ("a.txt", b"xyz")},
        )
        too_long_data = await client.post(
            f"{url}/sendMessage",
            json={
                "chat_id": 9,
                "text": "t",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x" * 65}]]},
            },
        )
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert as_json.json()["result"]["text"] == "[json] body"
    assert multipart.json()["result"]["chat"]["id"] == 8
    assert too_long_data.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    assert fake.requests[2].params["doc"] == {"filename": "a.txt", "size": 3}
    assert [r.method for r in fake.sent] == ["sendMessage", "sendMessage"]


async def test_long_poll_wakes_on_push_and_honours_offset(fake: FakeTelegram, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.2, fake.push_message, CHAT, "/watch Lachin")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=3)
    assert time.monotonic() - started < 1.5
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/watch Lachin"
    assert message.entities == (MessageEntity("bot_command", 0, 6),)
    assert (await bot.get_updates(timeout=0))[0].update_id == updates[0].update_id
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == []
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.3)) == ()
    assert time.monotonic() - started >= 0.25


async def test_group_commands_and_dropped_updates(fake: FakeTelegram, bot: Bot) -> None:
    update = fake.push_message(
        -100,
        "/watch@newswatch_test_bot Karabakh",
        user_id=7,
        chat_type="supergroup",
        chat_title="Desk",
    )
    assert update["message"]["entities"][0]["length"] == len("/watch@newswatch_test_bot")
    with pytest.raises(ValueError, match="user_id"):
        fake.push_message(-100, "hi", chat_type="group")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


async def test_callback_round_trip_and_edits(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "page 1", reply_markup=keyboard("page:2"))
    fake.push_callback(CHAT, sent.message_id, "page:2")
    [update] = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert query is not None
    assert query.data == "page:2"
    assert isinstance(query.message, Message)
    assert query.message.text == "page 1"
    assert query.message.reply_markup == keyboard("page:2")
    assert await query.answer("ok")
    assert fake.answered_callbacks[0]["text"] == "ok"
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("twice")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "page 1", CHAT, sent.message_id, reply_markup=keyboard("page:2")
        )
    edited = await bot.edit_message_text("page <b>2</b>", CHAT, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, Message)
    assert edited.text == "page 2"
    assert edited.reply_markup is None
    assert fake.messages(CHAT)[0]["text"] == "page 2"
    assert "reply_markup" not in fake.messages(CHAT)[0]
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("p:1"))
    assert [r.method for r in fake.sent] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("nope", CHAT, 999)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        ("creator", ChatMemberOwner),
        ("administrator", ChatMemberAdministrator),
        (None, ChatMemberMember),
        ("restricted", ChatMemberRestricted),
        ("left", ChatMemberLeft),
        ("kicked", ChatMemberBanned),
    ],
)
async def test_get_chat_member_parses_into_ptb_classes(
    fake: FakeTelegram, bot: Bot, status: str | None, cls: type
) -> None:
    if status is not None:
        fake.set_member_status(-100, 7, status)
    member = await bot.get_chat_member(-100, 7)
    assert type(member) is cls
    assert member.user.id == 7


async def test_commands_are_stored_and_validated(fake: FakeTelegram, bot: Bot) -> None:
    mark = fake.request_mark()
    assert fake.commands is None
    await bot.set_my_commands([("watch", "Watch a keyword")])
    record = await fake.wait_for_request("setmycommands", since=mark, timeout=1)
    assert record.status == 200
    assert fake.commands == [{"command": "watch", "description": "Watch a keyword"}]
    assert [c.command for c in await bot.get_my_commands()] == ["watch"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Watch", "capital letters are rejected")])


async def test_wait_for_sent_filters_and_explains_timeouts(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "before the mark")
    mark = fake.mark()
    await bot.send_message(CHAT + 1, "other chat")
    await bot.send_message(CHAT, "after the mark")
    records = await fake.wait_for_sent(since=mark, chat_id=CHAT, timeout=1)
    assert [r.text for r in records] == ["after the mark"]
    with pytest.raises(AssertionError, match="other chat"):
        await fake.wait_for_sent(lambda r: "never" in r.text, since=mark, timeout=0.1)


async def test_stop_releases_a_pending_long_poll() -> None:
    server = FakeTelegram().start()
    url = f"{server.base_url}{server.token}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as client:
        poll = asyncio.create_task(client.post(url, data={"timeout": "30"}))
        await until(lambda: server.waiting_polls == 1, "the long poll to wait in the fake")
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 2
        done, _ = await asyncio.wait({poll}, timeout=2)
        assert done == {poll}
        assert poll.exception() is not None or poll.result().json()["result"] == []


async def test_ptb_application_polls_the_fake(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"hello <b>{context.args}</b>")

    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("watch", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        mark = fake.mark()
        fake.push_message(CHAT, "/watch Lachin")
        [record] = await fake.wait_for_sent(since=mark, chat_id=CHAT, timeout=3)
        await app.updater.stop()
        await app.stop()
    assert record.text == "hello ['Lachin']"
    assert record.entities == [{"type": "bold", "offset": 6, "length": 10}]
