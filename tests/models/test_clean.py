"""Tests for the cleaning stage: exact offsets, boilerplate and repeat removal, robustness."""

from __future__ import annotations

import html as htmllib
import time
from pathlib import Path

import pytest

from stancewire.models.clean import CleanText, clean_article, looks_like_html, strip_invisible

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"


def _separator_positions(clean: CleanText) -> set[int]:
    """Indices of the synthesized "\\n\\n" between kept paragraphs."""
    out: set[int] = set()
    for (_, end), (start, _) in zip(clean.paragraphs, clean.paragraphs[1:], strict=False):
        out.update(range(end, start))
    return out


def _assert_offsets(raw: str, clean: CleanText) -> None:
    """Every non-separator clean char comes from raw at to_raw[i] (entity start for entities)."""
    text, to_raw = clean.text, clean.to_raw
    assert len(to_raw) == len(text) + 1
    assert all(0 <= r <= len(raw) for r in to_raw)
    assert all(a <= b for a, b in zip(to_raw, to_raw[1:], strict=False)), "to_raw not monotone"
    seps = _separator_positions(clean)
    for i, ch in enumerate(text):
        if i in seps:
            assert ch == "\n"
            continue
        r = to_raw[i]
        if i in clean.raw_ends:
            entity = raw[r : clean.raw_ends[i]]
            assert entity.startswith("&"), (i, ch, entity)
            decoded = htmllib.unescape(entity)
            assert ch in decoded or (ch == " " and decoded.isspace()), (i, ch, entity)
        elif ch == " ":
            assert raw[r].isspace() or raw[r] == " ", (i, raw[r])
        else:
            assert raw[r] == ch, (i, ch, raw[r])
    # paragraphs tile the text with "\n\n" between them
    assert "\n\n".join(text[s:e] for s, e in clean.paragraphs) == text


# --------------------------------------------------------------------------- HTML


def test_html_paragraphs_and_entities_map_back_exactly() -> None:
    raw = (
        "<html><body><p>Iraq &amp; Iran  said:\n &#8220;No.&#8221;</p>"
        "<p>Second &ldquo;quote&rdquo; here.</p></body></html>"
    )
    clean = clean_article(raw)
    assert clean.text == "Iraq & Iran said: “No.”\n\nSecond “quote” here."
    assert clean.paragraphs == ((0, 23), (25, 45))
    assert clean.dropped == ()
    _assert_offsets(raw, clean)
    amp = clean.text.index("&")
    assert raw.startswith("&amp;", clean.to_raw[amp])
    collapsed = clean.text.index(" said")
    assert raw[clean.to_raw[collapsed] : clean.to_raw[collapsed] + 2] == "  "


def test_raw_span_round_trips_a_quote_inside_html() -> None:
    raw = "<p>&#8220;We do <b>not</b>\n believe in talks,&#8221; he said.</p>"
    clean = clean_article(raw)
    assert clean.text == "“We do not believe in talks,” he said."
    inner_start = clean.text.index("We")
    inner_end = clean.text.index(",") + 1
    s, e = clean.raw_span(inner_start, inner_end)
    assert raw[s:e] == "We do <b>not</b>\n believe in talks,"
    # with the quote marks: the whole entities are covered, not just their "&"
    s, e = clean.raw_span(0, clean.text.index("”") + 1)
    assert raw[s:e] == "&#8220;We do <b>not</b>\n believe in talks,&#8221;"
    assert clean.raw_span(3, 3) == (clean.to_raw[3], clean.to_raw[3])
    with pytest.raises(ValueError):
        clean.raw_span(5, 2)
    with pytest.raises(ValueError):
        clean.raw_span(0, len(clean.text) + 1)


def test_raw_span_plain_quote() -> None:
    raw = "<p>The statement warned: “Violence only begets violence,” it said.</p>"
    clean = clean_article(raw)
    start = clean.text.index("Violence")
    end = clean.text.index("violence,") + len("violence")
    s, e = clean.raw_span(start, end)
    assert raw[s:e] == "Violence only begets violence"


