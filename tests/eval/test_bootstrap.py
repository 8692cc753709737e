"""Bootstrap intervals and paired comparisons (eval/bootstrap.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from stancewire.eval.bootstrap import (
    article_stats,
    bootstrap_intervals,
    label_metrics,
    paired_bootstrap,
    point_metrics,
    quote_stats,
    resample_weights,
    section7_metrics,
)
from stancewire.eval.scorer import METRIC_NAMES, score, score_labels

GOLD_PATH = Path(__file__).resolve().parents[2] / "eval" / "gold" / "seeds.jsonl"
COUNT_METRICS = (
    "quote_p",
    "quote_r",
    "quote_f1",
    "recall_direct",
    "recall_indirect",
    "attribution_acc",
)


def load_gold() -> list[dict]:
    with GOLD_PATH.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def perturbed(gold: list[dict], seed: int = 1) -> list[dict]:
    """Predictions with dropped, invented, repeated, misattributed and mislabelled quotes."""
    rng = np.random.default_rng(seed)
    pred = copy.deepcopy(gold)
    for art in pred:
        quotes = []
        for q in art["quotes"]:
            if rng.random() < 0.3:
                q["stance"]["us_presence"] = str(rng.choice(["favor", "against", "none"]))
            if rng.random() < 0.3:
                q["sentiment"] = str(rng.choice(["positive", "negative", "neutral"]))
            if rng.random() < 0.2:
                q["speaker"] = "Somebody Else"
            if rng.random() < 0.1:
                q["speaker"] = None
            if rng.random() > 0.2:
                quotes.append(q)
        quotes.append(
            {
                "text": "entirely invented words nobody said",
                "kind": "direct",
                "speaker": "X",
                "stance": {"militias": "against"},
            }
        )
        quotes.append(copy.deepcopy(quotes[0]))
        art["quotes"] = quotes
    return pred


def units_of(gold: list[dict], pred: list[dict]) -> list:
    return list(article_stats(score(gold, pred), gold, pred).values())


def test_stats_reproduce_the_scorer_exactly() -> None:
    gold = load_gold()
    pred = perturbed(gold)
    expected = score(gold, pred).metrics
    got = point_metrics(units_of(gold, pred), section7_metrics)
    for name in METRIC_NAMES:
        assert got[name] == pytest.approx(expected[name], abs=1e-12), name


def test_quote_stats_reproduce_score_labels() -> None:
    gold = [q for a in load_gold() for q in a["quotes"]]
    pred = [q for a in perturbed(load_gold()) for q in a["quotes"]][: len(gold)]
    flat = lambda q: {**q.get("stance", {}), "sentiment": q.get("sentiment")}  # noqa: E731
    stats = quote_stats([flat(q) for q in gold], [flat(q) for q in pred])
    expected = score_labels(gold, pred)
    got = {k: float(v) for k, v in label_metrics(stats).items()}
    for name, value in got.items():
        assert value == pytest.approx(expected[name], abs=1e-12), name


def test_perfect_prediction_gives_one_one() -> None:
    gold = load_gold()
    ivs = bootstrap_intervals(units_of(gold, copy.deepcopy(gold)), section7_metrics, n_boot=300)
    for name in COUNT_METRICS:
        assert (ivs[name].value, ivs[name].low, ivs[name].high) == (1.0, 1.0, 1.0), name
    assert (ivs["unresolved_rate"].low, ivs["unresolved_rate"].high) == (0.0, 0.0)


def test_intervals_are_deterministic_with_a_seed() -> None:
    gold = load_gold()
    units = units_of(gold, perturbed(gold))
    a = bootstrap_intervals(units, section7_metrics, n_boot=400, seed=7)
    b = bootstrap_intervals(units, section7_metrics, n_boot=400, seed=7)
    c = bootstrap_intervals(units, section7_metrics, n_boot=400, seed=8)
    assert a == b
    assert a != c
    for iv in a.values():
        assert 0.0 <= iv.low <= iv.high <= 1.0


def test_wider_confidence_gives_wider_intervals() -> None:
    gold = load_gold()
    units = units_of(gold, perturbed(gold))
    narrow = bootstrap_intervals(units, section7_metrics, n_boot=500, confidence=0.5)
    wide = bootstrap_intervals(units, section7_metrics, n_boot=500, confidence=0.95)
    for name in METRIC_NAMES:
        assert wide[name].low <= narrow[name].low and narrow[name].high <= wide[name].high


def test_resample_weights_draw_n_units_per_replicate() -> None:
    w = resample_weights(5, 100, seed=0)
    assert w.shape == (100, 5)
    assert np.all(w.sum(axis=1) == 5)
    assert np.array_equal(w, resample_weights(5, 100, seed=0))


def test_bootstrap_over_zero_units_is_an_error() -> None:
    with pytest.raises(ValueError):
        bootstrap_intervals([], section7_metrics)


def _quote_units(n: int, n_wrong: int) -> list:
    """One quote per unit; the first ``n_wrong`` are labelled wrongly."""
    labels = ["favor", "against", "none"]
    units = []
    for i in range(n):
        gold = {
            "us_presence": labels[i % 3],
            "militias": labels[(i + 1) % 3],
            "sentiment": "negative",
        }
        pred = dict(gold)
        if i < n_wrong:
            pred["us_presence"] = labels[(i + 1) % 3]
        units.append(quote_stats([gold], [pred]))
    return units


def test_paired_identical_runs_show_no_difference() -> None:
    units = _quote_units(40, 10)
    result = paired_bootstrap(units, units, label_metrics, n_boot=300)
    for r in result.values():
        assert r.delta == 0.0 and (r.low, r.high) == (0.0, 0.0)
        assert r.p_value == 1.0 and not r.significant


def test_paired_clear_improvement_is_real() -> None:
    worse, better = _quote_units(60, 30), _quote_units(60, 0)
    result = paired_bootstrap(worse, better, label_metrics, n_boot=500, seed=3)
    r = result["us_presence_macro3"]
    assert r.b == 1.0 and r.delta > 0.3
    assert r.significant and r.low > 0 and r.p_value < 0.01
    # Untouched tasks do not differ.
    assert not result["sentiment_macro"].significant


def test_paired_small_difference_is_not_real() -> None:
    a, b = _quote_units(30, 6), _quote_units(30, 5)
    r = paired_bootstrap(a, b, label_metrics, n_boot=500)["us_presence_macro3"]
    assert r.delta > 0 and not r.significant and r.p_value > 0.05


def test_paired_runs_need_the_same_units() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap(_quote_units(3, 0), _quote_units(4, 0), label_metrics)


def test_paired_is_deterministic() -> None:
    a, b = _quote_units(30, 10), _quote_units(30, 4)
    assert paired_bootstrap(a, b, label_metrics, seed=5) == paired_bootstrap(
        a, b, label_metrics, seed=5
    )
