"""Oracle-quote evaluation: the classifier alone, on gold quotes.

Extraction errors cannot count here: every gold quote is classified with its
context and its gold speaker, and its predicted labels are compared with the gold labels
(:func:`stancewire.eval.scorer.score_labels`). Two gold shapes are read:

- article files (ANNOTATION.md section 6): each quote's context is the
  sentence(s) of the article around it, and the article is the resampling
  unit of the bootstrap (its quotes are correlated);
- quote files such as ``real_quotes_dev.jsonl``: one ``{quote, context,
  stance, sentiment}`` object per line, each its own unit.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancewire.eval.scorer import score_labels
from stancewire.models.classifier import ClassifyInput, QuoteClassifier, speaker_text
from stancewire.models.clean import CleanText, clean_article

# A sentence ends after . ! ? (and a closing quote mark), at a line break, or
# at an HTML tag: gold article text is the article as given, and some
# articles are raw HTML whose paragraphs are only ``</p><p>`` apart.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+|\n+|(?P<tag>\s*<[^<>]{0,200}>\s*)")
_TAG = re.compile(r"<[^<>]{0,200}>")


def sentence_window(text: str, start: int, end: int, *, max_chars: int = 600) -> tuple[int, int]:
    """Character bounds of the sentence(s) of ``text`` covering ``[start, end)``.

    Why: a quote is judged in its sentence (ANNOTATION.md section 3), so both
    the classifier input and the report's error browser show that sentence.
    """
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    first = starts[-1]
    end_match = _SENTENCE_END.search(text, end)
    if end_match is None:
        last = len(text)
    elif end_match.group("tag") is not None:
        last = end_match.start()
    else:
        last = end_match.start() + 1
    last = min(last, len(text))
    while first < last and text[first].isspace():
        first += 1
    while last > first and text[last - 1].isspace():
        last -= 1
    return first, min(last, first + max_chars)


def sentence_context(text: str, quote: str, *, max_chars: int = 600) -> str | None:
    """The sentence(s) of ``text`` that contain ``quote`` (None if not found)."""
    at = text.find(quote)
    if at < 0:
        return None
    first, last = sentence_window(text, at, at + len(quote), max_chars=max_chars)
    return " ".join(_TAG.sub(" ", text[first:last]).split())


def clean_quote_and_context(
    text: str,
    quote: str,
    *,
    start: int | None = None,
    end: int | None = None,
    clean: CleanText | None = None,
) -> tuple[str, str | None]:
    """The quote and its sentence as the pipeline would read them from ``text``.

    Gold article text is the article as given, HTML and entities included; the
    pipeline reads the cleaned article (:func:`stancewire.models.clean.clean_article`),
    so the gold quote is located in the raw text, mapped into the clean text,
    and its sentence taken there: ``&ldquo;`` is a quote mark, ``</p><p>`` a
    paragraph break. Falls back to the raw text when the quote sits in
    something the cleaner drops. ``clean`` is ``clean_article(text)`` when the
    caller has it already (one article, many quotes).

    Returns:
        ``(quote, context)``; context is None when the quote is not in ``text``.
    """
    at = text.find(quote)
    if at < 0 and start is not None and end is not None and 0 <= start < end <= len(text):
        at, quote = start, text[start:end]
    if at < 0:
        return quote, None
    clean = clean or clean_article(text)
    lo = bisect_left(clean.to_raw, at, 0, len(clean.text))
    hi = bisect_left(clean.to_raw, at + len(quote), lo, len(clean.text))
    if hi > lo and clean.text[lo:hi].strip():
        first, last = sentence_window(clean.text, lo, hi, max_chars=max(600, hi - lo))
        context = " ".join(clean.text[min(first, lo) : max(last, hi)].split())
        return " ".join(clean.text[lo:hi].split()), context
    return quote, sentence_context(text, quote)


@dataclass(frozen=True)
class OracleItem:
    """One gold quote to classify.

    Attributes:
        unit: The bootstrap unit it belongs to (article id, or the row id for quote-style gold).
        gold: The gold quote (at least ``stance`` and ``sentiment``).
        input: What the classifier reads: the quote, its context and the gold
            speaker (name and affiliation), as the pipeline gives its own.
        speaker: The gold speaker, for the report.
    """

    unit: str
    gold: dict[str, Any]
    input: ClassifyInput
    speaker: str | None = None


def is_quote_style(rows: list[dict[str, Any]]) -> bool:
    """Whether gold rows are single quotes (``quote`` field) rather than articles."""
    return bool(rows) and all("quote" in r and "quotes" not in r for r in rows)


def oracle_items(rows: list[dict[str, Any]]) -> list[OracleItem]:
    """Gold quotes with their classifier inputs, from either gold shape.

    Raises:
        ValueError: A row is neither an article (``quotes``) nor a quote (``quote``).
    """
    items: list[OracleItem] = []
    for i, row in enumerate(rows):
        if "quotes" in row:
            clean = clean_article(row["text"])
            for q in row["quotes"]:
                quote, context = clean_quote_and_context(
                    row["text"], q["text"], start=q.get("start"), end=q.get("end"), clean=clean
                )
                who = speaker_text(q.get("speaker"), q.get("affiliation"))
                items.append(
                    OracleItem(
                        str(row["id"]), q, ClassifyInput(quote, context, who), q.get("speaker")
                    )
                )
        elif "quote" in row:
            gold = {"text": row["quote"], "stance": row["stance"], "sentiment": row["sentiment"]}
            items.append(
                OracleItem(
                    str(row.get("id", f"row-{i}")),
                    gold,
                    ClassifyInput(
                        row["quote"],
                        row.get("context"),
                        speaker_text(row.get("speaker"), row.get("affiliation")),
                    ),
                    row.get("speaker"),
                )
            )
        else:
            raise ValueError(f"gold row {i} has neither 'quotes' (article) nor 'quote' (quote)")
    return items


def gold_quote_items(path: str | Path) -> tuple[list[dict[str, Any]], list[ClassifyInput]]:
    """Gold quotes and the classifier inputs for them, from either gold shape."""
    from stancewire.eval.scorer import read_jsonl

    items = oracle_items(read_jsonl(path))
    return [it.gold for it in items], [it.input for it in items]


def evaluate_oracle(path: str | Path, classifier: QuoteClassifier) -> dict[str, float | int]:
    """Stance and sentiment metrics of ``classifier`` on the gold quotes of ``path``."""
    gold, inputs = gold_quote_items(path)
    preds = classifier.predict(inputs)
    pred_quotes = [
        {"stance": {t: p[t].label for t in classifier.targets}, "sentiment": p["sentiment"].label}
        for p in preds
    ]
    return score_labels(gold, pred_quotes)
