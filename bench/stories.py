"""How well reports are grouped into stories, against real reports labelled by event.

    python -m bench.stories [--heldout] [--cold] [--open 10000]

bench/data/stories.toml holds real published reports (verbatim title and first sentences, URL,
outlet, language, date), each labelled with the real event it reports; its header says how it
was gathered. bench/data/stories_heldout.toml was gathered the same way after the grouping's
settings were frozen, and is scored only with --heldout.

The reports are grouped in order of publication by `watchers.stories.StoryBook`, as polls
would bring them, after the book has counted 20,000 reports of other real news (`bench.newstext`)
as a running bot has (--cold: none). Printed:
- pairwise precision and recall of "same story" against "same event", and recall on the pairs
  of one event in two languages;
- alerts per event for a chat that watches every place of the alias book: one alert per story;
- the same for the naive rule (a report joins the latest one that shares a matched place within
  24 hours);
- the cost of grouping one report with `--open` other stories open (10,000), and of making its
  fingerprint, and the memory those open stories hold.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import tomllib
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.newstext import NewsText
from watchers.identity import canonical_url, domain_of, report_id
from watchers.matching import load_aliases
from watchers.models import Report
from watchers.stories import Fingerprint, PlaceFinder, StoryBook, Tuning

__all__ = ["Labelled", "load_labelled", "main", "score"]

DATA = Path(__file__).parent / "data"
DEV = DATA / "stories.toml"
HELDOUT = DATA / "stories_heldout.toml"
BACKGROUND = 20_000
NAIVE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled report: the report as a feed would give it, and its event."""

    report: Report
    event: str
    near: str  # the hard-negative group of its event, or ""


def _published(value: object) -> datetime:
    """A report's date: a TOML date-time, or a date (then noon UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return _published(datetime.fromisoformat(value))
    return datetime(value.year, value.month, value.day, 12, tzinfo=UTC)  # type: ignore[attr-defined]


def load_labelled(path: Path) -> list[Labelled]:
    """The labelled reports of one file, in order of publication."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    near = {event["id"]: event.get("near", "") for event in data["event"]}
    labelled = []
    for row in data["report"]:
        canonical = canonical_url(row["url"])
        report = Report(
            id=report_id(canonical, None, False),
            url=row["url"],
            canonical_url=canonical,
            title=row["title"],
            text=row["text"],
            published=_published(row["published"]),
            outlet=row["outlet"],
            domain=domain_of(row["url"]),
            language=row["lang"],
            country=row.get("country") or None,
        )
        labelled.append(Labelled(report, row["event"], near[row["event"]]))
    return sorted(labelled, key=lambda item: item.report.published or datetime.min)


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    across: float
    pairs: int
    across_pairs: int
    alerts_per_event: float


def score(labelled: Sequence[Labelled], stories: Sequence[str], places: Sequence[bool]) -> Score:
    """Pairwise precision and recall of `stories` against the events; alerts per event for a
    chat that gets the first report of each story that names a place (`places`)."""
    tp = fp = fn = across_tp = across_all = 0
    for (a, sa), (b, sb) in itertools.combinations(zip(labelled, stories, strict=True), 2):
        same_event, same_story = a.event == b.event, sa == sb
        tp += same_event and same_story
        fp += same_story and not same_event
        fn += same_event and not same_story
        if same_event and a.report.language != b.report.language:
            across_all += 1
            across_tp += same_story
    alerted = {s for s, named in zip(stories, places, strict=True) if named}
    events = {item.event for item, named in zip(labelled, places, strict=True) if named}
    return Score(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        across=across_tp / across_all if across_all else 1.0,
        pairs=tp + fn,
        across_pairs=across_all,
        alerts_per_event=len(alerted) / len(events) if events else 0.0,
    )


