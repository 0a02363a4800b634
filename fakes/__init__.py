"""Stand-ins for the services the bot talks to, for the tests and the benchmarks only (never
imported by the bot itself, and not installed with it): a fake Telegram Bot API
(`fakes.telegram`), a loopback feed server (`fakes.feeds`), handwritten RSS (`fakes.rss`), and
where the repository is with the settings that keep a run offline (`fakes.environment`).

Both `tests/` and `bench/` import it from the repository's root.
"""

from fakes.environment import OFFLINE, ROOT
from fakes.feeds import FeedServer, Request, Route
from fakes.rss import Item, make_rss
from fakes.telegram import (
    BOT_FIRST_NAME,
    BOT_USERNAME,
    DEFAULT_TOKEN,
    ApiError,
    FakeTelegram,
    RequestRecord,
    SentRecord,
    parse_html,
)

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "OFFLINE",
    "ROOT",
    "ApiError",
    "FakeTelegram",
    "FeedServer",
    "Item",
    "Request",
    "RequestRecord",
    "Route",
    "SentRecord",
    "make_rss",
    "parse_html",
]
