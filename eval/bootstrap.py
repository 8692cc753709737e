"""Bootstrap confidence intervals and paired comparisons for the section 7 metrics.

Why sufficient statistics: every section 7 metric is a ratio of counts or an F1
computed from a confusion matrix, and counts add up over articles. So each
resampling unit (an article, or a quote for quote-style gold) is reduced once
to a few count arrays (``Stats``); a bootstrap replicate is then a weighted sum
of those arrays, and all replicates are one matrix product. This is exact (the
numbers equal :func:`stancewire.eval.scorer.score` on the same data; a test
checks it) and makes 1,000+ replicates cost milliseconds instead of rescoring.

Why articles are the unit: quotes of one article share a speaker, a topic and
an extraction failure mode, so they are correlated; resampling quotes one by
one would give intervals that are too narrow. Quote-style gold
(``real_quotes_dev.jsonl``) has one quote per row, and each row is its own unit.

Intervals are percentile intervals. A paired comparison resamples the *same*
units for both runs in every replicate, so the between-article variance that
both runs share cancels out, and reports the interval of the difference and a
two-sided bootstrap p-value.

Note: an F1-based metric can vary even for a perfect prediction, because a
replicate that happens to contain no ``against`` quote scores F1(against) = 0
(the scorer's ``zero_division=0`` rule). Count metrics of a perfect prediction
(``quote_f1``, ``attribution_acc`` ...) always give ``[1, 1]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from stancewire.eval.scorer import (
    MISSING,
    STANCE_LABELS,
    TARGETS,
    ScoreResult,
    speaker_stance,
)
from stancewire.models.schema import task_label_order

__all__ = [
    "SPEAKER_LABELS",
    "Interval",
    "PairedResult",
    "Stats",
    "aggregate",
    "article_stats",
    "bootstrap_intervals",
    "confusion",
    "label_metrics",
    "paired_bootstrap",
    "point_metrics",
    "quote_stats",
    "resample_weights",
    "section7_metrics",
    "stack",
]

Stats = dict[str, np.ndarray]
"""Named count arrays of one unit, or stacked/aggregated with leading axes."""
MetricFn = Callable[[Stats], dict[str, np.ndarray]]
"""Maps stats with a leading batch axis to metric arrays of that batch shape."""

SPEAKER_LABELS: tuple[str, ...] = ("favor", "against", "mixed", "none", MISSING)
"""Speaker-level labels (section 5) plus the scorer's ``missing`` for unaligned speakers."""
LABEL_TASKS: tuple[str, ...] = (*TARGETS, "sentiment")


# --------------------------------------------------------------------------- statistics


