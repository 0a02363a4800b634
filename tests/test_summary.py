"""Extractive alert summaries: length budget, whole sentences, the matched form, clean-up."""

from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.summaries import main as bench_main
from bench.summaries import read_story
from watchers.summary import clean_text, needs_article, shorten, split_sentences, summarise

STORIES = Path(__file__).resolve().parent / "fixtures" / "stories"
CNN_STORIES = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "summaries" / "cnn_stories"
)
LIMIT = 400


def _story_paths() -> list[Path]:
    return sorted(STORIES.glob("*.story"))


def _cnn_paths() -> list[Path]:
    if not CNN_STORIES.is_dir():
        pytest.skip(f"shared CNN stories not found at {CNN_STORIES}")
    return sorted(CNN_STORIES.glob("*.story"))


def _whole_sentences_in_order(summary: str, sentences: list[str]) -> bool:
    """Whether `summary` is some of `sentences`, unchanged, joined by spaces, in their order."""
    position = 0
    for sentence in sentences:
        end = position + len(sentence)
        if summary.startswith(sentence, position) and (end == len(summary) or summary[end] == " "):
            position = end + 1
    return position >= len(summary) and bool(summary)


def _check(summary: str, plain: str) -> None:
    sentences = split_sentences(plain)
    assert 0 < len(summary) <= LIMIT
    if summary.endswith("…"):
        shown = summary[:-1]
        source = next(s for s in sentences if s.startswith(shown))
        assert len(source) > LIMIT
        assert source[len(shown)] == " "  # never cut mid-word
    else:
        assert _whole_sentences_in_order(summary, sentences), summary


def _late_word(body: str) -> str:
    """A word that first appears late in the story, to act as the matched form."""
    sentences = split_sentences(clean_text(body))
    words = [w.strip(".,;:\"'()") for w in sentences[-1].split()]
    early = body[:600]
    return max((w for w in words if w and w not in early), key=len, default=words[0])


def test_handwritten_stories_are_present() -> None:
    assert 3 <= len(_story_paths()) <= 5


@pytest.mark.parametrize("path", _story_paths(), ids=lambda p: p.name)
def test_own_stories_fit_whole_sentences_in_order(path: Path) -> None:
    body = clean_text(read_story(path)[0])
    _check(summarise(body), body)
    form = _late_word(body)
    with_form = summarise(body, form)
    _check(with_form, body)
    assert form in with_form


def test_every_cnn_story_fits_and_shows_the_form() -> None:
    paths = _cnn_paths()
    assert paths
    for path in paths:
        body = clean_text(read_story(path)[0])
        _check(summarise(body), body)
        form = _late_word(body)
        with_form = summarise(body, form)
        assert len(with_form) <= LIMIT
        assert form in with_form, (path.name, form)


LEAD = [
    (
        "Officials in Baku said on Monday that talks on the new border crossing would resume next "
        "week after a pause of almost two months."
    ),
    (
        "Negotiators from both sides have met four times this year, most recently in a small town "
        "on the border, officials said on Monday."
    ),
    (
        "The talks were paused in March after a dispute over customs rules, which both sides now "
        "say has been settled by the negotiators."
    ),
    "A spokesman described the atmosphere as constructive.",
    "Traffic on the road through Laçın will not be affected during the talks.",
]


def test_matched_form_replaces_the_last_chosen_sentence() -> None:
    text = " ".join(LEAD)
    plain = summarise(text)
    assert plain == " ".join(LEAD[:3])
    assert summarise(text, "Laçın") == " ".join([LEAD[0], LEAD[1], LEAD[4]])


def test_matched_form_already_shown_changes_nothing() -> None:
    text = " ".join(LEAD)
    assert summarise(text, "Baku") == summarise(text)


def test_matched_form_is_compared_without_case_or_accents() -> None:
    text = " ".join(LEAD).replace("Laçın", "LAÇIN")
    assert "LAÇIN" in summarise(text, "Laçın")


def test_matched_form_sentence_is_used_even_when_it_is_not_a_full_sentence() -> None:
    text = " ".join(LEAD[:3]) + "\n\nPhotos from Laçın"
    assert summarise(text, "Laçın").endswith("Photos from Laçın")


def test_form_missing_from_text_leaves_summary_alone() -> None:
    text = " ".join(LEAD)
    assert summarise(text, "Qarabağ") == summarise(text)


def test_sentence_too_long_to_add_is_skipped_for_one_that_fits() -> None:
    long = "The delegation visited " + ", ".join(f"village number {n}" for n in range(20)) + "."
    text = " ".join([LEAD[0], long, LEAD[3]])
    assert summarise(text) == f"{LEAD[0]} {LEAD[3]}"


