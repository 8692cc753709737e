"""What must hold for *any* input: shared by the property tests and the fuzz target.

Each ``check_*`` function raises ``AssertionError`` with the offending detail;
:func:`analyse` runs the text stages exactly as the pipeline does (cleaning,
then spaCy with the quote finder and speaker attribution, then ``to_quote``),
minus the classifier, so the checks run without a model.

The offset contract (``models/schema.py`` ``Quote``, ``models/pipeline.py``
``to_quote``, ``models/clean.py`` ``CleanText.raw_span``): ``start``/``end``
index the article *as given*; every character of the quote comes from the raw
character the map names (an entity decodes to it, a collapsed run of
whitespace is a space); for plain text the slice *is* the quote.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from stancewire.models.clean import CleanText, clean_article, looks_like_html, strip_invisible
from stancewire.models.doc_attrs import QUOTES_KEY, Speaker
from stancewire.models.pipeline import to_quote
from stancewire.models.schema import ArticleError, LabelledArticle, Quote

SPEAKER_TYPES = frozenset({"person", "organization", "unnamed"})
QUOTE_KINDS = frozenset({"direct", "indirect"})


def _separators(clean: CleanText) -> set[int]:
    """Clean indices of the synthesized ``"\\n\\n"`` between kept paragraphs."""
    out: set[int] = set()
    for (_, end), (start, _) in zip(clean.paragraphs, clean.paragraphs[1:], strict=False):
        out.update(range(end, start))
    return out


def check_char(raw: str, clean: CleanText, i: int) -> None:
    """Clean char ``i`` comes from the raw char (or entity) ``to_raw[i]`` names."""
    ch, r = clean.text[i], clean.to_raw[i]
    assert 0 <= r < len(raw), f"clean char {i} maps outside the input ({r})"
    if i in clean.raw_ends:
        end = clean.raw_ends[i]
        entity = raw[r:end]
        assert r < end <= len(raw) and entity.startswith("&"), (i, ch, entity)
        decoded = html.unescape(entity)
        assert ch in decoded or (ch == " " and decoded.isspace()), (i, ch, entity)
    elif ch == " ":
        assert raw[r].isspace(), f"clean space {i} maps to {raw[r]!r}"
    else:
        assert raw[r] == ch, f"clean char {i} {ch!r} maps to raw {raw[r]!r} at {r}"


def check_clean(raw: str, clean: CleanText) -> None:
    """The cleaning map: monotone, in range, char-exact; paragraphs tile the text."""
    text, to_raw = clean.text, clean.to_raw
    assert len(to_raw) == len(text) + 1
    assert all(0 <= r <= len(raw) for r in to_raw), "to_raw out of range"
    assert all(a <= b for a, b in zip(to_raw, to_raw[1:], strict=False)), "to_raw not monotone"
    seps = _separators(clean)
    for i in range(len(text)):
        if i in seps:
            assert text[i] == "\n"
        else:
            check_char(raw, clean, i)
    assert "\n\n".join(text[s:e] for s, e in clean.paragraphs) == text
    for s, e in clean.paragraphs:
        assert 0 <= s < e <= len(text), f"empty or out-of-range paragraph ({s}, {e})"


def check_quote_offsets(raw: str, clean: CleanText, quote: Quote, cs: int, ce: int) -> None:
    """``quote`` (from the clean span ``[cs, ce)``) indexes ``raw`` per the contract."""
    assert quote.start is not None and quote.end is not None
    start, end = quote.start, quote.end
    assert 0 <= start < end <= len(raw), f"quote offsets ({start}, {end}) for {len(raw)} chars"
    assert clean.text[cs:ce] == quote.text, "quote text is not its clean span"
    assert quote.text and not quote.text[0].isspace() and not quote.text[-1].isspace()
    assert (start, end) == clean.raw_span(cs, ce)
    seps = _separators(clean)
    for i in range(cs, ce):
        if i not in seps:
            check_char(raw, clean, i)
            assert start <= clean.to_raw[i] < end, f"char {i} maps outside the quote's slice"
    # the slice starts at the quote's first char and ends right after its last
    if cs not in clean.raw_ends:
        assert raw[start] == quote.text[0]
    if ce - 1 not in clean.raw_ends:
        assert raw[end - 1] == quote.text[-1]
    else:
        assert raw[end - 1] == ";" or raw[end - 1].isalnum()
    piece = raw[start:end]
    if not looks_like_html(raw) and not seps.intersection(range(cs, ce)):
        # plain text maps each paragraph identically but for the invisible
        # format characters it drops: the slice *is* the quote
        assert strip_invisible(piece) == quote.text, (piece, quote.text)
    elif not clean.raw_ends.keys() & set(range(cs, ce)) and len(piece) == ce - cs:
        # HTML without entity, markup or dropped text inside: the slice is the
        # quote up to whitespace, which HTML collapses to one space
        assert all(
            a == b or (b == " " and a.isspace()) for a, b in zip(piece, quote.text, strict=True)
        ), (
            piece,
            quote.text,
        )


def check_speaker(speaker: Speaker | None, doc: Doc) -> None:
    """A speaker is a non-empty name of a known type, its words taken from the article."""
    if speaker is None:
        return
    assert speaker.type in SPEAKER_TYPES, speaker
    assert speaker.name and speaker.name == speaker.name.strip(), speaker
    for alias in speaker.aliases:
        assert isinstance(alias, str) and alias.strip(), speaker
    assert speaker.affiliation is None or speaker.affiliation.strip(), speaker
    # names are read off the article, never made up: every word is in its text
    text = doc.text.lower()
    for name in (speaker.name, *speaker.aliases):
        missing = [w for w in name.lower().split() if w not in text]
        assert not missing, (speaker, missing)


def check_doc(doc: Doc) -> None:
    """Quote spans of a processed doc: in range, of a known kind, speakers well formed."""
    for span in doc.spans[QUOTES_KEY]:
        assert 0 <= span.start < span.end <= len(doc), (span.start, span.end)
        assert span._.sw_kind in QUOTE_KINDS, span._.sw_kind
        check_speaker(span._.sw_speaker, doc)


@dataclass
class Analysed:
    """What the text stages made of one raw input."""

    clean: CleanText
    doc: Doc | None
    quotes: list[Quote]


def analyse(raw: str, nlp: Language, targets: tuple[str, ...] = ("t",)) -> Analysed:
    """Clean, find and attribute quotes, build output quotes; check every invariant.

    Mirrors ``StancePipeline._prepare`` / ``_analyse`` / ``_to_output`` without
    the classifier (stances stay ``none``), so it needs no model.
    """
    clean = clean_article(raw)
    check_clean(raw, clean)
    if not clean.text.strip():
        return Analysed(clean, None, [])
    doc = nlp.make_doc(clean.text)
    doc._.sw_paragraphs = list(clean.paragraphs)
    doc = nlp(doc)
    assert doc.text == clean.text
    check_doc(doc)
    quotes = []
    for span in doc.spans[QUOTES_KEY]:
        quote = to_quote(span, clean, list(targets))
        check_quote_offsets(raw, clean, quote, span.start_char, span.end_char)
        quotes.append(quote)
    return Analysed(clean, doc, quotes)


def check_labelled(raw: str, result: LabelledArticle | ArticleError) -> None:
    """A pipeline result: a labelled article honouring the contract, or a *user* error.

    ``SW500`` means an exception escaped a stage and the pipeline's safety net
    caught it: a bug, so it fails the check.
    """
    if isinstance(result, ArticleError):
        assert result.code in {"SW101", "SW102"}, (result.code, result.message)
        return
    assert result.text == raw
    clean = clean_article(raw)
    for quote in result.quotes:
        assert quote.start is not None and quote.end is not None
        assert 0 <= quote.start < quote.end <= len(raw), (quote.start, quote.end)
        # the quote is a clean span that maps to exactly these offsets
        cs = _find_clean_span(clean, quote)
        check_quote_offsets(raw, clean, quote, cs, cs + len(quote.text))
    n = len(result.quotes)
    for speaker in result.speakers:
        assert speaker.n_quotes == len(speaker.quotes) > 0
        assert all(0 <= i < n for i in speaker.quotes), speaker.quotes
        for target, evidence in speaker.evidence.items():
            assert set(evidence) <= set(speaker.quotes), (target, evidence)
    attributed = sorted(i for s in result.speakers for i in s.quotes)
    assert len(attributed) == len(set(attributed)), "a quote is rolled up twice"


def _find_clean_span(clean: CleanText, quote: Quote) -> int:
    """The clean start of ``quote``: the occurrence of its text that maps to its offsets."""
    pos = clean.text.find(quote.text)
    while pos >= 0:
        if clean.raw_span(pos, pos + len(quote.text)) == (quote.start, quote.end):
            return pos
        pos = clean.text.find(quote.text, pos + 1)
    raise AssertionError(f"no clean span of {quote.text!r} maps to ({quote.start}, {quote.end})")
