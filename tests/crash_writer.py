"""Writes chats and poll outcomes in a loop until killed: `python -m tests.crash_writer DIR RUN`.

The crash test kills it with SIGKILL at random moments and then checks what is on disk. Poll `i`
of run `RUN` stores 20 reports `RUN-i-n` and the source state with etag `RUN-i`, in one
transaction, so the stored etag tells exactly which reports must (and must not) exist.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.store import Chat, OutboxStatus, Outcome, Store, WatchEntry
from watchers.models import Alert, PollOutcome, Report, SourceState

REPORTS_PER_POLL = 20


def _reports(run: str, poll: int) -> list[Report]:
    return [
        Report(
            id=f"https://crash.test/{run}-{poll}-{n}",
            url=f"https://crash.test/{run}-{poll}-{n}",
            canonical_url=f"https://crash.test/{run}-{poll}-{n}",
            title=f"Crash test report {run} {poll} {n}",
            text="Body text. " * 50,
            domain="crash.test",
        )
        for n in range(REPORTS_PER_POLL)
    ]


async def main(folder: Path, run: str) -> None:
    store = Store.open(folder)
    print("ready", flush=True)
    now = datetime.now(UTC)
    poll = 0
    while True:
        await store.chats.save(
            Chat(chat_id=poll % 300, title=f"{run}-{poll}", watches=[WatchEntry("Lachin", now)])
        )
        reports = _reports(run, poll)
        alerts = [Alert(poll % 300, r, "Lachin", "Lachin", "Summary.") for r in reports[:5]]
        state = SourceState(etag=f"{run}-{poll}")
        outcome = PollOutcome("crash", state, now, reports, reports, alerts)
        queued = await store.polls.record_poll(outcome)
        sent = [Outcome(a.chat_id, a.report.id, OutboxStatus.SENT) for a in queued[:2]]
        await store.outbox.finish(sent)
        poll += 1


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
