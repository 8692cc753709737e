"""Sentiment stacked on a tone lexicon: the encoder's reading plus VADER's word scores.

The fine-tuned sentiment head learns tone from a few thousand authored
statements; VADER's hand-built lexicon knows the tone of thousands of words
those statements never use. A multinomial logistic regression over both, the
head's temperature-scaled log-probabilities and VADER's four scores of the
quote's own words, is fitted on the held-out split at training time (stacking).
Its output is a calibrated probability by construction (it minimises held-out
log-loss), so it replaces the sentiment temperature when a model has one.

The stack is 3 x 7 numbers in ``model.json``; it runs after the encoder, in
Python, so the torch and ONNX paths share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import torch

VADER_FEATURES = ("vader_neg", "vader_neu", "vader_pos", "vader_compound")


@lru_cache(maxsize=1)
def vader_analyzer() -> Any:
    """The process's one VADER analyzer (loading its lexicon takes ~50 ms)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts: Sequence[str]) -> torch.Tensor:
    """``(n, 4)`` VADER negative, neutral, positive and compound scores of each text."""
    analyzer = vader_analyzer()
    rows = []
    for text in texts:
        s = analyzer.polarity_scores(text)
        rows.append([s["neg"], s["neu"], s["pos"], s["compound"]])
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), len(VADER_FEATURES))


def stack_features(scaled_logits: torch.Tensor, texts: Sequence[str]) -> torch.Tensor:
    """The stack's input: the head's log-probabilities, then VADER's scores of ``texts``.

    ``scaled_logits`` are the head's logits divided by its temperature (log-
    probabilities work too: the log-softmax leaves them as they are).
    """
    return torch.cat([torch.log_softmax(scaled_logits.float(), dim=-1), vader_scores(texts)], 1)


@dataclass
class LexiconStack:
    """A fitted stack: ``softmax(features @ coef.T + intercept)`` over the sentiment labels.

    Attributes:
        labels: the sentiment labels, in the head's order.
        coef: ``labels x features`` weights; features are the head's
            log-probabilities (one per label) then :data:`VADER_FEATURES`.
        intercept: one bias per label.
        c: the inverse regularisation strength chosen by cross-validation.
    """

    labels: list[str]
    coef: list[list[float]]
    intercept: list[float]
    c: float = 1.0
    features: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        width = len(self.labels) + len(VADER_FEATURES)
        if len(self.coef) != len(self.labels) or any(len(r) != width for r in self.coef):
            raise ValueError(f"a lexicon stack needs {len(self.labels)} x {width} weights")
        if len(self.intercept) != len(self.labels):
            raise ValueError(f"a lexicon stack needs {len(self.labels)} intercepts")
        if not self.features:
            self.features = [f"logp_{label}" for label in self.labels] + list(VADER_FEATURES)

    def probabilities(self, scaled_logits: torch.Tensor, texts: Sequence[str]) -> torch.Tensor:
        """Stacked sentiment probabilities from the head's scaled logits and the texts."""
        if len(texts) != scaled_logits.shape[0]:
            raise ValueError(f"{scaled_logits.shape[0]} rows of logits, {len(texts)} texts")
        x = stack_features(scaled_logits, texts)
        logits = x @ torch.tensor(self.coef).T + torch.tensor(self.intercept)
        return torch.softmax(logits, dim=-1)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LexiconStack:
        return cls(**raw)