def naive(labelled: Sequence[Labelled], places: Sequence[list[str]]) -> list[str]:
    """The naive rule: a report joins the story of the latest earlier report that shares a
    matched place and was published within 24 hours of it."""
    stories: list[str] = []
    for i, item in enumerate(labelled):
        story = item.report.id
        when = item.report.published or datetime.min
        for j in range(i - 1, -1, -1):
            earlier = labelled[j].report.published or datetime.min
            if when - earlier > NAIVE_WINDOW:
                break
            if set(places[i]) & set(places[j]):
                story = stories[j]
                break
        stories.append(story)
    return stories


def _background(count: int, seed: int = 7) -> list[Report]:
    """Reports of other real news (bench.newstext), distinct, in its languages."""
    text = NewsText(seed=seed)
    reports = []
    for n in range(count):
        made = text.story()
        reports.append(
            Report(
                id=f"bg{n}",
                url=f"https://bg{n % 300}.example/{n}",
                canonical_url=f"https://bg{n % 300}.example/{n}",
                title=made.title,
                text=made.text,
                language=made.language,
                domain=f"bg{n % 300}.example",
            )
        )
    return reports


def _show(name: str, result: Score) -> None:
    print(
        f"{name:<10} precision {result.precision:.3f}  recall {result.recall:.3f}  "
        f"cross-language recall {result.across:.3f}  alerts per event {result.alerts_per_event:.2f}"
    )


def _cost(
    finder: PlaceFinder, labelled: Sequence[Labelled], background: Sequence[Report], open_: int
) -> None:
    """Time a report's grouping with `open_` stories open, and its fingerprint."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    spread = timedelta(hours=24) / max(open_, 1)
    prints = [
        finder.fingerprint(report, now + spread * n)
        for n, report in enumerate(itertools.islice(itertools.cycle(background), open_))
    ]
    prints = [Fingerprint(f"{p.report_id}-{n}", p.at, p.outlet, p.language, p.keys)
              for n, p in enumerate(prints)]  # fmt: skip
    tracemalloc.start()
    book = StoryBook(Tuning(open=open_))
    book.restore((p.report_id, p) for p in prints)  # each its own story: `open_` stories
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    reports = [item.report for item in labelled]
    began = time.perf_counter()
    mine = [finder.fingerprint(r, now + timedelta(hours=24)) for r in reports]
    per_print = (time.perf_counter() - began) / len(reports)
    late = [Fingerprint(p.report_id, now.timestamp() + 86400, p.outlet, p.language, p.keys)
            for p in mine]  # fmt: skip
    times = []
    for p in late:
        began = time.perf_counter()
        book.assign([p])
        times.append(time.perf_counter() - began)
    print(
        f"cost: {len(book)} stories open, {held / 1e6:.1f} MB; grouping a report "
        f"p50 {statistics.median(times) * 1e3:.3f} ms, p95 "
        f"{statistics.quantiles(times, n=20)[-1] * 1e3:.3f} ms; its fingerprint "
        f"{per_print * 1e3:.3f} ms"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heldout", action="store_true", help="score the held-out reports")
    parser.add_argument("--cold", action="store_true", help="no background news counted first")
    parser.add_argument("--open", type=int, default=10_000, help="open stories for the cost")
    args = parser.parse_args(argv)
    labelled = load_labelled(HELDOUT if args.heldout else DEV)
    finder = PlaceFinder(load_aliases())
    epoch = datetime(2020, 1, 1, tzinfo=UTC)
    prints = [finder.fingerprint(item.report, epoch) for item in labelled]
    places = [list(p.places) for p in prints]
    named = [bool(p) for p in places]
    events = len({item.event for item in labelled})
    languages = len({item.report.language for item in labelled})
    print(f"{len(labelled)} reports of {events} events in {languages} languages")
    background = _background(BACKGROUND)
    book = StoryBook()
    if not args.cold:
        for report in background:
            book.frequencies.add(finder.fingerprint(report, epoch).keys)
    stories = [book.assign([p])[0] for p in prints]
    _show("stories", score(labelled, stories, named))
    _show("naive", score(labelled, naive(labelled, places), named))
    _show("per report", score(labelled, [item.report.id for item in labelled], named))
    _cost(finder, labelled, background, args.open)


if __name__ == "__main__":
    main()
