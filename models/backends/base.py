"""What every stance backend is: the ``StanceBackend`` protocol and its ``ModelInfo``.

A backend turns quotes into labels: ``predict(list[ClassifyInput])`` returns,
for every quote, a ``Scored`` label for each stance target and for
``sentiment``. The pipeline, the ``classify`` command and the evaluation
harness only ever use this interface, so the fine-tuned classifier, a
zero-shot NLI model and the embedding baseline are interchangeable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from stancewire.models.doc_attrs import Scored

if TYPE_CHECKING:
    from stancewire.models.classifier import ClassifyInput

__all__ = ["ModelInfo", "StanceBackend", "scored"]

INFERENCE_BATCH = 16
"""Quotes per encoder call when labelling.

Why 16 and not more: on 2 CPU cores, length-sorted batches of 64 quotes ran at
16.2 ms/quote (torch fp32) and 6.9 (ONNX int8), batches of 16 at 13.6 and 4.6.
A 64 x 128-token batch's activations (its FFN's alone are 50 MB) no longer fit
in cache, and one article's ~22 quotes pad less in small batches. Measured with
``benchmarks/model_stage.py`` (``batched`` vs ``batched, batch 64``).
Backends that batch differently (``nli``) keep their own default.
"""


@dataclass(frozen=True)
class ModelInfo:
    """A description of the model behind a backend, for outputs, logs and the API.

    Attributes:
        backend: the backend's registry name (``finetuned``, ``nli``, ``embedding``).
        name: what outputs report as their ``model`` (``stancewire-0.2.0``,
            ``nli:MoritzLaurer/deberta-v3-base-zeroshot-v2.0``).
        reference: where the weights came from: a model directory, a hub name
            or a local path.
        version: the model version, when the backend has one.
        targets: the stance targets it labels.
        details: anything else worth reporting (base encoder, thresholds).
    """

    backend: str
    name: str
    reference: str
    version: str | None = None
    targets: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["targets"] = list(self.targets)
        return out


@runtime_checkable
class StanceBackend(Protocol):
    """Anything that labels quotes with stance per target and sentiment.

    Attributes:
        name: the registry name of the backend.
    """

    name: str

    @property
    def targets(self) -> list[str]:
        """The stance targets, in output order."""
        ...

    @property
    def tasks(self) -> dict[str, list[str]]:
        """Task -> labels: every target, and ``sentiment``."""
        ...

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int = INFERENCE_BATCH
    ) -> list[dict[str, Scored]]:
        """Label every item; keys are each target plus ``sentiment``."""
        ...

    def model_info(self) -> ModelInfo:
        """What model this is."""
        ...


def scored(labels: Sequence[str], probs: Sequence[float]) -> Scored:
    """The most probable label with every label's probability (rounded as outputs are)."""
    best = max(range(len(labels)), key=lambda i: probs[i])
    return Scored(
        labels[best], {lab: round(float(p), 4) for lab, p in zip(labels, probs, strict=True)}
    )
