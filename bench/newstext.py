"""Real news text for the load benchmarks, so what they store and serve reads like the news.

`NewsText.story()` makes a report of about 1,000 characters out of the real sentences of
bench/data/newstext.toml (recorded feeds, CNN and BBC stories, news pages in nine languages;
its header says where each comes from): a real headline, then real sentences of the same
language, starting with a run of one source text and going on with others. No two reports it
makes are the same. About one report in `place_every` also quotes a sentence of
bench/data/realtext.toml that names a watched place (Shusha, Lachin, Karabakh, ...), as a feed
about the region does; in the languages newstext.toml lacks, those quotes are the whole text.

`NewsText(quiet=terms)` makes reports that name none of `terms` instead: the same recombined
real text, from the headlines and sentences the keyword matcher finds none of the terms in, with
no place quotes. A benchmark publishes those when a report must not alert the many chats that
watch a popular term (real news names "president" or "border" in most reports, and each such
report alerts hundreds of the benchmark's chats).
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from bench.realtext import load_cases
from watchers.matching import Matcher, load_aliases

__all__ = ["CORPUS", "LANGUAGES", "PLACE_EVERY", "NewsText", "Story"]

CORPUS = Path(__file__).parent / "data" / "newstext.toml"
PLACE_EVERY = 4
LENGTH = (850, 1150)
"""The length of a report's text, in characters, drawn uniformly: about 1,000, as feeds give."""
LANGUAGES = {
    "en": 50, "ru": 10, "az": 10, "hy": 7, "tr": 4, "uk": 3, "fa": 3, "ar": 3, "ka": 1,
    "de": 3, "fr": 3, "pl": 2,
}  # fmt: skip
"""How often each language comes, in percent. de, fr and pl are in realtext.toml only."""
TITLE_LENGTH = 110
MIN_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class Story:
    """One report's text: a headline and a body, in `language` (ISO 639-1)."""

    title: str
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class _Source:
    title: str
    sentences: tuple[str, ...]


def _load(path: Path) -> dict[str, list[_Source]]:
    with path.open("rb") as handle:
        tables = tomllib.load(handle)["text"]
    sources: dict[str, list[_Source]] = defaultdict(list)
    for table in tables:
        sources[table["lang"]].append(_Source(table["title"], tuple(table["sentences"])))
    return sources


def _headline(sentence: str) -> str:
    """A quote as a headline: up to TITLE_LENGTH characters, cut at a word."""
    if len(sentence) <= TITLE_LENGTH:
        return sentence.rstrip(".")
    return sentence[:TITLE_LENGTH].rsplit(" ", 1)[0] + "…"


def _quiet(sources: dict[str, list[_Source]], terms: Sequence[str]) -> dict[str, list[_Source]]:
    """The sources whose headline names none of `terms`, each with the sentences that name none."""
    matcher = Matcher.build([(0, term) for term in terms], load_aliases())
    kept: dict[str, list[_Source]] = defaultdict(list)
    for language, texts in sources.items():
        for source in texts:
            if matcher.match(source.title):
                continue
            sentences = tuple(s for s in source.sentences if not matcher.match(s))
            if sentences:
                kept[language].append(_Source(source.title, sentences))
    return kept


class NewsText:
    """Distinct real-text reports, the same sequence for the same seed."""

    def __init__(
        self, seed: int = 0, place_every: int = PLACE_EVERY, quiet: Sequence[str] = ()
    ) -> None:
        self._rng = random.Random(seed)
        self._place_every = place_every
        self._sources = _load(CORPUS)
        self._places: dict[str, list[str]] = defaultdict(list)
        if quiet:
            self._sources = _quiet(self._sources, quiet)
        else:
            for case in load_cases():
                if case.match:
                    self._places[case.lang].append(case.quote)
            missing = set(LANGUAGES) - set(self._sources) - set(self._places)
            if missing:
                raise ValueError(f"no text for the languages {sorted(missing)}")
        self._pools = {
            language: tuple(s for source in sources for s in source.sentences)
            for language, sources in self._sources.items()
        }
        self._limits = {
            language: sum(map(len, pool)) // 2 for language, pool in self._pools.items()
        }
        self._languages = [n for n in LANGUAGES if n in self._sources or n in self._places]
        self._weights = [LANGUAGES[n] for n in self._languages]
        self._made: set[str] = set()
        self._headlines: set[tuple[str, str]] = set()
        self._again: Counter[tuple[str, str]] = Counter()

    def story(self, term: str | None = None, *, outlet: str | None = None) -> Story:
        """A report whose text was not made before. Its headline is the source's own, or with
        `outlet`, the first of that, the report's sentences and others of its language (as a
        lead would be) that this outlet has not used: the bot takes an outlet's reports with
        one headline for one story. When every one is used, the headline gets a number, "(2)".
        With `term`, the headline names it ("term: headline")."""
        while True:
            language = self._rng.choices(self._languages, self._weights)[0]
            titles, sentences = self._compose(language)
            text = " ".join(sentences)
            if text not in self._made:
                self._made.add(text)
                break
        if outlet is None:
            return Story(self._named(titles[0] if titles else _headline(sentences[0]), term),
                         text, language)  # fmt: skip
        pool = self._pools.get(language) or tuple(self._places[language])
        drawn = (self._rng.choice(pool) for _ in range(2 * len(pool)))
        for lead in chain(titles, (_headline(s) for s in chain(sentences, drawn))):
            title = self._named(lead, term)
            if (outlet, title) not in self._headlines:
                break
        else:
            self._again[outlet, title] += 1
            title = f"{title} ({self._again[outlet, title] + 1})"
        self._headlines.add((outlet, title))
        return Story(title, text, language)

    @staticmethod
    def _named(headline: str, term: str | None) -> str:
        return f"{term}: {headline}" if term else headline

    def _compose(self, language: str) -> tuple[list[str], list[str]]:
        """Headlines to choose from, and the sentences of the text."""
        rng = self._rng
        places = self._places.get(language, [])
        if language not in self._sources:  # a language only realtext.toml has: quotes name places
            picked = rng.sample(places, len(places))
            return [], self._fill(iter(picked), [])
        pool = self._pools[language]
        first = rng.choice(self._sources[language])
        start = rng.randrange(len(first.sentences))
        run = list(first.sentences[start : start + rng.randint(2, 5)])
        others = (rng.choice(pool) for _ in range(4 * len(pool)))
        body = self._fill(others, run, limit=self._limits[language])
        if places and rng.randrange(self._place_every) == 0:
            body.insert(rng.randint(1, max(1, len(body) - 1)), rng.choice(places))
        return [first.title], body

    def _fill(
        self, candidates: Iterator[str], body: list[str], limit: int | None = None
    ) -> list[str]:
        """`body`, then candidates not in it, until the text has at least MIN_SENTENCES and
        reaches a length drawn from LENGTH (at most `limit`, so a small pool still leaves room
        for reports that differ)."""
        target = self._rng.randint(*LENGTH)
        if limit is not None:
            target = min(target, limit)
        length = sum(len(s) + 1 for s in body)
        for sentence in candidates:
            if length >= target and len(body) >= MIN_SENTENCES:
                break
            if sentence not in body:
                body.append(sentence)
                length += len(sentence) + 1
        return body
