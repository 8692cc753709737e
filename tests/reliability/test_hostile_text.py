"""Property tests: cleaning, quote finding and attribution on hostile text never fail.

For any input (see :mod:`tests.reliability.strategies`): no exception escapes,
every offset indexes the input as given, every quote slices back to its text,
and speakers are names read off the article (:mod:`tests.reliability.invariants`).
The example counts are modest and the runs derandomized, so the suite is fast
and repeatable; ``python -m tests.reliability.fuzz_pipeline`` keeps exploring.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from stancewire.models.clean import clean_article
from stancewire.models.io import iter_articles
from stancewire.models.pipeline import StancePipeline
from stancewire.models.schema import Article, ArticleError
from tests.reliability.fuzz_pipeline import fuzz
from tests.reliability.invariants import analyse, check_clean, check_labelled
from tests.reliability.strategies import (
    hostile_article,
    hostile_utf8_article,
    without_surrogates,
)

SUITE = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

NASTY = [
    '"He said "she said "they said" ok" fine," he said.',
    "“Unclosed, said Ali Hussein.\n\n“Another unclosed, he added.",
    "”Reversed marks,“ the general said.",
    "«Nested ‹deep „quotes‟ here› end» said the cleric.",
    '"' * 500 + " said he " + "”" * 500,
    '\u202e"tfel ot thgir," dias eH\u202c and \u2066"isolated,"\u2069 she said.',
    '"US\u200b forces\u200d must\u2060 leave," said Ali\u00adHussein\ufeff.',
    "<div>" * 3000 + '"Deep quote," he said.' + "</div>" * 3000,
    "<p>" * 2000 + '"Unclosed paragraphs," she said.',
    '<p>"A quote <b>across <i>tags</b> badly</i> nested," said <a href="x>y">Mr. X</a>.</p>',
    '<script>"not a quote," he said</script><p>"A quote," he said.</p><style>',
    '<!-- "hidden," he said --><p>&ldquo;Entity quote,&rdquo; she said&#8230;</p>',
    '&#0;&#xD800;&#1114112;&#99999999;&amp&ampx&notin; "Odd entities," he said.',
    '\x00\x01\x02"Binary\x7f junk,\x1b" he said.\x00',
    "word " * 5000 + '"' + "quoted " * 2000 + '," said Ali Hussein.',
    ('"Long quote goes on. ' * 300) + '," he said.',
    "He said:\n\n\n\n“\n\n”\n\n“”\n\n«»",
    '"\r\n" he said\r\r\r"\t" she said \x0b\x0c "\u2028\u2029" they said',
]


@settings(SUITE, max_examples=300)
@given(raw=hostile_article, mode=st.sampled_from([None, True, False]))
def test_cleaning_never_raises_and_maps_every_char_back(raw: str, mode: bool | None) -> None:
    """Lone surrogates included: cleaning takes any ``str``."""
    check_clean(raw, clean_article(raw, html=mode))


@pytest.mark.parametrize("raw", NASTY)
def test_nasty_cases_hold_the_contract(nlp: Language, raw: str) -> None:
    analyse(raw, nlp)


@settings(SUITE, max_examples=150)
@given(raw=hostile_utf8_article)
def test_quote_finding_and_attribution_hold_the_offset_contract(nlp: Language, raw: str) -> None:
    analyse(raw, nlp)


@settings(SUITE, max_examples=25)
@given(raws=st.lists(hostile_utf8_article.map(lambda s: s[:4000]), min_size=1, max_size=4))
@example(raws=NASTY[:4])
def test_the_pipeline_labels_or_rejects_every_article(
    tiny_pipeline: StancePipeline, raws: list[str]
) -> None:
    """End to end, batched: a result per article, in order, never an internal error."""
    articles = [Article(id=f"a{i}", text=raw) for i, raw in enumerate(raws)]
    results = list(tiny_pipeline.pipe(articles))
    assert [r.id for r in results] == [a.id for a in articles]
    for raw, result in zip(raws, results, strict=True):
        check_labelled(raw, result)
        if not isinstance(result, ArticleError):
            json.loads(result.model_dump_json())  # it serialises, as every writer needs


def test_lone_surrogates_are_a_user_error_not_an_internal_one(
    tiny_pipeline: StancePipeline,
) -> None:
    (result,) = tiny_pipeline.pipe([Article(id="s", text='said "\ud800')])
    assert isinstance(result, ArticleError) and result.code == "SW100", result


def test_jsonl_surrogate_escapes_are_recorded_not_fatal(tmp_path: Path) -> None:
    r"""JSON may spell ``\ud800``: such a line is an input error, the rest is read."""
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "ok", "text": "fine"}\n'
        '{"id": "a\\ud800", "text": "fine"}\n'
        '{"id": "b", "text": "bad \\udfff text"}\n'
        '{"id": "c", "text": "fine", "source": "\\ud83d"}\n'
        '{"id": "d", "text": "a pair \\ud83d\\ude00 is fine"}\n',
        "utf-8",
    )
    items = list(iter_articles([str(path)]))
    assert [(i.id, type(i).__name__) for i in items] == [
        ("ok", "Article"),
        ("in.jsonl:2", "ArticleError"),
        ("in.jsonl:3", "ArticleError"),
        ("in.jsonl:4", "ArticleError"),
        ("d", "Article"),
    ]
    assert [i.message.split(": ", 1)[1] for i in items if isinstance(i, ArticleError)] == [
        "field 'id': not valid Unicode (a lone surrogate escape such as \\ud800)",
        "field 'text': not valid Unicode (a lone surrogate escape such as \\ud800)",
        "field 'source': not valid Unicode (a lone surrogate escape such as \\ud800)",
    ]
    assert items[-1].text == "a pair 😀 is fine"


def test_without_surrogates_keeps_everything_else() -> None:
    assert without_surrogates("a\ud800b😀") == "a?b😀"


def test_the_fuzz_target_runs_a_round(nlp: Language, tiny_pipeline: StancePipeline) -> None:
    """``python -m tests.reliability.fuzz_pipeline`` in miniature (one derandomized round)."""
    stats = fuzz(0, nlp, tiny_pipeline, examples_per_round=5, derandomize=True)
    assert (stats.rounds, stats.examples, stats.failures) == (1, 5, [])


@pytest.mark.parametrize(
    "raw",
    [
        "Ali Hussein\u202e said “go home now”.",
        "<p>“Go home now,” said Ali Hussein\u200f.</p>",
        "“Go home now,” said Ali\u2066 Hussein\u2069.",
        "“Go home now,” said Ali\u200b Hus\u00adsein.",
        "<p>“Go home now,” said Ali\u2067 Hussein\u2069.</p>",
    ],
)
def test_speaker_names_carry_no_invisible_format_characters(nlp: Language, raw: str) -> None:
    (quote,) = analyse(raw, nlp).quotes
    assert quote.speaker == "Ali Hussein"
