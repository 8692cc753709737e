"""Pluggable stance backends: ``finetuned`` (default), ``nli`` and ``embedding``.

- ``finetuned``: our MiniLM classifier (:class:`stancewire.models.classifier.QuoteClassifier`);
  knows only the targets it was trained on.
- ``nli``: any Hugging Face sequence-classification NLI model, by hub name or
  local path, used zero-shot with hypotheses from the targets file
  (:mod:`stancewire.models.backends.nli`).
- ``embedding``: cosine similarity of the quote's MiniLM embedding to label
  descriptions, a baseline (:mod:`stancewire.models.backends.embedding`).

``load_backend(name, **options)`` builds one; ``register_backend(name)`` adds one.
"""

from stancewire.models.backends.base import ModelInfo, StanceBackend, scored
from stancewire.models.backends.registry import (
    BUILTIN_BACKENDS,
    backend_names,
    get_backend_factory,
    load_backend,
    register_backend,
)

__all__ = [
    "BUILTIN_BACKENDS",
    "ModelInfo",
    "StanceBackend",
    "backend_names",
    "get_backend_factory",
    "load_backend",
    "register_backend",
    "scored",
]
