"""The ``nli`` backend: any Hugging Face NLI model, used zero-shot.

The usual zero-shot recipe (Yin et al. 2019, the transformers
``zero-shot-classification`` pipeline): the quote is the premise, and each
label is a hypothesis the model judges as entailed or not.

- Premise: the quote's context sentence when it contains the quote (it says
  who speaks and what "they" or "the occupier" refers to), else the quote
  alone; ``use_context=False`` always uses the quote alone.
- Hypotheses, from the targets file: ``favor`` and ``against`` for every
  target, ``positive`` and ``negative`` for sentiment.
- One batched pass: every (premise, hypothesis) pair of every quote goes
  through the model together, sorted by length and cut only into chunks of
  ``batch_size`` pairs; the cost is one forward per chunk, not per label.
- Entailment score of a pair: the log-odds of entailment against
  contradiction (the two logits' difference), or against everything else for
  a model without a contradiction class (two-class "entailment /
  not_entailment" models). Class indices come from ``config.id2label``
  (names matched case-insensitively: ``entailment``, ``contradiction``).
- Decision: ``favor`` vs ``against`` vs ``none`` from the favor and against
  entailment scores ``e_f`` and ``e_a`` (probabilities) and a threshold ``t``
  (``none_threshold``, default 0.5): the probabilities are the entailment
  odds ``e/(1-e)`` of favor and against, with ``none`` standing at the odds
  of the threshold ``t/(1-t)``, normalised; equivalently a softmax of the
  log-odds ``[z_f, z_a, logit(t)]``, optionally divided by ``temperature``.
  So the label is ``none`` exactly when neither hypothesis is entailed with
  probability at least ``t``, otherwise the more entailed side; and a quote
  whose favor hypothesis is entailed at 0.99 (and against is not) gets
  ``favor`` with confidence about 0.99. Sentiment is decided the same way
  from the positive and negative hypotheses, with ``neutral`` at the threshold.

The probabilities are not fitted to our data (a zero-shot model has no held-out
split of ours); ``temperature`` is there for a user who fits one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from stancewire.models.backends.base import ModelInfo, scored
from stancewire.models.backends.registry import register_backend
from stancewire.models.classifier import ClassifyInput
from stancewire.models.doc_attrs import Scored
from stancewire.models.errors import ConfigError, ModelLoadError
from stancewire.models.schema import SENTIMENT_LABELS, STANCE_LABELS
from stancewire.models.targets import Target, TargetsConfig, resolve_targets

__all__ = [
    "DEFAULT_NONE_THRESHOLD",
    "Hypothesis",
    "NLIBackend",
    "nli_backend",
    "nli_label_indices",
    "three_way",
]

DEFAULT_NONE_THRESHOLD = 0.5
DEFAULT_BATCH_SIZE = 64


def nli_label_indices(id2label: Mapping[int, str]) -> tuple[int, int | None]:
    """The entailment and (if any) contradiction class indices of an NLI model.

    Names are matched case-insensitively by prefix (``entailment``,
    ``ENTAILMENT``, ``entail``; ``contradiction``); ``not_entailment`` is not
    an entailment class.

    Raises:
        ModelLoadError: no class, or more than one, is named entailment.
    """

    def find(prefix: str) -> list[int]:
        return [int(i) for i, n in id2label.items() if str(n).strip().lower().startswith(prefix)]

    entail, contra = find("entail"), find("contradict")
    if len(entail) != 1:
        raise ModelLoadError(
            f"not an NLI model: its config.id2label {dict(id2label)} names no single "
            "'entailment' class (set id2label in its config.json, e.g. "
            '{"0": "entailment", "1": "neutral", "2": "contradiction"})'
        )
    return entail[0], (contra[0] if len(contra) == 1 else None)


def three_way(
    z_a: torch.Tensor, z_b: torch.Tensor, *, threshold: float, temperature: float = 1.0
) -> torch.Tensor:
    """Probabilities of (a, b, rest) from the entailment log-odds of a and b.

    ``rest`` stands at the log-odds of ``threshold``, so it wins exactly when
    neither a nor b is entailed with probability ``threshold`` or more.

    Returns:
        ``(n, 3)`` rows that sum to 1.
    """
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"the none threshold must be in (0, 1), not {threshold}")
    z_rest = torch.full_like(z_a, math.log(threshold / (1.0 - threshold)))
    return torch.softmax(torch.stack([z_a, z_b, z_rest], dim=-1) / temperature, dim=-1)


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis asked of every quote: the task and label it stands for."""

    task: str
    label: str
    text: str