def test_html_furniture_and_scripts_are_dropped() -> None:
    raw = (
        "<!DOCTYPE html><html><head><title>Site | Page</title><style>p{color:red}</style>"
        "</head><body><nav>Home | World | Politics</nav><header>Big Site</header>"
        "<p>Body text here.</p><script>var a = '<p>not text</p>';</script>"
        "<aside>Most read: something else entirely</aside>"
        "<figure><img src=x><figcaption>A caption.</figcaption></figure>"
        "<form><button>Subscribe</button></form><footer>Contact us</footer></body></html>"
    )
    clean = clean_article(raw)
    assert clean.text == "Body text here."
    _assert_offsets(raw, clean)


def test_related_headline_and_stray_dots_between_paragraphs_are_dropped() -> None:
    raw = (
        "<p>First paragraph is here.</p>.<p>“Short quote,” he said.</p>"
        ".Iraq and US need to return to dialogue, says Iraq foreign minister."
        "<p>Now things are getting shaky. </p>"
    )
    clean = clean_article(raw)
    assert clean.text == (
        "First paragraph is here.\n\n“Short quote,” he said.\n\nNow things are getting shaky."
    )
    reasons = [reason for reason, _ in clean.dropped]
    assert reasons == ["punctuation", "loose-headline"]
    assert clean.dropped[1][1].startswith("Iraq and US need")
    _assert_offsets(raw, clean)


def test_text_before_the_first_or_after_the_last_paragraph_is_not_loose() -> None:
    raw = (
        "<div>Intro sentence outside any paragraph.<p>Body paragraph here.</p>"
        "Closing remark outside, too.</div>"
    )
    clean = clean_article(raw)
    assert clean.text == (
        "Intro sentence outside any paragraph.\n\nBody paragraph here.\n\n"
        "Closing remark outside, too."
    )


def test_unclosed_furniture_does_not_swallow_the_article() -> None:
    raw = "<p>One paragraph here.</p><aside>Box<p>Two paragraph here.</p>"
    assert clean_article(raw).text == "One paragraph here.\n\nTwo paragraph here."


def test_nbsp_entity_collapses_to_a_space_spanning_the_entity() -> None:
    raw = "<p>Prime&nbsp;Minister said it.</p>"
    clean = clean_article(raw)
    assert clean.text == "Prime Minister said it."
    i = clean.text.index(" ")
    assert clean.raw_span(i, i + 1) == (raw.index("&nbsp;"), raw.index("Minister"))
    _assert_offsets(raw, clean)


def test_entities_without_semicolon_and_unknown_entities() -> None:
    raw = "<p>AT&T and R&D; &foo; &ampx &copy2024 &#8220ok&#8221; &nbsp;fine.</p>"
    clean = clean_article(raw)
    assert clean.text == "AT&T and R&D; &foo; &x ©2024 “ok” fine."
    _assert_offsets(raw, clean)


@pytest.mark.parametrize(
    "raw",
    [
        "<p>unclosed <b>bold",
        "<p>An unclosed <b>bold sentence.</p",
        "<",
        "<p",
        "&",
        "&#",
        "&#;",
        "&#x;<p>x</p>",
        "<!--",
        "<!-- never closed <p>text</p>",
        "<script>var x = 1;",
        "<p class='x>hi there, friends.</p>",
        "</div></p></span>",
        "<<<>>> <p>>>>",
        "<p>\x00\ud800 odd chars.</p>",
        "<div><p><li><td>nested mess, yes.</div></td>",
        '<a href="x>y">link</a><p>Text.</p>',
        "<br/><br><hr><p/>",
    ],
)
def test_broken_html_never_raises(raw: str) -> None:
    clean = clean_article(raw, html=True)
    assert isinstance(clean.text, str)
    assert "<p" not in clean.text.lower() or raw.startswith("<<<")
    _assert_offsets(raw, clean)


def test_unclosed_bold_keeps_the_sentence() -> None:
    raw = "<p>An unclosed <b>bold sentence stays."
    clean = clean_article(raw)
    assert clean.text == "An unclosed bold sentence stays."
    _assert_offsets(raw, clean)


# --------------------------------------------------------------------------- plain text


def test_plain_text_is_an_identity_map() -> None:
    raw = "First paragraph, said Mr X.\n\nSecond one, with “quotes” in it."
    clean = clean_article(raw)
    assert clean.text == raw
    assert clean.to_raw == tuple(range(len(raw) + 1))
    assert clean.paragraphs == ((0, 27), (29, len(raw)))


