"""Evaluation runs: label the gold (or read given predictions), score, add uncertainty.

The scorer (:mod:`stancewire.eval.scorer`) is pure; this module is the part
that runs models and assembles an ``EvalRun``: point metrics with bootstrap
intervals (:mod:`stancewire.eval.bootstrap`), confusion matrices, calibration,
a per-article table, the errors, baselines and paired comparisons. The
``stancewire eval`` command calls :func:`evaluate_end_to_end` or
:func:`evaluate_oracle_run`, then :func:`write_outputs`.

Modes:

- ``end_to_end``: the pipeline labels the gold articles' texts, then section 7
  scoring (extraction, attribution, labels, speaker-level stance);
- ``predictions``: the same scoring of a given predictions file;
- ``oracle``: the classifier labels the gold quotes themselves, isolating
  stance and sentiment from extraction; baselines (majority, VADER, the
  embedding backend) and, when given one, an NLI model run beside it, on the
  same quotes in the same run (:func:`oracle_systems` builds them).

The model row can be any stance backend (``finetuned``, ``nli``,
``embedding``; :mod:`stancewire.models.backends`).

Progress is reported through an optional ``progress(stage, done, total)``
callback so that this module stays free of any terminal UI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from stancewire.eval.bootstrap import (
    LABEL_TASKS,
    SPEAKER_LABELS,
    Interval,
    PairedResult,
    Stats,
    article_stats,
    bootstrap_intervals,
    label_metrics,
    paired_bootstrap,
    per_class_f1,
    quote_stats,
    section7_metrics,
    stack,
)
from stancewire.eval.oracle import OracleItem, is_quote_style, oracle_items, sentence_window
from stancewire.eval.scorer import (
    METRIC_NAMES,
    TARGETS,
    MatchRecord,
    read_jsonl,
    score,
)
from stancewire.models.classifier import ClassifyInput
from stancewire.models.doc_attrs import Scored
from stancewire.models.schema import Article, ArticleError, task_label_order

METRICS_SCHEMA_VERSION = 4
"""Version of metrics.json; 2 added intervals, baselines, comparisons and report data;
3 added ``backend`` (which stance backend is the model row); 4 added ``model_info``
(its name, version and model-directory fingerprint, which ``stancewire card`` checks)."""
DEFAULT_N_BOOT = 1000
DEFAULT_SEED = 0
N_CALIBRATION_BINS = 10

Progress = Callable[[str, int, int], None]


class Predictor(Protocol):
    """Anything with ``QuoteClassifier``'s predict interface (model or baseline)."""

    @property
    def tasks(self) -> dict[str, list[str]]: ...

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int = 64
    ) -> list[dict[str, Scored]]: ...