class NLIBackend:
    """Zero-shot stance and sentiment with a Hugging Face NLI model.

    Args:
        model: a hub name (``MoritzLaurer/deberta-v3-base-zeroshot-v2.0``) or a
            local directory, loaded with ``AutoTokenizer`` and
            ``AutoModelForSequenceClassification.from_pretrained``.
        targets: a targets file, list or config; default: ``$STANCEWIRE_TARGETS``
            or the bundled ``models/targets.json``.
        none_threshold: entailment probability a side needs to beat ``none``
            (and ``neutral`` for sentiment).
        temperature: divides the log-odds before the softmax (1: as the model says).
        batch_size: (premise, hypothesis) pairs per forward pass.
        max_length: token limit of a pair (the premise is truncated, never the hypothesis).
        use_context: use the context sentence as the premise when it contains the quote.
        device: ``cpu``, ``cuda``...; default CUDA when available.

    Raises:
        ModelLoadError: the model cannot be loaded or is not an NLI model.
    """

    name = "nli"

    def __init__(
        self,
        model: str | Path,
        targets: str | Path | Sequence[Target] | TargetsConfig | None = None,
        *,
        none_threshold: float = DEFAULT_NONE_THRESHOLD,
        temperature: float = 1.0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_length: int = 256,
        use_context: bool = True,
        device: str | None = None,
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        if not 0.0 < none_threshold < 1.0:
            raise ConfigError(f"none_threshold must be in (0, 1), not {none_threshold}")
        if temperature <= 0:
            raise ConfigError(f"temperature must be positive, not {temperature}")
        hf_logging.disable_progress_bar()
        self.reference = str(model)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.reference)
            nli = AutoModelForSequenceClassification.from_pretrained(self.reference)
        except (OSError, ValueError) as err:
            raise ModelLoadError(
                f"cannot load NLI model {self.reference!r}: {err} (a hub name needs the hub "
                "or a copy in the Hugging Face cache; a path must be a directory written by "
                "save_pretrained)"
            ) from err
        self.entailment, self.contradiction = nli_label_indices(nli.config.id2label)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = nli.to(self.device).eval()
        self.config = resolve_targets(targets)
        self.target_defs = list(self.config.targets)
        self.none_threshold = none_threshold
        self.temperature = temperature
        self.batch_size = batch_size
        self.max_length = max_length
        self.use_context = use_context

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

    def hypotheses(self) -> list[Hypothesis]:
        """Every hypothesis asked of each quote: favor and against per target, then sentiment."""
        out = [
            Hypothesis(t.name, label, t.hypothesis(label))
            for t in self.target_defs
            for label in ("favor", "against")
        ]
        spec = self.config.sentiment
        assert spec is not None  # resolve_targets always fills it in
        out += [
            Hypothesis("sentiment", lab, spec.hypotheses[lab]) for lab in ("positive", "negative")
        ]
        return out

    def premise(self, item: ClassifyInput) -> str:
        """The premise for a quote: its context when that contains it, else the quote."""
        if self.use_context and item.context and item.text in item.context:
            return item.context
        return item.text

    @torch.inference_mode()
    def entailment_scores(
        self, pairs: Sequence[tuple[str, str]], *, batch_size: int | None = None
    ) -> torch.Tensor:
        """Log-odds of entailment ``(n,)`` of (premise, hypothesis) pairs, in one batched pass.

        Pairs are sorted by length so that each chunk pads little, then cut
        only by ``batch_size``.
        """
        size = batch_size or self.batch_size
        out = torch.empty(len(pairs))
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            enc = self.tokenizer(
                [pairs[i][0] for i in idx],
                [pairs[i][1] for i in idx],
                padding=True,
                truncation="only_first",
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            logits = self.model(**enc).logits.float().cpu()
            if self.contradiction is not None:
                z = logits[:, self.entailment] - logits[:, self.contradiction]
            else:
                logp = torch.log_softmax(logits, dim=-1)[:, self.entailment]
                z = logp - torch.log(-torch.expm1(logp)).clamp(min=-1e4)
            out[torch.tensor(idx)] = z
        return out

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int | None = None
    ) -> list[dict[str, Scored]]:
        """Stance toward every target and sentiment, for every quote.

        Args:
            items: the quotes, with context where known.
            batch_size: pairs per forward pass (default: the backend's).
        """
        if not items:
            return []
        hyps = self.hypotheses()
        premises = [self.premise(it) for it in items]
        pairs = [(p, h.text) for p in premises for h in hyps]
        z = self.entailment_scores(pairs, batch_size=batch_size).view(len(items), len(hyps))
        column = {(h.task, h.label): j for j, h in enumerate(hyps)}
        out: list[dict[str, Scored]] = [{} for _ in items]
        for task, labels in self.tasks.items():
            a, b = labels[0], labels[1]  # favor/against, positive/negative; the third is "rest"
            probs = three_way(
                z[:, column[task, a]],
                z[:, column[task, b]],
                threshold=self.none_threshold,
                temperature=self.temperature,
            )
            for i, row in enumerate(probs.tolist()):
                out[i][task] = scored(labels, row)
        return out

    def model_info(self) -> ModelInfo:
        """What this backend is."""
        id2label = self.model.config.id2label
        return ModelInfo(
            backend=self.name,
            name=f"nli:{self.reference}",
            reference=self.reference,
            targets=tuple(self.targets),
            details={
                "entailment": id2label[self.entailment],
                "contradiction": (
                    id2label[self.contradiction] if self.contradiction is not None else None
                ),
                "none_threshold": self.none_threshold,
                "temperature": self.temperature,
                "use_context": self.use_context,
            },
        )


@register_backend("nli")
def nli_backend(
    *,
    model: str | Path | None = None,
    targets: str | Path | Sequence[Target] | TargetsConfig | None = None,
    **options: Any,
) -> NLIBackend:
    """Build the NLI backend; ``model`` (a hub name or local path) is required.

    Raises:
        ConfigError: no model was named.
        ModelLoadError: the model cannot be loaded or is not an NLI model.
    """
    if not model:
        raise ConfigError(
            "the nli backend needs a model: --nli-model NAME_OR_PATH, a Hugging Face hub "
            "name (e.g. MoritzLaurer/deberta-v3-base-zeroshot-v2.0) or a local directory"
        )
    return NLIBackend(model, targets, **options)