def test_no_sentence_is_added_once_two_thirds_of_the_budget_are_used() -> None:
    second = (
        "Negotiators from both sides have met four times this year, most recently in a small "
        "town on the border where they agreed on a timetable for the remaining questions."
    )
    text = " ".join([LEAD[0], second, LEAD[3]])
    assert len(LEAD[0]) + 1 + len(second) > LIMIT * 2 / 3
    assert len(text) <= LIMIT
    assert summarise(text) == f"{LEAD[0]} {second}"
    assert summarise(text, limit=1000) == text


def test_half_of_a_quotation_split_over_paragraphs_is_not_chosen() -> None:
    text = (
        f"{LEAD[3]}\n\n"
        "“We will keep the road open. It matters to every village here.\n\n"
        "Nobody should be cut off again,” the governor said.\n\n"
        f"{LEAD[4]}"
    )
    assert summarise(text) == f"{LEAD[3]} It matters to every village here. {LEAD[4]}"


def test_long_first_sentence_is_cut_at_a_word_boundary() -> None:
    body = clean_text(read_story(STORIES / "shusha_festival.story")[0])
    first = split_sentences(body)[0]
    assert len(first) > LIMIT
    summary = summarise(body)
    assert summary.endswith("…")
    assert len(summary) <= LIMIT
    assert first.startswith(summary[:-1])
    assert first[len(summary) - 1] == " "


def test_long_sentence_keeps_the_form_in_view() -> None:
    sentence = (
        "The committee " + "discussed the budget and the schedule, " * 15 + "and the road to Laçın."
    )
    summary = summarise(sentence, "Laçın")
    assert len(summary) <= LIMIT
    assert "Laçın" in summary
    assert summary.startswith("…")


@pytest.mark.parametrize(
    ("text", "limit"),
    [("word " * 200, 50), ("x" * 1000, 40), ("Short one.", 400), ("Laçın Qarabağ " * 40, 17)],
)
def test_shorten_never_exceeds_the_limit(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert len(short) <= limit
    assert " ".join(text.split()).startswith(short.removesuffix("…"))


@pytest.mark.parametrize(
    "dateline",
    [
        "WASHINGTON (CNN) -- ",
        "(CNN) -- ",
        "(CNN)  -- ",
        "(CNN)",
        "BAKU, March 5 (Reuters) - ",
        "YEREVAN, Armenia (AP) — ",
        "Marseille, France (CNN)",
        "TBILISI, Georgia — ",
        "BAKU (Caucasus Wire) — ",
        "STEPANAKERT (Local Radio) - ",
    ],
)
def test_datelines_are_removed(dateline: str) -> None:
    assert clean_text(f"{dateline}{LEAD[0]}") == LEAD[0]


@pytest.mark.parametrize(
    "text",
    [
        "NATO — the alliance said it would send observers.",
        "NATO, the alliance — said it would send observers.",
        "Officials told the agency (Reuters) that talks had resumed.",
        "NATO (the alliance) said it would send observers.",
    ],
)
def test_ordinary_openings_are_not_taken_for_datelines(text: str) -> None:
    assert clean_text(text) == text


def test_photo_credits_and_captions_are_removed() -> None:
    raw = (
        f"{LEAD[0]} (Photo by Staff Photographer/AFP via Getty Images)\n\n"
        "Photo: A checkpoint near the border.\n\n"
        "File photo\n\n"
        "Getty Images\n\n"
        f"{LEAD[1]} (AP Photo/Staff) (File)\n\n"
        "Photographs of the meeting were released later."
    )
    cleaned = clean_text(raw)
    assert cleaned.split("\n\n") == [
        LEAD[0],
        LEAD[1],
        "Photographs of the meeting were released later.",
    ]


def test_wire_boilerplate_is_removed() -> None:
    raw = (
        "Editor's note: This story is part of a series about border towns.\n\n"
        f"{LEAD[0]}  Watch the talks begin »\n\n"
        f"{LEAD[1]} E-mail to a friend\n\n"
        "Read more about the talks\n\n"
        "Continue reading\n\n"
        "The post Talks resume appeared first on Example News.\n\n"
        "Copyright 2024 Example News. All rights reserved."
    )
    assert clean_text(raw).split("\n\n") == [LEAD[0], LEAD[1]]


def test_html_markup_and_entities_are_removed_and_paragraphs_kept() -> None:
    raw = (
        "<p>Armenia &amp; Azerbaijan&nbsp;signed a <b>deal</b>.<br>It was &quot;historic&quot;.</p>"
        "<p>Talks on &lt;customs&gt; go on.</p><script>var tracking = 1;</script>"
        "<figure><img src='x.jpg'><figcaption>Leaders shake hands</figcaption></figure>"
    )
    assert clean_text(raw) == (
        'Armenia & Azerbaijan signed a deal. It was "historic".\n\nTalks on <customs> go on.'
    )


@pytest.mark.parametrize(
    "text",
    [
        "Ceasefire <violations> & shelling near the border.",
        "Use <b> for bold; x < y and y > z.",
        "I <3 Baku & Tbilisi.",
    ],
)
def test_plain_text_keeps_its_tag_shaped_words(text: str) -> None:
    """Everything tag-shaped was parsed as HTML: `<violations>` vanished from the summary."""
    assert clean_text(text) == text
    assert clean_text(clean_text(text)) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Text <b>bold</b></p>", "Text bold"),
        # an RSS description that held `&lt;p&gt;...` reaches clean_text as HTML
        ("<p>Ceasefire &lt;violations&gt; &amp; shelling</p>", "Ceasefire <violations> & shelling"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("Talks\x00 resume\x07 today.", "Talks resume today."),
    ],
)
def test_real_html_is_made_plain(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["<p>", "</p>", "<b>", "</b>", "<br>", "&amp;", "&lt;", "&", "<", "\n\n"]
            ),
            st.text(max_size=20),
        ),
        max_size=30,
    ).map("".join)
)
def test_clean_text_takes_anything_and_gives_plain_paragraphs(raw: str) -> None:
    cleaned = clean_text(raw)
    assert all(p and p == " ".join(p.split()) for p in cleaned.split("\n\n") if cleaned)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") and c != "\n" for c in cleaned)