def _no_progress(stage: str, done: int, total: int) -> None:
    """Default progress callback: report nothing."""


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    """Write dicts as JSON Lines (UTF-8, one object a line)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- results


@dataclass
class Comparison:
    """A paired comparison of run B against run A on the same units."""

    a: str
    b: str
    results: dict[str, PairedResult]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "a": self.a,
            "b": self.b,
            "metrics": {k: v.to_dict() for k, v in self.results.items()},
        }


@dataclass
class SystemResult:
    """Metrics of one system (the model, a baseline) on the run's units."""

    name: str
    metrics: dict[str, float]
    intervals: dict[str, Interval]
    confusion: dict[str, np.ndarray]
    vs_model: dict[str, PairedResult] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (confusion matrices are left to the main system)."""
        return {
            "metrics": self.metrics,
            "intervals": {k: [v.low, v.high] for k, v in self.intervals.items()},
            "per_class_f1": per_class_table(self.confusion),
            "vs_model": {k: v.to_dict() for k, v in self.vs_model.items()},
        }


@dataclass
class EvalRun:
    """Everything one evaluation produced; ``to_json`` is metrics.json.

    Attributes:
        mode: ``end_to_end``, ``predictions`` or ``oracle``.
        unit: The bootstrap unit, ``article`` or ``quote``.
        gold: Path of the gold file.
        predictions: Path of the predictions scored (end to end: the file written).
        model: The model directory used, if a model ran.
        metrics: Point metrics; the section 7 names first, then counts.
        intervals: Bootstrap intervals of the section 7 metrics.
        confusion: Task -> confusion matrix (rows gold, columns predicted).
        labels: Task -> label order of its confusion matrix.
        calibration: Task -> reliability bins and ECE (see ``calibration``).
        per_unit: One row per unit for the per-article table.
        errors: Missed, spurious, misattributed and mislabelled quotes in context.
        baselines: Baseline name -> its result (oracle mode).
        comparison: A paired comparison with a second run, if asked for.
        bootstrap: The bootstrap settings.
        backend: The stance backend of the model row (``finetuned``, ``nli``,
            ``embedding``), when a model ran.
        model_info: That model's :class:`ModelInfo` (name, version and, for a
            model directory, its fingerprint), when a model ran.
    """

    mode: str
    unit: str
    gold: str
    predictions: str | None
    model: str | None
    metrics: dict[str, float | int]
    intervals: dict[str, Interval]
    confusion: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    calibration: dict[str, dict[str, Any]]
    per_unit: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    baselines: dict[str, SystemResult] = field(default_factory=dict)
    comparison: Comparison | None = None
    bootstrap: dict[str, Any] = field(default_factory=dict)
    backend: str | None = None
    model_info: dict[str, Any] | None = None

    @property
    def headline(self) -> list[str]:
        """The section 7 metric names this mode reports, in report order."""
        return [k for k in METRIC_NAMES if k in self.intervals]

    def to_json(self) -> dict[str, Any]:
        """The metrics.json payload."""
        return {
            "schema_version": METRICS_SCHEMA_VERSION,
            "mode": self.mode,
            "unit": self.unit,
            "gold": self.gold,
            "predictions": self.predictions,
            "model": self.model,
            "backend": self.backend,
            "model_info": self.model_info,
            "bootstrap": self.bootstrap,
            "metrics": self.metrics,
            "intervals": {k: [v.low, v.high] for k, v in self.intervals.items()},
            "per_class_f1": per_class_table(self.confusion, self.labels),
            "confusion": {
                t: {"labels": self.labels[t], "matrix": m.astype(int).tolist()}
                for t, m in self.confusion.items()
            },
            "calibration": self.calibration,
            "per_article": self.per_unit,
            "baselines": {k: v.to_dict() for k, v in self.baselines.items()},
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "n_errors": len(self.errors),
        }


def task_labels(task: str) -> list[str]:
    """Label order of a task's confusion matrix."""
    if task == "speaker":
        return list(SPEAKER_LABELS)
    return list(task_label_order(task))


def per_class_table(
    confusion: Mapping[str, np.ndarray], labels: Mapping[str, Sequence[str]] | None = None
) -> dict[str, dict[str, float]]:
    """Task -> label -> F1, from confusion matrices."""
    out: dict[str, dict[str, float]] = {}
    for task, conf in confusion.items():
        names = labels[task] if labels else task_labels(task)
        out[task] = {lab: float(f) for lab, f in zip(names, per_class_f1(conf), strict=True)}
    return out


# --------------------------------------------------------------------------- helpers


def calibration(
    confidences: Sequence[float], correct: Sequence[bool], *, n_bins: int = N_CALIBRATION_BINS
) -> dict[str, Any]:
    """Reliability bins (mean confidence vs accuracy) and expected calibration error.

    Why: the model reports calibrated probabilities (``confidence``); this
    checks that a 0.8 really is right about 80% of the time.

    Args:
        confidences: Probability of each predicted label.
        correct: Whether each prediction was right.
        n_bins: Equal-width bins over [0, 1].

    Returns:
        ``{"n": count, "ece": float, "bins": [{low, high, n, confidence, accuracy}]}``;
        empty bins are left out.
    """
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=float)
    bins = []
    ece = 0.0
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    for b in range(n_bins):
        sel = which == b
        if not sel.any():
            continue
        mean_conf, acc = float(conf[sel].mean()), float(ok[sel].mean())
        ece += sel.sum() / len(conf) * abs(acc - mean_conf)
        bins.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": int(sel.sum()),
                "confidence": mean_conf,
                "accuracy": acc,
            }
        )
    return {"n": int(len(conf)), "ece": float(ece), "bins": bins}


