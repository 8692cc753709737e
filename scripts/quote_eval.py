"""Dev script: run clean -> nlp on gold articles and write quote predictions.

Stance and sentiment are fixed (``none``/``neutral``), so that the scorer's
extraction and attribution numbers can be read for the quote and speaker
components alone::

    .venv/bin/python scripts/quote_eval.py --out /tmp/pred.jsonl
    .venv/bin/python -m stancewire.eval.scorer eval/gold/seeds.jsonl /tmp/pred.jsonl

``--misses`` scores the predictions too and lists, per article, the missed gold
quotes, the spurious predictions and the wrong speakers, so that errors can be
read by category (kind, speaker type) rather than as one number.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from stancewire.models.components import build_nlp
from stancewire.models.doc_attrs import QUOTES_KEY

ROOT = Path(__file__).resolve().parent.parent


def clean(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """Clean text and its paragraphs: the project's cleaner, else a crude HTML fallback."""
    try:
        from stancewire.models.clean import clean_article
    except Exception:  # the cleaner may be missing or mid-rewrite; the fallback will do
        clean_article = None
    if clean_article is not None:
        cleaned = clean_article(text)
        return cleaned.text, list(cleaned.paragraphs)
    text = re.sub(r"(?i)</p>|<p[^>]*>|<br\s*/?>", "\n\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip(), None


def predict(nlp: Any, article: dict[str, Any]) -> dict[str, Any]:
    """One prediction line for one article."""
    text, paragraphs = clean(article["text"])
    doc = nlp.make_doc(text)
    doc._.sw_paragraphs = paragraphs
    doc = nlp(doc)
    quotes = []
    for span in doc.spans[QUOTES_KEY]:
        speaker = span._.sw_speaker
        quotes.append(
            {
                "text": span.text,
                "kind": span._.sw_kind,
                "speaker": speaker.name if speaker else None,
                "speaker_type": speaker.type if speaker else None,
                "affiliation": speaker.affiliation if speaker else None,
                "speaker_aliases": list(speaker.aliases) if speaker else [],
                "stance": {"us_presence": "none", "militias": "none"},
                "sentiment": "neutral",
                "attribution": span._.sw_attribution,
                "cue": span._.sw_cue.text if span._.sw_cue is not None else None,
                "mention": span._.sw_mention.text if span._.sw_mention is not None else None,
            }
        )
    return {"id": article["id"], "source": article.get("source"), "quotes": quotes}


def report_misses(gold_path: Path, pred_path: Path) -> None:
    """Write the metrics line and every error of the alignment to stdout."""
    from stancewire.eval.scorer import score_files

    result = score_files(gold_path, pred_path)
    gold = {a["id"]: a for a in (json.loads(x) for x in gold_path.read_text().splitlines() if x)}
    out = sys.stdout
    for rec in result.matches:
        quote = gold[rec.article_id]["quotes"][rec.gold_index] if rec.gold_index is not None else {}
        tag = f"{rec.article_id} {quote.get('kind', rec.pred_kind)!s:8.8}"
        if rec.status == "missed":
            out.write(f"MISS  {tag} [{rec.gold_speaker}|{quote.get('speaker_type')}] ")
            out.write(f"{rec.gold_text!s:.150}\n")
        elif rec.status == "spurious":
            out.write(f"SPUR  {tag} [{rec.pred_speaker}] {rec.pred_text!s:.150}\n")
        elif rec.status == "matched" and not rec.speaker_ok:
            out.write(
                f"SPKR  {tag} gold={rec.gold_speaker!r} ({quote.get('speaker_type')}) "
                f"pred={rec.pred_speaker!r} :: {rec.gold_text!s:.90}\n"
            )
    keys = (
        "quote_p quote_r quote_f1 recall_direct recall_indirect attribution_acc "
        "unresolved_rate n_gold n_pred n_matched"
    ).split()
    out.write("  ".join(f"{k} {result.metrics[k]:.4g}" for k in keys) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gold", default=str(ROOT / "eval" / "gold" / "seeds.jsonl"))
    parser.add_argument("--out", default="/tmp/stancewire_quotes_pred.jsonl")
    parser.add_argument("--show", action="store_true", help="print the quotes found")
    parser.add_argument(
        "--misses", action="store_true", help="score, then list misses and wrong speakers"
    )
    args = parser.parse_args(argv)
    nlp = build_nlp()
    articles = [json.loads(line) for line in Path(args.gold).read_text().splitlines() if line]
    started = time.perf_counter()
    preds = [predict(nlp, a) for a in articles]
    elapsed = time.perf_counter() - started
    with open(args.out, "w", encoding="utf-8") as fh:
        for pred in preds:
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
    if args.show:
        for pred in preds:
            sys.stdout.write(f"== {pred['id']}\n")
            for q in pred["quotes"]:
                sys.stdout.write(
                    f"  {q['kind'][:3]} {q['speaker']!s:28.28} [{q['attribution']}|{q['mention']}"
                    f"|{q['cue']}] {q['text'][:110]}\n"
                )
    if args.misses:
        report_misses(Path(args.gold), Path(args.out))
    n = sum(len(p["quotes"]) for p in preds)
    sys.stderr.write(f"{n} quotes in {len(preds)} articles, nlp {elapsed:.2f}s -> {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