def test_russian_sentences_split_sensibly() -> None:
    sentences = [
        (
            "Премьер-министр Армении заявил в среду, что переговоры, т.е. консультации экспертов, "
            "продолжатся."
        ),
        "Он встретился с И. Алиевым в Брюсселе в 2024 г.",
        "Следующая встреча — в апреле.",
    ]
    assert split_sentences(" ".join(sentences)) == sentences


def test_azerbaijani_sentences_split_sensibly() -> None:
    sentences = [
        "Laçın dəhlizi ilə bağlı danışıqlar davam edir.",
        "Prezident İ. Əliyev bəyanat verdi.",
        "Xankəndi şəhərində yeni məktəb açıldı.",
    ]
    text = " ".join(sentences)
    assert split_sentences(text) == sentences
    assert summarise(text, "Xankəndi", language="az") == text


def test_closing_quote_stays_with_its_sentence() -> None:
    text = '"We saw no sign of the convoy. None at all!” Then the officials left the border post.'
    assert split_sentences(text) == [
        '"We saw no sign of the convoy.',
        "None at all!”",
        "Then the officials left the border post.",
    ]


def test_paragraph_breaks_end_sentences() -> None:
    assert split_sentences("Headline without a stop\n\nBody text follows.") == [
        "Headline without a stop",
        "Body text follows.",
    ]


@pytest.mark.parametrize("raw", ["", "   \n\n ", "<p></p>", "<script>x()</script>"])
def test_empty_input_gives_empty_summary(raw: str) -> None:
    assert summarise(clean_text(raw)) == ""
    assert summarise(clean_text(raw), "Laçın") == ""


def test_headline_only_text_is_still_summarised() -> None:
    assert summarise("Armenia and Azerbaijan agree border plan - Reuters") == (
        "Armenia and Azerbaijan agree border plan - Reuters"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        (
            (
                '<a href="https://news.google.com/rss/articles/x">Armenia, Azerbaijan agree border '
                'plan</a>&nbsp;&nbsp;<font color="#6f6f6f">Reuters</font>'
            ),
            True,
        ),
        ("Officials met in Baku on Monday.", True),
        ("Officials met in Baku on Monday. Continue reading", True),
        (" ".join(LEAD[:2]), False),
        (f"<p>{LEAD[0]}</p><p>{LEAD[1]}</p>", False),
    ],
)
def test_needs_article(text: str, expected: bool) -> None:
    assert needs_article(clean_text(text)) is expected


def test_bench_prints_both_systems_with_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main([str(STORIES)]) == 0
    rows = {
        line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines() if line
    }
    for name in ("summariser", "lead-3"):
        figures = [float(value) for value in rows[name]]
        assert len(figures) == 6
        assert 0 < figures[0] <= 100  # ROUGE-1
    assert float(rows["summariser"][4]) <= LIMIT  # max length
    assert rows["summariser"][5] == "0"  # none over the limit


def test_sentences_split_in_several_threads_at_once_stay_apart() -> None:
    """Summaries run in worker threads side by side; none may borrow another's sentences."""
    texts = [
        " ".join(f"Report {n} sentence {k} mentions village {n}{k}." for k in range(6))
        for n in range(16)
    ]
    expected = [split_sentences(text) for text in texts]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(10):
            assert list(pool.map(split_sentences, texts)) == expected
