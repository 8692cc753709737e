"""ParsePool: an article parsed in pieces by worker processes reads as if parsed whole."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from spacy.language import Language

from stancewire.models.classifier import QuoteClassifier
from stancewire.models.clean import clean_article
from stancewire.models.components.quotes import DATELINE_PARAGRAPHS
from stancewire.models.doc_attrs import QUOTES_KEY
from stancewire.models.parse_pool import ParsePool, split_paragraphs
from stancewire.models.pipeline import StancePipeline
from stancewire.models.schema import Article

ROOT = Path(__file__).resolve().parents[2]

# Cross-piece cases: a pronoun ("He said") whose antecedent sits pieces earlier, a
# quote that runs over two paragraphs, and a capitalised "NATO — which" paragraph,
# read as a dateline only among the article's first paragraphs: it is among the
# second piece's first ones, where it must still be read as a subject.
PARAGRAPHS = [
    "BAGHDAD, March 3 (Reuters) - Iraq's parliament met on Sunday to debate the "
    "future of the US-led coalition.",
    '"Foreign forces must leave our country," said Hadi al-Ameri, the head of the '
    "Badr Organization, at a rally in Baghdad.",
    "Defense Secretary Lloyd Austin told reporters that US troops would stay to "
    "fight Islamic State for as long as Baghdad asked them to.",
    "Kataib Hezbollah said in a statement that it would keep up its attacks on "
    "American bases until the last soldier had gone.",
    "The talks have dragged on for months. Officials in both capitals describe "
    "them as difficult but necessary.",
    '"We will not accept a timetable written in Washington," Ameri told supporters. '
    '"The decision belongs to Iraqis.',
    '"Nobody else," he said.',
    "Prime Minister Mohammed Shia al-Sudani said the government would protect "
    "diplomatic missions and hold the attackers to account.",
    "NATO — which runs a separate advisory mission — said its trainers would stay.",
    "He said Iraq did not want to become a battleground for other countries' wars.",
    "A spokesman for the coalition said its advisers were working from bases in "
    "Erbil and at Ain al-Asad, in western Anbar province.",
    '"The resistance has the right to answer every aggression," said Abu Alaa '
    "al-Walaei, the leader of Kataib Sayyid al-Shuhada.",
    "Residents of the capital said they were tired of the rockets and of the "
    "strikes that followed them.",
    "The State Department said the embassy would remain open.",
]
ARTICLE = "\n\n".join(PARAGRAPHS)
NATO = 8


def test_pieces_cover_the_text_and_keep_paragraphs_whole() -> None:
    clean = clean_article(ARTICLE)
    for n in (1, 2, 3, 7):
        pieces = split_paragraphs(clean.text, clean.paragraphs, n, min_chars=200)
        assert 1 < len(pieces) <= n or n == 1 and len(pieces) == 1
        assert "".join(p.text for p in pieces) == clean.text
        offset, first = 0, 0
        for piece in pieces:
            assert piece.first_paragraph == first
            for start, end in piece.paragraphs:
                assert clean.text[offset + start : offset + end] in clean.text
                assert (offset + start, offset + end) in clean.paragraphs
            first += len(piece.paragraphs)
            offset += len(piece.text)
        assert first == len(clean.paragraphs)
    sizes = [len(p.text) for p in split_paragraphs(clean.text, clean.paragraphs, 2, min_chars=200)]
    assert min(sizes) > 0.3 * len(clean.text)  # about even, not one paragraph and the rest


def test_short_articles_are_not_cut() -> None:
    clean = clean_article(ARTICLE)
    (whole,) = split_paragraphs(clean.text, clean.paragraphs, 4, min_chars=len(clean.text))
    assert whole.text == clean.text and whole.first_paragraph == 0
    (one,) = split_paragraphs("One paragraph only.", [(0, 19)], 4, min_chars=1)
    assert one.text == "One paragraph only."


@pytest.fixture(scope="module")
def pool(nlp: Language) -> ParsePool:
    with ParsePool(nlp, 2, min_piece_chars=200) as pool:
        yield pool


def _doc(nlp: Language, text: str):
    clean = clean_article(text)
    doc = nlp.make_doc(clean.text)
    doc._.sw_paragraphs = list(clean.paragraphs)
    return doc


def _reading(doc) -> dict[str, list]:
    return {
        "sents": [s.text for s in doc.sents],
        "ents": [(e.text, e.label_) for e in doc.ents],
        "deps": [(t.dep_, t.head.i, t.lemma_, t.pos_) for t in doc],
        "quotes": [
            (q.start_char, q.end_char, q._.sw_kind, q._.sw_speaker) for q in doc.spans[QUOTES_KEY]
        ],
    }


def _articles() -> list[str]:
    seeds = sorted((ROOT / "seeds").glob("*.txt"))[:2]
    return [ARTICLE, *(p.read_text(encoding="utf-8") for p in seeds)]


def test_pool_reads_articles_as_the_in_process_pipeline_does(
    nlp: Language, pool: ParsePool
) -> None:
    texts = _articles()
    expected = [_reading(nlp(_doc(nlp, t))) for t in texts]
    got = pool.parse([_doc(nlp, t) for t in texts])
    assert len(got) == len(texts)
    for doc, text, want in zip(got, texts, expected, strict=True):
        assert doc.text == clean_article(text).text
        assert _reading(doc) == want
    quotes = expected[0]["quotes"]
    assert len(quotes) >= 10 and any(q[3] and "Ameri" in q[3].name for q in quotes)
    # the dateline case is exercised: NATO opens a later piece, far into the article
    clean = clean_article(ARTICLE)
    pieces = split_paragraphs(clean.text, clean.paragraphs, 2, min_chars=200)
    first = pieces[1].first_paragraph
    assert NATO >= DATELINE_PARAGRAPHS and first <= NATO < first + DATELINE_PARAGRAPHS


def test_a_killed_worker_costs_no_article(nlp: Language) -> None:
    texts = _articles()[:2]
    expected = [_reading(nlp(_doc(nlp, t))) for t in texts]
    with ParsePool(nlp, 2, min_piece_chars=200) as pool:
        before = set(pool._executor._processes)  # type: ignore[union-attr]
        os.kill(next(iter(before)), signal.SIGKILL)
        got = pool.parse([_doc(nlp, t) for t in texts])  # in-process, then a new pool
        assert [_reading(d) for d in got] == expected
        after = set(pool._executor._processes)  # type: ignore[union-attr]
        assert after and not after & before
        assert [_reading(d) for d in pool.parse([_doc(nlp, t) for t in texts])] == expected


def test_pipeline_with_a_pool_labels_as_without(
    nlp: Language, pool: ParsePool, tiny_model_dir: Path
) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    articles = [Article(id=f"a{i}", text=t) for i, t in enumerate(_articles())]
    articles.append(Article(id="empty", text="<p> </p>"))
    plain = StancePipeline(nlp, clf, batch_size=4)
    pooled = StancePipeline(nlp, clf, batch_size=4, parse_pool=pool)
    assert [r.model_dump() for r in pooled.pipe(articles)] == [
        r.model_dump() for r in plain.pipe(articles)
    ]


def test_pool_needs_a_process(nlp: Language) -> None:
    with pytest.raises(ValueError, match="at least 1 process"):
        ParsePool(nlp, 0)
