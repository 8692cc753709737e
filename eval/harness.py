"""Evaluation runs: label the gold articles (or read given predictions), score, write.

The scorer (:mod:`stancewire.eval.scorer`) is pure; this module is the part
that runs a model. ``evaluate_end_to_end`` is what ``stancewire eval`` calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stancewire.eval.scorer import score
from stancewire.models.schema import Article, ArticleError

METRICS_SCHEMA_VERSION = 1


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file into dicts (blank lines skipped)."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def predict_gold_articles(
    gold: list[dict[str, Any]], *, model_dir: str | Path | None = None
) -> list[dict[str, Any]]:
    """Run the pipeline over the gold articles' texts; failed articles predict nothing."""
    from stancewire.models.pipeline import load_pipeline

    pipeline = load_pipeline(model_dir)
    articles = [Article(id=g["id"], text=g["text"], source=g.get("source")) for g in gold]
    preds = []
    for result in pipeline.pipe(articles):
        if isinstance(result, ArticleError):
            preds.append({"id": result.id, "quotes": []})
        else:
            preds.append(result.model_dump())
    return preds


def evaluate_end_to_end(
    gold_path: str | Path,
    *,
    pred_path: str | Path | None = None,
    out_dir: str | Path = "runs/eval",
    model_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Score predictions (given, or made now by the pipeline) against gold.

    Writes ``metrics.json`` (and ``predictions.jsonl`` when it labelled the
    articles itself) to ``out_dir`` and returns the metrics.
    """
    gold = read_jsonl(gold_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if pred_path is None:
        preds = predict_gold_articles(gold, model_dir=model_dir)
        with (out / "predictions.jsonl").open("w", encoding="utf-8") as fh:
            for p in preds:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    else:
        preds = read_jsonl(pred_path)
    metrics = dict(score(gold, preds).metrics)
    payload = {
        "schema_version": METRICS_SCHEMA_VERSION,
        "gold": str(gold_path),
        "predictions": str(pred_path) if pred_path else str(out / "predictions.jsonl"),
        "metrics": metrics,
    }
    (out / "metrics.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return metrics
