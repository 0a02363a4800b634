"""Time the keyword matcher at scale: `python -m bench.matching [--chats N] [--per-chat K]`.

Builds one Matcher over N chats with K watches each (by default 10,000 x 5: names from the alias
file, common news words, phrases, OR and exclusions, plus two watches unique to each chat), then
times `match` over about 200 reports. The reports are the recorded real feeds in
../shared/fixtures/real when present, otherwise generated text; the source is printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import feedparser

from watchers.matching import AliasBook, Matcher, load_aliases

__all__ = ["main", "make_watches", "read_reports"]

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
FEED_FILES = ("rss_bbc_world.xml", "rss_aljazeera_all.xml", "rdf_rss10_dw_all.xml")
NEWS_WORDS = (
    "war", "election", "ceasefire", "sanctions", "protest", "border", "drone", "refugees",
    "Ukraine", "Russia", "Iran", "Turkey", "Israel", "Gaza", "China", "Trump", "Putin", "NATO",
    "United Nations", "European Union", "oil", "gas", "pipeline", "earthquake", "flood",
    "president", "minister", "parliament", "court", "police", "army", "strike", "talks",
)  # fmt: skip
SHAPES = (
    "{a}", "{a}", "{a}", '"{a} {b}"', "{a} OR {b}", "{a} -{b}", "={a}", "{a} {b}",
)  # fmt: skip


def read_reports(count: int = 200, seed: int = 1) -> tuple[str, list[tuple[str, str]]]:
    """(where they came from, [(title, text)]): the real recorded feeds, else generated text."""
    reports: list[tuple[str, str]] = []
    for name in FEED_FILES:
        path = FEEDS / name
        if path.is_file():
            for entry in feedparser.parse(path.read_bytes()).entries:
                reports.append((entry.get("title", ""), entry.get("summary", "")))
    if reports:
        return f"{len(reports)} reports from {FEEDS}", reports[:count]
    rng = random.Random(seed)
    vocabulary = [*NEWS_WORDS, "Laçın", "Карабахе", "Ղարաբաղում", "Baku", "the", "of", "said"]
    generated = [
        (" ".join(rng.choices(vocabulary, k=10)), " ".join(rng.choices(vocabulary, k=120)))
        for _ in range(count)
    ]
    return f"{count} generated reports ({FEEDS} absent)", generated


def make_watches(
    chats: int, per_chat: int, aliases: AliasBook, seed: int = 1
) -> list[tuple[int, str]]:
    """Watches as users would add them: mostly shared popular terms, some unique to one chat."""
    rng = random.Random(seed)
    popular = [group.name for group in aliases.groups] + list(NEWS_WORDS)
    watches: list[tuple[int, str]] = []
    for chat in range(chats):
        for number in range(per_chat):
            if number < 2:
                watches.append((chat, f"chat{chat}topic{number}"))
            else:
                shape = rng.choice(SHAPES)
                watches.append((chat, shape.format(a=rng.choice(popular), b=rng.choice(popular))))
    return watches


def main() -> None:
    """Build the matcher once and report build time and per-report match time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--per-chat", type=int, default=5)
    args = parser.parse_args()

    aliases = load_aliases()
    watches = make_watches(args.chats, args.per_chat, aliases)
    source, reports = read_reports()

    started = time.perf_counter()
    matcher = Matcher.build(watches, aliases)
    build_seconds = time.perf_counter() - started

    timings: list[float] = []
    matched = 0
    for title, text in reports:
        started = time.perf_counter()
        matched += len(matcher.match(title, text))
        timings.append((time.perf_counter() - started) * 1000)

    print(f"watches: {args.chats:,} chats x {args.per_chat} = {len(watches):,}")
    print(f"reports: {source}")
    print(f"build:   {build_seconds:.2f} s")
    print(
        f"match:   mean {statistics.mean(timings):.2f} ms, median {statistics.median(timings):.2f} ms,"
        f" max {max(timings):.2f} ms per report; {matched:,} matches in total"
    )


if __name__ == "__main__":
    main()