def test_plain_text_without_blank_lines_splits_on_newlines() -> None:
    raw = "Line one is a sentence.\nLine two is another."
    clean = clean_article(raw)
    assert clean.text == "Line one is a sentence.\n\nLine two is another."
    assert clean.paragraphs == ((0, 23), (25, 45))
    _assert_offsets(raw, clean)
    assert clean.to_raw[25] == raw.index("Line two")


def test_boilerplate_lines_are_dropped() -> None:
    raw = "\n\n".join(
        [
            "top of page",
            "Cornered in Iraq",
            "Middle East",
            "The US faces two unpalatable choices.",
            "Share this article",
            "Advertisement",
            "Read more: Iraq news today",
            "© 2024 Example News. All rights reserved.",
            "We use cookies to improve your experience on our site.",
            "Subscribe to our newsletter for daily updates.",
            ".",
            "bottom of page",
        ]
    )
    clean = clean_article(raw)
    assert clean.text == "The US faces two unpalatable choices."
    reasons = {snippet: reason for reason, snippet in clean.dropped}
    assert reasons == {
        "top of page": "navigation",
        "Cornered in Iraq": "short-label",
        "Middle East": "short-label",
        "Share this article": "share",
        "Advertisement": "advertisement",
        "Read more: Iraq news today": "related",
        "© 2024 Example News. All rights reserved.": "copyright",
        "We use cookies to improve your experience on our site.": "cookie",
        "Subscribe to our newsletter for daily updates.": "subscribe",
        ".": "punctuation",
        "bottom of page": "navigation",
    }
    _assert_offsets(raw, clean)


def test_leading_date_stamp_is_stripped_not_the_paragraph() -> None:
    raw = " date 2023-12-11 The escalating violence has put the government in a bind.\n\nMore."
    clean = clean_article(raw)
    assert clean.text == "The escalating violence has put the government in a bind.\n\nMore."
    assert clean.to_raw[0] == raw.index("The escalating")
    assert clean.dropped == (("date-stamp", "date 2023-12-11"),)
    _assert_offsets(raw, clean)


def test_title_line_is_not_glued_to_the_next_line() -> None:
    raw = (
        "Iraq Caught Between Regional Tensions as Militias Target Israel\nMiddle East\n\n"
        "Iraq Caught Between Regional Tensions as Militias Target Israel\n\n"
        "Iraq is carefully navigating its position.\n\n"
        "Cornered in Iraq\nCornered in Iraq, the US faces two choices."
    )
    clean = clean_article(raw)
    paras = [clean.text[s:e] for s, e in clean.paragraphs]
    assert paras == [
        "Iraq Caught Between Regional Tensions as Militias Target Israel",
        "Iraq is carefully navigating its position.",
        "Cornered in Iraq, the US faces two choices.",
    ]
    assert [r for r, _ in clean.dropped] == ["short-label", "duplicate", "short-label"]
    _assert_offsets(raw, clean)


def test_hard_wrapped_paragraph_stays_whole() -> None:
    raw = "The prime minister said on Sunday that\nthe talks would go on.\n\nSecond paragraph."
    clean = clean_article(raw)
    assert clean.text == raw
    assert len(clean.paragraphs) == 2


def test_short_quoted_or_punctuated_paragraphs_are_kept() -> None:
    raw = "\n\n".join(
        [
            '"No," he said.',
            "“Never”",
            "He told reporters:",
            "Now things are getting shaky.",
            "Nelson Mandela",
        ]
    )
    clean = clean_article(raw)
    assert [clean.text[s:e] for s, e in clean.paragraphs] == [
        '"No," he said.',
        "“Never”",
        "He told reporters:",
        "Now things are getting shaky.",
    ]
    assert clean.dropped == (("short-label", "Nelson Mandela"),)


def test_repeated_body_is_dropped_once() -> None:
    body = "<p>First paragraph of the story.</p><p>“A quote,” she said.</p>"
    raw = body + "\n" + body
    clean = clean_article(raw)
    assert clean.text == "First paragraph of the story.\n\n“A quote,” she said."
    assert [r for r, _ in clean.dropped] == ["duplicate", "duplicate"]
    # the kept copy is the first one
    assert clean.to_raw[0] == raw.index("First")
    _assert_offsets(raw, clean)


