"""Keyword matching for every chat at once: what a watch may be, what it means, where it is.

A watch is what a user typed after /watch: words (all must appear), "exact phrases",
alternatives joined by ` OR `, `-word` / `-"phrase"` exclusions, and `=word` to watch one
spelling instead of its whole alias group. Each name matches under every spelling of its alias
group, in 14 languages, with the endings each language allows.

The modules, each importing only those above it in this list:
- `normalize`: text as matching reads it (folded, punctuation as spaces), and the look-up key;
- `endings`: the ending rules, one module per language family, registered in one place;
- `syntax`: the watch syntax (`Term`, `Watch`);
- `aliases`: the alias book (`AliasBook`, read from `watchers/data/aliases.toml`);
- `expand`: a watch's terms as the spellings and words the matcher indexes, and the size rule
  (`parse_watch`, `watch_cost`, `search_terms`);
- `compiler`: every chat's watches compiled into one set of tables;
- `matcher`: `Matcher`, which reads a report once for every chat and returns `Found`s;
- `places`: what one chat's watches mean together (one place, one watch; shared exclusions);
- `lookalikes` and `keywords`: what a user may watch (length, characters, look-alike letters,
  syntax), checked before a watch is stored.
"""

from watchers.matching.aliases import (
    AliasBook,
    AliasForm,
    AliasGroup,
    default_aliases,
    load_aliases,
)
from watchers.matching.expand import (
    MAX_PATTERNS_PER_WATCH,
    parse_watch,
    search_terms,
    watch_cost,
)
from watchers.matching.keywords import (
    MAX_KEYWORD_LENGTH,
    MAX_WATCHES,
    KeywordError,
    Tidied,
    same_keyword,
    split_keywords,
    tidy_keyword,
    validate_keyword,
)
from watchers.matching.lookalikes import Lookalike, plain_letters, single_script
from watchers.matching.matcher import Found, Matcher, MatcherSize
from watchers.matching.places import (
    Placement,
    SharedExclusion,
    Vetoes,
    place_vetoes,
    place_vetoes_on_cpu,
    placement,
    shared_exclusions,
)
from watchers.matching.syntax import Term, Watch

__all__ = [
    "MAX_KEYWORD_LENGTH",
    "MAX_PATTERNS_PER_WATCH",
    "MAX_WATCHES",
    "AliasBook",
    "AliasForm",
    "AliasGroup",
    "Found",
    "KeywordError",
    "Lookalike",
    "Matcher",
    "MatcherSize",
    "Placement",
    "SharedExclusion",
    "Term",
    "Tidied",
    "Vetoes",
    "Watch",
    "default_aliases",
    "load_aliases",
    "parse_watch",
    "place_vetoes",
    "place_vetoes_on_cpu",
    "placement",
    "plain_letters",
    "same_keyword",
    "search_terms",
    "shared_exclusions",
    "single_script",
    "split_keywords",
    "tidy_keyword",
    "validate_keyword",
    "watch_cost",
]
