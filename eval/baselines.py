"""Reference classifiers that a trained model has to beat.

A number means little alone: 0.55 stance F_avg is good if a majority guess
gets 0.0 and poor if a word-embedding lookup gets 0.6. These baselines run in
the same evaluation as the model and are scored the same way. Each has the
``predict`` interface of :class:`stancewire.models.classifier.QuoteClassifier`
(``predict(list[ClassifyInput]) -> list[dict[task, Scored]]``). A baseline
only answers the tasks it is built for (``tasks``); the harness scores only
those.

- ``MajorityBaseline``: the most frequent label of each task in the training
  statements (not in the gold, which would leak the test set).
- ``VaderBaseline``: VADER's lexicon sentiment, with the usual thresholds
  (compound >= 0.05 positive, <= -0.05 negative, else neutral).
- ``EmbeddingStanceBaseline``: the ``embedding`` backend
  (:class:`stancewire.models.backends.embedding.EmbeddingBackend`), zero-shot
  stance and sentiment by cosine similarity between the MiniLM embedding of the
  quote and embeddings of label descriptions from the targets file. It lives
  with the backends so that there is one implementation, usable both as a
  pipeline backend and as a baseline here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stancewire.models.backends.embedding import EmbeddingBackend
from stancewire.models.classifier import ClassifyInput
from stancewire.models.doc_attrs import Scored
from stancewire.models.schema import SENTIMENT_LABELS, task_label_order
from stancewire.models.targets import none_description

__all__ = [
    "EmbeddingStanceBaseline",
    "MajorityBaseline",
    "VaderBaseline",
    "none_description",
]

EmbeddingStanceBaseline = EmbeddingBackend
"""The embedding baseline is the ``embedding`` backend (one implementation)."""

VADER_POSITIVE = 0.05
VADER_NEGATIVE = -0.05


def _one_hot(label: str, labels: Sequence[str]) -> Scored:
    return Scored(label, {lab: 1.0 if lab == label else 0.0 for lab in labels})


class MajorityBaseline:
    """Always predicts each task's most frequent training label.

    Args:
        majority: Task -> label to predict.
    """

    name = "majority"

    def __init__(self, majority: Mapping[str, str]) -> None:
        self.majority = dict(majority)

    @property
    def tasks(self) -> dict[str, list[str]]:
        """Task -> labels, as ``QuoteClassifier.tasks``."""
        return {t: list(task_label_order(t)) for t in self.majority}

    @property
    def targets(self) -> list[str]:
        """The stance targets this baseline answers."""
        return [t for t in self.majority if t != "sentiment"]

    @classmethod
    def fit(cls, rows: Iterable[Mapping[str, Any]], targets: Sequence[str]) -> MajorityBaseline:
        """Count labels in statements shaped like the training data.

        Args:
            rows: Objects with ``stance`` (target -> label) and ``sentiment``.
            targets: Stance targets to predict.

        Raises:
            ValueError: ``rows`` is empty, so there is no majority.
        """
        counts: dict[str, Counter[str]] = {t: Counter() for t in (*targets, "sentiment")}
        for row in rows:
            for t in targets:
                counts[t][(row.get("stance") or {}).get(t) or "none"] += 1
            counts["sentiment"][row.get("sentiment") or "neutral"] += 1
        if not counts["sentiment"]:
            raise ValueError("no labelled rows to take a majority from")
        # Ties go to the label listed first in the label order, so results are stable.
        return cls({t: _most_common(c, t) for t, c in counts.items()})

    @classmethod
    def from_jsonl_dir(cls, data_dir: str | Path, targets: Sequence[str]) -> MajorityBaseline:
        """Fit on every ``*.jsonl`` file of a directory (e.g. ``training/data``)."""
        rows: list[dict[str, Any]] = []
        for path in sorted(Path(data_dir).glob("*.jsonl")):
            with path.open(encoding="utf-8") as fh:
                rows.extend(json.loads(line) for line in fh if line.strip())
        return cls.fit(rows, targets)

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int = 64
    ) -> list[dict[str, Scored]]:
        """The majority label of every task for every item (``batch_size`` is unused)."""
        row = {t: _one_hot(lab, self.tasks[t]) for t, lab in self.majority.items()}
        return [dict(row) for _ in items]


def _most_common(counts: Counter[str], task: str) -> str:
    order = task_label_order(task)
    return max(order, key=lambda lab: (counts[lab], -order.index(lab)))


class VaderBaseline:
    """Lexicon sentiment (VADER) on the quote's own words.

    ``probs`` are VADER's positive/negative/neutral proportions, renormalised;
    they are not calibrated probabilities, and the label follows the compound
    score, so a label's probability can be below another's.
    """

    name = "vader"
    tasks: dict[str, list[str]] = {"sentiment": list(SENTIMENT_LABELS)}
    targets: list[str] = []

    def __init__(self) -> None:
        from stancewire.models.lexicon import vader_analyzer

        self._analyzer = vader_analyzer()

    @staticmethod
    def label(compound: float) -> str:
        """Map a VADER compound score to a sentiment label."""
        if compound >= VADER_POSITIVE:
            return "positive"
        if compound <= VADER_NEGATIVE:
            return "negative"
        return "neutral"

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int = 64
    ) -> list[dict[str, Scored]]:
        """Sentiment of each quote (its context is ignored: tone is the quote's own)."""
        out = []
        for item in items:
            s = self._analyzer.polarity_scores(item.text)
            total = (s["pos"] + s["neg"] + s["neu"]) or 1.0
            probs = {
                "positive": s["pos"] / total,
                "negative": s["neg"] / total,
                "neutral": s["neu"] / total,
            }
            out.append({"sentiment": Scored(self.label(s["compound"]), probs)})
        return out
