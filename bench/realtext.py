"""Score the keyword matcher on real published text: `python -m bench.realtext [--json]`.

Reads the labelled quotes in bench/data/realtext.toml (see the comment at its top) and asks the
current matcher, one keyword at a time, whether each quote matches. Prints the recall per language
(quotes found of those a user wants), the false hits of each class (quotes matched of those a user
does not want, "string" and "context"), and every miss and false hit, so the next change to the
aliases or endings knows what to fix. `--json` prints the same as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from watchers.matching import Matcher, load_aliases

__all__ = [
    "CLASSES",
    "FIXTURE",
    "MAX_QUOTE",
    "Case",
    "FixtureError",
    "Score",
    "format_report",
    "load_cases",
    "main",
    "matches",
    "score",
]

FIXTURE = Path(__file__).parent / "data" / "realtext.toml"
MAX_QUOTE = 300
CLASSES = ("string", "context")
_FIELDS = frozenset({"lang", "keyword", "match", "class", "note", "quote", "url"})
_LANG = re.compile(r"[a-z]{2,3}")
_URL = re.compile(r"https?://[^\s/]+\S*")


class FixtureError(ValueError):
    """The labelled file is malformed; the message names the case and the field."""


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled quote: should a chat watching `keyword` be alerted by `quote`?

    `kind` is None for a quote the user wants, else "string" or "context" (the fixture's `class`).
    """

    quote: str
    url: str
    lang: str
    keyword: str
    match: bool
    kind: str | None = None
    note: str = ""


@cache
def _matcher(keyword: str) -> Matcher:
    return Matcher.build([(0, keyword)], load_aliases())


def matches(keyword: str, text: str) -> bool:
    """The one place that calls the matcher: does a watch of `keyword` fire on `text`?"""
    return bool(_matcher(keyword).match(text))


def load_cases(path: Path = FIXTURE) -> list[Case]:
    """Read and check the fixture; raise FixtureError naming the case at fault."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries = data.get("case")
    if not isinstance(entries, list) or not entries:
        raise FixtureError(f"{path}: no [[case]] tables.")
    return [_read_case(entry, f"{path}: case {number}") for number, entry in enumerate(entries, 1)]


def _read_case(entry: object, where: str) -> Case:
    if not isinstance(entry, dict):
        raise FixtureError(f"{where} is not a table.")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise FixtureError(f"{where} has unknown fields {sorted(unknown)}.")
    for name in ("lang", "keyword", "quote", "url"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise FixtureError(f"{where} needs a non-empty text `{name}`.")
    if not isinstance(entry.get("match"), bool):
        raise FixtureError(f"{where} needs `match = true` or `match = false`.")
    if not _LANG.fullmatch(entry["lang"]):
        raise FixtureError(f"{where}: lang {entry['lang']!r} is not a lower-case language code.")
    if not _URL.fullmatch(entry["url"]):
        raise FixtureError(f"{where}: url {entry['url']!r} is not an http(s) address.")
    if len(entry["quote"]) > MAX_QUOTE:
        raise FixtureError(
            f"{where}: the quote has {len(entry['quote'])} characters (> {MAX_QUOTE})."
        )
    kind = entry.get("class")
    if entry["match"] and kind is not None:
        raise FixtureError(f"{where}: a case with match = true takes no class.")
    if not entry["match"] and kind not in CLASSES:
        raise FixtureError(
            f"{where}: a case with match = false needs class {' or '.join(CLASSES)}."
        )
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise FixtureError(f"{where}: note must be text.")
    return Case(
        entry["quote"], entry["url"], entry["lang"], entry["keyword"], entry["match"], kind, note
    )


@dataclass
class Score:
    """Counts and the cases behind them: `recall[lang]` and `false_hits[class]` are
    (hits, total)."""

    recall: dict[str, tuple[int, int]] = field(default_factory=dict)
    false_hits: dict[str, tuple[int, int]] = field(default_factory=dict)
    misses: list[Case] = field(default_factory=list)
    wrong: list[Case] = field(default_factory=list)

    @property
    def found(self) -> tuple[int, int]:
        """(found, total) over every language."""
        return (sum(n for n, _ in self.recall.values()), sum(t for _, t in self.recall.values()))


def score(cases: Iterable[Case], decide: Callable[[str, str], bool] = matches) -> Score:
    """Run `decide(keyword, quote)` on every case and count hits by language and by class."""
    result = Score(false_hits={kind: (0, 0) for kind in CLASSES})
    for case in cases:
        hit = decide(case.keyword, case.quote)
        if case.match:
            found, total = result.recall.get(case.lang, (0, 0))
            result.recall[case.lang] = (found + hit, total + 1)
            if not hit:
                result.misses.append(case)
        else:
            kind = case.kind or ""
            wrong, total = result.false_hits.get(kind, (0, 0))
            result.false_hits[kind] = (wrong + hit, total + 1)
            if hit:
                result.wrong.append(case)
    return result


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:3.0f} %" if whole else "  - %"


def format_report(result: Score, source: str) -> str:
    """The report as text: recall by language (most cases first), false hits, then the cases."""
    lines = [f"Real-text matching: {source}", "", "Recall (found / quotes a user wants)"]
    for lang, (found, total) in sorted(
        result.recall.items(), key=lambda item: (-item[1][1], item[0])
    ):
        lines.append(f"  {lang:<4} {found:>4}/{total:<4} {_percent(found, total)}")
    found, total = result.found
    lines += [f"  all  {found:>4}/{total:<4} {_percent(found, total)}", "", "False hits"]
    explain = {
        "string": "only a string-level mistake explains it",
        "context": "telling the place from a homonym needs context",
    }
    for kind, (wrong, total) in result.false_hits.items():
        lines.append(
            f"  {kind:<8} {wrong:>3}/{total:<4} {_percent(wrong, total)}  {explain.get(kind, '')}"
        )
    lines += ["", f"Misses ({len(result.misses)})"]
    lines += [f"  [{c.lang}] {c.keyword}: {c.quote}" for c in result.misses]
    lines += ["", f"False hits ({len(result.wrong)})"]
    lines += [f"  [{c.lang}] {c.keyword} ({c.kind}: {c.note}): {c.quote}" for c in result.wrong]
    return "\n".join(lines)


def _as_json(result: Score, source: str) -> str:
    found, total = result.found

    def counts(hits: int, of: int) -> dict[str, int]:
        return {"hits": hits, "total": of}

    return json.dumps(
        {
            "source": source,
            "recall": {lang: counts(*pair) for lang, pair in sorted(result.recall.items())},
            "recall_all": counts(found, total),
            "false_hits": {kind: counts(*pair) for kind, pair in result.false_hits.items()},
            "misses": [asdict(case) for case in result.misses],
            "false_hit_cases": [asdict(case) for case in result.wrong],
        },
        ensure_ascii=False,
        indent=2,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Load the fixture, score the matcher on it, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fixture", type=Path, default=FIXTURE, help="another labelled file")
    args = parser.parse_args(argv)
    cases = load_cases(args.fixture)
    source = f"{len(cases)} cases from {args.fixture}"
    result = score(cases)
    sys.stdout.write((_as_json if args.json else format_report)(result, source) + "\n")


if __name__ == "__main__":
    main()
