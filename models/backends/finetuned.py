"""The ``finetuned`` backend: our trained MiniLM classifier, the default.

It is :class:`stancewire.models.classifier.QuoteClassifier` itself (it already
has the backend interface); this module only registers the factory and checks
the targets a user asks for. A fine-tuned model has one head per target it was
trained on, so it cannot label a target added to a targets file: asking for
one is a ``ConfigError`` that points to the zero-shot backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stancewire.models.backends.registry import register_backend
from stancewire.models.classifier import QuoteClassifier
from stancewire.models.errors import ConfigError
from stancewire.models.targets import Target, TargetsConfig, resolve_targets, targets_requested

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "default"
"""The bundled model (``models/artifacts/default``)."""


def check_known_targets(known: Sequence[str], wanted: Sequence[str]) -> None:
    """Raise ``ConfigError`` when a fine-tuned model is asked for targets it lacks."""
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise ConfigError(
            f"the finetuned model was trained on {list(known)} only and cannot label "
            f"{unknown}; label new targets with --backend nli or --backend embedding "
            "(they read the targets file), or train a model that has them"
        )


def check_requested_targets(
    known: Sequence[str], targets: str | Path | Sequence[Target] | TargetsConfig | None
) -> None:
    """Check the targets a user chose (argument or ``$STANCEWIRE_TARGETS``) against a
    trained model's heads; the model's own heads define what it labels otherwise."""
    by_file = targets is None or isinstance(targets, str | Path)
    if not by_file or targets_requested(targets):  # type: ignore[arg-type]
        check_known_targets(known, resolve_targets(targets).names)


@register_backend("finetuned")
def finetuned_backend(
    *,
    model: str | Path | None = None,
    targets: str | Path | Sequence[Target] | TargetsConfig | None = None,
    **options: Any,
) -> QuoteClassifier:
    """Load a fine-tuned model directory (the bundled one if ``model`` is None).

    Args:
        model: a directory written by ``stancewire train``.
        targets: a targets file or list; checked only when the user chose one
            (argument or ``$STANCEWIRE_TARGETS``), since the model's own heads
            define what it labels.

    Raises:
        ConfigError: a chosen target is not one the model was trained on, or an
            option this backend does not take.
        ModelLoadError: the directory is not a usable model.
    """
    if options:
        raise ConfigError(f"the finetuned backend takes no options {sorted(options)}")
    clf = QuoteClassifier.load(Path(model) if model is not None else DEFAULT_MODEL_DIR)
    check_requested_targets(clf.targets, targets)
    return clf
