"""Short extractive summaries for alerts.

An alert must say what a report is about in a few lines, so the summary is a handful of whole
sentences from the start of the text (news puts the gist first), at most `limit` characters.
If the sentence that made the report match is not among them, it is swapped in, so the reader
sees why the alert came. Wire-service noise (datelines, photo credits, "Read more" links, HTML)
is removed first because it wastes the small budget and reads badly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from watchers.markup import ELLIPSIS, html_to_text, looks_like_html, without_controls
from watchers.text import fold, fold_with_offsets

if TYPE_CHECKING:
    import pysbd

__all__ = ["clean_text", "needs_article", "shorten", "split_sentences", "summarise"]

LEAD_WINDOW = 3
"""The summary is drawn from the paragraphs covering the first LEAD_WINDOW x limit characters
(plus the paragraph showing the matched form): news puts the gist first, and splitting a whole
long article into sentences would cost a noticeable fraction of a second."""
ENOUGH = 2 / 3
"""Share of the limit after which no further sentence is added: past about 270 of 400
characters another sentence costs the reader more than it tells (measured with ROUGE-1 on the
CNN fixtures: 33.7 stopping there, 33.0 filling the whole budget)."""

_AGENCIES = (
    r"CNN|Reuters|AP|AFP|APA|dpa|EFE|Interfax|TASS|Trend|Xinhua|Anadolu|Bloomberg|UPI|RFE/RL"
    r"|News\.az|ANI|PTI|IANS|Sputnik"
)
_DATELINE_AGENCY = re.compile(
    rf"^(?P<place>[^\W\d_][^\n()]{{0,60}}?)?\s*\((?:{_AGENCIES})(?:\s[\w ]{{1,20}})?\)"
    r"\s*(?:--|[-—–:])?\s*"
)
_DATELINE_CITY = re.compile(
    r"^(?P<place>[A-Z][A-Z'’.-]{2,}(?:[ -][A-Z][A-Z'’.-]+)*,[^\n—–]{1,40}?)\s*(?:--|[—–])\s+"
)
_DATELINE_CAPS = re.compile(  # "BAKU (Sample Wire) —": an upper-case place, any outlet, a dash
    r"^(?P<place>[A-Z][A-Z'’.-]{2,}(?:[ -][A-Z][A-Z'’.-]+)*(?:,[^\n()]{1,40})?)\s*\([^()\n]{1,40}\)"
    r"\s*(?:--|[-—–])\s*"
)
_DROP_PARAGRAPH = re.compile(
    r"^(?:editor['’]s note\b|(?:file )?(?:photo|image|picture)\s*(?::|by\b|credit)|file photo\b"
    r"|copyright\b|©|all rights reserved|read more\b|continue reading\b|read the full\b"
    r"|click here\b|the post .* appeared first on )",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"\((?:[^()]*\b(?:photo|getty images)\b[^()]*|file"
    r"|(?:AFP|Reuters|AP|EPA|Getty)\b[^()]*/[^()]*|[^()]*/\s*(?:AFP|Reuters|AP|EPA))\)",
    re.IGNORECASE,
)
_CREDIT_PARAGRAPH = re.compile(r"getty images|\bap photo\b|/afp\b|\bphoto:", re.IGNORECASE)
_INLINE_JUNK = re.compile(
    r"\s*\bE-mail to a friend\b|\s*(?:Read more|Continue reading)\b[^.!?\n]{0,80}?(?:»|…|\.\.\.|$)"
    r"|(?<=[.!?\"'”])\s+[A-Z][^.!?«»\n]{0,150}»|\s*\[(?:…|\.\.\.)\]",
)
_LEADING_CLOSER = re.compile(r"^[”’»)\]\"']+(?=\s|$)")
_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")


def _strip_dateline(text: str) -> str:
    """Drop a leading dateline; its place part ("BAKU, March 5") is capitalised words and
    numbers only, which keeps "Officials told the agency (Reuters) that…" intact."""
    for pattern in (_DATELINE_AGENCY, _DATELINE_CAPS, _DATELINE_CITY):
        match = pattern.match(text)
        words = (match.group("place") or "").replace(",", " ").split() if match else []
        if match and all(w[0].isupper() or w[0].isdigit() for w in words):
            return text[match.end() :]
    return text


def _clean_paragraph(paragraph: str) -> str:
    text = _strip_dateline(" ".join(paragraph.split()))
    text = _CREDIT.sub("", text)
    text = _INLINE_JUNK.sub("", text)
    text = " ".join(text.split())
    if _DROP_PARAGRAPH.match(text):
        return ""
    if len(text) < 200 and _CREDIT_PARAGRAPH.search(text):
        return ""
    return text


def clean_text(raw: str) -> str:
    """Return `raw` (HTML or plain text) as plain paragraphs separated by blank lines.

    HTML (as `looks_like_html` tells it) loses its markup and entities; plain text keeps every
    character as written, so "talks on <customs>" stays. Control characters go, and so does
    wire boilerplate that would otherwise be taken for the story's first sentence or fill the
    summary: datelines, photo credits, editor's notes, "Read more" links, "E-mail to a friend".
    """
    text = without_controls(html_to_text(raw) if looks_like_html(raw) else raw)
    paragraphs = (_clean_paragraph(p) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def _segmenter(language: str) -> pysbd.Segmenter:
    """A fresh segmenter per call (they cost microseconds): pysbd keeps the text it is splitting
    on the object, so one shared by summaries in several threads mixes their texts. Unknown
    languages use English rules. Imported here: only the CPU worker (`watchers.cpu`) splits
    sentences, and the bot's process need not hold pysbd."""
    import pysbd

    try:
        return pysbd.Segmenter(language=language, clean=False)
    except ValueError:
        return pysbd.Segmenter(language="en", clean=False)


