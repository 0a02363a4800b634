"""A fake Telegram Bot API server for end-to-end tests and benchmarks of the real PTB
``Application``.

Tests point PTB at it with ``ApplicationBuilder().token(TOKEN).base_url(fake.base_url)``; it
listens on 127.0.0.1 (OS-chosen port) in a daemon thread, so it runs independently of the test's
event loop, and requests arrive as ``POST|GET /bot<TOKEN>/<method>``.

What it emulates, copying Telegram's behaviour and error wording:

* Transport: form-urlencoded (what PTB's ``HTTPXRequest`` sends, with complex values such as
  ``reply_markup`` as JSON strings), JSON bodies, multipart bodies and query strings. Method names
  are case-insensitive. Wrong token -> 401 ``Unauthorized``; unknown method -> 404 ``Not Found``.
* Methods: getMe, getUpdates (``offset`` confirms and drops older updates, negative offsets,
  ``limit``, long-poll ``timeout`` that wakes as soon as an update is pushed), deleteWebhook
  (``drop_pending_updates`` drops the queue), sendMessage, editMessageText,
  editMessageReplyMarkup, answerCallbackQuery, setMyCommands, getMyCommands, getChatMember,
  getChat.
* Message text: empty -> ``message text is empty``; more than 4096 UTF-16 units after entity
  parsing -> ``message is too long``; leading/trailing whitespace is trimmed as Telegram does.
* ``parse_mode=HTML``: a port of tdlib's ``parse_html`` (Telegram's own parser): only Telegram's
  tags, the same ``can't parse entities: ...`` messages with byte offsets, ``&lt; &gt; &amp;
  &quot;`` and numeric references decoded, entities returned with UTF-16 offsets. One deliberate
  difference: Telegram keeps a bare ``&`` that starts no known entity as a literal character; with
  ``strict_ampersand=True`` (the default) the fake rejects it (``Unescaped "&" at byte offset N``)
  so that forgotten escaping is caught even when a headline happens to contain no ``<``.
  Markdown parse modes are accepted but not parsed.
* Inline keyboards: ``callback_data`` must be 1-64 bytes (``BUTTON_DATA_INVALID``), a button needs
  an action, URL buttons need an http(s)/tg URL. Only inline keyboards are echoed in messages.
* Edits: unknown message -> ``message to edit not found``; a user's message -> ``message can't be
  edited``; same text, entities and keyboard -> ``message is not modified: ...``. As in Telegram,
  editMessageText without ``reply_markup`` removes the message's inline keyboard.
* A chat marked with :meth:`FakeTelegram.block_chat` -> 403 ``Forbidden: bot was blocked by the
  user`` (``bot was kicked from the group chat`` for groups).
  :meth:`~FakeTelegram.delete_chat` -> 400 ``chat not found``; :meth:`~FakeTelegram.migrate_chat`
  -> 400 with ``parameters.migrate_to_chat_id`` (PTB's ``ChatMigrated``) plus the two migration
  service messages; :meth:`~FakeTelegram.set_outage` -> every call answers 502 ``Bad Gateway``.
* Forum topics (:meth:`~FakeTelegram.add_forum`): ``message_thread_id`` must name an open topic
  (else ``message thread not found``) and is echoed in the message and in ``SentRecord``.
* Channels (:meth:`~FakeTelegram.add_channel`): getChat by ``@username``, getChatMember with
  the administrators' and the bot's rights (``can_post_messages``); a bot that may not post gets
  ``need administrator rights in the channel chat``.
* Flood control on sendMessage: a token bucket per chat (burst 3, 1 message/s by default) and a
  bot-wide bucket (30 messages/s) -> 429 ``Too Many Requests: retry after N`` with
  ``parameters.retry_after``. Rejected calls are not recorded as sent.
* Answering an unknown or already answered callback query -> ``query is too old and response
  timeout expired or query ID is invalid``; setMyCommands validates command names
  (``BOT_COMMAND_INVALID``) and descriptions.

Not emulated: webhooks, files, inline mode, group-specific limits (20 messages/minute), the 409
``Conflict`` Telegram returns for concurrent getUpdates calls, link previews, URL auto-detection.

Modules, from the bottom up: ``errors`` (Telegram's error answers), ``html`` (the HTML subset
parser), ``records`` (what is recorded, users and members), ``checks`` (what Telegram refuses,
flood control's bucket), ``transport`` (the HTTP server, parameter decoding), ``world`` (chats,
messages, members, what was sent; the test-side calls that change them), ``api`` (the Bot API
methods) and ``server`` (``FakeTelegram``: the API on a live transport, and the read-back).
"""

from fakes.telegram.errors import ApiError
from fakes.telegram.html import parse_html
from fakes.telegram.records import (
    BOT_FIRST_NAME,
    BOT_USERNAME,
    DEFAULT_TOKEN,
    RequestRecord,
    SentRecord,
)
from fakes.telegram.server import FakeTelegram

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiError",
    "FakeTelegram",
    "RequestRecord",
    "SentRecord",
    "parse_html",
]