def confusion(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Count matrix ``C[true, pred]`` over ``labels`` (unknown labels are an error).

    Args:
        y_true: Gold labels.
        y_pred: Predicted labels, aligned with ``y_true``.
        labels: The label order of both axes.

    Returns:
        A ``(len(labels), len(labels))`` float array.
    """
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.zeros((len(labels), len(labels)))
    for t, p in zip(y_true, y_pred, strict=True):
        out[index[t], index[p]] += 1
    return out


def _labels_of(labels: Mapping[str, str] | None, task: str) -> str:
    default = "neutral" if task == "sentiment" else "none"
    return (labels or {}).get(task) or default


def quote_stats(
    gold_labels: Sequence[Mapping[str, str]], pred_labels: Sequence[Mapping[str, str]]
) -> Stats:
    """Stats of aligned quotes: one confusion matrix per stance target and for sentiment.

    Args:
        gold_labels: ``{target: stance, ..., "sentiment": label}`` per quote.
        pred_labels: The predicted labels of the same quotes, in the same order.

    Returns:
        ``conf_{task}`` for every target and ``sentiment``, plus ``n_quotes``.
    """
    out: Stats = {"n_quotes": np.asarray(float(len(gold_labels)))}
    for task in LABEL_TASKS:
        out[f"conf_{task}"] = confusion(
            [_labels_of(g, task) for g in gold_labels],
            [_labels_of(p, task) for p in pred_labels],
            task_label_order(task),
        )
    return out


def _has_speaker(name: str | None) -> bool:
    return bool(name and str(name).strip())


def article_stats(
    result: ScoreResult, gold: Sequence[Mapping[str, Any]], pred: Sequence[Mapping[str, Any]]
) -> dict[str, Stats]:
    """Reduce a scored run to the counts of each gold article.

    Args:
        result: ``score(gold, pred)``; its match records carry the alignment.
        gold: The gold articles that were scored.
        pred: The predicted articles that were scored.

    Returns:
        Article id -> stats, in gold order. Keys: ``n_gold``, ``n_pred``,
        ``n_matched``, ``{kind}_n``/``{kind}_hit`` for direct and indirect,
        ``attr_ok``, ``unresolved``, the ``conf_*`` of :func:`quote_stats` over
        matched quotes, and ``conf_speaker`` (``SPEAKER_LABELS`` x same).
    """
    pred_by_id = {str(p.get("id")): p for p in pred}
    by_article: dict[str, list[Any]] = {str(g.get("id")): [] for g in gold}
    for rec in result.matches:
        by_article[rec.article_id].append(rec)
    out: dict[str, Stats] = {}
    for g in gold:
        aid = str(g.get("id"))
        p_quotes = list((pred_by_id.get(aid) or {}).get("quotes") or [])
        out[aid] = _one_article(by_article[aid], list(g.get("quotes") or []), p_quotes)
    return out


def _one_article(
    records: Sequence[Any], g_quotes: list[Mapping[str, Any]], p_quotes: list[Mapping[str, Any]]
) -> Stats:
    matched = [r for r in records if r.status == "matched"]
    kept = [r for r in records if r.status in ("matched", "spurious")]
    dropped = {r.pred_index for r in records if r.status == "duplicate"}
    s: Stats = {
        "n_gold": np.asarray(float(len(g_quotes))),
        "n_pred": np.asarray(float(len(kept))),
        "n_matched": np.asarray(float(len(matched))),
        "attr_ok": np.asarray(float(sum(bool(r.speaker_ok) for r in matched))),
        "unresolved": np.asarray(float(sum(not _has_speaker(r.pred_speaker) for r in kept))),
    }
    for kind in ("direct", "indirect"):
        gold_of_kind = [r for r in records if r.gold_index is not None and r.gold_kind == kind]
        s[f"{kind}_n"] = np.asarray(float(len(gold_of_kind)))
        s[f"{kind}_hit"] = np.asarray(float(sum(r.status == "matched" for r in gold_of_kind)))
    s.update(quote_stats([r.gold_labels for r in matched], [r.pred_labels for r in matched]))
    del s["n_quotes"]
    kept_quotes = [q for i, q in enumerate(p_quotes) if i not in dropped]
    y_true, y_pred, _ = speaker_stance(g_quotes, kept_quotes)
    s["conf_speaker"] = confusion(y_true, y_pred, SPEAKER_LABELS)
    return s


def stack(units: Sequence[Stats]) -> Stats:
    """Stack per-unit stats along a new leading unit axis."""
    if not units:
        raise ValueError("cannot bootstrap over zero units")
    return {k: np.stack([u[k] for u in units]) for k in units[0]}


def aggregate(stacked: Stats, weights: np.ndarray) -> Stats:
    """Weighted sums of stacked stats: ``weights`` is ``(batch, n_units)``."""
    return {k: np.tensordot(weights, v, axes=(1, 0)) for k, v in stacked.items()}


# --------------------------------------------------------------------------- metrics


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def per_class_f1(conf: np.ndarray) -> np.ndarray:
    """F1 of every class from confusion matrices ``(..., k, k)``; 0 where undefined.

    ``2 tp / (n_true + n_pred)`` equals scikit-learn's F1 with ``zero_division=0``.
    """
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    return _div(2 * tp, conf.sum(axis=-1) + conf.sum(axis=-2))


def _favg(conf: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    f1 = per_class_f1(conf)
    return (f1[..., labels.index("favor")] + f1[..., labels.index("against")]) / 2


def label_metrics(stats: Stats) -> dict[str, np.ndarray]:
    """Stance and sentiment metrics (section 7 names) from ``conf_*`` stats."""
    out: dict[str, np.ndarray] = {}
    for target in TARGETS:
        conf = stats[f"conf_{target}"]
        out[f"{target}_favg"] = _favg(conf, STANCE_LABELS)
        out[f"{target}_macro3"] = per_class_f1(conf).mean(axis=-1)
    out["sentiment_macro"] = per_class_f1(stats["conf_sentiment"]).mean(axis=-1)
    return out


def section7_metrics(stats: Stats) -> dict[str, np.ndarray]:
    """All section 7 metrics, in ``METRIC_NAMES`` order, from article stats."""
    p = _div(stats["n_matched"], stats["n_pred"])
    r = _div(stats["n_matched"], stats["n_gold"])
    out = {
        "quote_p": p,
        "quote_r": r,
        "quote_f1": _div(2 * p * r, p + r),
        "recall_direct": _div(stats["direct_hit"], stats["direct_n"]),
        "recall_indirect": _div(stats["indirect_hit"], stats["indirect_n"]),
        "attribution_acc": _div(stats["attr_ok"], stats["n_matched"]),
        "unresolved_rate": _div(stats["unresolved"], stats["n_pred"]),
    }
    out.update(label_metrics(stats))
    out["speaker_stance_favg"] = _favg(stats["conf_speaker"], SPEAKER_LABELS)
    return out


def point_metrics(units: Sequence[Stats], metric_fn: MetricFn) -> dict[str, float]:
    """Metrics of all units pooled (the number the interval is around)."""
    pooled = aggregate(stack(units), np.ones((1, len(units))))
    return {k: float(v[0]) for k, v in metric_fn(pooled).items()}


# --------------------------------------------------------------------------- bootstrap


def resample_weights(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each replicate: ``(n_boot, n_units)`` counts.

    Deterministic for a given seed, so reruns and compared runs see the same draws.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_units, size=(n_boot, n_units))
    weights = np.zeros((n_boot, n_units))
    np.add.at(weights, (np.repeat(np.arange(n_boot), n_units), draws.ravel()), 1.0)
    return weights


@dataclass(frozen=True)
class Interval:
    """A metric's value with its bootstrap percentile interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return asdict(self)


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_intervals(
    units: Sequence[Stats],
    metric_fn: MetricFn,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Interval]:
    """Percentile bootstrap intervals of every metric, resampling whole units.

    Args:
        units: One stats dict per unit (article, or quote for quote-style gold).
        metric_fn: ``section7_metrics``, ``label_metrics`` or the like.
        n_boot: Number of replicates.
        seed: Seed of the resampling (same seed, same intervals).
        confidence: Interval coverage, 0.95 for a 95% interval.

    Returns:
        Metric name -> ``Interval`` (point value over all units, low, high).
    """
    stacked = stack(units)
    point = point_metrics(units, metric_fn)
    reps = metric_fn(aggregate(stacked, resample_weights(len(units), n_boot, seed)))
    return {k: Interval(point[k], *_percentiles(reps[k], confidence)) for k in point}


@dataclass(frozen=True)
class PairedResult:
    """B minus A on one metric, over the same resampled units.

    Attributes:
        a: A's value on all units.
        b: B's value on all units.
        delta: ``b - a``.
        low: Lower end of the interval of the difference.
        high: Upper end.
        p_value: Two-sided bootstrap p-value of "no difference": twice the
            smaller share of replicates on either side of zero, capped at 1.
        significant: Whether the interval excludes zero.
    """

    a: float
    b: float
    delta: float
    low: float
    high: float
    p_value: float
    significant: bool

    def to_dict(self) -> dict[str, float | bool]:
        """JSON-ready form."""
        return asdict(self)


def paired_bootstrap(
    units_a: Sequence[Stats],
    units_b: Sequence[Stats],
    metric_fn: MetricFn,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, PairedResult]:
    """Paired bootstrap comparison of two runs on the same units.

    Both runs are scored on the same resampled units in every replicate, so
    the question answered is "would B still beat A on another sample of
    articles like these?".

    Args:
        units_a: Stats of run A, one per unit.
        units_b: Stats of run B for the very same units, in the same order.
        metric_fn: Metric function as for ``bootstrap_intervals``.
        n_boot: Number of replicates.
        seed: Resampling seed.
        confidence: Coverage of the interval of the difference.

    Returns:
        Metric name -> ``PairedResult``.

    Raises:
        ValueError: The runs cover different numbers of units.
    """
    if len(units_a) != len(units_b):
        raise ValueError(f"paired runs need the same units: {len(units_a)} vs {len(units_b)}")
    weights = resample_weights(len(units_a), n_boot, seed)
    point_a, point_b = point_metrics(units_a, metric_fn), point_metrics(units_b, metric_fn)
    reps_a = metric_fn(aggregate(stack(units_a), weights))
    reps_b = metric_fn(aggregate(stack(units_b), weights))
    out: dict[str, PairedResult] = {}
    for name in point_a:
        diff = reps_b[name] - reps_a[name]
        low, high = _percentiles(diff, confidence)
        p_value = min(1.0, 2 * min(float(np.mean(diff <= 0)), float(np.mean(diff >= 0))))
        out[name] = PairedResult(
            point_a[name],
            point_b[name],
            point_b[name] - point_a[name],
            low,
            high,
            p_value,
            bool(low > 0 or high < 0),
        )
    return out
