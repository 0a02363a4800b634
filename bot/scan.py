"""`newswatch scan`: one poll without Telegram, printing what would be alerted.

It runs the same pipeline as the bot (collect -> match -> summarise) on the given feeds (URLs or
files) or on the configured sources, for the given keywords or the stored watchlists, and keeps
nothing, so it is safe to run beside a live bot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from bot.config import Settings
from bot.render import headline, when_text
from bot.services import http_client, llm_config, sources_of
from bot.storage import StorageError, load_chats
from watchers.alerts import Summariser
from watchers.fanout import match_reports, since_of
from watchers.feeds import FeedSource, parse_feed
from watchers.fetch import SourceState
from watchers.markup import cut
from watchers.matching import (
    AliasBook,
    KeywordError,
    Matcher,
    load_aliases,
    place_vetoes,
    split_keywords,
    validate_keyword,
)
from watchers.models import Alert, Report, Subscription
from watchers.poll import collect, plain_reports
from watchers.sources import Source

__all__ = ["ScanError", "SourcesFailed", "parse_keywords", "scan"]

_EVER = datetime(1970, 1, 1, tzinfo=UTC)  # a dry run shows every match, however old
_MAX_REASON = 160  # characters of one source's error in the one-line failure message


class ScanError(Exception):
    """The scan cannot start; the message is one sentence for the user."""


class SourcesFailed(Exception):
    """Every source failed, so "nothing matches" would be a lie; the message names the failures."""


def parse_keywords(line: str) -> list[str]:
    """The --keywords option, checked by the same rules as /watch."""
    keywords = []
    for raw in split_keywords(line):
        try:
            keyword = validate_keyword(raw)
        except KeywordError as error:
            raise ScanError(f"--keywords: {raw!r}: {error}") from None
        keywords.append(keyword)
    if not keywords:
        raise ScanError("--keywords is empty; give at least one keyword.")
    return keywords


def _stored_keywords(settings: Settings) -> list[str]:
    try:
        chats = load_chats(settings.data_dir, settings.legacy_db_path)
    except StorageError as error:
        raise ScanError(
            f"NEWSWATCH_DATA_DIR {settings.data_dir} cannot be read: {error}."
        ) from None
    return list(dict.fromkeys(kw for chat in chats for kw in chat.keywords))


async def _reports(
    client: httpx.AsyncClient,
    feeds: Sequence[str],
    sources: Sequence[Source],
    subscriptions: Sequence[Subscription],
    aliases: AliasBook,
) -> tuple[list[Report], list[str], int]:
    """The reports, an error per failed source, and how many sources could be read at all."""
    reports: list[Report] = []
    errors: list[str] = []
    read = 0
    for feed in feeds:
        path = Path(feed)
        if path.is_file():
            try:
                body = path.read_bytes()
            except OSError as error:
                errors.append(f"{feed}: {error.strerror or error}")
                continue
            result = parse_feed(body, source=path.name, feed_url=path.resolve().as_uri())
            reports += plain_reports(result.reports)
            if result.ok or result.reports:  # a broken file that still gave reports was read
                read += 1
            if not result.ok:
                errors.append(f"{feed}: {result.error}")
            continue
        if not feed.startswith(("http://", "https://")):
            raise ScanError(f"--feed {feed}: no such file, and not an http(s) URL.")
        sources = [*sources, FeedSource(feed, feed, 0)]
    for source in sources:
        collected = await collect(
            client, source, SourceState(), subscriptions, aliases, datetime.now(UTC)
        )
        reports += collected.reports
        if collected.error:
            errors.append(f"{source.name}: {collected.error}")
        else:
            read += 1
    return list({r.id: r for r in reports}.values()), errors, read


def _one_line(errors: Sequence[str]) -> str:
    """The failures joined into one line, each cut short, for a message that must fit a log."""
    return "; ".join(cut(" ".join(error.split()), _MAX_REASON) for error in errors)


def _as_json(alert: Alert) -> str:
    report = alert.report
    return json.dumps(
        {
            "title": report.title,
            "url": report.url,
            "source": report.publisher,
            "published": report.published.isoformat() if report.published else None,
            "matched": {"keyword": alert.keyword, "form": alert.form},
            "summary": alert.summary,
        },
        ensure_ascii=False,
    )


def _as_text(alert: Alert) -> str:
    report = alert.report
    details = " · ".join(
        filter(
            None,
            [
                report.publisher,
                when_text(report.published) if report.published else "",
                f"matched {alert.keyword} as “{alert.form}”",
            ],
        )
    )
    title = headline(report, report.published)
    return f"{title}\n  {details}\n  {alert.summary}\n  {report.url}\n"


async def scan(
    settings: Settings,
    *,
    keywords: list[str] | None,
    feeds: Sequence[str],
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> None:
    """Poll once and print the would-be alerts."""
    keywords = keywords if keywords is not None else _stored_keywords(settings)
    if not keywords:
        raise ScanError(
            "No keywords to look for: pass --keywords, or /watch some in the bot first."
        )
    aliases = load_aliases()
    subscriptions = [Subscription(0, keyword, _EVER) for keyword in keywords]
    sources = [] if feeds else sources_of(settings)
    if not feeds and not sources:
        raise ScanError(
            "No sources to read: pass --feed, or set NEWSWATCH_FEEDS, NEWSWATCH_DEFAULT_SOURCES, "
            "NEWSWATCH_GOOGLE_NEWS_URL or NEWSWATCH_GDELT_URL."
        )
    online = bool(sources) or any(not Path(feed).is_file() for feed in feeds)
    async with http_client(settings, *feeds) as client:
        reports, errors, read = await _reports(client, feeds, sources, subscriptions, aliases)
        if not read:
            raise SourcesFailed(
                f"no source could be read ({len(errors)} failed): {_one_line(errors)}."
            )
        summariser = Summariser(client, llm=llm_config(settings), fetch_articles=online)
        watches = [(s.chat_id, s.keyword) for s in subscriptions]
        vetoes = place_vetoes(watches, aliases)
        matcher = Matcher.build([*watches, *vetoes], aliases)
        matched = match_reports(reports, since_of(subscriptions), matcher, vetoes)
        alerts = await summariser.alerts(matched)
    for error in errors:
        print(f"newswatch scan: skipped a source: {error}", file=err)
    for alert in sorted(alerts, key=lambda a: a.report.published or _EVER, reverse=True):
        print(_as_json(alert) if as_json else _as_text(alert), file=out)
    if not as_json:
        print(f"{len(alerts)} of {len(reports)} reports match {', '.join(keywords)}.", file=err)