def _ends_with_initial(piece: str) -> bool:
    """Whether `piece` ends with a capital initial such as "İ." (no sentence ends that way)."""
    return (
        len(piece) >= 2
        and piece[-1] == "."
        and piece[-2].isupper()
        and (len(piece) == 2 or piece[-3].isspace())
    )


def _merge_fragments(pieces: list[str]) -> list[str]:
    """Repair pysbd's pieces: a closing quote it moved to the next sentence goes back, and a
    piece after an initial ("İ. Əliyev") or an unknown abbreviation (a piece starting in lower
    case cannot be a new sentence) is rejoined. Spacing is kept, so "т.е." stays as written."""
    merged: list[str] = []
    for piece in pieces:
        closer = _LEADING_CLOSER.match(piece) if merged else None
        if closer:
            merged[-1] += closer.group()
            piece = piece[closer.end() :]
        if merged and (_ends_with_initial(merged[-1].rstrip()) or piece.lstrip()[:1].islower()):
            merged[-1] += piece
        elif piece.strip():
            merged.append(piece)
    return merged


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split `text` into sentences; paragraph breaks always end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            pieces = _merge_fragments(_segmenter(language).segment(paragraph))
            sentences.extend(p.strip() for p in pieces if p.strip())
    return sentences


def _is_candidate(sentence: str) -> bool:
    """Whether a piece of text reads as a sentence on its own. Headings, captions and link
    lines have no closing punctuation; a quotation running over paragraphs leaves halves with
    unbalanced quotes. Neither makes a good summary line."""
    balanced = (
        sentence.count("“") == sentence.count("”")
        and sentence.count("«") == sentence.count("»")
        and sentence.count('"') % 2 == 0
    )
    return balanced and bool(_TERMINAL.search(sentence))


