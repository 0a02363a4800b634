"""Score the alert summariser against human highlights: `python -m bench.summaries DIR`.

DIR holds CNN/DailyMail `.story` files (article paragraphs, then each reference highlight after
a line `@highlight`). The summariser is printed beside the lead-3 baseline (the first three
sentences of the same cleaned text), with ROUGE-1/2/L F1 x100 and summary lengths, because
the point is to match lead-3's content while never exceeding the alert's 400 characters.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rouge_score import rouge_scorer

from watchers.summary import clean_text, split_sentences, summarise

__all__ = ["Row", "format_rows", "lead3", "main", "read_story", "score_directory"]

LIMIT = 400
_METRICS = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True, slots=True)
class Row:
    """Averaged scores of one system over a directory of stories."""

    name: str
    rouge1: float
    rouge2: float
    rouge_l: float
    mean_chars: float
    max_chars: int
    over_limit: int


def read_story(path: Path) -> tuple[str, str]:
    """Return (article, reference) from a `.story` file."""
    body, *highlights = path.read_text(encoding="utf-8").split("@highlight")
    return body, "\n".join(h.strip() for h in highlights)


def lead3(text: str) -> str:
    """The usual news baseline: the first three sentences, whatever their length."""
    return " ".join(split_sentences(clean_text(text))[:3])


def _score(name: str, system: Callable[[str], str], stories: list[tuple[str, str]]) -> Row:
    scorer = rouge_scorer.RougeScorer(list(_METRICS), use_stemmer=True)
    totals = dict.fromkeys(_METRICS, 0.0)
    lengths: list[int] = []
    for article, reference in stories:
        summary = system(article)
        lengths.append(len(summary))
        scores = scorer.score(reference, summary)
        for metric in _METRICS:
            totals[metric] += scores[metric].fmeasure
    count = len(stories)
    return Row(
        name=name,
        rouge1=100 * totals["rouge1"] / count,
        rouge2=100 * totals["rouge2"] / count,
        rouge_l=100 * totals["rougeL"] / count,
        mean_chars=sum(lengths) / count,
        max_chars=max(lengths),
        over_limit=sum(1 for n in lengths if n > LIMIT),
    )


def score_directory(directory: Path) -> list[Row]:
    """Score the summariser and lead-3 on every `.story` file in `directory`."""
    stories = [read_story(p) for p in sorted(directory.glob("*.story"))]
    if not stories:
        raise ValueError(f"no .story files in {directory}")
    return [
        _score("summariser", lambda text: summarise(clean_text(text)), stories),
        _score("lead-3", lead3, stories),
    ]


def format_rows(rows: list[Row]) -> str:
    """Render rows as a fixed-width table."""
    lines = [f"{'system':<12}{'R1':>7}{'R2':>7}{'RL':>7}{'mean':>8}{'max':>6}{f'>{LIMIT}':>6}"]
    lines += [
        f"{r.name:<12}{r.rouge1:>7.1f}{r.rouge2:>7.1f}{r.rouge_l:>7.1f}"
        f"{r.mean_chars:>8.0f}{r.max_chars:>6}{r.over_limit:>6}"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table for the directory named on the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.summaries", description=__doc__)
    parser.add_argument("directory", type=Path, help="folder of .story files")
    args = parser.parse_args(argv)
    stories = sorted(args.directory.glob("*.story"))
    print(f"{len(stories)} stories in {args.directory}")
    print(format_rows(score_directory(args.directory)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