def test_duplicate_detection_ignores_case_and_whitespace() -> None:
    raw = "Para one is  here.\n\nOther text.\n\nPARA ONE is here."
    clean = clean_article(raw)
    assert clean.text == "Para one is  here.\n\nOther text."


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("raw", ["", "   ", "\n\n\n", "\ufeff", "<p></p>", "&nbsp;"])
def test_empty_inputs(raw: str) -> None:
    clean = clean_article(raw)
    assert clean.text == ""
    assert clean.to_raw == (0,)
    assert clean.paragraphs == ()


def test_looks_like_html() -> None:
    assert looks_like_html("<p>x</p>")
    assert looks_like_html("line<br>line")
    assert looks_like_html("<!DOCTYPE html><title>x</title>")
    assert looks_like_html('<div class="a">x</div>')
    assert not looks_like_html("a < b and c > d")
    assert not looks_like_html("Plain text with “quotes” & ampersands.")


def test_forced_modes() -> None:
    raw = "<p>Tags stay as text in plain mode, as asked.</p>"
    assert clean_article(raw, html=False).text == raw
    assert clean_article(raw, html=True).text == "Tags stay as text in plain mode, as asked."


def _best_of(fn, arg: str, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("kind", ["repeated-article", "unique-paragraphs", "broken-tags"])
def test_clean_time_grows_linearly(kind: str) -> None:
    """10x more input may take at most ~15x longer (no quadratic paths).

    A ratio, not a wall-clock limit: it holds on a slow or busy machine too.
    """
    seed = (SEEDS_DIR / "004_836bdae3ce0b0081.txt").read_text(encoding="utf-8")
    unique = "".join(
        f"<p>Paragraph {i} &amp; more, “quoted” by Mr. Y.</p>\n" for i in range(20_000)
    )
    source = {
        "repeated-article": seed * 80,
        "unique-paragraphs": unique,
        "broken-tags": "<a " * 333_333,
    }[kind]
    small, large = source[:100_000], source[:1_000_000]
    assert _best_of(clean_article, large) <= 15 * _best_of(clean_article, small) + 0.05


# --------------------------------------------------------------------------- seeds


def test_seed_files() -> None:
    paths = sorted(SEEDS_DIR.glob("*.txt"))
    assert len(paths) == 5
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        clean = clean_article(raw)
        lowered = clean.text.lower()
        assert "top of page" not in lowered, path.name
        assert "bottom of page" not in lowered, path.name
        assert "<p>" not in lowered, path.name
        assert clean.text, path.name
        _assert_offsets(raw, clean)
        if path.name.startswith("004"):
            assert clean.text.count("Our land and sovereign authority") == 1
            assert "says Iraq foreign minister" not in clean.text
            assert "\n\n.\n\n" not in clean.text
        if path.name.startswith("000"):
            assert clean.text.startswith("The escalating violence")
        if path.name.startswith("002"):
            assert "Middle East\n" not in clean.text
            assert clean.text.count("Iraq Caught Between Regional Tensions") == 1


@pytest.mark.parametrize(
    "raw",
    [
        "Ali\u2066 Hussein\u2069 said \u201cgo\u200b home\u201d.",
        "<p>Ali\u2066 Hussein\u2069 said \u201cgo\u200b home\u201d.</p>",
    ],
)
def test_invisible_format_characters_are_dropped_and_skipped_by_the_map(raw: str) -> None:
    clean = clean_article(raw)
    assert clean.text == "Ali Hussein said \u201cgo home\u201d."
    start = clean.text.index("go home")
    s, e = clean.raw_span(start, start + len("go home"))
    assert raw[s:e] == "go\u200b home"
    assert strip_invisible(raw[s:e]) == "go home"
    s, e = clean.raw_span(0, len("Ali Hussein"))
    assert raw[s:e] == "Ali\u2066 Hussein"


def test_a_line_of_only_invisible_characters_leaves_no_paragraph() -> None:
    clean = clean_article("First line here.\n\n\u200b\u2066\n\nSecond line here.")
    assert clean.text == "First line here.\n\nSecond line here."
    assert len(clean.paragraphs) == 2
