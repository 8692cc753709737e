"""The model stage: batched vs naive, torch fp32 vs ONNX fp32 vs ONNX int8, and the floor.

All paths classify the same quotes, the gold quotes of the development sets
with their sentence context (the oracle inputs of ``stancewire eval``):

- ``naive``: what a Hugging Face zero-shot pipeline does: one quote and one
  label set at a time, batch size 1, fp32; three encoder passes per quote (two
  targets and sentiment);
- ``batched``: the product path: one encoder pass per quote for every head, in
  length-sorted batches of 64;
- ``onnx_fp32`` / ``onnx_int8``: the same batched path on ONNX Runtime, the
  latter with dynamic int8 quantisation (``--backend onnx``).

The floor is the model's FLOPs per quote (counted by ``torch.utils.flop_counter``)
over the FLOP rate of a large fp32 matrix multiply on this machine: how fast the
model stage could be if it ran at the speed of a plain matmul.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from stancewire.eval.oracle import gold_quote_items
from stancewire.eval.scorer import score_labels
from stancewire.models.backends.onnx import OnnxQuoteClassifier
from stancewire.models.classifier import ClassifyInput, QuoteClassifier

GOLD_DIR = Path(__file__).resolve().parent.parent / "eval" / "gold"
DEV_SETS = {"seeds": GOLD_DIR / "seeds.jsonl", "extraction_dev": GOLD_DIR / "extraction_dev.jsonl"}
REAL_QUOTES_DEV = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "gold" / "real_quotes_dev.jsonl"
)
"""Real quotes, read in place beside the checkout: scored for accuracy, never timed
(the timed corpus stays the same whether or not ``../shared`` is there)."""


def accuracy_sets() -> dict[str, Path]:
    """The development sets each path's labels are scored on."""
    sets = dict(DEV_SETS)
    if REAL_QUOTES_DEV.is_file():
        sets["real_quotes_dev"] = REAL_QUOTES_DEV
    return sets


def _timed(fn: Any, *args: Any, repeat: int = 1, **kwargs: Any) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (after the first call warmed caches) and the result."""
    result = fn(*args, **kwargs)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, result


def naive_predict(clf: QuoteClassifier, items: list[ClassifyInput]) -> int:
    """One quote, one task at a time, batch size 1: returns the number of forward passes."""
    passes = 0
    for item in items:
        for _task in clf.tasks:
            clf.predict([item], batch_size=1)
            passes += 1
    return passes


def matmul_flops_per_s(n: int = 1024, seconds: float = 1.0) -> float:
    """Sustained fp32 FLOP/s of an ``n x n`` matmul on this machine (torch's threads)."""
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    iters = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.mm(a, b)
        iters += 1
    return 2 * n**3 * iters / (time.perf_counter() - t0)


def flops_per_quote(clf: QuoteClassifier, items: list[ClassifyInput]) -> float:
    """Model FLOPs per quote at the real token lengths (padding included, labelling batches)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        clf.logits(items)
    return counter.get_total_flops() / len(items)


def _labels(preds: list[dict[str, Any]], targets: list[str]) -> list[dict[str, Any]]:
    return [
        {"stance": {t: p[t].label for t in targets}, "sentiment": p["sentiment"].label}
        for p in preds
    ]


def run(model_dir: str | Path | None = None, *, quick: bool = False) -> dict[str, Any]:
    """Time every path on the development quotes and score each path's labels."""
    from stancewire.models.pipeline import DEFAULT_MODEL_DIR

    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    golds: dict[str, list[dict[str, Any]]] = {}
    inputs: dict[str, list[ClassifyInput]] = {}
    for name, path in accuracy_sets().items():
        golds[name], inputs[name] = gold_quote_items(path)
    items = [it for name in DEV_SETS for it in inputs[name]]
    naive_items = items[:60] if quick else items

    torch_clf = QuoteClassifier.load(model_dir)
    paths: dict[str, QuoteClassifier] = {"batched": torch_clf}
    paths["onnx_fp32"] = OnnxQuoteClassifier.load(model_dir, quantize=False)
    paths["onnx_int8"] = OnnxQuoteClassifier.load(model_dir, quantize=True)

    result: dict[str, Any] = {"n_quotes": len(items), "torch_threads": torch.get_num_threads()}
    t_naive, passes = _timed(naive_predict, torch_clf, naive_items)
    result["naive"] = {
        "quotes_per_s": len(naive_items) / t_naive,
        "ms_per_quote": 1000 * t_naive / len(naive_items),
        "forward_passes": passes,
    }
    for name, clf in paths.items():
        seconds, _ = _timed(clf.predict, items, repeat=1 if quick else 3)
        scores = {}
        for set_name in golds:
            preds = clf.predict(inputs[set_name])
            scores[set_name] = score_labels(golds[set_name], _labels(preds, clf.targets))
        result[name] = {
            "quotes_per_s": len(items) / seconds,
            "ms_per_quote": 1000 * seconds / len(items),
            "scores": scores,
        }
    # the batch size the pipeline used before INFERENCE_BATCH: what smaller batches buy
    seconds, _ = _timed(torch_clf.predict, items, batch_size=64, repeat=1 if quick else 3)
    result["batched_64"] = {
        "quotes_per_s": len(items) / seconds,
        "ms_per_quote": 1000 * seconds / len(items),
    }
    rate = matmul_flops_per_s()
    flops = flops_per_quote(torch_clf, items)
    result["floor"] = {
        "flops_per_quote": flops,
        "matmul_gflops_per_s": rate / 1e9,
        "floor_ms_per_quote": 1000 * flops / rate,
    }
    batched = result["batched"]["ms_per_quote"]
    # the naive path's quotes: in a quick run a subset, whose lengths differ from the whole
    naive_batched = batched
    if len(naive_items) < len(items):
        seconds, _ = _timed(torch_clf.predict, naive_items, repeat=3)
        naive_batched = 1000 * seconds / len(naive_items)
        result["batched"]["ms_per_quote_on_naive_quotes"] = naive_batched
    result["ratios"] = {
        "batched_vs_naive": result["naive"]["ms_per_quote"] / naive_batched,
        "int8_vs_fp32": batched / result["onnx_int8"]["ms_per_quote"],
        "batched_vs_floor": batched / result["floor"]["floor_ms_per_quote"],
        "int8_vs_floor": result["onnx_int8"]["ms_per_quote"]
        / result["floor"]["floor_ms_per_quote"],
    }
    return result


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(run(quick="--quick" in sys.argv), indent=2) + "\n")