def _accuracy(conf: np.ndarray) -> float | None:
    total = float(conf.sum())
    return float(np.trace(conf)) / total if total else None


def _context(
    text: str, quote: str | None, start: int | None = None, end: int | None = None
) -> dict[str, str] | None:
    """Split the sentence around a quote into before / quote / after, for highlighting."""
    if not text or not quote:
        return None
    at = text.find(quote)
    if at < 0 and start is not None and end is not None and 0 <= start < end <= len(text):
        at, quote = start, text[start:end]
    if at < 0:
        return None
    first, last = sentence_window(text, at, at + len(quote), max_chars=2000)
    last = max(last, at + len(quote))
    return {"before": text[first:at], "quote": quote, "after": text[at + len(quote) : last]}


def _wrong_tasks(
    gold: Mapping[str, str], pred: Mapping[str, str], tasks: Iterable[str]
) -> list[str]:
    return [t for t in tasks if (gold.get(t) or "") != (pred.get(t) or "")]


# --------------------------------------------------------------------------- end to end


def predict_gold_articles(
    gold: list[dict[str, Any]],
    *,
    model_dir: str | Path | None = None,
    backend: str = "finetuned",
    nli_model: str | None = None,
    embedding_model: str | None = None,
    targets_file: str | Path | None = None,
    progress: Progress = _no_progress,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the pipeline over the gold articles' texts; failed articles predict nothing.

    ``backend`` and the model options choose the stance backend as
    :func:`stancewire.models.pipeline.load_pipeline` does. Returns the
    predictions and the model's :class:`ModelInfo` as a dict.
    """
    from stancewire.models.pipeline import load_pipeline

    progress("loading pipeline", 0, 1)
    pipeline = load_pipeline(
        model_dir,
        backend=backend,
        nli_model=nli_model,
        embedding_model=embedding_model,
        targets_file=targets_file,
    )
    progress("loading pipeline", 1, 1)
    articles = [Article(id=g["id"], text=g["text"], source=g.get("source")) for g in gold]
    preds = []
    progress("labelling articles", 0, len(articles))
    for result in pipeline.pipe(articles):
        if isinstance(result, ArticleError):
            preds.append({"id": result.id, "quotes": [], "error": result.model_dump()})
        else:
            preds.append(result.model_dump())
        progress("labelling articles", len(preds), len(articles))
    return preds, pipeline.model_info().to_dict()


def _e2e_errors(
    records: Sequence[MatchRecord],
    gold: Sequence[Mapping[str, Any]],
    pred: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    gold_by_id = {str(g["id"]): g for g in gold}
    pred_by_id = {str(p.get("id")): p for p in pred}
    errors = []
    for rec in records:
        if rec.status == "duplicate":
            continue
        kinds = []
        if rec.status in ("missed", "spurious"):
            kinds.append(rec.status)
        else:
            if rec.speaker_ok is False:
                kinds.append("misattributed")
            wrong = _wrong_tasks(rec.gold_labels, rec.pred_labels, LABEL_TASKS)
            if wrong:
                kinds.append("mislabelled")
        if not kinds:
            continue
        text = str(gold_by_id[rec.article_id].get("text") or "")
        start = end = None
        if rec.pred_index is not None:
            pq = (pred_by_id.get(rec.article_id) or {}).get("quotes", [])[rec.pred_index]
            start, end = pq.get("start"), pq.get("end")
        quote = rec.gold_text if rec.gold_text is not None else rec.pred_text
        errors.append(
            {
                "unit": rec.article_id,
                "types": kinds,
                "context": _context(text, quote, start, end),
                "gold_text": rec.gold_text,
                "pred_text": rec.pred_text,
                "gold_speaker": rec.gold_speaker,
                "pred_speaker": rec.pred_speaker,
                "gold_labels": rec.gold_labels,
                "pred_labels": rec.pred_labels,
                "wrong": _wrong_tasks(rec.gold_labels, rec.pred_labels, LABEL_TASKS)
                if rec.status == "matched"
                else [],
            }
        )
    return errors


def _e2e_calibration(
    records: Sequence[MatchRecord], pred: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    pred_by_id = {str(p.get("id")): p for p in pred}
    pairs: dict[str, tuple[list[float], list[bool]]] = {t: ([], []) for t in LABEL_TASKS}
    for rec in records:
        if rec.status != "matched":
            continue
        pq = (pred_by_id.get(rec.article_id) or {}).get("quotes", [])[rec.pred_index]
        conf = pq.get("confidence") or {}
        for task in LABEL_TASKS:
            if task in conf:
                pairs[task][0].append(float(conf[task]))
                pairs[task][1].append(rec.gold_labels.get(task) == rec.pred_labels.get(task))
    return {t: calibration(c, ok) for t, (c, ok) in pairs.items() if c}


def _e2e_unit_row(aid: str, s: Stats, n_errors: int) -> dict[str, Any]:
    per = {k: float(v) for k, v in section7_metrics(s).items()}
    row: dict[str, Any] = {
        "id": aid,
        "n_gold": int(s["n_gold"]),
        "n_pred": int(s["n_pred"]),
        "n_matched": int(s["n_matched"]),
        "quote_f1": per["quote_f1"],
        "attribution_acc": per["attribution_acc"] if s["n_matched"] else None,
    }
    for task in LABEL_TASKS:
        row[f"{task}_acc"] = _accuracy(s[f"conf_{task}"])
    row["errors"] = n_errors
    return row


def _confusions(units: Sequence[Stats], tasks: Iterable[str]) -> dict[str, np.ndarray]:
    pooled = stack(units)
    return {t: pooled[f"conf_{t}"].sum(axis=0) for t in tasks}


def evaluate_predictions(
    gold: list[dict[str, Any]],
    pred: list[dict[str, Any]],
    *,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    mode: str = "predictions",
    gold_path: str = "",
    pred_path: str | None = None,
    model: str | None = None,
) -> tuple[EvalRun, list[Stats]]:
    """Score predicted articles against gold articles, with intervals and report data.

    Returns:
        The run and its per-article stats (for paired comparisons).
    """
    result = score(gold, pred)
    by_article = article_stats(result, gold, pred)
    units = list(by_article.values())
    errors = _e2e_errors(result.matches, gold, pred)
    n_err = {aid: 0 for aid in by_article}
    for e in errors:
        n_err[e["unit"]] += 1
    tasks = [*LABEL_TASKS, "speaker"]
    run = EvalRun(
        mode=mode,
        unit="article",
        gold=gold_path,
        predictions=pred_path,
        model=model,
        metrics=dict(result.metrics),
        intervals=bootstrap_intervals(
            units, section7_metrics, n_boot=n_boot, seed=seed, confidence=confidence
        ),
        confusion=_confusions(units, tasks),
        labels={t: task_labels(t) for t in tasks},
        calibration=_e2e_calibration(result.matches, pred),
        per_unit=[_e2e_unit_row(aid, s, n_err[aid]) for aid, s in by_article.items()],
        errors=errors,
        bootstrap={"n": n_boot, "seed": seed, "confidence": confidence, "unit": "article"},
    )
    return run, units


def evaluate_end_to_end(
    gold_path: str | Path,
    *,
    pred_path: str | Path | None = None,
    out_dir: str | Path = "runs/eval",
    model_dir: str | Path | None = None,
    backend: str = "finetuned",
    nli_model: str | None = None,
    embedding_model: str | None = None,
    targets_file: str | Path | None = None,
    compare_pred: str | Path | None = None,
    compare_model: str | Path | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    progress: Progress = _no_progress,
) -> EvalRun:
    """Score predictions (given, or made now by the pipeline) against gold articles.

    Without ``pred_path`` the pipeline (on the stance ``backend`` chosen, see
    :func:`stancewire.models.pipeline.load_pipeline`) labels the gold texts and
    the predictions are written to ``out_dir/predictions.jsonl``. With
    ``compare_pred`` (a second predictions file) or ``compare_model`` (a
    second model, run the same way) the run is compared with it, paired.
    Call :func:`write_outputs` to write metrics.json and report.html.
    """
    gold = read_jsonl(gold_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    used_backend: str | None = None
    info: dict[str, Any] | None = None
    if pred_path is None:
        preds, info = predict_gold_articles(
            gold,
            model_dir=model_dir,
            backend=backend,
            nli_model=nli_model,
            embedding_model=embedding_model,
            targets_file=targets_file,
            progress=progress,
        )
        pred_path = out / "predictions.jsonl"
        write_jsonl(preds, pred_path)
        mode, used_backend = "end_to_end", backend
        model = model_label(backend, model_dir, nli_model, embedding_model)
    else:
        preds, mode, model = read_jsonl(pred_path), "predictions", None
    progress("bootstrap", 0, 1)
    run, units = evaluate_predictions(
        gold,
        preds,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        mode=mode,
        gold_path=str(gold_path),
        pred_path=str(pred_path),
        model=model,
    )
    run.backend = used_backend
    run.model_info = info
    progress("bootstrap", 1, 1)
    if compare_pred is not None or compare_model is not None:
        if compare_pred is not None:
            preds_b, name_b = read_jsonl(compare_pred), str(compare_pred)
        else:
            preds_b, _ = predict_gold_articles(gold, model_dir=compare_model, progress=progress)
            write_jsonl(preds_b, out / "predictions_b.jsonl")
            name_b = str(compare_model)
        _, units_b = evaluate_predictions(gold, preds_b, n_boot=1, seed=seed)
        run.comparison = Comparison(
            str(pred_path),
            name_b,
            paired_bootstrap(
                units, units_b, section7_metrics, n_boot=n_boot, seed=seed, confidence=confidence
            ),
        )
    return run


def model_label(
    backend: str,
    model_dir: str | Path | None = None,
    nli_model: str | None = None,
    embedding_model: str | None = None,
) -> str:
    """How a run names its model: the directory (``default``), or ``backend:model``."""
    from stancewire.models.classifier import DEFAULT_BASE_MODEL

    if backend == "finetuned":
        return str(model_dir or "default")
    if backend == "nli":
        return f"nli:{nli_model}"
    if backend == "embedding":
        return f"embedding:{embedding_model or DEFAULT_BASE_MODEL}"
    return backend


# --------------------------------------------------------------------------- oracle


def oracle_systems(
    *,
    backend: str = "finetuned",
    model_dir: str | Path | None = None,
    nli_model: str | None = None,
    embedding_model: str | None = None,
    targets_file: str | Path | None = None,
    baselines: bool = True,
    majority_data: str | Path | None = None,
) -> tuple[Predictor, list[Predictor]]:
    """The model row and the systems beside it for an oracle run, all on the same quotes.

    Args:
        backend: The stance backend of the model row.
        model_dir: Fine-tuned model directory (``finetuned``; default the bundled model).
        nli_model: Hub name or path of an NLI model: the model row for
            ``backend="nli"``, otherwise an extra ``nli`` row.
        embedding_model: Encoder of the embedding backend / baseline (default MiniLM).
        targets_file: Targets file for the zero-shot systems.
        baselines: Add the majority, VADER and embedding baselines (the
            embedding one only when it is not already the model row).
        majority_data: Statements the majority baseline counts (default
            ``training/data``: never the gold, which would leak the answers).

    Returns:
        The model, and the other systems (each named by its ``name``).
    """
    from stancewire.eval.baselines import EmbeddingStanceBaseline, MajorityBaseline, VaderBaseline
    from stancewire.models.backends import load_backend
    from stancewire.models.classifier import DEFAULT_BASE_MODEL
    from stancewire.models.pipeline import load_classifier
    from stancewire.training.args import DATA_DIR

    clf = load_classifier(
        backend,
        model_dir=model_dir,
        nli_model=nli_model if backend == "nli" else None,
        embedding_model=embedding_model if backend == "embedding" else None,
        targets_file=targets_file,
    )
    systems: list[Predictor] = []
    if baselines:
        systems += [
            MajorityBaseline.from_jsonl_dir(majority_data or DATA_DIR, clf.targets),
            VaderBaseline(),
        ]
        if backend != "embedding":
            systems.append(
                EmbeddingStanceBaseline(embedding_model or DEFAULT_BASE_MODEL, targets_file)
            )
    if nli_model and backend != "nli":
        systems.append(load_backend("nli", model=nli_model, targets=targets_file))
    return clf, systems


def _label_dicts(preds: Sequence[Mapping[str, Scored]]) -> list[dict[str, str]]:
    return [{t: s.label for t, s in p.items()} for p in preds]


def _covered(metrics: Mapping[str, Any], tasks: Iterable[str]) -> dict[str, Any]:
    """Keep only the metrics of the tasks a system answers."""
    wanted = set()
    for task in tasks:
        wanted |= {"sentiment_macro"} if task == "sentiment" else {f"{task}_favg", f"{task}_macro3"}
    return {k: v for k, v in metrics.items() if k in wanted}


def _oracle_units(
    items: Sequence[OracleItem], labels: Sequence[Mapping[str, str]]
) -> dict[str, Stats]:
    grouped: dict[str, tuple[list[Mapping[str, str]], list[Mapping[str, str]]]] = {}
    for item, lab in zip(items, labels, strict=True):
        g, p = grouped.setdefault(item.unit, ([], []))
        g.append(
            {
                **{t: (item.gold.get("stance") or {}).get(t) or "none" for t in TARGETS},
                "sentiment": item.gold.get("sentiment") or "neutral",
            }
        )
        p.append(lab)
    return {unit: quote_stats(g, p) for unit, (g, p) in grouped.items()}


def _oracle_errors(
    items: Sequence[OracleItem], labels: Sequence[Mapping[str, str]]
) -> list[dict[str, Any]]:
    errors = []
    for item, lab in zip(items, labels, strict=True):
        gold = {
            **{t: (item.gold.get("stance") or {}).get(t) or "none" for t in TARGETS},
            "sentiment": item.gold.get("sentiment") or "neutral",
        }
        wrong = _wrong_tasks(gold, lab, LABEL_TASKS)
        if not wrong:
            continue
        ctx = _context(item.input.context or "", item.input.text)
        errors.append(
            {
                "unit": item.unit,
                "types": ["mislabelled"],
                "context": ctx
                or {
                    "before": (item.input.context or "") + " ",
                    "quote": item.input.text,
                    "after": "",
                },
                "gold_text": item.input.text,
                "pred_text": item.input.text,
                "gold_speaker": item.speaker,
                "pred_speaker": item.speaker,
                "gold_labels": gold,
                "pred_labels": dict(lab),
                "wrong": wrong,
            }
        )
    return errors


def _oracle_calibration(
    items: Sequence[OracleItem], preds: Sequence[Mapping[str, Scored]]
) -> dict[str, dict[str, Any]]:
    out = {}
    for task in LABEL_TASKS:
        conf, ok = [], []
        for item, p in zip(items, preds, strict=True):
            if task not in p:
                continue
            gold = (
                item.gold.get("sentiment")
                if task == "sentiment"
                else (item.gold.get("stance") or {}).get(task)
            )
            conf.append(p[task].confidence)
            ok.append(p[task].label == (gold or ("neutral" if task == "sentiment" else "none")))
        if conf:
            out[task] = calibration(conf, ok)
    return out


def _system(
    name: str,
    units: dict[str, Stats],
    tasks: Iterable[str],
    *,
    n_boot: int,
    seed: int,
    confidence: float,
) -> SystemResult:
    ivs = bootstrap_intervals(
        list(units.values()), label_metrics, n_boot=n_boot, seed=seed, confidence=confidence
    )
    ivs = _covered(ivs, tasks)
    task_list = [t for t in LABEL_TASKS if t in set(tasks)]
    return SystemResult(
        name,
        {k: v.value for k, v in ivs.items()},
        ivs,
        _confusions(list(units.values()), task_list),
    )


def evaluate_oracle_run(
    gold_path: str | Path,
    classifier: Predictor,
    *,
    baselines: Sequence[Predictor] = (),
    compare: Predictor | None = None,
    model: str | None = None,
    compare_name: str | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    progress: Progress = _no_progress,
) -> EvalRun:
    """Classify the gold quotes with the model and each baseline, and score them.

    Accepts article gold (section 6; unit = article) and quote-style gold such
    as ``real_quotes_dev.jsonl`` (unit = row). Each baseline is compared with
    the model by paired bootstrap on the metrics it covers; ``compare`` (a
    second model) is compared on all of them.
    """
    rows = read_jsonl(gold_path)
    unit = "quote" if is_quote_style(rows) else "article"
    items = oracle_items(rows)
    inputs = [it.input for it in items]
    systems: list[tuple[str, Predictor]] = [
        ("model", classifier),
        *((_name(b), b) for b in baselines),
    ]
    if compare is not None:
        systems.append(("compare", compare))
    preds: dict[str, list[dict[str, Scored]]] = {}
    for i, (name, system) in enumerate(systems):
        progress("classifying gold quotes", i, len(systems))
        preds[name] = system.predict(inputs)
    progress("classifying gold quotes", len(systems), len(systems))
    labels = {name: _label_dicts(p) for name, p in preds.items()}
    units = {name: _oracle_units(items, lab) for name, lab in labels.items()}
    kw = {"n_boot": n_boot, "seed": seed, "confidence": confidence}
    progress("bootstrap", 0, 1)
    main = _system("model", units["model"], [t for t in LABEL_TASKS if t in classifier.tasks], **kw)
    errors = _oracle_errors(items, labels["model"])
    run = EvalRun(
        mode="oracle",
        unit=unit,
        gold=str(gold_path),
        predictions=None,
        model=model,
        metrics={**main.metrics, "n": len(items), "n_units": len(units["model"])},
        intervals=main.intervals,
        confusion=main.confusion,
        labels={t: task_labels(t) for t in LABEL_TASKS},
        calibration=_oracle_calibration(items, preds["model"]),
        per_unit=_oracle_unit_rows(units["model"], errors),
        errors=errors,
        bootstrap={"n": n_boot, "seed": seed, "confidence": confidence, "unit": unit},
        backend=getattr(classifier, "name", None),
        model_info=_info_dict(classifier),
    )
    model_units = list(units["model"].values())
    for name, system in systems[1:]:
        tasks = [t for t in LABEL_TASKS if t in system.tasks]
        result = _system(name, units[name], tasks, **kw)
        paired = paired_bootstrap(model_units, list(units[name].values()), label_metrics, **kw)
        if name == "compare":
            run.comparison = Comparison(model or "model", compare_name or "compare", paired)
        else:
            result.vs_model = _covered(paired, tasks)
            run.baselines[name] = result
    progress("bootstrap", 1, 1)
    return run


def _info_dict(system: Predictor) -> dict[str, Any] | None:
    info = getattr(system, "model_info", None)
    return info().to_dict() if callable(info) else None


def _name(system: Predictor) -> str:
    return str(getattr(system, "name", type(system).__name__))


def _oracle_unit_rows(
    units: Mapping[str, Stats], errors: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    n_err = {u: 0 for u in units}
    for e in errors:
        n_err[e["unit"]] += 1
    rows = []
    for unit, s in units.items():
        row: dict[str, Any] = {"id": unit, "n_quotes": int(s["n_quotes"])}
        for task in LABEL_TASKS:
            row[f"{task}_acc"] = _accuracy(s[f"conf_{task}"])
        row["errors"] = n_err[unit]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- output


def write_outputs(run: EvalRun, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``metrics.json`` and the self-contained ``report.html``.

    Returns:
        The two paths.
    """
    from stancewire.eval.report import render_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / "metrics.json"
    metrics_path.write_text(json.dumps(run.to_json(), indent=2) + "\n", encoding="utf-8")
    report_path = out / "report.html"
    report_path.write_text(render_report(run), encoding="utf-8")
    return metrics_path, report_path
