"""The outbox table: queuing a poll's alerts, the order the sender reads them in, and the
sender's outcomes.

Fairness inside a chat: every entry has a turn. A poll's entries for a chat continue after that
source's entries still pending for the chat; a source with none pending starts at the chat's
current turn (its lowest pending one). The sender reads each chat's entries by turn, so a second
source's alert goes out right after the entry now at the head of the chat's queue, however long
another source's backlog is. Across chats nothing changes: which chats the sender reads, and
in what order, is by the age of their oldest due entries (through `outbox_pending`, as before),
and it still takes one entry a chat per pass; only which of a chat's entries comes next is by
turn (through `outbox_turns`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.store.codec import iso, parse_iso, stored_report
from bot.store.database import Database, chunks, placeholders
from bot.store.records import OutboxStatus, Outcome
from bot.store.schema import OUTBOX_COLUMNS, OUTLET, REPORT_COLUMNS
from watchers.models import Alert, Edit, Outlet, Overflow, Report
from watchers.telling import COALESCE, Told, tell

__all__ = [
    "Outbox",
    "OutboxSQL",
    "due",
    "forget_reports",
    "hold_chat",
    "move_chat",
    "queue",
    "release_chat",
]


_AFTER_CHAT_ID = OUTBOX_COLUMNS.split(", ", 1)[1]
_ENTRY = (
    "o.chat_id, o.keyword, o.form, o.summary, o.context, o.more, o.origin, o.edits, "
    "o.message_id, o.report_id, " + ", ".join(f"r.{c.strip()}" for c in REPORT_COLUMNS.split(","))
)
_ENTRY_FIELDS = 10
"""An outbox entry with its report: the entry's fields (chat_id, keyword, form, summary,
context, more, origin, edits, message_id, report_id), then `REPORT_COLUMNS`."""
STORY_OUTLETS = 60
"""Reports of a story read to name its outlets: more than any alert names."""


class OutboxSQL:
    """Every statement on the outbox; `{ids}` stands for a list of `?` placeholders."""

    queue_alert = (
        f"INSERT INTO outbox ({OUTBOX_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, ?, ?, ?, ?, ?, ?, NULL) "
        "ON CONFLICT DO NOTHING"
    )
    # the chat's latest alert of a story (through the story's reports: a handful)
    story_alert = (
        "SELECT o.report_id, o.created FROM reports r JOIN outbox o "
        "ON o.chat_id = ? AND o.report_id = r.id "
        "WHERE r.story = ? AND o.edits IS NULL AND o.more = 0 ORDER BY o.created DESC LIMIT 1"
    )
    pending_edit = (
        "SELECT 1 FROM outbox WHERE chat_id = ? AND edits = ? AND status = 'pending' LIMIT 1"
    )
    story_outlets = f"SELECT COUNT(DISTINCT {OUTLET}) FROM reports WHERE story = ?"
    turns = (
        "SELECT chat_id, MIN(turn), MAX(CASE WHEN source = ? THEN turn END) FROM outbox "
        "WHERE status = 'pending' AND chat_id IN ({ids}) GROUP BY chat_id"
    )
    due_chats = (
        "SELECT chat_id FROM outbox WHERE status = 'pending' AND next_attempt <= ? {skip}"
        "ORDER BY next_attempt, created, chat_id LIMIT ?"
    )
    skip_chats = "AND chat_id NOT IN ({ids}) "
    chat_next = (
        f"SELECT {_ENTRY} FROM outbox o JOIN reports r ON r.id = o.report_id "
        "WHERE o.chat_id = ? AND o.status = 'pending' "
        "ORDER BY o.turn, o.next_attempt, o.created, o.report_id LIMIT ?"
    )
    """A chat's next entries by turn. Not filtered on `next_attempt`: a pending entry is due from
    the moment it is queued, and that filter would lead SQLite to `outbox_pending`, whose order
    is not by chat, instead of `outbox_turns`."""
    entry = (
        f"SELECT {_ENTRY} FROM outbox o JOIN reports r ON r.id = o.report_id "
        "WHERE o.chat_id = ? AND o.report_id = ? AND o.status = 'sent'"
    )
    story_reports = (
        "SELECT outlet, domain, language, country, url FROM reports WHERE story = ? "
        "ORDER BY sort_time, id LIMIT ?"
    )
    set_status = (
        "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, "
        "next_attempt = ?, message_id = COALESCE(?, message_id) "
        "WHERE chat_id = ? AND report_id = ? AND status IN ('pending', 'held')"
    )
    hold_chat = (
        "UPDATE outbox SET status = 'held', last_error = ? WHERE chat_id = ? AND status = 'pending'"
    )
    release_chat = (
        "UPDATE outbox SET status = 'pending', last_error = NULL "
        "WHERE chat_id = ? AND status = 'held' AND created >= ?"
    )
    drop_held = (
        "UPDATE outbox SET status = 'dropped', last_error = ? WHERE chat_id = ? AND status = 'held'"
    )
    copy_chat = (
        f"INSERT INTO outbox ({OUTBOX_COLUMNS}) SELECT ?, {_AFTER_CHAT_ID} FROM outbox "
        "WHERE chat_id = ? ON CONFLICT DO NOTHING"
    )
    delete_chat = "DELETE FROM outbox WHERE chat_id = ?"
    prune = "DELETE FROM outbox WHERE report_id IN (SELECT id FROM reports WHERE last_seen < ?)"
    prune_done = "DELETE FROM outbox WHERE status IN ('sent', 'dropped') AND next_attempt < ?"
    count_status = "SELECT status, count(*) FROM outbox GROUP BY status"


def _next_turns(connection: sqlite3.Connection, source: str, chats: list[int]) -> dict[int, int]:
    """Each chat's turn for the source's next entry: after the source's entries still pending
    for it, else the chat's current turn, else 0."""
    turns: dict[int, int] = {}
    for chunk in chunks(chats):
        sql = OutboxSQL.turns.format(ids=placeholders(len(chunk)))
        for chat_id, lowest, own in connection.execute(sql, (source, *chunk)):
            turns[chat_id] = lowest if own is None else own + 1
    return turns


