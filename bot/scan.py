"""`newswatch scan`: one poll without Telegram, printing what would be alerted.

It takes the bot's path, without the store: the given feeds (URLs or files) or the configured
sources are fetched and parsed, their reports (each once) made plain and matched in one step of
the CPU worker (`watchers.matchlane`), for the given keywords or the stored watchlists as one
chat watching them forever; the hits go through the alerts' fan-out (`watchers.fanout`) and the
matches are summarised. The same step groups every report read into stories, in order of
publication, with no stories from before (`story` in the JSON: the id of the story's first
report). Nothing is kept, so it is safe to run beside a live bot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from bot.config import Settings
from bot.render import headline, when_text
from bot.services import http_client, llm_config, sources_of
from bot.store import StorageError, load_chats
from watchers.alerts import Summariser
from watchers.fanout import EVER, fan_out
from watchers.feeds import parse_feed
from watchers.feeds.source import FeedSource
from watchers.markup import cut
from watchers.matching import (
    AliasBook,
    KeywordError,
    load_aliases,
    split_keywords,
    validate_keyword,
)
from watchers.matchlane import MatcherCache
from watchers.models import Alert, Report, SourceState, Subscription
from watchers.poll import collect
from watchers.sources import Source

__all__ = ["ScanError", "SourcesFailed", "parse_keywords", "scan"]

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


@dataclass(slots=True)
class _Gathered:
    """The reports as the sources gave them, an error per failed source, and how many sources
    could be read at all."""

    reports: list[Report] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    read: int = 0


def _from_files(feeds: Sequence[str], gathered: _Gathered) -> list[str]:
    """Parse the feeds that are files (here: a dry run has no loop to keep free); return the
    others, which must be URLs."""
    urls: list[str] = []
    for feed in feeds:
        path = Path(feed)
        if not path.is_file():
            if not feed.startswith(("http://", "https://")):
                raise ScanError(f"--feed {feed}: no such file, and not an http(s) URL.")
            urls.append(feed)
            continue
        try:
            body = path.read_bytes()
        except OSError as error:
            gathered.errors.append(f"{feed}: {error.strerror or error}")
            continue
        result = parse_feed(body, source=path.name, feed_url=path.resolve().as_uri())
        gathered.reports += result.reports
        if result.ok or result.reports:  # a broken file that still gave reports was read
            gathered.read += 1
        if not result.ok:
            gathered.errors.append(f"{feed}: {result.error}")
    return urls


async def _gather(
    client: httpx.AsyncClient,
    gathered: _Gathered,
    sources: Sequence[Source],
    keywords: Sequence[str],
    aliases: AliasBook,
) -> None:
    """Fetch and parse the sources into `gathered`, then keep each report once."""
    for source in sources:
        collected = await collect(
            client, source, SourceState(), keywords, aliases, datetime.now(UTC)
        )
        gathered.reports += collected.reports
        if collected.error:
            gathered.errors.append(f"{source.name}: {collected.error}")
        else:
            gathered.read += 1
    gathered.reports = list({r.id: r for r in gathered.reports}.values())


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
            "story": report.story,
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
    subscriptions = [Subscription(0, keyword, EVER) for keyword in keywords]
    sources = [] if feeds else sources_of(settings)
    if not feeds and not sources:
        raise ScanError(
            "No sources to read: pass --feed, or set NEWSWATCH_FEEDS, NEWSWATCH_DEFAULT_SOURCES, "
            "NEWSWATCH_GOOGLE_NEWS_URL or NEWSWATCH_GDELT_URL."
        )
    gathered = _Gathered()
    urls = _from_files(feeds, gathered)
    online = bool(sources or urls)
    async with http_client(settings, *feeds) as client:
        await _gather(
            client, gathered, [*sources, *(FeedSource(u, u, 0) for u in urls)], keywords, aliases
        )
        errors = gathered.errors
        if not gathered.read:
            raise SourcesFailed(
                f"no source could be read ({len(errors)} failed): {_one_line(errors)}."
            )
        summariser = Summariser(client, llm=llm_config(settings), fetch_articles=online)
        matchers = MatcherCache(aliases)
        reports, matched, audience = await matchers.clean_and_match(
            gathered.reports, subscriptions, None, datetime.now(UTC)
        )
        matches = [
            (report, match)
            for report in reports
            for match in fan_out(report, matchers.hits(matched.hits.get(report.id)), audience)
        ]
        alerts = await summariser.alerts(matches)
    for error in errors:
        print(f"newswatch scan: skipped a source: {error}", file=err)
    for alert in sorted(alerts, key=lambda a: a.report.published or EVER, reverse=True):
        print(_as_json(alert) if as_json else _as_text(alert), file=out)
    if not as_json:
        print(f"{len(alerts)} of {len(reports)} reports match {', '.join(keywords)}.", file=err)
