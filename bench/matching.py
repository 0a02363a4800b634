"""Time the keyword matcher at scale.

`python -m bench.matching [--chats N] [--per-chat K]` builds one Matcher over N chats with K
watches each (by default 10,000 x 5: names from the alias file, common news words, phrases, OR
and exclusions, plus two watches unique to each chat), then times `match` over about 200 reports.
The reports are the recorded real feeds in ../shared/fixtures/real when present, otherwise
generated text; the source is printed.

`python -m bench.matching --worst [--chats N]` measures the worst case instead: N chats (10,000
by default) that each hold 50 of the most expensive watches the bot accepts, all different, so
nothing is shared. Each shape of expensive watch is built in a fresh process, and its build time
and peak memory (growth of the peak resident set over the process before the build) printed.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from watchers.matching import (
    MAX_KEYWORD_LENGTH,
    MAX_WATCHES,
    AliasBook,
    Matcher,
    Term,
    expand,
    load_aliases,
    parse_watch,
    validate_keyword,
    watch_cost,
)
from watchers.matching.endings import ENDING_SETS
from watchers.matching.matcher import Hit
from watchers.matching.normalize import normalize
from watchers.models import Match
from watchers.text import fold

__all__ = ["WORST", "main", "make_watches", "read_reports", "regex_loop"]

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


# --- The worst case ------------------------------------------------------------------------------

_CJK = [chr(code) for code in range(0x4E00, 0xA000)]
_RUSSIAN = "абвгдежзиклмнопрстуфхцчшщыэюя"


def _fill(words: Callable[[], str], quoted: bool = False) -> str:
    """As many words as fit in one keyword."""
    budget = MAX_KEYWORD_LENGTH - (2 if quoted else 0)
    text = words()
    while len(text) + 1 + len(nxt := words()) <= budget:
        text += " " + nxt
    return f'"{text}"' if quoted else text


def _names(rng: random.Random, aliases: AliasBook) -> Callable[[], str]:
    """The costliest names per character, by their shortest spelling, and one unique word."""

    def shortest(forms: tuple[str, ...]) -> str:
        return min((form for form in forms if " " not in form), key=len, default=forms[0])

    spellings = [shortest(tuple(form.text for form in group.forms)) for group in aliases.groups]
    costs = {name: watch_cost(parse_watch(name), aliases) for name in spellings}
    ranked = sorted(spellings, key=lambda name: -costs[name] / (len(name) + 1))
    names = ""
    for name in ranked:
        if len(names) + len(name) + 5 <= MAX_KEYWORD_LENGTH:
            names += name + " "
    return lambda: names + "".join(rng.choices(_CJK, k=3))


WORST: dict[str, str] = {
    "words": "33 two-character words, each new (the most distinct words)",
    "phrase": "a quoted Russian phrase of 13 declining words (every word inflects)",
    "letters": "50 one-character words (the most terms)",
    "names": "the costliest alias names and one new word (the most spellings)",
}


def worst_watches(shape: str, chats: int, aliases: AliasBook, seed: int = 1) -> list[str]:
    """chats x 50 accepted watches of one expensive shape, all different."""
    rng = random.Random(seed)
    makers: dict[str, Callable[[], str]] = {
        "words": lambda: _fill(lambda: "".join(rng.choices(_CJK, k=2))),
        "phrase": lambda: _fill(lambda: "".join(rng.choices(_RUSSIAN, k=4)) + "ий", quoted=True),
        "letters": lambda: _fill(lambda: rng.choice(_CJK)),
        "names": _names(rng, aliases),
    }
    return [makers[shape]() for _ in range(chats * MAX_WATCHES)]


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_worst(shape: str, chats: int) -> None:
    """Build the worst case of one shape in this process and print one line of figures."""
    aliases = load_aliases()
    raws = worst_watches(shape, chats, aliases)
    example = raws[0]
    validate_keyword(example)
    watches = [(number // MAX_WATCHES, raw) for number, raw in enumerate(raws)]
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from here
    before = _memory_kb("VmRSS")
    started = time.perf_counter()
    matcher = Matcher.build(watches, aliases)
    seconds = time.perf_counter() - started
    peak = (_memory_kb("VmHWM") - before) / 1024
    kept = (_memory_kb("VmRSS") - before) / 1024
    size = matcher.size
    print(
        f"{shape:8} {seconds:7.1f} s {peak:8,.0f} MB peak {kept:8,.0f} MB kept"
        f"  {size.stems:>11,} stems {size.watches:>8,} watches"
        f"  cost {watch_cost(parse_watch(example), aliases):>3} a watch, e.g. {example[:40]}…",
        flush=True,
    )


def worst(chats: int) -> None:
    """Each shape in a fresh process, so one's memory does not hide the next one's peak."""
    print(f"worst case: {chats:,} chats x {MAX_WATCHES} watches, all different")
    for shape, what in WORST.items():
        print(f"  {shape}: {what}")
    for shape in WORST:
        command = [sys.executable, "-m", "bench.matching", "--shape", shape, "--chats", str(chats)]
        subprocess.run(command, check=True)


def regex_loop(
    watches: list[tuple[int, str]], aliases: AliasBook
) -> Callable[[str, str], list[tuple[int, str]]]:
    """The way without a shared index, for comparison: each chat's watches in turn, each term a
    compiled regular expression of its spellings (stem, endings, word boundaries) searched in the
    folded report. Compiled once per distinct watch; evaluated once per chat."""
    chats: dict[int, list[str]] = {}
    for chat_id, raw in watches:
        chats.setdefault(chat_id, []).append(raw)
    compiled: dict[str, tuple[list[list[re.Pattern[str]]], list[re.Pattern[str]]]] = {}
    for raw in {raw for _, raw in watches}:
        watch = expand.named_phrase(parse_watch(raw, aliases), aliases)
        compiled[raw] = (
            [[_term_regex(term, aliases) for term in clause] for clause in watch.clauses],
            [_term_regex(term, aliases) for term in watch.excluded],
        )

    def match(title: str, text: str) -> list[tuple[int, str]]:
        folded = fold(f"{title}\n{text}")
        found: list[tuple[int, str]] = []
        for chat_id, raws in chats.items():
            for raw in raws:
                clauses, excluded = compiled[raw]
                if all(any(rx.search(folded) for rx in clause) for clause in clauses) and not any(
                    rx.search(folded) for rx in excluded
                ):
                    found.append((chat_id, raw))
        return found

    return match


def _term_regex(term: Term, aliases: AliasBook) -> re.Pattern[str]:
    phrases = [
        r"[^\w']+".join(
            re.escape(word.stem)
            + "(?:"
            + "|".join(map(re.escape, sorted(ENDING_SETS[word.endings], key=len, reverse=True)))
            + ")"
            for word in phrase
        )
        for phrase in expand.phrases(term, aliases)
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)")


def _micro(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def typical(chats: int, per_chat: int, rounds: int = 5, sample_every: int = 10) -> None:
    """Build the matcher once, then time it per report, stage by stage, against the regex loop."""
    aliases = load_aliases()
    watches = make_watches(chats, per_chat, aliases)
    source, reports = read_reports()

    started = time.perf_counter()
    matcher = Matcher.build(watches, aliases)
    build_seconds = time.perf_counter() - started
    size = matcher.size
    print(f"setting: {chats:,} chats x {per_chat} watches = {len(watches):,} watches,")
    print(f"         {size.watches:,} distinct, {size.stems:,} stems; reports: {source}")
    print(f"build:   {build_seconds:.2f} s")

    cold: list[float] = []
    for title, text in reports:  # the first reading of a word also fills the word cache
        started = time.perf_counter()
        matcher.match(title, text)
        cold.append(time.perf_counter() - started)
    timings: list[float] = []
    for _ in range(rounds):
        for title, text in reports:
            started = time.perf_counter()
            matcher.match(title, text)
            timings.append(time.perf_counter() - started)
    stages = [0.0, 0.0, 0.0, 0.0]
    found = sent = 0
    gc.disable()  # so a collection one stage's garbage sets off is not charged to another
    for _ in range(rounds):
        for title, text in reports:
            found_now, sent_now = _stages(matcher, title, text, stages)
            found += found_now
            sent += sent_now
    gc.enable()
    runs = rounds * len(reports)
    mean = statistics.mean(timings)
    print(
        f"matcher: mean {_micro(mean)}, median {_micro(statistics.median(timings))},"
        f" p95 {_micro(statistics.quantiles(timings, n=20)[-1])}, max {_micro(max(timings))}"
        f" a report (first reading, word cache cold: mean {_micro(statistics.mean(cold))})"
    )
    print(
        f"         {found / runs:,.1f} distinct watches found a report,"
        f" fanned out to {sent / runs:,.1f} chat matches"
    )
    names = ("normalize", "scan", "evaluate watches", "fan-out to chats")
    timed = zip(names, stages, strict=True)
    print("stages:  " + ", ".join(f"{n} {_micro(t / runs)}" for n, t in timed))
    print(
        "         (mean a report, collector paused; fan-out = one Match per chat, as alerts need)"
    )

    sample = reports[::sample_every]
    loop = regex_loop(watches, aliases)
    started = time.perf_counter()
    by_regex = sum(len(loop(title, text)) for title, text in sample)
    regex_mean = (time.perf_counter() - started) / len(sample)
    started = time.perf_counter()
    for _ in range(rounds):
        for title, text in sample:
            matcher.match(title, text)
    matcher_mean = (time.perf_counter() - started) / len(sample) / rounds
    by_matcher = sum(len(one.holders) for t, x in sample for one in matcher.match(t, x))
    print(
        f"regex:   per-chat regex loop {regex_mean * 1e3:,.1f} ms a report, matcher"
        f" {_micro(matcher_mean)} on the same {len(sample)} reports:"
        f" {regex_mean / matcher_mean:,.0f}x; chat matches {by_matcher:,} (matcher),"
        f" {by_regex:,} (regex loop)"
    )
    print(
        f"goal:    under 100 µs a report: {'met' if mean < 100e-6 else 'MISSED'};"
        f" 1,000x the regex loop: {'met' if regex_mean >= 1000 * matcher_mean else 'MISSED'}"
    )


def _stages(matcher: Matcher, title: str, text: str, totals: list[float]) -> tuple[int, int]:
    """Time one report stage by stage into `totals`; (watches found, chat matches)."""
    clock = time.perf_counter
    started = clock()
    fields = [(content, normalize(content)) for content in (title, text) if content]
    normalized = clock()
    phrases: dict[int, Hit] = {}
    for rank, (content, (folded, offsets)) in enumerate(fields):
        matcher._scan(content, folded, offsets, rank, phrases)
    hits = matcher._with_groups(phrases, False)
    scanned = clock()
    found = matcher._evaluate(hits)
    evaluated = clock()
    matches = [Match(chat, keyword, one.form) for one in found for chat, keyword in one.holders]
    fanned = clock()
    for index, (begin, end) in enumerate(
        [(started, normalized), (normalized, scanned), (scanned, evaluated), (evaluated, fanned)]
    ):
        totals[index] += end - begin
    return len(found), len(matches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--per-chat", type=int, default=5)
    parser.add_argument("--worst", action="store_true", help="the worst case, every shape")
    parser.add_argument("--shape", choices=sorted(WORST), help="the worst case of one shape")
    args = parser.parse_args()
    if args.shape:
        measure_worst(args.shape, args.chats)
    elif args.worst:
        worst(args.chats)
    else:
        typical(args.chats, args.per_chat)


if __name__ == "__main__":
    main()