def _told(connection: sqlite3.Connection, alert: Alert, now: datetime) -> tuple[Told, str | None]:
    """What the chat gets for this alert's report (`watchers.telling.tell`), and the report
    whose alert an edit changes."""
    story = alert.report.story
    if alert.more or not story:
        return Told.ALERT, None
    row = connection.execute(OutboxSQL.story_alert, (alert.chat_id, story)).fetchone()
    if row is None:
        return Told.ALERT, None

    def outlets() -> int:
        return int(connection.execute(OutboxSQL.story_outlets, (story,)).fetchone()[0])

    lead, alerted = row
    told = tell(parse_iso(alerted), now, outlets)
    if (
        told is Told.EDIT
        and connection.execute(OutboxSQL.pending_edit, (alert.chat_id, lead)).fetchone()
    ):
        return Told.NOTHING, None  # an edit is already waiting: it will show this report too
    return told, lead


def queue(
    connection: sqlite3.Connection,
    source: str,
    alerts: Sequence[Alert],
    overflow: Sequence[Overflow],
    stored_now: Collection[str],
    now: str,
) -> list[Alert]:
    """Queue the poll's alerts of reports stored in this transaction, then each chat's line for
    its reports past the cap (counting only those stored now: another poll may have stored some
    first). A report of a story the chat was alerted of becomes an edit of that alert, or
    nothing (`watchers.telling`). Returns the alerts queued. Runs inside the poll's
    transaction."""
    entries = [alert for alert in alerts if alert.report.id in stored_now]
    for line in overflow:
        reports = [report for report in line.reports if report.id in stored_now]
        if reports:
            more, origin = len(reports), line.origin
            entries.append(Alert(line.chat_id, reports[0], line.keyword, "", "", "", more, origin))
    turns = _next_turns(connection, source, list(dict.fromkeys(a.chat_id for a in entries)))
    queued: list[Alert] = []
    at = datetime.fromisoformat(now)
    edit_at = iso(at + COALESCE)
    for alert in entries:
        told, lead = _told(connection, alert, at)
        if told is Told.NOTHING:
            continue
        turn = turns.get(alert.chat_id, 0)
        row: tuple[Any, ...] = (
            alert.chat_id,
            alert.report.id,
            alert.keyword,
            alert.form,
            alert.summary,
            now,
            edit_at if told is Told.EDIT else now,
            alert.context,
            source,
            turn,
            alert.more,
            alert.origin,
            lead if told is Told.EDIT else None,
        )
        if connection.execute(OutboxSQL.queue_alert, row).rowcount == 1:
            turns[alert.chat_id] = turn + 1
            if told is Told.ALERT:
                queued.append(alert)
    return queued


def _others(connection: sqlite3.Connection, report: Report) -> tuple[Outlet, ...]:
    """The outlets that also carried the report's story, first to last, each once, the
    report's own outlet left out."""
    if not report.story:
        return ()
    seen = {report.publisher}
    others: list[Outlet] = []
    rows = connection.execute(OutboxSQL.story_reports, (report.story, STORY_OUTLETS))
    for outlet, domain, language, country, url in rows:
        name = outlet or domain
        if name and name not in seen:
            seen.add(name)
            others.append(Outlet(name, language, country, url))
    return tuple(others)


def _alert(connection: sqlite3.Connection, row: Sequence[Any]) -> Alert:
    """An outbox row as an alert, with its story's outlets as they are now."""
    chat_id, keyword, form, summary, context, more, origin = row[:7]
    report = stored_report(row[_ENTRY_FIELDS:]).report
    others = _others(connection, report) if not more else ()
    return Alert(chat_id, report, keyword, form, summary, context, more, origin, others)


