"""Labelling time grows at most linearly: 10x the input may take at most ~15x as long.

A ratio, not a wall-clock limit, so it holds on a slow or busy machine: each
size is timed three times, interleaved (small, large, small, large...) so a
burst of load from elsewhere hits both, and the best time of each is kept.
The sizes (3,000 and 30,000 characters; 2,000 and 20,000 for the dense hostile
text) keep the test to seconds; the article size limit bounds the rest: a 1 MB
article is refused before any work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from stancewire.models.clean import clean_article
from stancewire.models.doc_attrs import QUOTES_KEY
from stancewire.models.pipeline import StancePipeline, load_pipeline, quote_context
from stancewire.models.schema import Article, ArticleError, LabelledArticle

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))
SMALL, LARGE = 3_000, 30_000


def _paragraphs() -> list[str]:
    return [p for path in SEEDS for p in clean_article(path.read_text("utf-8")).text.split("\n\n")]


def news(chars: int) -> str:
    """Real news paragraphs, numbered so that none is dropped as a repeat."""
    paras = _paragraphs()
    out: list[str] = []
    k = 0
    while sum(map(len, out)) < chars:
        out.append(f"({k}) {paras[k % len(paras)]}")
        k += 1
    return "\n\n".join(out)[:chars]


def hostile(chars: int) -> str:
    """Quote soup, broken HTML, entities, bidi and zero-width marks; numbered, never repeated."""
    out: list[str] = []
    k = 0
    while sum(map(len, out)) < chars:
        out.append(
            f'"We stay {k}," Ali\u200bHussein\u202e said. «Nested ‹marks› and “unclosed, she added.'
            f"\n\n<div><p class='x>&ldquo;Go home {k},&rdquo; the general said \u2066in Baghdad"
            f'\u2069.<b><i> "Soup "{k}" ‘of’ marks," he added.\n\n'
        )
        k += 1
    return "".join(out)[:chars]


def interleaved_best(fn: Callable[[str], object], small: str, large: str) -> tuple[float, float]:
    best = [float("inf"), float("inf")]
    fn(small)  # warm-up
    for _ in range(3):
        for k, arg in enumerate((small, large)):
            started = time.perf_counter()
            fn(arg)
            best[k] = min(best[k], time.perf_counter() - started)
    return best[0], best[1]


@pytest.fixture(scope="module")
def roomy_pipeline(tiny_model_dir: Path) -> StancePipeline:
    return load_pipeline(tiny_model_dir, max_chars=10 * LARGE)


def test_labelling_time_grows_linearly(roomy_pipeline: StancePipeline) -> None:
    """End to end on news: cleaning, spaCy, quotes, speakers, classifier, roll-up."""
    small, large = news(SMALL), news(LARGE)

    def label(text: str) -> None:
        (result,) = roomy_pipeline.pipe([Article(id="x", text=text)])
        assert isinstance(result, LabelledArticle) and result.quotes

    t_small, t_large = interleaved_best(label, small, large)
    assert t_large <= 15 * t_small + 0.05, (t_small, t_large)


def test_text_stages_time_grows_linearly_on_hostile_text(nlp: Language) -> None:
    """Cleaning, quote finding and attribution on quote soup with broken HTML.

    The text stages only; the end-to-end check is the test on news above, and
    ``quote_context``'s own cost is checked below.
    """
    small, large = hostile(2_000), hostile(20_000)
    found: dict[int, int] = {}

    def stages(text: str) -> None:
        clean = clean_article(text)
        doc = nlp.make_doc(clean.text)
        doc._.sw_paragraphs = list(clean.paragraphs)
        found[len(text)] = len(nlp(doc).spans[QUOTES_KEY])

    t_small, t_large = interleaved_best(stages, small, large)
    assert found[len(large)] > 300  # the quote finder and attribution had work to do
    assert t_large <= 15 * t_small + 0.05, (t_small, t_large)


def test_a_megabyte_article_is_refused_by_the_size_limit(tiny_pipeline: StancePipeline) -> None:
    """Refused before any work, by design (``max_chars``, 200,000 by default)."""
    raw = ("Officials said the talks would go on. " * 30_000)[:1_000_000]
    (result,) = tiny_pipeline.pipe([Article(id="big", text=raw)])
    assert isinstance(result, ArticleError) and result.code == "SW102"
    assert "1000000 characters" in result.message


def test_the_context_of_a_quote_costs_the_same_in_a_long_article(nlp: Language) -> None:
    def doc_of(n: int) -> Doc:
        return Doc(
            nlp.vocab,
            words=["Start" if i % 10 == 0 else "w" for i in range(n)],
            sent_starts=[i % 10 == 0 for i in range(n)],
        )

    def cost(doc: Doc) -> float:
        span = doc[len(doc) // 2 : len(doc) // 2 + 3]
        assert quote_context(span) == "Start w w w w w w w w w"
        started = time.perf_counter()
        for _ in range(20):
            quote_context(span)
        return time.perf_counter() - started

    short, long = doc_of(2_000), doc_of(20_000)
    cost(short)
    assert cost(long) <= 3 * cost(short) + 0.01
