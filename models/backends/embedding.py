"""The ``embedding`` backend: the nearest label description in MiniLM embedding space.

A zero-shot baseline with no training and no NLI model. Every label is
described in words from the targets file: ``favor`` and ``against`` by the
target's hypotheses, ``none`` by :func:`stancewire.models.targets.none_description`
(or the target's own ``none`` text); ``positive`` and ``negative`` by the
sentiment hypotheses, ``neutral`` by the sentiment section's ``neutral``. A
quote gets, per task, the label whose description's mean-pooled embedding has
the highest cosine similarity with the quote's; ``probs`` are a softmax of the
similarities divided by ``temperature``. They are not calibrated: this is the
number a trained model has to beat, not a model to ship.

Only the quote's own words are embedded (its context is ignored): the context
sentence names the speaker and the scene, which pulls every quote of a story
toward the same description.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from stancewire.models.backends.base import ModelInfo, scored
from stancewire.models.backends.registry import register_backend
from stancewire.models.classifier import (
    DEFAULT_BASE_MODEL,
    ClassifyInput,
    load_encoder,
    mean_pool,
)
from stancewire.models.doc_attrs import Scored
from stancewire.models.schema import SENTIMENT_LABELS, STANCE_LABELS
from stancewire.models.targets import Target, TargetsConfig, resolve_targets

__all__ = ["DEFAULT_TEMPERATURE", "EmbeddingBackend", "embedding_backend"]

DEFAULT_TEMPERATURE = 0.05


class EmbeddingBackend:
    """Zero-shot stance and sentiment by cosine similarity to label descriptions.

    Args:
        base_model: encoder reference (``resolve_base_model``); tests pass a tiny one.
        targets: a targets file, list or config; default: ``$STANCEWIRE_TARGETS``
            or the bundled ``models/targets.json``.
        temperature: softmax temperature of the similarities.
        max_length: token limit of a quote.
    """

    name = "embedding"

    def __init__(
        self,
        base_model: str = DEFAULT_BASE_MODEL,
        targets: str | Path | Sequence[Target] | TargetsConfig | None = None,
        *,
        temperature: float = DEFAULT_TEMPERATURE,
        max_length: int = 128,
    ) -> None:
        self.base_model = str(base_model)
        self.encoder, self.tokenizer = load_encoder(self.base_model)
        self.encoder.eval()
        self.config = resolve_targets(targets)
        self.target_defs = list(self.config.targets)
        self.temperature = temperature
        self.max_length = max_length
        self._label_vecs = {t.name: self._matrix(self.descriptions(t)) for t in self.target_defs}
        self._label_vecs["sentiment"] = self._matrix(self.sentiment_descriptions())

    @property
    def targets(self) -> list[str]:
        """The stance targets, in the targets file's order."""
        return [t.name for t in self.target_defs]

    @property
    def tasks(self) -> dict[str, list[str]]:
        """Task -> labels, as ``QuoteClassifier.tasks``."""
        return {
            **{t: list(STANCE_LABELS) for t in self.targets},
            "sentiment": list(SENTIMENT_LABELS),
        }

    def descriptions(self, target: Target) -> dict[str, str]:
        """Stance label -> the description whose embedding stands for it."""
        return {
            "favor": target.hypothesis("favor"),
            "against": target.hypothesis("against"),
            "none": target.none_text(),
        }

    def sentiment_descriptions(self) -> dict[str, str]:
        """Sentiment label -> the description whose embedding stands for it."""
        spec = self.config.sentiment
        assert spec is not None  # resolve_targets always fills it in
        return {**spec.hypotheses, "neutral": spec.neutral}

    def _matrix(self, texts: dict[str, str]) -> torch.Tensor:
        labels = STANCE_LABELS if "favor" in texts else SENTIMENT_LABELS
        return self.embed([texts[lab] for lab in labels])

    @torch.inference_mode()
    def embed(
        self,
        texts: Sequence[str],
        pairs: Sequence[str] | None = None,
        *,
        batch_size: int = 64,
    ) -> torch.Tensor:
        """L2-normalised mean-pooled embeddings ``(n, width)``.

        With ``pairs``, each text is encoded as a pair with ``pairs[i]`` (quote
        and context, as the training-data audit reads them); the backend itself
        embeds quotes alone.
        """
        chunks = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(
                list(texts[start : start + batch_size]),
                list(pairs[start : start + batch_size]) if pairs is not None else None,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            # **enc carries the pair's token type ids (all zero for a single text).
            hidden = self.encoder(**enc).last_hidden_state
            pooled = mean_pool(hidden, enc["attention_mask"])
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1))
        return torch.cat(chunks) if chunks else torch.empty(0, 0)

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int = 64
    ) -> list[dict[str, Scored]]:
        """Stance toward every target and sentiment, for every quote (context unused)."""
        if not items:
            return []
        quotes = self.embed([it.text for it in items], batch_size=batch_size)
        out: list[dict[str, Scored]] = [{} for _ in items]
        for task, labels_vec in self._label_vecs.items():
            labels = self.tasks[task]
            probs = torch.softmax((quotes @ labels_vec.T) / self.temperature, dim=-1)
            for i, row in enumerate(probs.tolist()):
                out[i][task] = scored(labels, row)
        return out

    def model_info(self) -> ModelInfo:
        """What this backend is."""
        return ModelInfo(
            backend=self.name,
            name=f"embedding:{self.base_model}",
            reference=self.base_model,
            targets=tuple(self.targets),
            details={"temperature": self.temperature},
        )


@register_backend("embedding")
def embedding_backend(
    *,
    model: str | Path | None = None,
    targets: str | Path | Sequence[Target] | TargetsConfig | None = None,
    **options: Any,
) -> EmbeddingBackend:
    """Build the embedding backend on ``model`` (an encoder; default all-MiniLM-L6-v2)."""
    return EmbeddingBackend(str(model) if model else DEFAULT_BASE_MODEL, targets, **options)