def _entry(connection: sqlite3.Connection, row: Sequence[Any]) -> Alert | Edit:
    """An outbox row as what the sender sends: an alert, or an edit of the alert it names. An
    edit of an alert not sent (whose send will show the story as it is then) or pruned has no
    message to change."""
    chat_id, edits, entry = row[0], row[7], row[9]
    if edits is None:
        return _alert(connection, row)
    lead = connection.execute(OutboxSQL.entry, (chat_id, edits)).fetchone()
    if lead is None:
        return Edit(_alert(connection, row), None, entry)
    return Edit(_alert(connection, lead), lead[8], entry)


def due(
    connection: sqlite3.Connection, now: str, skip_chats: Collection[int], limit: int
) -> list[Alert | Edit]:
    """Up to `limit` pending entries due by `now`, none of the chats in `skip_chats`.

    Which chats, and where each chat's entries stand in the batch, is by age as it always was
    (the oldest entries due, through the index); only which of a chat's entries fill its places
    is by turn, so a chat's next entry is the one its round-robin across sources puts first.
    """
    skipped = list(skip_chats)
    skip = OutboxSQL.skip_chats.format(ids=placeholders(len(skipped))) if skipped else ""
    oldest = connection.execute(OutboxSQL.due_chats.format(skip=skip), (now, *skipped, limit))
    places = [chat_id for (chat_id,) in oldest]
    by_turn = {
        chat_id: iter(connection.execute(OutboxSQL.chat_next, (chat_id, count)).fetchall())
        for chat_id, count in Counter(places).items()
    }
    batch: list[Alert | Edit] = []
    for place in places:
        row = next(by_turn[place], None)  # None: sent or set aside between the two reads
        if row is not None:
            batch.append(_entry(connection, row))
    return batch


def forget_reports(connection: sqlite3.Connection, cutoff: str) -> None:
    """Delete the entries of the reports retention is about to forget (last seen before
    `cutoff`), inside the same transaction."""
    connection.execute(OutboxSQL.prune, (cutoff,))


def hold_chat(connection: sqlite3.Connection, chat_id: int, reason: str) -> int:
    """Set the chat's pending alerts aside (the chat cannot be reached); how many."""
    return connection.execute(OutboxSQL.hold_chat, (reason, chat_id)).rowcount


def release_chat(connection: sqlite3.Connection, chat_id: int, since: datetime, reason: str) -> int:
    """Queue the chat's set-aside alerts created since `since` again and drop older ones with
    `reason`; how many were queued again."""
    released = connection.execute(OutboxSQL.release_chat, (chat_id, iso(since))).rowcount
    connection.execute(OutboxSQL.drop_held, (reason, chat_id))
    return released


def move_chat(connection: sqlite3.Connection, old: int, new: int) -> None:
    """Move the chat's entries to its new id (a group became a supergroup); an entry the new
    id already has for the same report wins."""
    connection.execute(OutboxSQL.copy_chat, (new, old))
    connection.execute(OutboxSQL.delete_chat, (old,))


class Outbox:
    """The outbox as the sender and the jobs see it (`Polls` queues a poll's alerts)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending(
        self, limit: int, now: datetime | None = None, skip_chats: Collection[int] = ()
    ) -> list[Alert | Edit]:
        """Queued alerts and edits due by `now` (default: the present) and not yet sent, in the
        order of `due`, leaving out the chats in `skip_chats` (those the sender must not send
        to yet: a group at its rate limit, a chat told to wait)."""
        at = iso(now or datetime.now(UTC))
        return await self._db.read(lambda connection: due(connection, at, skip_chats, limit))

    async def finish(self, outcomes: Sequence[Outcome]) -> None:
        """Record many sends' outcomes in one transaction: the sender's group commit. Done
        entries never change again."""
        when = iso(datetime.now(UTC))
        rows = [
            (o.status.value, o.reason, when, o.message_id, o.chat_id, o.report_id) for o in outcomes
        ]
        if not rows:
            return

        def run(connection: sqlite3.Connection) -> None:
            connection.executemany(OutboxSQL.set_status, rows)

        await self._db.write(run)

    async def counts(self) -> dict[OutboxStatus, int]:
        """How many entries are in each status, for operators."""

        def count(connection: sqlite3.Connection) -> dict[OutboxStatus, int]:
            rows = connection.execute(OutboxSQL.count_status).fetchall()
            return {OutboxStatus(status): number for status, number in rows}

        return await self._db.read(count)

    async def prune_done(self, before: datetime) -> int:
        """Delete entries sent or dropped before `before`: their reports' rows keep them from
        being queued again, so the done entries themselves need not stay."""

        def run(connection: sqlite3.Connection) -> int:
            return connection.execute(OutboxSQL.prune_done, (iso(before),)).rowcount

        return await self._db.write(run)