def shorten(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters at a word boundary, marking the cut with "…".

    Whitespace runs count as one space, as they will be shown.
    """
    sentence = " ".join(text.split())
    if len(sentence) <= limit:
        return sentence
    room = limit - len(ELLIPSIS)
    end = sentence.rfind(" ", 0, room + 1)
    cut = sentence[:end] if end > 0 else sentence[:room]
    return cut.rstrip(" ,;:—–-") + ELLIPSIS


def _shorten_around(sentence: str, form: str, limit: int) -> str:
    """Shorten an over-long sentence so that `form` stays in view."""
    short = shorten(sentence, limit)
    if fold(form) in fold(short):
        return short
    folded, offsets = fold_with_offsets(sentence)
    position = folded.find(fold(form))
    if position < 0:
        return short
    word_start = sentence.rfind(" ", 0, offsets[position]) + 1
    return ELLIPSIS + shorten(sentence[word_start:], limit - len(ELLIPSIS))


def _joined_length(sentences: list[str]) -> int:
    return sum(len(s) for s in sentences) + max(len(sentences) - 1, 0)


def _lead_paragraphs(paragraphs: list[str], chars: int) -> int:
    """How many leading paragraphs cover the first `chars` characters (at least one)."""
    total = 0
    for count, paragraph in enumerate(paragraphs, start=1):
        total += len(paragraph)
        if total >= chars:
            return count
    return len(paragraphs)


def _later_sentences_with(
    form: str, later: list[str], sentences: list[str], language: str
) -> list[str]:
    """Sentences of the first later paragraph showing `form`, if the lead does not show it;
    only that paragraph is split, so long articles stay cheap."""
    folded = fold(form)
    if not folded or any(folded in fold(s) for s in sentences):
        return []
    paragraph = next((p for p in later if folded in fold(p)), "")
    return split_sentences(paragraph, language) if paragraph else []


def _pick_lead(
    sentences: list[str], eligible: list[int], limit: int, max_sentences: int
) -> list[int]:
    """Indexes of the leading eligible sentences that fit, skipping any that would overflow
    the budget so a later, shorter one can still take its place. A first sentence over the
    limit is kept alone, to be shortened: it is the lead, and says what the story is."""
    if len(sentences[eligible[0]]) > limit:
        return eligible[:1]
    picked: list[int] = []
    used = -1
    for index in eligible:
        if len(picked) == max_sentences or used >= limit * ENOUGH:
            break
        if used + 1 + len(sentences[index]) <= limit:
            picked.append(index)
            used += 1 + len(sentences[index])
    return picked


def _with_form(
    sentences: list[str], picked: list[int], form: str, limit: int, max_sentences: int
) -> list[int]:
    """Make sure a sentence showing `form` is included, dropping the last picks to make room."""
    folded = fold(form)
    if not folded or any(folded in fold(sentences[i]) for i in picked):
        return picked
    found = next((i for i, s in enumerate(sentences) if folded in fold(s)), None)
    if found is None:
        return picked
    kept = list(picked)
    while kept and (
        len(kept) + 1 > max_sentences
        or _joined_length([sentences[i] for i in kept]) + 1 + len(sentences[found]) > limit
    ):
        kept.pop()
    return sorted([*kept, found])


def summarise(
    text: str,
    form: str | None = None,
    *,
    limit: int = 400,
    max_sentences: int = 3,
    language: str = "en",
) -> str:
    """Summarise plain `text` (see `clean_text`) in at most `limit` characters of whole
    sentences, in their order.

    The text must be cleaned once, not here: cleaning twice would decode `&lt;b&gt;` and then
    drop it as a tag. `form` is the exact text that matched the reader's keyword; the summary
    shows it when the text contains it. Only a sentence that alone exceeds `limit` is cut, at a
    word, with "…".
    `language` picks pysbd's rules (e.g. "ru"); languages it lacks use the English ones.
    """
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    lead = _lead_paragraphs(paragraphs, LEAD_WINDOW * limit)
    sentences = split_sentences("\n\n".join(paragraphs[:lead]), language)
    if not sentences:
        return ""
    eligible = [i for i, s in enumerate(sentences) if _is_candidate(s)] or list(
        range(len(sentences))
    )
    picked = _pick_lead(sentences, eligible, limit, max_sentences)
    if form:
        sentences += _later_sentences_with(form, paragraphs[lead:], sentences, language)
        picked = _with_form(sentences, picked, form, limit, max_sentences)
    if len(picked) == 1 and form:
        return _shorten_around(sentences[picked[0]], form, limit)
    if len(picked) == 1:
        return shorten(sentences[picked[0]], limit)
    return " ".join(sentences[i] for i in picked)


def needs_article(text: str) -> bool:
    """Whether plain feed text is too thin to summarise (under two real sentences), so the
    caller should fetch the article page; headline-only feeds such as Google News give one line."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    lead = "\n\n".join(paragraphs[: _lead_paragraphs(paragraphs, 1000)])
    return sum(1 for s in split_sentences(lead) if _is_candidate(s)) < 2
